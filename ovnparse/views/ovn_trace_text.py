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
    """(node, printer children) with each next-table chain nested again."""
    out: list[tuple[Node, list]] = []
    chain_tail: list | None = None
    for node in items:
        entry = (node, _unlift(node.children))
        if isinstance(node, Stage) and chain_tail is not None:
            chain_tail.append(entry)  # the next table: last child of the one before
        else:
            out.append(entry)
        chain_tail = entry[1] if isinstance(node, Stage) else None
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
    for n, (node, children) in enumerate(entries):
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
        _print_details(children, level + 2 * more, node, lines)


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
    out: list[tuple[Node, list]] = []
    for node in items:
        children = _pruned(node.children, skip)
        if isinstance(node, skip):
            out.extend(children)  # replaced by its children, as ovn-trace prunes
        else:
            out.append((node, children))
    return out


def _print_braces(entries, level: int, lines: list[str], drop_next: bool) -> None:
    for node, children in entries:
        if drop_next and isinstance(node, Action) and node.text.startswith("next("):
            continue
        pad = " " * (level * 4)
        end = "" if isinstance(node, Action) else ";"
        if children:
            lines.append(f"{pad}{node.text} {{")
            _print_braces(children, level + 1, lines, drop_next)
            lines.append(f"{pad}}}{end}")
        else:
            lines.append(f"{pad}{node.text}{end}")
