"""The flows a trace names, resolved: key -> logical flow -> ACL -> owner.

ovn-trace names a logical flow by the first 8 hex digits of its uuid, an
OpenFlow trace by its 32-bit cookie: the same key (db/keys.py).  A key can
name several rows; they are narrowed by what the trace shows of the step
(datapath, pipeline, table, priority), never picked at random: what stays
ambiguous is reported.  A key the database does not know means the database
is newer or older than the trace; the flow is then looked for by stage,
priority and match, and the result is marked as such.

Every step (logical stage or OpenFlow table) gets a `Resolution` in
`Trace.resolved`, under its line; analysis reads the drop's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ..db.index import DbIndex, RowRef
from ..formats.detrace_rules import logical_flow, note_fields
from ..formats.ofproto.userdata import decode_controller
from ..model import (
    BY_CONTENT,
    BY_NAME,
    EXACT,
    NARROWED,
    Log,
    Node,
    OfAction,
    OfTable,
    Pipeline,
    Resolution,
    Stage,
    Trace,
)
from .owners import acl_owner, acl_ref

ACL_PRIORITY_OFFSET = 1000  # northd: an ACL's logical flows have its priority + 1000


@dataclass
class _Seen:
    """What the trace shows of a step's logical flow, to narrow colliding keys."""

    key: str
    datapath: str | None = None
    pipeline: str | None = None  # ingress | egress
    table: int | None = None
    stage: str | None = None
    priority: int | None = None
    match: str | None = None


def resolve_flows(trace: Trace, index: DbIndex | None,
                  openflow: Mapping[str, list] | None = None) -> None:
    """Fill `trace.resolved` for each step whose key names a flow.  `openflow`:
    cookie key -> `ovs-ofctl dump-flows` flows (db/dump_flows.py)."""
    if index is not None:
        for node, logged in _acl_names(trace):
            trace.resolved[node.line] = _resolve_name(logged, index)
    for step, seen in _steps(trace):
        res = _resolve(seen, index) if index is not None else Resolution()
        if openflow is not None:
            key = (seen.key[2:] if seen.key.startswith("0x") else seen.key).zfill(8)
            res.openflow_flows = [f.text.strip() for f in openflow.get(key, [])]
            if not res.openflow_flows:
                res.problems.append(f"no OpenFlow flow has cookie 0x{key}: the flows were "
                                    "dumped on another chassis, or before or after the trace")
        trace.resolved[step.line] = res


def _steps(trace: Trace) -> Iterator[tuple[Stage | OfTable, _Seen]]:
    """Every step that names a flow, with what the trace shows of it."""
    stack: list[tuple[Node, Pipeline | None]] = [(root, None) for root in reversed(trace.roots)]
    while stack:
        node, pipeline = stack.pop()
        if isinstance(node, Pipeline):
            pipeline = node
        if isinstance(node, Stage) and node.key:
            yield node, _Seen(node.key, pipeline.datapath if pipeline else None,
                              pipeline.direction if pipeline else None, node.table,
                              node.stage, node.priority, node.match)
        elif isinstance(node, OfTable) and node.key:
            yield node, _seen_openflow(node)
        stack.extend((child, pipeline) for child in reversed(node.children))


@dataclass
class _Logged:
    """What an ACL's log shows of it."""

    name: str
    verdict: str | None  # drop | reject | allow | pass
    direction: str | None = None  # IN | OUT (ovn-trace's LOG)


def _acl_names(trace: Trace) -> Iterator[tuple[Node, _Logged]]:
    """The nodes that name an ACL: ovn-trace's `LOG: ACL name=...` lines and an
    OpenFlow trace's `log()` controller actions (their userdata holds the name)."""
    for node in trace.walk():
        if isinstance(node, Log):
            if node.acl and node.acl != "<unnamed>":
                yield node, _Logged(node.acl, node.verdict, node.direction)
        elif isinstance(node, OfAction) and node.text.startswith("controller(") \
                and "userdata=" in node.text:
            decoded = decode_controller(node.text) or {}
            if decoded.get("op") == "log" and decoded.get("acl"):
                yield node, _Logged(decoded["acl"], decoded.get("verdict"))


