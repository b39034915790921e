"""The incident report: one self-contained HTML page for many traces.

Counts by verdict and by drop reason, the ACLs that dropped most (with their
owners), the merged path graph (SVG, when Graphviz is installed), and a
table of every trace, sortable and filterable by verdict, namespace and
node, whose rows open the trace's card, rendered in the browser from JSON
embedded in the page.  No network: the script and style are inline.

The embedded data is compact: every string (sources, stages, matches...)
and every step's row (its line relative to the trace's first) is stored
once in a table and referenced by number, so thousands of traces of the
same few paths stay small (README: under 20 MB at 10,000 traces).
`ReportBuilder.add(record)` takes the records of batch/run.py (with
`_graph` and `_steps`) one at a time; memory holds one compact row a trace.
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from typing import Any

MAX_STEPS = 80  # steps kept in a card
MAX_TEXT = 160  # characters of a match or actions kept
_MERGE_EVERY = 500  # graphs merged into the total in groups (views/graph.merge)

STEP_FIELDS = ("line", "datapath", "pipeline", "table", "stage", "priority", "match",
               "actions", "lflow", "acl", "openflow_table", "cookie", "dropped")


class ReportBuilder:
    def __init__(self, title: str = "ovnparse report"):
        self.title = title
        self.strings: list[str] = []
        self._ids: dict[str, int] = {}
        self.rows: list[list] = []  # steps' rows, each stored once
        self._row_ids: dict[tuple, int] = {}
        self.traces: list[list] = []
        self.verdicts: Counter = Counter()
        self.reasons: Counter = Counter()
        self.acls: Counter = Counter()
        self.errors = 0
        self._graphs: list = []
        self.graph: Any = None

    def _s(self, value: Any) -> int | None:
        """The number of a string in the table (None stays None)."""
        if value is None:
            return None
        text = str(value)
        n = self._ids.get(text)
        if n is None:
            n = self._ids[text] = len(self.strings)
            self.strings.append(text)
        return n

    def _row(self, step: dict, first: int | None) -> int:
        """The number of a step's row in the table of rows (its line relative to the
        trace's first, so that the same steps of other traces share it)."""
        row = tuple((step["line"] - (first or 0)) if f == "line" and step.get("line") is not None
                    else self._s(_short(step.get(f))) if isinstance(step.get(f), str)
                    else step.get(f) for f in STEP_FIELDS)
        n = self._row_ids.get(row)
        if n is None:
            n = self._row_ids[row] = len(self.rows)
            self.rows.append(list(row))
        return n

    def add(self, record: dict) -> None:
        src = record["source"]
        name = src["file"] + (f"!{src['member']}" if src.get("member") is not None else "")
        lines = src.get("lines") or [None, None]
        if record.get("error"):
            self.errors += 1
            self.verdicts["unread"] += 1
            err = record["error"]
            self.traces.append([self._s(name), lines[0], lines[1], self._s("unread"), None,
                                None, None, None, None, None, None,
                                self._s(err["message"]), [], None])
            return
        verdict = record["verdict"]
        self.verdicts[verdict] += 1
        drop = record.get("drop") or {}
        acl = drop.get("acl") or {}
        owner = drop.get("owner") or {}
        if drop:
            self.reasons[drop.get("reason_code") or "other"] += 1
            if acl.get("name") or drop.get("acl_log"):
                acl_name = acl.get("name") or (drop.get("acl_log") or {}).get("acl")
                self.acls[(acl_name, _owner_text(owner))] += 1
        pkt = record.get("packet") or {}
        datapaths = record.get("datapaths") or []
        namespace = owner.get("namespace") or _namespace_of(pkt.get("inport"))
        node = datapaths[0] if datapaths else drop.get("datapath")
        where = " ".join(str(x) for x in (drop.get("datapath"), drop.get("pipeline"),
                                          drop.get("stage")) if x) if drop else \
            ", ".join(record.get("outputs") or [])
        steps = [self._row(s, lines[0]) for s in (record.get("_steps") or [])[:MAX_STEPS]]
        card = {"microflow": record.get("microflow"), "path": datapaths,
                "outputs": record.get("outputs"), "reason": drop.get("reason"),
                "match": drop.get("match"), "priority": drop.get("priority"),
                "table": drop.get("table"), "lflow": drop.get("lflow_uuid") or drop.get("lflow"),
                "acl": acl.get("name"), "acl_action": acl.get("action"),
                "acl_uuid": acl.get("uuid"), "owner": _owner_text(owner) if owner else None,
                "warnings": [w["message"] for w in record.get("warnings") or []],
                "databases": src.get("databases"),
                "nsteps": len(record.get("_steps") or [])}
        card = {k: v for k, v in card.items() if v not in (None, [], {})}
        self.traces.append([self._s(name), lines[0], lines[1], self._s(verdict),
                            self._s(record.get("format")), self._s(namespace), self._s(node),
                            self._s(acl.get("name")), self._s(where), self._s(pkt.get("key")),
                            self._s(json.dumps(card, sort_keys=True)), None, steps,
                            self._s(drop.get("reason_code"))])
        graph = record.get("_graph")
        if graph is not None:
            self._graphs.append(graph)
            if len(self._graphs) >= _MERGE_EVERY:
                self._merge()

    def _merge(self) -> None:
        from .graph import merge
        if self._graphs:
            self.graph = merge(([self.graph] if self.graph is not None else []) + self._graphs)
            self._graphs = []

    def html(self) -> str:
        from .dot import INSTALL, dot_available, svg_element, to_dot
        self._merge()
        if self.graph is None:
            drawing = "<p class=dim>(no trace to draw)</p>"
        elif dot_available():
            drawing = svg_element(to_dot(self.graph, "report"))
        else:
            drawing = f"<p class=dim>(the drawing needs Graphviz: {escape(INSTALL)})</p>"
        total = sum(self.verdicts.values())
        data = json.dumps({"strings": self.strings, "traces": self.traces, "rows": self.rows,
                           "steps": STEP_FIELDS}, separators=(",", ":"))
        data = data.replace("</", "<\\/")  # (no "</script>" inside the script)
        verdicts = "".join(f"<tr><td>{escape(v)}</td><td class=n>{n}</td></tr>"
                           for v, n in sorted(self.verdicts.items(), key=lambda x: (-x[1], x[0])))
        reasons = "".join(f"<tr><td>{escape(v)}</td><td class=n>{n}</td></tr>"
                          for v, n in sorted(self.reasons.items(), key=lambda x: (-x[1], x[0])))
        acls = "".join(f"<tr><td>{escape(str(a))}</td><td>{escape(o)}</td><td class=n>{n}</td>"
                       "</tr>" for (a, o), n in sorted(self.acls.items(),
                                                       key=lambda x: (-x[1], str(x[0])))[:15])
        summary = (f"{total} trace{'s' if total != 1 else ''}"
                   + (f", {self.errors} input{'s' if self.errors != 1 else ''} unread"
                      if self.errors else ""))
        return (_PAGE.replace("%TITLE%", escape(self.title)).replace("%SUMMARY%", summary)
                .replace("%VERDICTS%", verdicts or "<tr><td>none</td></tr>")
                .replace("%REASONS%", reasons or "<tr><td>no drop</td></tr>")
                .replace("%ACLS%", acls or "<tr><td>no ACL drop</td></tr>")
                .replace("%GRAPH%", drawing).replace("%DATA%", data))


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT - 1] + "…"


