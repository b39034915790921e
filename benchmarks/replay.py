"""Whole-database replay against ``ovnparse trace`` at scale.  Run by hand:

    python3 benchmarks/make_scale_db.py --out /tmp/ovnparse-scale      # 100k flows
    python3 benchmarks/make_scale_db.py --out /tmp/ovnparse-scale-20k \\
        --pods 2400 --nodes 10 --namespaces 20 --services 300 --policies 120
    python3 benchmarks/replay.py [DIR ...] [-n 3] [--packets NAME,...]

For each DIR (default /tmp/ovnparse-scale-20k and /tmp/ovnparse-scale: sb.db and
counts.json, whose "args" rebuild the topology make_scale_db.py wrote, so the
packets below name real pods, MACs, IPs and VIPs) and each packet, -n rounds,
alternating within a round:

  * by hand: ``ovsdb-server`` on a private copy of the whole sb.db, then
    ``ovn-trace --db=unix:… --detailed --ct=new … DATAPATH MICROFLOW``, then the
    server stopped (what the issue measured: 23.8 s, ~2.9 GB);
  * ``ovnparse trace --sb sb.db --raw -v --ct=new … DATAPATH MICROFLOW`` (served
    only the datapaths the trace runs in; ``--whole-db`` too with --whole-db).

The packets: ``same-node`` (a pod to a pod of the next namespace on its node,
tcp/8080, allowed by the egress policy ``allow-egress-to-<next>``), ``other-node``
(the same to a pod on the next node: switch, ovn_cluster_router, switch),
``service`` (to a ClusterIP VIP of the next namespace, the backend chosen with
--lb-dst: ovn-trace picks one at random otherwise), ``pod-external`` (the pod to
8.8.8.8: dropped by its namespace's egress default deny, every pod has one),
``external`` (the node's management port ``k8s-<node>`` to 8.8.8.8: no route out
of ovn_cluster_router) and ``policy-drop`` (to a pod three namespaces on: dropped
by the source namespace's egress default deny).  Every packet is a
new connection (--ct=new for each ct_next).

Wall time: spawn to exit.  Memory: the peak, over the run, of the summed RSS of
the process and every process it started (its descendants, and the detached
ovsdb-servers: by pid, from ``-v``; for the by-hand run, the server it
started), sampled every 10 ms; and the largest single process's own peak
(VmHWM).  Medians of the -n rounds.  ovn-trace's output by ``ovnparse trace
--raw`` is compared byte for byte with the by-hand one of the same round.

Runs at nice 10; every server it starts is stopped by pid, also on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "samples"))

OVNPARSE = [sys.executable, "-c",
            "import sys; from ovnparse.cli import main; sys.exit(main(sys.argv[1:]))"]
CT = ["--ct=new"] * 6


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVN_", "OVS_"))}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")
    return env


# ------------------------------------------------------------------ packets
def packets(db_dir: Path) -> dict[str, tuple[str, str, list[str]]]:
    """{name: (datapath, microflow, ovn-trace options)} on the topology of
    DIR/counts.json's args."""
    from make_scale_db import APPS, POD_PORT, build_model
    from topology import ip_to_mac
    args = argparse.Namespace(**json.loads((db_dir / "counts.json").read_text())["args"])
    model = build_model(args)
    nss = model["namespaces"]
    # allowed: egress allow-egress-to-<next> (tcp/8080), ingress allow-from-<prev> (app web);
    # a source pod whose next namespace has a web pod on its node and one on another node
    for k in range(1, len(nss) - 3):
        nxt = nss[k + 1]
        webs = [p for p in model["by_ns"][nxt] if p["app"] == APPS[0]]
        src = next((p for p in model["by_ns"][nss[k]]
                    if any(w["node_index"] == p["node_index"] for w in webs)
                    and any(w["node_index"] != p["node_index"] for w in webs)), None)
        if src is not None:
            break
    else:
        raise SystemExit("no pod with a web pod of the next namespace on its node")
    same = next(w for w in webs if w["node_index"] == src["node_index"])
    other = next(w for w in webs if w["node_index"] != src["node_index"])
    far = model["by_ns"][nss[k + 3]][0]  # no policy lets the source reach it
    svc = next(s for s in model["services"] if s["ns"] == nxt)

    def flow(dst_mac, dst_ip, port):
        return (f'inport == "{src["lsp"]}" && eth.src == {src["mac"]} && eth.dst == {dst_mac} '
                f"&& ip4.src == {src['ip4']} && ip4.dst == {dst_ip} && ip.ttl == 64 && tcp "
                f"&& tcp.src == 33000 && tcp.dst == {port}")

    gw = ip_to_mac(f"10.244.{src['node_index']}.1")
    node = src["node"]
    # every pod is under an egress default deny: the node's management port (host
    # network, no policy) sends the packet that reaches ovn_cluster_router
    mgmt = f"10.244.{src['node_index']}.2"
    mgmt_flow = (f'inport == "k8s-{node}" && eth.src == {ip_to_mac(mgmt)} && eth.dst == {gw} '
                 f"&& ip4.src == {mgmt} && ip4.dst == 8.8.8.8 && ip.ttl == 64 && tcp "
                 "&& tcp.src == 33000 && tcp.dst == 443")
    # (without --lb-dst ovn-trace picks a backend at random: outputs would differ)
    backend = f"--lb-dst={svc['backends'][0]['ip4']}:{POD_PORT}"
    return {
        "same-node": (node, flow(same["mac"], same["ip4"], POD_PORT), []),
        "other-node": (node, flow(gw, other["ip4"], POD_PORT), []),
        "service": (node, flow(gw, svc["vip4"], svc["port"]), [backend]),
        "pod-external": (node, flow(gw, "8.8.8.8", 443), []),
        "external": (node, mgmt_flow, []),
        "policy-drop": (node, flow(far["mac"] if far["node"] == node else gw, far["ip4"],
                                   POD_PORT), []),
    }


