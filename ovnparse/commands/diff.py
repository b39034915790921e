"""`ovnparse diff`: two traces step by step; exit 0 when they are the same, 1 when not.

    ovnparse diff before.txt after.txt
    ovnparse diff --json ovn-trace.txt ofproto-trace.txt
    ovnparse diff --nb base/nb.db --sb base/sb.db --nb-b allow/nb.db --sb-b allow/sb.db A B

The first divergence (both lines), the steps only one has, the steps that
matched other flows, both verdicts and the causes it knows (analysis/diff.py).
`--trace N` compares the Nth trace of each file (default the first).
"""

from __future__ import annotations

import json
import sys

from ..errors import InputError, Problem
from . import database_kwargs, database_options


def add_arguments(p) -> None:
    p.description = ("Compare two traces step by step (two ovn-traces before and after a "
                     "change, or ovn-trace against ofproto/trace or ovn-detrace of the same "
                     "packet, joined through cookies).  Exit 0 when they are the same, 1 when "
                     "they differ.")
    p.add_argument("first", metavar="A", help="trace text, or - for stdin")
    p.add_argument("second", metavar="B", help="trace text")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--trace", type=int, default=1, metavar="N",
                   help="compare the Nth trace of each file (from 1; default 1)")
    p.add_argument("--nb", metavar="DB", help="Northbound database (of both, or of A)")
    p.add_argument("--sb", metavar="DB", help="Southbound database (of both, or of A)")
    p.add_argument("--nb-b", metavar="DB", help="Northbound database of B, if it differs")
    p.add_argument("--sb-b", metavar="DB", help="Southbound database of B, if it differs")
    database_options(p)


def run(args) -> int:
    from ..analysis.diff import diff
    from ..api import open_databases, parse
    if args.trace < 1:
        raise InputError(Problem("--trace", 0, f"no trace {args.trace}", "a number from 1"))
    db_a = db_b = None
    if args.nb or args.sb:
        db_a = db_b = open_databases(args.nb, args.sb, **database_kwargs(args))
    if args.nb_b or args.sb_b:
        db_b = open_databases(args.nb_b or args.nb, args.sb_b or args.sb,
                              **database_kwargs(args))
    traces = []
    for path in (args.first, args.second):
        trace = None
        for n, t in enumerate(parse(path), 1):
            if n == args.trace:
                trace = t
                break
        if trace is None:
            raise InputError(Problem(path, 0, f"no trace {args.trace}",
                                     f"at least {args.trace} trace(s)"))
        traces.append(trace)
    result = diff(traces[0], traces[1], db_a, db_b=db_b)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(str(result))
    return 0 if result.same else 1
