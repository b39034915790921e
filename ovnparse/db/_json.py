"""The JSON parser used for database files, and a pause of the garbage collector.

``orjson`` is used when it is installed (it is on the project's machine image);
the standard library's ``json`` otherwise.  Both give the same Python values for
what OVSDB writes (RFC 7047 JSON: objects, arrays, strings, 64-bit integers,
reals, booleans, null).

Most of the time stdlib ``json`` spends on a large OVSDB record is not parsing
but Python's cyclic garbage collector, which runs over and over while millions
of lists and dicts are being created: :func:`gc_paused` switches it off while a
file is read (nothing read is cyclic), which alone makes ``json`` about 2-3x and
``orjson`` about 3x faster on a 50 MB record (``benchmarks/db_read.py``).

Nesting.  JSON nested deeper than :data:`MAX_DEPTH` (1000) levels is refused, as
OVS's own parser refuses it (``JSON_MAX_HEIGHT`` in ``lib/json.c``): a
``ValueError``.  It matters: ``orjson`` before 3.9.15 does not limit its
recursion (CVE-2024-27454) and a document nested some 20,000 deep — a
hostile server's reply, a forged file — overflows its stack and kills the
process; the standard library raises ``RecursionError``.  With such an
``orjson``, input longer than a few kB is measured first (:func:`shallow`,
:class:`NestingGauge`; see benchmarks/README.md for the cost); ``orjson`` ≥
3.9.15 limits itself and is called at once.  :func:`loads_checked` is for input
whose nesting the caller has bounded already (the live reader's framer).
"""

from __future__ import annotations

import gc
import importlib
import json
import re
from contextlib import contextmanager
from typing import Any

# optional: about 1.5x faster than json on OVSDB records, with the GC paused.
# (imported by name so that mypy sees one type, Any, with orjson installed or not)
_orjson: Any
try:
    _orjson = importlib.import_module("orjson")
except ImportError:  # pragma: no cover - depends on the machine
    _orjson = None

__all__ = ["loads", "loads_checked", "JSON_LIBRARY", "MAX_DEPTH", "shallow", "gc_paused",
           "use_stdlib_json"]

#: the deepest nesting accepted (OVS's ``JSON_MAX_HEIGHT``); OVSDB's own JSON nests 8 deep
MAX_DEPTH = 1000
#: input this short cannot nest deep enough to hurt orjson (< 3.9.15: some 20,000 levels)
_FEW_BYTES = 4096


def _version(text: str) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


#: orjson limits its own recursion (3.9.15 and later, CVE-2024-27454)
ORJSON_LIMITS_DEPTH = _orjson is not None and _version(getattr(_orjson, "__version__", "0")) \
    >= (3, 9, 15)

#: every byte but the quote, the braces and the brackets
_DELETE_OTHERS = bytes(c for c in range(256) if c not in b'"{}[]')
_STRING = re.compile(rb'"[^"]*"')
_ESCAPE = re.compile(rb"\\.", re.S)
#: the size of the pieces :func:`shallow` looks at (a copy each: no copy of the whole)
_WINDOW = 4 << 20


class NestingGauge:
    """Follows the nesting of JSON text fed in pieces, at C speed, without parsing it.

    Each piece is reduced to its quotes, braces and brackets (escapes removed first, a
    backslash run at a piece's end held back for the next),
    its strings dropped (``""`` pairs by ``bytes.replace``: an empty string or two
    strings with nothing but letters between them; the few left by a regular
    expression), then :func:`reduced_depth` measures it.  :meth:`feed` returns the
    reduced piece (what the live reader counts braces in) and raises ``ValueError``
    once the text may nest deeper than *limit*.
    """

    __slots__ = ("carry", "in_string", "nesting", "limit")

    def __init__(self, limit: int = MAX_DEPTH):
        self.carry = b""
        self.in_string = False
        self.nesting = 0
        self.limit = limit

    def feed(self, data) -> bytes:
        seg = self.carry + data
        stripped = seg.rstrip(b"\\")
        self.carry = seg[len(stripped):]
        # (an escape is never structural; one regular expression: 2.5x quicker than the
        # replacements of backslash pairs and of escaped quotes)
        red = _ESCAPE.sub(b"", stripped).translate(None, _DELETE_OTHERS)
        if self.in_string:
            red = b'"' + red
        red = red.replace(b'""', b"")
        self.in_string = False
        if b'"' in red:
            red = _STRING.sub(b"", red)
            q = red.find(b'"')
            if q >= 0:  # an unfinished string: what follows is inside it
                red = red[:q]
                self.in_string = True
        nesting = reduced_depth(red, self.nesting, self.limit)
        if nesting is None:
            raise _too_deep(self.limit)
        self.nesting = nesting
        return red


