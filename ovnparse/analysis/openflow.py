"""What happened to the packet, read from an OpenFlow trace (ofproto/trace,
ovn-detrace).

The datapath actions say what the datapath does with the packet; every pass
of the trace has them, and ofproto/trace traces each recirculation a pass
queues as a later pass.  So:

  incomplete  the text was cut, a pass has no `Datapath actions:`, a queued
              recirculation was not traced (a select group with no live
              bucket: `hash(l4(0)),recirc(...)`), or `Translation failed`
  delivered   the datapath actions output to one port (a VIF, a tunnel, the
              in_port for a reply OVN builds itself)
  flooded     to two or more ports
  controller  otherwise, the packet goes to ovn-controller or an OpenFlow
              controller (`userspace(...controller(...))`), unless that is an
              OVN ACL `log()` whose verdict is drop or reject: then dropped
  dropped     otherwise (`drop`, nothing, only `ct(commit...)`)

A `No match.` inside a resubmit is a lookup that found nothing, not a drop
of the packet: the drop point is where the packet's path ends, the table
that printed the last line of the last pass (or the table whose ACL log
punted it).  ovn-detrace's notes name its logical flow: stage, table,
pipeline, datapath.

OVN's controller actions carry an opcode and arguments in their userdata
(lib/actions.c encode_start_controller_op: a 4-byte opcode and 4 bytes of
padding); an ACL log's arguments are the verdict, the severity and the ACL's
name (encode_LOG, lib/acl-log.h), so a logged ACL drop is attributed even
without a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import Problem
from ..formats.detrace_rules import logical_flow, note_fields
from ..formats.ofproto.ovs_flow import OvsFlowError, datapath_action_list
from ..formats.ofproto.userdata import decode_controller
from ..lines import decimal
from ..model import DetraceNote, Node, OfAction, OfBridge, OfPass, OfReply, OfTable, Trace
from .explanation import Drop, Explanation, Verdict, classify_drop, is_acl_stage
from .steps import StepNames

_RULE_COOKIE = re.compile(r"rule_cookie=(0x[0-9a-fA-F]+)")
_NAT_FLOW = re.compile(r"(nw_src|ipv6_src)=([^,]+),tp_src=(\d+),(nw_dst|ipv6_dst)=([^,]+),"
                       r"tp_dst=(\d+)")


@dataclass
class _Effects:
    """What one pass's datapath actions do."""

    outputs: list[str] = field(default_factory=list)
    controller: list[dict] = field(default_factory=list)  # userspace(...) arguments
    recircs: list[str] = field(default_factory=list)
    ct_commit: bool = False
    parsed: bool = True


#: what a router's datapath actions set while the next hop's MAC is unknown
_UNRESOLVED = "dst=00:00:00:00:00:00"


