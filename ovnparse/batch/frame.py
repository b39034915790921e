"""`ovnparse.frame()`: many saved traces as one pandas DataFrame.

One row per trace, flat columns (records.FLAT_COLUMNS; README "frame()"),
nullable dtypes (`Int64`, `string`); an input that could not be read is a
row with `error` set (errors="collect") or an exception (errors="raise").
`stages=True`: one row per step, views/frame.py's columns with `source`,
`first_line` (the trace's) in front.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..errors import DatabaseError, InputError, Problem
from ..model import Trace as ModelTrace
from .inputs import expand
from .records import FLAT_COLUMNS, FLAT_INTS, STATUS_DATABASE, flat
from .run import Work, records


def frame(sources: Any, db: Any = None, *, stages: bool = False, jobs: int | None = None,
          client: Any = None, progress: bool | None = None, errors: str = "collect"):
    """Every trace of `sources` (paths, globs, directories, archives, or Trace objects;
    one or a list) as a DataFrame; `db`: a Databases (open_databases), "auto" (found in
    the sources' trees: must-gather, sosreport) or None."""
    import pandas as pd

    from ..views.frame import COLUMNS, DTYPES
    from .progress import Progress
    if errors not in ("collect", "raise"):
        raise ValueError(f"errors={errors!r}: 'collect' or 'raise'")
    if isinstance(sources, (str, os.PathLike, ModelTrace)):
        sources = [sources]
    sources = list(sources)
    paths = [os.fspath(s) for s in sources if isinstance(s, (str, os.PathLike))]
    spec, dbs, close = _databases(db, paths, client is not None)
    work = Work("explain", steps=stages, databases=spec)
    bar = Progress(enabled=progress is not False, stream=None) if progress is not False \
        else None
    rows: list[dict] = []
    try:
        for record in records(_items(sources), work, dbs=dbs, jobs=jobs, client=client):
            if bar is not None:
                bar.update(record)
            if record.get("_status") is not None and errors == "raise":
                _raise(record)
            row = flat(record)
            if not stages:
                rows.append(row)
                continue
            for step in record.get("_steps") or [{}]:  # (an error: one row with `error`)
                rows.append({"source": row["source"], "first_line": row["first_line"],
                             **{c: step.get(c) for c in COLUMNS}, "error": row["error"]})
    finally:
        if bar is not None:
            bar.close()
        if close and dbs is not None:
            dbs.close()
    if not stages:
        out = pd.DataFrame.from_records(rows, columns=FLAT_COLUMNS)
        return out.astype({c: "Int64" if c in FLAT_INTS else "string" for c in FLAT_COLUMNS})
    columns = ["source", "first_line", *COLUMNS, "error"]
    out = pd.DataFrame.from_records(rows, columns=columns)
    return out.astype({"source": "string", "first_line": "Int64", "error": "string", **DTYPES})


def _items(sources: list) -> Iterator[Any]:
    for s in sources:
        if isinstance(s, (str, os.PathLike)):
            yield from expand([s])
        elif isinstance(s, ModelTrace):
            yield s
        else:
            raise TypeError(f"frame(): a source is a path or a Trace, not {type(s).__name__}")


def _databases(db: Any, paths: list[str], distributed: bool):
    """(DbSpec, opened DbChoice, whether frame() closes it)."""
    from .databases import DbChoice, DbSpec, spec_from
    if db is None:
        return None, None, False
    if isinstance(db, str):
        if db != "auto":
            raise ValueError(f"db={db!r}: a Databases, 'auto' or None")
        spec = spec_from("auto", "auto", paths)
        assert spec is not None  # (auto: found, or DatabaseError)
        return spec, (None if distributed else spec.open()), True
    names = getattr(db, "names", {})
    spec = DbSpec((("", names.get("nb"), names.get("sb")),), names.get("openflow"))
    return spec, DbChoice([("", db)]), False


def _raise(record: dict) -> None:
    src = record["source"]
    name = src["file"] + (f"!{src['member']}" if src.get("member") is not None else "")
    err = record["error"]
    problem = Problem(name, err.get("line") or 0, err["message"])
    if record["_status"] == STATUS_DATABASE:
        raise DatabaseError(name, err["message"])
    raise InputError(problem)

