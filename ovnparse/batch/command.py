"""`ovnparse explain|parse|report SOURCES...`: the command-line side of a many-input run.

The options every such command takes (`add_options`), opening the databases
once (`open_run_databases`), and the loop that writes each record as it
comes and ends with the highest exit status met: 0, 1 (a verdict not the
one `--expect` asked for), 2 (an input that could not be read), 3 (a
database), 4 (an internal error in one input).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .databases import spec_from
from .inputs import expand
from .output import FORMS, writer
from .progress import Progress
from .run import Work, records

PARSE_FORMS = ("json", "jsonl")


def add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="SOURCE",
                   help="trace text files, directories (walked), quoted globs ('**' too), "
                        ".gz/.xz/.bz2 files, .tar[.gz|.xz|.bz2] or .zip archives, or - "
                        "for stdin")


def add_run_options(p: argparse.ArgumentParser, forms: tuple | None = FORMS) -> None:
    """--output (`forms`; None: no --output, -o names the one file written), -o, the
    parallelism and progress options."""
    g = p.add_argument_group("many inputs")
    if forms is not None:
        g.add_argument("--output", choices=forms, default=None,
                       help="the form of the output (default: "
                            f"{'text' if 'text' in forms else forms[0]})")
        g.add_argument("-o", "--out", metavar="PATH",
                       help="write here instead of stdout (parquet: FILE.parquet, or a "
                            "directory for a partitioned dataset)")
    else:
        g.add_argument("-o", "--out", metavar="FILE", required=True, help="the file written")
    g.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="parse in N processes (0: one per core); databases are read once")
    g.add_argument("--dask", metavar="ADDRESS",
                   help="run the per-file work on this dask.distributed scheduler")
    g.add_argument("--no-progress", action="store_true",
                   help="no progress bar (there is none when stderr is not a terminal)")
    g.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar, no warnings or counts on stderr (errors still)")


def open_run_databases(args, nb, sb, dump_flows=None, options: dict | None = None):
    """(DbSpec, opened DbChoice) for the run, or (None, None); `options`:
    open_databases()'s (commands.database_kwargs)."""
    spec = spec_from(nb, sb, args.files, dump_flows=dump_flows, options=options)
    if spec is None:
        return None, None
    if getattr(args, "dask", None):
        return spec, None  # (each dask worker opens them, once)
    dbs = spec.open()
    if not args.quiet:
        for warning in dbs.warnings:
            print(f"ovnparse: warning: {warning}", file=sys.stderr)
        if len(spec.pairs) > 1 or spec.pairs[0][0]:
            print(f"ovnparse: databases: {len(spec.pairs)} pairs "
                  f"({', '.join(label or 'leader' for label, _, _ in spec.pairs)})",
                  file=sys.stderr)
    return spec, dbs


def run_records(args, work: Work, dbs) -> Iterator[dict]:
    """The run's records, with progress on a terminal."""
    client = None
    if getattr(args, "dask", None):
        from .dask import connect
        client = connect(args.dask)
    jobs = args.jobs if "-" not in args.files else 1  # (stdin is read here, by one process)
    if jobs == 0:
        from .run import cpu_count
        jobs = cpu_count()
    if jobs > 1 and dbs is not None and not dbs.forkable and not args.quiet:
        print("ovnparse: note: live databases: one process (--jobs ignored)", file=sys.stderr)
    progress = Progress(enabled=not (args.no_progress or args.quiet))
    try:
        for record in records(expand(args.files), work, dbs=dbs, jobs=jobs, client=client):
            progress.update(record)
            yield record
    finally:
        progress.close()
        if client is not None:
            client.close()


class Tally:
    """What the run met: error entries by status, verdicts."""

    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.status = 0
        self.verdicts: Counter = Counter()
        self.traces = 0

    def see(self, record: dict, quiet: bool) -> None:
        status = record.get("_status")
        if status is not None:
            self.errors.append(record)
            self.status = max(self.status, status)
            err = record["error"]
            src = record["source"]
            name = src["file"] + (f"!{src['member']}" if src.get("member") is not None else "")
            where = f"{name}:{err['line']}" if err.get("line") else name
            print(f"ovnparse: {where}: {err['message']}", file=sys.stderr)
        else:
            self.traces += 1
            self.verdicts[record.get("verdict")] += 1

    def finish(self, quiet: bool) -> int:
        if self.errors and not quiet and (self.traces or len(self.errors) > 1):
            print(f"ovnparse: {len(self.errors)} input{'s' if len(self.errors) != 1 else ''} "
                  f"could not be read ({self.traces} traces read)", file=sys.stderr)
        return self.status


def run(args, work: Work, form: str, dbs, expect: str | None = None) -> int:
    """Write every record in `form`; the exit status."""
    out_stream: Any = None
    path = args.out
    if path and form != "parquet":
        out_stream = open(path, "w", encoding="utf-8", newline="")
    try:
        w = writer(form, out_stream, path)
        if form == "json" and work.command == "parse":
            w.indent = 1  # type: ignore[attr-defined]  # (parse's layout, as before)
        tally = Tally()
        mismatch = False
        for record in run_records(args, work, dbs):
            tally.see(record, args.quiet)
            if expect and record.get("_status") is None and record.get("verdict") != expect:
                mismatch = True
            w.write(record)
        w.close()
    finally:
        if out_stream is not None:
            out_stream.close()
    status = tally.finish(args.quiet)
    return max(status, 1 if mismatch else 0)
