"""`ovnparse report SOURCES... [--nb --sb] -o report.html`: the incident report page.

Reads every trace of the sources as `explain` does (databases once, in input
order, --jobs/--dask) and writes views/report.py's self-contained page.
"""

from __future__ import annotations

import os
import sys

from ..errors import InputError, Problem
from . import database_kwargs, database_options


def add_arguments(p) -> None:
    from ..batch.command import add_run_options, add_sources
    from ..formats.registry import PARSERS
    add_sources(p)
    p.add_argument("--format", choices=sorted(PARSERS),
                   help="skip detection and read the text as this format")
    p.add_argument("--nb", metavar="DB", help="Northbound: a saved file, a live remote, "
                   "or auto (found in a must-gather or sosreport tree)")
    p.add_argument("--sb", metavar="DB", help="Southbound: as --nb")
    p.add_argument("--title", help="the page's title (default: the sources)")
    database_options(p)
    add_run_options(p, forms=None)


def run(args) -> int:
    from ..batch.command import Tally, open_run_databases, run_records
    from ..batch.run import Work
    from ..views.report import ReportBuilder
    if not args.out or not args.out.endswith((".html", ".htm")):
        raise InputError(Problem(args.out or "-o", 0, "the report is an HTML page",
                                 "-o FILE.html"))
    spec, dbs = open_run_databases(args, args.nb, args.sb, options=database_kwargs(args))
    work = Work("explain", args.format, graph=True, steps=True, databases=spec)
    title = args.title or "ovnparse report: " + " ".join(args.files)
    builder = ReportBuilder(title)
    tally = Tally()
    try:
        for record in run_records(args, work, dbs):
            tally.see(record, args.quiet)
            builder.add(record)
    finally:
        if dbs is not None:
            dbs.close()
    page = builder.html()
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, args.out)
    if not args.quiet:
        print(f"ovnparse: wrote {args.out} ({len(page.encode()) // 1024} kB, "
              f"{tally.traces} traces)", file=sys.stderr)
    return tally.finish(args.quiet)
