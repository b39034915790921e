"""Resolve OpenFlow cookies and uuid prefixes to database rows, built once.

ovn-controller puts the first 32 bits of a Southbound row's uuid into the
cookie of every OpenFlow flow it derives from that row (``uuid.parts[0]``:
logical flows, port bindings, MAC bindings, multicast groups, chassis, load
balancers, FDB entries, datapaths); ``ofproto/trace`` prints it as ``cookie
0x8ff93663``, without leading zeros.  ovn-trace prints a logical flow's first 8
hex digits (``uuid 4dfc3efb``) and ovn-northd writes the first 8 hex digits of
the Northbound row a flow comes from into the flow's
``external_ids:stage-hint``.  All three are the same key: the uuid's first 8
hex digits.  32 bits do not make a unique name: a key can match several rows,
in one table or several, and every lookup returns all of them
(:attr:`Matches.ambiguous`), never one picked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .keys import HEX_DASH, cookie_key
from .source import DatabaseSource

__all__ = ["DbIndex", "RowRef", "Matches", "DatapathRef", "cookie_key",
           "SB_COOKIE_TABLES", "NB_HINT_TABLES", "DETRACE_HINT_TABLES",
           "DETRACE_COOKIE_TABLES", "EXTENDED_COOKIE_TABLES"]

#: Southbound tables whose uuids ovn-controller uses as OpenFlow cookies
SB_COOKIE_TABLES = ("Logical_Flow", "Port_Binding", "MAC_Binding", "Static_MAC_Binding",
                    "Multicast_Group", "Chassis", "Load_Balancer", "FDB", "Datapath_Binding")
#: Southbound tables ovn-detrace 23.03 looks a cookie up in, in its order
DETRACE_COOKIE_TABLES = ("Logical_Flow", "Port_Binding", "MAC_Binding", "Multicast_Group",
                         "Chassis", "Load_Balancer")
#: cookie tables ovn-detrace ignores, resolved by `ovnparse detrace --extended`
EXTENDED_COOKIE_TABLES = ("Static_MAC_Binding", "FDB", "Datapath_Binding")
#: Northbound tables ovn-detrace 23.03 looks a logical flow's stage-hint up in, in its order
DETRACE_HINT_TABLES = ("ACL", "DHCP_Options", "Forwarding_Group", "Logical_Switch_Port",
                       "Logical_Router_Port", "Logical_Router_Policy", "Load_Balancer", "NAT",
                       "Logical_Router_Static_Route", "QoS")
#: Northbound tables a stage-hint can name: ovn-detrace's, and the switches and routers
#: that northd 23.03 also names (e.g. ls_in_pre_hairpin, lr_in_ip_input flows)
NB_HINT_TABLES = DETRACE_HINT_TABLES + ("Logical_Switch", "Logical_Router")
#: Southbound tables read besides, to name a logical flow's datapaths
_SB_EXTRA = ("Logical_DP_Group",)

@dataclass(frozen=True)
class RowRef:
    """One row of one table: where it is, and the row itself."""

    database: str  # schema name: OVN_Southbound, OVN_Northbound
    table: str
    uuid: str
    row: Mapping[str, Any] = field(compare=False, hash=False, repr=False)

    @property
    def short(self) -> str:
        return self.uuid[:8]


@dataclass(frozen=True)
class Matches:
    """Every row a key names, in table order; more than one is a collision."""

    key: str
    rows: tuple[RowRef, ...] = ()

    @property
    def unique(self) -> RowRef | None:
        """The row when exactly one matches, else ``None`` (none, or a collision)."""
        return self.rows[0] if len(self.rows) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.rows) > 1

    def in_table(self, *tables: str) -> Matches:
        return Matches(self.key, tuple(r for r in self.rows if r.table in tables))

    def by_table(self) -> dict[str, list[RowRef]]:
        out: dict[str, list[RowRef]] = {}
        for r in self.rows:
            out.setdefault(r.table, []).append(r)
        return out

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[RowRef]:
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)


@dataclass(frozen=True)
class DatapathRef:
    """A logical datapath (Southbound Datapath_Binding) with its names."""

    uuid: str
    tunnel_key: int | None
    name: str | None  # external_ids:name (the NB logical switch/router name)
    name2: str | None  # external_ids:name2 (e.g. a second name for a router)
    row: Mapping[str, Any] = field(compare=False, hash=False, repr=False)

    @property
    def display_name(self) -> str:
        return self.name or self.name2 or self.uuid


class _PrefixMap:
    """8-hex key → uuid, or a list of uuids; uuid → its table.

    Plain strings only, no tuple per row: nothing here for the garbage collector
    to track (it would walk every row of a 100k-flow database again).
    """

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.table_of: dict[str, str] = {}

    @property
    def n(self) -> int:
        return len(self.table_of)

    def add_table(self, table: str, uuids: Iterable[str]) -> None:
        keys = self.keys
        table_of = self.table_of
        for uuid in uuids:
            if uuid in table_of:  # the same uuid in two tables (cannot happen in OVSDB)
                continue
            table_of[uuid] = table
            key = uuid[:8]
            cur = keys.get(key)
            if cur is None:
                keys[key] = uuid
            elif type(cur) is list:
                cur.append(uuid)
            else:
                keys[key] = [cur, uuid]

    def get(self, key: str) -> list[tuple[str, str]]:
        cur = self.keys.get(key)
        if cur is None:
            return []
        uuids = cur if type(cur) is list else [cur]
        return [(self.table_of[u], u) for u in uuids]

    def collisions(self) -> Iterator[tuple[str, list]]:
        for k, v in self.keys.items():
            if type(v) is list:
                yield k, v


class DbIndex:
    """Cookies / uuid prefixes → rows of a Southbound (and optionally a Northbound).

    Built once from the sources (their tables are fetched in one pass each);
    lookups are dictionary accesses.  Tables a database's schema does not have
    (an older OVN) are left out.
    """

    def __init__(self, sb: DatabaseSource, nb: DatabaseSource | None = None, *,
                 sb_tables: Iterable[str] = SB_COOKIE_TABLES,
                 nb_tables: Iterable[str] = NB_HINT_TABLES):
        self.sb = sb
        self.nb = nb
        self.sb_tables = tuple(sb_tables)
        self.nb_tables = tuple(nb_tables) if nb is not None else ()
        self._rows: dict[tuple[str, str], Mapping[str, Mapping]] = {}
        self._sb_map = _PrefixMap()
        self._nb_map = _PrefixMap()
        # (a row without tunnel_key, from a dump read without schema, is under None)
        self._by_tunnel_key: dict[int | None, str] | None = None
        self._by_content: dict[tuple, list[str]] | None = None  # see logical_flows_by
        self._acl_names: dict[str, list[str]] | None = None  # see acls_named
        self._load(sb, "sb", self.sb_tables + _SB_EXTRA, self._sb_map, self.sb_tables)
        if nb is not None:
            self._load(nb, "nb", self.nb_tables, self._nb_map, self.nb_tables)
        self.sb_name = sb.schema_name
        self.nb_name = nb.schema_name if nb is not None else None

    def _load(self, src: DatabaseSource, which: str, tables: tuple[str, ...],
              pmap: _PrefixMap, indexed: tuple[str, ...]) -> None:
        src.prefetch(list(dict.fromkeys(tables)))
        have = set(src.tables())
        for t in dict.fromkeys(tables):
            if t not in have:
                continue
            rows = src.rows(t)
            self._rows[(which, t)] = rows
            if t in indexed:
                pmap.add_table(t, rows)

    # ----------------------------------------------------------------- lookups
    def _matches(self, which: str, key: str, full: str | None = None,
                 tables: tuple[str, ...] | None = None) -> Matches:
        pmap = self._sb_map if which == "sb" else self._nb_map
        dbname = self.sb_name if which == "sb" else (self.nb_name or "OVN_Northbound")
        order = self.sb_tables if which == "sb" else self.nb_tables
        refs = [r for r in pmap.get(key)
                if (full is None or r[1].startswith(full)) and (tables is None or r[0] in tables)]
        refs.sort(key=lambda r: (order.index(r[0]), r[1]))
        return Matches(full or key, tuple(RowRef(dbname, t, u, self._rows[(which, t)][u])
                                          for t, u in refs))

    def cookie(self, cookie: int | str, *tables: str) -> Matches:
        """Southbound rows an OpenFlow cookie names (optionally only in *tables*)."""
        key = cookie_key(cookie)
        if key is None:
            return Matches(str(cookie))
        return self._matches("sb", key, None, tables or None)

    def prefix(self, prefix: str, *tables: str) -> Matches:
        """Southbound rows whose uuid starts with *prefix* (ovn-trace's ``uuid 4dfc3efb``).

        A prefix of 8 or more characters is a dictionary lookup; a shorter one is
        a scan of the keys.
        """
        return self._prefix("sb", prefix, tables or None)

    def nb_prefix(self, prefix: str, *tables: str) -> Matches:
        """Northbound rows (of the stage-hint tables) whose uuid starts with *prefix*."""
        return self._prefix("nb", prefix, tables or None)

    def _prefix(self, which: str, prefix: str, tables) -> Matches:
        p = prefix.strip().lower()
        if not p or not set(p) <= HEX_DASH:
            raise ValueError(f"not a uuid prefix: {prefix!r}")
        if len(p) >= 8:
            return self._matches(which, p[:8], p, tables)
        pmap = self._sb_map if which == "sb" else self._nb_map
        refs: list[RowRef] = []
        for k in pmap.keys:
            if k.startswith(p):
                refs.extend(self._matches(which, k, None, tables).rows)
        return Matches(p, tuple(refs))

    def lookup(self, key: int | str, *tables: str) -> Matches:
        """A cookie (``0x…`` or an int) or a uuid / uuid prefix, in the Southbound."""
        if isinstance(key, int) or (isinstance(key, str) and key.strip().lower().startswith("0x")):
            return self.cookie(key, *tables)
        return self.prefix(key, *tables)

    def collisions(self, database: str = "sb") -> dict[str, Matches]:
        """Every key that names more than one row (``"sb"`` or ``"nb"``)."""
        pmap = self._sb_map if database == "sb" else self._nb_map
        return {k: self._matches(database, k) for k, _ in pmap.collisions()}

    def row(self, table: str, uuid: str, database: str = "sb") -> Mapping | None:
        """The row with this full uuid, if the index holds its table."""
        rows = self._rows.get((database, table))
        return None if rows is None else rows.get(uuid)

    def table(self, table: str, database: str = "sb") -> Mapping[str, Mapping]:
        """``{uuid: row}`` of a table the index read (empty if it has none)."""
        return self._rows.get((database, table), {})

    # ------------------------------------------------------------- flows
    def datapath(self, uuid: str) -> DatapathRef | None:
        row = self.row("Datapath_Binding", uuid)
        if row is None:
            return None
        ext = row.get("external_ids") or {}
        return DatapathRef(uuid, row.get("tunnel_key"), ext.get("name"), ext.get("name2"), row)

    def datapaths(self, lflow: Mapping | RowRef) -> list[DatapathRef]:
        """The datapaths of a logical flow: its ``logical_datapath``, or its group's datapaths.

        A datapath uuid the Southbound has no Datapath_Binding for is left out.
        """
        row = lflow.row if isinstance(lflow, RowRef) else lflow
        uuids: list[str] = list(_as_list(row.get("logical_datapath")))
        for g in _as_list(row.get("logical_dp_group")):
            group = self.row("Logical_DP_Group", g)
            if group is not None:
                uuids.extend(_as_list(group.get("datapaths")))
        out = []
        for u in dict.fromkeys(uuids):
            dp = self.datapath(u)
            if dp is not None:
                out.append(dp)
        return out

    def datapath_by_tunnel_key(self, tunnel_key: int | None) -> DatapathRef | None:
        """The datapath whose ``tunnel_key`` is the packet's ``metadata`` (unique in OVSDB)."""
        if self._by_tunnel_key is None:
            self._by_tunnel_key = {row.get("tunnel_key"): uuid
                                   for uuid, row in self.table("Datapath_Binding").items()}
        uuid = self._by_tunnel_key.get(tunnel_key)
        return None if uuid is None else self.datapath(uuid)

    def stage_hint(self, lflow: Mapping | RowRef) -> Matches:
        """The Northbound rows a logical flow's ``external_ids:stage-hint`` names.

        Empty without a Northbound source or without a hint; several rows when
        the 8 hex digits name several (a collision, reported as such).
        """
        row = lflow.row if isinstance(lflow, RowRef) else lflow
        hint = (row.get("external_ids") or {}).get("stage-hint")
        if not hint or self.nb is None:
            return Matches(hint or "")
        try:
            return self.nb_prefix(hint)
        except ValueError:
            return Matches(hint)

    def acls_named(self, name: str) -> list[RowRef]:
        """Northbound ACLs by name (what an ACL's log prints); every one so named."""
        if self.nb is None:
            return []
        if self._acl_names is None:
            self._acl_names = {}
            for uuid, row in self.table("ACL", "nb").items():
                value = row.get("name")
                if isinstance(value, list):  # an optional column: [] or [name]
                    value = value[0] if value else None
                if value:
                    self._acl_names.setdefault(value, []).append(uuid)
        rows = self.table("ACL", "nb")
        return [RowRef(self.nb_name or "OVN_Northbound", "ACL", u, rows[u])
                for u in self._acl_names.get(name, ())]

    def logical_flows_by(self, stage: str | None, priority: int | None,
                         match: str | None) -> list[RowRef]:
        """Logical flows by stage name, priority and match (what a trace shows of
        a flow whose key the database does not know); [] when one is missing."""
        if not stage or priority is None or match is None:
            return []
        if self._by_content is None:
            self._by_content = {}
            for uuid, row in self.table("Logical_Flow").items():
                ids = row.get("external_ids") or {}
                content = (ids.get("stage-name"), row.get("priority"), row.get("match"))
                self._by_content.setdefault(content, []).append(uuid)
        rows = self.table("Logical_Flow")
        return [RowRef(self.sb_name, "Logical_Flow", u, rows[u])
                for u in self._by_content.get((stage, priority, match), ())]

    def __repr__(self) -> str:
        return (f"<DbIndex {self.sb_name}: {self._sb_map.n} rows"
                + (f", {self.nb_name}: {self._nb_map.n} rows" if self.nb is not None else "")
                + ">")


def _as_list(v) -> list:
    if v is None:
        return []
    if isinstance(v, list):
        return v
    return [v]
