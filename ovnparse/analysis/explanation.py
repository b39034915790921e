"""What analysis says about a trace: its Explanation and, for a drop, the Drop.

Every format's analysis (logical.py, openflow.py, ovnkube.py) returns one;
`to_dict()` is the JSON of `ovnparse explain --json` (README, "explain
--json").  Text for people is composed in views/; `Drop.reason` is the one
sentence the JSON keeps, made here from typed fields by `classify_drop`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import Problem
from ..model import Acl, Command, Owner, References, Resolution
from .display import card


class Verdict(StrEnum):
    """What happened to the packet (README, "Verdicts"); compares equal to its word."""

    DELIVERED = "delivered"
    FLOODED = "flooded"
    DROPPED = "dropped"
    CONTROLLER = "controller"
    INCOMPLETE = "incomplete"
    ERROR = "error"


class ReasonCode(StrEnum):
    ACL = "acl"
    PORT_SECURITY = "port-security"
    NO_ROUTE = "no-route"
    NO_MATCH = "no-match"
    TTL = "ttl"
    REJECT = "reject"
    OTHER = "other"


@dataclass
class Drop:
    """Where the packet was dropped, and why.  Logical fields come from
    ovn-trace's stage (or ovn-detrace's notes); OpenFlow fields from the
    OpenFlow step; the resolved ones from the databases (enrich/)."""

    datapath: str | None
    pipeline: str | None  # ingress | egress
    table: int | None  # the logical table
    stage: str | None  # ls_in_acl_eval, ...
    priority: int | None  # of the flow that dropped (OpenFlow's, for an OpenFlow trace)
    match: str | None
    lflow: str | None  # the logical flow's uuid prefix (8 hex digits)
    reason_code: ReasonCode
    reason: str
    line: int | None
    openflow_table: int | None = None
    cookie: str | None = None  # "0x" + 8 hex digits
    acl_log: dict | None = None  # an ACL log() decoded from a controller action's userdata
    lflow_uuid: str | None = None
    lflow_match: str | None = None  # how the flow was found (model/resolution.py)
    acl: Acl | None = None
    owner: Owner | None = None
    openflow_flows: list[str] | None = None  # dump-flows lines with the drop's cookie
    # OVN >= 23.06: the acl_action flow that acted on the drop verdict the ACL's
    # acl_eval flow (the drop point) set: {"stage", "table", "priority", "lflow", "line"}
    acl_action: dict | None = None
    # with databases: the port groups and address sets its match names
    references: References | None = None

    def resolve(self, resolution: Resolution | None) -> list[str]:
        """Take what enrichment found for the dropping flow; its problems."""
        if resolution is None:
            return []
        self.references = resolution.references
        self.lflow_uuid = resolution.lflow_uuid
        self.lflow_match = resolution.how
        self.acl = resolution.acl
        self.owner = resolution.owner
        self.openflow_flows = resolution.openflow_flows
        return list(resolution.problems)

    def resolve_acl(self, resolution: Resolution | None) -> list[str]:
        """Take the ACL (and owner) found by the name its log printed, where the
        flow named none; its problems."""
        if resolution is None or self.acl is not None:
            return []
        self.acl, self.owner = resolution.acl, resolution.owner
        if self.lflow_match is None and resolution.acl is not None:
            self.lflow_match = resolution.how
        return list(resolution.problems)

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["acl"] = self.acl.to_dict() if self.acl else None
        out["owner"] = self.owner.to_dict() if self.owner else None
        out["references"] = self.references.to_dict() if self.references else None
        return out


@dataclass
class Explanation:
    format: str
    microflow: str | None
    lines: list[int]
    verdict: Verdict
    outputs: list[str] | None
    datapaths: list[str] | None
    transforms: list[dict]
    drop: Drop | None
    warnings: list[Problem]
    source: str = ""
    endings: list = field(default_factory=list, repr=False)  # the branches' ends (logical)
    recirculations: int | None = None  # resumed passes (OpenFlow traces)
    checks: list[dict] | None = None  # ovnkube-trace's verdicts
    command: Command | None = None  # the command saved before the trace
    # the trace it explains, where the caller keeps it (ovnparse.Trace does: its card)
    trace: Any = field(default=None, repr=False, compare=False)

    def _repr_html_(self) -> str | None:
        """A card for Jupyter (views/html.py)."""
        return card(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "command": self.command.to_dict() if self.command else None,
            "microflow": self.microflow,
            "lines": self.lines,
            "verdict": str(self.verdict),
            "outputs": self.outputs,
            "datapaths": self.datapaths,
            "transforms": self.transforms,
            "drop": self.drop.to_dict() if self.drop else None,
            "warnings": [warning_dict(w) for w in self.warnings],
            "recirculations": self.recirculations,
            "checks": self.checks,
        }


def warning_dict(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line or None, "message": problem.message,
            "expected": problem.expected}


def is_acl_stage(name: str | None, kind: str) -> bool:
    """An ACL stage of OVN >= 23.06 of a kind ("_eval", "_action"): ls_in_acl_eval,
    ls_in_acl_after_lb_action, ls_out_acl_eval..."""
    return name is not None and "_acl" in name and name.endswith(kind)


def classify_drop(stage: str | None, match: str | None, *, acl: str | None = None,
                  rejected: bool = False, time_exceeded: bool = False,
                  no_match: str | None = None, other: str = "dropped"
                  ) -> tuple[ReasonCode, str]:
    """(reason code, reason) of a drop, from the stage that dropped and what the
    trace shows of it.  The one ladder for every format:

    `acl`: the ACL as the trace names it (LOG line, ovn-detrace note, log()
    userdata); `rejected`: a reject reply was made (or the actions reject);
    `time_exceeded`: that reply is an ICMP time exceeded; `no_match`: no flow
    matched (the sentence to say so); `other`: the sentence when nothing
    above applies.
    """
    name = stage or ""
    match = match or ""
    is_acl = "acl" in name or acl is not None
    if rejected:
        if time_exceeded or "ttl" in match:
            return ReasonCode.TTL, "TTL expired; an ICMP time-exceeded reply was generated"
        if is_acl:
            return ReasonCode.REJECT, (acl or f"rejected by {name}") + \
                "; a reject reply was generated"
        return ReasonCode.REJECT, \
            f"rejected at {name or 'this stage'}; an error reply was generated"
    if is_acl:
        return ReasonCode.ACL, acl or f"dropped by an ACL in {name} ({match})"
    if "port_sec" in name:
        return ReasonCode.PORT_SECURITY, \
            f"port security: {match or 'packet does not match the port addresses'}"
    if "ip_routing" in name:
        return ReasonCode.NO_ROUTE, "no route to the destination"
    if "ttl" in match:
        return ReasonCode.TTL, "TTL expired"
    if no_match is not None:
        return ReasonCode.NO_MATCH, no_match
    return ReasonCode.OTHER, other
