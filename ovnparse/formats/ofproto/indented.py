"""A pass's tree from its indentation: ofproto/trace's printing rule replayed."""

from __future__ import annotations

from ...errors import Problem
from ...model import OfDetail, OfError, OfPass, OfTable, OfThaw, OfWarning, Trace
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


def printed_depth(indent: int) -> tuple[int, int]:
    """(level, more) of a tree node ofproto/trace printed `indent` spaces in.

    Its rule (oftrace_node_print_details, ofproto/ofproto-dpif-trace.c): a
    node of a list at level L is printed at (L + more) * 4 spaces, and its
    children, a list, at level L + 2 * more, where `more` is 0 only for the
    last node of a list that is a bridge, table or thaw (it is 1 for action,
    detail, warning, error and bucket nodes).  A pass's bridges are a list at
    level 0, so every list sits at an even level: a node printed at an odd
    depth has more = 1, one at an even depth is the last bridge, table or
    thaw of its list.  `level` is L, the level of the node's list.

    (`indent`: a multiple of 4, once the space that starts ` -> `, ` >> `
    and ` >>>> ` lines and the one that pads a one-digit table number are
    taken off.)
    """
    depth = indent >> 2
    more = depth & 1
    return depth - more, more


class Indented:
    """Rebuild a pass's tree by ofproto/trace's printing rule (printed_depth)."""

    def __init__(self, trace: Trace, pass_: OfPass, notes: NoteHandler):
        self.trace = trace
        self.notes = notes
        self.stack = [OpenList(pass_, 0, trace.roots)]
        self.bridge: str | None = None  # the bridge of the table lines read
        self.unpadded = False  # a one-digit table number was printed without its space

    def run(self, texts: list[str], i: int, first: int) -> int:
        """Read tree lines from texts[i]; return the index of the first line after them."""
        stack = self.stack
        notes = self.notes
        detrace = notes.detrace
        n = len(texts)
        # The open list actions go to (kept in locals while the stack is
        # unchanged) and the indentation of an action in it.
        top = stack[-1]
        kids = top.owner.children
        action_indent = (top.level + 1) * 4
        while i < n:
            raw = texts[i]
            body = raw.lstrip(" ")
            indent = len(raw) - len(body)
            c = body[:1]
            if c in ACTION_FIRST or c in NO_ACTION_WORDS and not body.startswith(
                    NO_ACTION_WORDS[c]):  # a plain action (see nodes.ACTION_FIRST)
                node = action_node(body, first + i)
                if indent == action_indent:
                    # An action in the open list: the bulk of any trace.
                    kids.append(node)
                    top.last = node
                    if detrace and (notes.run or "output:" in body or "cookie" in body):
                        notes.line(raw, node, first + i)  # (see NoteHandler.line)
                    i += 1
                    continue
                if not indent and ends_tree(body):
                    return i  # (the blank line before `Final flow:` was left out)
                # An action in a list further out (a call returned), or misplaced.
                notes.line(raw, node, first + i)
                self._place(node, indent, first + i, False)
                i += 1
            elif c in DIGITS and self._table(raw, body, indent, first + i):
                i += 1
            elif c == "-" and indent == action_indent + 1 and body[:3] == "-> ":
                # What the action before it did: in the open list (printed
                # ` -> `, one space more than an action).
                node = OfDetail(body, first + i)
                kids.append(node)
                top.last = node
                notes.line(raw, node, first + i)
                i += 1
                continue
            elif not c:
                if not bridge_title_follows(texts, i):
                    return i  # the blank line after the tree
                notes.flush_point("")  # the blank line a bridge title brings
                i += 1
                continue
            else:
                i = self._other(texts, i, first)
            top = stack[-1]
            kids = top.owner.children
            action_indent = (top.level + 1) * 4
        return i

    def _table(self, raw: str, body: str, indent: int, number: int) -> bool:
        """Place a table line printed as ofproto/trace prints it (`%2d. `, at
        a multiple of 4 spaces); False if it is not one (_other reads it then)."""
        dot = body.find(". ")
        if dot == 1:
            indent -= 1  # "%2d. ": a one-digit table's leading space
        elif dot <= 1 or not body[:dot].isdigit():
            return False
        if indent < 0 or indent & 3:
            return False
        node = table_node(body, number, self.bridge, dot)
        self.notes.table(raw, node, number)
        self._place(node, indent, number, True)
        return True

    def _other(self, texts: list[str], i: int, first: int) -> int:
        """Read a line that is no plain action, aligned table or blank line;
        return the index of the line after it."""
        raw = texts[i]
        number = first + i
        body = raw.lstrip(" ")
        notes = self.notes
        trace = self.trace
        if body[0] == "*" and notes.detrace:
            return read_notes(texts, i, first, notes.run)
        indent = len(raw) - len(body)
        if is_elision(body):
            note_elision(trace, number)
            return i + 1
        bridge = bridge_node(texts, i, body, number)
        if bridge is not None:
            self.bridge = bridge.name
            notes.line(raw, bridge, number)
            self._place(bridge, indent, number, True)
            return i + 2  # (and its row of dashes)
        if body[0].isdigit():
            table = table_node(body, number, self.bridge)
            if table is not None:
                notes.table(raw, table, number)
                if table.table < 10:
                    if indent & 3 == 0:
                        if not self.unpadded:
                            self.unpadded = True
                            trace.problems.append(Problem(
                                trace.source, number,
                                "one-digit table number not right-aligned",
                                "'%2d. ' (a leading space) as ofproto/trace prints it"))
                    else:
                        indent -= 1
                self._place(table, indent, number, True)
                return i + 1
        if body.startswith("-----") and set(body.rstrip()) == {"-"}:
            trace.problems.append(Problem(trace.source, number,
                                          "row of dashes without a bridge title",
                                          'a bridge("...") line above it'))
            return i + 1
        leaf = leaf_node(body, number)
        notes.line(raw, leaf, number)
        cls = leaf.__class__
        if cls is OfDetail or cls is OfWarning or cls is OfError:
            indent -= 1  # " -> ", " >> ", " >>>> " start with a space
        self._place(leaf, indent, number, cls is OfThaw)
        return i + 1

    def _place(self, node, indent: int, number: int, nonterminal: bool) -> None:
        """Put a node where its indentation says (`nonterminal`: a bridge,
        table or thaw, which may be printed as the last of its list)."""
        trace = self.trace
        if indent < 0 or indent & 3:
            indent = max(indent, 0)
            trace.problems.append(Problem(trace.source, number,
                                          f"indentation of {indent} spaces is not a "
                                          "multiple of 4", "ofproto/trace indentation"))
        level, more = printed_depth(indent)
        if not nonterminal and not more:
            trace.problems.append(Problem(
                trace.source, number,
                "an action at the depth of a last table: indentation does not fit",
                "ofproto/trace indentation"))
            level, more = level - 1, 1
        stack = self.stack
        while len(stack) > 1 and stack[-1].level > level:
            stack.pop()
        top = stack[-1]
        if top.level != level:
            trace.problems.append(Problem(
                trace.source, number,
                "indentation does not fit the trace tree; attached to the nearest level",
                "ofproto/trace nesting"))
        if not more and node.__class__ is OfTable and top.owner.__class__ is OfTable:
            # The last thing the table before it did (OVN's `next;`): listed
            # after it, flat, with `chained` set.  Its list takes the place of
            # that table's, which no later line can reach (the stack is
            # popped by level, and theirs is one).
            node.chained = True
            top.lift.append(node)
            top.owner = node
            top.last = None
        else:
            attach(node, top, more, stack)

