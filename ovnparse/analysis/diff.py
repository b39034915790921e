"""Two traces side by side, step by step: where they part, and why.

`diff(a, b)` lines the two traces' steps (analysis/steps.py) up in order:

- logical stages by datapath, pipeline and table (ovn-trace against
  ovn-trace, or an OpenFlow trace whose notes or databases name its logical
  flows);
- OpenFlow tables by bridge, table and `metadata` (OpenFlow against OpenFlow
  with nothing to name them);
- a logical trace against an OpenFlow one through the cookies: a cookie is
  the first 32 bits of the logical flow's uuid, so the OpenFlow steps whose
  cookie is one of the logical trace's flows tell which OpenFlow table and
  `metadata` implement which datapath, pipeline and table; the others are
  placed by the same offsets.  OpenFlow's own tables (port security, output,
  the tables between pipelines) have no logical counterpart and are left out.

Aligned steps are the same when they matched the same flow: the same key
(uuid prefix or cookie), or, when databases were regenerated (other uuids),
the same priority, match and ACL.  The result names the first divergence
(both lines), the steps only one trace has, the steps where they matched
different flows, both verdicts and drop points, and the causes it knows:

- an ACL: a different ACL decided at the first divergence (its name, action,
  priority and owner);
- conntrack: ovn-trace assumes every connection is established (`ct_state=
  est|trk`, "default (use --ct to customize)"), ofproto/trace resumes each
  conntrack recirculation as new unless `--ct-next` says otherwise: ACLs that
  only match new connections act in one and not the other;
- ovn-controller: what OVN does in ovn-controller rather than in OpenFlow
  (ARP/ND resolution, `put_arp`, reject's TCP RST or ICMP, ICMP errors,
  DNS, DHCP...) ends the OpenFlow trace at a `controller()` action;
- select groups: ofproto/trace cannot follow an OVS select group (load
  balancers with several backends, ECMP) with no live bucket;
- other uuids for the same flows (the databases were rebuilt): not a change;
- a logical flow with no OpenFlow flow on the chassis (with a dump-flows).

ovn-trace does not print a table whose flow only says `next;`: such OpenFlow
steps are not compared with a logical trace.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..enrich.owners import describe
from ..lines import decimal
from ..model import Action, Fork, Trace
from .display import card
from .explanation import Explanation
from .logical import CONTROLLER_ACTIONS, REPLY_FORKS, RESOLUTION_FORKS, action_name
from .steps import OPENFLOW, STAGE, StepRow, step_rows

if TYPE_CHECKING:
    from ..db.databases import Databases

OVN_TRACE_DEFAULT_CT = "est|trk"
# Logical actions ovn-controller carries out (pinctrl), not OpenFlow.
_PINCTRL_FORKS = RESOLUTION_FORKS | REPLY_FORKS | {"nd_na", "nd_na_router"}
_RESUBMIT_ONLY = re.compile(r"resubmit\(,(\d+)\)\Z")
_SPACES = re.compile(r"\s+")
# ovn-controller's first table after the logical egress pipeline (OVN 2.x-25.x)
_OFTABLE_SAVE_INPORT = 64


@dataclass
class Side:
    """One trace of the two: its explanation and steps."""

    trace: Trace
    explanation: Explanation
    rows: list[StepRow]
    name: str  # "a" or "b"


@dataclass
class StepChange:
    """The same step, another flow."""

    a: StepRow
    b: StepRow
    fields: list[str]  # which of lflow, priority, match, acl differ


@dataclass
class TraceDiff:
    """What `diff(a, b)` found (see the module's doc)."""

    a: Side
    b: Side
    pairs: list[tuple[StepRow | None, StepRow | None]]  # in order
    changed: list[StepChange]
    only_a: list[StepRow]
    only_b: list[StepRow]
    first_divergence: tuple[StepRow | None, StepRow | None] | None
    causes: list[dict] = field(default_factory=list)  # {"kind", "text"}
    renamed: int = 0  # aligned steps with other uuids but the same flow
    left_out: tuple[int, int] = (0, 0)  # OpenFlow-only steps not compared, per side

    @property
    def verdict_changed(self) -> bool:
        return self.a.explanation.verdict != self.b.explanation.verdict

    @property
    def same(self) -> bool:
        """The same flows all along and the same verdict."""
        return not (self.changed or self.only_a or self.only_b or self.verdict_changed)

    # (what `compare` said, kept: Comparison's names)
    @property
    def first(self) -> Explanation:
        return self.a.explanation

    @property
    def second(self) -> Explanation:
        return self.b.explanation

    def verdicts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"changed": self.verdict_changed}
        for side in (self.a, self.b):
            ex = side.explanation
            out[side.name] = {"verdict": str(ex.verdict), "outputs": ex.outputs,
                              "drop": ex.drop.to_dict() if ex.drop else None}
        return out

    def to_dict(self) -> dict[str, Any]:
        first = None
        if self.first_divergence is not None:
            ra, rb = self.first_divergence
            first = {"a": ra.to_dict() if ra else None, "b": rb.to_dict() if rb else None,
                     "stage": either(self.first_divergence).stage}
        return {
            "same": self.same,
            "a": _side_dict(self.a), "b": _side_dict(self.b),
            "first_divergence": first,
            "only_a": [r.to_dict() for r in self.only_a],
            "only_b": [r.to_dict() for r in self.only_b],
            "changed": [{"a": c.a.to_dict(), "b": c.b.to_dict(), "fields": c.fields}
                        for c in self.changed],
            "verdicts": self.verdicts(),
            "causes": self.causes,
        }

    def __str__(self) -> str:
        return summary(self)

    def __repr__(self) -> str:
        a, b = self.a.explanation, self.b.explanation
        where = ""
        if self.first_divergence is not None:
            where = f"; first divergence at {either(self.first_divergence).where()}"
        text = (f"<TraceDiff {'same' if self.same else 'different'}: {a.verdict} → {b.verdict}"
                f"{where}; {len(self.changed)} changed, {len(self.only_a)} only in a, "
                f"{len(self.only_b)} only in b>")
        return text if len(text) <= 200 else text[:196] + "...>"

    def _repr_html_(self) -> str | None:
        """A card for Jupyter (views/html.py)."""
        return card(self)


