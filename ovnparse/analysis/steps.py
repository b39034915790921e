"""A trace's table lookups as one flat list, the same fields for every format.

`step_rows(trace)` gives one `StepRow` per step in printed order: a logical
stage (ovn-trace) or an OpenFlow table (ofproto/trace, ovn-detrace), with the
logical side filled wherever the text, ovn-detrace's notes or the databases
(`Trace.resolved`, enrich/) name it, and the OpenFlow side for OpenFlow
traces.  `--summary` prints no stages: its pipelines stand in (kind
"pipeline"); `--minimal` prints neither and has no rows.

Each row also says how the packet got there: `previous`, the row before it
on the same branch (a fork, a flood or a bucket starts branches from the
step that made them; a conntrack recirculation continues from the step that
queued it), and `via`, what led from there (`ct_lb_mark`, `recirc(0x22)
ct_state=new|trk`, the port crossed into a pipeline).  Frames, graphs, cards
and diffs are all made from these rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..enrich.owners import acl_owner
from ..formats.detrace_rules import logical_flow, note_fields
from ..formats.ofproto.userdata import decode_controller
from ..lines import decimal
from ..model import (
    Action,
    Fork,
    Log,
    Modify,
    Node,
    OfAction,
    OfBridge,
    OfBucket,
    OfPass,
    OfTable,
    Owner,
    Pipeline,
    Resolution,
    Stage,
    Step,
    Trace,
)

#: the kinds of row
STAGE, OPENFLOW, PIPELINE = "stage", "openflow_table", "pipeline"

_LOG_NAME = re.compile(r'\blog\([^)]*\bname="((?:[^"\\]|\\.)*)"')
_LOG_VERDICT = re.compile(r"\blog\([^)]*\bverdict=(\w+)")
_CT_TABLE = re.compile(r"\bct\([^)]*\btable=(\d+)")
_METADATA = re.compile(r"(?:^|,)metadata=(0x[0-9a-fA-F]+|\d+)(?:,|$)")
_MEMBER = re.compile(r'"(.*)" \([^()]*\) \[(\w+)\]\Z')


@dataclass(slots=True)
class StepRow:
    """One step of a trace: where it is, what matched, what it names."""

    step: int  # position in printed order, from 0
    kind: str  # STAGE, OPENFLOW or PIPELINE
    line: int
    datapath: str | None = None
    pipeline: str | None = None  # ingress | egress
    table: int | None = None  # the logical table
    stage: str | None = None
    priority: int | None = None  # the logical flow's
    match: str | None = None  # the logical flow's
    actions: str | None = None  # the logical flow's
    lflow: str | None = None  # the logical flow's uuid prefix, 8 hex digits
    acl: str | None = None  # the ACL's name (databases, its log() or the trace's LOG line)
    acl_action: str | None = None  # drop, allow, ... (databases or its log's verdict)
    owner: Owner | None = None
    lflow_uuid: str | None = None  # with databases
    no_match: bool = False
    inport: str | None = None  # the logical pipeline's ports (ovn-trace)
    outport: str | None = None
    # OpenFlow
    bridge: str | None = None
    recirc_pass: int | None = None  # 0 for the first datapath pass, 1 after a recirculation...
    openflow_table: int | None = None
    cookie: str | None = None  # "0x" + 8 hex digits
    openflow_priority: int | None = None
    openflow_match: str | None = None
    openflow_actions: str | None = None
    # how the packet got here
    previous: int | None = None
    via: str | None = None
    node: Node | None = field(default=None, repr=False)
    resolution: Resolution | None = field(default=None, repr=False)

    @property
    def key(self) -> str | None:
        """What names the logical flow: its 8 hex digits (an lflow prefix or a cookie's)."""
        if self.lflow:
            return self.lflow
        if self.cookie:
            return self.cookie[2:]
        return None

    @property
    def metadata(self) -> str | None:
        """The OpenFlow `metadata` the step matches (the logical datapath's tunnel
        key), as hex; None for a logical stage or a table that matches none."""
        return _metadata_hex(self.openflow_match)

    def where(self) -> str:
        """'ovn-worker egress table 4 ls_out_acl', or the OpenFlow table."""
        logical = " ".join(x for x in (
            self.datapath, self.pipeline,
            f"table {self.table}" if self.table is not None else None, self.stage) if x)
        if self.openflow_table is not None:
            of = f"OpenFlow table {self.openflow_table}"
            return f"{logical} ({of})" if logical else of
        return logical or f"line {self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "line": self.line, "datapath": self.datapath,
                "pipeline": self.pipeline, "table": self.table, "stage": self.stage,
                "priority": self.priority, "match": self.match, "lflow": self.lflow,
                "acl": self.acl, "acl_action": self.acl_action,
                "owner": self.owner.to_dict() if self.owner else None,
                "openflow_table": self.openflow_table, "cookie": self.cookie}


