"""The tree of a pass as it is built: its open lists, and how a node goes into one.

ofproto/trace prints a tree of nodes (ofproto/ofproto-dpif-trace.c): a
bridge, table or thaw node holds a list of others, and a bucket its
group's.  Both builders (indented.py, stripped.py) keep a stack of the
lists a new line may still go to, innermost last.
"""

from __future__ import annotations

from ...model import Node, OfAction, OfBridge, OfBucket, OfTable, OfThaw


class OpenList:
    """A list of the trace tree that may still get items.

    `owner`: the node it belongs to (its items go to owner.children, always a
    list: every node that owns one is made with one); `level`: the level
    ofproto/trace prints it at (indented.py; unused in stripped text);
    `lift`: the list the owner sits in (where a table the owner ends with is
    listed, flat); `last`: its last item, None while it has none.
    """

    __slots__ = ("owner", "level", "lift", "last")

    def __init__(self, owner: Node, level: int, lift: list[Node]):
        self.owner = owner
        self.level = level
        self.lift = lift
        self.last: Node | None = None


def attach(node, top: OpenList, more: int, stack: list[OpenList]) -> None:
    """Put `node` into the open list `top` (the last of `stack`): a table,
    bridge or bucket under the action before it (a resubmit, a patch port's
    output, a group) if there is one; and open its own list on the stack if
    it has one.  `more`: 0 when ofproto/trace printed it as the last node of
    its list (see indented.printed_depth; always 1 in stripped text)."""
    cls = node.__class__
    owner = top.owner
    if cls is OfTable or cls is OfBridge or cls is OfBucket:
        prev = top.last
        if prev is not None and prev.__class__ is OfAction:
            container = prev.children  # what a resubmit or patch port output led to
            if container.__class__ is tuple:
                container = prev.children = []
        else:
            container = owner.children
        container.append(node)
        top.last = node
        # (a bucket's list is one level in whether or not it is its group's last)
        stack.append(OpenList(node, top.level + 2 * (more or cls is OfBucket), container))
        return
    owner.children.append(node)
    top.last = node
    if cls is OfThaw:
        stack.append(OpenList(node, top.level + 2 * more, owner.children))