def either(pair: tuple[StepRow | None, StepRow | None]) -> StepRow:
    """The row of a pair that is there (a's if both are)."""
    row = pair[0] or pair[1]
    assert row is not None  # (a pair always has one)
    return row


def _side_dict(side: Side) -> dict[str, Any]:
    t = side.trace
    return {"source": t.source, "format": t.format, "lines": [t.first_line, t.last_line]}


# --- the diff ----------------------------------------------------------------------------

def diff(a: Trace, b: Trace, db: Databases | None = None, *,
         db_b: Databases | None = None) -> TraceDiff:
    """Two traces of one packet (or of one packet before and after a change).
    `db` (and `db_b` for the second, if it was made against other databases)
    enrich them as `explain` does."""
    sa = _side(a, db, "a")
    sb = _side(b, db_b if db_b is not None else db, "b")
    keys_a, keys_b, left_out = _identities(sa.rows, sb.rows)
    ia = [r for r in sa.rows if r.step in keys_a]
    ib = [r for r in sb.rows if r.step in keys_b]
    pairs = _align(ia, ib, keys_a, keys_b)
    changed: list[StepChange] = []
    only_a: list[StepRow] = []
    only_b: list[StepRow] = []
    renamed = 0
    first = None
    for ra, rb in pairs:
        if ra is None or rb is None:
            (only_a if rb is None else only_b).append(either((ra, rb)))
            first = first or (ra, rb)
            continue
        fields, other_uuid = _compare(ra, rb)
        if fields:
            changed.append(StepChange(ra, rb, fields))
            first = first or (ra, rb)
        elif other_uuid:
            renamed += 1
    result = TraceDiff(sa, sb, pairs, changed, only_a, only_b, first, renamed=renamed,
                       left_out=left_out)
    result.causes = _causes(result)
    return result


