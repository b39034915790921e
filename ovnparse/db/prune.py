"""The part of a Southbound that one ovn-trace run needs, and how to tell it needs more.

``ovnparse trace`` serves ovn-trace a private standalone copy of the saved
Southbound holding what the packet's trace reads (:meth:`Pruner.subset`,
written by :mod:`ovnparse.db.write`), starting from the datapath the trace
starts in, and adds a datapath when the trace printed that it reached one the
copy does not hold (:meth:`Pruner.reached`), until it does not.  ovn-trace then
parses the logical flows of a few datapaths instead of every flow of every
datapath (it parses a flow once per datapath of its Logical_DP_Group).

What ovn-trace reads (``utilities/ovn-trace.c``, ``read_db()``; the same in
OVN 23.03.0 and 25.03.0, whose IDL monitors every table):

* Datapath_Binding: ``external_ids`` (``name``, ``name2``, ``logical-switch``,
  ``logical-router``), ``tunnel_key``;
* Port_Binding: ``logical_port``, ``datapath``, ``type``, ``tunnel_key``,
  ``external_ids:name``, ``options:peer`` (``patch`` and ``l3gateway`` ports),
  ``options:distributed-port`` (``chassisredirect``), ``port_security``;
* Multicast_Group: ``datapath``, ``tunnel_key``, ``name``, ``ports``;
* Address_Set ``name``, ``addresses``; Port_Group ``name``, ``ports``;
* Logical_Flow: ``logical_datapath``, ``logical_dp_group`` (Logical_DP_Group
  ``datapaths``), ``pipeline``, ``table_id``, ``priority``, ``match``,
  ``actions``, ``external_ids`` (``stage-name``, ``source``);
* DHCP_Options and DHCPv6_Options: ``name``, ``code``, ``type``;
* MAC_Binding: ``logical_port``, ``datapath``, ``ip``, ``mac``;
* FDB: ``mac``, ``dp_key``, ``port_key``;
* Load_Balancer: ``vips`` (``chk_lb_hairpin``: the first load balancer, in table
  order, with a VIP on the packet's conntrack destination IP).

Nothing else: not SB_Global, Chassis, Encap, DNS, Static_MAC_Binding (neither
release), IGMP_Group, Chassis_Template_Var (template variables are left empty).

What the copy holds, for the set K of datapaths the trace runs in:

* every Datapath_Binding (names resolve as on the whole database: a DATAPATH
  argument, a uuid prefix, a name two datapaths share), every Load_Balancer
  (the order-dependent VIP lookup above), every DHCP_Options/DHCPv6_Options,
  and SB_Global (not read; the sandbox's ``ovn-sbctl init`` finds it set up);
* every Logical_Flow *uuid*, in the file's order: the flows of K (directly or
  through their Logical_DP_Group) in full, every other one as an empty row.
  ovn-trace sorts a datapath's flows by pipeline, table and priority only
  (``compare_flow``; ties "who cares"), so among flows of equal priority that
  match alike the one it takes is the first in its IDL's order, that is the
  order of its hash table of rows: bucket ``uuid.parts[0] & mask``, the mask
  growing with the row count, and insertion order inside a bucket.  Fewer rows
  would change that order; the same uuids, sent by a server that loaded them in
  the same order, give the same order, so the same flow wins.  An empty row
  (no datapath, no group) costs ovn-trace a "logical flow missing datapath"
  warning and nothing else: :meth:`Subset.clean_stderr` takes those out again;
* Logical_DP_Group rows the kept rows refer to, their ``datapaths`` cut to K;
* Port_Binding, Multicast_Group and MAC_Binding rows of K, FDB rows of K's
  tunnel keys;
* the Address_Set and Port_Group rows named (``$name``, ``@name``: the group
  ``<tunnel key>_<name>`` first, then ``name``, ``expr.c``) by a kept flow or
  the microflow;
* Port_Binding rows of other datapaths that a kept row or the microflow names
  (any quoted string of a kept flow's match or actions, a MAC_Binding's
  ``logical_port``, a Port_Group's members): ``is_chassis_resident("p")`` is
  decided when the flow is parsed (false, with a warning, for a port ovn-trace
  does not know), a match prints ports by their friendly names, and a name that
  is not a port's is looked up by ``external_ids:name`` and by uuid prefix among
  all ports (those candidates are kept too);
* every row a kept row refers to (Chassis, Encap, Gateway_Chassis,
  HA_Chassis_Group, Mirror, ... of the kept ports), so kept rows keep every
  column.

What ovn-trace 23.03 (and 25.03: ``execute_output`` is unchanged) prints when
the packet leaves a datapath by a port whose peer the copy does not hold, read
in ``execute_output``: in the egress pipeline it always appends the node
``/* output to "<port>", type "<type>" */``; then, when the port has a peer
(a ``patch`` or ``l3gateway`` port whose ``options:peer``, or a port that names
it as its ``peer``, was read), the node ``ingress(dp="<peer dp>",
inport="<peer>")`` with the peer datapath's pipeline under it; without a peer,
the node ``output("<port>")``, as for a VIF: no error, no warning, the trace
simply ends there, as if the packet had left OVN.  The detailed form prints the
``/* output to ... */`` line and the ``ingress(...)`` heading (it leaves out
``output(...)``), the summary form both, the minimal form only ``output(...)``.
So ovnparse always has ovn-trace print the detailed form too, and
:meth:`Pruner.reached` adds to K, exactly:

* for each ``/* output to "P", type "patch"|"l3gateway" */`` line, the datapath
  of every port linked to a port P of that type and friendly name on the whole
  database (its ``peer``, and every patch/l3gateway port whose ``peer`` is P)
  that is not in K;
* for each ``ingress(dp="D", ...)``, ``egress(dp="D", ...)`` or
  ``multicast(dp="D", ...)`` heading, every datapath whose friendly name is D
  that is not in K (a kept port of another datapath can be a peer).

ovn-trace's other lookups stay inside the datapath the packet is in: a
Multicast_Group's ports outside its datapath are skipped (with a warning), a
chassisredirect port's ``distributed-port`` must be on its datapath, an
``inport``/``outport`` comparison with a port of another datapath is false.
So a trace that prints neither line for a datapath outside K is, line for line,
the trace on the whole database; so is a trace that says ``unknown port`` for
a port the whole database has not (the start port is looked up by the
microflow's ``inport == "..."``; were it missed, the port's datapath is added).

Look-ahead.  Every run costs about as much as its copy is big (at 100k flows,
ovn_cluster_router alone has 32k), so a trace that leaves its switch would pay
for a first run that only finds the router.  When the microflow's ``eth.dst`` is
the address of a port of another datapath (the packet is sent to a router),
K starts with the datapaths toward the packet's destination too
(:meth:`Pruner.toward`: those whose ports own the microflow's ``eth.dst``,
``ip4.dst``/``ip6.dst`` or ``--lb-dst``, and the shortest chains of patch links
to them); otherwise they are added the first time the trace leaves K.  Only a
guess at what saves runs: what K ends with is still decided by
:meth:`Pruner.reached`, so a wrong guess costs time (a packet dropped on its own
switch then pays for the router too), never output.

Limits of "the same output".  The rows are written in the order the reader
gives them, the file's order for a compacted file (one transaction), which
ovsdb-server also follows; for an uncompacted or clustered file, where the
server that loads the original replays its transactions, two flows of equal
priority that both match the packet *and* share a bucket of ovn-trace's table of
flows (the low 16 bits of ``uuid.parts[0]`` at 100k flows) could come in the
other order.  A Port_Binding pairing that is not mutual (a patch port naming a
peer that names another) is resolved by ovn-trace in table order, which a copy
does not keep.  ovn-trace picks a load balancer backend at random without
``--lb-dst``: two runs on the same database can differ there.  On stderr,
ovn-trace warns about flows it cannot parse only for the datapaths it reads
(on the whole database, once per datapath of every flow's group).
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .ovsdb_file import Database
from .source import FileSource
from .write import RowEncoder, write_standalone

__all__ = ["Pruner", "Subset", "Replay", "replay", "TRACE_TABLES", "split_forms",
           "forms_to_run"]

#: the tables ovn-trace reads (see the module docstring)
TRACE_TABLES = ("Datapath_Binding", "Port_Binding", "Multicast_Group", "Address_Set",
                "Port_Group", "Logical_Flow", "Logical_DP_Group", "DHCP_Options",
                "DHCPv6_Options", "MAC_Binding", "FDB", "Load_Balancer")
#: tables copied whole: their order or every row matters, and they are small (SB_Global,
#: which ovn-trace does not read, so that the copy is a database ovn-sbctl finds set up)
WHOLE_TABLES = ("Datapath_Binding", "Load_Balancer", "DHCP_Options", "DHCPv6_Options",
                "SB_Global")
PEER_TYPES = ("patch", "l3gateway")
#: the line ovn-trace logs for a logical flow with neither datapath nor group
MISSING_DATAPATH = b"|ovntrace|WARN|logical flow missing datapath"

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                      r"-[0-9a-fA-F]{12}\Z")
# lex.c: a string token is a double-quoted C-like string; `$`/`@` then an identifier
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ADDRSET_RE = re.compile(r"\$([A-Za-z_.][A-Za-z0-9_.]*)")
_PORTGROUP_RE = re.compile(r"@([A-Za-z_.][A-Za-z0-9_.]*)")
_INPORT_RE = re.compile(r'\binport\s*==\s*"((?:[^"\\]|\\.)*)"')
_DST_RE = re.compile(r"\b(?:eth|ip4|ip6)\.dst\s*==\s*([0-9A-Fa-f:.]+)")
_PARTIAL_UUID_TMPL = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
_HEX = frozenset("0123456789abcdefABCDEF")

# detailed-form lines (ovntrace_node_print_details: a node name on a line, indented)
_HEADING_RE = re.compile(r'^ *(?:ingress|egress|multicast)\(dp="(.*?)", '
                         r'(?:inport|mcgroup)="')
_OUTPUT_RE = re.compile(r'^ */\* output to "(.*)", type "([^"]*)" \*/$')


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s) if "\\" in s else s


def uuid_is_partial_string(s: str) -> int:
    """OVS ``uuid_is_partial_string``: the length of *s* if it is the start of a uuid, else 0."""
    if len(s) > 36:
        return 0
    for ch, t in zip(s, _PARTIAL_UUID_TMPL, strict=False):  # (s may be shorter)
        if (ch not in _HEX) if t == "x" else (ch != "-"):
            return 0
    return len(s)


def shorten_uuid(s: str) -> str:
    """ovn-trace ``shorten_uuid``: a name ending in a uuid keeps 6 of its digits."""
    if len(s) >= 36 and uuid_is_partial_string(s[-36:]):
        return s[:len(s) - 30]
    return s


def _uuid_value(s) -> str | None:
    """OVS ``uuid_from_string``: the canonical (lower-case) uuid, or None."""
    return s.lower() if isinstance(s, str) and _UUID_RE.match(s) else None


def _one(v):
    """An optional reference as the reader decodes it: ``[]`` or ``[uuid]`` (or a uuid)."""
    if isinstance(v, list):
        return v[0] if v else None
    return v or None


@dataclass
class Subset:
    """The rows of one private copy: ``tables`` as :func:`write_standalone` takes them."""

    datapaths: frozenset  # K: the datapaths whose rows are all kept
    tables: dict[str, dict[str, dict | None]]
    empty_flows: int  # Logical_Flow rows written empty (not of K)
    #: of those, flows that make ovn-trace warn on the whole database too
    orphan_flows: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def clean_stderr(self, stderr: bytes) -> bytes:
        """ovn-trace's stderr without the warnings the empty Logical_Flow rows caused."""
        extra = self.empty_flows - self.orphan_flows
        if extra <= 0 or MISSING_DATAPATH not in stderr:
            return stderr
        out = []
        for line in stderr.splitlines(keepends=True):
            if extra and line.rstrip(b"\n").endswith(MISSING_DATAPATH):
                extra -= 1
                continue
            out.append(line)
        return b"".join(out)


