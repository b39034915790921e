"""Hostile texts made from the real samples: their lines sorted by kind, and the
mutations issue 10 lists (cut, duplicate, swap, indent +-1..4, CR/CRLF/tabs/ANSI/
klog/NUL/non-UTF-8, very long lines, deep nesting).

Every text made here is a mutation of real tool output (samples/, printed by the
real tools), never a sample.  One source of choices, `Chooser`, so that the same
code serves hypothesis (which draws, and shrinks, each choice) and the long run in
benchmarks/fuzz_long.py (a seeded random.Random).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"

#: the parsers, by the file names of their samples (ovnkube-trace: the test
#: inputs built from real samples as its source frames them, tests/fixtures/)
PARSERS = {
    "ovn-trace/detailed": (SAMPLES, re.compile(r"ovn-trace\..*detailed\.txt$|"
                                               r"ovn-trace\.all\.txt$")),
    "ovn-trace/summary": (SAMPLES, re.compile(r"ovn-trace\..*summary\.txt$")),
    "ovn-trace/minimal": (SAMPLES, re.compile(r"ovn-trace\..*minimal\.txt$")),
    "ofproto/trace": (SAMPLES, re.compile(r"ofproto-trace\..*\.txt$")),
    "ovn-detrace": (SAMPLES, re.compile(r"ovn-detrace\..*txt$")),
    "ovnkube-trace": (ROOT / "tests" / "fixtures" / "ovnkube",
                      re.compile(r"loglevel.*\.txt$")),
}

#: a line's kind, by what starts it (the first match wins)
_KINDS = [
    ("microflow", re.compile(r"# ")),
    ("dashes", re.compile(r"-{3,}$|={3,}$")),
    ("pipeline", re.compile(r"(ingress|egress|multicast)\(")),
    ("table", re.compile(r"\d+\. ")),
    ("ofproto-head", re.compile(r"(Flow|Final flow|Megaflow|Datapath actions|Modified flow|"
                                r"Trace|bridge)\b")),
    ("detail", re.compile(r"-> |>> |>>>> ")),
    ("note", re.compile(r"\* ")),
    ("close", re.compile(r"};?$")),
    ("open", re.compile(r".* \{$")),
    ("log", re.compile(r"LOG: ")),
    ("comment", re.compile(r"/\* ")),
    ("blank", re.compile(r"$")),
]


class Chooser:
    """The choices a mutation makes.  `random.Random` has these methods; the
    hypothesis adapter in test_fuzz.py draws them instead."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd

    def randint(self, a: int, b: int) -> int:
        return self.rnd.randint(a, b)

    def choice(self, seq):
        return seq[self.randint(0, len(seq) - 1)]


@cache
def samples(parser: str) -> tuple[str, ...]:
    """The text of every sample file of one parser (every release recorded)."""
    base, pattern = PARSERS[parser]
    return tuple(p.read_text() for p in sorted(base.rglob("*.txt")) if pattern.search(p.name))


def kind_of(line: str) -> str:
    body = line.strip()
    for kind, pattern in _KINDS:
        if pattern.match(body):
            return kind
    return "action"


