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
from ovnparse.api import parse_text
from ovnparse.jsonout import dump
from ovnparse.views import text as text_view
from ovnparse.views.detrace_text import ovn_detrace
from ovnparse.views.ofproto_text import ofproto_trace
from ovnparse.views.ovn_trace_text import detailed, minimal, summary

PRINTERS = {"ovn-trace/detailed": detailed, "ovn-trace/summary": summary,
            "ovn-trace/minimal": minimal, "ofproto/trace": ofproto_trace,
            "ovn-detrace": ovn_detrace}


def exercise(text: str, *, views: bool = True) -> list[str]:
    """Run every walk over *text*; the verdicts, in order (raises what escapes).

    *views*: also the frame, the path graph and the HTML card (pandas, networkx:
    slower; the fuzz's long run leaves them to the suite).
    """
    verdicts = []
    for trace in parse_text(text, "fuzz.txt"):
        dump(trace.to_dict(), io.StringIO(), indent=1)
        ex = trace.explain()
        dump(ex.to_dict(), io.StringIO(), indent=2)
        text_view.render([ex])
        printer = PRINTERS.get(trace.format)
        if printer is not None:
            printer(trace)
        step_rows(trace)
        if views:
            trace.to_frame()
            trace.graph()
            trace._repr_html_()
        verdicts.append(str(ex.verdict))
    return verdicts
