"""What happened to the packet: branches, verdict, drop point, rewrites.

A trace is a tree; every path through it that the packet (or a copy of it)
takes is a *branch*, and every branch ends somewhere: an output to a logical
port, a drop, a punt to ovn-controller, an error of the tool, or the end of
the text.  The verdict of the trace is read from the ends of its branches:

  delivered   exactly one logical port is output to
  flooded     two or more ports are output to
  dropped     otherwise, a branch was dropped
  controller  otherwise, a branch was punted to ovn-controller
  incomplete  the text ends before the trace does (checked first: a cut trace
              is never called delivered)
  error       the tool itself could not go on (`*** ...`)

Replies OVN builds itself (ARP responder, ICMP echo by a router port) travel
the pipelines as the packet and end in an output: delivered.  Error replies
made by a `reject`, a TTL expiry or an unreachable (icmp4/icmp6/tcp_reset/
sctp_abort transformations) mean the packet itself was dropped; the reply is
reported beside the drop.  ARP/ND resolution (`arp`, `nd_ns`) is done by
ovn-controller, which holds the packet: controller.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..errors import Problem
from ..model import Action, Error, Fork, Log, Modify, Node, Output, Pipeline, Stage, Trace
from .explanation import Drop, Explanation, Verdict, classify_drop, is_acl_stage

# Actions after which ovn-controller, not the pipeline, handles the packet.
CONTROLLER_ACTIONS = frozenset({
    "put_arp", "put_nd", "put_fdb", "igmp", "trigger_event", "handle_svc_check",
    "bind_vport", "handle_dhcpv6_reply", "dhcp6_reply", "bfd_msg", "controller",
    "event", "put_nd_ra_opts", "mcast_remote",
})
# Actions that hand the packet on: if one is the last thing printed, the text
# was cut before the tool printed what followed.
CONTINUING_ACTIONS = frozenset({
    "next", "output", "ct_next", "ct_lb", "ct_lb_mark", "ct_dnat", "ct_snat",
    "ct_dnat_in_czone", "ct_snat_in_czone", "ct_commit_nat", "clone",
})
# ovn-trace follows an output to these into the peer datapath's pipeline.
PEERED_PORT_TYPES = frozenset({"patch", "l3gateway"})
REPLY_FORKS = frozenset({"icmp4", "icmp6", "tcp_reset", "sctp_abort"})
RESOLUTION_FORKS = frozenset({"arp", "nd_ns"})

_ASSIGNMENT = re.compile(r"[\w.\[\]]+\s*(?:=|<->)\s*[^=]|[\w.\[\]]+--;")
_ACTION_NAME = re.compile(r"(?:[\w.\[\]]+\s*=\s*)?([a-z_0-9]+)")
_VIP = re.compile(r"ip[46]\.dst == ([0-9a-fA-F.:]+)(?:.*?(?:tcp|udp|sctp)\.dst == (\d+))?")


@dataclass
class Ending:
    """Where one branch stopped."""

    kind: str  # output | drop | controller | error | incomplete
    node: Node | None
    stage: Stage | None
    pipeline: Pipeline | None
    log: Log | None = None  # the last ACL LOG on the branch
    port: str | None = None
    port_type: str | None = None
    note: str = ""
    reply: Fork | None = None  # inside an error reply (icmp4, tcp_reset...)
    reply_stage: Stage | None = None  # the stage that made it
    reply_pipeline: Pipeline | None = None  # and its pipeline
    # where acl_action acted on a drop verdict: its stage (or, in the short forms,
    # its last action)
    acted: Node | None = None


# --- branches -------------------------------------------------------------------

@dataclass
class _Context:
    pipeline: Pipeline | None = None
    stage: Stage | None = None
    log: Log | None = None
    reply: Fork | None = None  # inside an error-reply transformation
    reply_stage: Stage | None = None
    reply_pipeline: Pipeline | None = None
    reply_log: Log | None = None
    resolution: bool = False  # inside an arp/nd_ns transformation
    verdict: AclVerdict | None = None  # the ACL verdict the branch carries (OVN >= 23.06)


def branch_endings(trace: Trace) -> list[Ending]:
    """Where each branch of the trace stops (without recursion: traces nest deep)."""
    endings: list[Ending] = []
    minimal = trace.format.endswith("minimal")
    # Each frame: iterators over the nodes of a list still to see (a stage's
    # own children come right after it), the branch's context, the last node.
    stack: list[list] = [[[iter(trace.roots)], _Context(), None]]
    while stack:
        frame = stack[-1]
        iters, ctx = frame[0], frame[1]
        node = next(iters[-1], None)
        while node is None and len(iters) > 1:
            iters.pop()
            node = next(iters[-1], None)
        if node is None:
            stack.pop()
            last = frame[2]
            if isinstance(last, (Pipeline, Fork)) and last.children:
                continue  # the branch went on inside it
            if last is not None and _output_port(last) is not None:
                continue  # counted where it stood
            endings.append(_ending(last, ctx, minimal))
            continue
        frame[2] = node
        if isinstance(node, Stage):
            ctx.stage = node
            if node.children:
                iters.append(iter(node.children))
        elif isinstance(node, Log):
            ctx.log = node
        elif isinstance(node, Action):
            ctx.verdict = acl_verdict(ctx.verdict, node, ctx.stage)
        elif isinstance(node, Pipeline):
            stack.append([[iter(node.children)], replace(ctx, pipeline=node), None])
        elif isinstance(node, Fork):
            sub = replace(ctx)
            if node.name in REPLY_FORKS and sub.reply is None:
                sub.reply, sub.reply_stage = node, ctx.stage
                sub.reply_pipeline, sub.reply_log = ctx.pipeline, ctx.log
            if node.name in RESOLUTION_FORKS:
                # ovn-controller sends the request and holds the packet; what
                # follows the request (OVN >= 24.09: `nd_ns {...}; output;`,
                # a paused continuation) is the packet once resolved.
                sub.resolution = ctx.resolution = True
            stack.append([[iter(node.children)], sub, None])
        elif _output_port(node) is not None:
            # Each output is a delivery, wherever it stands: the short forms
            # print a flood's outputs one after another in one block.
            endings.append(_ending(node, ctx, minimal))
    return endings


def _output_port(node: Node) -> str | None:
    """The logical port a node outputs the packet to, if it does."""
    if isinstance(node, Output) and node.port_type not in PEERED_PORT_TYPES:
        return node.port
    if isinstance(node, Modify):
        return node.output_port
    return None


# --- ACL verdicts (OVN >= 23.06) -------------------------------------------------
#
# Since 23.06 northd evaluates ACLs in ls_*_acl_eval, which sets a verdict
# bit (REGBIT_ACL_VERDICT_ALLOW/DROP/REJECT: reg8[16], reg8[17], reg8[18]),
# and acts in ls_*_acl_action: the flow matching the drop bit clears the bits
# (and the tier, reg8[30..31], where tiers are used) and has no next: the
# branch ends there.  So a branch that set the drop bit and then printed the
# clears with nothing after them was dropped by the ACL whose stage set it.

_VERDICT_BITS = {"reg8[16] = 1;": "allow", "reg8[17] = 1;": "drop", "reg8[18] = 1;": "reject"}
_CLEARS = frozenset({"reg8[16] = 0;", "reg8[17] = 0;", "reg8[18] = 0;"})
_TIER_CLEAR = "reg8[30..31] = 0;"


@dataclass(frozen=True)
class AclVerdict:
    verdict: str  # allow | drop | reject
    stage: Stage | None  # the acl_eval stage that set it (None in the short forms)
    clears: frozenset = frozenset()  # the verdict bits cleared since, in the last run
    after: bool = False  # an action other than a clear came after the last clears


def acl_verdict(current: AclVerdict | None, action: Action, stage: Stage | None
                ) -> AclVerdict | None:
    """The ACL verdict a branch carries after one more action."""
    text = action.text
    verdict = _VERDICT_BITS.get(text)
    if verdict is not None:
        return AclVerdict(verdict, stage)
    if current is None:
        return None
    if text in _CLEARS:
        clears = current.clears if not current.after else frozenset()
        return replace(current, clears=clears | {text}, after=False)
    if text == _TIER_CLEAR:
        return current
    return replace(current, after=True) if current.clears or not current.after else current


def _acl_action_drops(ctx: _Context) -> bool:
    """The branch ends where an acl_action flow acted on a drop verdict: the
    flow is printed (`reg8[17] == 1`), or its clears are, after the verdict."""
    stage = ctx.stage
    if stage is not None and is_acl_stage(stage.stage, "_action") \
            and "reg8[17] == 1" in (stage.match or ""):
        return True
    v = ctx.verdict
    return v is not None and v.verdict == "drop" and v.clears == _CLEARS and not v.after


def _ending(last: Node | None, ctx: _Context, minimal: bool) -> Ending:
    ending = _plain_ending(last, ctx, minimal)
    if ctx.resolution and ending.kind in ("output", "drop"):
        # The packet waits in ovn-controller while it resolves the next hop.
        ending.kind = "controller"
        ending.note = ("next hop unknown: ovn-controller sends an ARP/ND request"
                       + (f" out {ending.port}" if ending.port else "")
                       + " and holds the packet")
    return ending


def _plain_ending(last: Node | None, ctx: _Context, minimal: bool) -> Ending:
    def end(kind: str, **kw) -> Ending:
        return Ending(kind, last, ctx.stage, ctx.pipeline, ctx.log, reply=ctx.reply,
                      reply_stage=ctx.reply_stage, reply_pipeline=ctx.reply_pipeline, **kw)

    if last is None:
        if minimal:
            return end("drop", note="nothing printed: minimal form shows no drop reason")
        return end("incomplete", note="nothing printed")
    if isinstance(last, Output):
        if last.port_type in PEERED_PORT_TYPES:
            return end("incomplete", note=f"text ends at an output to {last.port_type} "
                                          f"port {last.port}, before its peer's pipeline")
        if last.port is not None:
            return end("output", port=last.port, port_type=last.port_type)
        if last.omitted:
            return end("drop", note="output to the port it came in on is suppressed")
        return end("incomplete", note="text ends after an output note")
    if isinstance(last, Modify):
        if last.output_port is not None:
            return end("output", port=last.output_port)
        return end("drop", note="no output printed")
    if isinstance(last, Error):
        if last.fatal:
            return end("error", note=last.text)
        return end("drop", note=f"actions end without output ({last.text})")
    if isinstance(last, Stage):
        if last.no_match:
            return end("drop", note="no logical flow matches (implicit drop)")
        return end("incomplete", note="text ends after a table line")
    if isinstance(last, (Pipeline, Fork)):
        if minimal or isinstance(last, Fork) and last.children:
            return end("drop", note=f"nothing follows {last.text}")
        # (ovn-trace prints what a block runs under its title, a table at least)
        return end("incomplete", note=f"text ends after {last.text}")
    if isinstance(last, Log):
        if not minimal and last.verdict not in (None, "drop", "reject"):
            # an ACL that logs and lets the packet on: its flow's next actions follow
            return end("incomplete", note=f"text ends after an ACL log with verdict "
                                          f"{last.verdict}, before the flow goes on")
        return end("drop", note="ACL log, then nothing")
    text = last.text
    if not minimal:
        cut = _printed_after(text)
        if cut is not None:
            return end("incomplete", note=f"text ends after {text!r}, before {cut}")
    if text == "drop;":
        return end("drop", note="drop;")
    if _acl_action_drops(ctx):
        verdict = ctx.verdict
        return replace(end("drop", note="the ACL verdict is drop: acl_action drops the packet"),
                       stage=verdict.stage if verdict and verdict.stage else ctx.stage,
                       acted=ctx.stage or last)
    name = action_name(text)
    if name in CONTROLLER_ACTIONS:
        return end("controller", note=text)
    if name in CONTINUING_ACTIONS or _ASSIGNMENT.match(text) or (
            name == "ct_commit" and not _commits_blocked(text)):
        # Logical flows never end on these: the tool printed more after them.
        return end("incomplete", note=f"text ends after {text!r}")
    return end("drop", note=f"actions end without output ({text})")


#: actions northd never ends a flow with (a `next;` or more always follows)
_NEVER_LAST = frozenset({"ct_clear", "get_arp", "get_nd"})
_BLOCK_ACTION = re.compile(r"([a-z_0-9]+) \{")


def _printed_after(text: str) -> str | None:
    """What ovn-trace always prints after an action (so that a text ending with
    the action was cut), or None.  From what each action is known to print: a
    log() its LOG: line, a block action (`arp { ... };`) the block under its
    title, a comment the rest of its flow's actions."""
    name = action_name(text)
    if name == "log":
        return "the LOG: line log() always prints"
    if name in _NEVER_LAST:
        return "the rest of its flow's actions"
    if text.startswith("/*"):
        return "the rest of its flow's actions (a note on the action before it)"
    m = _BLOCK_ACTION.match(text)
    if m and m.group(1) != "ct_commit":  # (ct_commit's block runs inline: no title)
        return f"the {m.group(1)} block it runs"
    return None