def _align(ia: list[StepRow], ib: list[StepRow], keys_a: dict[int, tuple],
           keys_b: dict[int, tuple]) -> list[tuple[StepRow | None, StepRow | None]]:
    """The rows in order, paired: first the same step with the same flow (so that
    a stage met again, as ACL tiers do, pairs with its own flow), then, between
    those, the same step with another flow."""
    pairs: list[tuple[StepRow | None, StepRow | None]] = []
    exact = difflib.SequenceMatcher(None, [(keys_a[r.step], r.key) for r in ia],
                                    [(keys_b[r.step], r.key) for r in ib], autojunk=False)
    for op, i1, i2, j1, j2 in exact.get_opcodes():
        if op == "equal":
            pairs.extend(zip(ia[i1:i2], ib[j1:j2], strict=True))
            continue
        ga, gb = ia[i1:i2], ib[j1:j2]
        placed = difflib.SequenceMatcher(None, [keys_a[r.step] for r in ga],
                                         [keys_b[r.step] for r in gb], autojunk=False)
        for op2, k1, k2, l1, l2 in placed.get_opcodes():
            if op2 == "equal":
                pairs.extend(zip(ga[k1:k2], gb[l1:l2], strict=True))
            else:
                pairs.extend((r, None) for r in ga[k1:k2])
                pairs.extend((None, r) for r in gb[l1:l2])
    return pairs


def _side(trace: Trace, db: Databases | None, name: str) -> Side:
    explained = getattr(trace, "explained", None)
    if explained is not None:  # an ovnparse.Trace: cached, enriched with its databases
        used, ex = explained(db)
    else:
        from ..enrich import enrich
        from .explain import explain
        used = enrich(trace, db) if db is not None else trace
        ex = explain(used)
    return Side(used, ex, step_rows(used), name)


def _identities(rows_a: list[StepRow], rows_b: list[StepRow]
                ) -> tuple[dict[int, tuple], dict[int, tuple], tuple[int, int]]:
    """Each comparable row's place (step -> identity), per side; the number of
    rows left out (OpenFlow's own tables, against a logical trace)."""
    logical_a = any(r.kind != OPENFLOW for r in rows_a)
    logical_b = any(r.kind != OPENFLOW for r in rows_b)
    mixed = logical_a != logical_b
    placed_a, placed_b = dict(_placed(rows_a)), dict(_placed(rows_b))
    if mixed:  # learn where the OpenFlow side's unnamed steps stand from the cookies
        logical, openflow = (rows_a, rows_b) if logical_a else (rows_b, rows_a)
        placed = placed_b if logical_a else placed_a
        learned = _through_cookies(logical, openflow, placed)
        placed.update(learned)
        stages = {("L", r.datapath, r.pipeline, r.table): r.stage for r in logical}
        for r in openflow:  # (say where they stand, as the logical trace names it)
            ident = learned.get(r.step)
            if ident is not None and r.datapath is None:
                r.datapath, r.pipeline, r.table = ident[1:]
                r.stage = r.stage or stages.get(ident)
    out = []
    left = []
    for rows, placed in ((rows_a, placed_a), (rows_b, placed_b)):
        ids: dict[int, tuple] = {}
        n = 0
        for r in rows:
            ident = placed.get(r.step)
            if mixed and r.kind == OPENFLOW and (ident is None or ident[0] != "L"
                                                 or _trivial(r)):
                n += 1  # (OpenFlow's own table, or a flow ovn-trace does not print)
                continue
            ids[r.step] = ident if ident is not None else ("?", r.step)
        out.append(ids)
        left.append(n)
    return out[0], out[1], (left[0], left[1])