# ------------------------------------------------------------------ memory
def _rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB, (0, 0) once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return 0, 0
    rss = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
    hwm = re.search(r"^VmHWM:\s+(\d+)", text, re.M)
    return (int(rss.group(1)) if rss else 0), (int(hwm.group(1)) if hwm else 0)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


class Memory(threading.Thread):
    """Polls a process tree (and pids added by hand) for the peak of its summed RSS."""

    def __init__(self, root: int | None = None):
        super().__init__(daemon=True)
        self.root = root
        self.extra: set[int] = set()
        self.peak_sum = 0
        self.peak_one = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids = set(self.extra)
            if self.root is not None:
                kids = _children()
                todo = [self.root]
                while todo:
                    p = todo.pop()
                    pids.add(p)
                    todo += kids.get(p, [])
            total = 0
            for p in pids:
                rss, hwm = _rss(p)
                total += rss
                self.peak_one = max(self.peak_one, hwm)
            self.peak_sum = max(self.peak_sum, total)
            self.done.wait(0.01)

    def stop(self) -> tuple[float, float]:
        self.done.set()
        self.join()
        return self.peak_sum / 1024, self.peak_one / 1024


# ------------------------------------------------------------------ the runs
def by_hand(sb: Path, scratch: Path, datapath: str, microflow: str, opts: list[str]) -> dict:
    """ovsdb-server on a copy of the whole file, ovn-trace, the server stopped."""
    d = Path(tempfile.mkdtemp(prefix="rpb-", dir=scratch))
    db = d / "sb.db"
    shutil.copyfile(sb, db)
    sock, pidfile = d / "sb.sock", d / "sb.pid"
    mem = Memory(os.getpid())  # this process's children: the server while it loads
    mem.start()
    start = time.perf_counter()
    pid = None
    try:
        subprocess.run(["ovsdb-server", "--detach", "--no-chdir", f"--pidfile={pidfile}",
                        f"--remote=punix:{sock}", f"--unixctl={d / 'sb.ctl'}", "-vconsole:off",
                        "-vsyslog:off", "-vfile:off", str(db)], check=True, timeout=600)
        pid = int(pidfile.read_text())
        mem.extra.add(pid)
        proc = subprocess.run(["ovn-trace", f"--db=unix:{sock}", "--detailed", *CT, *opts,
                               "--", datapath, microflow], capture_output=True, timeout=1800)
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            while os.path.exists(f"/proc/{pid}"):
                time.sleep(0.005)
        wall = time.perf_counter() - start
        peak_sum, peak_one = mem.stop()
        shutil.rmtree(d, ignore_errors=True)
    # (this process's own RSS is in the tree: take it out)
    own = _rss(os.getpid())[0] / 1024
    return {"seconds": wall, "rss_mib": peak_sum - own, "one_mib": peak_one,
            "rc": proc.returncode, "out": proc.stdout, "err": proc.stderr}


