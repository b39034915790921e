"""Parse speed of two trees of ovnparse, interleaved in one session.  Run by hand:

    python benchmarks/parse_compare.py OLD [NEW] [--mb 10] [--rounds 3] [--format F ...]

OLD and NEW are commits (unpacked with `git archive` into a temporary folder)
or folders holding an ovnparse tree; NEW defaults to this working tree.  For
each format it builds one file from real outputs (as parse.py does, with
NEW's samples), then runs, round after round, one fresh interpreter per
tree that parses the file (api.parse, format detected) and reports the
parse time.  Best of the rounds per tree: the two trees see the same noise.
"""

from __future__ import annotations

import argparse
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
start = time.perf_counter()
n = sum(1 for _ in api.parse({path!r}))
print(time.perf_counter() - start, n)
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


def parse_time(tree: Path, path: Path) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", _CHILD.format(tree=str(tree), path=str(path))],
                         capture_output=True, text=True, check=True, cwd=tree)
    seconds, traces = out.stdout.split()
    return float(seconds), int(traces)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default=str(ROOT))
    ap.add_argument("--mb", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--format", choices=sorted(FORMATS), action="append",
                    help="only these formats (default: all)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": tree_of(args.old, Path(tmp)), "new": tree_of(args.new, Path(tmp))}
        print(f"Python {sys.version.split()[0]}; parse only, best of {args.rounds} "
              f"interleaved runs, a fresh interpreter each\nold: {args.old}\nnew: {args.new}\n")
        print(f"{'format':15s} {'MB':>5s} {'old MB/s':>9s} {'new MB/s':>9s} {'new/old':>8s}")
        for kind in args.format or list(FORMATS):
            path = Path(tmp) / "input.txt"
            size = build(real_outputs(kind), args.mb, path)
            best = {name: float("inf") for name in trees}
            counts = {}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    seconds, counts[name] = parse_time(tree, path)
                    best[name] = min(best[name], seconds)
            if counts["old"] != counts["new"]:
                print(f"{kind}: the trees read {counts['old']} and {counts['new']} traces")
            old, new = (size / 1e6 / best[name] for name in ("old", "new"))
            print(f"{kind:15s} {size / 1e6:5.1f} {old:9.1f} {new:9.1f} {new / old:8.2f}")


if __name__ == "__main__":
    main()