def _placed(rows: list[StepRow]):
    for r in rows:
        if r.datapath and r.pipeline and r.table is not None:
            yield r.step, ("L", r.datapath, r.pipeline, r.table)
        elif r.kind == OPENFLOW:
            yield r.step, ("O", r.bridge, r.openflow_table, r.metadata)
        elif r.kind != STAGE:
            yield r.step, ("P", r.datapath, r.pipeline)


def _through_cookies(logical: list[StepRow], openflow: list[StepRow],
                     placed: dict[int, tuple]) -> dict[int, tuple]:
    """OpenFlow rows placed by the logical rows whose flows their cookies name,
    and the rest by the table offsets and metadata those teach."""
    by_key: dict[str, tuple[str, str, int]] = {}  # lflow -> (datapath, pipeline, table)
    for r in logical:
        if r.lflow and r.datapath and r.pipeline and r.table is not None:
            by_key.setdefault(r.lflow, (r.datapath, r.pipeline, r.table))
    found: dict[int, tuple] = {}
    offsets: dict[str, int] = {}  # pipeline -> OpenFlow table - logical table
    highest: dict[str, int] = {}  # pipeline -> the highest OpenFlow table seen in it
    datapaths: dict[str, str] = {}  # metadata -> datapath
    for r in openflow:
        if placed.get(r.step, ("?",))[0] == "L" or not r.cookie or r.openflow_table is None:
            continue
        known = by_key.get(r.cookie[2:])
        if known is None:
            continue
        datapath, pipeline, table = known
        found[r.step] = ("L", datapath, pipeline, table)
        offsets.setdefault(pipeline, r.openflow_table - table)
        highest[pipeline] = max(highest.get(pipeline, 0), r.openflow_table)
        if r.metadata:
            datapaths.setdefault(r.metadata, datapath)
    ordered = sorted(offsets.items(), key=lambda kv: kv[1])
    for r in openflow:
        of_table = r.openflow_table
        if r.step in found or placed.get(r.step, ("?",))[0] == "L" or of_table is None \
                or r.cookie is None or r.metadata not in datapaths:
            continue
        below = [(p, o) for p, o in ordered if o <= of_table]
        if not below:
            continue
        pipeline, offset = below[-1]
        # Past a pipeline's last table seen come OVN's own tables (output,
        # port security...): the last pipeline's run to OFTABLE_SAVE_INPORT.
        last = (pipeline, offset) == ordered[-1]
        if of_table > highest[pipeline] and not (last and of_table < _OFTABLE_SAVE_INPORT):
            continue
        found[r.step] = ("L", datapaths[r.metadata], pipeline, of_table - offset)
    return found


def _trivial(r: StepRow) -> bool:
    """A flow that only says `next;` (ovn-trace prints no table for it)."""
    if r.actions is not None:
        return r.actions.strip() == "next;"
    m = _RESUBMIT_ONLY.match(r.openflow_actions or "")
    return m is not None and r.openflow_table is not None \
        and decimal(m.group(1)) == r.openflow_table + 1


def _norm(text: str | None) -> str | None:
    return _SPACES.sub(" ", text).strip() if text is not None else None


def _compare(ra: StepRow, rb: StepRow) -> tuple[list[str], bool]:
    """(the fields that differ, whether only the uuid does)."""
    if ra.key and rb.key and ra.key == rb.key:
        return [], False
    fields = []
    if ra.priority is not None and rb.priority is not None and ra.priority != rb.priority:
        fields.append("priority")
    ma, mb = _norm(ra.match), _norm(rb.match)
    if ma is not None and mb is not None and ma != mb:
        fields.append("match")
    if (ra.acl or rb.acl) and ra.acl != rb.acl:
        fields.append("acl")
    if ra.no_match != rb.no_match:
        fields.append("no_match")
    known = ra.priority is not None and rb.priority is not None and ma is not None \
        and mb is not None
    if not fields and known:
        return [], bool(ra.key and rb.key)  # the same flow under another uuid
    if ra.key != rb.key:
        fields.insert(0, "lflow")
    return fields, False