def _commits_blocked(text: str) -> bool:
    """A ct_commit that marks the connection blocked: how an ACL drops an
    established connection (`ct_commit { ct_mark.blocked = 1; };`, and before
    OVN 2.12 `ct_commit(ct_label=0x1/0x1);`, the blocked bit of ct_label)."""
    return "blocked = 1" in text or "ct_label=0x1/0x1" in text


def action_name(text: str) -> str:
    """The name of an action as printed: `next`, `ct_commit`, `put_arp` (after `reg0[3] = `)."""
    m = _ACTION_NAME.match(text)
    return m.group(1) if m else ""


# --- the verdict -------------------------------------------------------------------

def explain_logical(trace: Trace) -> Explanation:
    """The verdict of an ovn-trace trace (logical pipelines)."""
    endings = branch_endings(trace)
    warnings = list(trace.problems)
    delivered = [e for e in endings if e.kind == "output" and e.reply is None]
    # (an output ending always names its port)
    outputs = list(dict.fromkeys(e.port for e in delivered if e.port is not None))
    kinds = {e.kind for e in endings}
    reply_drops = [e for e in endings if e.reply is not None]

    def warn(message: str, line: int = 0) -> None:
        warnings.append(Problem(trace.source, line, message))

    if trace.cut or "incomplete" in kinds:
        verdict = Verdict.INCOMPLETE
        for e in endings:
            if e.kind == "incomplete":
                warn(f"incomplete: {e.note}", e.node.line if e.node else trace.last_line)
    elif len(outputs) == 1:
        verdict = Verdict.DELIVERED
    elif len(outputs) > 1:
        verdict = Verdict.FLOODED
    elif "drop" in kinds or reply_drops:
        verdict = Verdict.DROPPED
    elif "controller" in kinds:
        verdict = Verdict.CONTROLLER
    elif "error" in kinds:
        verdict = Verdict.ERROR
    else:
        verdict = Verdict.INCOMPLETE
    for e in endings:
        if e.kind == "controller" and e.port:
            warn(e.note)
        if e.kind == "error":
            assert e.node is not None  # (an error ending is at its Error node)
            warn(f"ovn-trace: {e.note}", e.node.line)

    drop = None
    if verdict == Verdict.DROPPED:
        first = next((e for e in endings if e.kind == "drop" and e.reply is None), None)
        if first is None:
            first = reply_drops[0]
        drop = _drop(first)
        stage = first.reply_stage if first.reply else first.stage
        if stage is not None:
            for problem in drop.resolve(trace.resolved.get(stage.line)):
                warn(problem, stage.line)
        log = first.log
        if log is not None and log.verdict in ("drop", "reject"):
            for problem in drop.resolve_acl(trace.resolved.get(log.line)):
                warn(problem, log.line)
        for e in reply_drops:
            if e.kind == "output":
                assert e.reply is not None  # (what makes it a reply drop)
                warn(f"{e.reply.name} reply made by the dropping stage sent to {e.port}")

    minimal = trace.format.endswith("minimal")
    if minimal and verdict == Verdict.DROPPED:
        warn("minimal form prints no drops: 'dropped' means no output was printed")
    if verdict in (Verdict.DELIVERED, Verdict.FLOODED, Verdict.DROPPED):
        unseen = _unseen_cut(trace, minimal)
        if unseen:
            warn(unseen, trace.last_line)
    return Explanation(
        format=trace.format, microflow=trace.microflow,
        lines=[trace.first_line, trace.last_line], verdict=verdict,
        outputs=outputs, datapaths=None if minimal else datapaths(trace),
        transforms=transforms(trace), drop=drop, warnings=warnings,
        source=trace.source, endings=endings)