@dataclass
class _Branch:
    """What the walk knows on one branch of the tree."""

    last: int | None = None  # the row before
    via: str | None = None  # what led from it, for the next row
    pipeline: Pipeline | None = None
    recirc_pass: int | None = None


def is_openflow(trace: Trace) -> bool:
    return trace.format.startswith(("ofproto/", "ovn-detrace"))


def step_rows(trace: Trace) -> list[StepRow]:
    """Every step of the trace, in printed order (see the module's doc)."""
    openflow = is_openflow(trace)
    has_steps = any(isinstance(n, Step) for n in trace.walk())
    names = StepNames([n for n in trace.walk() if isinstance(n, OfTable)]) if openflow else None
    rows: list[StepRow] = []
    pass_rows: dict[int, list[int]] = {}  # OpenFlow: root index of a pass -> its rows
    root_index = {id(r): i for i, r in enumerate(trace.roots)}
    current: list[int] = []
    stack: list[tuple[Any, _Branch]] = [(iter(trace.roots), _Branch())]
    while stack:
        items, branch = stack[-1]
        node = next(items, None)
        if node is None:
            stack.pop()
            continue
        if isinstance(node, Stage):
            _add(rows, branch, _stage_row(node, branch, trace.resolved))
            stack.append((iter(node.children), branch))
        elif isinstance(node, OfTable):
            _add(rows, branch, _openflow_row(node, branch, names, trace.resolved))
            current.append(rows[-1].step)
            stack.append((iter(node.children), branch))
        elif isinstance(node, Pipeline):
            sub = _Branch(branch.last, _pipeline_via(node), node, branch.recirc_pass)
            if not has_steps and node.datapath is not None:
                _add(rows, sub, _pipeline_row(node))
            stack.append((iter(node.children), sub))
        elif isinstance(node, Fork):
            stack.append((iter(node.children),
                          _Branch(branch.last, node.name, branch.pipeline, branch.recirc_pass)))
        elif isinstance(node, OfPass):
            current = pass_rows.setdefault(root_index.get(id(node), -1), [])
            last, via = None, None
            if node.queued_by in pass_rows:
                last = _queuing_row(rows, pass_rows[node.queued_by], node)
                via = f"recirc({node.recirc_id})" + (f" ct_state={node.ct_state}"
                                                     if node.ct_state else "")
            stack.append((iter(node.children), _Branch(last, via, None, len(pass_rows) - 1)))
        elif isinstance(node, OfBucket):
            stack.append((iter(node.children),
                          _Branch(branch.last, node.text, None, branch.recirc_pass)))
        elif isinstance(node, (OfBridge, OfAction)) and node.children:
            stack.append((iter(node.children), branch))  # (sequential: the same branch)
    return rows


def _add(rows: list[StepRow], branch: _Branch, row: StepRow) -> None:
    row.step = len(rows)
    row.previous, row.via = branch.last, branch.via
    branch.last, branch.via = row.step, None
    rows.append(row)


def _pipeline_via(p: Pipeline) -> str | None:
    """The port a pipeline is entered by (ingress) or leaves by (egress)."""
    if p.direction == "ingress":
        return f"inport {p.inport}" if p.inport else None
    port = p.outport or p.mcgroup
    return f"outport {port}" if port else None


def _resolved(row: StepRow, resolution: Resolution | None) -> None:
    """Take what the databases say of the step's flow."""
    if resolution is None:
        return
    row.resolution = resolution
    row.lflow_uuid = resolution.lflow_uuid
    if resolution.acl is not None:
        row.acl = resolution.acl.name or row.acl
        row.acl_action = resolution.acl.action or row.acl_action
    if resolution.owner is not None:
        row.owner = resolution.owner


