"""Parse speed of two trees of ovnparse, interleaved in one session.  Run by hand:

    python benchmarks/parse_compare.py OLD [NEW] [--mb 5] [--rounds 5] [--format F ...]
                                       [--instructions]

OLD and NEW are commits (unpacked with `git archive` into a temporary folder)
or folders holding an ovnparse tree; NEW defaults to this working tree.  For
each format it builds one file from real outputs (as parse.py does, with
NEW's samples), then runs, round after round, one fresh interpreter per
tree that parses the file (api.parse, format detected) and reports the CPU
time of the parse (time.process_time: less noisy than wall time on a shared
machine, though still noisy there: use many rounds).  Best of the rounds per
tree: the two trees see the same noise.

--instructions: also count, once per tree, the instructions the parse
executes (valgrind's callgrind: a run with the parse minus one without), a
figure no other job on the machine changes.  Slow (valgrind runs Python
some 50 times slower): use a small --mb.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.parse import FORMATS, build, real_outputs  # noqa: E402

_CHILD = """
import sys, time
sys.path.insert(0, {tree!r})
from ovnparse import api
start = time.process_time()
n = sum(1 for _ in api.parse({path!r})) if {parse} else 0
print(time.process_time() - start, n)
"""


def tree_of(spec: str, tmp: Path) -> Path:
    """A folder with the tree: `spec` itself, or the commit it names unpacked."""
    if Path(spec).is_dir():
        return Path(spec).resolve()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", spec], capture_output=True,
                             check=True).stdout
    out = tmp / spec.replace("/", "_")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(out, filter="data")
    return out


def _child(tree: Path, path: Path, parse: bool = True) -> list[str]:
    return [sys.executable, "-c", _CHILD.format(tree=str(tree), path=str(path), parse=parse)]


def parse_time(tree: Path, path: Path) -> tuple[float, int]:
    out = subprocess.run(_child(tree, path), capture_output=True, text=True, check=True,
                         cwd=tree)
    seconds, traces = out.stdout.split()
    return float(seconds), int(traces)


def instructions(tree: Path, path: Path) -> int:
    """Instructions the parse of the file executes (callgrind)."""
    counts = []
    for parse in (False, True):
        out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                              *_child(tree, path, parse)],
                             capture_output=True, text=True, check=True, cwd=tree)
        counts.append(int(re.search(r"Collected : (\d+)", out.stderr).group(1)))
    return counts[1] - counts[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default=str(ROOT))
    ap.add_argument("--mb", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--format", choices=sorted(FORMATS), action="append",
                    help="only these formats (default: all)")
    ap.add_argument("--instructions", action="store_true",
                    help="also count the instructions of one parse per tree (valgrind)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": tree_of(args.old, Path(tmp)), "new": tree_of(args.new, Path(tmp))}
        print(f"Python {sys.version.split()[0]}; parse only, CPU time, best of {args.rounds} "
              f"interleaved runs, a fresh interpreter each\nold: {args.old}\nnew: {args.new}\n")
        # speed: new's speed over old's, by CPU time and by instructions executed
        head = f"{'format':15s} {'MB':>5s} {'old MB/s':>9s} {'new MB/s':>9s} {'speed':>6s}"
        if args.instructions:
            head += f" {'old Minstr/MB':>14s} {'new Minstr/MB':>14s} {'speed':>6s}"
        print(head)
        for kind in args.format or list(FORMATS):
            path = Path(tmp) / "input.txt"
            size = build(real_outputs(kind), args.mb, path)
            mb = size / 1e6
            best = {name: float("inf") for name in trees}
            counts = {}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    seconds, counts[name] = parse_time(tree, path)
                    best[name] = min(best[name], seconds)
            if counts["old"] != counts["new"]:
                print(f"{kind}: the trees read {counts['old']} and {counts['new']} traces")
            old, new = (mb / best[name] for name in ("old", "new"))
            row = f"{kind:15s} {mb:5.1f} {old:9.1f} {new:9.1f} {new / old:6.2f}"
            if args.instructions:
                old_i, new_i = (instructions(trees[name], path) / 1e6 / mb
                                for name in ("old", "new"))
                row += f" {old_i:14.0f} {new_i:14.0f} {old_i / new_i:6.2f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
