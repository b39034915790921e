"""A pass's tree from stripped text: the nesting rebuilt from what the lines mean.

ovn-detrace before OVN 25.09 printed every line it copied stripped
(`print(line.strip())`), so the tree cannot be read from indentation.
"""

from __future__ import annotations

import re
from typing import cast

from ...lines import decimal
from ...model import EMPTY, Node, OfAction, OfBucket, OfPass, OfTable, OfThaw, Trace
from ..sniff import is_elision
from .nodes import (
    ACTION_FIRST,
    DIGITS,
    NO_ACTION_WORDS,
    action_node,
    bridge_node,
    bridge_title_follows,
    ends_tree,
    leaf_node,
    note_elision,
    read_notes,
    table_node,
)
from .notes import NoteHandler
from .tree import OpenList, attach

_RETURNS = ("pop:", "move", "set_")  # actions that may read back what a caller set
_RETURNS_FIRST = frozenset("pms")  # (tested first: most actions start otherwise)
_RESUBMIT_TARGET = re.compile(r"(?:resubmit\([^,()]*,(\d+)(?:,ct)?\)|goto_table:(\d+))\Z")
# Actions that send the packet somewhere: after one, a call is likely over.
_SENDS = ("output", "drop", "NORMAL", "FLOOD", "ALL", "IN_PORT", "LOCAL", "controller",
          "CONTROLLER", "enqueue")
_MOVE_FROM_REG = re.compile(r"move:(NXM_NX_X*REG\d+)\[")


def _written_before_call(kids: list[Node]) -> set[str]:
    """The registers the `set_field`s right before a table's last action (its
    call) write: a field's bits, masked or whole (OVN 25.03 sets reg13's low 16)."""
    written: set[str] = set()
    k = len(kids) - 2
    while k >= 0 and kids[k].text.startswith("set_field:"):
        written.add(kids[k].text.rpartition("->")[2])
        k -= 1
    return written


def _sent(node) -> bool:
    """Whether the packet may have left by this node: an action that sends it
    (or a call that returned: a table, bridge or bucket)."""
    return node.__class__ is not OfAction or node.text.startswith(_SENDS)


def _leads_to(text: str, table: int | None) -> bool:
    """Whether an action line is a resubmit or goto_table to `table`."""
    if text[:1] not in "rg":
        return False
    m = _RESUBMIT_TARGET.match(text)
    return m is not None and decimal(m.group(1) or m.group(2)) == table


_ENDS_FIRST = frozenset("FMD")  # (how the lines after a tree start: see ends_tree)


