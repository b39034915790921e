"""Print an OpenFlow trace back as ofproto/trace prints it (views/detrace_text.py
adds ovn-detrace's notes).

The inverse of formats/ofproto,
following oftrace_node_print_details (ofproto/ofproto-dpif-trace.c) and
ovn-detrace's main loop: parse then print gives back the tool's bytes, which
is how the tests check that the tree (and where each annotation belongs) was
rebuilt right.  The model lists a table that was the last thing the table
before it did after that table (`chained`); the printer nests it back, and
puts the tables an action led to right after the action, as the tool's tree
has them.
"""

from __future__ import annotations

from ..model import (
    Node,
    OfAction,
    OfBridge,
    OfBucket,
    OfDetail,
    OfError,
    OfPass,
    OfReply,
    OfTable,
    OfThaw,
    OfWarning,
    Trace,
)

SEPARATOR = "=" * 79

_OWNS_LIST = (OfTable, OfBridge, OfThaw, OfBucket)
_SPACED = (OfDetail, OfWarning, OfError)  # printed " -> ", " >> ", " >>>> "


def ofproto_trace(trace: Trace) -> str:
    """The text ovs-appctl ofproto/trace printed (without ovn-detrace's notes)."""
    return "".join(line + "\n" for line, _node in lines(trace))


# --- lines -------------------------------------------------------------------------

def lines(trace: Trace) -> list[tuple[str, Node]]:
    """(line as printed, the node it prints) for each line of the trace."""
    out: list[tuple[str, Node]] = []
    for n, pass_ in enumerate(trace.roots):
        if isinstance(pass_, OfPass):
            _pass_lines(pass_, n, out)
        elif isinstance(pass_, OfReply):
            out.append((pass_.text, pass_))
    return out


def _pass_lines(p: OfPass, n: int, out: list[tuple[str, Node]]) -> None:
    margin = p.margin
    start = len(out)
    if p.header_line is not None:
        if n:
            out.append(("", p))
        out.append((SEPARATOR, p))
        out.extend((line, p) for line in p.header)
        out.append((SEPARATOR, p))
        out.append(("", p))
    out.extend((line, p) for line in p.heading)
    if p.flow is not None:
        out.append(("Flow: " + p.flow, p))
    _tree_lines(p.children, 0, p.stripped, out)
    if p.final_flow is not None:
        if out:  # (a fragment may start here)
            out.append(("", p))
        out.append(("Final flow: " + p.final_flow, p))
    if p.megaflow is not None:
        if p.final_flow is None and out:
            out.append(("", p))
        out.append(("Megaflow: " + p.megaflow, p))
    if p.datapath_actions is not None:
        out.append(("Datapath actions: " + p.datapath_actions, p))
    out.extend((line, p) for line in p.notes)
    if p.stripped:
        for i in range(start, len(out)):
            line, node = out[i]
            out[i] = (line.strip(" "), node)
    if margin:
        for i in range(start, len(out)):
            line, node = out[i]
            if line:
                out[i] = (margin + line, node)


def ovs_list(children) -> list[tuple[Node, list]]:
    """The model's children as the tool's trace list: (node, its own list).

    Without recursion: a frame per list being read, [its nodes, the list
    built, the list of the table a chained table continues]."""
    out: list[tuple[Node, list]] = []
    stack: list[list] = [[iter(children), out, None]]
    while stack:
        frame = stack[-1]
        node = next(frame[0], None)
        if node is None:
            stack.pop()
            continue
        cls = node.__class__
        if cls is OfTable and node.chained and frame[2] is not None:
            sub: list = []
            frame[2].append((node, sub))
            frame[2] = sub
            stack.append([iter(node.children), sub, None])
            continue
        sub = []
        frame[1].append((node, sub))
        if isinstance(node, _OWNS_LIST):
            stack.append([iter(node.children), sub, None])
        if cls is OfAction and node.children:
            frame[2] = None
            stack.append([iter(node.children), frame[1], None])  # listed after it, flat
        else:
            frame[2] = sub if cls is OfTable else None
    return out


def _terminal(node) -> bool:
    return not isinstance(node, (OfTable, OfBridge, OfThaw))


def _tree_lines(children, level: int, stripped: bool, out: list[tuple[str, Node]]) -> None:
    """oftrace_node_print_details, without recursion (tail chains run deep)."""
    stack = [(ovs_list(children), 0, level)]
    while stack:
        items, index, level = stack.pop()
        if index >= len(items):
            continue
        node, sub = items[index]
        stack.append((items, index + 1, level))
        more = index < len(items) - 1 or _terminal(node)
        pad = "" if stripped else " " * ((level + more) * 4)
        text = node.text
        if isinstance(node, OfBridge):
            if out:  # (a fragment may start at its first bridge)
                out.append(("", node))
            out.append((pad + text, node))
            out.append((pad + "-" * len(text), node))
        elif isinstance(node, OfTable):
            if node.table < 10 and not stripped and text[:1].isdigit():
                text = " " + text
            out.append((pad + text, node))
        elif isinstance(node, _SPACED) and not stripped:
            out.append((pad + " " + text, node))
        else:
            out.append((pad + text, node))
        if sub:
            stack.append((sub, 0, level + 2 * more))

