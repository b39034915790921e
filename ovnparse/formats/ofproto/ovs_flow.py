"""A pass's flows and datapath actions, parsed by `ovs.flow` (the `ovs` package).

Only on access (about 40 us a line): a parse never calls these.  Where
ovs.flow falls short (README: masked icmp_type, vlan_tci1, push_eth, nsh...)
the caller gets an `OvsFlowError` naming the line.

ovs.flow's key-value parser loops forever on a carriage return or a tab
inside the text (`Datapath actions: 1\r0`: it finds an empty key before the
character and never moves past it; README, "Dependencies"): any whitespace
but a space is refused here, before ovs.flow sees it.  Every call into
ovs.flow goes through this module.
"""

from __future__ import annotations

import re

from ...model import OfPass

_RECIRC = re.compile(r"recirc\((0x[0-9a-fA-F]+|\d+)\)")
_NOT_SPACE_WHITESPACE = re.compile(r"[^\S ]")


class OvsFlowError(ValueError):
    """ovs.flow could not parse a flow or an action list of the trace."""

    def __init__(self, line: int, detail: str):
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail


def _checked(text: str, line: int, what: str) -> str:
    bad = _NOT_SPACE_WHITESPACE.search(text)
    if bad:
        raise OvsFlowError(line, f"the {what} holds a {bad.group()!r} at column "
                                 f"{bad.start() + 1}: not a flow as OVS prints one")
    return text


def match(text: str | None, line: int, what: str) -> dict | None:
    """An OpenFlow match (`Flow:`, `Final flow:`, `Megaflow:`) as {field: value}."""
    if text is None:
        return None
    from ovs.flow.kv import KVParser
    from ovs.flow.ofp import OFPFlow
    try:
        parser = KVParser(_checked(text, line, what), OFPFlow.match_decoders())
        parser.parse()
    except OvsFlowError:
        raise
    except Exception as exc:  # ovs.flow raises ParseError, ValueError, KeyError...
        raise OvsFlowError(line, f"ovs.flow cannot parse the {what}: {exc}") from None
    return {kv.key: kv.value for kv in parser.kv()}


def odp_actions(text: str | None, line: int) -> list[dict] | None:
    """Datapath actions as [{name: value}, ...] (`{"output": {"port": 5}}`)."""
    if text is None:
        return None
    from ovs.flow.kv import KVParser
    from ovs.flow.odp import ODPFlow
    try:
        parser = KVParser(_checked(text, line, "datapath actions"), ODPFlow.action_decoders())
        parser.parse()
    except OvsFlowError:
        raise
    except Exception as exc:
        raise OvsFlowError(line, f"ovs.flow cannot parse the datapath actions: {exc}") from None
    return [{kv.key: kv.value} for kv in parser.kv()]


def ofp_flow(text: str, line: int):
    """An `ovs-ofctl dump-flows` line as `ovs.flow.ofp.OFPFlow` reads it."""
    from ovs.flow.ofp import OFPFlow
    try:
        return OFPFlow(_checked(text.strip(), line, "dump-flows line"))
    except OvsFlowError:
        raise
    except Exception as exc:
        raise OvsFlowError(line, f"ovs.flow cannot parse the dump-flows line: {exc}") from None


def flow_match(p: OfPass) -> dict | None:
    return match(p.flow, p.line, "Flow: line")


def final_flow_match(p: OfPass) -> dict | None:
    if p.final_flow == "unchanged":
        return flow_match(p)
    return match(p.final_flow, p.final_flow_line or 0, "Final flow: line")


def megaflow_match(p: OfPass) -> dict | None:
    return match(p.megaflow, p.megaflow_line or 0, "Megaflow: line")


def datapath_action_list(p: OfPass) -> list[dict] | None:
    return odp_actions(p.datapath_actions, p.datapath_actions_line or 0)


def recircs(p: OfPass) -> list[str]:
    """Recirculation ids a pass's datapath actions queue ("0x28"), as printed."""
    if not p.datapath_actions or "recirc(" not in p.datapath_actions:
        return []
    return _RECIRC.findall(p.datapath_actions)
