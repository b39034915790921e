"""Traces as pandas tables, for notebooks: one row per logical stage."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..model import Action, Node, Pipeline, Stage, Trace

STAGE_COLUMNS = ["trace", "line", "datapath", "pipeline", "table", "stage", "priority",
                 "match", "lflow", "actions", "no_match"]


def stages_frame(traces: Trace | Iterable[Trace]) -> pd.DataFrame:
    """Every logical stage of one or more traces, in printed order."""
    if isinstance(traces, Trace):
        traces = [traces]
    rows = []
    for n, trace in enumerate(traces):
        for pipeline, stage in _stages(trace.roots, None):
            rows.append({
                "trace": n, "line": stage.line,
                "datapath": pipeline.datapath if pipeline else None,
                "pipeline": pipeline.direction if pipeline else None,
                "table": stage.table, "stage": stage.stage, "priority": stage.priority,
                "match": stage.match, "lflow": stage.lflow,
                "actions": " ".join(c.text for c in stage.children if isinstance(c, Action)),
                "no_match": stage.no_match,
            })
    return pd.DataFrame(rows, columns=STAGE_COLUMNS)


def _stages(items: list[Node], pipeline: Pipeline | None):
    for node in items:
        if isinstance(node, Stage):
            yield pipeline, node
        yield from _stages(node.children, node if isinstance(node, Pipeline) else pipeline)