class Semantic:
    """Rebuild a pass's tree from text without indentation.

    A table line follows the action that led to it (the open list whose last
    action is `resubmit(,N)`/`goto_table:N` for its N), a bridge title the
    output that crossed the patch port, a bucket its group; `-> `/`>> ` lines
    belong to the list of the line before them.  What no line says is where
    a called table's actions end and its caller's resume.  An action goes to
    the innermost table still open (a table's first action is always its
    own; a table closes after `drop`, its empty action list, or a `No
    match.`'s `drop`), unless it reads back what a caller set up:
      - `pop:` goes to the innermost list with more pushes than pops;
      - `move:NXM_NX_REGn[b]->...` to the caller that cleared regn's bit b
        just before its resubmit (OVN's result actions: chk_lb_hairpin,
        check_in_port_sec, lookup_arp...);
      - `set_field:V->R` after a call that sent the packet, to a table that
        matched on a register it overwrote before the call (a multicast
        flood's loop over members; OVN 25.03 also sets reg13's low bits, a
        masked write), or that sets back the value the loop matched on.
    This rebuilds every OVN sample of 23.03, 25.03 and 26.03 exactly (checked
    against the indented text in tests) and misplaces 2 of 940 nodes of OVS's own test
    outputs (a learned flow's action after a call is taken as the callee's).
    The tail tables are then listed flat as the indented parser lists them.
    """

    def __init__(self, trace: Trace, pass_: OfPass, notes: NoteHandler):
        self.trace = trace
        self.notes = notes
        self.stack = [OpenList(pass_, 0, trace.roots)]
        self.bridge: str | None = None  # the bridge of the table lines read
        # open tables that called after writing a register they matched on (a
        # loop over members): (their list, "reg=value" of what they matched)
        self.loops: list[tuple[OpenList, set[str]]] = []

    def run(self, texts: list[str], i: int, first: int) -> int:
        """Read tree lines from texts[i]; return the index of the first line after them."""
        n = len(texts)
        stack = self.stack
        notes = self.notes
        detrace = notes.detrace
        trace = self.trace
        while i < n:
            raw = texts[i]
            text = raw.lstrip(" ")
            number = first + i
            c = text[:1]
            if c == "*" and detrace:
                i = read_notes(texts, i, first, notes.run)  # most of ovn-detrace's lines
                continue
            body = text.rstrip(" ")
            if c in ACTION_FIRST or c in NO_ACTION_WORDS and not body.startswith(
                    NO_ACTION_WORDS[c]):  # a plain action (see nodes.ACTION_FIRST): the bulk
                if c in _ENDS_FIRST and ends_tree(body):
                    return i  # (the blank line before `Final flow:` was left out)
                action = action_node(body, number)
                if detrace and (notes.run or "output:" in body or "cookie" in body):
                    notes.line(raw, action, number)  # (see NoteHandler.line)
                self._action(action)
            elif c in DIGITS and (table := table_node(body, number, self.bridge)) is not None:
                notes.table(raw, table, number)
                self._table(table)
            elif not body:
                if not bridge_title_follows(texts, i):
                    return i  # the blank line after the tree
                notes.flush_point("")  # the blank line a bridge title brings
            elif is_elision(body):
                note_elision(trace, number)
            elif (bridge := bridge_node(texts, i, body, number)) is not None:
                self.bridge = bridge.name
                notes.line(raw, bridge, number)
                attach(bridge, stack[-1], True, stack)  # a patch port's: under the last action
                i += 1  # (and its row of dashes)
            else:
                leaf = leaf_node(body, number)
                notes.line(raw, leaf, number)
                cls = leaf.__class__
                if cls is OfBucket:
                    self._bucket(cast(OfBucket, leaf))
                elif cls is OfThaw:
                    self._thaw(cast(OfThaw, leaf))
                else:  # detail, warning, error (the list of the line before), or an
                    # action the test above did not take ("...", junk)
                    top = stack[-1]
                    top.owner.children.append(leaf)
                    top.last = leaf
            i += 1
        return i

    def _action(self, node: OfAction) -> None:
        """Put a plain action in the innermost open table, unless it reads back
        what a caller set up (see the class doc)."""
        stack = self.stack
        body = node.text
        top = stack[-1]
        owner = top.owner
        if owner.__class__ is OfThaw and len(stack) > 1:
            stack.pop()  # a thaw's list holds only what it restores
            top = stack[-1]
            owner = top.owner
        kids = owner.children
        closed = False
        if kids and kids[-1].text == "drop":
            closed = self._close_finished()
            top = stack[-1]
            kids = top.owner.children
        if body[0] in _RETURNS_FIRST and body[:4] in _RETURNS and len(stack) > 2 and kids:
            # (a table's first action is its own; a set_field returns only
            # after a call that sent the packet, or to restore what the loop
            # matched on: see _member_loop)
            pos = self._returning_to(body, closed or _sent(kids[-1]))
            if pos is not None:
                del stack[pos + 1:]
                top = stack[-1]
                kids = top.owner.children
        kids.append(node)
        top.last = node

    def _returning_to(self, body: str, sent: bool) -> int | None:
        """The position on the stack of the caller an action reads back
        from, if it is one (`sent`: the call before it sent the packet)."""
        if body.startswith("pop:"):
            return self._pusher()
        if body.startswith("set_field:"):
            return self._member_loop(body, sent)
        return self._result_caller(body)

    def _pusher(self) -> int | None:
        """The list a `pop:` goes back to.  The OpenFlow stack is one LIFO: the
        innermost list with more pushes than pops (OVN balances them within a
        flow)."""
        stack = self.stack
        for pos in range(len(stack) - 1, 0, -1):
            balance = 0
            for kid in stack[pos].owner.children:
                text = kid.text
                if text[:1] == "p":  # (a walk down the whole stack: cheap for the rest)
                    balance += (text[:5] == "push:") - (text[:4] == "pop:")
            if balance > 0:
                return pos
        return None

    def _note_loop(self, caller: OpenList) -> None:
        """Remember a table that calls after writing a register it matched on."""
        owner = caller.owner
        if owner.__class__ is not OfTable or not owner.match or any(
                entry is caller for entry, _ in self.loops):
            return
        kids = owner.children
        written = _written_before_call(kids)
        matched = {f for f in owner.match.split(",") if f.partition("=")[0] in written}
        if matched and not any(t.text.startswith("clone(") for t in kids):
            self.loops.append((caller, matched))

    def _member_loop(self, body: str, sent: bool) -> int | None:
        """The table a `set_field:V->R` goes back to: a loop over members (a
        multicast group's flood, _note_loop) writes a register it matched on,
        then calls; once a call has sent the packet, it sets the registers
        for the next member (`reg15` and, in OVN 25.03, `reg13`'s low bits),
        and after the last member (sent or dropped) it sets the register it
        matched on back to the value it matched (`reg15=0x8000` ...
        `set_field:0x8000->reg15`)."""
        value, _, reg = body[10:].partition("->")
        if not reg or not sent and "/" in value:
            return None
        restored = f"{reg}={value}"
        stack = self.stack
        for entry, matched in reversed(list(self.loops)):
            pos = next((i for i in range(len(stack) - 2, 0, -1) if stack[i] is entry), None)
            if pos is None:
                if entry is not stack[-1]:  # (closed since; the top stays noted)
                    self.loops.remove((entry, matched))
                continue
            if sent and reg in _written_before_call(entry.owner.children) \
                    or not sent and restored in matched:
                return pos
        return None

    def _result_caller(self, body: str) -> int | None:
        """The caller a `move:NXM_NX_REGn[b]->...` goes back to: the one that
        cleared regn's bit b just before its resubmit (how OVN returns a
        result, lib/actions.c encode_result_action__)."""
        m = _MOVE_FROM_REG.match(body)
        if not m:
            return None
        cleared = "->" + m.group(1).lower().replace("nxm_nx_", "")
        stack = self.stack
        # (a function's caller is a few lists down: do not walk a whole chain)
        for pos in range(len(stack) - 2, max(len(stack) - 10, 0), -1):
            kids = stack[pos].owner.children
            if len(kids) < 2 or not kids[-1].children:
                continue
            if kids[-2].text.startswith("set_field:0/") and kids[-2].text.endswith(cleared):
                return pos
        return None

    def _close_finished(self) -> bool:
        """Close the tables that cannot have more actions; whether one was."""
        stack = self.stack
        closed = False
        while len(stack) > 1:
            owner = stack[-1].owner
            kids = owner.children
            if owner.__class__ is OfTable and kids and kids[-1].text == "drop" and (
                    owner.no_match or len(kids) == 1):
                stack.pop()
                closed = True
                continue
            break
        return closed

    def _table(self, node: OfTable) -> None:
        """Put a table under the action that led to it."""
        stack = self.stack
        top = stack[-1]
        prev = top.last
        if prev is not None and prev.__class__ is OfAction and prev.text[:10] == "resubmit(,":
            text = node.text
            if prev.text == "resubmit(," + text[:text.find(".")] + ")":
                kids = top.owner.children
                if len(kids) > 1 and kids[-2].text[:10] == "set_field:":
                    self._note_loop(top)
                attach(node, top, True, stack)  # the common case: the table it resubmitted to
                return
        self._close_finished()
        top = stack[-1]
        prev = top.last
        if prev is not None and prev.__class__ is OfThaw and prev.text.startswith("Resuming"):
            if len(stack) > 1:  # (without its `thaw` line, the Resuming line is not in one)
                stack.pop()  # the thaw's list: the table belongs to the bridge
            attach(node, stack[-1], True, stack)
            return
        # The open list whose last action leads to this table.
        for pos in range(len(stack) - 1, 0, -1):
            last = stack[pos].last
            if last is not None and last.__class__ is OfAction \
                    and _leads_to(last.text, node.table):
                del stack[pos + 1:]
                attach(node, stack[pos], True, stack)
                return
        attach(node, top, True, stack)

    def _bucket(self, node: OfBucket) -> None:
        """Put a bucket under its group: the last `group:` action, or the
        group of the bucket before it."""
        stack = self.stack
        for pos in range(len(stack) - 1, -1, -1):
            last = stack[pos].last
            if last is not None and last.__class__ is OfAction and last.text.startswith("group:"):
                del stack[pos + 1:]
                break
            if last is not None and last.__class__ is OfBucket:
                # the next bucket of the same group
                del stack[pos + 1:]
                top = stack[pos]
                group = _group_of(top, last)
                if group is not None:
                    group.children.append(node)
                    top.last = node
                    stack.append(OpenList(node, 0, group.children))
                    return
                break
        attach(node, stack[-1], True, stack)

    def _thaw(self, node: OfThaw) -> None:
        """`thaw` opens a list for what it restores; a restored line goes in it."""
        stack = self.stack
        top = stack[-1]
        if node.text == "thaw" or top.owner.__class__ is not OfThaw:
            attach(node, top, True, stack)
            if node.text != "thaw":
                stack.pop()  # leaves of a thaw list hold nothing
            return
        top.owner.children.append(node)
        top.last = node


