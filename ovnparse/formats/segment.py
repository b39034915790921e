"""Where one tool's output gives way to another's in a file.

A saved file may hold several outputs one after another (an ovn-trace, then
the ofproto/trace of the same packet...).  `segment` cuts the blocks of lines
where the family changes and hands each part to its parser, lazily (memory
stays flat on long files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..lines import Block
from ..model import Trace
from .detect import family, openflow_kind
from .sniff import FLOW_HEADER, OFPROTO, OVN_TRACE, heading_start

#: a format name -> the parser that reads it (registry.PARSERS)
Parsers = dict[str, Callable[..., Iterator[Trace]]]


def segment(blocks: Iterator[Block], source: str, name: str, parsers: Parsers,
            check: Callable[[str, str], None]) -> Iterator[Trace]:
    """Hand each part of a file to its parser: `name` for the first part,
    then the parser of the family that follows (`check(name, source)` raises
    if there is none)."""
    pieces = _pieces(blocks, family(name))
    current = next(pieces, None)
    first = True
    while current is not None:
        part_id, fam, block = current
        parser = name if first else (
            OVN_TRACE if fam == OVN_TRACE else openflow_kind(block.lines))
        first = False
        check(parser, source)

        def run(part_id: int = part_id) -> Iterator[Block]:
            nonlocal current
            while current is not None and current[0] == part_id:
                piece = current[2]
                current = next(pieces, None)
                yield piece

        part = run()
        yield from parsers[parser](part, source)
        for _ in part:  # whatever the parser left unread of its part
            pass


def _pieces(blocks: Iterable[Block], fam: str) -> Iterator[tuple[int, str, Block]]:
    """(part number, family, block) with blocks cut where another output starts."""
    after_recirc_header = False
    part = 0
    part_has_lines = False
    for block in blocks:
        cuts = switches(block.lines, fam, after_recirc_header)
        prev = 0
        for index, new in cuts:
            if index > prev:
                yield part, fam, Block(block.first + prev, block.lines[prev:index], False,
                                       block.klog)
                part_has_lines = True
            if part_has_lines:
                part += 1
                part_has_lines = False
            fam, prev = new, index
        if prev == 0:
            yield part, fam, block
        else:
            yield part, fam, Block(block.first + prev, block.lines[prev:], block.cut, block.klog)
        part_has_lines = True
        tail = next((t for t in reversed(block.lines) if t.strip()), "")
        after_recirc_header = tail.startswith("=====")


def switches(lines: list[str], current: str, after_recirc_header: bool = False
             ) -> list[tuple[int, str]]:
    """(index, family) of the lines where another output starts.

    Only the first line of an output can start one: ovn-trace's `# <microflow>`
    line (a cut only where the family changes: the ovn-trace parser splits its
    own traces), or ofproto/trace's and ovn-detrace's `Flow: ` line (a cut at
    each one, since either tool may follow the other; except the `Flow: ` after
    a recirculation pass's `=====` header, which belongs to the same trace).
    """
    found: list[tuple[int, str]] = []
    for i in [i for i, t in enumerate(lines) if t and (t[0] == "#" or t[0] == "F")]:
        text = lines[i]
        if current != OVN_TRACE and text.startswith("# ") and FLOW_HEADER.match(text):
            current = OVN_TRACE
            found.append((i, current))
        elif text.startswith("Flow: ") \
                and not _follows_recirc_header(lines, i, after_recirc_header):
            current = OFPROTO
            found.append((heading_start(lines, i, found[-1][0] if found else 0), current))
    return found


def _follows_recirc_header(lines: list[str], i: int, at_block_start: bool) -> bool:
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j < 0:
        return at_block_start
    return lines[j].startswith("=====")
