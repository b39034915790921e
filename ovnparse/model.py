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
