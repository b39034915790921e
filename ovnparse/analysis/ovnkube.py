"""The verdict of an ovnkube-trace run, read from its verdict lines.

ovnkube-trace judges each tool's output by searching it for a string that
means the packet got where it should; its summary trace holds those verdicts
(`OvnkubeCheck`).  The embedded outputs are traces of their own (ovn-trace,
ofproto/trace, ovn-detrace), with their own explanations: this one does not
look into them, so `outputs`, `datapaths` and `drop` are null.

  dropped     a verdict says failure (ovnkube-trace stops at the first one)
  incomplete  otherwise, the text ends before the run does (cut, or inside a
              tool's output), or lines were left out
  error       otherwise, ovn-trace or ofproto/trace could not run, or
              ovnkube-trace stopped on an error of its own
  incomplete  otherwise, when there is no verdict at all
  delivered   every verdict says success

An ovn-detrace that could not run or was skipped is a warning: ovnkube-trace
judges nothing by it.
"""

from __future__ import annotations

from ..errors import Problem
from ..model import OvnkubeCheck, OvnkubeMessage, Trace
from .explanation import Explanation, Verdict

TOOL_NAMES = {"ovn-trace": "ovn-trace", "ofproto/trace": "ovs-appctl ofproto/trace",
              "ovn-detrace": "ovn-detrace"}


def _name(check: OvnkubeCheck) -> str:
    parts = [TOOL_NAMES.get(check.tool, check.tool)]
    if check.remote:
        parts.append("(remote)")
    if check.direction:
        parts.append(check.direction)
    return " ".join(parts)


def explain_ovnkube(trace: Trace) -> Explanation:
    checks = [n for n in trace.roots if isinstance(n, OvnkubeCheck)]
    messages = [n for n in trace.roots if isinstance(n, OvnkubeMessage)]
    warnings: list[Problem] = list(trace.problems)

    def warn(message: str, line: int = 0) -> None:
        warnings.append(Problem(trace.source, line, message))

    failures = [c for c in checks if c.result == "failure"]
    errors = [c for c in checks if c.result == "error" and c.tool != "ovn-detrace"]
    fatal = [m for m in messages if m.topic == "fatal"]
    elided = [m for m in messages if m.topic == "elided"]

    for c in checks:
        if c.result == "failure":
            text = f"{_name(c)} indicates failure"
            if c.src or c.dst:
                text += f" from {c.src} to {c.dst}"
            if c.search:
                text += f": ovnkube-trace did not find {c.search!r} in the output"
            if c.output:
                text += f" ({c.tool} output: lines {c.output[0]}-{c.output[1]})"
            warn(text, c.line)
        elif c.result == "error":
            error = " ".join((c.error or "").split())
            warn(f"{_name(c)} could not run: {error}", c.line)
    for m in messages:
        if m.topic == "fatal":
            warn(f"ovnkube-trace stopped: {m.text}", m.line)
        elif m.topic == "skipped":
            warn(f"ovn-detrace was skipped: {m.detail}", m.line)
        elif m.topic == "usage":
            warn("ovnkube-trace printed its usage: no trace ran", m.line)
    if not checks:
        warn("no verdict line ('<tool> <direction> indicates success|failure from A to B')")

    if failures:
        verdict = Verdict.DROPPED
    elif trace.cut or elided:
        verdict = Verdict.INCOMPLETE
    elif errors or fatal:
        verdict = Verdict.ERROR
    elif not checks:
        verdict = Verdict.INCOMPLETE
    else:
        verdict = Verdict.DELIVERED

    return Explanation(
        format=trace.format, microflow=None, lines=[trace.first_line, trace.last_line],
        verdict=verdict, outputs=None, datapaths=None, transforms=[], drop=None,
        warnings=warnings, source=trace.source,
        checks=[_check_dict(c) for c in checks])


def _check_dict(c: OvnkubeCheck) -> dict:
    return {"tool": c.tool, "direction": c.direction, "result": c.result, "src": c.src,
            "dst": c.dst, "line": c.line, "remote": c.remote, "output": c.output}