def _owner_text(owner: dict) -> str:
    if not owner:
        return "—"
    name = "/".join(str(x) for x in (owner.get("namespace"), owner.get("name"))
                    if x is not None)
    return f"{owner.get('kind')} {name}".strip()


def _namespace_of(port: str | None) -> str | None:
    """ovn-kubernetes names a pod's port `namespace_pod`."""
    if not port or "_" not in port or port.startswith(("reg14=", "in_port=")):
        return None
    return port.split("_", 1)[0]


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%TITLE%</title>
<style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;margin:16px;
color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}
.dim{color:#777}.n{text-align:right}
.boxes{display:flex;gap:24px;flex-wrap:wrap}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}
#traces th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
#traces tbody tr{cursor:pointer}#traces tbody tr:hover{background:#eef5ff}
.v-dropped,.v-error,.v-unread{color:#b00000;font-weight:600}.v-delivered,.v-flooded{color:#2f7a1f}
.v-controller{color:#a08000}.v-incomplete{color:#666}
#filters{margin:6px 0;display:flex;gap:10px;flex-wrap:wrap}
#card{position:fixed;top:0;right:0;width:46%;height:100%;overflow:auto;background:#fff;
border-left:2px solid #888;padding:12px 16px;box-shadow:-4px 0 12px #0002;display:none}
#card table td.k{color:#555;white-space:nowrap}#card .steps td{font-size:12px}
#card tr.d{background:#fbe3e3;font-weight:600}
.graph svg{max-width:100%;height:auto}
</style></head><body>
<h1>%TITLE%</h1><div class=dim>%SUMMARY%</div>
<div class=boxes>
<div><h2>Verdicts</h2><table id=verdicts>%VERDICTS%</table></div>
<div><h2>Drop reasons</h2><table id=reasons>%REASONS%</table></div>
<div><h2>ACLs that dropped most</h2><table id=acls><tr><th>ACL</th><th>owner</th>
<th>traces</th></tr>%ACLS%</table></div>
</div>
<h2>Paths, merged</h2><div class=graph>%GRAPH%</div>
<h2>Traces</h2>
<div id=filters>
<label>verdict <select id=f-verdict><option value="">all</option></select></label>
<label>namespace <input id=f-namespace size=14></label>
<label>node <input id=f-node size=14></label>
<label>text <input id=f-text size=24></label>
<span id=shown class=dim></span>
</div>
<table id=traces><thead><tr>
<th data-k=0>source</th><th data-k=1>lines</th><th data-k=3>verdict</th><th data-k=4>format</th>
<th data-k=5>namespace</th><th data-k=6>node</th><th data-k=7>ACL</th><th data-k=8>where</th>
</tr></thead><tbody></tbody></table>
<div id=card></div>
<script id=data type="application/json">%DATA%</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const S = i => (i === null || i === undefined) ? "" : D.strings[i];
const T = D.traces;
const body = document.querySelector("#traces tbody");
const esc = t => String(t).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",
  '"':"&quot;"})[c]);