def _unseen_cut(trace: Trace, minimal: bool) -> str | None:
    """Where the text ends so that a cut there could not be seen, what to say.

    A cut at a line end is seen where the text ends before something the tool
    always prints (an open block, a log() before its LOG:, _printed_after).  Two
    endings look the same cut or not: the minimal form's last top-level
    `output(...)` (it prints the outputs one a line and nothing after the last),
    and the end of a multicast group's member (ovn-trace prints no count of the
    members), where more outputs, or a member that is delivered to, may have
    been cut off."""
    if not trace.roots:
        return None
    last = trace.roots[-1]
    if minimal:
        if isinstance(last, Output) or last.text.startswith("output("):
            return ("the minimal form cannot show a cut after its last output: more "
                    "outputs may have followed (use --detailed or --summary to be sure)")
        return None
    node: Node = last
    while node.children:
        if isinstance(node, Pipeline) and node.direction == "multicast":
            return (f"the text ends inside multicast group {node.mcgroup or node.text}, "
                    "whose members ovn-trace does not count: a cut after a member cannot "
                    "be seen, and more members may have followed")
        node = node.children[-1]
    return None


def _drop(e: Ending) -> Drop:
    stage = e.reply_stage if e.reply else e.stage
    pipeline = e.reply_pipeline if e.reply else e.pipeline
    code, reason = _reason(e, stage)
    return Drop(
        datapath=pipeline.datapath if pipeline else None,
        pipeline=pipeline.direction if pipeline else None,
        table=stage.table if stage else None,
        stage=stage.stage if stage else None,
        priority=stage.priority if stage else None,
        match=stage.match if stage else None,
        lflow=stage.key if stage else None, reason_code=code, reason=reason,
        line=stage.line if stage else (e.node.line if e.node else None),
        acl_action=_step_dict(e.acted) if isinstance(e.acted, Stage) else None)