def _group_of(top: OpenList, bucket: OfBucket):
    """The `group:` action of the open list `top` that holds `bucket`."""
    for kid in reversed(top.owner.children):
        if kid.__class__ is OfAction and bucket in kid.children:
            return kid
    return None


def lift_tails(items: list) -> None:
    """List each table that is the last thing its table did after it, flat
    (what the indented parser does as it reads): for text without indentation."""
    pending = [items]  # (lists still to read: without recursion, calls nest deep)
    while pending:
        _lift_tails(pending.pop(), pending)


def _lift_tails(items: list, pending: list) -> None:
    i = 0
    while i < len(items):
        node = items[i]
        kids = node.children
        if kids:  # (most nodes are actions, with none)
            if node.__class__ is OfTable:
                last = kids[-1]
                tail = None
                if last.__class__ is OfTable:
                    tail = kids.pop()
                elif last.__class__ is OfAction and len(last.children) == 1 \
                        and last.children[0].__class__ is OfTable:
                    tail = last.children[0]
                    last.children = EMPTY
                if tail is not None:
                    tail.chained = True
                    items.insert(i + 1, tail)
            if kids and kids.__class__ is list:
                for kid in kids:
                    if kid.children:  # (seldom, once the tail is out: a call mid-list)
                        pending.append(kids)
                        break
        i += 1


def finish_semantic(trace: Trace) -> None:
    for pass_ in trace.roots:
        lift_tails(pass_.children)