# An ACL's log says IN for from-lport ACLs, OUT for to-lport ones; its verdict
# is the ACL's action, allow-related and allow-stateless logging "allow".
_LOG_DIRECTIONS = {"IN": "from-lport", "OUT": "to-lport"}
_LOG_VERDICTS = {"drop": ("drop",), "reject": ("reject",), "pass": ("pass",),
                 "allow": ("allow", "allow-related", "allow-stateless")}


def _resolve_name(logged: _Logged, index: DbIndex) -> Resolution:
    """An ACL by the name its log printed (the short forms print no flow),
    narrowed by the log's direction and verdict (ovn-kubernetes names a
    namespace's default deny and its ARP exception alike)."""
    res = Resolution()
    name = logged.name
    acls = index.acls_named(name)
    if len(acls) > 1:
        actions = _LOG_VERDICTS.get(logged.verdict or "")
        direction = _LOG_DIRECTIONS.get(logged.direction or "")
        kept = [a for a in acls if (actions is None or a.row.get("action") in actions)
                and (direction is None or a.row.get("direction") == direction)]
        acls = kept or acls
    if len(acls) == 1:
        res.acl = acl_ref(acls[0].uuid, acls[0].row)
        res.owner = acl_owner(acls[0].row)
        res.how = BY_NAME
    elif acls:
        res.problems.append(f"{len(acls)} ACLs are named {name!r}: "
                            + ", ".join(a.uuid for a in acls))
    elif index.nb is not None:
        res.problems.append(f"no ACL is named {name!r} in the Northbound database: the "
                            "database is newer or older than the trace")
    return res


def _seen_openflow(step: OfTable) -> _Seen:
    """An OpenFlow step's logical side, from ovn-detrace's notes on it."""
    seen = _Seen(step.key or "")
    flow = logical_flow(step)
    if flow is not None:
        seen.table, seen.stage = flow.get("table"), flow.get("stage")
        seen.priority, seen.match = flow.get("priority"), flow.get("match")
        members = [note_fields(n) for n in step.annotations if n.what == "datapath"]
        if len({m.get("pipeline") for m in members}) == 1:
            seen.pipeline = members[0].get("pipeline")
        if len(members) == 1:
            seen.datapath = members[0].get("name")
    return seen


def _resolve(seen: _Seen, index: DbIndex) -> Resolution:
    res = Resolution()
    try:
        found = list(index.lookup(seen.key, "Logical_Flow"))
    except ValueError:
        found = []
    flows = _narrow(found, seen, index)
    res.how = EXACT if len(found) == 1 else NARROWED
    if not flows:
        res.problems.append(f"logical flow {seen.key} is not in the Southbound database: "
                            "the database is newer or older than the trace")
        flows = _narrow(index.logical_flows_by(seen.stage, seen.priority, seen.match),
                        seen, index)
        res.how = BY_CONTENT
    if len(flows) != 1:
        if flows:
            res.problems.append(f"{len(flows)} logical flows match {seen.key}: "
                                + ", ".join(f.uuid for f in flows))
        res.how = None
        return res
    flow = flows[0]
    res.lflow_uuid = flow.uuid
    acls = list(index.stage_hint(flow.row).in_table("ACL"))
    if len(acls) == 1:
        row = acls[0].row
        res.acl = acl_ref(acls[0].uuid, row)
        res.owner = acl_owner(row)
        if flow.row.get("priority") != (row.get("priority") or 0) + ACL_PRIORITY_OFFSET:
            res.problems.append(
                f"ACL {acls[0].uuid} has priority {row.get('priority')} but its logical flow "
                f"{flow.uuid} has {flow.row.get('priority')} (northd adds {ACL_PRIORITY_OFFSET})")
    return res


def _narrow(flows: list[RowRef], seen: _Seen, index: DbIndex) -> list[RowRef]:
    """Keep the flows that fit what the trace shows."""
    if len(flows) <= 1:
        return flows
    checks = []
    if seen.table is not None:
        checks.append(lambda f: f.row.get("table_id") == seen.table)
    if seen.pipeline:
        checks.append(lambda f: f.row.get("pipeline") == seen.pipeline)
    if seen.priority is not None:
        checks.append(lambda f: f.row.get("priority") == seen.priority)
    if seen.datapath:
        checks.append(lambda f: any(seen.datapath in (d.name, d.name2)
                                    for d in index.datapaths(f)))
    for check in checks:
        kept = [f for f in flows if check(f)]
        if kept:
            flows = kept
    return flows
