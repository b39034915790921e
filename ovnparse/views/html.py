"""Cards for notebooks: what Jupyter shows for a Trace, an Explanation, a TraceDiff.

A card says, in this order: the verdict, the path of hops, the drop point
with the ACL, its owner and the pods and addresses its match names (when the
databases resolved them), the rewrites and warnings, the steps as a
collapsible table, and the path drawn as inline SVG when Graphviz's `dot`
is installed (without it, one line saying how to get it).  Every piece of
text from a trace or a database is escaped.  Tables are capped
(`MAX_ROWS`) so that a long trace keeps a notebook small.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..analysis.diff import TraceDiff, either
from ..analysis.display import register_card
from ..analysis.explanation import Drop, Explanation
from ..analysis.steps import OPENFLOW, StepRow, step_rows
from ..enrich.owners import describe
from .dot import INSTALL, GraphvizMissing, dot_available, svg_element, to_dot
from .graph import build_path

MAX_ROWS = 200  # steps shown in a card's table
MAX_TEXT = 90  # characters of a match or actions shown in a table cell

_COLOURS = {"delivered": "#2f7a1f", "flooded": "#2f7a1f", "dropped": "#b00000",
            "controller": "#a08000", "incomplete": "#666666", "error": "#b00000"}
# One style block per card (scoped by class, as pandas does for its frames),
# not a style attribute on every cell: a long trace's card stays small.
_STYLE = ("<style>.ovp{border:1px solid #c8c8c8;border-radius:6px;padding:8px 12px;"
          "margin:4px 0;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
          "font-size:13px;line-height:1.45;max-width:1100px}"
          ".ovp table{border-collapse:collapse;font-size:12px;margin:4px 0}"
          ".ovp td,.ovp th{padding:1px 6px;border-bottom:1px solid #eee;text-align:left;"
          "vertical-align:top}.ovp th{color:#555}"
          ".ovp td.k{color:#555;white-space:nowrap;padding-left:0}"
          ".ovp table.drop{border-left:3px solid #b00000;margin-left:2px}"
          ".ovp tr.d{background:#fbe3e3;font-weight:600}.ovp tr.c{background:#fff4d6}"
          ".ovp tr.a{background:#fbe3e3}.ovp tr.b{background:#e3f1fb}"
          ".ovp .dim{color:#777}</style>")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _short(text: str | None, n: int = MAX_TEXT) -> str:
    if text is None:
        return ""
    return text if len(text) <= n else text[:n - 1] + "…"


def _badge(verdict: str) -> str:
    colour = _COLOURS.get(verdict, "#444")
    return (f'<span style="background:{colour};color:#fff;border-radius:3px;padding:1px 7px;'
            f'font-weight:600;letter-spacing:.04em">{_e(verdict.upper())}</span>')


def explanation_card(ex: Explanation) -> str:
    """The card of an explanation (and, when it keeps its trace, the steps and graph)."""
    trace = ex.trace
    rows = step_rows(trace) if trace is not None else None
    parts = [_STYLE, '<div class="ovp">',
             f"<div>{_badge(str(ex.verdict))} <b>{_e(ex.format)}</b> · lines "
             f"{ex.lines[0]}–{ex.lines[1]} of <code>{_e(ex.source)}</code></div>"]
    if ex.microflow:
        parts.append(f'<div class="dim">packet: <code>{_e(_short(ex.microflow, 160))}'
                     "</code></div>")
    path = None
    if trace is not None:
        graph = build_path(trace, ex, "datapath", rows)
        path = _path_text(graph)
        parts.append(f"<div>path: {path}</div>")
    elif ex.datapaths:
        parts.append("<div>path: " + " → ".join(_e(d) for d in ex.datapaths) + "</div>")
    if ex.outputs:
        parts.append("<div>delivered to: " + ", ".join(f"<b>{_e(p)}</b>" for p in ex.outputs)
                     + "</div>")
    if ex.drop is not None:
        parts.append(_drop_table(ex.drop))
    for t in ex.transforms:
        to = t.get("to") or ("one of " + ", ".join(t.get("candidates") or []) or "?")
        parts.append(f"<div>rewrite: {_e(t['kind'])} {_e(t.get('from') or '?')} → {_e(to)}"
                     + (f" ({_e(t['stage'])})" if t.get("stage") else "") + "</div>")
    for check in ex.checks or ():
        parts.append(f"<div>check: {_e(check['tool'])} {_e(check.get('direction') or '')}: "
                     f"<b>{_e(check['result'])}</b> ({_e(check['src'])} → {_e(check['dst'])})"
                     "</div>")
    if ex.warnings:
        items = "".join(f"<li>{_e(_warning(w))}</li>" for w in ex.warnings[:10])
        more = f"<li>… {len(ex.warnings) - 10} more</li>" if len(ex.warnings) > 10 else ""
        parts.append(f'<details><summary style="color:#8a6d00">{len(ex.warnings)} warning'
                     f'{"s" if len(ex.warnings) != 1 else ""}</summary><ul>{items}{more}</ul>'
                     "</details>")
    if rows is not None:
        parts.append(steps_table(rows, ex.drop))
        parts.append(_graph_block(trace, ex, rows))
    parts.append("</div>")
    return "".join(parts)


def _warning(problem) -> str:
    return (f"line {problem.line}: " if problem.line else "") + problem.message


def _path_text(graph) -> str:
    """The hops of a datapath-level path graph, in order, then its ends."""
    inner, leaves = [], []
    for node, attrs in graph.nodes.items():
        kind = attrs.get("kind")
        if kind in ("input", "datapath", "bridge"):
            inner.append(f"<b>{_e(node)}</b>" if kind != "input" else _e(attrs.get("label", node)))
        elif kind == "drop":
            leaves.append(f'<span style="color:#b00000;font-weight:600">✗ dropped at '
                          f"{_e(attrs.get('where'))}</span>")
        elif kind == "output":
            leaves.append(f'<span style="color:#2f7a1f;font-weight:600">✓ to '
                          f"{_e(attrs.get('port'))}</span>")
        elif kind:
            leaves.append(_e(str(attrs.get("label", node)).replace("\n", " ")))
    text = " → ".join(x.replace("\n", " ") for x in inner)
    if leaves:
        text += " → " + ", ".join(leaves)
    return text


def _drop_table(d: Drop) -> str:
    where = " ".join(x for x in (d.datapath, d.pipeline,
                                 f"table {d.table}" if d.table is not None else None, d.stage)
                     if x)
    if d.openflow_table is not None:
        of = f"OpenFlow table {d.openflow_table}" + (f", cookie {d.cookie}" if d.cookie else "")
        where = f"{where} ({of})" if where else of
    rows = [("dropped at", f"<b>{_e(where or 'an unknown point')}</b>"
             + (f", priority {d.priority}" if d.priority is not None else "")
             + (f", line {d.line}" if d.line else ""))]
    if d.match:
        rows.append(("match", f"<code>{_e(d.match)}</code>"))
    rows.append(("reason", f"[{_e(d.reason_code)}] {_e(d.reason)}"))
    if d.acl is not None:
        a = d.acl
        rows.append(("ACL", f"<b>{_e(a.name or '(unnamed)')}</b> {_e(a.direction)} priority "
                     f"{_e(a.priority)}" + (f" tier {a.tier}" if a.tier is not None else "")
                     + f' {_e(a.action)} <span class="dim">{_e(a.uuid)}</span>'))
    elif d.acl_log:
        rows.append(("ACL", f"<b>{_e(d.acl_log.get('acl'))}</b> (from its log)"))
    if d.owner is not None:
        rows.append(("owner", f"<b>{_e(describe(d.owner))}</b>"))
    refs = getattr(d, "references", None)
    if refs is not None:
        for pg in refs.port_groups:
            pods = ", ".join(pg.pods) if pg.pods else "no pods"
            owner = f" — {describe(pg.owner)}" if pg.owner else ""
            rows.append((f"@{_e(pg.name)}", f"{len(pg.ports)} ports; pods: <b>{_e(pods)}</b>"
                         + _e(owner)))
        for s in refs.address_sets:
            rows.append((f"${_e(s.name)}", _e(", ".join(s.addresses) or "(empty)")))
    if d.lflow_uuid:
        rows.append(("logical flow", _e(d.lflow_uuid)
                     + (f" ({_e(d.lflow_match)})" if d.lflow_match else "")))
    if d.acl_action:
        rows.append(("acted on by", _e(f"{d.acl_action.get('stage')} priority "
                                        f"{d.acl_action.get('priority')}, line "
                                        f"{d.acl_action.get('line')}")))
    body = "".join(f'<tr><td class="k">{k}</td><td>{v}</td></tr>' for k, v in rows)
    return f'<table class="drop">{body}</table>'


def steps_table(rows: list[StepRow], drop: Drop | None = None, open_: bool = False) -> str:
    """The steps as a collapsible table; the drop's row in red."""
    openflow = any(r.kind == OPENFLOW for r in rows)
    heads = ["#", "line", "datapath", "pipeline", "table", "stage", "priority",
             "lflow", "ACL", "match"]
    if openflow:
        heads[3:3] = ["pass", "OpenFlow"]
        heads.insert(-2, "cookie")
    drop_line = drop.line if drop is not None else None
    body = []
    for r in rows[:MAX_ROWS]:
        cells = [r.step, r.line, r.datapath, r.pipeline, r.table, r.stage,
                 "no match" if r.no_match else r.priority, r.lflow, r.acl,
                 _short(r.match or r.openflow_match)]
        if openflow:
            cells[3:3] = [r.recirc_pass, r.openflow_table]
            cells.insert(-2, r.cookie)
        mark = ' class="d"' if r.line == drop_line else ""
        body.append(f"<tr{mark}>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    more = (f'<div class="dim">… {len(rows) - MAX_ROWS} more steps: '
            "trace.to_frame() has them all</div>" if len(rows) > MAX_ROWS else "")
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    what = "steps" if openflow else "stages"
    return (f"<details{' open' if open_ else ''}><summary>{len(rows)} {what}</summary>"
            f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            f"</tbody></table>{more}</details>")