def _step_dict(stage: Stage) -> dict:
    return {"stage": stage.stage, "table": stage.table, "priority": stage.priority,
            "lflow": stage.key, "line": stage.line}


def _stage_name(stage: Stage) -> str:
    """The stage's name, else its table's number (the short forms print no name)."""
    if stage.stage:
        return stage.stage
    return "table %d" % stage.table if stage.table is not None else "a table"


def _is_time_exceeded(fork: Fork) -> bool:
    return any(c.text.startswith(("icmp4.type = 11", "icmp6.type = 3")) for c in fork.walk())


def _reason(e: Ending, stage: Stage | None):
    log = e.log if e.log is not None and e.log.verdict in ("drop", "reject") else None
    actions = " ".join(c.text for c in stage.children) if stage else ""
    acl = f"ACL {log.acl} ({log.direction}, verdict={log.verdict})" if log else None
    if acl is None and e.acted is not None and stage is None:
        acl = "an ACL whose verdict is drop (this form does not name it)"
    return classify_drop(
        stage.stage if stage else None, stage.match if stage else None, acl=acl,
        rejected=e.reply is not None or actions.startswith("reject") or (
            log is not None and log.verdict == "reject"),
        time_exceeded=e.reply is not None and _is_time_exceeded(e.reply),
        no_match=(f"no logical flow matches in {_stage_name(stage)}"
                  if stage is not None and stage.no_match else None),
        other=e.note or "dropped")


