"""Read trace text into numbered lines, undoing what pasting does to it.

Saved traces arrive through tickets, chat and log collectors: CRLF line ends,
ANSI colour, klog prefixes (`I0116 14:20:47.380775   50822 ovs.go:90] `) and
tabs.  `read_blocks` removes those and keeps each line's number in the original
file, so records and errors can point back to it.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from .errors import InputError, Problem

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
_KLOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^ \]]+:\d+\] ?")


@dataclass(slots=True)
class Block:
    """A run of consecutive lines of one input, cleaned."""

    first: int  # 1-based number, in the original file, of lines[0]
    lines: list[str]  # without line ends, ANSI colour or klog prefixes; tabs expanded
    cut: bool = False  # the input ends here, in the middle of its last line
    klog: frozenset[int] = frozenset()  # numbers of lines that had a klog prefix


#: more digits than the decimal numbers of a trace have (tables, priorities, ports
#: and recirculation ids are 32-bit at most), fewer than a frame's Int64 holds and
#: far fewer than Python's int() refuses (4,300: `sys.get_int_max_str_digits()`)
_MAX_DIGITS = 18


def decimal(text: str) -> int:
    """A decimal number read from a trace's text.  A number of more digits than
    any tool prints (hostile text: int() raises on 4,300 and more, and a huge int
    cannot even be printed back) stands as 2**62, more than any such field holds and
    exact in a float and a frame's Int64: the text itself stays in the node's `text`."""
    if len(text) > _MAX_DIGITS and text.strip().lstrip("+-").isdigit():
        return -(2 ** 62) if text.strip()[:1] == "-" else 2 ** 62
    return int(text)


def clean(text: str) -> tuple[str, bool]:
    """One raw line (without its line end) made plain; (text, had a klog prefix)."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    klog = False
    if text[:1] in "IWEF" and text[1:5].isdigit():
        m = _KLOG.match(text)
        if m:
            text = text[m.end():]
            klog = True
    if "\t" in text:
        text = text.expandtabs(8)
    return text.rstrip("\r"), klog


_BLOCK_BYTES = 1 << 20
_BLOCK_LINES = 1 << 14


def read_blocks(stream: Iterable[str] | IO[bytes], source: str = "<text>") -> Iterator[Block]:
    """Blocks of cleaned lines from a binary file or an iterable of str lines.

    Lines are kept in plain lists and numbered by position: the parsers' hot
    loops then touch only strings.  A binary file is decoded a large block at
    a time; a block that fails to decode is redone line by line to name the
    bad line.
    """
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        return _binary_blocks(stream, source)
    # (a binary file is one of those io classes: open(..., "rb"), stdin's buffer, BytesIO)
    return _text_blocks(cast(Iterable[str], stream))


def _cleaned(first: int, parts: list[str], joined: str, cut: bool, split: bool = True) -> Block:
    """`joined`: the parts, each followed by a line end (but a cut last line);
    `split`: the parts are `joined` split at its line ends (no part holds one)."""
    if "\x1b" in joined or "\t" in joined or "\r" in joined or ".go:" in joined:
        klog = set()
        if split or joined.count("\n") == len(parts):
            dirty = _dirty_lines(parts, joined)
        else:  # (a line of an iterable held a line end of its own)
            dirty = [i for i, raw in enumerate(parts) if "\x1b" in raw or "\t" in raw
                     or "\r" in raw or raw[:1] in _KLOG_START]
        for i in dirty:
            parts[i], had = clean(parts[i])
            if had:
                klog.add(first + i)
        return Block(first, parts, cut, frozenset(klog))
    return Block(first, parts, cut)


# A line that may start with a klog header (the first line is looked at apart).
_KLOG_LINE = re.compile(r"\n[IWEF]\d{4}")


def _dirty_lines(parts: list[str], joined: str) -> list[int]:
    """Indices of the parts (the lines of `joined`) that `clean` may change:
    with colour, a tab, a CR or a klog header.

    Found by searches over the text rather than a look at each line: an
    ovnkube-trace log has a few klog and colour lines among thousands of
    trace lines.
    """
    offsets = [0] if joined[:1] in _KLOG_START else []  # somewhere in each dirty line
    offsets.extend(m.start() + 1 for m in _KLOG_LINE.finditer(joined))
    find = joined.find
    for char in "\x1b\t\r":
        at = find(char)
        while at >= 0:
            offsets.append(at)
            at = find("\n", at)  # (one offset a line is enough)
            if at < 0:
                break
            at = find(char, at)
    offsets.sort()
    found: list[int] = []
    line = -1
    end = 0
    for at in offsets:
        if at < end:
            continue  # (the line of the last one)
        start = joined.rfind("\n", 0, at) + 1
        end = joined.find("\n", at)
        if end < 0:
            end = len(joined)
        # Its index, by content: a line equal to it before it is dirty too,
        # and was found first.  (Cheaper than counting the line ends.)
        line = parts.index(joined[start:end], line + 1)
        found.append(line)
    return found


_KLOG_START = frozenset("IWEF")


def _text_blocks(stream: Iterable[str]) -> Iterator[Block]:
    parts: list[str] = []
    first = 1
    cut = False
    for raw in stream:
        if raw.endswith("\n"):
            raw = raw[:-1]
        else:
            cut = True  # only the last line can lack its line end
        parts.append(raw)
        if len(parts) >= _BLOCK_LINES:
            yield _cleaned(first, parts, "\n".join(parts) + "\n", False, split=False)
            first += len(parts)
            parts = []
    if parts or cut:
        yield _cleaned(first, parts, "\n".join(parts) + "\n", cut, split=False)


def _binary_blocks(stream: IO[bytes], source: str) -> Iterator[Block]:
    first = 1
    rest = b""
    while True:
        block = stream.read(_BLOCK_BYTES)
        if not block:
            if rest:  # the last line, without a line end
                text = _decode(rest, source, first - 1)
                yield _cleaned(first, [text], text, True)
            return
        data = rest + block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        data, rest = data[:cut], data[cut:]
        text = _decode(data, source, first - 1)
        parts = text.split("\n")
        parts.pop()  # empty: the block ends with a line end
        yield _cleaned(first, parts, text, False)
        first += len(parts)


def _decode(data: bytes, source: str, lines_before: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        for offset, raw in enumerate(data.split(b"\n")):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(Problem(source, lines_before + offset + 1, "not UTF-8 text",
                                         "the text printed by a trace tool")) from None
        raise


def open_lines(path: str) -> tuple[str, IO[bytes]]:
    """(display name, binary line stream) for a path or "-"; raises InputError."""
    if path == "-":
        return "<stdin>", sys.stdin.buffer
    try:
        with open(path, "rb") as probe:
            head = probe.read(8192)
    except OSError as exc:
        raise InputError(Problem(path, 0, f"cannot read: {exc.strerror}")) from None
    if b"\x00" in head:
        raise InputError(Problem(path, 0, "binary data, not text",
                                 "the text printed by a trace tool"))
    return path, open(path, "rb")