def explain_openflow(trace: Trace) -> Explanation:
    passes = [p for p in trace.roots if isinstance(p, OfPass)]
    warnings: list[Problem] = list(trace.problems)

    def warn(message: str, line: int = 0) -> None:
        warnings.append(Problem(trace.source, line, message))

    steps = [s for p in passes for s in _steps(p)]
    annotated = any(_notes(p) for p in passes) or any(_notes(s) for s in steps)
    cache: list[StepNames] = []

    def names() -> StepNames:
        if not cache:
            cache.append(StepNames(steps))
        return cache[0]

    filtered = bool(passes) and all(p.flow is None and not p.children for p in passes)
    if filtered:
        warn("the text holds only the end of an ofproto/trace output (its Flow: line and "
             "tables were left out: filtered or cut): the verdict is read from the datapath "
             "actions alone", passes[0].line)
    traced = {p.recirc_id.lower() for p in passes if p.recirc_id}
    effects = [_effects(p, warn) for p in passes]
    if filtered:
        # (`grep 'Datapath actions'` keeps one line a pass: the passes after the
        # first are the recirculations queued before them, in order)
        queued = [r for eff in effects for r in eff.recircs]
        traced |= {_recirc_key(r) for r in queued[:len(passes) - 1]}

    outputs: list[str] = []
    for eff in effects:
        for port in eff.outputs:
            if port not in outputs:
                outputs.append(port)
    unfollowed = [r for eff in effects for r in eff.recircs if _recirc_key(r) not in traced]
    failed = [line for p in passes for line in p.notes if "Translation failed" in line]
    punts = [(p, c) for p, eff in zip(passes, effects, strict=True) for c in eff.controller]
    verdict_log, log_step = None, None
    others = []
    for p, c in punts:
        step, decoded = _controller_step(p, c)
        if decoded and decoded.get("op") == "log":
            if decoded.get("verdict") in ("drop", "reject") and verdict_log is None:
                verdict_log, log_step = decoded, step
            elif decoded.get("verdict") not in ("drop", "reject"):
                warn(f"ACL {decoded.get('acl') or '<unnamed>'} logged the packet "
                     f"(verdict={decoded.get('verdict')})", step.line if step else 0)
        else:
            others.append((step, decoded, c))
    for p in passes:
        # Older OVS prints the controller action as a slow-path reason only.
        if any("packet-in" in line for line in p.notes):
            others.append((_last_step(p), None, {}))
        # A paused controller action (ovn-controller finishes the packet, e.g.
        # nd_ns and arp since OVN 24.09) puts nothing in the datapath actions.
        for step, action in _paused(p):
            others.append((step, decode_controller(action.text), {}))

    drop = None
    problems: list[str] = []
    replies = [r for r in trace.roots if isinstance(r, OfReply)]
    if replies and not passes:
        verdict = Verdict.ERROR  # ovs-appctl's error reply: the command traced nothing
        for reply in replies:
            if "server returned an error" not in reply.text:
                warn(f"ofproto/trace: {reply.text}", reply.line)
    elif trace.cut or not passes or passes[-1].datapath_actions is None or unfollowed or failed:
        verdict = Verdict.INCOMPLETE
        if unfollowed:
            warn(f"recirculation {', '.join(unfollowed)} queued by the datapath actions is "
                 "not traced (ofproto/trace follows conntrack recirculations only: a select "
                 "group's hash() is one it does not)")
        for line in failed:
            warn(f"ofproto/trace: {line.strip()}")
    elif len(outputs) == 1:
        verdict = Verdict.DELIVERED
    elif outputs:
        verdict = Verdict.FLOODED
    elif verdict_log is not None:
        verdict = Verdict.DROPPED
        drop, problems = _drop(trace, log_step, names, log=verdict_log)
    elif others and filtered and not any(decoded for _s, decoded, _u in others) \
            and not any(_UNRESOLVED in (p.datapath_actions or "") for p in passes):
        # Without the table lines the controller action's userdata is gone: an
        # ACL's log() of a drop and a punt to ovn-controller look alike here
        # (but a router that set eth.dst to zeros has no MAC for the next hop:
        # its ARP/ND request goes through ovn-controller, a punt).
        verdict = Verdict.INCOMPLETE
        warn("the datapath actions send the packet to the controller, and without the "
             "table lines it cannot be told whether that is an ACL's log() of a drop or a "
             "punt to ovn-controller (the rule_cookie names the flow: explain --sb)")
    elif others:
        verdict = Verdict.CONTROLLER
        for step, decoded, _userspace in others:
            what = (f"ovn-controller action {decoded['op']}" if decoded and decoded.get("op")
                    else "controller action")
            where = f" (OpenFlow table {step.table}, cookie {step.cookie})" if step else ""
            warn(f"the packet is sent to the controller: {what}{where}", step.line if step else 0)
    else:
        verdict = Verdict.DROPPED
        drop, problems = _drop(trace, _last_step(passes[-1]), names)
    for problem in problems:
        warn(problem, drop.line or 0 if drop else 0)

    return Explanation(
        format=trace.format,
        microflow=trace.microflow,
        lines=[trace.first_line, trace.last_line],
        verdict=verdict,
        outputs=_named_outputs(steps) if annotated else None,
        datapaths=_datapaths(steps, names()) if annotated else None,
        transforms=_transforms(passes),
        drop=drop,
        warnings=warnings,
        source=trace.source,
        recirculations=(len(passes) - 1 if filtered else sum(1 for p in passes if p.recirc_id))
        if passes else None,
    )


def _recirc_key(value: str) -> str:
    """A recirculation id as `recirc_id` is printed (0x...); text that is no
    number (a damaged `recirc(abc)`) is kept as it is, and then matches no pass."""
    try:
        return hex(int(value, 16) if value.lower().startswith("0x") else decimal(value))
    except ValueError:
        return value.lower()


def _notes(node) -> list:
    return getattr(node, "annotations", None) or []


# --- datapath actions --------------------------------------------------------------

