"""Offline ovnkube-trace: how long the replays of issue 13 take (run by hand).

    python3 benchmarks/replay_offline.py [--copies N]

1. `ovnparse trace` by names on samples/db/base (host ovn-trace): a pod-to-pod run
   (two ovn-trace runs) and a Service run (three), wall time of the command;
2. `explain --replay` of every --minimal/--summary sample of samples/db/base in one
   file (one ovn-trace --detailed per trace);
3. the OpenFlow side (needs the Debian 13 root): loading samples/ovn-25.03 base's
   br-int dump into a private dummy ovs-vswitchd, and one ofproto/trace; then, for
   scale, the same dump with its flows copied N times into other OpenFlow tables'
   worth of metadata values (synthetic: every copy of a flow matches
   `metadata=<its value + k*0x1000>`; the copies are never hit, they only make the
   switch load and check N times the flows).
Best of three for 1 and 2; one run for 3.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "samples"


def _cli(*argv: str) -> float:
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "ovnparse.cli", *argv], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    return time.monotonic() - t0


def _best(f, n: int = 3) -> float:
    return min(f() for _ in range(n))


def names() -> None:
    db = ["--nb", str(SAMPLES / "db/base/nb.db"), "--sb", str(SAMPLES / "db/base/sb.db")]
    t = _best(lambda: _cli("trace", *db, "--src", "prod/test-6459", "--dst", "prod/api-0",
                           "--tcp", "--dst-port", "8080"))
    print(f"trace by names, pod to pod (2 ovn-trace runs):   {t:6.2f} s")
    t = _best(lambda: _cli("trace", *db, "--src", "prod/test-6459", "--service",
                           "default/web", "--tcp"))
    print(f"trace by names, to a Service (3 ovn-trace runs): {t:6.2f} s")


def replay_short() -> None:
    m = json.loads((SAMPLES / "manifest.json").read_text())
    parts, n = [], 0
    for s in m["scenarios"]:
        if s["db_state"] != "base":
            continue
        for c in s["commands"]:
            if c["tool"] == "ovn-trace" and c["form"] in ("minimal", "summary") \
                    and not c.get("ovs"):
                argv = [a for a in c["argv"] if not a.startswith(("--db", "unix:"))]
                parts.append("$ " + shlex.join(argv) + "\n" + (SAMPLES / c["file"]).read_text())
                n += 1
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write("".join(parts))
        f.flush()
        t = _best(lambda: _cli("explain", "--replay", "--sb", str(SAMPLES / "db/base/sb.db"),
                               f.name))
    print(f"explain --replay, {n} short traces:              {t:6.2f} s "
          f"({t / n * 1000:.0f} ms a trace)")


def openflow(copies: int) -> None:
    from ovnparse.replay.openflow import Dumps, OpenFlowReplay, flow_lines
    from ovnparse.sandbox import debian_root
    root = debian_root("trixie")
    if root is None:
        print("openflow: no Debian 13 root (tools/build-debian-root trixie): skipped")
        return
    base = SAMPLES / "ovn-25.03/db/base/ovs"
    flows = base / "br-int.dump-flows.of15.txt"

    def dumps(path: Path) -> Dumps:
        return Dumps(flows=str(path), groups=str(base / "br-int.dump-groups.of15.txt"),
                     meters=str(base / "br-int.dump-meters.of15.txt"),
                     tlv=str(base / "br-int.dump-tlv-map.txt"), conf_db=str(base / "conf.db"),
                     dpif_show=str(base / "dpif-show.txt"))

    flow = ("in_port=4,tcp,dl_src=0a:58:0a:f4:01:04,dl_dst=0a:58:0a:f4:01:03,"
            "nw_src=10.244.1.4,nw_dst=10.244.1.3,nw_ttl=64,tcp_src=33000,tcp_dst=80")
    for n in (1, copies):
        path = flows
        if n > 1:
            lines = flow_lines(flows.read_text())
            out = []
            for k in range(n):
                for ln in lines:
                    if k and "metadata=0x" in ln:
                        ln = re.sub(r"metadata=0x([0-9a-f]+)",
                                    lambda m, k=k: f"metadata={hex(int(m[1], 16) + k * 0x1000)}",
                                    ln)
                    elif k:
                        continue  # (a flow without metadata cannot be copied apart)
                    out.append(" " + ln)
            tmp = Path(tempfile.mkdtemp()) / "flows.txt"
            tmp.write_text("OFPST_FLOW reply (OF1.5) (xid=0x2):\n" + "\n".join(out) + "\n")
            path = tmp
        t0 = time.monotonic()
        with OpenFlowReplay(dumps(path), root=root) as sw:
            loaded = time.monotonic() - t0
            t1 = time.monotonic()
            sw.trace(flow, ["trk,new"] * 6)
            traced = time.monotonic() - t1
            count = sw.loaded
        print(f"OpenFlow replay: {count:7d} flows loaded and checked in {loaded:6.2f} s, "
              f"one ofproto/trace {traced * 1000:.0f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=50)
    args = ap.parse_args()
    names()
    replay_short()
    openflow(args.copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
