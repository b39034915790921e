"""One model for every trace format.

A `Trace` holds a tree of nodes.  Every node keeps the text the tool printed
(`text`, without indentation) and the line it came from (`line`), so a view can
always point back to the source.  Node kinds:

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
Everything is a plain dataclass; `to_dict()` gives JSON-ready data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Iterator


@dataclass(slots=True)
class Node:
    kind: ClassVar[str] = "node"
    text: str
    line: int
    children: list["Node"] = field(default_factory=list)

    def walk(self) -> Iterator["Node"]:
        """This node and everything below it, depth first, in printed order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            if f.name == "children":
                continue
            out[f.name] = getattr(self, f.name)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out


@dataclass(slots=True)
class Pipeline(Node):
    kind: ClassVar[str] = "pipeline"
    direction: str = ""  # "ingress" | "egress" | "multicast"
    datapath: str | None = None
    inport: str | None = None
    outport: str | None = None
    mcgroup: str | None = None


@dataclass(slots=True)
class Stage(Node):
    kind: ClassVar[str] = "stage"
    table: int = 0
    stage: str | None = None  # e.g. "ls_in_acl"
    source: str | None = None  # northd source location, e.g. "northd.c:6435"
    match: str | None = None
    priority: int | None = None
    lflow: str | None = None  # uuid prefix as printed (8 hex digits)
    no_match: bool = False  # "no match (implicit drop)"


@dataclass(slots=True)
class Action(Node):
    kind: ClassVar[str] = "action"
    children: tuple = ()  # actions never have children (a shared empty tuple is cheap)


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
    verdict: str | None = None  # "drop" | "allow" | "reject"
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
    kind: ClassVar[str] = "error"

    @property
    def fatal(self) -> bool:
        """The tool stopped here (`*** ...`, or a message instead of a trace).

        ovn-trace also prints a few notes as error nodes (`/* We assume ... */`)
        and goes on after them.
        """
        return not self.text.startswith("/*")


@dataclass(slots=True)
class Trace:
    """One trace as one tool printed it."""

    format: str  # "ovn-trace/detailed", "ovn-trace/summary", ...
    source: str  # file name, or "<stdin>"
    microflow: str | None  # the `# ...` flow line, without "# "
    first_line: int
    last_line: int
    roots: list[Node] = field(default_factory=list)
    problems: list = field(default_factory=list)  # list[errors.Problem]
    cut: bool = False  # the text ends before the trace does

    def walk(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()

    def stages(self) -> Iterator[Stage]:
        return (n for n in self.walk() if isinstance(n, Stage))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "microflow": self.microflow,
            "lines": [self.first_line, self.last_line],
            "cut": self.cut,
            "problems": [p.to_dict() for p in self.problems],
            "roots": [r.to_dict() for r in self.roots],
        }


# --- ovnkube-trace ---------------------------------------------------------------
#
# ovnkube-trace (ovn-kubernetes) runs ovn-trace, ovs-appctl ofproto/trace and
# ovn-detrace for a pair of pods (or a pod and a service or an IP) and prints
# one verdict line per run.  Its summary trace (format "ovnkube-trace") holds
# these nodes as roots, in printed order; each embedded tool output is parsed
# into a trace of its own format (parsers/ovnkube_trace.py).


@dataclass(slots=True)
class OvnkubeCheck(Node):
    """One verdict of ovnkube-trace on one tool's output.

    `<tool> <direction> indicates success|failure from A to B` (2022 on),
    `<tool> indicates success from A to B - matched on S` / `... - S not
    matched` (2020-2022), or a `<tool> ... error ... stdOut:` line (the tool
    itself failed: result "error").
    """

    kind: ClassVar[str] = "ovnkube-check"
    tool: str = ""  # "ovn-trace" | "ofproto/trace" | "ovn-detrace"
    direction: str | None = None  # "source pod to destination pod", ... (None: not printed)
    result: str = ""  # "success" | "failure" | "error"
    src: str | None = None
    dst: str | None = None
    remote: bool = False  # "ovn-trace (remote) ...": run on the destination's zone
    search: str | None = None  # what ovnkube-trace looked for in the output, if printed
    output: list[int] | None = None  # [first, last] lines of the output it judged
    echo_line: int | None = None  # where the same verdict was printed again (klog)
    inferred: bool = False  # read from `Search string (not) matched:` alone
    error: str | None = None  # result "error": what the command said (err, stdErr)