def _effects(p: OfPass, warn) -> _Effects:
    eff = _Effects()
    if p.datapath_actions is None:
        return eff
    try:
        actions = datapath_action_list(p) or []
    except OvsFlowError as exc:
        warn(f"{exc.detail}; read with ovnparse's own reader", exc.line)
        eff.parsed = False
        _scan(p.datapath_actions, eff)
        return eff
    _walk(actions, eff)
    return eff


def _walk(actions: list, eff: _Effects) -> None:
    # (without recursion, nested clone()s run deep: a stack of the lists under way)
    stack = [iter(actions)]
    while stack:
        action = next(stack[-1], None)
        if action is None:
            stack.pop()
            continue
        if not isinstance(action, dict):
            continue
        nested: list = []  # what the action holds, read before its next sibling
        for name, value in action.items():
            if name == "output":
                port = value.get("port") if isinstance(value, dict) else value
                eff.outputs.append(str(port))
            elif name == "lb_output":
                eff.outputs.append(f"lb_output({value})")
            elif name == "tnl_push":
                eff.outputs.append(str(value.get("out_port")) if isinstance(value, dict)
                                   else "tnl_push")
            elif name == "userspace":
                eff.controller.append(value if isinstance(value, dict) else {})
            elif name == "recirc":
                eff.recircs.append(hex(value) if isinstance(value, int) else str(value))
            elif name == "ct":
                if isinstance(value, dict) and value.get("commit"):
                    eff.ct_commit = True
            elif name == "sample":
                nested += value.get("actions", []) if isinstance(value, dict) else []
            elif name == "clone":
                nested += value if isinstance(value, list) else []
            elif name == "check_pkt_len" and isinstance(value, dict):
                nested += (value.get("gt") or []) + (value.get("le") or [])
        if nested:
            stack.append(iter(nested))


_SCANNED = ("sample", "clone", "check_pkt_len", "actions", "gt", "le")  # read inside
_NOT_PORTS = ("drop", "ct_clear", "pop_eth", "pop_vlan", "pop_nsh", "pop_mpls", "ct",
              "strip_vlan")  # (strip_vlan: 2010)


def _scan(text: str, eff: _Effects) -> None:
    """A reader for datapath actions ovs.flow rejects: outputs (bare ports),
    userspace, recirc, sample/clone/check_pkt_len contents.

    One pass over the text (nested clone()s can run thousands deep, and
    splitting each level again would take their square): a frame per open
    parenthesis, [whether its items are read, where its current item starts,
    whether that item has opened a parenthesis yet]."""
    frames = [[True, 0, False]]
    for i, c in enumerate(text):
        if c in "({":
            frame = frames[-1]
            first = not frame[2]
            frame[2] = True
            inside = (frame[0] and first and c == "("
                      and text[frame[1]:i].strip() in _SCANNED)
            frames.append([inside, i + 1, False])
        elif c in ")}" and len(frames) > 1:
            frame = frames.pop()
            if frame[0]:
                _scan_item(text[frame[1]:i], eff)
        elif c == ",":
            frame = frames[-1]
            if frame[0]:
                _scan_item(text[frame[1]:i], eff)
            frame[1], frame[2] = i + 1, False
    while frames:  # (cut text: the items left open)
        frame = frames.pop()
        if frame[0]:
            _scan_item(text[frame[1]:], eff)


def _scan_item(item: str, eff: _Effects) -> None:
    item = item.strip()
    if not item:
        return
    name, _, rest = item.partition("(")
    inner = rest[:-1] if rest.endswith(")") else rest
    if not rest and name not in _NOT_PORTS:
        eff.outputs.append(name)
    elif name == "userspace":
        cookie = _RULE_COOKIE.search(inner)
        eff.controller.append({"controller": {"rule_cookie": int(cookie.group(1), 16)}}
                              if cookie else {})
    elif name == "recirc":
        eff.recircs.append(inner)
    elif name == "ct" and "commit" in inner:
        eff.ct_commit = True


# --- steps -----------------------------------------------------------------------------

def _steps(node) -> list[OfTable]:
    """Every table step under a node, in printed order."""
    return [n for n in node.walk() if isinstance(n, OfTable)]


def _last_step(p: OfPass) -> OfTable | None:
    """The table that printed the last line of a pass: where its path ends."""
    node: Node = p
    step = None
    while True:
        kids = node.children
        if not kids:
            return step
        last = kids[-1]
        if isinstance(last, OfTable):
            step = last
            node = last
        elif isinstance(last, OfBridge) or (last.__class__ is OfAction and last.children):
            node = last
        else:
            return step


