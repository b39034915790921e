"""The pyparsing grammar of OVN's match and action language.

Written from ovn-sb(5) and the behaviour of OVN's lexer and parsers
(lib/lex.c, lib/expr.c, lib/actions.c, 23.03 to 25.03):

* tokens as lib/lex.c cuts them: identifiers may hold dots (``ct.est``); a
  number runs over letters, digits, colons (until a dot has been seen) and
  single dots, so ``10.0.0.1:80`` is an address, ``:`` and a port, and
  ``reg0[0..15]`` stops at the ``..``; an optional ``/mask`` follows with no
  space; ``$set``, ``@group`` and ``^template`` references; ``/* */`` and
  ``//`` comments;
* matches as lib/expr.c reads them: ``!`` only before a parenthesised or
  single-word operand, ``&&`` and ``||`` not mixed without parentheses,
  ``{}`` sets with optional commas, constant-first relations and ranges;
* actions with one generic shape instead of OVN's ninety parsers: a field
  with ``=``/``<->``/``--``, or a name with optional ``(arguments)`` and an
  optional ``{ nested actions }``, then ``;``.  Arguments are
  ``[name=]value`` separated by ``,`` or ``;``; a value may be an
  ``address:port``, a ``low-high`` range, a ``{set}`` or an ``(argument
  group)``.  What an argument means (a backend, a meter name) is left to the
  reader of the tree; which actions exist is not checked.

The grammar is built once, on first use (:func:`grammar`), so importing
:mod:`ovnparse.expr` does not import pyparsing.  Parsing is a single pass
without backtracking over the same text, so packrat memoisation is not
needed (and not enabled: it is global to pyparsing).
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import cache, lru_cache

import pyparsing as pp

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

# --- tokens ------------------------------------------------------------------------

# A hex-digit run followed by ':' is a MAC or IPv6 address, never an identifier.
_ID = r"(?![A-Fa-f][0-9A-Fa-f]*:)[A-Za-z_][A-Za-z0-9_.]*"
# The extent of a number: letters, digits, ':' before any '.', '.' not before '.'.
_EXTENT = r"[A-Za-z0-9:]*(?:\.(?!\.)(?:[A-Za-z0-9]|\.(?!\.))*)?"
_NUMBER = rf"(?=[0-9]|::|[A-Fa-f][0-9A-Fa-f]*:){_EXTENT}(?:/{_EXTENT})?"
_STRING = r'"(?:[^"\\]|\\[\s\S])*"?'
_REF = r"[$@^](?:[A-Za-z_.][A-Za-z0-9_.]*)?"
_CONST = rf"{_STRING}|{_NUMBER}|{_REF}"
_FIELD = rf"{_ID}(?:\s*\[[^\]\n]*\]?)?"
_RELOP = r"==|!=|<=|>=|<(?!->)|>"
# The commonest operand, "field op constant", and the commonest actions,
# "next;" and "field = constant;", in one regular expression each: one
# pyparsing element instead of about fifteen (20-30 % faster over a flow table).
_SIMPLE_RELATION = re.compile(rf"({_FIELD})\s*({_RELOP})\s*({_CONST})")
_SIMPLE_ACTION = re.compile(rf"({_FIELD})\s*(?:=(?!=)\s*({_CONST})\s*)?;")

_MAC = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\Z")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]*\Z")
_DECIMAL = re.compile(r"[0-9]+\Z")

# The bare words OVN's actions (lib/actions.c, 23.03-25.03) take as settings,
# not fields: ct_next(dnat), ct_lb_mark(...; skip_snat), next(pipeline=egress),
# log(verdict=drop, severity=info), fwd_group(liveness=true),
# commit_ecmp_nh(proto=tcp).  Any other word in an argument is a field
# (put_arp(inport, ...), sample(..., obs_point=ct_label.obs_point_id)).
_SETTING_WORDS = frozenset({
    "dnat", "snat", "skip_snat", "force_snat", "ingress", "egress",
    "allow", "drop", "reject", "pass", "alert", "warning", "notice", "info", "debug",
    "true", "false", "tcp", "udp", "sctp",
})

_CONSTANT_WORDS = "a constant (a \"string\", a number or address, $address_set or @port_group)"


class _Reject(Exception):
    """Raised by a parse action for text OVN rejects (a bad number, ``!a == 1``...).

    Not a pyparsing exception, so pyparsing neither backtracks from it nor
    rewrites it: it reaches :func:`parse_match`/:func:`parse_actions` as raised.
    """

    def __init__(self, loc: int, message: str, expected: str):
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.expected = expected


def _number_kind(text: str) -> str:
    """The lexer's format of one number (``decimal``, ``hex``, ``ipv4``, ``ipv6``,
    ``mac``); raises ``ValueError`` with the lexer's complaint."""
    if not text:
        raise ValueError("integer constant expected")
    if len(text) == 17 and _MAC.match(text):
        return "mac"
    if _DECIMAL.match(text):
        if text[0] == "0" and len(text) > 1:
            raise ValueError("decimal constants must not have leading zeros")
        if int(text) >= 1 << 64:
            raise ValueError("decimal constants must be less than 2**64")
        return "decimal"
    if text[:2] in ("0x", "0X"):
        if len(text) == 2:
            raise ValueError(f"hex digits expected following {text}")
        if not _HEX.match(text):
            raise ValueError("invalid syntax in hexadecimal constant")
        return "hex"
    try:
        ipaddress.IPv4Address(text)
        return "ipv4"
    except ValueError:
        pass
    try:
        ipaddress.IPv6Address(text)
        return "ipv6"
    except ValueError:
        raise ValueError(f"invalid numeric constant {text!r}") from None


