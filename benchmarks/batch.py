"""Many saved traces at scale: explain --output jsonl, frame(), report; 1 and 2 jobs.
Run by hand (never by the tests):

    python3 benchmarks/make_scale_db.py --out /tmp/ovnparse-scale          # 100k flows
    python3 benchmarks/batch.py make [--scale DIR] [--out DIR] [--traces 10000]
    python3 benchmarks/batch.py run [--scale DIR] [--traces-dir DIR] [--separate 20]

`make` records the traces on the scale topology, with the real tools: a
sandbox (OvnSandbox) serving the scale nb.db/sb.db with ovs-vswitchd and
ovn-controller as the node `ovn-worker` (the chassis make_scale_db.py used,
so its pods' ports are claimed here), `--vifs` pods of that node plugged
into br-int; then, for packets from those pods to pods of every namespace
(most dropped by the namespaces' default deny, some allowed by the
`allow-egress-to-<next>` policies), to ClusterIP VIPs and to 8.8.8.8:
`ovn-trace --detach` serving the Southbound once and `ovs-appctl -t
<ovn-trace> trace --detailed|--summary|--minimal DATAPATH MICROFLOW` for
the logical traces, `ovs-appctl ofproto/trace br-int FLOW` for the OpenFlow
ones.  One trace a file (DIR/<form>/NNNNN.txt), the forms mixed.

`run` measures, each in a fresh process (wall time: spawn to exit; memory:
the peak of the summed RSS of the process and all its children, sampled
every 10 ms, as replay.py does):

  * `ovnparse explain --output jsonl --nb nb.db --sb sb.db DIR` with --jobs 1 and 2,
    and without databases;
  * `ovnparse.frame(DIR, db=open_databases(...), jobs=N)`;
  * `ovnparse report DIR --nb --sb -o report.html` (and the page's size);
  * opening the databases alone (open_databases + the index): the per-trace
    cost is (run - that) / traces;
  * `--separate K` separate `ovnparse explain --nb --sb FILE` calls, one a
    file, as a shell loop does: their mean times the number of files.

Every daemon `make` starts is stopped by pid at the end (the sandbox's own
stop; ovn-trace's by its pidfile), also on errors and Ctrl-C.  Runs at nice 10.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "samples"))

FORMS = {"detailed": 0.4, "summary": 0.15, "minimal": 0.15, "ofproto": 0.3}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ make
def plan(model: dict, sources: list[dict], count: int) -> list[tuple]:
    """(n, form, source pod, what): what is the ofproto/trace flow (with `{ofport}`)
    or ovn-trace's (datapath, microflow)."""
    from make_scale_db import POD_PORT
    from topology import ip_to_mac
    rnd = random.Random(12)
    forms = list(FORMS)
    weights = [FORMS[f] for f in forms]
    jobs = []
    for n in range(count):
        src = sources[n % len(sources)]
        kind = rnd.random()
        gw = ip_to_mac(f"10.244.{src['node_index']}.1")
        if kind < 0.7:
            dst = model["pods"][rnd.randrange(len(model["pods"]))]
            mac = dst["mac"] if dst["node"] == src["node"] else gw
            ip, port = dst["ip4"], rnd.choice([POD_PORT, 80, 443, POD_PORT])
        elif kind < 0.9:
            svc = model["services"][rnd.randrange(len(model["services"]))]
            mac, ip, port = gw, svc["vip4"], svc["port"]
        else:
            mac, ip, port = gw, "8.8.8.8", 443
        sport = 30000 + n % 30000
        form = rnd.choices(forms, weights)[0]
        if form == "ofproto":
            what: Any = (f"in_port={{ofport}},tcp,dl_src={src['mac']},dl_dst={mac},"
                         f"nw_src={src['ip4']},nw_dst={ip},nw_ttl=64,tp_src={sport},"
                         f"tp_dst={port}")
        else:
            what = (src["node"], f'inport == "{src["lsp"]}" && eth.src == {src["mac"]} && '
                    f"eth.dst == {mac} && ip4.src == {src['ip4']} && ip4.dst == {ip} && "
                    f"ip.ttl == 64 && tcp && tcp.src == {sport} && tcp.dst == {port}")
        jobs.append((n, form, src, what))
    return jobs


