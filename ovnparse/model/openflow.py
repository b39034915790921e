"""OpenFlow traces: what ovs-appctl ofproto/trace prints (and ovn-detrace copies).

ofproto/trace prints one *pass* per datapath translation: the first for the
packet, one more for each recirculation it queued (conntrack, ...).  A
trace's roots are its passes; a pass holds its `bridge("...")` sections,
a bridge its OpenFlow table steps, a step its actions.  A table reached by
a `resubmit`/`goto_table` in the middle of an action list is a child of
that action; one reached by the *last* thing a step does (OVN's `next;`) is
listed after the step, flat, with `chained` set -- as ovn-trace's stages are
(ofproto/trace prints it as the step's last child, tail-elided).  A patch
port's `bridge("...")` is a child of the `output` that crossed it.

ovn-detrace's notes (model/detrace.py) hang in `annotations` of the step,
action or pass whose line made ovn-detrace look them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..lines import decimal
from .base import EMPTY, Node, Step


@dataclass(slots=True)
class OfPass(Node):
    """One datapath translation: `Flow:`, bridges, `Final flow:`, `Megaflow:`,
    `Datapath actions:`.  `text`/`line` are the `Flow:` line's (or the first
    line of the pass, when a filtered text lacks it).  A resumed pass has the
    `=====` header: `recirc(0x..) - resume conntrack with ct_state=...`.
    (formats/ofproto/ovs_flow.py parses its flows and actions with ovs.flow.)
    """

    kind: ClassVar[str] = "openflow_pass"
    flow: str | None = None  # after "Flow: "
    recirc_id: str | None = None  # "0x28" for a resumed pass (as printed)
    ct_state: str | None = None  # the state it resumes conntrack with ("new|trk")
    header: list[str] = field(default_factory=list)  # lines between the ===== rows
    # lines before `Flow:` in OVS before 2.7: `Bridge: br0`, and 2010's `Packet: ...`
    heading: list[str] = field(default_factory=list)
    header_line: int | None = None  # line of the first ===== row
    final_flow: str | None = None  # "unchanged" as printed
    final_flow_line: int | None = None
    megaflow: str | None = None
    megaflow_line: int | None = None
    datapath_actions: str | None = None
    datapath_actions_line: int | None = None
    notes: list[str] = field(default_factory=list)  # lines after "Datapath actions:"
    queued_by: int | None = None  # index in Trace.roots of the pass that queued it
    stripped: bool = False  # printed without indentation (ovn-detrace before 25.09)
    margin: str = ""  # indentation every line carries (a pasted, indented trace)
    annotations: list = field(default_factory=list)  # ovn-detrace notes on the pass's own lines


@dataclass(slots=True)
class OfBridge(Node):
    """A `bridge("br-int")` section: the first of a pass, or the peer of a patch port."""

    kind: ClassVar[str] = "openflow_bridge"
    name: str = ""


@dataclass(slots=True)
class OfTable(Step):
    """An OpenFlow table lookup: `%2d. match, priority N, cookie 0x...`.

    Shares `table`, `match`, `priority`, `no_match` and `key` with the
    logical `Stage`; adds what is OpenFlow's: the cookie (as printed, None
    when zero), the bridge, and for a lookup that finds no flow the tool's
    sentence in `miss`.  ovn-detrace's notes on it are in `annotations`.
    `match`, `priority` and `cookie` are read from `text` when first asked
    for (a trace has hundreds of table lines and most are never looked at).
    """

    kind: ClassVar[str] = "openflow_table"
    table: int = 0  # (an OpenFlow table line always has its number)
    miss: str | None = None  # the sentence printed instead of a rule
    bridge: str | None = None
    chained: bool = False  # reached by the last action of the step listed before it
    annotations: list | tuple = EMPTY
    rule: tuple | None = field(default=None, repr=False)  # (match, priority, cookie), cached

    def _rule(self) -> tuple:
        rule = self.rule
        if rule is None:
            rule = self.rule = _table_rule(self.text, self.miss)
        return rule

    @property
    def match(self) -> str | None:
        """The match as printed; None when the rule has none (`priority 0`)."""
        return self._rule()[0]

    @property
    def priority(self) -> int | None:
        return self._rule()[1]

    @property
    def cookie(self) -> str | None:
        """"0x182b7e9b" as printed; None when absent (a zero cookie)."""
        return self._rule()[2]

    @property
    def key(self) -> str | None:
        """The cookie as "0x" + at least 8 lowercase hex digits (OVN: an lflow uuid prefix)."""
        cookie = self.cookie
        if cookie is None or not cookie.lower().startswith("0x"):
            return None
        return "0x" + cookie[2:].lower().zfill(8)

    cookie8 = key

    def own_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "line": self.line,
                "table": self.table, "match": self.match,
                "priority": self.priority, "cookie": self.cookie,
                "no_match": self.no_match, "miss": self.miss,
                "bridge": self.bridge, "chained": self.chained,
                **({"annotations": [n.own_dict() for n in self.annotations]}
                   if self.annotations else {})}


def _table_rule(text: str, miss: str | None) -> tuple:
    """(match, priority, cookie) of a table line `N. match, priority P, cookie C`."""
    if miss is not None:
        return (None, None, None)
    dot = text.find(". ")
    rest = text[dot + 2:] if dot >= 0 else text
    cookie = None
    k = rest.rfind(", cookie ")
    if k >= 0:
        cookie = rest[k + 9:]
        rest = rest[:k]
    p = rest.rfind("priority ")
    if p < 0 or (p and rest[p - 2:p] != ", "):
        return (rest or None, None, cookie)
    try:
        priority = decimal(rest[p + 9:])
    except ValueError:
        priority = None
    return (rest[:p - 2] if p else None, priority, cookie)


@dataclass(slots=True)
class OfAction(Node):
    """One OpenFlow action as ofproto/trace printed it (`set_field:0x5->reg13`).

    A `resubmit`, `goto_table` or patch-port `output` that leads to more
    lookups holds them as children (unless it was the step's last action:
    see `OfTable.chained`).
    """

    kind: ClassVar[str] = "openflow_action"
    children: list[Node] = EMPTY
    annotations: list | tuple = EMPTY  # ovn-detrace --ovs: the OVS interface of output:N

@dataclass(slots=True)
class OfDetail(OfAction):
    """` -> ...`: what an action did (`NXM_NX_REG0[] is now 0x5`)."""

    kind: ClassVar[str] = "openflow_detail"

    @property
    def message(self) -> str:
        return self.text[3:]


@dataclass(slots=True)
class OfWarning(OfAction):
    """` >> ...`: the tool's warning (`Nonexistent output port`)."""

    kind: ClassVar[str] = "openflow_warning"

    @property
    def message(self) -> str:
        return self.text[3:]


@dataclass(slots=True)
class OfError(OfAction):
    """` >>>> ... <<<<`: translation could not go on as asked."""

    kind: ClassVar[str] = "openflow_error"

    @property
    def message(self) -> str:
        return self.text[5:-5]


@dataclass(slots=True)
class OfReply(Node):
    """A line ovs-appctl printed instead of a trace: ofproto/trace's error reply
    (`syntax error at ... (or the bridge name was omitted)`, `br0: unknown
    bridge`, `Bad openflow flow syntax: ...`) or ovs-appctl's own
    `ovs-appctl: TARGET: server returned an error`."""

    kind: ClassVar[str] = "openflow_reply"


@dataclass(slots=True)
class OfThaw(OfAction):
    """`thaw` and what it restores: `Resuming from table N`, `Restoring actions: ...`."""

    kind: ClassVar[str] = "openflow_thaw"

    @property
    def resume_table(self) -> int | None:
        if self.text.startswith("Resuming from table "):
            number = self.text[20:]
            return decimal(number) if number.isascii() and number.isdigit() else None
        return None


@dataclass(slots=True)
class OfBucket(OfAction):
    """`bucket N` of a group: its actions are its children."""

    kind: ClassVar[str] = "openflow_bucket"