@cache
def line_kinds(parser: str) -> dict[str, tuple[str, ...]]:
    """{kind: the distinct lines of that kind in the parser's samples}."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for text in samples(parser):
        for line in text.split("\n"):
            kinds[kind_of(line)].add(line)
    return {k: tuple(sorted(v)) for k, v in kinds.items()}


# --- mutations of a list of lines ------------------------------------------------
# Each takes (lines, chooser) and changes the list in place; the text is made of
# str lines, and the byte-level ones (NUL, non-UTF-8) are marked by a placeholder
# that to_bytes() turns into bytes.

BAD_BYTES = "\ue000"  # (a private-use character: becomes bytes that are not UTF-8)
_NOT_UTF8 = [b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\x80\x80"]


def _line(lines, c):
    return c.randint(0, len(lines) - 1)


def cut(lines, c):
    del lines[c.randint(1, len(lines)):]


def cut_inside_a_line(lines, c):
    i = _line(lines, c)
    del lines[i + 1:]
    lines[i] = lines[i][:c.randint(0, len(lines[i]))]


def duplicate(lines, c):
    i = _line(lines, c)
    lines.insert(c.randint(0, len(lines)), lines[i])


def delete(lines, c):
    if len(lines) > 1:
        del lines[_line(lines, c)]


def swap(lines, c):
    i, j = _line(lines, c), _line(lines, c)
    lines[i], lines[j] = lines[j], lines[i]


def indent(lines, c):
    i = _line(lines, c)
    lines[i] = " " * c.randint(1, 4) + lines[i]


def dedent(lines, c):
    i = _line(lines, c)
    n = c.randint(1, 4)
    lines[i] = lines[i][n:] if lines[i][:n].strip() == "" else lines[i]


def crlf(lines, c):
    for i in range(len(lines)):
        lines[i] += "\r"


def control_char(lines, c):
    i = _line(lines, c)
    at = c.randint(0, len(lines[i]))
    char = c.choice(["\r", "\t", "\x0b", "\x0c", "\x00", "\x1b[31m", "\x1b[0m", "\u2028",
                     "\xa0", "\x85", BAD_BYTES])
    lines[i] = lines[i][:at] + char + lines[i][at:]


def tabs(lines, c):
    for i in range(len(lines)):
        stripped = lines[i].lstrip(" ")
        n = len(lines[i]) - len(stripped)
        lines[i] = "\t" * (n // 8) + " " * (n % 8) + stripped


def ansi(lines, c):
    for i in range(len(lines)):
        if lines[i].strip() and c.randint(0, 1):
            lines[i] = "\x1b[1;32m" + lines[i] + "\x1b[0m"


def klog(lines, c):
    # kubectl logs / klog prefixes, as ovnkube pods print them
    for i in range(len(lines)):
        lines[i] = f"I1205 07:20:46.{i:06d}       1 ovnkube.go:{c.randint(1, 999)}] " + lines[i]


#: how long a very long line is, how deep a nesting goes (the long run's --small
#: leaves out the largest of each, to try more inputs an hour)
LONG_LINES = [1000, 10_000, 100_000]
NESTING = [50, 500, 3000]


def long_line(lines, c):
    i = _line(lines, c)
    n = c.choice(LONG_LINES)
    lines[i] = lines[i] + c.choice(["x", ",", "(", " ", "0"]) * n


def number(lines, c):
    i = _line(lines, c)
    spans = [m.span() for m in re.finditer(r"\d+", lines[i])]
    if spans:
        a, b = c.choice(spans)
        lines[i] = lines[i][:a] + c.choice(["", "abc", "085", "0x", "-1", "9" * 30,
                                            ",0x2", "0x"]) + lines[i][b:]


def punctuation(lines, c):
    i = _line(lines, c)
    at = c.randint(0, len(lines[i]))
    lines[i] = lines[i][:at] + c.choice([";", "{", "}", "(", ")", "=", ",", "\"", "->",
                                         " {", "};", "..."]) + lines[i][at + c.randint(0, 1):]


def nest(lines, c):
    """Deep nesting: a block opener, or a table chain, repeated at one line."""
    i = _line(lines, c)
    depth = c.choice(NESTING)
    opener = c.choice(["clone {", "ct_next(ct_state=est|trk) {", "    resubmit(,1)",
                       "ct_next;", lines[i]])
    lines[i:i] = [opener] * depth


def splice(lines, c):
    """A line of another kind of the same format (a line of the samples)."""
    parser = c.choice(sorted(PARSERS))
    kinds = line_kinds(parser)
    kind = c.choice(sorted(kinds))
    lines.insert(c.randint(0, len(lines)), c.choice(kinds[kind]))


MUTATIONS = [cut, cut_inside_a_line, duplicate, delete, swap, indent, dedent, crlf,
             control_char, tabs, ansi, klog, long_line, number, punctuation, nest, splice]


def mutated(text: str, c, count: int | None = None) -> str:
    lines = text.split("\n")
    for _ in range(count if count is not None else c.randint(1, 4)):
        if not lines:
            break
        c.choice(MUTATIONS)(lines, c)
    return "\n".join(lines)


def generated(parser: str, c, length: int | None = None) -> str:
    """A text made of the parser's real lines, in an order of kinds a tool could
    print or not: the first line of a sample first, then lines of random kinds."""
    kinds = line_kinds(parser)
    first = c.choice(samples(parser)).split("\n", 1)[0]
    names = sorted(kinds)
    lines = [first]
    for _ in range(length if length is not None else c.randint(1, 60)):
        lines.append(c.choice(kinds[c.choice(names)]))
    return "\n".join(lines) + "\n"


def to_bytes(text: str, c) -> bytes:
    """The text as a file holds it (UTF-8), each placeholder some bytes that are not."""
    parts = text.split(BAD_BYTES)
    out = parts[0].encode()
    for part in parts[1:]:
        out += c.choice(_NOT_UTF8) + part.encode()
    return out