# --- causes ------------------------------------------------------------------------------

def _causes(d: TraceDiff) -> list[dict]:
    causes: list[dict] = []
    if d.first_divergence is not None:
        ra, rb = d.first_divergence
        if ra is not None and rb is not None and (ra.acl or rb.acl):
            causes.append({"kind": "acl", "text": "at " + _where(ra) + ": " + _acl_text(ra, "a")
                           + "; " + _acl_text(rb, "b")})
        elif ra is not None and rb is not None:
            causes.append({"kind": "flow", "text": f"at {_where(ra)}: a matched {_flow(ra)}, "
                           f"b matched {_flow(rb)}"})
    ta, tb = d.a.trace, d.b.trace
    if not d.same:
        causes += _conntrack(ta, tb) + _controller(d) + _select_group(ta, tb)
    if d.renamed:
        causes.append({"kind": "uuid", "text": f"{d.renamed} aligned steps matched flows with "
                       "other uuids but the same stage, priority and match (the databases "
                       "were rebuilt): not counted as changes"})
    for side in (d.a, d.b):
        for r in side.rows:
            res = r.resolution
            if r.kind == STAGE and res is not None and res.openflow_flows == []:
                causes.append({"kind": "no-openflow", "text": f"{side.name}: logical flow "
                               f"{r.lflow} ({_where(r)}) has no OpenFlow flow in the dump: "
                               "not installed on this chassis (or dumped at another time)"})
    if d.verdict_changed and not any(c["kind"] != "uuid" for c in causes):
        causes.append({"kind": "unknown", "text": f"no known cause: {d.a.trace.format} says "
                       f"{d.a.explanation.verdict}, {d.b.trace.format} says "
                       f"{d.b.explanation.verdict}"})
    return causes


def _where(r: StepRow) -> str:
    return r.where()


def _flow(r: StepRow) -> str:
    parts = []
    if r.lflow:
        parts.append(f"lflow {r.lflow}")
    elif r.cookie:
        parts.append(f"cookie {r.cookie}")
    if r.priority is not None:
        parts.append(f"priority {r.priority}")
    elif r.openflow_priority is not None:
        parts.append(f"OpenFlow priority {r.openflow_priority}")
    if r.no_match:
        parts.append("no flow")
    return ", ".join(parts) or f"line {r.line}"


def _acl_text(r: StepRow, side: str) -> str:
    if not r.acl:
        return f"{side} matched {_flow(r)} (no ACL)"
    what = f"ACL {r.acl}" + (f" {r.acl_action}" if r.acl_action else "")
    owner = f" — {describe(r.owner)}" if r.owner else ""
    return f"{side} matched {what} ({_flow(r)}){owner}"


def conntrack_states(trace: Trace) -> set[str]:
    """The conntrack states a trace assumed at its conntrack passes."""
    states: set[str] = set()
    for node in trace.walk():
        state = getattr(node, "ct_state", None)  # an OpenFlow recirculation pass
        if state:
            states.add(state)
        elif isinstance(node, Fork) and node.detail:
            if "ct_state=" in node.detail:
                states.add(node.detail.split("ct_state=", 1)[1].split()[0].rstrip(")"))
            elif "default (use --ct to customize)" in node.detail:
                states.add(OVN_TRACE_DEFAULT_CT)
    return states


def _conntrack(first: Trace, second: Trace) -> list[dict]:
    sa, sb = conntrack_states(first), conntrack_states(second)
    if sa and sb and sa != sb:
        return [{"kind": "conntrack", "text":
                 f"conntrack: {first.format} assumed ct_state {', '.join(sorted(sa))}, "
                 f"{second.format} {', '.join(sorted(sb))}; ACLs that match only new or "
                 "only established connections act in one and not the other (ovn-trace "
                 "--ct=new, ofproto/trace --ct-next 'trk,est' make them agree)"}]
    return []


