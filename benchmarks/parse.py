"""Parser throughput and memory, beside a bare split loop.  Run by hand:

    python benchmarks/parse.py [--mb 50]

For each format it concatenates real tool outputs into one file of at least
--mb megabytes, then in this one run measures:
  * baseline: a bare Python loop that splits the same text into lines and
    words (str.splitlines + str.split), the floor any parser pays;
  * ovnparse: streaming parse of the file (api.parse), and parse + explain;
  * peak RSS of each in a fresh child process, for the file and for a file
    of a tenth of the size: flat memory means the two are about equal.
"""

from __future__ import annotations

import argparse
import glob
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# Real outputs per format: files under samples/ (printed by the real tools).
# ovnkube-trace cannot run here: its inputs are tests/fixtures/ovnkube/*.txt,
# real sample outputs framed as ovnkube-trace prints them (see that README).
FORMATS = {
    "ovn-trace": ["samples/*/ovn-trace*.txt"],
    "ofproto/trace": ["samples/*/ofproto-trace*.txt"],
    "ovn-detrace": ["samples/*/ovn-detrace*.txt"],
    "ovnkube-trace": ["tests/fixtures/ovnkube/*loglevel2*.txt"],
}


def real_outputs(kind: str) -> list[str]:
    """Texts of whole outputs of one format (each starts a new trace)."""
    texts = []
    for pattern in FORMATS[kind]:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            text = Path(path).read_text()
            if kind != "ovn-trace" or text.startswith("# "):  # ovn-trace: with its microflow line
                texts.append(text if text.endswith("\n") else text + "\n")
    return texts


def build(texts: list[str], mb: float, path: Path) -> int:
    target = int(mb * 1e6)
    size = 0
    with open(path, "w") as out:
        while size < target:
            for text in texts:
                out.write(text)
                size += len(text.encode())
    return size


def baseline(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    words = 0
    with open(path) as f:
        for line in f.read().splitlines():
            words += len(line.split())
    return time.perf_counter() - start, words


def run_ovnparse(path: Path, explain: bool) -> tuple[float, int]:
    from ovnparse import api
    start = time.perf_counter()
    n = 0
    for trace in api.parse(str(path)):
        if explain:
            api.explain(trace)
        n += 1
    return time.perf_counter() - start, n


def child_rss(mode: str, path: Path) -> int:
    """Peak RSS (kB) of a fresh interpreter doing one job on the file."""
    code = (
        "import sys, resource; sys.path.insert(0, %r)\n"
        "from benchmarks.parse import baseline, run_ovnparse\n"
        "from pathlib import Path\n"
        "p = Path(%r)\n"
        "baseline(p) if %r == 'baseline' else run_ovnparse(p, %r == 'explain')\n"
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    ) % (str(ROOT), str(path), mode, mode)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--format", choices=sorted(FORMATS), action="append",
                    help="only these formats (default: all)")
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}; best of three runs each, interleaved")
    for kind in args.format or list(FORMATS):
        bench(kind, args.mb)


def bench(kind: str, mb: float) -> None:
    texts = real_outputs(kind)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.txt", Path(tmp) / "small.txt"
        size = build(texts, mb, big)
        small_size = build(texts, mb / 10, small)
        print(f"\n== {kind}: {size / 1e6:.1f} MB from {len(texts)} outputs")
        t_base = t_parse = t_explain = float("inf")
        for _ in range(3):
            t_base = min(t_base, baseline(big)[0])
            t, n = run_ovnparse(big, explain=False)
            t_parse = min(t_parse, t)
            t_explain = min(t_explain, run_ovnparse(big, explain=True)[0])
        mbs = lambda t: size / 1e6 / t
        print(f"bare split loop     {mbs(t_base):7.1f} MB/s")
        print(f"ovnparse parse      {mbs(t_parse):7.1f} MB/s  ({n} traces, "
              f"{t_base / t_parse:.2f} of the loop; target >= 0.20)")
        print(f"parse + explain     {mbs(t_explain):7.1f} MB/s  ({t_base / t_explain:.2f} of the loop)")
        for mode in ("baseline", "parse", "explain"):
            print(f"peak RSS {mode:8s}  {child_rss(mode, small) / 1024:7.1f} MiB "
                  f"({small_size / 1e6:.0f} MB)  {child_rss(mode, big) / 1024:7.1f} MiB "
                  f"({size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