def _paused(p: OfPass) -> list[tuple[OfTable, OfAction]]:
    """The steps of a pass whose `controller(...,pause)` action hands the packet
    to the controller to finish (a continuation): (step, action)."""
    found = []
    for step in _steps(p):
        for action in step.children:
            text = action.text
            if action.__class__ is OfAction and text.startswith("controller(") \
                    and (text.endswith(",pause)") or ",pause," in text):
                found.append((step, action))
    return found


def _controller_step(p: OfPass, userspace: dict) -> tuple[OfTable | None, dict | None]:
    """The table step whose controller action the datapath's userspace action
    runs (by rule_cookie), and that action's OVN userdata, decoded."""
    ctrl = userspace.get("controller") if isinstance(userspace, dict) else None
    cookie = ctrl.get("rule_cookie") if isinstance(ctrl, dict) else None
    candidates = []
    for step in _steps(p):
        for action in step.children:
            if action.__class__ is OfAction and action.text.startswith("controller("):
                candidates.append((step, action))
    if cookie is not None:
        for step, action in candidates:
            if step.cookie and _cookie_int(step.cookie) == cookie:
                return step, decode_controller(action.text)
    if len(candidates) == 1:
        step, action = candidates[0]
        return step, decode_controller(action.text)
    return None, None


def _cookie_int(cookie: str) -> int | None:
    try:
        return int(cookie, 16)
    except ValueError:
        return None


# --- the drop ---------------------------------------------------------------------------

def _drop(trace: Trace, step: OfTable | None, names, log: dict | None = None
          ) -> tuple[Drop, list[str]]:
    """The drop at a step, and the problems of its resolution.  An ACL's drop
    (OVN >= 23.06) is put at its acl_eval flow, with the acl_action flow that
    acted on it beside it (as logical.py does for ovn-trace)."""
    step, acted = _acl_eval_step(trace, step)
    lflow = logical_flow(step) if step is not None else None
    datapath, pipeline = (names().datapath(step) if lflow is not None else (None, None))
    code, reason = _reason(step, lflow, log)
    drop = Drop(
        datapath=datapath,
        pipeline=pipeline,
        table=lflow.get("table") if lflow else None,
        stage=lflow.get("stage") if lflow else None,
        priority=step.priority if step else None,
        match=step.match if step else None,
        lflow=step.key[2:] if step and lflow and step.key else None,
        reason_code=code, reason=reason,
        line=step.line if step else None,
        openflow_table=step.table if step else None,
        cookie=step.key if step else None,
        acl_log={k: log.get(k) for k in ("acl", "verdict", "severity")} if log else None,
        acl_action=_step_dict(acted) if acted is not None else None)
    problems = drop.resolve(trace.resolved.get(step.line)) if step is not None else []
    if log is not None and step is not None:
        for action in step.children:  # the log() whose userdata names the ACL
            if action.__class__ is OfAction and action.line in trace.resolved:
                problems += drop.resolve_acl(trace.resolved[action.line])
                break
    return drop, problems


def _acl_eval_step(trace: Trace, step: OfTable | None
                   ) -> tuple[OfTable | None, OfTable | None]:
    """(the step to report the drop at, the acl_action step that acted on an ACL's
    drop verdict or None), from ovn-detrace's notes on the steps: the drop
    verdict bit (reg8[17]) is set by the ACL's acl_eval flow and acted on by
    acl_action's `reg8[17] == 1` flow, the last step of the pass."""
    if step is None:
        return None, None
    steps = [s for p in trace.roots if isinstance(p, OfPass) for s in _steps(p)]
    at = steps.index(step)
    if _acts_on_drop_verdict(step):
        for earlier in reversed(steps[:at]):
            if _sets_drop_verdict(earlier):
                return earlier, step
        return step, None
    if _sets_drop_verdict(step):
        for later in steps[at + 1:]:
            if _acts_on_drop_verdict(later):
                return step, later
    return step, None


# The drop verdict bit, reg8[17] (REGBIT_ACL_VERDICT_DROP), as OpenFlow has it:
# reg8's bit 17, or xreg4's bit 49 (xreg4 is reg8:reg9).
_SETS_DROP_BIT = ("set_field:0x2000000000000/0x2000000000000->xreg4",
                  "set_field:0x20000/0x20000->reg8")


def _sets_drop_verdict(step: OfTable) -> bool:
    """An ACL's acl_eval flow: it sets the drop verdict bit."""
    flow = logical_flow(step)
    if flow is not None:
        return is_acl_stage(flow.get("stage"), "_eval") \
            and "reg8[17] = 1" in (flow.get("actions") or "")
    return any(a.text in _SETS_DROP_BIT for a in step.children)