def _constant(text: str) -> Constant:
    value, slash, mask = text.partition("/")
    kind = _number_kind(value)
    if not slash:
        return Constant(kind, value)
    mask_kind = _number_kind(mask)
    if mask_kind == kind:
        pass
    elif mask_kind == "decimal" and kind in ("ipv4", "ipv6") \
            and int(mask) <= (32 if kind == "ipv4" else 128):
        pass  # a prefix length
    elif kind == "decimal" and mask_kind == "hex" and int(value) == 0:
        kind = "hex"  # 0/0x1234, as the lexer allows
    else:
        raise ValueError(f"value and mask have incompatible formats ({kind}/{mask_kind})")
    return Constant(kind, value, mask)


def _const_token(s: str, loc: int, toks):
    text = toks[0]
    first = text[0]
    if first == '"':
        if len(text) < 2 or text[-1] != '"' or text.endswith('\\"') and _odd_backslashes(text):
            raise _Reject(loc, "input ends inside quoted string", "a closing '\"'")
        try:
            return String(json.loads(text, strict=False))
        except ValueError:
            raise _Reject(loc, f"invalid escape in string {text}",
                          "a JSON escape (\\\\, \\\", \\n, \\uXXXX...)") from None
    if first in "$@^":
        if len(text) == 1:
            raise _Reject(loc, f"'{first}' must be followed by a name", "a name")
        return {"$": AddressSet, "@": PortGroup, "^": Template}[first](text[1:])
    try:
        return _constant(text)
    except ValueError as e:
        raise _Reject(loc, str(e), "a valid number or address") from None


def _odd_backslashes(text: str) -> bool:
    """Whether the final quote of *text* is escaped (so the string is unterminated)."""
    n = len(text) - 1 - len(text[:-1].rstrip("\\"))
    return n % 2 == 1


# --- node builders -------------------------------------------------------------------


class _Paren:
    """A parenthesised sub-expression, until its parent takes it (``!`` needs to know)."""

    __slots__ = ("expr",)

    def __init__(self, expr):
        self.expr = expr


class _CallArgs(tuple):
    """The arguments of ``name(...)`` (empty for ``name()``), told apart from other tokens."""


class _Nested(tuple):
    """The actions of ``name { ... }``."""


