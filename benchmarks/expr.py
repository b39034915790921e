"""Parse time of OVN match and action texts (ovnparse.expr).  Run by hand:

    python3 benchmarks/expr.py [SB.DB ...] [--repeat 3]

Reads every Logical_Flow of the given Southbound files (default: every
samples/**/sb.db), keeps the distinct match and actions texts, and prints:

  * the time to build the grammar (once per process, on the first parse);
  * the time per match and per actions text, with the result cache bypassed
    (every pass parses every text): the best of --repeat child processes,
    three passes each;
  * the same with pyparsing's packrat memoisation on (global to pyparsing,
    so ovnparse does not turn it on; this shows why).

Times are the process's CPU time (time.process_time), steadier than the wall
clock on a machine shared with other jobs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _texts(paths):
    from ovnparse.db import open_source
    matches, actions = set(), set()
    for path in paths:
        for row in open_source(path).rows("Logical_Flow", ["match", "actions"]).values():
            matches.add(row["match"])
            actions.add(row["actions"])
    return sorted(matches), sorted(actions)


def _best(parse, texts, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for text in texts:
            parse(text)
        best = min(best, time.process_time() - t0)
    return best / len(texts)


def measure(paths, repeat, packrat) -> dict:
    import pyparsing as pp

    from ovnparse.expr import grammar
    if packrat:
        pp.ParserElement.enable_packrat()
    matches, actions = _texts(paths)
    t0 = time.process_time()
    grammar.grammar()
    build = time.process_time() - t0
    # __wrapped__: past the lru_cache, so every pass parses.
    return {"build": build,
            "match": _best(grammar.parse_match.__wrapped__, matches, repeat),
            "actions": _best(grammar.parse_actions.__wrapped__, actions, repeat),
            "n_match": len(matches), "n_actions": len(actions),
            "chars_match": sum(map(len, matches)) / len(matches),
            "chars_actions": sum(map(len, actions)) / len(actions)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", choices=["off", "on"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    files = args.files or sorted((ROOT / "samples").glob("**/sb.db"))
    if args.child:
        print(json.dumps(measure(files, args.repeat, args.child == "on")))
        return
    print(f"Python {sys.version.split()[0]}; {len(files)} Southbound file(s); "
          f"best of {args.repeat} child processes each (3 passes in each), interleaved")
    # Packrat is process-wide, so each figure comes from a child of its own.
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for mode in ("off", "on"):
            out = subprocess.run([sys.executable, __file__, "--child", mode, "--repeat", "3",
                                  *map(str, files)], check=True, capture_output=True, text=True)
            r = json.loads(out.stdout)
            b = best.setdefault(mode, r)
            for key in ("build", "match", "actions"):
                b[key] = min(b[key], r[key])
    for mode, r in best.items():
        print(f"packrat {mode:3}: grammar built in {r['build'] * 1e3:.0f} ms")
        for kind in ("match", "actions"):
            t = r[kind]
            print(f"  {r['n_' + kind]:4} {kind:7} texts, "
                  f"{r['chars_' + kind]:3.0f} chars on average: "
                  f"{t * 1e6:5.0f} us each ({1 / t:,.0f}/s)")


if __name__ == "__main__":
    main()
