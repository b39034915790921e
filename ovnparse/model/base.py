"""The shape every trace shares: a tree of nodes with their source lines.

Every node keeps the text the tool printed (`text`, without indentation) and
the line it came from (`line`), so a view can always point back to the
source.  `Step` is what logical stages (ovn-trace) and OpenFlow table lookups
(ofproto/trace) have in common.  Plain data: nothing here parses text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, ClassVar, Protocol

#: the children (or annotations) of a node that has none: one shared empty
#: tuple instead of a list per node (most nodes are leaves).  Typed Any: it stands
#: for an empty list that is never appended to (a node that gets children is
#: given a list first: add_child, the parsers)
EMPTY: Any = ()


@dataclass(slots=True)
class Node:
    kind: ClassVar[str] = "node"
    text: str
    line: int
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        """This node and everything below it, depth first, in printed order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def add_child(self, node: Node) -> None:
        """Append a child (a node made with the shared empty tuple gets a list)."""
        if self.children.__class__ is tuple:
            self.children = []
        self.children.append(node)

    def add_notes(self, notes: Sequence[Node]) -> None:
        """Attach notes about this node (ovn-detrace's) to its `annotations`."""
        # (a cast() would cost a call per note run, in the parse's hot path)
        owner: _Annotated = self  # type: ignore[assignment]  # OfPass, OfTable, OfAction
        current = owner.annotations
        if current.__class__ is tuple:  # the shared EMPTY
            current = owner.annotations = []
        current.extend(notes)

    def own_dict(self) -> dict[str, Any]:
        """This node's fields as JSON-ready data, without its children (and
        without `annotations` when it has none)."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            name = f.name
            if name == "children":
                continue
            value = getattr(self, name)
            if name == "annotations":
                if value:
                    out[name] = [note.own_dict() for note in value]
                continue
            out[name] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        """This node and everything below it (without recursion: traces nest deep)."""
        root = self.own_dict()
        stack = [(self, root)]
        while stack:
            node, out = stack.pop()
            if node.children:
                kids = [child.own_dict() for child in node.children]
                notes = out.pop("annotations", None)
                out["children"] = kids
                if notes is not None:
                    out["annotations"] = notes  # (after the children, as always printed)
                stack.extend(zip(node.children, kids, strict=True))
        return root


class _Annotated(Protocol):
    """A node that can carry notes (ovn-detrace's) in `annotations`."""

    annotations: list[Node]  # (or the shared EMPTY, typed Any)


@dataclass(slots=True)
class Step(Node):
    """One table lookup: a logical stage or an OpenFlow table.

    Both have `table`, `match`, `priority` (None where the tool printed
    none), `no_match` (no flow matched) and `key`: what names the flow that
    matched in the databases (an ovn-trace lflow uuid prefix, an OpenFlow
    cookie; both are the first 32 bits of the logical flow's uuid for OVN).
    """

    table: int | None = 0  # (None: a logical table line whose number was left out)
    no_match: bool = False

    @property
    def key(self) -> str | None:
        raise NotImplementedError


@dataclass(slots=True)
class Command:
    """The command line saved before a trace (formats/paste.py): how it was made."""

    text: str  # as typed, continuation lines joined, without the prompt
    tool: str | None  # "ovn-trace", "ofproto/trace", "ovn-detrace", "ovnkube-trace", ...
    options: list[str]  # its options, values joined with '=' ("--ct=new", "--minimal")
    line: int  # where it starts
    last_line: int | None = None  # where it ends, when it goes on over lines

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "tool": self.tool, "options": self.options,
                "line": self.line}


@dataclass(slots=True)
class Trace:
    """One trace as one tool printed it."""

    format: str  # "ovn-trace/detailed", "ovn-trace/summary", ...
    source: str  # file name, or "<stdin>"
    microflow: str | None  # the `# ...` flow line, without "# "
    first_line: int
    last_line: int
    roots: list[Node] = field(default_factory=list)
    problems: list = field(default_factory=list)  # list[errors.Problem]
    cut: bool = False  # the text ends before the trace does
    # enrich/: node line -> what the databases say of it (model/resolution.py)
    resolved: dict = field(default_factory=dict)
    command: Command | None = None  # the command typed before it, if saved with it

    def walk(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()

    def steps(self) -> Iterator[Step]:
        """Every table lookup (logical stage or OpenFlow table), in printed order."""
        return (n for n in self.walk() if isinstance(n, Step))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "microflow": self.microflow,
            "lines": [self.first_line, self.last_line],
            "cut": self.cut,
            "command": self.command.to_dict() if self.command else None,
            "problems": [p.to_dict() for p in self.problems],
            "roots": [r.to_dict() for r in self.roots],
        }


def renumber(trace: Trace, number: Callable[[int], int]) -> None:
    """Give every line number in a trace (its nodes' `line` and `*_line` fields,
    embedded traces', its problems' and command's) the value *number* maps it
    to: the file's numbers back, where the text passed to the parser had lines
    joined (formats/paste.py)."""
    stack: list[Any] = [trace]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
            continue
        if not is_dataclass(obj):
            continue
        if isinstance(obj, Trace):  # (Problem is frozen)
            obj.problems = [replace(p, line=number(p.line)) for p in obj.problems]
        for f in fields(obj):
            value = getattr(obj, f.name)
            if (f.name == "line" or f.name.endswith("_line")) and isinstance(value, int):
                setattr(obj, f.name, number(value))
            elif f.name != "problems" and (isinstance(value, (list, tuple))
                                           or is_dataclass(value)):
                stack.append(value)
