"""What ovn-detrace prints about a cookie or an OpenFlow port, from a DbIndex.

ovn-detrace 23.03 (utilities/ovn_detrace.py.in) loads every row of the
databases into an IDL and, for every cookie, scans each table for rows whose
uuid starts with the cookie's 8 hex digits.  Here the rows come from a
:class:`~ovnparse.db.DbIndex` built once (a dictionary lookup a cookie), and
each cookie is resolved once however often the trace names it.

A note is ``(extra, body)``: ``extra`` 2 for what ovn-detrace prints with
``print_p`` (``  * ``, Southbound records), 3 for ``print_h`` (``   * ``,
Northbound hints and ``[Duplicate ...]`` markers).  Values are formatted as
ovn-detrace's ``%s`` of the IDL's Python values formats them: an optional
column is a list (``[]``, ``['tcp']``), a set a sorted list, a map a dict in
key order, a missing reference left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..db import (
    DETRACE_COOKIE_TABLES,
    DETRACE_HINT_TABLES,
    EXTENDED_COOKIE_TABLES,
    DbIndex,
    RowRef,
)
from ..formats.detrace_rules import COOKIE, PRINT_H, PRINT_P
from .owners import acl_name, acl_owner, describe

P, H = PRINT_P, PRINT_H

Note = tuple  # (extra, body)


def _sorted_set(v) -> list:
    if v is None:
        return []
    if not isinstance(v, list):
        return [v]
    try:
        return sorted(v)
    except TypeError:
        return list(v)


def _map(v) -> dict:
    if not v:
        return {}
    try:
        return {k: v[k] for k in sorted(v)}
    except TypeError:
        return dict(v)


def _opt(v) -> list:
    """An optional column as the IDL gives it: [] or [value]."""
    if v is None:
        return []
    if isinstance(v, list):
        return list(v)
    return [v]


class Resolver:
    """Cookies and OpenFlow ports → notes, cached.

    *interfaces* maps an OpenFlow port number of the integration bridge to its
    Open_vSwitch Interface row (``--ovs``); ``None`` when not asked for.
    *extended* adds what ovn-detrace leaves out (see the command's help).
    """

    def __init__(self, index: DbIndex, interfaces: Mapping[int, Mapping] | None = None, *,
                 extended: bool = False):
        self.index = index
        self.interfaces = interfaces
        self.extended = extended
        self._cookies: dict[str, list[Note]] = {}
        self.unresolved: list[str] = []  # cookies nothing resolved (in order, once each)

    def notes(self, what: str, key: int | str) -> list[Note]:
        """Notes for a lookup (formats/detrace_rules.Rules.lookups): a cookie's
        hex digits, or an OpenFlow port number."""
        return self.cookie(str(key)) if what == COOKIE else self.ofport(int(key))

    # ------------------------------------------------------------------ cookies
    def cookie(self, hex_digits: str) -> list[Note]:
        """Notes for `cookie 0x<hex_digits>` (the digits as the trace printed them)."""
        key = hex_digits.lower()
        notes = self._cookies.get(key)
        if notes is None:
            notes = self._cookies[key] = self._cookie(key)
        return notes

    def _cookie(self, key: str) -> list[Note]:
        matches: Iterable[RowRef]
        try:
            matches = self.index.cookie("0x" + key)
        except ValueError:
            matches = ()
        by_table: dict[str, list] = {}
        for ref in matches:
            by_table.setdefault(ref.table, []).append(ref)
        tables = DETRACE_COOKIE_TABLES + (EXTENDED_COOKIE_TABLES if self.extended else ())
        out: list[Note] = []
        found = False
        for table in tables:
            for i, ref in enumerate(by_table.get(table, ())):
                found = True
                if i > 0:
                    out.append((H, "[Duplicate uuid cookie]"))
                out.extend(getattr(self, "_" + table.lower())(ref.uuid, ref.row))
        if self.extended and not found:
            self.unresolved.append("0x" + key)
            out.append((P, f"WARNING: cookie 0x{key}: no Southbound row has a uuid starting "
                           f"with {key.zfill(8)} (the database is newer or older than the "
                           f"trace, or the flow is not derived from a row)"))
        return out

    # --------------------------------------------------------------- formatting
    def _row(self, table: str, uuid: Any) -> Mapping | None:
        if not isinstance(uuid, str):
            return None
        return self.index.row(table, uuid)

    def _datapath_str(self, uuid: str, row: Mapping) -> str:
        name = (row.get("external_ids") or {}).get("name")
        return '"%s" (%s)' % (name, uuid)

    def _datapath_of(self, uuid: Any) -> str:
        row = self._row("Datapath_Binding", uuid)
        if row is None:  # the IDL gives a missing reference's default
            return '"None" (00000000-0000-0000-0000-000000000000)'
        return self._datapath_str(uuid, row)

    def _chassis_str(self, refs) -> str:
        rows = [r for r in (self._row("Chassis", u) for u in _sorted_set(refs)) if r is not None]
        if not rows:
            return ""
        ch = rows[0]
        return 'chassis-name "%s", chassis-str "%s"' % (ch.get("name"), ch.get("hostname"))

    def _logical_flow(self, uuid: str, lflow: Mapping) -> list[Note]:
        out: list[Note] = [(P, "Logical datapaths:")]
        pipeline = lflow.get("pipeline")
        datapaths = [u for u in _sorted_set(lflow.get("logical_datapath"))
                     if self._row("Datapath_Binding", u) is not None]
        groups = [u for u in _sorted_set(lflow.get("logical_dp_group"))
                  if self._row("Logical_DP_Group", u) is not None]
        if groups and (group := self._row("Logical_DP_Group", groups[0])) is not None:
            datapaths += [u for u in _sorted_set(group.get("datapaths"))
                          if self._row("Datapath_Binding", u) is not None]
        for dp in datapaths:
            out.append((P, "    %s [%s]" % (self._datapath_of(dp), pipeline)))
        ext = lflow.get("external_ids") or {}
        out.append((P, "Logical flow: table=%s (%s), priority=%s, match=(%s), actions=(%s)" % (
            lflow.get("table_id"), ext.get("stage-name"), lflow.get("priority"),
            str(lflow.get("match")).strip('"'), str(lflow.get("actions")).strip('"'))))
        hint = ext.get("stage-hint")
        if hint:
            out.extend(self._hints(hint))
        return out

    def _hints(self, hint: str) -> list[Note]:
        index = self.index
        if index.nb is None:
            return []
        try:
            matches = index.nb_prefix(hint.zfill(8))
        except ValueError:
            return []
        by_table: dict[str, list] = {}
        for ref in matches:
            by_table.setdefault(ref.table, []).append(ref)
        out: list[Note] = []
        for table in DETRACE_HINT_TABLES:
            for i, ref in enumerate(by_table.get(table, ())):
                if i > 0:
                    out.append((H, "[Duplicate uuid hint]"))
                out.extend(getattr(self, "_nb_" + table.lower())(ref.row))
        return out

    # Southbound records (print_p)
    def _port_binding(self, uuid: str, pb: Mapping) -> list[Note]:
        return [(P, "Logical datapath: %s" % self._datapath_of(pb.get("datapath"))),
                (P, 'Port Binding: logical_port "%s", tunnel_key %d, %s' % (
                    pb.get("logical_port"), pb.get("tunnel_key") or 0,
                    self._chassis_str(pb.get("chassis"))))]

    def _mac_binding(self, uuid: str, mb: Mapping) -> list[Note]:
        return [(P, "Logical datapath: %s" % self._datapath_of(mb.get("datapath"))),
                (P, 'MAC Binding: ip "%s", logical_port "%s", mac "%s"' % (
                    mb.get("ip"), mb.get("logical_port"), mb.get("mac")))]

    def _multicast_group(self, uuid: str, mc: Mapping) -> list[Note]:
        ports = [str(r.get("logical_port")) for r in
                 (self._row("Port_Binding", u) for u in _sorted_set(mc.get("ports")))
                 if r is not None]
        return [(P, "Logical datapath: %s" % self._datapath_of(mc.get("datapath"))),
                (P, 'Multicast Group: name "%s", tunnel_key %d ports: (%s)' % (
                    mc.get("name"), mc.get("tunnel_key") or 0, ", ".join(ports)))]

    def _chassis(self, uuid: str, ch: Mapping) -> list[Note]:
        return [(P, 'Chassis: chassis-name "%s", chassis-str "%s"' % (
            ch.get("name"), ch.get("hostname")))]

    def _load_balancer(self, uuid: str, lb: Mapping) -> list[Note]:
        return [(P, "Load Balancer: %s protocol %s vips %s" % (
            lb.get("name"), _opt(lb.get("protocol")), _map(lb.get("vips"))))]

    # --extended: the cookie tables ovn-detrace does not look in
    def _static_mac_binding(self, uuid: str, smb: Mapping) -> list[Note]:
        return [(P, "Logical datapath: %s" % self._datapath_of(smb.get("datapath"))),
                (P, 'Static MAC Binding: ip "%s", logical_port "%s", mac "%s", '
                    'override_dynamic_mac %s' % (
                        smb.get("ip"), smb.get("logical_port"), smb.get("mac"),
                        smb.get("override_dynamic_mac")))]

    def _fdb(self, uuid: str, fdb: Mapping) -> list[Note]:
        dp = self.index.datapath_by_tunnel_key(fdb.get("dp_key"))
        dp_text = self._datapath_str(dp.uuid, dp.row) if dp else '"None"'
        port = None
        if dp is not None:
            for row in self.index.table("Port_Binding").values():
                if row.get("datapath") == dp.uuid and row.get("tunnel_key") == fdb.get("port_key"):
                    port = row.get("logical_port")
                    break
        return [(P, "Logical datapath: %s" % dp_text),
                (P, 'FDB: mac "%s", dp_key %s, port_key %s (logical_port "%s")' % (
                    fdb.get("mac"), fdb.get("dp_key"), fdb.get("port_key"), port))]

    def _datapath_binding(self, uuid: str, dp: Mapping) -> list[Note]:
        return [(P, "Datapath Binding: %s, tunnel_key %s" % (
            self._datapath_str(uuid, dp), dp.get("tunnel_key")))]

    # Northbound hints (print_h)
    def _nb_acl(self, acl: Mapping) -> list[Note]:
        text = "ACL: %s, priority=%s, match=(%s), %s" % (
            acl.get("direction"), acl.get("priority"), str(acl.get("match")).strip('"'),
            acl.get("action"))
        if acl.get("log"):
            text += " (log)"
        out = [(H, text)]
        if self.extended:
            name = acl_name(acl)
            out.append((H, "ACL name %s, owner: %s" % (
                '"%s"' % name if name else "(none)", describe(acl_owner(acl)))))
        return out

    def _nb_dhcp_options(self, d: Mapping) -> list[Note]:
        return [(H, "DHCP Options: cidr %s options (%s)" % (d.get("cidr"), _map(d.get("options"))))]

    def _nb_forwarding_group(self, f: Mapping) -> list[Note]:
        return [(H, "Forwarding Group: name %s vip %s vmac %s liveness %s child ports (%s)" % (
            f.get("name"), f.get("vip"), f.get("vmac"), f.get("liveness"),
            _sorted_set(f.get("child_port"))))]

    def _nb_logical_switch_port(self, lsp: Mapping) -> list[Note]:
        return [(H, "Logical Switch Port: %s type %s (addresses %s, dynamic addresses %s, "
                    "security %s" % (lsp.get("name"), lsp.get("type"),
                                     _sorted_set(lsp.get("addresses")),
                                     _opt(lsp.get("dynamic_addresses")),
                                     _sorted_set(lsp.get("port_security"))))]

    def _nb_logical_router_port(self, lrp: Mapping) -> list[Note]:
        return [(H, "Logical Router Port: %s mac %s networks %s ipv6_ra_configs %s" % (
            lrp.get("name"), lrp.get("mac"), _sorted_set(lrp.get("networks")),
            _map(lrp.get("ipv6_ra_configs"))))]

    def _nb_logical_router_policy(self, p: Mapping) -> list[Note]:
        return [(H, "Logical Router Policy: priority %s match %s action %s nexthop %s" % (
            p.get("priority"), p.get("match"), p.get("action"), _opt(p.get("nexthop"))))]

    def _nb_load_balancer(self, lb: Mapping) -> list[Note]:
        return [(H, "Load Balancer: %s protocol %s vips %s ip_port_mappings %s" % (
            lb.get("name"), _opt(lb.get("protocol")), _map(lb.get("vips")),
            _map(lb.get("ip_port_mappings"))))]

    def _nb_nat(self, nat: Mapping) -> list[Note]:
        return [(H, "NAT: external IP %s external_mac %s logical_ip %s logical_port %s type %s" % (
            nat.get("external_ip"), _opt(nat.get("external_mac")), nat.get("logical_ip"),
            _opt(nat.get("logical_port")), nat.get("type")))]

    def _nb_logical_router_static_route(self, r: Mapping) -> list[Note]:
        return [(H, "Route: %s via %s (port %s), policy=%s" % (
            r.get("ip_prefix"), r.get("nexthop"), _opt(r.get("output_port")),
            _opt(r.get("policy"))))]

    def _nb_qos(self, q: Mapping) -> list[Note]:
        return [(H, "QoS: priority %s direction %s match %s action %s bandwidth %s" % (
            q.get("priority"), q.get("direction"), q.get("match"), _map(q.get("action")),
            _map(q.get("bandwidth"))))]

    # -------------------------------------------------------------------- ports
    def ofport(self, number: int) -> list[Note]:
        """`OVS Interface:` for an OpenFlow port of the integration bridge (--ovs)."""
        if self.interfaces is None:
            return []
        intf = self.interfaces.get(number)
        if intf is None:
            return []
        return [(P, "OVS Interface: %s (%s)" % (
            intf.get("name"), (intf.get("external_ids") or {}).get("iface-id")))]


def bridge_interfaces(ovs_rows: Mapping[str, Mapping[str, Mapping]]) -> dict[int, Mapping]:
    """{ofport: Interface row} of the integration bridge, as ovn-detrace finds it.

    *ovs_rows* is ``{table: {uuid: row}}`` of an Open_vSwitch database (tables
    Open_vSwitch, Bridge, Port, Interface).  The bridge is the Open_vSwitch
    row's ``external_ids:ovn-bridge``, ``br-int`` by default.
    """
    ovs = next(iter(ovs_rows.get("Open_vSwitch", {}).values()), None)
    br_name = (ovs.get("external_ids") or {}).get("ovn-bridge", "br-int") if ovs else "br-int"
    bridge = next((b for b in ovs_rows.get("Bridge", {}).values() if b.get("name") == br_name),
                  None)
    if bridge is None:
        raise LookupError(f"the Open_vSwitch database has no bridge {br_name!r}")
    ports = ovs_rows.get("Port", {})
    interfaces = ovs_rows.get("Interface", {})
    out: dict[int, Mapping] = {}
    for p in _sorted_set(bridge.get("ports")):
        port = ports.get(p)
        if port is None:
            continue
        for i in _sorted_set(port.get("interfaces")):
            intf = interfaces.get(i)
            if intf is None:
                continue
            ofport = _opt(intf.get("ofport"))
            if ofport:
                out[ofport[0]] = intf
    return out


def read_interfaces(source) -> dict[int, Mapping]:
    """:func:`bridge_interfaces` of a DatabaseSource of an Open_vSwitch database."""
    tables: Iterable[str] = ("Open_vSwitch", "Bridge", "Port", "Interface")
    have = set(source.tables())
    source.prefetch([t for t in tables if t in have])
    return bridge_interfaces({t: source.rows(t) for t in tables if t in have})


__all__ = ["Resolver", "bridge_interfaces", "read_interfaces"]