@dataclass(slots=True)
class OvnkubeOutput(Node):
    """One tool output embedded in ovnkube-trace's log (`<tool> <direction> Output:`).

    `text`/`line` are the announcing line; `tool` is None for trace text
    found outside any announced output (a pasted fragment).
    """

    kind: ClassVar[str] = "ovnkube-output"
    tool: str | None = None  # "ovn-trace" | "ofproto/trace" | "ovn-detrace"
    direction: str | None = None
    remote: bool = False
    format: str | None = None  # the parser it went to (None: none could read it)
    first_line: int = 0  # the output itself, without ovnkube-trace's framing
    last_line: int = 0
    traces: list[str] = field(default_factory=list)  # formats of the traces parsed from it


@dataclass(slots=True)
class OvnkubeMessage(Node):
    """A log line of ovnkube-trace that bears on the result.

    topic: "loglevel", "service" (the endpoint pod it tests against), "egress"
    (node/bridge/SNAT of a trace to an IP), "skipped" (ovn-detrace skipped),
    "install" (ovn-detrace dependencies), "completed" (2020-2022 runs end with
    it), "fatal" (the run stopped), "usage" (-help, or a bad flag), "elided"
    (whoever saved the text left lines out here: `(...)`).
    """

    kind: ClassVar[str] = "ovnkube-message"
    topic: str = ""
    detail: str | None = None  # the message's further lines, if any


# --- OpenFlow traces: ovs-appctl ofproto/trace and ovn-detrace ----------------
#
# ofproto/trace prints one *pass* per datapath translation: the first for the
# packet, one more for each recirculation it queued (conntrack, ...).  A
# trace's roots are its passes; a pass holds its `bridge("...")` sections,
# a bridge its OpenFlow table steps, a step its actions.  A table reached by
# a `resubmit`/`goto_table` in the middle of an action list is a child of
# that action; one reached by the *last* thing a step does (OVN's `next;`) is
# listed after the step, flat, with `chained` set -- as ovn-trace's stages are
# (ofproto/trace prints it as the step's last child, tail-elided).  A patch
# port's `bridge("...")` is a child of the `output` that crossed it.

import re as _re  # noqa: E402  (this section is appended to the model)

_EMPTY: tuple = ()
_RECIRC_RE = _re.compile(r"recirc\((0x[0-9a-fA-F]+|\d+)\)")


def _notes_dict(node, out: dict) -> dict:
    notes = getattr(node, "annotations", None)
    if notes:
        out["annotations"] = [n.to_dict() for n in notes]
    elif "annotations" in out:
        del out["annotations"]
    return out


class OvsFlowError(ValueError):
    """ovs.flow could not parse a flow or an action list of the trace."""


def _ovs_match(text: str | None, line: int, what: str) -> dict | None:
    """An OpenFlow match (`Flow:`, `Final flow:`, `Megaflow:`) parsed by ovs.flow."""
    if text is None:
        return None
    from ovs.flow.kv import KVParser
    from ovs.flow.ofp import OFPFlow
    try:
        parser = KVParser(text, OFPFlow.match_decoders())
        parser.parse()
    except Exception as exc:  # ovs.flow raises ParseError, ValueError, KeyError...
        raise OvsFlowError(f"line {line}: ovs.flow cannot parse the {what}: {exc}") from None
    return {kv.key: kv.value for kv in parser.kv()}


def _ovs_odp_actions(text: str | None, line: int) -> list[dict] | None:
    if text is None:
        return None
    from ovs.flow.kv import KVParser
    from ovs.flow.odp import ODPFlow
    try:
        parser = KVParser(text, ODPFlow.action_decoders())
        parser.parse()
    except Exception as exc:
        raise OvsFlowError(f"line {line}: ovs.flow cannot parse the datapath actions: "
                           f"{exc}") from None
    return [{kv.key: kv.value} for kv in parser.kv()]


