"""The real ovn-detrace against ``ovnparse detrace`` at production scale.  Run by hand:

    python3 benchmarks/make_scale_db.py            # once: builds /tmp/ovnparse-scale
    python3 benchmarks/detrace.py [DIR] [-n 3] [--profile]

On DIR (default /tmp/ovnparse-scale: nb.db, sb.db, sb-uncompacted.db,
sb-clustered.db, ofproto-trace.txt) it starts ovsdb-servers serving private
copies of nb.db and sb.db (``OvnSandbox.serve_files``) and runs, -n rounds,
alternating within each round, on the same trace:

  * the real ``ovn-detrace --ovnnb=unix:… --ovnsb=unix:…`` (what the issue
    measured: 34.5 s and 1.2 GB);
  * ``ovnparse detrace --ovnnb nb.db --ovnsb SB`` for SB = the compacted,
    the uncompacted and the clustered Southbound file;
  * ``ovnparse detrace`` against the same live servers (``unix:`` remotes).

Each run is a fresh child process; its wall time is taken from spawn to exit
and its peak RSS is the child's own ``ru_maxrss`` (``os.wait4``).  ovnparse
runs as ``python -c 'from ovnparse.cli import main…'`` so that no
console-script shim is timed.  Every output is compared byte for byte with
ovn-detrace's output of the same round.  Figures: best of the -n rounds.

Targets (issue 4, item 7): from a compacted saved file ≥ 20× faster than
ovn-detrace and ≤ 1/4 of its peak memory; live ≥ 5× faster; identical output.
``--profile`` also runs ``ovnparse detrace`` on the compacted file once under
cProfile and once with ``-X importtime`` and prints where the time goes.

Runs at nice 10; the servers are stopped by pid at the end, also on errors.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ovnparse.sandbox import OvnSandbox  # noqa: E402

OVNPARSE = [sys.executable, "-c",
            "import sys; from ovnparse.cli import main; sys.exit(main(sys.argv[1:]))"]


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVN_", "OVS_"))}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def measure(argv: list[str], trace: Path, scratch: Path, timeout: float = 1800) -> dict:
    """Run *argv* < trace; wall time, the child's peak RSS, its stdout/stderr."""
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with open(trace, "rb") as fin, open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, env=child_env(),
                                cwd=str(scratch))
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": wall, "rss_mib": usage.ru_maxrss / 1024, "rc": proc.returncode,
            "out": out_path.read_bytes(), "err": err_path.read_bytes()}


def supports_detrace() -> tuple[bool, str]:
    p = subprocess.run([*OVNPARSE, "detrace", "--help"], capture_output=True, text=True,
                       env=child_env())
    return p.returncode == 0, (p.stdout + p.stderr)