def _controller(d: TraceDiff) -> list[dict]:
    for side, other in ((d.a, d.b), (d.b, d.a)):
        if other.explanation.verdict != "controller":
            continue
        trace = side.trace
        actions = sorted({n.name for n in trace.walk()
                          if isinstance(n, Fork) and n.name in _PINCTRL_FORKS}
                         | {action_name(n.text) for n in trace.walk()
                            if isinstance(n, Action) and action_name(n.text) in CONTROLLER_ACTIONS})
        if actions:
            return [{"kind": "controller", "text":
                     f"ovn-controller: {side.explanation.format} shows {', '.join(actions)}, "
                     "which ovn-controller carries out (pinctrl); the OpenFlow trace stops at "
                     "the controller() action that hands the packet to it"}]
    return []


def _select_group(first: Trace, second: Trace) -> list[dict]:
    for trace in (first, second):
        if any("no live bucket" in node.text for node in trace.walk()):
            return [{"kind": "select-group", "text":
                     f"select group: {trace.format} met an OVS select group with no live "
                     "bucket (a load balancer or ECMP route) and could not follow the packet"}]
    return []


# --- the summary a person reads -----------------------------------------------------------

def _verdict_text(ex: Explanation) -> str:
    text = str(ex.verdict)
    if ex.outputs:
        text += " (to " + ", ".join(ex.outputs) + ")"
    return text


def _steps(n: int) -> str:
    return f"{n} step" + ("s" if n != 1 else "")


def summary(d: TraceDiff) -> str:
    """The first divergent step, both flows, and the verdicts: 'dropped → delivered'."""
    out = [f"a: {d.a.trace.format}, lines {d.a.trace.first_line}-{d.a.trace.last_line} "
           f"of {d.a.trace.source}",
           f"b: {d.b.trace.format}, lines {d.b.trace.first_line}-{d.b.trace.last_line} "
           f"of {d.b.trace.source}"]
    if d.same:
        out.append(f"same: {len(d.pairs)} steps match the same flows; verdict "
                   f"{_verdict_text(d.a.explanation)}")
    elif d.first_divergence is not None:
        ra, rb = d.first_divergence
        out.append(f"first divergence at {either(d.first_divergence).where()}:")
        for name, r in (("a", ra), ("b", rb)):
            if r is None:
                out.append(f"  {name}: (no such step)")
                continue
            acl = ""
            if r.acl:
                acl = f", ACL {r.acl}" + (f" {r.acl_action}" if r.acl_action else "")
                if r.owner:
                    acl += f" — {describe(r.owner).replace(' [legacy ids]', '')}"
            out.append(f"  {name} (line {r.line}): {_flow(r)}{acl}")
    else:
        out.append("the same steps")
    verdict = f"verdict: {_verdict_text(d.a.explanation)}"
    if d.verdict_changed:
        verdict = (f"verdict: {d.a.explanation.verdict} → {d.b.explanation.verdict}"
                   + (f" (to {', '.join(d.b.explanation.outputs)})"
                      if d.b.explanation.outputs else ""))
    out.append(verdict)
    for name, side in (("a", d.a), ("b", d.b)):
        drop = side.explanation.drop
        if drop is not None and d.verdict_changed:
            where = " ".join(x for x in (drop.datapath, drop.pipeline, drop.stage) if x) or \
                f"OpenFlow table {drop.openflow_table}"
            out.append(f"  {name} dropped at {where} (line {drop.line}): {drop.reason}")
    counts = []
    if d.changed:
        counts.append(f"{_steps(len(d.changed))} matched other flows")
    if d.only_a:
        counts.append(f"{_steps(len(d.only_a))} only in a")
    if d.only_b:
        counts.append(f"{_steps(len(d.only_b))} only in b")
    if counts:
        out.append("; ".join(counts))
    for cause in d.causes:
        if cause["kind"] not in ("acl", "flow"):
            out.append(f"  - {cause['text']}")
    return "\n".join(out) + "\n"
