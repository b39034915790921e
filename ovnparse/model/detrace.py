"""ovn-detrace's notes: what it printed about the flow or port of a trace line.

ovn-detrace prints `  * <Label>: ...` (print_p: Southbound records) and
`   * <Label>: ...` (print_h: Northbound hints, one more space) under the
lines it looked something up for.  `NOTE_KINDS` is the one list of the
labels it (and `ovnparse detrace --extended`) prints; format detection, the
parser, the printer and the resolver all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .base import EMPTY, Node


@dataclass(frozen=True)
class NoteKind:
    label: str  # as printed before ':' ("Logical flow")
    what: str  # our name for it ("logical_flow")
    hint: bool = False  # a Northbound hint (print_h)
    extended: bool = False  # printed only by `ovnparse detrace --extended`


NOTE_KINDS: tuple[NoteKind, ...] = (
    # Southbound records (print_p)
    NoteKind("Logical datapaths", "logical_datapaths"),
    NoteKind("Logical flow", "logical_flow"),
    NoteKind("Logical datapath", "logical_datapath"),
    NoteKind("Port Binding", "port_binding"),
    NoteKind("MAC Binding", "mac_binding"),
    NoteKind("Multicast Group", "multicast_group"),
    NoteKind("Chassis", "chassis"),
    NoteKind("Load Balancer", "load_balancer"),  # a hint too: see note_kind()
    NoteKind("OVS Interface", "ovs_interface"),
    NoteKind("Static MAC Binding", "static_mac_binding", extended=True),
    NoteKind("FDB", "fdb", extended=True),
    NoteKind("Datapath Binding", "datapath_binding", extended=True),
    NoteKind("WARNING", "warning", extended=True),
    # Northbound hints (print_h)
    NoteKind("ACL", "acl", hint=True),
    NoteKind("ACL name", "acl_owner", hint=True, extended=True),
    NoteKind("Logical Switch Port", "lsp", hint=True),
    NoteKind("Logical Router Port", "lrp", hint=True),
    NoteKind("Logical Router Policy", "router_policy", hint=True),
    NoteKind("NAT", "nat", hint=True),
    NoteKind("Route", "route", hint=True),
    NoteKind("QoS", "qos", hint=True),
    NoteKind("DHCP Options", "dhcp_options", hint=True),
    NoteKind("Forwarding Group", "forwarding_group", hint=True),
)
_BY_LABEL = {k.label: k for k in NOTE_KINDS}

#: notes that are not `Label: ...`: a member of a `Logical datapaths:` list
#: (`    "ls" (uuid) [ingress]`) and the markers of rows sharing a prefix
DATAPATH, DUPLICATE = "datapath", "duplicate"


def note_kind(body: str, indent: int) -> tuple[str, bool]:
    """(what, hint) of a note from the text after its `*` and its indentation."""
    if body.startswith('"'):
        return DATAPATH, False
    if body.startswith("[Duplicate"):
        return DUPLICATE, body.startswith("[Duplicate uuid hint")
    label = body.partition(":")[0]
    if label.startswith("ACL name "):  # (--extended: `ACL name "x", owner: ...`)
        label = "ACL name"
    kind = _BY_LABEL.get(label)
    if kind is None:
        return "other", False
    # A load balancer is a Southbound record or a Northbound hint: the hint
    # prints its ip_port_mappings, and one more space.
    hint = kind.hint or (kind.what == "load_balancer"
                         and ("ip_port_mappings" in body or indent % 4 == 3))
    return kind.what, hint


@dataclass(slots=True)
class DetraceNote(Node):
    """One ` * ` line ovn-detrace printed about the flow (or port) before it.

    `text` is the line from its `*`; `indent` the spaces before it.  `what`
    names the record (see NOTE_KINDS: logical_flow, port_binding, ...,
    `datapath` for a member of a datapath list, `duplicate`), `hint` is set
    for Northbound hints.  (`what` and `hint` are worked out when first asked
    for: an ovn-detrace output is half notes.  formats/detrace_rules.py
    parses a note's fields.)
    """

    kind: ClassVar[str] = "detrace_note"
    children: list[Node] = EMPTY
    indent: int = 0
    classified: tuple | None = field(default=None, repr=False)  # (what, hint), cached

    def _classify(self) -> tuple:
        c = self.classified
        if c is None:
            c = self.classified = note_kind(self.body, self.indent)
        return c

    @property
    def what(self) -> str:
        return self._classify()[0]

    @property
    def hint(self) -> bool:
        return self._classify()[1]

    @property
    def body(self) -> str:
        """The line after `* ` (member datapaths keep their leading spaces stripped)."""
        return self.text[1:].strip()

    def own_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "line": self.line, "what": self.what,
                "hint": self.hint, "indent": self.indent}
