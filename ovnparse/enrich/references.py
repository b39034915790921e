"""What a flow's match names, resolved: port groups' pods, address sets' addresses.

A match like `reg0[10] == 1 && (outport == @a16982411286042166782_ingressDefaultDeny)`
answers "which pods, whose policy" only with the databases: for each step
that resolve_flows() resolved (`Trace.resolved`) and whose logical match
names a `@port_group` or an `$address_set`, the match is parsed with OVN's
grammar (ovnparse.expr: pyparsing, imported here, only for such matches) and
the names looked up:

- a port group in the Northbound (`Port_Group.name` is what matches write):
  its ports (Logical_Switch_Port rows), the pods among them (`namespace/name`,
  from the port's `external_ids:namespace` and its name `<namespace>_<pod>`),
  and its owner (ovn-kubernetes' ids, or a legacy `namespace_policy` name);
  without the Northbound, the Southbound's copies, which northd names
  `<datapath tunnel key>_<name>` (one per datapath), with the pods read from
  the Port_Binding rows;
- an address set in the Northbound (or the Southbound, same name).

The answer is stored in the step's `Resolution.references`; analysis copies
the drop's into `drop.references`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..formats.detrace_rules import logical_flow
from ..model import (
    AddressSetRef,
    OfTable,
    Owner,
    PortGroupRef,
    References,
    Resolution,
    Stage,
    Trace,
)
from .owners import acl_owner

if TYPE_CHECKING:
    from ..db.databases import Databases

_SB_GROUP = re.compile(r"(\d+)_(.+)\Z")


class Catalog:
    """The port groups, ports and address sets of the databases, read once."""

    def __init__(self, databases: Databases):
        self.nb_groups: dict[str, Mapping] = {}
        self.nb_ports: dict[str, Mapping] = {}
        self.nb_sets: dict[str, Mapping] = {}
        self.sb_groups: dict[str, list[Mapping]] = {}
        self.sb_bindings: dict[str, Mapping] = {}
        self.sb_sets: dict[str, Mapping] = {}
        self.parsed: dict[str, Any] = {}  # match text -> Match or ExpressionError
        nb, sb = databases.nb, databases.sb
        for src, tables in ((nb, ["Port_Group", "Logical_Switch_Port", "Address_Set"]),
                            (sb, ["Port_Group", "Port_Binding", "Address_Set"])):
            if src is not None:
                src.prefetch(tables)  # (one more pass over a saved file, not one a table)
        if nb is not None:
            self.nb_groups = _by(nb, "Port_Group", "name")
            self.nb_ports = dict(_table(nb, "Logical_Switch_Port"))
            self.nb_sets = _by(nb, "Address_Set", "name")
        if sb is not None:
            for name, row in _by(sb, "Port_Group", "name").items():
                m = _SB_GROUP.match(name)
                self.sb_groups.setdefault(m.group(2) if m else name, []).append(row)
            self.sb_bindings = _by(sb, "Port_Binding", "logical_port")
            self.sb_sets = _by(sb, "Address_Set", "name")

    def match(self, text: str):
        found = self.parsed.get(text)
        if found is None:
            from ..expr import ExpressionError, parse_match
            try:
                found = parse_match(text)
            except ExpressionError as exc:
                found = exc
            self.parsed[text] = found
        return found

    def port_group(self, name: str) -> PortGroupRef | None:
        row = self.nb_groups.get(name)
        if row is not None:
            ports = [self.nb_ports[u] for u in _list(row.get("ports")) if u in self.nb_ports]
            names = sorted(str(p["name"]) for p in ports if p.get("name"))
            pods = sorted(filter(None, (_pod(p.get("name"), p.get("external_ids"))
                                        for p in ports)))
            return PortGroupRef(name, names, pods, group_owner(row))
        rows = self.sb_groups.get(name)
        if rows is None:
            return None
        names = sorted({p for r in rows for p in _list(r.get("ports"))})
        pods = sorted(filter(None, (_pod(p, (self.sb_bindings.get(p) or {}).get("external_ids"))
                                    for p in names)))
        return PortGroupRef(name, names, pods, None)

    def address_set(self, name: str) -> AddressSetRef | None:
        row = self.nb_sets.get(name) or self.sb_sets.get(name)
        if row is None:
            return None
        return AddressSetRef(name, sorted(_list(row.get("addresses"))))


def _by(src, table: str, column: str) -> dict[str, Mapping]:
    """A table's rows by a (unique) string column."""
    return {str(row[column]): row for row in _table(src, table).values() if row.get(column)}


