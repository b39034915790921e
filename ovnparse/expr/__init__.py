"""OVN's logical-flow match and action language, parsed into trees.

``parse_match(text)`` and ``parse_actions(text)`` read what ovn-sb(5)
describes for a Logical_Flow's ``match`` and ``actions`` (and an ACL's
``match``) and return a :class:`Match` or :class:`Actions`: a tree of the
dataclasses in :mod:`.nodes`, with the names the text refers to
(``.fields``, ``.port_groups``, ``.address_sets``, ``.templates``).  Bad text
raises :class:`ExpressionError` (a ``ValueError``) with the 1-based column and
what was expected there.

This package imports nothing else from ovnparse, and pyparsing only on the
first parse.
"""

from __future__ import annotations

from .nodes import (
    Action,
    Actions,
    AddressSet,
    And,
    Arg,
    ArgGroup,
    Assignment,
    Boolean,
    Call,
    ChassisResident,
    Constant,
    Decrement,
    Endpoint,
    ExpressionError,
    Field,
    Match,
    Name,
    Not,
    Or,
    PortGroup,
    Predicate,
    Range,
    Relation,
    Set,
    String,
    Template,
)

__all__ = [
    "parse_match", "parse_actions", "ExpressionError",
    "Match", "Actions",
    "Field", "Constant", "String", "AddressSet", "PortGroup", "Template", "Set", "Name",
    "Endpoint", "Range", "ArgGroup", "Arg",
    "Relation", "Predicate", "Boolean", "ChassisResident", "Not", "And", "Or",
    "Action", "Assignment", "Decrement", "Call",
]


def parse_match(text: str) -> Match:
    """Parse a match expression (``ip4 && tcp.dst == 80``); see :mod:`.grammar`."""
    from .grammar import parse_match as parse
    return parse(text)


def parse_actions(text: str) -> Actions:
    """Parse an actions text (``reg0[1] = 1; next;``); see :mod:`.grammar`."""
    from .grammar import parse_actions as parse
    return parse(text)
