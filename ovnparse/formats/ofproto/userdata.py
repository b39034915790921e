"""OVN's controller actions, read from their userdata.

ovn-controller encodes a logical action it carries out itself (pinctrl) as an
OpenFlow `controller(userdata=...)` action: a 4-byte opcode, 4 bytes of
padding, then the action's arguments (lib/actions.c
encode_start_controller_op).  An ACL's `log()` carries its verdict, its
severity and the ACL's name (encode_LOG, lib/acl-log.h): a logged ACL drop is
named from an OpenFlow trace without a database.
"""

from __future__ import annotations

import re

# include/ovn/actions.h ACTION_OPCODES, in order (the values are the order).
OVN_OPCODES = (
    "arp", "put_arp", "put_dhcp_opts", "nd_na", "put_nd", "put_dhcpv6_opts", "dns_lookup",
    "log", "put_nd_ra_opts", "nd_ns", "icmp", "tcp_reset", "nd_na_router",
    "put_icmp4_frag_mtu", "icmp4_error", "event", "igmp", "bind_vport", "handle_svc_check",
    "dhcp6_server", "icmp6_error", "put_icmp6_frag_mtu", "reject", "bfd_msg", "sctp_abort",
    "put_fdb", "activation_strategy", "split_buf_action", "dhcp_relay_req_chk",
    "dhcp_relay_resp_chk",
)
LOG_VERDICTS = {0: "allow", 1: "drop", 2: "reject", 3: "pass"}
LOG_SEVERITIES = {1: "alert", 4: "warning", 5: "notice", 6: "info", 7: "debug"}

_USERDATA = re.compile(r"userdata=([0-9a-fA-F]{2}(?:\.[0-9a-fA-F]{2})*)")


def decode_controller(text: str) -> dict | None:
    """An OVN controller action's userdata: {"opcode", "op"} and, for an ACL
    log, {"verdict", "severity", "acl"}.  None if it carries no userdata."""
    m = _USERDATA.search(text)
    if not m:
        return None
    data = bytes(int(b, 16) for b in m.group(1).split("."))
    if len(data) < 8:
        return {"opcode": None, "op": None, "userdata": m.group(1)}
    opcode = int.from_bytes(data[:4], "big")
    out: dict = {"opcode": opcode,
                 "op": OVN_OPCODES[opcode] if opcode < len(OVN_OPCODES) else None}
    if out["op"] == "log" and len(data) >= 10:
        out["verdict"] = LOG_VERDICTS.get(data[8], "<unknown>")
        out["severity"] = LOG_SEVERITIES.get(data[9], "<unknown>")
        out["acl"] = data[10:].decode("utf-8", "replace") or None
    return out
