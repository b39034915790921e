"""Every way a reader of ovnparse's results walks a parsed trace, run on one text.

Shared by the hostile-input tests, the fuzz tests and benchmarks/fuzz_long.py:
parse, the model's JSON (encoded as `ovnparse parse` encodes it), explain and
its JSON, the text view, printing back in the trace's own form, the steps, the
frame, the path graph and the notebook card.  Anything but an `InputError`
escaping from here is a defect.
"""

from __future__ import annotations

import io

from ovnparse.analysis.steps import step_rows
from ovnparse.api import parse_stream, parse_text
from ovnparse.jsonout import dump
from ovnparse.views import text as text_view
from ovnparse.views.detrace_text import ovn_detrace
from ovnparse.views.ofproto_text import ofproto_trace
from ovnparse.views.ovn_trace_text import detailed, minimal, summary

PRINTERS = {"ovn-trace/detailed": detailed, "ovn-trace/summary": summary,
            "ovn-trace/minimal": minimal, "ofproto/trace": ofproto_trace,
            "ovn-detrace": ovn_detrace}


VIEWS = 5


class CutButConfident(AssertionError):
    """A trace the parser knows is cut was given a verdict other than incomplete."""


def exercise(text: str | bytes, *, views: bool = True, encode: bool = True) -> list[str]:
    """Run every walk over *text* (bytes: as a file holds it, read as the CLI
    reads a file); the verdicts, in order (raises what escapes).

    *views*: also the frame, the path graph and the HTML card (pandas, networkx,
    a graphviz run each: slower; for the first VIEWS traces of the text; the
    fuzz's long run leaves them to the suite).  *encode*: write the JSON of the
    model and of the explanation (the long run builds them, as dicts, but leaves
    their encoding, which depends on the depth alone, to the suite).
    """
    verdicts = []
    traces = (parse_stream(io.BytesIO(text), "fuzz.txt") if isinstance(text, bytes)
              else parse_text(text, "fuzz.txt"))
    for trace in traces:
        model = trace.to_dict()
        ex = trace.explain()
        explained = ex.to_dict()
        if encode:
            dump(model, io.StringIO(), indent=1)
            dump(explained, io.StringIO(), indent=2)
        text_view.render([ex])
        printer = PRINTERS.get(trace.format)
        if printer is not None:
            printer(trace)
        step_rows(trace)
        if views and len(verdicts) < VIEWS:
            trace.to_frame()
            trace.graph()
            trace._repr_html_()
        confident = str(ex.verdict) not in ("incomplete", "error")
        if trace.format == "ovnkube-trace" and str(ex.verdict) == "dropped":
            confident = False  # (ovnkube-trace printed "failure" itself, before the cut: README)
        if trace.cut and confident:
            raise CutButConfident(f"lines {trace.first_line}-{trace.last_line}: cut, "
                                  f"but {ex.verdict}")
        verdicts.append(str(ex.verdict))
    return verdicts
