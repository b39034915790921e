"""What a many-input run says of each trace: `source`, `packet`, the error entry,
and the flat row of frames, CSV and Parquet.

`source`: `{"file", "member", "lines": [first, last], "databases"}` (member:
the name inside an archive; databases: `{"nb", "sb"}` as named, or null).

`packet`: the packet as ovn-trace's microflow and ofproto/trace's `Flow:`
both print it (OpenFlow's flow syntax), so traces of one packet can be
grouped: `{"inport", "eth_src", "eth_dst", "proto", "ip_src", "ip_dst",
"sport", "dport", "key"}`.  The two name the in-port differently (ovn-trace:
the tunnel key `reg14=0x5`; ofproto/trace: the OpenFlow port `in_port=4`),
so `key` leaves it out: `proto eth_src>eth_dst ip_src:sport>ip_dst:dport`.
With the Southbound, ovn-trace's `reg14` is resolved to the logical port's
name (the port of that tunnel key on the datapath the trace enters).
"""

from __future__ import annotations

from typing import Any

from ..errors import Problem

#: the flow's first word names the protocol (OpenFlow's shorthand)
_PROTOS = {"tcp", "udp", "sctp", "icmp", "arp", "rarp", "ip", "ipv6", "tcp6", "udp6",
           "sctp6", "icmp6", "igmp", "mpls", "nsh"}
#: error entries' status: errors.py's (InputError 2, DatabaseError 3, internal 4)
STATUS_INPUT, STATUS_DATABASE, STATUS_INTERNAL = 2, 3, 4

PACKET_KEYS = ("inport", "eth_src", "eth_dst", "proto", "ip_src", "ip_dst", "sport",
               "dport", "key")


def source_dict(file: str, member: str | None, lines: list[int] | None,
                databases: dict | None) -> dict[str, Any]:
    return {"file": file, "member": member, "lines": lines, "databases": databases}


def packet(microflow: str | None) -> dict[str, Any]:
    """The packet's fields read from an OpenFlow-syntax flow (null where absent)."""
    out: dict[str, Any] = dict.fromkeys(PACKET_KEYS)
    if not microflow:
        return out
    fields: dict[str, str] = {}
    for n, word in enumerate(microflow.split(",")):
        word = word.strip()
        if "=" in word:
            k, _, v = word.partition("=")
            fields[k] = v
        elif n == 0 and word in _PROTOS:
            out["proto"] = word
    out["inport"] = (f"reg14={fields['reg14']}" if "reg14" in fields
                     else f"in_port={fields['in_port']}" if "in_port" in fields else None)
    out["eth_src"] = fields.get("dl_src")
    out["eth_dst"] = fields.get("dl_dst")
    out["ip_src"] = fields.get("nw_src") or fields.get("ipv6_src") or fields.get("arp_spa")
    out["ip_dst"] = fields.get("nw_dst") or fields.get("ipv6_dst") or fields.get("arp_tpa")
    out["sport"] = _port(fields.get("tp_src") or fields.get("icmp_type")
                         or fields.get("icmpv6_type"))
    out["dport"] = _port(fields.get("tp_dst") or fields.get("icmp_code")
                         or fields.get("icmpv6_code"))
    if out["proto"] is None:
        out["proto"] = _proto_of(fields)
    if any(out[k] is not None for k in ("eth_src", "eth_dst", "ip_src", "ip_dst")):
        out["key"] = (f"{out['proto'] or '-'} {out['eth_src'] or '-'}>{out['eth_dst'] or '-'} "
                      f"{out['ip_src'] or '-'}:{_s(out['sport'])}>"
                      f"{out['ip_dst'] or '-'}:{_s(out['dport'])}")
    return out


def _s(value: Any) -> str:
    return "-" if value is None else str(value)


def _port(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 0)
    except ValueError:
        return None


def _proto_of(fields: dict[str, str]) -> str | None:
    dl_type = fields.get("dl_type")
    return {"0x0800": "ip", "0x86dd": "ipv6", "0x0806": "arp"}.get(dl_type or "")