def _table(src, table: str) -> Mapping[str, Mapping]:
    try:
        if table not in src.tables():
            return {}
        return src.rows(table)
    except (KeyError, NotImplementedError):
        return {}


def _list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _pod(port: str | None, ids: Mapping | None) -> str | None:
    """`namespace/name` of a pod's port (ovn-kubernetes names it `<namespace>_<pod>`)."""
    ids = ids or {}
    namespace = ids.get("namespace")
    if not port or not namespace or ids.get("pod") not in ("true", True):
        return None
    name = port[len(namespace) + 1:] if port.startswith(namespace + "_") else port
    return f"{namespace}/{name}"


def group_owner(row: Mapping) -> Owner | None:
    """What made a port group: ovn-kubernetes' `k8s.ovn.org/*` ids, or (before
    2023) the `name` id `<namespace>_<policy>` / `<namespace>_ingressDefaultDeny`."""
    ids = dict(row.get("external_ids") or {})
    kind = ids.get("k8s.ovn.org/owner-type")
    if kind == "Namespace":
        return Owner("Namespace", namespace=ids.get("k8s.ovn.org/name"))
    if kind in ("Cluster", "Node"):
        return Owner(kind, name=ids.get("k8s.ovn.org/name"))
    if kind:
        return acl_owner({"external_ids": ids})
    if "neutron:security_group_id" in ids:
        return Owner("NeutronSecurityGroup", name=ids["neutron:security_group_id"])
    if ids.get("name"):
        return acl_owner({"name": ids["name"]})
    return None


def references(match: str, catalog: Catalog) -> tuple[References | None, list[str]]:
    """The references of one match, and what could not be resolved."""
    parsed = catalog.match(match)
    if isinstance(parsed, Exception):
        return None, [f"cannot read the match {match[:60]!r}: {parsed}"]
    refs, problems = References(), []
    for name in parsed.port_groups:
        if (group := catalog.port_group(name)) is None:
            problems.append(f"port group {name} is not in the databases")
        else:
            refs.port_groups.append(group)
    for name in parsed.address_sets:
        if (address_set := catalog.address_set(name)) is None:
            problems.append(f"address set {name} is not in the databases")
        else:
            refs.address_sets.append(address_set)
    return refs, problems


def resolve_references(trace: Trace, databases: Databases) -> None:
    """Each resolved step whose logical match names port groups or address sets
    gets them in its Resolution (in place)."""
    catalog = None
    index = databases.index
    for step in trace.steps():
        res: Resolution | None = trace.resolved.get(step.line)
        if res is None or res.references is not None:
            continue
        match = _logical_match(step, res, index)
        if not match or ("@" not in match and "$" not in match):
            continue
        if catalog is None:
            catalog = databases.cache.get("references")
            if catalog is None:
                catalog = databases.cache["references"] = Catalog(databases)
        res.references, problems = references(match, catalog)
        res.problems.extend(problems)


def _logical_match(step, res: Resolution, index) -> str | None:
    """The logical flow's match: the Southbound row's, else what the trace printed."""
    if res.lflow_uuid and index is not None:
        row = index.row("Logical_Flow", res.lflow_uuid)
        if row is not None and row.get("match"):
            return row.get("match")
    if isinstance(step, Stage):
        return step.match
    if isinstance(step, OfTable) and step.annotations:
        flow = logical_flow(step)
        return flow.get("match") if flow else None
    return None