let order = T.map((_, i) => i);
let sortKey = null, sortDir = 1;
function cell(t, k) { return k === 1 ? (t[1] === null ? -1 : t[1]) : S(t[k]); }
function render() {
  const fv = document.getElementById("f-verdict").value;
  const fn = document.getElementById("f-namespace").value.toLowerCase();
  const fo = document.getElementById("f-node").value.toLowerCase();
  const fx = document.getElementById("f-text").value.toLowerCase();
  const rows = [];
  let shown = 0;
  for (const i of order) {
    const t = T[i];
    if (fv && S(t[3]) !== fv) continue;
    if (fn && !S(t[5]).toLowerCase().includes(fn)) continue;
    if (fo && !S(t[6]).toLowerCase().includes(fo)) continue;
    if (fx && ![0, 4, 7, 8, 9, 11].some(k => S(t[k]).toLowerCase().includes(fx))) continue;
    shown++;
    const lines = t[1] === null ? "" : t[1] + "-" + t[2];
    rows.push('<tr data-i="' + i + '"><td>' + esc(S(t[0])) + "</td><td>" + lines +
      '</td><td class="v-' + esc(S(t[3])) + '">' + esc(S(t[3])) + "</td><td>" + esc(S(t[4])) +
      "</td><td>" + esc(S(t[5])) + "</td><td>" + esc(S(t[6])) + "</td><td>" + esc(S(t[7])) +
      "</td><td>" + esc(S(t[11]) || S(t[8])) + "</td></tr>");
  }
  body.innerHTML = rows.join("");
  document.getElementById("shown").textContent = shown + " of " + T.length + " traces";
}
function kv(k, v) { return v === undefined || v === null || v === "" ? "" :
  '<tr><td class=k>' + esc(k) + "</td><td>" + esc(v) + "</td></tr>"; }
