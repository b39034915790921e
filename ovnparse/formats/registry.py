"""One parser per tool's output, behind one small interface:

    parse(blocks: Iterable[lines.Block], source: str) -> Iterator[model.Trace]

Blocks are runs of cleaned lines (plain strings, numbered by position); a
parser yields traces one at a time, so memory stays flat on long files.
`FORMATS` names them (the names `--format` takes), with their family (which
outputs may follow each other in one file: see segment.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from ..model import Trace
from . import ofproto as ofproto_trace
from . import ovn_detrace, ovn_trace, ovnkube_trace
from .sniff import DETRACE, OFPROTO, OVN_TRACE, OVNKUBE


@dataclass(frozen=True)
class Format:
    name: str
    family: str  # OVN_TRACE, OFPROTO (ofproto/trace and ovn-detrace) or OVNKUBE
    parse: Callable[..., Iterator[Trace]]
    empty_ok: bool = False  # an empty text is a valid trace (ovn-trace --minimal of a drop)


PARSERS: dict[str, Callable[..., Iterator[Trace]]] = {}
FORMATS: dict[str, Format] = {}


def _register(fmt: Format) -> None:
    FORMATS[fmt.name] = fmt
    PARSERS[fmt.name] = fmt.parse


_register(Format(OVN_TRACE, OVN_TRACE, ovn_trace.parse))
for _form in (ovn_trace.FORMAT_DETAILED, ovn_trace.FORMAT_SUMMARY, ovn_trace.FORMAT_MINIMAL):
    _register(Format(_form, OVN_TRACE, partial(ovn_trace.parse, form=_form),
                     empty_ok=_form == ovn_trace.FORMAT_MINIMAL))
_register(Format(OFPROTO, OFPROTO, ofproto_trace.parse))
_register(Format(DETRACE, OFPROTO, ovn_detrace.parse))
# ovnkube-trace embeds the others' outputs: it reads them with this registry.
_register(Format(OVNKUBE, OVNKUBE, partial(ovnkube_trace.parse, parsers=PARSERS)))

#: formats whose empty output is a valid trace
EMPTY_OK = frozenset(name for name, fmt in FORMATS.items() if fmt.empty_ok)