def _graph_block(trace, ex: Explanation, rows: list[StepRow]) -> str:
    if not dot_available():
        return (f'<div class="dim">(the path graph is drawn here when Graphviz is '
                f"installed: {_e(INSTALL)})</div>")
    try:
        svg = svg_element(to_dot(build_path(trace, ex, "datapath", rows)))
    except GraphvizMissing:
        return ""
    return f'<div style="max-width:100%;overflow-x:auto">{svg}</div>'


def diff_card(d: TraceDiff) -> str:
    """The card of a diff: the verdicts, the first divergence, the causes, the steps."""
    a, b = d.a.explanation, d.b.explanation
    verdicts = (f"{_badge(str(a.verdict))} → {_badge(str(b.verdict))}" if d.verdict_changed
                else f"{_badge(str(a.verdict))} both")
    parts = [_STYLE, '<div class="ovp">',
             f"<div><b>diff</b> {verdicts} · "
             + ("<b>same flows</b>" if d.same else "<b>different</b>") + "</div>",
             f"<div>a: {_e(a.format)} lines {a.lines[0]}–{a.lines[1]} of "
             f"<code>{_e(a.source)}</code></div>",
             f"<div>b: {_e(b.format)} lines {b.lines[0]}–{b.lines[1]} of "
             f"<code>{_e(b.source)}</code></div>"]
    if d.first_divergence is not None:
        ra, rb = d.first_divergence
        where = either(d.first_divergence).where()
        heads = ["", "line", "priority", "lflow / cookie", "ACL", "owner", "match"]
        body = []
        for name, r in (("a", ra), ("b", rb)):
            if r is None:
                body.append(f"<tr><td>{name}</td><td colspan=6>(no such step)</td></tr>")
                continue
            cells = [name, r.line, r.priority if r.priority is not None else r.openflow_priority,
                     r.lflow or r.cookie,
                     (r.acl or "") + (f" ({r.acl_action})" if r.acl_action else ""),
                     describe(r.owner) if r.owner else "", _short(r.match or r.openflow_match)]
            body.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
        head = "".join(f"<th>{_e(h)}</th>" for h in heads)
        parts.append(f"<div>first divergence at <b>{_e(where)}</b></div>"
                     f"<table><thead><tr>{head}</tr></thead>"
                     f"<tbody>{''.join(body)}</tbody></table>")
    for name, ex in (("a", a), ("b", b)):
        if ex.drop is not None:
            parts.append(f"<div>{name} dropped: "
                         f"{_e(ex.drop.stage or ex.drop.openflow_table)} — {_e(ex.drop.reason)}"
                         "</div>")
    counts = f"{len(d.changed)} changed, {len(d.only_a)} only in a, {len(d.only_b)} only in b"
    parts.append(f'<div class="dim">{counts}</div>')
    if d.causes:
        parts.append("<ul>" + "".join(f"<li><b>{_e(c['kind'])}</b>: {_e(c['text'])}</li>"
                                      for c in d.causes) + "</ul>")
    parts.append(_pairs_table(d))
    parts.append("</div>")
    return "".join(parts)