@dataclass(slots=True)
class OfPass(Node):
    """One datapath translation: `Flow:`, bridges, `Final flow:`, `Megaflow:`,
    `Datapath actions:`.  `text`/`line` are the `Flow:` line's (or the first
    line of the pass, when a filtered text lacks it).  A resumed pass has the
    `=====` header: `recirc(0x..) - resume conntrack with ct_state=...`.
    """

    kind: ClassVar[str] = "openflow_pass"
    flow: str | None = None  # after "Flow: "
    recirc_id: str | None = None  # "0x28" for a resumed pass (as printed)
    ct_state: str | None = None  # the state it resumes conntrack with ("new|trk")
    header: list[str] = field(default_factory=list)  # lines between the ===== rows
    header_line: int | None = None  # line of the first ===== row
    final_flow: str | None = None  # "unchanged" as printed
    final_flow_line: int | None = None
    megaflow: str | None = None
    megaflow_line: int | None = None
    datapath_actions: str | None = None
    datapath_actions_line: int | None = None
    notes: list[str] = field(default_factory=list)  # lines after "Datapath actions:"
    queued_by: int | None = None  # index in Trace.roots of the pass that queued it
    stripped: bool = False  # printed without indentation (ovn-detrace before 24.09)
    margin: str = ""  # indentation every line carries (a pasted, indented trace)
    annotations: list = field(default_factory=list)  # ovn-detrace notes on the pass's own lines

    # ovs.flow parses these on access (about 40 us a line): never during a parse.
    def flow_match(self) -> dict | None:
        return _ovs_match(self.flow, self.line, "Flow: line")

    def final_flow_match(self) -> dict | None:
        if self.final_flow == "unchanged":
            return self.flow_match()
        return _ovs_match(self.final_flow, self.final_flow_line or 0, "Final flow: line")

    def megaflow_match(self) -> dict | None:
        return _ovs_match(self.megaflow, self.megaflow_line or 0, "Megaflow: line")

    def datapath_action_list(self) -> list[dict] | None:
        """[{name: value}, ...] as ovs.flow.odp decodes them (`{"output": {"port": 5}}`)."""
        return _ovs_odp_actions(self.datapath_actions, self.datapath_actions_line or 0)

    def recircs(self) -> list[str]:
        """Recirculation ids its datapath actions queue ("0x28")."""
        if not self.datapath_actions or "recirc(" not in self.datapath_actions:
            return []
        return _RECIRC_RE.findall(self.datapath_actions)

    def to_dict(self) -> dict[str, Any]:
        return _notes_dict(self, Node.to_dict(self))


@dataclass(slots=True)
class OfBridge(Node):
    """A `bridge("br-int")` section: the first of a pass, or the peer of a patch port."""

    kind: ClassVar[str] = "openflow_bridge"
    name: str = ""


@dataclass(slots=True)
class OfTable(Node):
    """An OpenFlow table lookup: `%2d. match, priority N, cookie 0x...`.

    Shares `table`, `match`, `priority` (and `no_match`) with the logical
    `Stage`; adds what is OpenFlow's: the cookie (as printed, None when zero),
    the bridge, and for a lookup that finds no flow the tool's sentence in
    `miss`.  ovn-detrace's notes on it are in `annotations`.  `match`,
    `priority` and `cookie` are read from `text` when first asked for (a
    trace has hundreds of table lines and most are never looked at).
    """

    kind: ClassVar[str] = "openflow_table"
    table: int = 0
    no_match: bool = False  # "No match." (and the other miss sentences)
    miss: str | None = None  # the sentence printed instead of a rule
    bridge: str | None = None
    chained: bool = False  # reached by the last action of the step listed before it
    annotations: list | tuple = _EMPTY
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
    def cookie8(self) -> str | None:
        """The cookie as "0x" + at least 8 lowercase hex digits (OVN: an lflow uuid prefix)."""
        cookie = self.cookie
        if cookie is None or not cookie.lower().startswith("0x"):
            return None
        return "0x" + cookie[2:].lower().zfill(8)

    def logical_flow(self) -> dict | None:
        """The `Logical flow:` ovn-detrace printed for this step, parsed."""
        for note in self.annotations:
            if note.what == "logical_flow":
                return note.fields()
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "line": self.line,
                               "table": self.table, "match": self.match,
                               "priority": self.priority, "cookie": self.cookie,
                               "no_match": self.no_match, "miss": self.miss,
                               "bridge": self.bridge, "chained": self.chained}
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return _notes_dict(self, out)


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
        priority = int(rest[p + 9:])
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
    children: list | tuple = _EMPTY
    annotations: list | tuple = _EMPTY  # ovn-detrace --ovs: the OVS interface of output:N

    def to_dict(self) -> dict[str, Any]:
        return _notes_dict(self, Node.to_dict(self))


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
class OfThaw(OfAction):
    """`thaw` and what it restores: `Resuming from table N`, `Restoring actions: ...`."""

    kind: ClassVar[str] = "openflow_thaw"

    @property
    def resume_table(self) -> int | None:
        if self.text.startswith("Resuming from table "):
            return int(self.text[20:])
        return None


@dataclass(slots=True)
class OfBucket(OfAction):
    """`bucket N` of a group: its actions are its children."""

    kind: ClassVar[str] = "openflow_bucket"


# What ovn-detrace prints after `* ` (print_p) or `   * ` (print_h, NB hints).
DETRACE_NOTE_KINDS = {
    "Logical datapath": "logical_datapath",
    "Logical datapaths": "logical_datapaths",
    "Logical flow": "logical_flow",
    "Port Binding": "port_binding",
    "MAC Binding": "mac_binding",
    "Multicast Group": "multicast_group",
    "Chassis": "chassis",
    "Load Balancer": "load_balancer",
    "OVS Interface": "ovs_interface",
    "ACL": "acl",
    "Logical Switch Port": "lsp",
    "Logical Router Port": "lrp",
    "Logical Router Policy": "router_policy",
    "NAT": "nat",
    "Route": "route",
    "QoS": "qos",
    "DHCP Options": "dhcp_options",
    "Forwarding Group": "forwarding_group",
}