def _named_acl(row: StepRow, logged: str | None, verdict: str | None) -> None:
    """An ACL named by the flow's log() (or a LOG line), where the databases named none."""
    if row.acl is None and logged:
        row.acl = logged
        row.acl_action = row.acl_action or verdict
        if row.owner is None:
            row.owner = acl_owner({"name": logged})


def _stage_row(stage: Stage, branch: _Branch, resolved: dict) -> StepRow:
    p = branch.pipeline
    actions = [c.text for c in stage.children
               if isinstance(c, Action) and not c.text.startswith("cookie=")]
    text = " ".join(actions)
    row = StepRow(0, STAGE, stage.line, datapath=p.datapath if p else None,
                  pipeline=p.direction if p and p.direction != "multicast" else None,
                  table=stage.table, stage=stage.stage, priority=stage.priority,
                  match=stage.match, actions=text or None, lflow=stage.key,
                  no_match=stage.no_match, inport=p.inport if p else None,
                  outport=p.outport if p else None, node=stage)
    _resolved(row, resolved.get(stage.line))
    log = next((c for c in stage.children if isinstance(c, Log)), None)
    name = _LOG_NAME.search(text)
    verdict = _LOG_VERDICT.search(text)
    _named_acl(row, name.group(1) if name else (log.acl if log and log.acl != "<unnamed>"
                                                 else None),
               verdict.group(1) if verdict else (log.verdict if log else None))
    return row


def _openflow_row(step: OfTable, branch: _Branch, names: StepNames | None,
                  resolved: dict) -> StepRow:
    flow = logical_flow(step) if step.annotations else None
    own = [c.text for c in step.children if c.__class__ is OfAction]
    row = StepRow(0, OPENFLOW, step.line, no_match=step.no_match, bridge=step.bridge,
                  recirc_pass=branch.recirc_pass, openflow_table=step.table,
                  cookie=step.key, openflow_priority=step.priority,
                  openflow_match=step.match, openflow_actions=" ".join(own) or None, node=step)
    if names is not None and step.annotations:
        row.datapath, row.pipeline = names.datapath(step)
    if flow is not None:
        row.table, row.stage = flow.get("table"), flow.get("stage")
        row.priority, row.match = flow.get("priority"), flow.get("match")
        row.actions = flow.get("actions")
        row.lflow = step.key[2:] if step.key else None
    res = resolved.get(step.line)
    _resolved(row, res)
    if row.lflow is None and res is not None and res.lflow_uuid:
        row.lflow = res.lflow_uuid[:8]
    logged, verdict = None, None
    if row.actions:
        name, v = _LOG_NAME.search(row.actions), _LOG_VERDICT.search(row.actions)
        logged, verdict = (name.group(1) if name else None), (v.group(1) if v else None)
    if logged is None:
        for text in own:
            if text.startswith("controller(") and "userdata=" in text:
                decoded = decode_controller(text) or {}
                if decoded.get("op") == "log":
                    logged, verdict = decoded.get("acl"), decoded.get("verdict")
                    break
    _named_acl(row, logged, verdict)
    if row.acl_action is None:
        acl = next((n for n in step.annotations if n.what == "acl"), None)
        if acl is not None:
            row.acl_action = note_fields(acl).get("action")
    return row


def _pipeline_row(p: Pipeline) -> StepRow:
    """A pipeline standing in for its stages (--summary prints none)."""
    actions: list[str] = []
    stack: list[Node] = list(reversed(p.children))
    while stack:
        node = stack.pop()
        if isinstance(node, (Action, Modify)):
            actions.append(node.text)
        elif isinstance(node, Fork):
            stack.extend(reversed(node.children))
    return StepRow(0, PIPELINE, p.line, datapath=p.datapath,
                   pipeline=p.direction if p.direction != "multicast" else None,
                   actions=" ".join(actions) or None, inport=p.inport, outport=p.outport,
                   node=p)


def _queuing_row(rows: list[StepRow], earlier: list[int], p: OfPass) -> int | None:
    """The row of the earlier pass whose ct(table=N) a resumed pass continues
    (N: the table it resumes from), else that pass's last row."""
    if not earlier:
        return None
    resume = next((r for r in _thaw_tables(p)), None)
    if resume is not None:
        for i in reversed(earlier):
            m = _CT_TABLE.search(rows[i].openflow_actions or "")
            if m and decimal(m.group(1)) == resume:
                return i
    return earlier[-1]