# --- path and rewrites ------------------------------------------------------------

def datapaths(trace: Trace) -> list[str]:
    """Datapaths in printed order; ingress+egress of one in a row is one visit.
    (Not those of a packet held while ovn-controller resolves its next hop:
    what ovn-trace >= 24.09 prints after `nd_ns {...};`/`arp {...};`.)"""
    visits: list[str] = []
    # (the list being read, the node it belongs to, a datapath whose flood
    # copies are read in it)
    stack: list[tuple[Iterator[Node], Node | None, str | None]] = [
        (iter(trace.roots), None, None)]
    while stack:
        items, owner, flooding = stack[-1]
        node = next(items, None)
        if node is None:
            stack.pop()
            continue
        if isinstance(node, Pipeline) and node.datapath is not None:
            if node.direction == "multicast" and node.datapath in visits:
                # A flood's copies leave the datapath the packet is in, even when
                # printed after a copy's visit elsewhere (OVN 26.03 prints the
                # router's copy first): not a new visit.
                flooding = node.datapath
            elif node.datapath != flooding and (not visits or visits[-1] != node.datapath):
                visits.append(node.datapath)
        elif isinstance(node, Fork) and node.name in RESOLUTION_FORKS:
            _end_pipeline(stack)  # (its request is walked: the datapaths it visits)
        if node.children:
            stack.append((iter(node.children), node, flooding))
    return visits


