"""A drop, resolved against the databases: the logical flow that dropped, the
ACL behind it and the Kubernetes object that owns the ACL.

ovn-trace names a logical flow by the first 8 hex digits of its uuid, an
OpenFlow trace by its 32-bit cookie: the same key (see db/index.py).  A key
can name several rows; they are narrowed down by what the trace shows
(datapath, table, pipeline, priority), and never picked at random: what stays
ambiguous is reported.  A key the database does not know means the database
is newer or older than the trace; the flow is then looked for by stage,
priority and match text, and the result is marked as such.
"""

from __future__ import annotations

from ..analysis.explanation import Explanation
from ..db.index import DbIndex, RowRef
from .owners import acl_name, acl_owner, describe

ACL_PRIORITY_OFFSET = 1000  # northd: an ACL's logical flows have its priority + 1000


def resolve_drop(ex: Explanation, index: DbIndex) -> Explanation:
    """Fill `drop.extra` with "lflow_uuid", "acl" and "owner" where the databases tell."""
    drop = ex.drop
    if drop is None:
        return ex
    key = drop.extra.get("cookie") or drop.lflow
    if not key:
        return ex
    flows = _narrow(list(index.lookup(key, "Logical_Flow")), drop, index)
    how = "exact"
    if not flows:
        ex.warnings.append(f"logical flow {key} is not in the Southbound database: the "
                           "database is newer or older than the trace")
        flows = _by_content(drop, index)
        how = "best-effort (stage, priority and match)"
    if len(flows) != 1:
        if flows:
            ex.warnings.append(f"{len(flows)} logical flows match {key}: "
                               + ", ".join(f.uuid for f in flows))
        return ex
    flow = flows[0]
    drop.extra["lflow_uuid"] = flow.uuid
    if how != "exact":
        drop.extra["lflow_match"] = how
    acls = list(index.stage_hint(flow.row).in_table("ACL"))
    if len(acls) != 1:
        return ex
    acl = acls[0]
    drop.extra["acl"] = {
        "uuid": acl.uuid, "name": acl_name(acl.row), "direction": acl.row.get("direction"),
        "priority": acl.row.get("priority"), "action": acl.row.get("action"),
        "external_ids": dict(acl.row.get("external_ids") or {}),
    }
    if flow.row.get("priority") != (acl.row.get("priority") or 0) + ACL_PRIORITY_OFFSET:
        ex.warnings.append(f"ACL {acl.uuid} has priority {acl.row.get('priority')} but its "
                           f"logical flow {flow.uuid} has {flow.row.get('priority')} "
                           f"(northd adds {ACL_PRIORITY_OFFSET})")
    owner = acl_owner(acl.row)
    drop.extra["owner"] = owner
    drop.reason = f"{drop.reason}; {describe(owner)}"
    return ex


def _narrow(flows: list[RowRef], drop, index: DbIndex) -> list[RowRef]:
    """Keep the flows that fit what the trace shows of the drop."""
    if len(flows) <= 1:
        return flows
    checks = []
    if drop.table is not None:
        checks.append(lambda f: f.row.get("table_id") == drop.table)
    if drop.pipeline:
        checks.append(lambda f: f.row.get("pipeline") == drop.pipeline)
    if drop.priority is not None:
        checks.append(lambda f: f.row.get("priority") == drop.priority)
    if drop.datapath:
        checks.append(lambda f: any(drop.datapath in (d.name, d.name2)
                                    for d in index.datapaths(f)))
    for check in checks:
        kept = [f for f in flows if check(f)]
        if kept:
            flows = kept
    return flows


def _by_content(drop, index: DbIndex) -> list[RowRef]:
    if not drop.stage or drop.priority is None or drop.match is None:
        return []
    found = []
    for uuid, row in index.table("Logical_Flow").items():
        ids = row.get("external_ids") or {}
        if (ids.get("stage-name") == drop.stage and row.get("priority") == drop.priority
                and row.get("match") == drop.match):
            found.append(RowRef("OVN_Southbound", "Logical_Flow", uuid, row))
    return _narrow(found, drop, index)
