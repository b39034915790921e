"""The explanation as a person at a terminal reads it."""

from __future__ import annotations

from ..analysis.explanation import Explanation
from ..enrich.owners import describe
from ..errors import Problem
from ..model import EXACT, NARROWED


def warning_text(problem: Problem) -> str:
    """A warning as a person reads it: `file:line: message (expected ...)`."""
    where = f"{problem.source}:{problem.line}: " if problem.line else ""
    return where + problem.message + (f" (expected {problem.expected})"
                                      if problem.expected else "")


def render(explanations: list[Explanation]) -> str:
    out: list[str] = []
    for n, ex in enumerate(explanations, 1):
        if len(explanations) > 1:
            out.append(f"== trace {n} of {len(explanations)} ==")
        out.append(f"{ex.format}, lines {ex.lines[0]}-{ex.lines[1]} of {ex.source}")
        if ex.microflow:
            out.append(f"  packet:   {ex.microflow}")
        if ex.datapaths:
            out.append("  path:     " + " -> ".join(ex.datapaths))
        for t in ex.transforms:
            to = t["to"] or ("one of " + ", ".join(t.get("candidates") or []) or "?")
            out.append(f"  rewrite:  {t['kind']} {t['from'] or '?'} -> {to}"
                       + (f" ({t['stage']})" if t.get("stage") else ""))
        verdict = ex.verdict.upper()
        if ex.outputs:
            verdict += " to " + ", ".join(ex.outputs)
        out.append(f"  verdict:  {verdict}")
        d = ex.drop
        if d is not None:
            openflow = (f"OpenFlow table {d.openflow_table} cookie {d.cookie}"
                        if d.openflow_table is not None else None)
            where = " ".join(x for x in (
                d.datapath, d.pipeline,
                f"table {d.table}" if d.table is not None else None, d.stage) if x)
            if openflow:
                where = f"{where} ({openflow})" if where else openflow
            out.append(f"  dropped:  {where or 'at an unknown point'}"
                       + (f", priority {d.priority}" if d.priority is not None else "")
                       + (f", lflow {d.lflow}" if d.lflow else "")
                       + (f" (line {d.line})" if d.line else ""))
            if d.match:
                out.append(f"  match:    {d.match}")
            out.append(f"  reason:   [{d.reason_code}] {d.reason}")
            if d.acl:
                acl = d.acl
                tier = f" tier {acl.tier}" if acl.tier is not None else ""
                out.append(f"  acl:      {acl.name or '(unnamed)'} {acl.direction} "
                           f"priority {acl.priority}{tier} {acl.action} ({acl.uuid})")
            if d.acl or d.owner:
                out.append(f"  owner:    {describe(d.owner)}")
            if d.lflow_uuid:
                how = f" [{d.lflow_match}]" if d.lflow_match not in (None, EXACT, NARROWED) else ""
                out.append(f"  lflow:    {d.lflow_uuid}{how}")
            for flow in d.openflow_flows or ():
                out.append(f"  openflow: {flow}")
        for check in ex.checks or ():
            direction = f" {check['direction']}" if check.get("direction") else ""
            remote = " (remote)" if check.get("remote") else ""
            out.append(f"  check:    {check['tool']}{remote}{direction}: {check['result']} "
                       f"({check['src']} -> {check['dst']}, line {check['line']})")
        if ex.recirculations is not None:
            out.append(f"  passes:   {ex.recirculations + 1} "
                       f"({ex.recirculations} recirculations)")
        for w in ex.warnings:
            out.append(f"  warning:  {warning_text(w)}")
        out.append("")
    return "\n".join(out)


def render_comparison(result) -> str:
    a, b = result.first, result.second
    out = [f"{ex.format:24s} {ex.verdict.upper()}"
           + (f" to {', '.join(ex.outputs)}" if ex.outputs else "") for ex in (a, b)]
    if result.same:
        out.append("same verdict" + (", by other flows:" if result.reasons else ""))
        out.extend(f"  - {reason}" for reason in result.reasons)
    else:
        out.append("verdicts differ:")
        out.extend(f"  - {reason}" for reason in result.reasons)
    return "\n".join(out) + "\n"