def transforms(trace: Trace) -> list[dict]:
    """Load-balancer and NAT rewrites, with the stage that did them.

    ovn-trace prints a `ct_lb`/`ct_lb_mark` transformation for every
    conntrack pass; only one whose stage names a VIP (its match) or lists
    backends rewrites the destination.  ovn-trace does not print the backend
    it picked: `to` is the only backend listed, else the destination of an
    ACL LOG packet printed after the rewrite, else null (with the listed
    backends as `candidates`).
    """
    found: list[dict] = []
    flow = microflow_fields(trace.microflow)
    for stage, fork in _forks(trace.roots, None):
        if fork.name in ("ct_lb", "ct_lb_mark"):
            backends = _backends(stage)
            vip = _VIP.search(stage.match or "") if stage else None
            if not vip and not backends:
                continue  # a conntrack pass, no rewrite
            to = backends[0] if len(backends) == 1 else _rewritten_destination(
                fork, vip.group(1) if vip else None)
            if to is False:
                continue  # the trace shows the packet still going to the VIP
            found.append({
                "kind": "lb",
                "from": _hostport(vip.group(1), vip.group(2)) if vip else None,
                "to": to, "candidates": backends,
                "stage": stage.stage if stage else None, "line": fork.line,
            })
        elif fork.name.startswith(("ct_dnat", "ct_snat")) and fork.detail \
                and fork.detail.startswith(("ip4.", "ip6.")):
            _, _, value = fork.detail.partition("=")
            dst = fork.name.startswith("ct_dnat")
            original = (flow.get("nw_dst") or flow.get("ipv6_dst")) if dst \
                else (flow.get("nw_src") or flow.get("ipv6_src"))
            found.append({
                "kind": "dnat" if dst else "snat", "from": original, "to": value,
                "stage": stage.stage if stage else None, "line": fork.line,
            })
    return found