class TraceDaemon:
    """`ovn-trace --detach` on the Southbound, restarted (by its pid) when a trace
    runs away: a call that takes over TIMEOUT seconds or a daemon over MAX_RSS."""

    TIMEOUT = 60
    MAX_RSS_KB = 18 << 20  # (OVN 23.03's daemon holds about 15.5 GB at 100k flows)

    def __init__(self, box, workdir: Path):
        self.box, self.workdir = box, workdir
        self.pid: int | None = None
        self.ctl = workdir / "ovn-trace.ctl"

    def start(self) -> None:
        pidfile = self.workdir / "ovn-trace.pid"
        t = time.monotonic()
        subprocess.run(["ovn-trace", "--detach", "--no-chdir", f"--pidfile={pidfile}",
                        f"--unixctl={self.ctl}", f"--db={self.box.sb_remote}", "-vconsole:off",
                        "-vsyslog:off", "-vfile:off"], check=True, env=self.box.env,
                       timeout=900)
        self.pid = int(pidfile.read_text())
        log(f"ovn-trace --detach up in {time.monotonic() - t:.0f} s (pid {self.pid})")

    def stop(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while os.path.exists(f"/proc/{self.pid}"):  # (gone before a restart)
                time.sleep(0.05)
            self.pid = None

    def trace(self, form: str, datapath: str, microflow: str) -> str | None:
        if self.pid is None:
            self.start()
        proc = subprocess.Popen(["ovs-appctl", f"--timeout={self.TIMEOUT}", "-t", str(self.ctl),
                                 "trace", f"--{form}", datapath, microflow],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.box.env)
        while proc.poll() is None:
            time.sleep(0.05)
            rss = _rss_kb(self.pid)
            if rss > self.MAX_RSS_KB:
                log(f"ovn-trace at {rss >> 10} MiB: restarted; left out {form} {microflow}")
                self.stop()
                proc.kill()
                proc.wait()
                return None
        out, err = proc.communicate()
        if proc.returncode != 0:
            log(f"ovn-trace failed ({err.strip()[:120]}): restarted; left out {microflow}")
            self.stop()
            return None
        return out


def _rss_kb(pid: int | None) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M)
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