def _acts_on_drop_verdict(step: OfTable) -> bool:
    """acl_action's flow for the drop verdict: it matches the bit, drops."""
    flow = logical_flow(step)
    if flow is not None:
        return is_acl_stage(flow.get("stage"), "_action") \
            and "reg8[17] == 1" in (flow.get("match") or "")
    return "reg8=0x20000/0x20000" in (step.match or "")


def _step_dict(step: OfTable) -> dict:
    flow = logical_flow(step) or {}
    return {"stage": flow.get("stage"), "table": flow.get("table"),
            "priority": flow.get("priority"), "lflow": step.key[2:] if step.key else None,
            "line": step.line}


def _reason(step: OfTable | None, lflow: dict | None, log: dict | None):
    if log is not None:
        return classify_drop(
            None, None, rejected=log.get("verdict") == "reject",
            acl=(f"ACL {log.get('acl') or '<unnamed>'} (verdict={log.get('verdict')}, "
                 f"severity={log.get('severity')}), from the log() userdata of its "
                 "controller action"))
    if step is None:
        return classify_drop(None, None, other="dropped: no table step in the last pass")
    where = f"OpenFlow table {step.table}" + (f", cookie {step.key}" if step.cookie else "")
    if lflow:
        stage = lflow.get("stage") or ""
        acl = next((n for n in step.annotations if n.what == "acl"), None)
        return classify_drop(stage, lflow.get("match"), acl=acl.body if acl else None,
                             other=f"{stage} ({where}): {lflow.get('actions')}")
    if step.no_match:
        return classify_drop(None, None, no_match=f"no OpenFlow flow matches in table "
                                                  f"{step.table} ({step.miss})")
    if _sets_drop_verdict(step):
        return classify_drop(None, None, acl=f"an ACL's drop verdict, set at {where} (the "
                                             "OpenFlow trace does not name the ACL)")
    acts = [c.text for c in step.children if c.__class__ is OfAction]
    if acts == ["drop"]:
        return classify_drop(None, None, other=f"{where}: the flow's actions are empty (drop)")
    return classify_drop(None, None, other=f"{where}: actions end without an output")


# --- what ovn-detrace's notes name ------------------------------------------------------

def _port_binding(step: OfTable) -> DetraceNote | None:
    return next((n for n in _notes(step) if n.what == "port_binding"), None)


def _datapaths(steps: list[OfTable], names: StepNames) -> list[str]:
    visits: list[str] = []
    for step in steps:
        if not any(n.what == "logical_flow" for n in _notes(step)):
            continue
        name, _ = names.datapath(step)
        if name is not None and (not visits or visits[-1] != name):
            visits.append(name)
    return visits


def _named_outputs(steps: list[OfTable]) -> list[str]:
    """Logical ports of the steps that output the packet (`output:N` under a
    port binding's note: OVN's table that hands the packet to a VIF or tunnel)."""
    ports: list[str] = []
    for step in steps:
        if not step.annotations or not any(
                a.__class__ is OfAction and a.text.startswith("output:") for a in step.children):
            continue
        pb = _port_binding(step)
        if pb is not None:
            port = note_fields(pb).get("logical_port")
            if port and port not in ports:
                ports.append(port)
    return ports


def _transforms(passes: list[OfPass]) -> list[dict]:
    """The NAT ofproto/trace applied when it resumed conntrack (its
    `Replacing src/dst IP/ports to simulate NAT` lines)."""
    found = []
    for p in passes:
        initial = modified = None
        for line in p.header:
            s = line.strip()
            if s.startswith("Initial flow:"):
                initial = _NAT_FLOW.search(s)
            elif s.startswith("Modified flow:"):
                modified = _NAT_FLOW.search(s)
        if not initial or not modified:
            continue
        for kind, host, port in (("snat", 2, 3), ("dnat", 5, 6)):
            a, b = (initial.group(host), initial.group(port)), (modified.group(host),
                                                               modified.group(port))
            if a == b:
                continue
            if a[1] == b[1]:  # the address only
                a, b = (a[0], "0"), (b[0], "0")
            found.append({"kind": kind, "from": _hp(*a), "to": _hp(*b), "stage": None,
                          "line": p.header_line})
    return found


def _hp(host: str, port: str) -> str:
    return host if port == "0" else (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