def ovnparse(sb: Path, scratch: Path, datapath: str, microflow: str, opts: list[str],
             whole: bool) -> dict:
    argv = [*OVNPARSE, "trace", "--sb", str(sb), "--raw", "-v", "--timeout", "1800", *CT,
            *opts, *(["--whole-db"] if whole else []), datapath, microflow]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=child_env(), cwd=str(scratch))
    mem = Memory(proc.pid)
    mem.start()
    err_lines: list[bytes] = []

    def read_err():
        for line in proc.stderr:
            err_lines.append(line)
            m = re.search(rb"started ovsdb-server \(\w+\) pid (\d+)", line)
            if m:
                mem.extra.add(int(m.group(1)))

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    out = proc.stdout.read()
    proc.wait()
    wall = time.perf_counter() - start
    reader.join()
    peak_sum, peak_one = mem.stop()
    return {"seconds": wall, "rss_mib": peak_sum, "one_mib": peak_one, "rc": proc.returncode,
            "out": out, "err": b"".join(err_lines)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path,
                    default=[Path("/tmp/ovnparse-scale-20k"), Path("/tmp/ovnparse-scale")])
    ap.add_argument("-n", type=int, default=3, help="rounds (median; default 3)")
    ap.add_argument("--packets", help="comma-separated packet names (default: all)")
    ap.add_argument("--whole-db", action="store_true",
                    help="also time `ovnparse trace --whole-db`")
    args = ap.parse_args(argv)
    os.nice(10)
    print(f"Python {sys.version.split()[0]}; median of {args.n} rounds, interleaved")
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="rpbench-"))
    try:
        for db_dir in args.dirs:
            sb = db_dir / "sb.db"
            counts = json.loads((db_dir / "counts.json").read_text())
            print(f"\n== {db_dir}: {counts.get('sb_Logical_Flow')} logical flows, "
                  f"{counts.get('sb_Datapath_Binding')} datapaths, sb.db "
                  f"{sb.stat().st_size / 1e6:.1f} MB")
            todo = packets(db_dir)
            if args.packets:
                todo = {k: v for k, v in todo.items() if k in args.packets.split(",")}
            for name, (dp, flow, opts) in todo.items():
                runs: dict[str, list[dict]] = {"by hand (whole db)": [], "ovnparse trace": []}
                if args.whole_db:
                    runs["ovnparse --whole-db"] = []
                for _ in range(args.n):
                    hand = by_hand(sb, scratch, dp, flow, opts)
                    assert hand["rc"] == 0, hand["err"][-2000:]
                    runs["by hand (whole db)"].append(hand)
                    for label, whole in (("ovnparse trace", False),
                                         ("ovnparse --whole-db", True)):
                        if label not in runs:
                            continue
                        r = ovnparse(sb, scratch, dp, flow, opts, whole)
                        assert r["rc"] in (0, 1), r["err"][-2000:]
                        r["identical"] = r["out"].startswith(hand["out"] + b"\n")
                        runs[label].append(r)
                verdict = re.search(rb"verdict:\s+(\w+)", runs["ovnparse trace"][-1]["out"])
                steps = runs["ovnparse trace"][-1]["err"].count(b"ovnparse: serving ")
                served = re.findall(rb"serving (\d+) of (\d+) datapaths.*?: (\d+) of (\d+) "
                                    rb"logical flows", runs["ovnparse trace"][-1]["err"])
                print(f"\n-- {name}: {' '.join(opts)} {dp} | {flow}")
                print(f"   verdict {verdict.group(1).decode() if verdict else '?'}; ovnparse "
                      f"ran ovn-trace {steps} time(s), on "
                      + ", ".join(f"{a.decode()} datapaths/{c.decode()} flows"
                                  for a, _, c, _ in served))
                timeline = [ln.split("ovnparse: ", 1)[1] for ln in
                             runs["ovnparse trace"][-1]["err"].decode().splitlines()
                             if re.search(r"^ovnparse: (read|serving|ovn-trace done)", ln)]
                print("   ovnparse -v (last round): " + "; ".join(
                    re.sub(r"\(([\d.]+ s)\)$", r"at \1", t) for t in timeline))
                base = None
                for label, rs in runs.items():
                    sec = statistics.median(r["seconds"] for r in rs)
                    mib = statistics.median(r["rss_mib"] for r in rs)
                    one = statistics.median(r["one_mib"] for r in rs)
                    if base is None:
                        base = (sec, mib)
                        same = ""
                    else:
                        same = f"  identical {all(r['identical'] for r in rs)}"
                    print(f"   {label:22s} {sec:7.2f} s  {mib:8.1f} MiB (largest process "
                          f"{one:7.1f} MiB)  time {sec / base[0]:.3f}  memory "
                          f"{mib / base[1]:.3f}{same}")
                    rows.append((db_dir.name, name, label, sec, mib))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
