"""One parser per tool's output, behind one small interface:

    parse(blocks: Iterable[lines.Block], source: str) -> Iterator[model.Trace]

Blocks are runs of cleaned lines (plain strings, numbered by position); a
parser yields traces one at a time, so memory stays flat on long files.
`detect` picks the parser from the text; `PARSERS` maps the names accepted by
`--format` to parsers.
"""

from __future__ import annotations

from functools import partial

from . import ofproto_trace, ovn_detrace, ovn_trace, ovnkube_trace

PARSERS = {
    "ovn-trace": ovn_trace.parse,
    **{form: partial(ovn_trace.parse, form=form) for form in (
        ovn_trace.FORMAT_DETAILED, ovn_trace.FORMAT_SUMMARY, ovn_trace.FORMAT_MINIMAL)},
    "ovnkube-trace": ovnkube_trace.parse,
    ofproto_trace.FORMAT: ofproto_trace.parse,
    ovn_detrace.FORMAT: ovn_detrace.parse,
}
# Formats whose empty output is a valid trace (ovn-trace --minimal of a drop).
EMPTY_OK = frozenset({ovn_trace.FORMAT_MINIMAL})