def profile(argv_tail: list[str], trace: Path, scratch: Path) -> None:
    prof = scratch / "detrace.prof"
    driver = scratch / "driver.py"
    driver.write_text("import sys\nfrom ovnparse.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    with open(trace, "rb") as fin:
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), str(driver),
                        *argv_tail], stdin=fin, stdout=subprocess.DEVNULL, env=child_env())
    import pstats
    print("\ncProfile of ovnparse detrace (compacted file), top 25 by cumulative time:")
    pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)
    print("cProfile, top 15 by own time:")
    pstats.Stats(str(prof)).sort_stats("tottime").print_stats(15)
    with open(trace, "rb") as fin:
        p = subprocess.run([sys.executable, "-X", "importtime", *OVNPARSE[1:], *argv_tail],
                           stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, env=child_env())
    rows = []
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), len(m.group(3)), m.group(4)))
    top = [r for r in rows if r[1] <= 3]
    print(f"-X importtime: {sum(r[0] for r in rows if r[1] == 1) / 1e6:.3f} s of top-level "
          "imports; the biggest:")
    for cum, _, name in sorted(top, reverse=True)[:12]:
        print(f"  {cum / 1e6:7.3f} s  {name}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", nargs="?", default="/tmp/ovnparse-scale")
    ap.add_argument("-n", "--rounds", type=int, default=3)
    ap.add_argument("--no-live", action="store_true", help="skip ovnparse against the servers")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--attempts", type=int, default=3,
                    help="tries of ovn-detrace when its initial sync times out")
    args = ap.parse_args(argv)
    # SIGTERM ends like Ctrl-C: the finally below stops the servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.nice(10)
    d = Path(args.dir)
    trace = d / "ofproto-trace.txt"
    files = {"compacted": d / "sb.db", "uncompacted": d / "sb-uncompacted.db",
             "clustered": d / "sb-clustered.db"}
    for f in [d / "nb.db", trace, *files.values()]:
        if not f.exists():
            sys.exit(f"{f} is missing: run benchmarks/make_scale_db.py first")
    ok, help_text = supports_detrace()
    if not ok:
        print("ovnparse detrace is not available yet:\n" + help_text.strip())
    cookies = len(set(re.findall(r"cookie (0x[0-9a-f]+)", trace.read_text())) - {"0x0"})
    print(f"trace: {trace} ({trace.read_text().count(chr(10))} lines, {cookies} cookies); "
          + ", ".join(f"{k} {v.stat().st_size / 1e6:.1f} MB" for k, v in files.items())
          + f", nb.db {(d / 'nb.db').stat().st_size / 1e6:.1f} MB")
    scratch = Path(tempfile.mkdtemp(prefix="detrace-bench-"))
    box = None
    results: dict[str, list] = {}
    failures: dict[str, int] = {}
    try:
        box = OvnSandbox.serve_files(nb=d / "nb.db", sb=d / "sb.db")
        cases = {"ovn-detrace (live servers)": ["ovn-detrace", f"--ovnnb={box.nb_remote}",
                                                f"--ovnsb={box.sb_remote}"]}
        if ok:
            for name, sb in files.items():
                cases[f"ovnparse, {name} file"] = [*OVNPARSE, "detrace", "--ovnnb",
                                                   str(d / "nb.db"), "--ovnsb", str(sb)]
            if not args.no_live:
                cases["ovnparse, live servers"] = [*OVNPARSE, "detrace", "--ovnnb", box.nb_remote,
                                                   "--ovnsb", box.sb_remote]
        saved = (d / "ovn-detrace.txt").read_bytes() if (d / "ovn-detrace.txt").exists() else None
        for r in range(args.rounds):
            ref = saved
            for name, argv in cases.items():
                for attempt in range(1, args.attempts + 1):
                    m = measure(argv, trace, scratch)
                    # ovn-detrace gives its IDL 10 s for the initial sync ("Retry
                    # Timeout"): on a loaded machine that is not always enough
                    if m["rc"] == 0 or b"Retry Timeout" not in m["err"]:
                        break
                    print(f"round {r + 1}: {name}: 'Retry Timeout' after {m['seconds']:.1f} s "
                          f"(attempt {attempt})", flush=True)
                    failures[name] = failures.get(name, 0) + 1
                if ref is None and m["rc"] == 0:
                    ref = m["out"]
                m["identical"] = m["out"] == ref
                results.setdefault(name, []).append(m)
                print(f"round {r + 1}: {name:32s} {m['seconds']:7.2f} s {m['rss_mib']:8.1f} MiB"
                      f"  rc={m['rc']}  identical={m['identical']}"
                      + (f"  stderr: {m['err'].decode(errors='replace').strip()[-300:]}"
                         if m["rc"] else ""), flush=True)
        base = [m for m in results["ovn-detrace (live servers)"] if m["rc"] == 0]
        if not base:
            sys.exit("ovn-detrace never finished: no baseline")
        bt = min(m["seconds"] for m in base)
        bm = min(m["rss_mib"] for m in base)
        print(f"\nbest of {args.rounds} rounds; outputs compared with ovn-detrace.txt recorded by "
              f"make_scale_db.py ({'present' if saved else 'absent: with the first run'}); "
              f"ovn-detrace 'Retry Timeout' failures retried: {failures or 'none'}")
        print(f"{'':34s} {'wall':>8s} {'peak RSS':>10s} {'speed-up':>9s} {'memory':>7s}  identical")
        for name, ms in results.items():
            ok_ms = [m for m in ms if m["rc"] == 0] or ms
            t = min(m["seconds"] for m in ok_ms)
            rss = min(m["rss_mib"] for m in ok_ms)
            same = all(m["identical"] and m["rc"] == 0 for m in ms)
            print(f"{name:34s} {t:7.2f}s {rss:7.1f} MiB {bt / t:8.1f}x {rss / bm:7.2f}  {same}")
        if ok:
            print("\ntargets: compacted file >= 20x faster and <= 0.25 of the memory; live >= 5x; "
                  "identical output")
            c = results.get("ovnparse, compacted file")
            if c:
                t, rss = min(m["seconds"] for m in c), min(m["rss_mib"] for m in c)
                print(f"  compacted: {bt / t:.1f}x ({'met' if bt / t >= 20 else 'MISSED'}), "
                      f"memory {rss / bm:.2f} ({'met' if rss / bm <= 0.25 else 'MISSED'})")
            lv = results.get("ovnparse, live servers")
            if lv:
                t = min(m["seconds"] for m in lv)
                print(f"  live: {bt / t:.1f}x ({'met' if bt / t >= 5 else 'MISSED'})")
            print(f"  identical: {all(m['identical'] for ms in results.values() for m in ms)}")
        if ok and args.profile:
            profile(["detrace", "--ovnnb", str(d / "nb.db"), "--ovnsb", str(files["compacted"])],
                    trace, scratch)
    finally:
        if box is not None:
            box.stop()
        for f in scratch.iterdir():
            f.unlink()
        scratch.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