def make(args) -> None:
    from make_scale_db import build_model

    from ovnparse.sandbox import OvnSandbox
    scale = Path(args.scale)
    margs = argparse.Namespace(**json.loads((scale / "counts.json").read_text())["args"])
    model = build_model(margs)
    local = model["nodes"][0]
    sources = [p for p in model["pods"] if p["node_index"] == local["index"]][:args.vifs]
    out = Path(args.out)
    for form in FORMS:
        (out / form).mkdir(parents=True, exist_ok=True)
    todo = [j for j in plan(model, sources, args.traces)
            if not (out / j[1] / f"{j[0]:05d}.txt").exists()]  # (a rerun resumes)
    of_jobs = [j for j in todo if j[1] == "ofproto"]
    ovn_jobs = [j for j in todo if j[1] != "ofproto"]
    log(f"to record: {len(of_jobs)} ofproto/trace, {len(ovn_jobs)} ovn-trace")
    workdir = Path(tempfile.mkdtemp(prefix="ovnbatch-"))
    if of_jobs:
        box = OvnSandbox(workdir, nb_db=scale / "nb.db", sb_db=scale / "sb.db", northd=False,
                         system_id=str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS,
                                                     f"{local['name']}.ovnparse.scale")),
                         hostname=local["name"], encap_ip="172.18.0.2", timeout=900)
    else:  # (ovn-trace needs only the Southbound served)
        box = OvnSandbox(workdir, sb_db=scale / "sb.db", northd=False, controller=False,
                         vswitchd=False, ovs_db=False)
    daemon = TraceDaemon(box, workdir)
    counts = {f: 0 for f in FORMS}
    try:
        with box:
            ofports = {}
            if of_jobs:
                box.add_underlay("breth0", "172.18.0.2/16",
                                 neighbors={"172.18.0.3": "02:42:ac:12:00:03"})
                for n, p in enumerate(sources):
                    ofports[p["lsp"]] = box.add_vif(f"veth{n}", p["lsp"], mac=p["mac"],
                                                    external_ids={"iface-id-ver": p["uid"]})
                wait_flows(box)
            t = time.monotonic()

            def record(jobs: list) -> None:  # (one thread a tool: both cores busy)
                for n, form, src, what in jobs:
                    if form == "ofproto":
                        text = box.appctl("ovs-vswitchd", "ofproto/trace", "br-int",
                                          what.format(ofport=ofports[src["lsp"]]),
                                          timeout=600)
                    else:
                        text = daemon.trace(form, *what)
                        if text is None:
                            continue
                    (out / form / f"{n:05d}.txt").write_text(text)
                    counts[form] += 1
                    done = sum(counts.values())
                    if done % 500 == 0:
                        log(f"{done} traces ({time.monotonic() - t:.0f} s): {counts}")

            import threading
            threads = [threading.Thread(target=record, args=(j,)) for j in (of_jobs, ovn_jobs)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            log(f"done in {time.monotonic() - t:.0f} s: {counts}")
    finally:
        daemon.stop()


def wait_flows(box) -> None:
    """No ovn-northd here, so no --wait=hv: wait until br-int's flow count holds."""
    t = time.monotonic()
    last = -1
    while True:
        time.sleep(20)
        try:
            agg = box.ofctl("dump-aggregate", "br-int", timeout=300)
        except Exception as exc:  # (vswitchd busy installing: ask again)
            log(f"dump-aggregate: {str(exc).splitlines()[0]}")
            continue
        m = re.search(r"flow_count=(\d+)", agg)
        count = int(m.group(1)) if m else 0
        log(f"  br-int: {count} flows")
        if count > 1000 and count == last:
            break
        last = count
    log(f"ovn-controller ready in {time.monotonic() - t:.0f} s")


# ------------------------------------------------------------------ run
OVNPARSE = [sys.executable, "-m", "ovnparse.cli"]


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")
    return env


def measure(argv: list[str]) -> dict:
    from replay import Memory
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=child_env())
    mem = Memory(proc.pid)
    mem.start()
    pss = Pss(proc.pid)
    pss.start()
    err = proc.stderr.read() if proc.stderr else b""
    proc.wait()
    wall = time.perf_counter() - start
    peak_sum, peak_one = mem.stop()
    pss.done.set()
    pss.join()
    return {"seconds": wall, "rss_mib": peak_sum, "one_mib": peak_one, "rc": proc.returncode,
            "pss_mib": pss.peak / 1024, "err": err.decode(errors="replace")[-300:]}


class Pss:
    """The peak of the summed PSS (shared pages counted once, split between the
    processes that share them) of a process tree: what forked workers sharing the
    databases really hold, where summed RSS counts the shared pages in each."""

    def __init__(self, root: int):
        import threading
        self.root, self.peak = root, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        self.thread.join()

    def run(self) -> None:
        from replay import _children
        while not self.done.is_set():
            kids = _children()
            todo, total = [self.root], 0
            while todo:
                p = todo.pop()
                todo += kids.get(p, [])
                try:
                    with open(f"/proc/{p}/smaps_rollup") as f:
                        m = re.search(r"^Pss:\s+(\d+)", f.read(), re.M)
                    total += int(m.group(1)) if m else 0
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            self.done.wait(0.05)


