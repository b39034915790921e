"""The per-input work of a many-input run, and running it in order.

`records(inputs, work)` yields one dict per trace (and one error entry per
input that could not be read), in input order whatever the parallelism:

- one process: a trace at a time (memory stays flat over a file of any size);
- `jobs=N`: a pool of N forked processes; the databases are opened and
  indexed once, in this process, before the fork, so every worker reads the
  same index (copy-on-write), none re-reads the files;
- `client=`: a dask.distributed Client; each worker process opens the
  databases once (from their names) and keeps them for every task.

Work is sent in batches of inputs (`BATCH`), at most a few batches ahead of
the one being written, so memory stays bounded and the output order is the
input order.  Keys of a record that start with `_` are for the writers
(`_status`: the exit status an error entry carries; `_text`, `_graph`,
`_steps`: what a form asked for) and never printed.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import DatabaseError, InputError, Problem
from .inputs import Input
from .records import (
    STATUS_DATABASE,
    STATUS_INPUT,
    STATUS_INTERNAL,
    error_entry,
    packet,
    resolve_inport,
    source_dict,
)

BATCH = 8  # inputs a task holds
AHEAD = 4  # tasks in flight per worker

#: messages of inputs that are simply not trace text (skipped when found by walking)
_NOT_TRACES = ("not a known trace format", "no text", "binary data")


@dataclass
class Work:
    """What to do with each trace (picklable: it travels to dask workers)."""

    command: str = "explain"  # explain | parse
    format: str | None = None  # --format
    text: bool = False  # render the text view (`_text`)
    graph: bool = False  # the trace's datapath path graph (`_graph`, report)
    steps: bool = False  # the steps' rows (`_steps`: report cards, stages frames)
    databases: Any = None  # a DbSpec (batch/databases.py), or None
    extra: dict = field(default_factory=dict)


def process(inp: Any, work: Work, dbs: Any = None) -> Iterator[dict]:
    """The records of one input (an Input, or a Trace already parsed); `dbs`: the
    opened DbSpec (a DbChoice)."""
    if not isinstance(inp, Input):
        from ..face import Trace
        from ..views import text as text_view
        # (the caller's trace: enriched on a copy, never changed)
        trace = Trace.of(inp.plain(deep=True) if isinstance(inp, Trace) else copy.deepcopy(inp))
        yield _record(trace, Input(inp.source), work, dbs, text_view)
        return
    if inp.error is not None:
        yield error_entry(inp.file, inp.member, inp.error, STATUS_INPUT)
        return
    from .. import api
    from ..views import text as text_view
    n = 0
    try:
        stream = inp.open()
        try:
            for trace in api.parse_stream(stream, inp.name, work.format):
                n += 1
                yield _record(trace, inp, work, dbs, text_view)
        finally:
            stream.close()
    except InputError as exc:
        p = exc.problem
        if inp.walked and n == 0 and p.message.startswith(_NOT_TRACES):
            return  # (a must-gather's YAML, a database file: not a trace)
        yield error_entry(inp.file, inp.member, p, STATUS_INPUT)
    except DatabaseError as exc:
        yield error_entry(inp.file, inp.member, Problem(inp.name, 0, str(exc)), STATUS_DATABASE)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # (a bug: said in the entry, the run goes on)
        if os.environ.get("OVNPARSE_DEBUG", "") not in ("", "0"):
            raise  # (cli.main prints the traceback)
        yield error_entry(inp.file, inp.member,
                          Problem(inp.name, 0, f"internal error: {type(exc).__name__}: {exc} "
                                  "(a bug: run again with --debug or OVNPARSE_DEBUG=1 for the "
                                  "traceback, and report it)"),
                          STATUS_INTERNAL)


def _record(trace, inp: Input, work: Work, dbs, text_view) -> dict:
    db, names = dbs.choose(trace, inp) if dbs is not None else (None, None)
    src = source_dict(inp.file if inp.file != "-" else "<stdin>", inp.member,
                      [trace.first_line, trace.last_line], names)
    if work.command == "parse":
        out = trace.to_dict()
        out["source"] = src
        out["packet"] = packet(trace.microflow)
        return out
    if db is None:
        used, ex = trace, trace.explain()
    else:  # (enriched in place: the trace is not used again; no copy)
        from ..api import explain
        used, ex = trace, explain(trace, db)
    out = ex.to_dict()
    out["source"] = src
    pkt = packet(trace.microflow)
    resolve_inport(pkt, ex.datapaths, db)
    out["packet"] = pkt
    out["error"] = None
    if work.text:
        out["_text"] = text_view.render([ex])
    if work.graph:
        from ..views.graph import build_path
        out["_graph"] = build_path(used, ex, "datapath").to_networkx()
    if work.steps:
        from ..analysis.steps import step_record, step_rows
        drop_line = ex.drop.line if ex.drop is not None else None
        out["_steps"] = [step_record(r, drop_line) for r in step_rows(used)]
    return out


def _batch(inputs: list[Input], work: Work, dbs: Any) -> list[dict]:
    out: list[dict] = []
    for inp in inputs:
        out.extend(process(inp, work, dbs))
    return out


# --- one process, a pool, a dask cluster -------------------------------------------------

def records(inputs: Iterable[Input], work: Work, *, dbs: Any = None, jobs: int | None = None,
            client: Any = None) -> Iterator[dict]:
    """Every record, in input order (see the module's text)."""
    if client is not None:
        yield from _dask(inputs, work, client)
    elif jobs and jobs > 1 and (dbs is None or dbs.forkable):
        yield from _pool(inputs, work, dbs, jobs)
    else:
        for inp in inputs:
            yield from process(inp, work, dbs)


_FORKED: tuple[Work, Any] | None = None  # (work, dbs) a forked worker inherits


def _forked_batch(inputs: list[Input]) -> list[dict]:
    assert _FORKED is not None
    work, dbs = _FORKED
    return _batch(inputs, work, dbs)


def _pool(inputs: Iterable[Input], work: Work, dbs: Any, jobs: int) -> Iterator[dict]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    global _FORKED
    if dbs is not None:
        dbs.prepare()  # (indexes built here, once: the workers inherit them)
    _FORKED = (work, dbs)
    import gc
    gc.collect()
    gc.freeze()  # (the workers' collector then leaves the shared objects' pages unwritten)
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            yield from _ordered(lambda batch: pool.submit(_forked_batch, batch),
                                inputs, jobs * AHEAD)
    finally:
        _FORKED = None
        gc.unfreeze()


_WORKER_DBS: dict[Any, Any] = {}  # on a dask worker: DbSpec -> its opened DbChoice


def _dask_batch(inputs: list[Input], work: Work) -> list[dict]:
    dbs = None
    if work.databases is not None:
        dbs = _WORKER_DBS.get(work.databases)
        if dbs is None:
            dbs = _WORKER_DBS[work.databases] = work.databases.open()
    return _batch(inputs, work, dbs)


def _dask(inputs: Iterable[Input], work: Work, client: Any) -> Iterator[dict]:
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    yield from _ordered(lambda batch: client.submit(_dask_batch, batch, work, pure=False),
                        inputs, workers * AHEAD)


def _ordered(submit, inputs: Iterable[Input], window: int) -> Iterator[dict]:
    """Submit batches of inputs, at most `window` in flight; yield results in order."""
    pending: deque = deque()
    it = iter(inputs)
    while True:
        while len(pending) < window:
            batch = list(itertools.islice(it, BATCH))
            if not batch:
                break
            pending.append(submit(batch))
        if not pending:
            return
        yield from pending.popleft().result()


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