class Pruner:
    """A Southbound read once, and the subsets of it that traces need.

    *friendly_names*: as ovn-trace's (``--no-friendly-names`` turns them off),
    for reading the names the trace prints.
    """

    def __init__(self, db: Database, *, friendly_names: bool = True):
        self.db = db
        self.schema = db.schema
        self.friendly_names = friendly_names
        t = db.tables
        self.dps: Mapping[str, dict] = t.get("Datapath_Binding", {})
        self.ports: Mapping[str, dict] = t.get("Port_Binding", {})
        self.flows: Mapping[str, dict] = t.get("Logical_Flow", {})
        self.groups: Mapping[str, dict] = t.get("Logical_DP_Group", {})
        self.port_by_name = {r["logical_port"]: u for u, r in self.ports.items()}
        self._naming: dict[str, list[str]] | None = None
        self._encoder: RowEncoder | None = None
        self._dp_links: dict[str, set[str]] | None = None
        self._addr_owner: dict[str, set[str]] | None = None
        self._name2: dict[str, list[str]] | None = None
        self._uuid_keys: list[tuple[str, str]] | None = None
        self._dp_friendly = {u: self._datapath_friendly(r) for u, r in self.dps.items()}
        self._port_friendly: dict[tuple[str, str], list[str]] | None = None
        #: (uuid, row, datapath, group) of every flow, in the file's order
        self._flow_keys = [(u, r, _one(r["logical_datapath"]), _one(r["logical_dp_group"]))
                           for u, r in self.flows.items()]
        # flows ovn-trace finds no datapath for on the whole database (it warns)
        self._orphan_flows = [u for u, _, ldp, grp in self._flow_keys if ldp is None and not (
            grp in self.groups and any(d in self.dps for d in self.groups[grp]["datapaths"]))]

    @classmethod
    def from_file(cls, path: str | os.PathLike, *, friendly_names: bool = True) -> Pruner:
        """Read what the subsets need from a saved Southbound (standalone or clustered,
        compacted or not): the tables ovn-trace reads and those their rows refer to."""
        src = FileSource(path)
        with src.hold():  # one reading of the file for the schema and the tables
            tables = _tables_to_read(src.schema)
            src.prefetch(tables)
            db = Database(schema=src.schema, tables={t: dict(src.rows(t)) for t in tables},
                          columns={t: None for t in tables}, format=src.format,
                          path=os.fspath(path), warnings=list(src.warnings), info=src.info)
        return cls(db, friendly_names=friendly_names)

    # ---------------------------------------------------------------- names
    def _datapath_names(self, u: str, r: dict) -> tuple[str, str | None, str]:
        """(name, name2, nb uuid) as ovn-trace's read_datapaths() makes them."""
        ids = r.get("external_ids") or {}
        nb = (_uuid_value(ids.get("logical-switch")) or _uuid_value(ids.get("logical-router"))
              or u)
        return ids.get("name", nb), ids.get("name2"), nb

    def _datapath_friendly(self, r: dict) -> str:
        name, name2, nb = self._datapath_names(r["_uuid"], r)
        if not self.friendly_names:
            return nb
        return shorten_uuid(name if name2 is None else name2)

    def friendly_name(self, datapath: str) -> str:
        """The datapath's name as ovn-trace prints it."""
        return self._dp_friendly[datapath]

    def _port_friendly_name(self, r: dict) -> str:
        if not self.friendly_names:
            return r["logical_port"]
        name2 = (r.get("external_ids") or {}).get("name")
        return shorten_uuid(r["logical_port"] if name2 is None else name2)

    def datapaths_named(self, name: str) -> set[str]:
        """``ovntrace_datapath_find_by_name``'s candidates: every datapath it could pick."""
        exact = set()
        for u, r in self.dps.items():
            n, n2, _ = self._datapath_names(u, r)
            if name == n or (n2 is not None and name == n2):
                exact.add(u)
        if exact:
            return exact
        if len(name) < 4:
            return set()
        return {u for u, r in self.dps.items()
                if u.startswith(name) or self._datapath_names(u, r)[2].startswith(name)}

    def _ports_for_string(self, s: str) -> list[str]:
        """Ports ``ovntrace_port_lookup_by_name`` can find for *s*: the exact one, else
        every one it weighs (by ``external_ids:name``, by uuid prefix)."""
        u = self.port_by_name.get(s)
        if u is not None:
            return [u]
        if self._name2 is None:
            self._name2 = {}
            keys = []
            for pu, r in self.ports.items():
                n2 = (r.get("external_ids") or {}).get("name")
                if n2 is not None:
                    self._name2.setdefault(n2, []).append(pu)
                keys.append((pu, pu))
                as_uuid = _uuid_value(r["logical_port"])
                if as_uuid is not None:
                    keys.append((as_uuid, pu))
            self._uuid_keys = sorted(keys)
        found = list(self._name2.get(s, ()))
        if uuid_is_partial_string(s) >= 4 and self._uuid_keys is not None:
            keys = self._uuid_keys
            i = bisect.bisect_left(keys, (s, ""))
            while i < len(keys) and keys[i][0].startswith(s):
                found.append(keys[i][1])
                i += 1
        return found

    # ------------------------------------------------------------ where to start
    def start(self, datapath: str | None, microflow: str) -> set[str]:
        """The datapaths the trace starts in: DATAPATH's (every one ovn-trace could
        pick), else the microflow's inport's (every port the microflow names, when
        it names none as ``inport == "..."``).  Empty when none is known: ovn-trace
        then prints its own error, as on the whole database."""
        if datapath is not None:
            return self.datapaths_named(datapath)
        m = _INPORT_RE.search(microflow)
        names = [_unescape(m.group(1))] if m else [
            _unescape(s) for s in _STRING_RE.findall(microflow)]
        return {_one(self.ports[self.port_by_name[n]]["datapath"])
                for n in names if n in self.port_by_name}

    # ------------------------------------------------------------------ subsets
    def subset(self, K: Iterable[str], microflow: str = "") -> Subset:
        """The rows of the private copy for the datapaths *K* (and the microflow)."""
        K = frozenset(K)
        db = self.db.tables
        keep: dict[str, dict[str, dict | None]] = {}

        def add(table: str, u: str, row: dict | None) -> bool:
            rows = keep.setdefault(table, {})
            if u in rows:
                return False
            rows[u] = row
            return True

        for table in WHOLE_TABLES:
            for u, r in db.get(table, {}).items():
                add(table, u, r)

        # Logical_Flow: every uuid, in order; K's flows in full, their groups cut to K
        groups_in_k = {g for g, r in self.groups.items() if not K.isdisjoint(r["datapaths"])}
        flows: dict[str, dict | None] = {}
        kept_flows = []
        for u, r, ldp, grp in self._flow_keys:
            if ldp in K or grp in groups_in_k:
                flows[u] = r
                kept_flows.append(r)
            else:
                flows[u] = None
        keep["Logical_Flow"] = flows
        empty = len(flows) - len(kept_flows)
        orphans = sum(1 for u in self._orphan_flows if flows[u] is None)
        for g in groups_in_k:
            self._add_group(keep, g, K)
        for table in ("Port_Binding", "Multicast_Group", "MAC_Binding"):
            for u, r in db.get(table, {}).items():
                if _one(r["datapath"]) in K:
                    add(table, u, r)
        keys = {self.dps[d]["tunnel_key"] for d in K}
        for u, r in db.get("FDB", {}).items():
            if r["dp_key"] in keys:
                add("FDB", u, r)

        # names the kept flows and the microflow use
        strings: set[str] = set()
        addr_sets: set[str] = set()
        port_groups: set[str] = set()
        texts = [microflow] + [r["match"] for r in kept_flows] + [r["actions"]
                                                                  for r in kept_flows]
        for text in texts:
            if '"' in text:
                strings.update(_STRING_RE.findall(text))
            if "$" in text:
                addr_sets.update(_ADDRSET_RE.findall(text))
            if "@" in text:
                port_groups.update(_PORTGROUP_RE.findall(text))
        for u, r in db.get("Address_Set", {}).items():
            if r["name"] in addr_sets:
                add("Address_Set", u, r)
        pg_names = set(port_groups)
        for k in keys | {0}:
            pg_names.update(f"{k}_{n}" for n in port_groups)
        for u, r in db.get("Port_Group", {}).items():
            if r["name"] in pg_names:
                add("Port_Group", u, r)
                strings.update(r["ports"])
        for mac_binding in keep.get("MAC_Binding", {}).values():
            if mac_binding is not None:
                strings.add(mac_binding["logical_port"])
        for s in strings:
            for pu in self._ports_for_string(_unescape(s)):
                add("Port_Binding", pu, self.ports[pu])

        self._close_references(keep, K)
        for table, rows in keep.items():  # the file's order (it matters for some tables)
            if table != "Logical_Flow":
                keep[table] = {u: rows[u] for u in db.get(table, ()) if u in rows}
        counts = {t: sum(1 for r in rows.values() if r is not None) for t, rows in keep.items()}
        counts["Logical_Flow (empty)"] = empty
        return Subset(K, keep, empty, orphans, counts)

    def _add_group(self, keep: dict, g: str, K: frozenset) -> dict:
        row = dict(self.groups[g])
        row["datapaths"] = [d for d in row["datapaths"] if d in K]
        keep.setdefault("Logical_DP_Group", {})[g] = row
        return row

    def _close_references(self, keep: dict[str, dict[str, dict | None]], K: frozenset) -> None:
        """Add every row a kept row refers to (strong or weak), Logical_DP_Group rows
        cut to K; what the file lacks (a dangling weak reference) stays out.  (A kept
        flow's references are in already: every datapath, its group.)"""
        db = self.db.tables
        refcols = {}
        for tname, ts in self.schema.tables.items():
            cols = [(c, t.key_ref_table, t.value_ref_table) for c, t in ts.columns.items()
                    if t.key_ref_table or t.value_ref_table]
            if cols and tname != "Logical_Flow":
                refcols[tname] = cols
        todo = [(t, u) for t, rows in keep.items() if t in refcols
                for u, r in rows.items() if r is not None]
        while todo:
            table, u = todo.pop()
            row = keep[table][u]
            if row is None:  # (todo holds only kept rows with columns)
                continue
            for col, kref, vref in refcols[table]:
                v = row.get(col)
                if not v:
                    continue
                refs: list[tuple[Any, Any]] = []
                if isinstance(v, dict):
                    if kref:
                        refs += [(kref, x) for x in v]
                    if vref:
                        refs += [(vref, x) for x in v.values()]
                elif isinstance(v, list):
                    refs = [(kref, x) for x in v]
                else:
                    refs = [(kref, v)]
                for rt, ru in refs:
                    target = db.get(rt, {}).get(ru)
                    if target is None or ru in keep.get(rt, {}):
                        continue
                    if rt == "Logical_DP_Group":
                        target = self._add_group(keep, ru, K)
                    else:
                        keep.setdefault(rt, {})[ru] = target
                    if rt in refcols:
                        todo.append((rt, ru))

    def write(self, subset: Subset, path: str | os.PathLike, source: str = "") -> int:
        """Write *subset* as a new standalone database file; returns its size."""
        if self._encoder is None:
            # (Logical_DP_Group rows are cut to each copy's datapaths)
            self._encoder = RowEncoder(self.schema, volatile=frozenset({"Logical_DP_Group"}))
        return write_standalone(path, self.schema, subset.tables, encoder=self._encoder,
                                comment=f"ovnparse trace: part of {source}" if source else None)

    # ------------------------------------------------------------- growing
    def _links(self, pu: str) -> list[str]:
        """Ports ovn-trace's read_ports() can pair with port *pu* (on the whole database)."""
        r = self.ports[pu]
        out = []
        if r["type"] in PEER_TYPES:
            peer = (r.get("options") or {}).get("peer")
            if peer in self.port_by_name:
                out.append(self.port_by_name[peer])
        name = r["logical_port"]
        for xu in self._peers_naming.get(name, ()):
            if xu not in out:
                out.append(xu)
        return out

    @property
    def _peers_naming(self) -> dict[str, list[str]]:
        """{port name: patch/l3gateway ports whose options:peer is that name}"""
        if self._naming is None:
            self._naming = {}
            for u, r in self.ports.items():
                if r["type"] in PEER_TYPES:
                    peer = (r.get("options") or {}).get("peer")
                    if peer is not None:
                        self._naming.setdefault(peer, []).append(u)
        return self._naming

    # ------------------------------------------------------------- looking ahead
    def _datapath_links(self) -> dict[str, set[str]]:
        """{datapath: datapaths a patch or l3gateway port pairs it with}"""
        if self._dp_links is None:
            self._dp_links = {}
            for pu, r in self.ports.items():
                if r["type"] not in PEER_TYPES:
                    continue
                a = _one(r["datapath"])
                for peer in self._links(pu):
                    b = _one(self.ports[peer]["datapath"])
                    if a != b:
                        self._dp_links.setdefault(a, set()).add(b)
                        self._dp_links.setdefault(b, set()).add(a)
        return self._dp_links

    def _owners(self, addresses: set[str]) -> set[str]:
        """Datapaths of the ports whose ``mac`` column lists one of *addresses* (a MAC
        or an IP; a router port's ``IP/plen`` counts by its IP)."""
        if self._addr_owner is None:
            self._addr_owner = {}
            for r in self.ports.values():
                dp = _one(r["datapath"])
                for entry in r.get("mac") or ():
                    for word in entry.split():
                        self._addr_owner.setdefault(word.split("/")[0].lower(), set()).add(dp)
        out: set[str] = set()
        for a in addresses:
            out |= self._addr_owner.get(a.lower(), set())
        return out

    def toward(self, K: Iterable[str], microflow: str, lb_dst: str | None = None) -> set[str]:
        """Datapaths the packet is likely to need, not in *K*: those owning its
        destination addresses (``eth.dst``, ``ip4.dst``, ``ip6.dst``, ``--lb-dst``) and
        those on the shortest chains of patch/l3gateway links from *K* to them.  Only
        a guess at what saves runs: :meth:`reached` still decides what the trace
        needs; a wrong guess costs time, never a different output."""
        K = frozenset(K)
        addrs = set(_DST_RE.findall(microflow))
        if lb_dst:
            m = re.match(r"^\[?([0-9A-Fa-f:.]+?)\]?(?::\d+)?$", lb_dst.strip())
            if m:
                addrs.add(m.group(1))
        targets = self._owners(addrs) - K
        if not targets:
            return set()
        links = self._datapath_links()
        # breadth first from K; the chain to every target reached is added
        prev: dict[str, str | None] = {d: None for d in K}
        frontier = sorted(K)
        while frontier:
            nxt = []
            for d in frontier:
                for e in sorted(links.get(d, ())):
                    if e not in prev:
                        prev[e] = d
                        nxt.append(e)
            frontier = nxt
        out: set[str] = set()
        for d in targets:
            step: str | None = d
            if step in prev:
                while step is not None and step not in K:
                    out.add(step)
                    step = prev[step]
        return out

    def addressed_out_of(self, K: Iterable[str], microflow: str) -> bool:
        """The microflow's ``eth.dst`` belongs to ports of other datapaths only (a router
        port, typically): the packet is sent out of *K* unless it is dropped first."""
        macs = set(re.findall(r"\beth\.dst\s*==\s*([0-9A-Fa-f:]+)", microflow))
        owners = self._owners(macs)
        return bool(owners) and frozenset(K).isdisjoint(owners)

    def _ports_friendly(self, name: str, kind: str) -> list[str]:
        if self._port_friendly is None:
            self._port_friendly = {}
            for u, r in self.ports.items():
                self._port_friendly.setdefault((self._port_friendly_name(r), r["type"]),
                                               []).append(u)
        return self._port_friendly.get((name, kind), [])

    def reached(self, K: Iterable[str], detailed: str) -> set[str]:
        """Datapaths not in *K* that the trace (its detailed form) reached or left for."""
        K = frozenset(K)
        new: set[str] = set()
        headings = set()
        for line in detailed.split("\n"):
            m = _OUTPUT_RE.match(line)
            if m is not None:
                if m.group(2) in PEER_TYPES:
                    for pu in self._ports_friendly(m.group(1), m.group(2)):
                        for peer in self._links(pu):
                            dp = _one(self.ports[peer]["datapath"])
                            if dp not in K and dp in self.dps:
                                new.add(dp)
                continue
            m = _HEADING_RE.match(line)
            if m is not None:
                headings.add(m.group(1))
        if headings:
            for u, friendly in self._dp_friendly.items():
                if friendly in headings and u not in K:
                    new.add(u)
        return new


