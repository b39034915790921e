"""ovnkube-trace's own lines: its verdicts, the outputs it embeds, its messages.

ovnkube-trace (ovn-kubernetes) runs ovn-trace, ovs-appctl ofproto/trace and
ovn-detrace for a pair of pods (or a pod and a service or an IP) and prints
one verdict line per run.  Its summary trace (format "ovnkube-trace") holds
these nodes as roots, in printed order; each embedded tool output is parsed
into a trace of its own format (formats/ovnkube_trace.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .base import Node


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

