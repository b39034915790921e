"""JSON output without recursion: a trace's tree may nest thousands deep.

`json.dump` recurses once per level (in Python with an indent, in C without)
and stops at the interpreter's recursion limit: 500 nested `clone {` blocks or
5,000 `ct_next`s, which a hostile or generated text can hold, made `ovnparse
parse` end in a RecursionError.  `dump` writes the same bytes as
`json.dump(obj, out, indent=indent)` (dicts, lists, tuples, str, int, float,
bool, None) with an explicit stack.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

_scalar = json.JSONEncoder(indent=None).encode  # str/int/float/bool/None as json.dump does


def dump(obj: Any, out: IO[str], indent: int = 1) -> None:
    """Write *obj* as `json.dump(obj, out, indent=indent)` would, iteratively."""
    for chunk in iterencode(obj, indent):
        out.write(chunk)


def dumps(obj: Any, indent: int = 1) -> str:
    return "".join(iterencode(obj, indent))


def dumps_line(obj: Any) -> str:
    """`json.dumps(obj)` (one line), without recursion where it would recurse
    too deep (then with "," and ":" separators: still one valid JSON line)."""
    try:
        return json.dumps(obj)
    except RecursionError:
        return _LINE_BREAK.sub("", dumps(obj, indent=1))


_LINE_BREAK = re.compile(r"\n *")  # (JSON strings hold no raw newline)


def iterencode(obj: Any, indent: int = 1):
    """The text of *obj* in chunks (one per line, about)."""
    buf: list[str] = []
    # stack entries: (iterator over the container's items, is_dict, depth, first?)
    stack: list[list] = []
    value = obj
    while True:
        # write `value` (a scalar is written whole; a container opens a frame)
        if isinstance(value, dict):
            if not value:
                buf.append("{}")
            else:
                buf.append("{")
                stack.append([iter(value.items()), True, len(stack) + 1, True])
        elif isinstance(value, (list, tuple)):
            if not value:
                buf.append("[]")
            else:
                buf.append("[")
                stack.append([iter(value), False, len(stack) + 1, True])
        else:
            buf.append(_scalar(value))
        # find the next value to write, closing the frames that are done
        while stack:
            frame = stack[-1]
            items, is_dict, depth, first = frame
            try:
                item = next(items)
            except StopIteration:
                stack.pop()
                buf.append("\n" + " " * (indent * (depth - 1)) + ("}" if is_dict else "]"))
                continue
            frame[3] = False
            buf.append(("\n" if first else ",\n") + " " * (indent * depth))
            if is_dict:
                key, value = item
                if not isinstance(key, str):
                    key = _key(key)
                buf.append(_scalar(key) + ": ")
            else:
                value = item
            break
        else:
            yield "".join(buf)
            return
        if len(buf) > 512:
            yield "".join(buf)
            buf = []


def _key(key: Any) -> str:
    """A dict key as json.dump turns it into a string."""
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return _scalar(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
