"""ovn-trace's logical trace: pipelines, stages, actions, forks, outputs.

Node kinds:

- `Pipeline`  a logical pipeline run: ingress/egress of a datapath, or a
              multicast fan-out (ovn-trace's titled `ingress(dp=...)` blocks).
- `Stage`     one logical table hit (ovn-trace `N. stage (source): match,
              priority P, uuid U`), or a table with no matching flow.
- `Action`    one action as printed (`next;`, `outport = "p";`, `output;`).
- `Modify`    a packet change that only the summary/minimal forms print
              (`ip.ttl--`, `output("p")`).
- `Fork`      a point where the tool continues with a changed packet:
              `ct_next(...)`, `ct_lb_mark`, `ct_dnat(...)`, `clone`, `arp`,
              `icmp4`, ... Its children are what happened next.
- `Log`       an ACL `LOG:` line.
- `Output`    the tool's `/* output to "p", type "t" */` and related notes.
- `Error`     a `*** ...` line: the tool could not go on.

Stages of one pipeline are siblings in order: ovn-trace prints each next table
as the last child of the previous one, and the parser lifts that chain flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import EMPTY, Node, Step


@dataclass(slots=True)
class Pipeline(Node):
    kind: ClassVar[str] = "pipeline"
    direction: str = ""  # "ingress" | "egress" | "multicast"
    datapath: str | None = None
    inport: str | None = None
    outport: str | None = None
    mcgroup: str | None = None


@dataclass(slots=True)
class Stage(Step):
    kind: ClassVar[str] = "stage"
    stage: str | None = None  # e.g. "ls_in_acl"
    source: str | None = None  # northd source location, e.g. "northd.c:6435"
    match: str | None = None
    priority: int | None = None
    lflow: str | None = None  # uuid prefix as printed (8 hex digits)

    @property
    def key(self) -> str | None:
        """The logical flow's uuid prefix, 8 lowercase hex digits."""
        return self.lflow.lower().zfill(8) if self.lflow else None


@dataclass(slots=True)
class Action(Node):
    kind: ClassVar[str] = "action"
    children: list[Node] = EMPTY  # actions never have children


@dataclass(slots=True)
class Modify(Node):
    kind: ClassVar[str] = "modify"
    output_port: str | None = None  # set for `output("p")`


@dataclass(slots=True)
class Fork(Node):
    kind: ClassVar[str] = "fork"
    name: str = ""  # ct_next, ct_lb_mark, ct_dnat, clone, arp, icmp4, ...
    detail: str | None = None  # what follows the name, e.g. "ct_state=new|trk"


@dataclass(slots=True)
class Log(Node):
    kind: ClassVar[str] = "log"
    acl: str | None = None  # the ACL name, "<unnamed>" if it has none
    direction: str | None = None  # "IN" | "OUT"
    verdict: str | None = None  # "drop" | "allow" | "reject" | "pass"
    severity: str | None = None
    packet: str | None = None


@dataclass(slots=True)
class Output(Node):
    kind: ClassVar[str] = "output"
    port: str | None = None  # logical port the packet leaves by
    port_type: str | None = None  # its Port_Binding type ("" for a VIF)
    omitted: bool = False  # "omitting output because inport == outport"


@dataclass(slots=True)
class Error(Node):
    """`*** ...` (or a message instead of a trace).  `fatal`: the tool stopped
    here; ovn-trace also prints a few notes as error nodes (`/* We assume ...
    */`, `--ovs`'s `*** no OpenFlow flows`) and goes on after them."""

    kind: ClassVar[str] = "error"
    fatal: bool = True