def _thaw_tables(p: OfPass):
    for node in p.walk():
        table = getattr(node, "resume_table", None)
        if table is not None:
            yield table


class StepNames:
    """The logical datapath (and pipeline) of OpenFlow steps, from ovn-detrace's
    notes: the one datapath a step's notes name; for a flow shared by several
    (a datapath group), the one its `metadata` (the datapath's tunnel key)
    stands for, which is the datapath every step with that metadata can be in
    (the intersection of their notes' datapaths)."""

    def __init__(self, steps: list[OfTable]):
        self.names: dict[int, tuple[set[str], str | None]] = {}  # id(step) -> (names, pipeline)
        candidates: dict[str, set[str]] = {}
        for step in steps:
            if not step.annotations:
                continue
            members, pipeline, single = set(), None, None
            for note in step.annotations:
                if note.what == "datapath":
                    m = _MEMBER.match(note.body)
                    if m:
                        members.add(m.group(1))
                        pipeline = pipeline or m.group(2)
                elif note.what == "logical_datapath" and single is None:
                    single = note_fields(note).get("name")
            names = members or ({single} if single else set())
            if not names:
                continue
            self.names[id(step)] = (names, pipeline)
            key = _metadata(step)
            if key is not None:
                candidates[key] = candidates[key] & names if key in candidates else set(names)
        self.by_metadata = {k: next(iter(v)) for k, v in candidates.items() if len(v) == 1}

    def datapath(self, step: OfTable) -> tuple[str | None, str | None]:
        found = self.names.get(id(step))
        key = _metadata(step)
        by_meta = self.by_metadata.get(key) if key is not None else None
        if found is None:
            return by_meta, None
        names, pipeline = found
        if len(names) == 1:
            return next(iter(names)), pipeline
        return (by_meta if by_meta in names else None), pipeline


def _metadata(step: OfTable) -> str | None:
    return _metadata_hex(step.match)


def _metadata_hex(match: str | None) -> str | None:
    """The `metadata=` an OpenFlow match holds, as hex (None: none)."""
    m = _METADATA.search(match or "")
    if m is None:
        return None
    # (not int(x, 0): it refuses a decimal with a leading zero, `metadata=085`)
    value = m.group(1)
    return hex(int(value, 16) if value[:2] in ("0x", "0X") else decimal(value))


def port_of_output(step: OfTable) -> str | None:
    """The logical port an OpenFlow step outputs to (`output:N` under a port
    binding's note: a VIF, a tunnel, or a patch port out of br-int to a
    localnet's bridge), else `ofport N`; None if it outputs nothing."""
    for action in step.children:
        if action.__class__ is OfAction and action.text.startswith("output:"):
            pb = next((n for n in step.annotations if n.what == "port_binding"), None)
            port = note_fields(pb).get("logical_port") if pb is not None else None
            return port or f"ofport {action.text[7:]}"
    return None


def step_record(r: StepRow, drop_line: int | None) -> dict:
    """A step as one flat record (views/frame.py's columns, batch's stage rows);
    `drop_line`: the line of the trace's drop point, if any."""
    owner = r.owner
    return {
        "step": r.step, "line": r.line, "datapath": r.datapath, "pipeline": r.pipeline,
        "table": r.table, "stage": r.stage, "priority": r.priority, "match": r.match,
        "actions": r.actions, "lflow": r.lflow, "acl": r.acl, "acl_action": r.acl_action,
        "owner_kind": owner.kind if owner else None,
        "owner_namespace": owner.namespace if owner else None,
        "owner_name": str(owner.name) if owner and owner.name is not None else None,
        "lflow_uuid": r.lflow_uuid, "kind": r.kind, "no_match": r.no_match,
        "dropped": drop_line is not None and r.line == drop_line,
        "bridge": r.bridge, "recirc_pass": r.recirc_pass,
        "openflow_table": r.openflow_table, "cookie": r.cookie,
        "openflow_priority": r.openflow_priority, "openflow_match": r.openflow_match,
        "openflow_actions": r.openflow_actions,
    }