def _pairs_table(d: TraceDiff) -> str:
    heads = ["a line", "a flow", "where", "b line", "b flow"]
    changed = {(c.a.step, c.b.step) for c in d.changed}
    body = []
    for ra, rb in d.pairs[:MAX_ROWS]:
        if ra is not None and rb is not None:
            mark = ' class="c"' if (ra.step, rb.step) in changed else ""
        else:
            mark = ' class="a"' if rb is None else ' class="b"'
        cells = [ra.line if ra else "", _flow(ra), either((ra, rb)).where(),
                 rb.line if rb else "", _flow(rb)]
        body.append(f"<tr{mark}>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    return (f"<details><summary>{len(d.pairs)} aligned steps (a-only red, b-only blue, "
            f"changed yellow)</summary><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></details>")


def _flow(r: StepRow | None) -> str:
    if r is None:
        return "—"
    key = r.lflow or r.cookie or ""
    prio = r.priority if r.priority is not None else r.openflow_priority
    return f"{key} p{prio}" if prio is not None else key


def trace_cards(explanations: list[Explanation], title: str = "") -> str:
    """A page of cards (`ovnparse graph -o x.html`)."""
    body = "".join(explanation_card(ex) for ex in explanations)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
            f"{_e(title or 'ovnparse')}</title></head><body>{body}</body></html>\n")


register_card(Explanation, explanation_card)
register_card(TraceDiff, diff_card)