class _Bracketed:
    """``[address]`` of ``[fd00::1]:80``, until the endpoint takes it."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _unwrap(node):
    return node.expr if isinstance(node, _Paren) else node


_SUBSCRIPT = re.compile(r"\[\s*([0-9]+)\s*(?:\.\.\s*([0-9]+)\s*)?\]\Z")


def _field(s, loc, toks):
    text = toks[0]
    name, bracket, rest = text.partition("[")
    name = name.rstrip()
    if not bracket:
        return Field(name)
    m = _SUBSCRIPT.match("[" + rest)
    if not m:
        shown = rest if len(rest) <= 20 else rest[:17] + "..."
        raise _Reject(loc + len(name), f"invalid subfield [{shown}",
                      "a bit number or range in brackets ([3], [0..15])")
    low = int(m.group(1))
    high = int(m.group(2)) if m.group(2) is not None else low
    if low > high:
        raise _Reject(loc, f"invalid bit range {low} to {high}", "low..high with low <= high")
    return Field(name, low, high)


_TURNED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _field_primary(s, loc, toks):
    f = toks[0]
    if len(toks) == 1:
        return Predicate(f)
    if len(toks) == 3:
        return Relation(f, toks[1], toks[2])
    if f.name != "is_chassis_resident" or f.low is not None:
        raise _Reject(loc, "a match has no functions but is_chassis_resident(\"port\")",
                      "a relational operator, '&&', '||' or the end")
    if not isinstance(toks[1], String):
        raise _Reject(loc, "is_chassis_resident() takes a port name in quotes",
                      "a \"string\"")
    return ChassisResident(toks[1].value)


def _simple_relation(s, loc, toks):
    m = _SIMPLE_RELATION.match(s, loc)
    f = _field(s, loc, [m.group(1)])
    value = _const_token(s, loc + m.start(3) - m.start(), [m.group(3)])
    return Relation(f, m.group(2), value)


def _simple_action(s, loc, toks):
    m = _SIMPLE_ACTION.match(s, loc)
    head = _field(s, loc, [m.group(1)])
    if m.group(2) is None:
        return _action(s, loc, [head])
    value = _const_token(s, loc + m.start(2) - m.start(), [m.group(2)])
    return Assignment(head, "=", value)


def _const_primary(s, loc, toks):
    c1, r1, f = toks[0], toks[1], toks[2]
    first = Relation(f, _TURNED[r1], c1)
    if len(toks) == 3:
        return first
    r2, c2 = toks[3], toks[4]
    if not ({r1, r2} <= {"<", "<="} or {r1, r2} <= {">", ">="}):
        raise _Reject(loc, "range expressions must have the form 'x < field < y' or "
                             "'x > field > y' (each '<' may be '<=', each '>' '>=')",
                      "both operators '<'/'<=' or both '>'/'>='")
    return And((first, Relation(f, r2, c2)))


def _not(s, loc, toks):
    operand = toks[0]
    if isinstance(operand, _Paren):
        return Not(operand.expr)
    if isinstance(operand, (Predicate, Boolean, ChassisResident)):
        return Not(operand)
    raise _Reject(loc, "missing parentheses around operand of '!'",
                  "'!(...)' or '!' before a single field")


def _andor(s, loc, toks):
    if len(toks) == 1:
        return toks[0]  # keeps a _Paren for an enclosing '!'
    operands = tuple(_unwrap(t) for t in toks[::2])
    return And(operands) if toks[1] == "&&" else Or(operands)


def _mixed(s, loc, toks):
    raise _Reject(loc, "'&&' and '||' must be parenthesized when used together",
                  "parentheses around the '&&' or the '||' operands")


def _endpoint(s, loc, toks):
    head = toks[0]
    port = toks[1] if len(toks) > 1 else None
    if isinstance(head, _Bracketed):
        return Endpoint(head.value, port, brackets=True)
    return head if port is None else Endpoint(head, port)


def _arg(s, loc, toks):
    if len(toks) == 1:
        return Arg(None, (toks[0],))
    key, value = toks[0], toks[1]
    if isinstance(key, Field) and key.low is None:
        name = key.name
    elif isinstance(key, Constant) and key.kind == "decimal" and key.mask is None:
        name = key.value  # select(1=50, 2=50): a member and its weight
    else:
        raise _Reject(loc, "expected an argument name before '='", "an argument name")
    return Arg(name, (value,))


def _as_name(value):
    """A bare word that names a setting rather than a field becomes a :class:`Name`."""
    if isinstance(value, Field) and value.low is None and value.name in _SETTING_WORDS:
        return Name(value.name)
    return value


def _arg_list(s: str, loc: int, toks: pp.ParseResults) -> list[_CallArgs]:
    """Arguments with their separators; a positional value after ``name=v,`` is
    one more value of that name (``backends=a:80,b:80``)."""
    args: list[Arg] = []
    sep = ""
    for t in toks:
        if isinstance(t, str):
            sep = t
            continue
        if sep == "," and t.name is None and args and args[-1].name is not None \
                and not args[-1].name.isdigit():  # select(1=50, 2): 2 is a member
            prev = args[-1]
            args[-1] = Arg(prev.name, prev.values + (_as_name(t.values[0]),), prev.sep)
        else:
            args.append(Arg(t.name, tuple(_as_name(v) for v in t.values), sep))
    return [_CallArgs(args)]


def _call_args(s, loc, toks):
    return [_CallArgs(toks[0]) if toks else _CallArgs()]


def _nested(s, loc, toks):
    return [_Nested(toks)]


def _rhs_field(s, loc, toks):
    f = toks[0]
    if len(toks) == 1:
        return f
    if f.low is not None:
        raise _Reject(loc, "expected a function name before '('", "a function name")
    return Call(f.name, tuple(toks[1]))


def _action(s, loc, toks):
    head = toks[0]
    rest = toks[1:]
    if rest and rest[0] in ("=", "<->"):
        op, src = rest[0], rest[1]
        if op == "<->" and not isinstance(src, Field):
            raise _Reject(loc, "'<->' exchanges two fields; expected a field after it",
                          "a field")
        return Assignment(head, op, src)
    if rest and rest[0] == "--":
        return Decrement(head)
    if head.low is not None:
        raise _Reject(loc, "expected '=', '<->' or '--' after a subfield",
                      "'=', '<->' or '--'")
    args = nested = None
    for t in rest:
        if isinstance(t, _Nested):
            nested = tuple(t)
        else:
            args = tuple(t)
    if head.name == "drop" and args is None and nested is None:
        raise _Reject(loc, "'drop;' must be the only action", "no 'drop;' among other actions")
    return Action(head.name, args, nested)


# --- the grammar ----------------------------------------------------------------------


@cache
def grammar() -> tuple[pp.ParserElement, pp.ParserElement]:
    """``(match, actions)``: the two top-level parsers, built on first use."""

    def sym(text, name=None, keep=False):
        el = pp.Literal(text) if keep else pp.Suppress(text)
        return el.set_name(name or f"'{text}'")

    # One token for name and subscript (one pyparsing element is much faster
    # than five); _field checks what is between the brackets.
    field = pp.Regex(_FIELD).set_parse_action(_field).set_name("a field name")
    lbrack, rbrack = sym("["), sym("]")

    const = pp.Regex(_CONST).set_parse_action(_const_token).set_name(_CONSTANT_WORDS)
    lbrace, rbrace = sym("{"), sym("}")
    comma = sym(",")
    const_set = (
        (lbrace - (const + pp.ZeroOrMore((comma - const) | const) + rbrace))
        .set_parse_action(lambda t: Set(tuple(t)))
        | const
    ).set_name(_CONSTANT_WORDS + " or a {set}")

    relop = pp.Regex(_RELOP).set_name(
        "a relational operator (==, !=, <, <=, >, >=)")
    lpar, rpar = sym("("), sym(")")

    # --- match ---
    expr = pp.Forward()
    paren = (lpar - (expr + rpar)).set_parse_action(lambda t: _Paren(_unwrap(t[0])))
    # A field, compared or alone, or is_chassis_resident("port").
    field_primary = (
        field + pp.Optional((relop - const_set) | (lpar - (const + rpar)))
    ).set_parse_action(_field_primary)
    boolean = (pp.Regex(r"[01](?![A-Za-z0-9:./])") + ~relop).set_parse_action(
        lambda t: Boolean(t[0] == "1"))
    const_primary = (const_set + relop - (field + pp.Optional(relop - const_set))
                     ).set_parse_action(_const_primary)
    simple_relation = pp.Regex(_SIMPLE_RELATION).set_parse_action(_simple_relation)
    primary = (simple_relation | field_primary | paren | boolean | const_primary).set_name(
        "a field, a constant or '('")
    bang = pp.Regex(r"!(?!=)").set_name("'!'")
    not_expr = ((bang.suppress() - primary).set_parse_action(_not) | primary).set_name(
        "an operand (a field, a constant, '(' or '!')")
    and_op, or_op = sym("&&", keep=True), sym("||", keep=True)
    expr <<= (not_expr + pp.Optional(
        pp.OneOrMore(and_op - not_expr) + pp.Optional(pp.Literal("||").set_parse_action(_mixed))
        | pp.OneOrMore(or_op - not_expr) + pp.Optional(pp.Literal("&&").set_parse_action(_mixed))
    )).set_parse_action(_andor).set_name("an expression")
    match = (expr + pp.StringEnd().set_name("'&&', '||' or the end")).set_parse_action(
        lambda t: _unwrap(t[0]))

    # --- actions ---
    arg_list = pp.Forward()
    call_args = (lpar - (pp.Optional(arg_list) + rpar)).set_parse_action(_call_args)
    group = (lpar - (pp.Optional(arg_list) + rpar)).set_parse_action(
        lambda t: ArgGroup(tuple(t[0]) if t else ()))
    bracketed = (lbrack - (const + rbrack)).set_parse_action(lambda t: _Bracketed(t[0]))
    term = (const_set | group | field).set_name("an argument value")
    hyphen = pp.Regex(r"-(?!-)").suppress().set_name("'-'")
    ranged = (term + pp.Optional(hyphen - term)).set_parse_action(
        lambda t: Range(t[0], t[1]) if len(t) == 2 else t[0])
    value = ((bracketed | ranged).set_name("an argument value")
             + pp.Optional(sym(":") - ranged)).set_parse_action(_endpoint)
    equals = pp.Regex(r"=(?!=)").set_name("'='")
    arg = (value + pp.Optional(equals.suppress() - value)).set_parse_action(_arg)
    separator = pp.Regex(r";|,(?!\s*\))").set_name("',' or ';'")
    trailing_comma = pp.Suppress(pp.Regex(r",(?=\s*\))"))  # select(1, 2, ): OVN allows it
    arg_list <<= (arg + pp.ZeroOrMore(separator - arg) + pp.Optional(trailing_comma)
                  ).set_parse_action(_arg_list)

    action = pp.Forward()
    semi = sym(";")
    nested = (lbrace - (pp.Optional((pp.Keyword("drop") + semi + pp.FollowedBy("}"))
                                    .set_parse_action(lambda: Action("drop")))
                        + pp.ZeroOrMore(action)
                        + rbrace.copy().set_name("an action or '}'"))
              ).set_parse_action(_nested)
    rhs = (const | (field + pp.Optional(call_args)).set_parse_action(_rhs_field)).set_name(
        "a constant, a field or a function call")
    assign_tail = (pp.Literal("<->") | equals) - rhs
    call_tail = pp.Optional(call_args) + pp.Optional(nested)
    general_action = (field + (assign_tail | pp.Literal("--") | call_tail) - semi.copy().set_name(
        "';'")).set_parse_action(_action)
    simple_action = pp.Regex(_SIMPLE_ACTION).set_parse_action(_simple_action)
    action <<= simple_action | general_action
    drop_only = (pp.Keyword("drop") + semi + pp.StringEnd()).set_parse_action(
        lambda: Action("drop"))
    actions = (drop_only | (pp.ZeroOrMore(action) + pp.StringEnd().set_name("an action"))
               ).set_name("an action")

    for top in (match, actions):
        top.streamline()
    return match, actions


# --- entry points -----------------------------------------------------------------------

# The token at a place, to say what was found there.
_TOKEN_AT = re.compile(
    rf"\s*({_STRING}|{_NUMBER}|{_ID}|{_REF}|/\*|&&|\|\||==|!=|<=|>=|<->|--|\.\.|.)")
_COMMENTS = re.compile(rf'{_STRING}|/\*([\s\S]*?)\*/|//([^\n]*)|[\v\f]')


def _found(text: str, loc: int) -> str:
    m = _TOKEN_AT.match(text, loc)
    if not m or not m.group(1):
        return "the end"
    tok = m.group(1)
    if tok == "/*":
        return "'/*' without a matching '*/'"
    return repr(tok if len(tok) <= 40 else tok[:37] + "...")


def _error(text: str, blanked: str, e: pp.ParseBaseException | _Reject) -> ExpressionError:
    """The error for *text*, at *e*'s place in *blanked* (the text without comments)."""
    loc = min(e.loc, len(text))
    found = _found(blanked, loc)
    if isinstance(e, _Reject):
        return ExpressionError(e.message, text=text, column=loc + 1, expected=e.expected,
                               found=found)
    expected = e.msg.removeprefix("Expected ")
    # pyparsing may report the place before the white space it skipped.
    m = _TOKEN_AT.match(blanked, loc)
    if m and m.group(1):
        loc = m.start(1)
    return ExpressionError(f"expected {expected}, found {found}", text=text, column=loc + 1,
                           expected=expected, found=found)


