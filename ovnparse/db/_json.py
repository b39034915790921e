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
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager

try:  # optional: about 1.5x faster than json on OVSDB records, with the GC paused
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the machine
    _orjson = None

__all__ = ["loads", "JSON_LIBRARY", "gc_paused", "use_stdlib_json"]

if _orjson is not None:
    JSON_LIBRARY = "orjson"

    def loads(data):
        """Parse JSON from ``bytes``, ``memoryview`` or ``str``; errors are ``ValueError``s."""
        return _orjson.loads(data)
else:  # pragma: no cover
    JSON_LIBRARY = "json"

    def loads(data):
        if isinstance(data, memoryview):
            data = bytes(data)
        return json.loads(data)


def use_stdlib_json(flag: bool = True) -> None:
    """Force (or stop forcing) the standard library parser; for benchmarks and tests."""
    global loads, JSON_LIBRARY
    if flag or _orjson is None:
        def _loads(data):
            if isinstance(data, memoryview):
                data = bytes(data)
            return json.loads(data)
        loads, JSON_LIBRARY = _loads, "json"
    else:
        def _loads(data):
            return _orjson.loads(data)
        loads, JSON_LIBRARY = _loads, "orjson"


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
