"""Traces as pandas tables: one row per step, the same columns for every format.

The logical columns (`datapath, pipeline, table, stage, priority, match,
actions, lflow, acl`, as the JSON's `drop.*` names them) are filled for
ovn-trace's stages and, for OpenFlow traces, wherever ovn-detrace's notes or
the databases name the logical flow; the OpenFlow columns (`bridge,
recirc_pass, openflow_table, cookie`, `openflow_*`) for OpenFlow traces.
Flat values only, nullable dtypes (`Int64`, `boolean`, `string`): a missing
table is <NA>, never a float.  No column is named like a DataFrame method
(hence `dropped`, not `drop`).  `--summary` rows are its pipelines (it prints
no stages); `--minimal` prints neither and gives an empty frame.

This module is the one that imports pandas.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..analysis.explanation import Explanation
from ..analysis.steps import StepRow, step_record, step_rows
from ..model import Trace

INT_COLUMNS = ("step", "line", "table", "priority", "recirc_pass", "openflow_table",
               "openflow_priority")
BOOL_COLUMNS = ("no_match", "dropped")
COLUMNS = ["step", "line", "datapath", "pipeline", "table", "stage", "priority", "match",
           "actions", "lflow", "acl", "acl_action", "owner_kind", "owner_namespace",
           "owner_name", "lflow_uuid", "kind", "no_match", "dropped",
           "bridge", "recirc_pass", "openflow_table", "cookie", "openflow_priority",
           "openflow_match", "openflow_actions"]
DTYPES = {c: "Int64" if c in INT_COLUMNS else "boolean" if c in BOOL_COLUMNS else "string"
          for c in COLUMNS}


def rows_frame(rows: list[StepRow], explanation: Explanation | None = None) -> pd.DataFrame:
    """The rows (analysis/steps.py) as a frame; `explanation` marks the drop's step."""
    drop = explanation.drop if explanation is not None else None
    drop_line = drop.line if drop is not None else None
    records = [step_record(r, drop_line) for r in rows]
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    return frame.astype(DTYPES)


def stages_frame(traces: Trace | Iterable[Trace]) -> pd.DataFrame:
    """Every step of one or more traces, in printed order, with a `trace` column
    (the trace's position).  (Before 0.3: logical stages only.)"""
    from ..analysis import explain
    if isinstance(traces, Trace):
        traces = [traces]
    frames = []
    for n, trace in enumerate(traces):
        frame = rows_frame(step_rows(trace), explain(trace))
        frame.insert(0, "trace", pd.array([n] * len(frame), dtype="Int64"))
        frames.append(frame)
    if not frames:
        return rows_frame([]).assign(trace=pd.array([], dtype="Int64"))
    return pd.concat(frames, ignore_index=True)