def _forks(items: list[Node], stage: Stage | None) -> Iterator[tuple[Stage | None, Fork]]:
    """(the stage it stands in, fork) for every fork on the packet's own
    paths, in printed order: not inside the ARP/ND requests and error replies
    OVN builds instead of it, nor after a request (the packet is held until
    the next hop is resolved)."""
    # (the list being read, the node it belongs to, the stage it stands in)
    stack: list[tuple[Iterator[Node], Node | None, Stage | None]] = [
        (iter(items), None, stage)]
    while stack:
        nodes, owner, stage = stack[-1]
        node = next(nodes, None)
        if node is None:
            stack.pop()
            continue
        if isinstance(node, Stage):
            stage = node
            stack[-1] = (nodes, owner, stage)
        if isinstance(node, Fork):
            if node.name in RESOLUTION_FORKS:
                _end_pipeline(stack)
                continue
            if node.name in REPLY_FORKS:
                continue
            yield stage, node
        if node.children:
            stack.append((iter(node.children), node, stage))


def _end_pipeline(stack: list[tuple]) -> None:
    """After an ARP/ND request (a RESOLUTION_FORKS fork) the rest of the
    pipeline, its later tables too, is the packet once resolved, which
    ovn-controller holds: empty the lists being read, up to the enclosing
    pipeline's own.  Stack entries: (iterator, the node it lists, ...)."""
    for k in range(len(stack) - 1, -1, -1):
        stack[k] = (iter(()), *stack[k][1:])
        if isinstance(stack[k][1], Pipeline):
            break


_BACKENDS = re.compile(r"ct_lb(?:_mark)?\(backends=([^;)]*)")


def _backends(stage: Stage | None) -> list[str]:
    if stage is None:
        return []
    for child in stage.children:
        m = _BACKENDS.search(child.text)
        if m:
            return [b.strip() for b in m.group(1).split(",") if b.strip()]
    return []


_ROUTE_DST = re.compile(r"ip[46]\.dst == ([0-9a-fA-F.:]+/\d+)")
_NEXT_HOP = re.compile(r"\b(?:reg0|xxreg0) == ([0-9a-fA-F.:]+)\b")


def _rewritten_destination(fork: Fork, vip: str | None) -> str | None | bool:
    """Where a load balancer sent the packet, from what the trace prints after.

    ovn-trace does not print the backend it picked, but what follows shows
    it: an ACL LOG line prints the whole packet; a router matches a route on
    the destination and then resolves the next hop (`reg0 == X`), which is the
    backend itself for a route to a directly connected pod subnet.  Returns
    the backend ("ip:port" or "ip"), False when the trace shows the packet
    still addressed to the VIP, or None when it shows neither.
    """
    route = None
    for node in fork.walk():
        if isinstance(node, Log) and node.packet:
            f = microflow_fields(node.packet)
            host = f.get("nw_dst") or f.get("ipv6_dst")
            if host:
                return False if host == vip else _hostport(host, f.get("tp_dst"))
        if not isinstance(node, Stage) or not node.stage or not node.match:
            continue
        if vip and f"dst == {vip} " in node.match + " ":
            return False  # a later flow still matches the VIP itself
        if "ip_routing" in node.stage and (m := _ROUTE_DST.search(node.match)):
            route = _network(m.group(1))
            if route is not None and vip and _within(vip, route):
                return False
        elif "arp_resolve" in node.stage and route is not None \
                and (m := _NEXT_HOP.search(node.match)) and _within(m.group(1), route):
            return m.group(1)
    return None


def _network(text: str):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _within(address: str, network) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


def _hostport(host: str, port: str | None) -> str:
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def microflow_fields(microflow: str | None) -> dict[str, str]:
    """`tcp,reg14=0x1,dl_src=...` as a dict (flags like `tcp` map to "")."""
    fields_: dict[str, str] = {}
    if microflow:
        for part in microflow.split(","):
            key, _, value = part.partition("=")
            fields_[key.strip()] = value.strip()
    return fields_