def _blank_comments(text: str) -> tuple[str, tuple]:
    """*text* with each comment replaced by as many spaces (so columns stay
    right), and the comments' texts.  Faster than pyparsing's ``ignore()``,
    which tries the comment pattern before every token."""
    if "/" not in text and "\v" not in text and "\f" not in text:
        return text, ()
    comments = []

    def blank(m):
        if m.group(1) is None and m.group(2) is None:
            return m.group(0) if m.group(0)[0] == '"' else " " * len(m.group(0))
        comments.append((m.group(1) if m.group(1) is not None else m.group(2)).strip())
        return re.sub(r"[^\n]", " ", m.group(0))

    return _COMMENTS.sub(blank, text), tuple(comments)


# The same texts come back (a flow on many datapaths, a trace read twice);
# the trees are immutable, so they can be shared.
@lru_cache(maxsize=4096)
def parse_match(text: str) -> Match:
    """Parse a logical flow's ``match`` (or an ACL's); raises :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise TypeError(f"parse_match() takes a str, not {type(text).__name__}")
    match, _ = grammar()
    blanked, comments = _blank_comments(text)
    try:
        expr = match.parse_string(blanked)[0]
    except (pp.ParseBaseException, _Reject) as e:
        raise _error(text, blanked, e) from None
    except RecursionError:
        raise ExpressionError("parentheses nested too deeply", text=text, column=1,
                              expected="less nesting") from None
    return Match(expr, comments)


@lru_cache(maxsize=4096)
def parse_actions(text: str) -> Actions:
    """Parse a logical flow's ``actions``; raises :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise TypeError(f"parse_actions() takes a str, not {type(text).__name__}")
    _, actions = grammar()
    blanked, comments = _blank_comments(text)
    try:
        result = actions.parse_string(blanked)
    except (pp.ParseBaseException, _Reject) as e:
        raise _error(text, blanked, e) from None
    except RecursionError:
        raise ExpressionError("actions nested too deeply", text=text, column=1,
                              expected="less nesting") from None
    return Actions(tuple(result), comments)
