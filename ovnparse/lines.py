"""Read trace text into numbered lines, undoing what pasting does to it.

Saved traces arrive through tickets, chat and log collectors: CRLF line ends,
ANSI colour, klog prefixes (`I0116 14:20:47.380775   50822 ovs.go:90] `) and
tabs.  `read_lines` removes those and keeps each line's number in the original
file, so records and errors can point back to it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import IO, Iterable, Iterator

from .errors import InputError, Problem

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
_KLOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^ \]]+:\d+\] ?")


@dataclass(slots=True)
class Line:
    number: int  # 1-based, in the original file
    text: str  # without line end, ANSI colour or klog prefix; tabs expanded
    klog: bool = False  # the line carried a klog prefix
    unterminated: bool = False  # last line of the file, without a line end


def clean(text: str) -> tuple[str, bool]:
    """One raw line (without its line end) made plain."""
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
    return text.rstrip("\r\n"), klog


def iter_lines(stream: Iterable[str] | Iterable[bytes], source: str = "<text>") -> Iterator[Line]:
    """Numbered, cleaned lines of a text or binary stream.

    Binary streams are decoded a line at a time, so a decoding error names
    the right line.
    """
    for number, raw in enumerate(stream, 1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(Problem(source, number, "not UTF-8 text",
                                         "the text printed by a trace tool")) from None
        ended = raw.endswith("\n")
        text, klog = clean(raw[:-1] if ended else raw)
        yield Line(number, text, klog, not ended)


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