def run(args) -> None:
    scale, traces = Path(args.scale), Path(args.traces_dir)
    nb, sb = str(scale / "nb.db"), str(scale / "sb.db")
    files = sorted(str(p) for p in traces.rglob("*.txt"))
    n = len(files)
    scratch = Path(tempfile.mkdtemp(prefix="batchbench-"))
    print(f"{n} trace files in {traces}; databases {scale} "
          f"({json.loads((scale / 'counts.json').read_text()).get('sb_Logical_Flow')} "
          "logical flows)")
    py = [sys.executable, "-c"]
    results = {}

    def want(name: str) -> bool:
        return not args.only or args.only in name

    def show(name: str, r: dict, extra: str = "") -> None:
        results[name] = r
        print(f"{name:30s} {r['seconds']:6.1f} s  RSS {r['rss_mib']:5.0f} MiB summed "
              f"(largest {r['one_mib']:.0f}), PSS {r['pss_mib']:5.0f} MiB  rc {r['rc']}{extra}",
              flush=True)
        if r["rc"] not in (0, 1):
            print("   ", r["err"].strip().replace("\n", "\n    "))

    load = measure([*py, "import ovnparse; db = ovnparse.open_databases("
                    f"nb={nb!r}, sb={sb!r}); db.index"])
    show("open databases + index", load)
    for jobs in (1, 2):
        if not want(f"explain jsonl --jobs {jobs}"):
            continue
        r = measure([*OVNPARSE, "explain", "--output", "jsonl", "--no-progress", "--jobs",
                     str(jobs), "--nb", nb, "--sb", sb, "-o", str(scratch / "o.jsonl"),
                     str(traces)])
        per = (r["seconds"] - load["seconds"]) / n * 1000
        show(f"explain jsonl --jobs {jobs}", r, f"  ({per:.2f} ms a trace after the load)")
    if want("explain jsonl, no databases"):
        r = measure([*OVNPARSE, "explain", "--output", "jsonl", "--no-progress", "-o",
                     str(scratch / "o.jsonl"), str(traces)])
        show("explain jsonl, no databases", r, f"  ({r['seconds'] / n * 1000:.2f} ms a trace)")
    for jobs in (1, 2):
        if not want(f"frame() jobs={jobs}"):
            continue
        r = measure([*py, "import ovnparse; db = ovnparse.open_databases("
                     f"nb={nb!r}, sb={sb!r}); df = ovnparse.frame({str(traces)!r}, db=db, "
                     f"jobs={jobs}, progress=False); print(len(df))"])
        show(f"frame() jobs={jobs}", r)
    for jobs in (1, 2):
        if not want(f"report --jobs {jobs}"):
            continue
        page = scratch / "report.html"
        r = measure([*OVNPARSE, "report", "--no-progress", "--jobs", str(jobs), "--nb", nb,
                     "--sb", sb, "-o", str(page), str(traces)])
        size = page.stat().st_size / 1e6 if page.exists() else 0
        show(f"report --jobs {jobs}", r, f"  (page {size:.1f} MB)")
    if args.separate and want("separate") and "explain jsonl --jobs 1" in results:
        rnd = random.Random(3)
        sample = rnd.sample(files, min(args.separate, n))
        total = 0.0
        for f in sample:
            total += measure([*OVNPARSE, "explain", "--json", "--nb", nb, "--sb", sb,
                              f])["seconds"]
        mean = total / len(sample)
        one = results["explain jsonl --jobs 1"]["seconds"]
        print(f"separate explain calls: {mean:.2f} s each (mean of {len(sample)}); "
              f"{n} of them: {mean * n:.0f} s; one run: {one:.1f} s = 1/{mean * n / one:.0f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--scale", default="/tmp/ovnparse-scale")
    m.add_argument("--out", default="/tmp/ovnparse-batch")
    m.add_argument("--traces", type=int, default=10000)
    m.add_argument("--vifs", type=int, default=8)
    r = sub.add_parser("run")
    r.add_argument("--scale", default="/tmp/ovnparse-scale")
    r.add_argument("--traces-dir", default="/tmp/ovnparse-batch")
    r.add_argument("--separate", type=int, default=20)
    r.add_argument("--only", help="run only the measures whose name contains this")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.nice(10)
    make(args) if args.cmd == "make" else run(args)


if __name__ == "__main__":
    main()
