"""The trees of OVN's logical-flow match and action language.

Plain frozen dataclasses: ``==`` compares structure, ``str()`` prints a
normalised text that OVN reads as the same expression (one space around
operators, ``, `` between arguments, no comments, redundant parentheses
dropped), ``to_dict()`` gives JSON-ready data with a ``"type"`` key.

Constants keep the text they were written with (``0x1``, ``10.0.0.0``, mask
``24`` or ``255.255.255.0``): the lexer has checked they are valid, but they
are not converted to numbers, so a tree prints back what the flow said.

Nothing here imports pyparsing; the grammar lives in :mod:`.grammar`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

__all__ = [
    "ExpressionError",
    "Field", "Constant", "String", "AddressSet", "PortGroup", "Template", "Set", "Name",
    "Endpoint", "Range", "ArgGroup", "Arg",
    "Relation", "Predicate", "Boolean", "ChassisResident", "Not", "And", "Or", "Match",
    "Action", "Assignment", "Decrement", "Call", "Actions",
]


class ExpressionError(ValueError):
    """Text that is not a valid OVN match or actions.

    ``column`` is 1-based, counted in characters from the start of the text;
    ``expected`` says what the parser wanted there; ``found`` what it saw.
    """

    def __init__(self, message: str, *, text: str, column: int, expected: str,
                 found: str = ""):
        self.text = text
        self.column = column
        self.expected = expected
        self.found = found
        self.reason = message
        super().__init__(f"column {column}: {message}")


class _Node:
    """Shared behaviour: ``to_dict``, the children walk and ``str``."""

    type_name = ""

    def children(self) -> Iterator[_Node]:
        return iter(())

    def walk(self) -> Iterator[_Node]:
        """This node and everything under it, in the order the text has them."""
        yield self
        for child in self.children():
            yield from child.walk()

    def to_dict(self) -> dict:
        raise NotImplementedError


# --- operands --------------------------------------------------------------------


@dataclass(frozen=True)
class Field(_Node):
    """A field or subfield: ``reg0``, ``ct.est``, ``reg0[3]``, ``reg0[0..15]``.

    ``low``/``high`` are the selected bits (both set, equal for one bit) or
    ``None`` for the whole field.
    """

    name: str
    low: int | None = None
    high: int | None = None

    def __str__(self) -> str:
        if self.low is None:
            return self.name
        if self.low == self.high:
            return f"{self.name}[{self.low}]"
        return f"{self.name}[{self.low}..{self.high}]"

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"type": "field", "name": self.name}
        if self.low is not None:
            d["bits"] = [self.low, self.high]
        return d


@dataclass(frozen=True)
class Constant(_Node):
    """A number as the lexer reads it.

    ``kind`` is ``decimal``, ``hex``, ``ipv4``, ``ipv6`` or ``mac``; ``value``
    and ``mask`` are the text before and after ``/`` (``mask`` is ``None`` when
    there is no ``/``; a decimal mask on an address is a prefix length).
    """

    kind: str
    value: str
    mask: str | None = None

    def __str__(self) -> str:
        return self.value if self.mask is None else f"{self.value}/{self.mask}"

    def to_dict(self) -> dict:
        d = {"type": "constant", "kind": self.kind, "value": self.value}
        if self.mask is not None:
            d["mask"] = self.mask
        return d


@dataclass(frozen=True)
class String(_Node):
    """A quoted string, unescaped (``value`` has no quotes)."""

    value: str

    def __str__(self) -> str:
        return json.dumps(self.value, ensure_ascii=False)

    def to_dict(self) -> dict:
        return {"type": "string", "value": self.value}


@dataclass(frozen=True)
class AddressSet(_Node):
    """``$name``: an Address_Set (``name`` without the ``$``)."""

    name: str

    def __str__(self) -> str:
        return "$" + self.name

    def to_dict(self) -> dict:
        return {"type": "address_set", "name": self.name}


@dataclass(frozen=True)
class PortGroup(_Node):
    """``@name``: a Port_Group (``name`` without the ``@``)."""

    name: str

    def __str__(self) -> str:
        return "@" + self.name

    def to_dict(self) -> dict:
        return {"type": "port_group", "name": self.name}


@dataclass(frozen=True)
class Template(_Node):
    """``^name``: a Chassis_Template_Var, replaced by ovn-controller before it parses."""

    name: str

    def __str__(self) -> str:
        return "^" + self.name

    def to_dict(self) -> dict:
        return {"type": "template", "name": self.name}


@dataclass(frozen=True)
class Set(_Node):
    """``{a, b, ...}``: any one of the values."""

    values: tuple

    def __str__(self) -> str:
        return "{" + ", ".join(map(str, self.values)) + "}"

    def children(self):
        return iter(self.values)

    def to_dict(self) -> dict:
        return {"type": "set", "values": [v.to_dict() for v in self.values]}


@dataclass(frozen=True)
class Name(_Node):
    """A bare word an action takes as a setting, not a field: ``severity=info``,
    ``next(pipeline=egress)``, ``ct_next(dnat)``, ``...; skip_snat``.

    The words are the ones OVN's action parsers look for (23.03-25.03); any
    other word in an argument is a :class:`Field` (``put_arp(inport, ...)``)."""

    word: str

    def __str__(self) -> str:
        return self.word

    def to_dict(self) -> dict:
        return {"type": "name", "word": self.word}


@dataclass(frozen=True)
class Endpoint(_Node):
    """An address and port, as load-balancer backends are written:
    ``10.0.0.1:80``, ``[fd00::1]:80`` (``brackets``), ``^vip:^port``."""

    address: _Node
    port: _Node | None = None
    brackets: bool = False

    def __str__(self) -> str:
        addr = f"[{self.address}]" if self.brackets else str(self.address)
        return addr if self.port is None else f"{addr}:{self.port}"

    def children(self):
        yield self.address
        if self.port is not None:
            yield self.port

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"type": "endpoint", "address": self.address.to_dict(),
             "port": None if self.port is None else self.port.to_dict()}
        if self.brackets:
            d["brackets"] = True
        return d


@dataclass(frozen=True)
class Range(_Node):
    """``low-high``, e.g. the port range of ``ct_snat(10.0.0.1, 1000-2000)``."""

    low: _Node
    high: _Node

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"

    def children(self):
        yield self.low
        yield self.high

    def to_dict(self) -> dict:
        return {"type": "range", "low": self.low.to_dict(), "high": self.high.to_dict()}


@dataclass(frozen=True)
class Arg(_Node):
    """One argument of an action or call: ``name=values`` or a positional value.

    ``values`` has one element except where OVN lists several after one name
    (``backends=10.0.0.1:80,10.0.0.2:80``, ``childports="p1", "p2"``).
    ``sep`` is the separator written before the argument: ``""`` for the
    first, ``","`` or ``";"`` (``ct_lb_mark(backends=...; hash_fields=...)``).
    """

    name: str | None
    values: tuple
    sep: str = ""

    @property
    def value(self):
        """The value, for the usual argument with exactly one."""
        return self.values[0] if len(self.values) == 1 else None

    def __str__(self) -> str:
        vals = ",".join(map(str, self.values))
        return vals if self.name is None else f"{self.name}={vals}"

    def children(self):
        return iter(self.values)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"type": "arg", "name": self.name,
                             "values": [v.to_dict() for v in self.values]}
        if self.sep == ";":
            d["after_semicolon"] = True
        return d


def _format_args(args: tuple) -> str:
    out = []
    for i, arg in enumerate(args):
        if i:
            out.append(arg.sep + " ")
        out.append(str(arg))
    return "".join(out)


@dataclass(frozen=True)
class ArgGroup(_Node):
    """``(arg, arg...)`` as a value: ``select(values=(1=50, 2=50); ...)``."""

    args: tuple

    def __str__(self) -> str:
        return "(" + _format_args(self.args) + ")"

    def children(self):
        return iter(self.args)

    def to_dict(self) -> dict:
        return {"type": "group", "args": [a.to_dict() for a in self.args]}


# --- match expressions ------------------------------------------------------------


@dataclass(frozen=True)
class Relation(_Node):
    """``field op value``; ``op`` one of ``== != < <= > >=``.

    A constant written first (``0 < tcp.dst``) is turned around
    (``tcp.dst > 0``); a range ``1 <= tcp.dst <= 9`` is two relations in an
    :class:`And`, as OVN reads them.
    """

    field: Field
    op: str
    value: _Node

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"

    def children(self):
        yield self.field
        yield self.value

    def to_dict(self) -> dict:
        return {"type": "relation", "field": self.field.to_dict(), "op": self.op,
                "value": self.value.to_dict()}


@dataclass(frozen=True)
class Predicate(_Node):
    """A field on its own: a predicate (``ip4``, ``tcp``) or a one-bit test (``ct.est``)."""

    field: Field

    def __str__(self) -> str:
        return str(self.field)

    def children(self):
        yield self.field

    def to_dict(self) -> dict:
        return {"type": "predicate", "field": self.field.to_dict()}


@dataclass(frozen=True)
class Boolean(_Node):
    """``1`` (always true) or ``0`` (never)."""

    value: bool

    def __str__(self) -> str:
        return "1" if self.value else "0"

    def to_dict(self) -> dict:
        return {"type": "boolean", "value": self.value}


@dataclass(frozen=True)
class ChassisResident(_Node):
    """``is_chassis_resident("port")``."""

    port: str

    def __str__(self) -> str:
        return f"is_chassis_resident({json.dumps(self.port, ensure_ascii=False)})"

    def to_dict(self) -> dict:
        return {"type": "is_chassis_resident", "port": self.port}


def _operand(node: _Node, parent: type) -> str:
    """*node* as an operand of an ``&&``/``||``/``!``: parenthesised where OVN needs it."""
    if isinstance(node, (And, Or)) or (parent is Not and isinstance(node, (Relation, Not))):
        return f"({node})"
    return str(node)


@dataclass(frozen=True)
class Not(_Node):
    operand: _Node

    def __str__(self) -> str:
        return "!" + _operand(self.operand, Not)

    def children(self):
        yield self.operand

    def to_dict(self) -> dict:
        return {"type": "not", "operand": self.operand.to_dict()}


@dataclass(frozen=True)
class And(_Node):
    """``a && b && ...``; parentheses in the text are kept as nesting."""

    operands: tuple

    def __str__(self) -> str:
        return " && ".join(_operand(o, And) for o in self.operands)

    def children(self):
        return iter(self.operands)

    def to_dict(self) -> dict:
        return {"type": "and", "operands": [o.to_dict() for o in self.operands]}


@dataclass(frozen=True)
class Or(_Node):
    operands: tuple

    def __str__(self) -> str:
        return " || ".join(_operand(o, Or) for o in self.operands)

    def children(self):
        return iter(self.operands)

    def to_dict(self) -> dict:
        return {"type": "or", "operands": [o.to_dict() for o in self.operands]}


def _unique(names) -> tuple:
    return tuple(dict.fromkeys(names))


class _References:
    """The names a tree refers to, in order of appearance, each once."""

    def _nodes(self) -> Iterator[_Node]:
        raise NotImplementedError

    @cached_property
    def fields(self) -> tuple:
        """Field names (``reg0`` for ``reg0[3]``), predicates included."""
        return _unique(n.name for n in self._nodes() if isinstance(n, Field))

    @cached_property
    def port_groups(self) -> tuple:
        return _unique(n.name for n in self._nodes() if isinstance(n, PortGroup))

    @cached_property
    def address_sets(self) -> tuple:
        return _unique(n.name for n in self._nodes() if isinstance(n, AddressSet))

    @cached_property
    def templates(self) -> tuple:
        return _unique(n.name for n in self._nodes() if isinstance(n, Template))


@dataclass(frozen=True, eq=True)
class Match(_References):
    """A parsed match: ``expr`` is the tree; ``comments`` the ``/* */`` texts
    it had (not part of equality or of ``str``)."""

    expr: _Node
    comments: tuple = field(default=(), compare=False)

    def _nodes(self):
        return self.expr.walk()

    def __str__(self) -> str:
        return str(self.expr)

    def to_dict(self) -> dict:
        return {"type": "match", "expr": self.expr.to_dict(),
                "fields": list(self.fields), "port_groups": list(self.port_groups),
                "address_sets": list(self.address_sets), "templates": list(self.templates)}


# --- actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Action(_Node):
    """A named action: ``next;``, ``output;``, ``drop;``, ``ct_snat(10.0.0.1);``,
    ``log(name="x", severity=info);``, ``clone { ... };``, ``ct_commit { };``.

    ``args`` is ``None`` when the action has no parentheses, ``nested`` is
    ``None`` when it has no ``{ }`` block (an empty block is ``()``).
    """

    name: str
    args: tuple | None = None
    nested: tuple | None = None

    def arg(self, name: str):
        """The values of argument *name* (a tuple), or ``None``."""
        for a in self.args or ():
            if a.name == name:
                return a.values
        return None

    def __str__(self) -> str:
        s = self.name
        if self.args is not None:
            s += "(" + _format_args(self.args) + ")"
        if self.nested is not None:
            s += " { " + "".join(f"{a} " for a in self.nested) + "}"
        return s + ";"

    def children(self):
        yield from self.args or ()
        yield from self.nested or ()

    def to_dict(self) -> dict:
        return {"type": "action", "name": self.name,
                "args": None if self.args is None else [a.to_dict() for a in self.args],
                "nested": None if self.nested is None else [a.to_dict() for a in self.nested]}


@dataclass(frozen=True)
class Call(_Node):
    """A function on the right of an assignment: ``lookup_arp(inport, arp.spa, arp.sha)``."""

    name: str
    args: tuple

    def __str__(self) -> str:
        return f"{self.name}({_format_args(self.args)})"

    def children(self):
        return iter(self.args)

    def to_dict(self) -> dict:
        return {"type": "call", "name": self.name, "args": [a.to_dict() for a in self.args]}


@dataclass(frozen=True)
class Assignment(_Node):
    """``dst = value;`` (a constant, a field or a :class:`Call`) or ``dst <-> src;``."""

    dst: Field
    op: str
    src: _Node

    @property
    def name(self) -> str:
        """What OVN calls the action: the called function, else ``load``/``move``/``exchange``."""
        if isinstance(self.src, Call):
            return self.src.name
        if self.op == "<->":
            return "exchange"
        return "move" if isinstance(self.src, Field) else "load"

    def __str__(self) -> str:
        return f"{self.dst} {self.op} {self.src};"

    def children(self):
        yield self.dst
        yield self.src

    def to_dict(self) -> dict:
        return {"type": "assignment", "name": self.name, "dst": self.dst.to_dict(),
                "op": self.op, "src": self.src.to_dict()}


@dataclass(frozen=True)
class Decrement(_Node):
    """``ip.ttl--;``."""

    field: Field

    name = "dec_ttl"

    def __str__(self) -> str:
        return f"{self.field}--;"

    def children(self):
        yield self.field

    def to_dict(self) -> dict:
        return {"type": "decrement", "field": self.field.to_dict()}


ActionNode = Action | Assignment | Decrement


@dataclass(frozen=True, eq=True)
class Actions(_References):
    """A parsed actions column: ``actions`` in order (``()`` for an empty one,
    e.g. just ``/* drop */``); ``comments`` the ``/* */`` texts (not part of
    equality or of ``str``)."""

    actions: tuple
    comments: tuple = field(default=(), compare=False)

    def _nodes(self):
        for a in self.actions:
            yield from a.walk()

    def __iter__(self):
        return iter(self.actions)

    def __str__(self) -> str:
        return " ".join(map(str, self.actions))

    def to_dict(self) -> dict:
        return {"type": "actions", "actions": [a.to_dict() for a in self.actions],
                "fields": list(self.fields), "port_groups": list(self.port_groups),
                "address_sets": list(self.address_sets), "templates": list(self.templates)}