_NB_HINTS = frozenset({"acl", "lsp", "lrp", "router_policy", "nat", "route", "qos",
                       "dhcp_options", "forwarding_group"})


def _classify_note(text: str, indent: int) -> tuple[str, bool]:
    """(what, hint) of a note line (from its `*`)."""
    body = text[1:].strip()
    if body.startswith('"'):
        what = "datapath"
    elif body.startswith("[Duplicate"):
        what = "duplicate"
    else:
        what = DETRACE_NOTE_KINDS.get(body.partition(":")[0], "other")
    # print_h (NB hints) indents one more than print_p
    hint = what in _NB_HINTS or body.startswith("[Duplicate uuid hint") or (
        what == "load_balancer" and ("ip_port_mappings" in body or indent % 4 == 3))
    return what, hint


_NOTE_PATTERNS = {
    "logical_flow": _re.compile(
        r"Logical flow: table=(?P<table>\d+) \((?P<stage>[^)]*)\), priority=(?P<priority>-?\d+), "
        r"match=\((?P<match>.*)\), actions=\((?P<actions>.*)\)\Z"),
    "datapath": _re.compile(r'"(?P<name>.*)" \((?P<uuid>[^()]*)\) \[(?P<pipeline>\w+)\]\Z'),
    "logical_datapath": _re.compile(r'Logical datapath: "(?P<name>.*)" \((?P<uuid>[^()]*)\)\Z'),
    "port_binding": _re.compile(
        r'Port Binding: logical_port "(?P<logical_port>.*)", tunnel_key (?P<tunnel_key>\d+),'
        r'(?: chassis-name "(?P<chassis_name>[^"]*)", chassis-str "(?P<chassis>[^"]*)")? ?\Z'),
    "mac_binding": _re.compile(
        r'MAC Binding: ip "(?P<ip>.*)", logical_port "(?P<logical_port>.*)", '
        r'mac "(?P<mac>.*)"\Z'),
    "multicast_group": _re.compile(
        r'Multicast Group: name "(?P<name>.*)", tunnel_key (?P<tunnel_key>\d+) '
        r'ports: \((?P<ports>.*)\)\Z'),
    "ovs_interface": _re.compile(r"OVS Interface: (?P<name>\S*) \((?P<iface_id>.*)\)\Z"),
    "acl": _re.compile(
        r"ACL: (?P<direction>[\w-]+), priority=(?P<priority>-?\d+), match=\((?P<match>.*)\), "
        r"(?P<action>[\w-]+)(?P<log> \(log\))?\Z"),
    "chassis": _re.compile(
        r'Chassis: chassis-name "(?P<chassis_name>[^"]*)", chassis-str "(?P<chassis>[^"]*)"\Z'),
}


@dataclass(slots=True)
class DetraceNote(Node):
    """One ` * ` line ovn-detrace printed about the flow (or port) before it.

    `what` names the record: logical_flow, logical_datapaths, datapath (a
    member of the list), logical_datapath, port_binding, mac_binding,
    multicast_group, chassis, load_balancer, ovs_interface; and the NB hints
    (`hint` set): acl, lsp, lrp, router_policy, load_balancer, nat, route,
    qos, dhcp_options, forwarding_group, duplicate.  `text` is the line from
    its `*`; `indent` the spaces before it.  `fields()` parses the line.
    (`what` and `hint` are worked out when first asked for: an ovn-detrace
    output is half notes.)
    """

    kind: ClassVar[str] = "detrace_note"
    children: tuple = _EMPTY
    indent: int = 0
    classified: tuple | None = field(default=None, repr=False)  # (what, hint), cached

    def _classify(self) -> tuple:
        c = self.classified
        if c is None:
            c = self.classified = _classify_note(self.text, self.indent)
        return c

    @property
    def what(self) -> str:
        return self._classify()[0]

    @property
    def hint(self) -> bool:
        return self._classify()[1]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "line": self.line, "what": self.what,
                "hint": self.hint, "indent": self.indent}

    @property
    def body(self) -> str:
        """The line after `* ` (member datapaths keep their leading spaces stripped)."""
        return self.text[1:].strip()

    def fields(self) -> dict:
        pattern = _NOTE_PATTERNS.get(self.what)
        body = self.body
        if pattern is None:
            head, _, rest = body.partition(": ")
            return {"text": rest if rest else body}
        m = pattern.match(body)
        if not m:
            return {"text": body}
        out = {k: v for k, v in m.groupdict().items()}
        for key in ("table", "priority", "tunnel_key"):
            if out.get(key) is not None:
                out[key] = int(out[key])
        if "log" in out:
            out["log"] = out["log"] is not None
        return out
