"""What the databases say about a trace's flows: filled by enrich/, read by analysis/.

`Trace.resolved` maps the line of a node (a logical stage or OpenFlow table
step, an ACL LOG line) to its `Resolution`: the logical flow the step's key
names, the ACL behind it and the Kubernetes (or OpenStack) object that owns
the ACL.  Plain data; `to_dict()` gives the JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: how a flow was found: by its key alone, by its key among colliding rows
#: narrowed by what the trace shows, or (the key unknown: the database is
#: newer or older than the trace) by stage, priority and match
EXACT, NARROWED, BY_CONTENT = "exact", "narrowed", "best-effort (stage, priority and match)"
#: an ACL found by the name its log printed (the short forms name no flow)
BY_NAME = "by the ACL's name in its log"


@dataclass(slots=True)
class Owner:
    """The object an ACL implements, from its external_ids or its name."""

    kind: str  # NetworkPolicy, NetpolNamespace, AdminNetworkPolicy, ..., NeutronSecurityGroupRule
    namespace: str | None = None
    name: str | None = None
    direction: str | None = None  # Ingress | Egress
    rule: int | str | None = None  # the rule's index within the object
    legacy: bool = False  # read from pre-2023 ids or from the ACL's name alone

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Acl:
    """A Northbound ACL row, as far as a drop needs it."""

    uuid: str
    name: str | None
    direction: str | None
    priority: int | None
    action: str | None
    tier: int | None = None
    external_ids: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class PortGroupRef:
    """A port group a flow's match names (`@name`), as the databases have it."""

    name: str  # as the match writes it (the Northbound name)
    ports: list[str]  # logical switch port names
    pods: list[str]  # the ports that are pods, as namespace/name
    owner: Owner | None = None  # what made the group (its external_ids or name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ports": self.ports, "pods": self.pods,
                "owner": self.owner.to_dict() if self.owner else None}


@dataclass(slots=True)
class AddressSetRef:
    """An address set a flow's match names (`$name`)."""

    name: str
    addresses: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "addresses": self.addresses}


@dataclass(slots=True)
class References:
    """The port groups and address sets a flow's match names, resolved."""

    port_groups: list[PortGroupRef] = field(default_factory=list)
    address_sets: list[AddressSetRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"port_groups": [p.to_dict() for p in self.port_groups],
                "address_sets": [a.to_dict() for a in self.address_sets]}


@dataclass(slots=True)
class Resolution:
    """The databases' answer for one node of a trace."""

    lflow_uuid: str | None = None  # the Southbound Logical_Flow row
    how: str | None = None  # EXACT, NARROWED or BY_CONTENT (None: not found)
    acl: Acl | None = None
    owner: Owner | None = None
    openflow_flows: list[str] | None = None  # `ovs-ofctl dump-flows` lines with its cookie
    problems: list[str] = field(default_factory=list)  # what did not resolve cleanly
    references: References | None = None  # what its match names (enrich/references.py)