def _tables_to_read(schema) -> list[str]:
    """TRACE_TABLES, WHOLE_TABLES and every table their rows can refer to."""
    want = [t for t in dict.fromkeys(TRACE_TABLES + WHOLE_TABLES) if t in schema.tables]
    seen = set(want)
    i = 0
    while i < len(want):
        for c in schema.tables[want[i]].columns.values():
            for ref in (c.key_ref_table, c.value_ref_table):
                if ref and ref not in seen and ref in schema.tables:
                    seen.add(ref)
                    want.append(ref)
        i += 1
    return want


# ------------------------------------------------------------ output forms
_HEADERS = {"detailed": b"# Detailed trace.\n", "summary": b"# Summary trace.\n",
            "minimal": b"# Minimal trace.\n"}


def forms_to_run(form: str) -> list[str]:
    """ovn-trace form options that print *form* and the detailed form (read by
    :meth:`Pruner.reached`) in one run."""
    if form in ("detailed", "all"):
        return [f"--{form}"]
    return ["--detailed", f"--{form}"]


def split_forms(stdout: bytes, form: str) -> tuple[bytes, bytes] | None:
    """(what ``ovn-trace --<form>`` alone prints, what ``--detailed`` alone prints) from
    the output of ovn-trace run with :func:`forms_to_run`; None when it cannot be
    split for sure.

    ``trace()`` prints ``# <flow>`` and then, with more than one form, each form
    after a header line (``# Detailed trace.``, ``# Summary trace.``, ``# Minimal
    trace.``), all from the same tree (the minimal form last: it prunes the
    tree), so each part is what that form alone prints.  An error (unknown
    datapath or port, a microflow it cannot parse) is one line, in every form.
    """
    first_nl = stdout.find(b"\n")
    if form == "detailed" or first_nl < 0 or not stdout.startswith(b"# "):
        return stdout, stdout
    head, rest = stdout[:first_nl + 1], stdout[first_nl + 1:]
    if not rest.startswith(_HEADERS["detailed"]):
        return None
    body = rest[len(_HEADERS["detailed"]):]
    header = _HEADERS["summary" if form == "all" else form]
    cut = b"\n" + header
    if body.count(cut) != 1:
        return None
    i = body.index(cut) + 1
    detailed = head + body[:i]
    if form == "all":
        return stdout, detailed
    return head + body[i + len(header):], detailed