function openCard(i) {
  const t = T[i];
  const c = t[10] === null ? {} : JSON.parse(S(t[10]));
  let h = '<button id=close style="float:right">close</button><h2>' + esc(S(t[0])) +
    (t[1] === null ? "" : " lines " + t[1] + "-" + t[2]) + "</h2><table>" +
    kv("verdict", S(t[3]).toUpperCase() + (c.outputs ? " to " + c.outputs.join(", ") : "")) +
    kv("format", S(t[4])) + kv("packet", c.microflow) + kv("key", S(t[9])) +
    kv("path", (c.path || []).join(" → ")) + kv("error", S(t[11])) +
    kv("dropped", S(t[8])) + kv("reason", c.reason ? "[" + S(t[13]) + "] " + c.reason : "") +
    kv("match", c.match) + kv("priority", c.priority) + kv("lflow", c.lflow) +
    kv("ACL", c.acl ? c.acl + (c.acl_action ? " (" + c.acl_action + ")" : "") +
       (c.acl_uuid ? " " + c.acl_uuid : "") : "") + kv("owner", c.owner) +
    kv("databases", c.databases ? Object.entries(c.databases).map(e => e.join("=")).join(", ")
       : "") + (c.warnings || []).map(w => kv("warning", w)).join("") + "</table>";
  const steps = t[12] || [];
  if (steps.length) {
    const F = D.steps;
    h += "<h2>Stages (" + (c.nsteps > steps.length ? steps.length + " of " + c.nsteps :
      steps.length) + ")</h2><table class=steps><tr>" +
      ["line", "datapath", "pipeline", "table", "stage", "priority", "match", "actions"]
        .map(x => "<th>" + x + "</th>").join("") + "</tr>";
    for (const r of steps) {
      const s = D.rows[r];
      const g = f => { const v = s[F.indexOf(f)]; return typeof v === "number" &&
        !["line", "table", "priority", "openflow_table"].includes(f) ? S(v) :
        (v === null ? "" : v); };
      const str = f => { const v = s[F.indexOf(f)]; return v === null ? "" : S(v); };
      const table = g("table") !== "" ? g("table") : g("openflow_table");
      const line = s[F.indexOf("line")] === null ? "" : s[F.indexOf("line")] + (t[1] || 0);
      h += "<tr" + (s[F.indexOf("dropped")] ? " class=d" : "") + "><td>" + line +
        "</td><td>" + esc(str("datapath")) + "</td><td>" + esc(str("pipeline")) + "</td><td>" +
        table + "</td><td>" + esc(str("stage")) + "</td><td>" + g("priority") + "</td><td>" +
        esc(str("match")) + "</td><td>" + esc(str("actions")) + "</td></tr>";
    }
    h += "</table>";
  }
  const card = document.getElementById("card");
  card.innerHTML = h;
  card.style.display = "block";
  card.dataset.i = i;
  document.getElementById("close").onclick = () => { card.style.display = "none"; };
}
body.addEventListener("click", e => {
  const tr = e.target.closest("tr");
  if (tr) openCard(+tr.dataset.i);
});
document.querySelectorAll("#traces th").forEach(th => th.addEventListener("click", () => {
  const k = +th.dataset.k;
  sortDir = sortKey === k ? -sortDir : 1;
  sortKey = k;
  order.sort((a, b) => { const x = cell(T[a], k), y = cell(T[b], k);
    return (x < y ? -1 : x > y ? 1 : a - b) * sortDir; });
  render();
}));
const verdicts = [...new Set(T.map(t => S(t[3])))].sort();
const sel = document.getElementById("f-verdict");
for (const v of verdicts) { const o = document.createElement("option"); o.value = v;
  o.textContent = v; sel.appendChild(o); }
for (const id of ["f-verdict", "f-namespace", "f-node", "f-text"])
  document.getElementById(id).addEventListener("input", render);
render();
</script></body></html>
"""
