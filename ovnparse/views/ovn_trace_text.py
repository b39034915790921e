"""Print a trace back in ovn-trace's own forms.

The inverse of parsers/ovn_trace.py, following ovn-trace.c's printers: parse
then print gives back the tool's bytes, which is how the tests check that the
parser rebuilt the tree right.  `summary()` of a trace parsed from --detailed
output is what ovn-trace --summary prints for the same packet.
"""

from __future__ import annotations

from ..model import Action, Error, Modify, Node, Output, Pipeline, Stage, Trace

_TERMINAL = (Action, Output, Error)  # always indented, never have children


def _unlift(items: list[Node]) -> list[tuple[Node, list]]:
    """(node, printer children) with each next-table chain nested again.

    Without recursion (traces nest thousands deep): one frame per open list,
    [its nodes, the list being built, the chain's tail]."""
    out: list[tuple[Node, list]] = []
    stack: list[list] = [[iter(items), out, None]]
    while stack:
        frame = stack[-1]
        node = next(frame[0], None)
        if node is None:
            stack.pop()
            continue
        sub: list = []
        entry = (node, sub)
        is_stage = isinstance(node, Stage)
        if is_stage and frame[2] is not None:
            frame[2].append(entry)  # the next table: last child of the one before
        else:
            frame[1].append(entry)
        frame[2] = sub if is_stage else None
        if node.children:  # (read before the next sibling, which may chain after them)
            stack.append([iter(node.children), sub, None])
    return out


def _always_indent(node: Node, parent: Node | None) -> bool:
    # Multicast members that were traced are always indented (ovn-trace sets
    # always_indent on them); skipped members are not.
    return (isinstance(node, Pipeline) and isinstance(parent, Pipeline)
            and parent.direction == "multicast"
            and any(isinstance(c, Stage) for c in node.children))


def detailed(trace: Trace) -> str:
    lines: list[str] = []
    if trace.microflow is not None:
        lines.append("# " + trace.microflow)
    _print_details(_unlift(trace.roots), 0, None, lines)
    if trace.microflow is None and lines and lines[0] == "":
        del lines[0]  # the blank line a title brings belongs after the header
    return "\n".join(lines) + "\n"


def _print_details(entries: list[tuple[Node, list]], level: int,
                   parent: Node | None, lines: list[str]) -> None:
    stack = [(entries, 0, level, parent)]  # (list, next index, level, its parent)
    while stack:
        entries, n, level, parent = stack.pop()
        if n >= len(entries):
            continue
        stack.append((entries, n + 1, level, parent))
        node, children = entries[n]
        if isinstance(node, Modify):
            continue
        more = (n < len(entries) - 1 or isinstance(node, _TERMINAL)
                or _always_indent(node, parent))
        pad = " " * ((level + more) * 4)
        title = not isinstance(node, (Stage,) + _TERMINAL)
        if title:
            lines.append("")
        text = node.text
        if isinstance(node, Stage) and node.table is not None and node.table < 10:
            text = " " + text  # "%2d. " (a table line saved without its number has none)
        lines.append(pad + text)
        if title:
            lines.append(pad + "-" * len(node.text))
        if children:
            stack.append((children, 0, level + 2 * more, node))


def summary(trace: Trace) -> str:
    """--summary: tables and modifications left out, blocks in braces."""
    return _braces(trace, skip=(Stage, Modify), drop_next=True)


def minimal(trace: Trace) -> str:
    """--minimal, for a trace parsed from minimal (or hard-pruned) text."""
    return _braces(trace, skip=(Stage, Action, Output) + (Pipeline,), drop_next=False)


def _braces(trace: Trace, skip: tuple, drop_next: bool) -> str:
    lines: list[str] = []
    if trace.microflow is not None:
        lines.append("# " + trace.microflow)
    _print_braces(_pruned(trace.roots, skip), 0, lines, drop_next)
    return "\n".join(lines) + "\n" if lines else ""


def _pruned(items: list[Node], skip: tuple) -> list[tuple[Node, list]]:
    """(node, pruned children); a skipped node is replaced by its pruned children,
    as ovn-trace prunes.  Without recursion: a frame per list being read."""
    out: list[tuple[Node, list]] = []
    stack = [(iter(items), out)]
    while stack:
        nodes, into = stack[-1]
        node = next(nodes, None)
        if node is None:
            stack.pop()
        elif isinstance(node, skip):
            stack.append((iter(node.children), into))  # its children take its place
        else:
            sub: list = []
            into.append((node, sub))
            stack.append((iter(node.children), sub))
    return out


def _print_braces(entries, level: int, lines: list[str], drop_next: bool) -> None:
    # (a frame per open block: its entries, its level, the line that closes it)
    stack: list[tuple] = [(iter(entries), level, None)]
    while stack:
        items, level, closing = stack[-1]
        entry = next(items, None)
        if entry is None:
            stack.pop()
            if closing is not None:
                lines.append(closing)
            continue
        node, children = entry
        if drop_next and isinstance(node, Action) and node.text.startswith("next("):
            continue
        pad = " " * (level * 4)
        end = "" if isinstance(node, Action) else ";"
        if children:
            lines.append(f"{pad}{node.text} {{")
            stack.append((iter(children), level + 1, f"{pad}}}{end}"))
        else:
            lines.append(f"{pad}{node.text}{end}")