# ------------------------------------------------------------------ the loop
@dataclass
class Replay:
    """What :func:`replay` ends with."""

    stdout: bytes  # what ``ovn-trace --<form>`` printed on the last copy
    stderr: bytes  # its stderr, without the warnings the empty flows caused
    subset: Subset  # the last copy
    steps: list[frozenset] = field(default_factory=list)  # K of each run

    @property
    def runs(self) -> int:
        return len(self.steps)


_UNKNOWN_PORT_RE = re.compile(rb'^unknown port "(.*)"\n\Z')


def replay(pruner: Pruner, datapath: str | None, microflow: str, form: str,
           run, lb_dst: str | None = None) -> Replay:
    """Run ovn-trace on ever larger copies until the trace stays inside the copy.

    *run(subset, form_options)* writes and serves the copy, runs ovn-trace with
    those form options (and the caller's others) and returns ``(stdout,
    stderr)``.  Each run's detailed form says which datapaths to add
    (:meth:`Pruner.reached`); none: its output is the answer.  The datapaths
    toward the packet's destination (:meth:`Pruner.toward`) are added from the
    start when the packet is addressed out of its first datapath (its ``eth.dst``
    is a port's of another datapath), else the first time the trace leaves the
    copy: each run costs about as much as its copy is big, and the first one,
    which only finds where the packet goes, as much as a second.
    """
    K = frozenset(pruner.start(datapath, microflow))
    looked_ahead = pruner.addressed_out_of(K, microflow)
    if looked_ahead:
        K |= pruner.toward(K, microflow, lb_dst)
    forms = forms_to_run(form)
    detailed_only = False
    steps = []
    while True:
        subset = pruner.subset(K, microflow)
        steps.append(K)
        stdout, stderr = run(subset, forms)
        parts = (None, stdout) if detailed_only else split_forms(stdout, form)
        if parts is None:
            # a name holds a form's header line: the detailed form alone from now
            # on, the asked-for form once at the end
            forms, detailed_only = ["--detailed"], True
            stdout, stderr = run(subset, forms)
            parts = (None, stdout)
        user, detailed = parts
        new = pruner.reached(K, detailed.decode("utf-8", "replace"))
        m = _UNKNOWN_PORT_RE.match(stdout)
        if m is not None:  # the start port was not in the copy (never on the whole database)
            new |= pruner.start(None, 'inport == "%s"' % m.group(1).decode("utf-8", "replace"))
            new -= K
        if new and not looked_ahead:
            looked_ahead = True
            new |= pruner.toward(K | new, microflow, lb_dst)
        if not new:
            if user is None:
                user, stderr = run(subset, [f"--{form}"])
            return Replay(user, subset.clean_stderr(stderr), subset, steps)
        K = K | new