def resolve_inport(pkt: dict[str, Any], datapaths: list[str] | None, db) -> None:
    """ovn-trace's `reg14=0xN` -> the logical port of tunnel key N on the datapath
    the trace enters, where the Southbound knows it (in place)."""
    inport = pkt.get("inport")
    if db is None or not inport or not inport.startswith("reg14=") or not datapaths:
        return
    index = db.index
    if index is None:
        return
    ports = db.cache.get("batch.ports")
    if ports is None:
        ports = {}
        try:
            names = {u: (r.get("external_ids") or {}).get("name")
                     for u, r in index.table("Datapath_Binding").items()}
            for row in index.table("Port_Binding").values():
                dp = row.get("datapath")
                dp = dp[1] if isinstance(dp, (list, tuple)) and len(dp) == 2 else dp
                ports[(names.get(dp), row.get("tunnel_key"))] = row.get("logical_port")
        except Exception:  # (a lflow-list text has no such tables: nothing to resolve)
            ports = {}
        db.cache["batch.ports"] = ports
    try:
        key = int(inport.partition("=")[2], 0)
    except ValueError:
        return
    name = ports.get((datapaths[0], key))
    if name:
        pkt["inport"] = name


def error_entry(file: str, member: str | None, problem: Problem, status: int,
                databases: dict | None = None) -> dict[str, Any]:
    """The entry of an input that could not be read (never the end of the run)."""
    return {"source": source_dict(file, member, None, databases), "format": None,
            "verdict": None,
            "error": {"line": problem.line or None, "message": _message(problem)},
            "_status": status}


def _message(problem: Problem) -> str:
    return problem.message + (f" (expected {problem.expected})" if problem.expected else "")


# --- flat rows: frame(), CSV, Parquet ---------------------------------------------------

FLAT_COLUMNS = ["source", "member", "first_line", "last_line", "packet_key", "format",
                "verdict", "outputs", "path", "drop_stage", "drop_table", "drop_datapath",
                "drop_priority", "lflow", "acl_name", "acl_uuid", "owner_kind",
                "owner_namespace", "owner_name", "warnings", "error", "databases"]
FLAT_INTS = ("first_line", "last_line", "drop_table", "drop_priority")


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """An explain record as one flat row (FLAT_COLUMNS): strings and integers only."""
    src = record["source"]
    lines = src.get("lines") or [None, None]
    drop = record.get("drop") or {}
    acl = drop.get("acl") or {}
    owner = drop.get("owner") or {}
    err = record.get("error")
    dbs = src.get("databases")
    warnings = record.get("warnings") or []
    return {
        "source": src["file"] + (f"!{src['member']}" if src.get("member") is not None else ""),
        "member": src.get("member"),
        "first_line": lines[0], "last_line": lines[1],
        "packet_key": (record.get("packet") or {}).get("key"),
        "format": record.get("format"), "verdict": record.get("verdict"),
        "outputs": ",".join(record["outputs"]) if record.get("outputs") else None,
        "path": " -> ".join(record["datapaths"]) if record.get("datapaths") else None,
        "drop_stage": drop.get("stage"), "drop_table": drop.get("table"),
        "drop_datapath": drop.get("datapath"), "drop_priority": drop.get("priority"),
        "lflow": drop.get("lflow_uuid") or drop.get("lflow"),
        "acl_name": acl.get("name"), "acl_uuid": acl.get("uuid"),
        "owner_kind": owner.get("kind"), "owner_namespace": owner.get("namespace"),
        "owner_name": None if owner.get("name") is None else str(owner["name"]),
        "warnings": "; ".join((f"line {w['line']}: " if w.get("line") else "") + w["message"]
                              for w in warnings) or None,
        "error": ((f"line {err['line']}: " if err.get("line") else "") + err["message"]
                  if err else None),
        "databases": ",".join(f"{k}={v}" for k, v in sorted(dbs.items())) if dbs else None,
    }