def shallow(data, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text *data* nests no deeper than *limit* (an upper bound is measured:
    ``False`` only beyond *limit* / 2 levels, never for what OVSDB writes)."""
    gauge = NestingGauge(limit)
    view = memoryview(data)
    try:
        for i in range(0, len(view), _WINDOW):
            gauge.feed(view[i:i + _WINDOW].tobytes())
    except ValueError:
        return False
    return True


def reduced_depth(red: bytes, before: int, limit: int = MAX_DEPTH) -> int | None:
    """*red*: a piece of JSON reduced to its brackets and braces (no strings), at nesting
    *before*.  The nesting after it, or ``None`` if it may go deeper than *limit*.

    Each pass removes every innermost ``{}``/``[]`` pair, one or two levels: after *p*
    passes what is left are the unmatched closers and openers, and the piece reached
    at most ``before + 2p + openers`` levels.
    """
    passes = 0
    while True:
        fewer = red.replace(b"{}", b"").replace(b"[]", b"")
        if len(fewer) == len(red):
            break
        red = fewer
        passes += 1
        if 2 * passes > limit:
            return None
    openers = red.count(b"{") + red.count(b"[")
    if before + 2 * passes + openers > limit:
        return None
    return max(0, before - (len(red) - openers)) + openers


def _too_deep(limit: int = MAX_DEPTH) -> ValueError:
    return ValueError(f"input exceeds maximum nesting depth {limit}")


def _orjson_loads(data):
    """orjson, with the nesting bounded first when orjson does not bound it."""
    if not ORJSON_LIMITS_DEPTH:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        # (fewer bytes than this cannot nest deep enough to hurt; else they are measured)
        if len(data) > _FEW_BYTES if not isinstance(data, memoryview) else \
                data.nbytes > _FEW_BYTES:
            if not shallow(data):
                raise _too_deep()
    return _orjson.loads(data)


def _stdlib_loads(data):
    if isinstance(data, memoryview):
        data = bytes(data)
    try:
        return json.loads(data)
    except RecursionError:
        raise _too_deep() from None


if _orjson is not None:
    JSON_LIBRARY = "orjson"
    loads = _orjson_loads
    loads_checked = _orjson.loads
else:  # pragma: no cover
    JSON_LIBRARY = "json"
    loads = loads_checked = _stdlib_loads
loads.__doc__ = """Parse JSON from ``bytes``, ``memoryview`` or ``str``; every error (nesting
    deeper than :data:`MAX_DEPTH` too) is a ``ValueError``."""


def dumps(obj) -> bytes:
    """Compact JSON of *obj* (orjson when installed: about 5x faster at writing)."""
    if _orjson is not None:
        return _orjson.dumps(obj)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def use_stdlib_json(flag: bool = True) -> None:
    """Force (or stop forcing) the standard library parser; for benchmarks and tests."""
    global loads, loads_checked, JSON_LIBRARY
    if flag or _orjson is None:
        loads = loads_checked = _stdlib_loads
        JSON_LIBRARY = "json"
    else:
        loads, loads_checked, JSON_LIBRARY = _orjson_loads, _orjson.loads, "orjson"


@contextmanager
def gc_paused():
    """Switch the cyclic garbage collector off for the block (if it was on).

    On the way out, what the block created is moved straight to the oldest
    generation (``gc.freeze()`` then ``gc.unfreeze()``: two list splices) instead of
    being left in the youngest, whose next collection would otherwise walk every
    row just read (a quarter of the reading time of a large Southbound) only to
    find it all alive.  Skipped when the caller keeps frozen objects of its own.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
