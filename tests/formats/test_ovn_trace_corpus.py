"""Every ovn-trace output recorded by OVN's tests and docs (../shared/corpus).

Unfiltered outputs must print back byte for byte from the parsed tree: that
checks the tree was rebuilt by ovn-trace's own printing rule.  Filtered and
excerpted ones must parse as far as they go, and say where lines are missing.
"""

from __future__ import annotations

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.views import ovn_trace_text

from conftest import corpus_entries, needs_corpus

ENTRIES = corpus_entries("ovn-trace")
PRINTERS = {
    "ovn-trace/detailed": ovn_trace_text.detailed,
    "ovn-trace/summary": ovn_trace_text.summary,
    "ovn-trace/minimal": ovn_trace_text.minimal,
}
# The ovn-trace(8) man page draws its example without ovn-trace's indentation.
HAND_DRAWN = {"docs/ovn-org_ovn/ovn-trace.8.xml-L162.detailed.txt",
              "docs/ovn-org_ovn/ovn-trace.8.xml-85b3544aa-L160.detailed.txt"}


def _form(entry: dict) -> str:
    return "ovn-trace/" + entry["format"].split()[0]


def _parse(corpus_dir, entry):
    text = (corpus_dir / entry["file"]).read_text()
    return text, api.parse_text(text, entry["file"], _form(entry))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_output_parses(corpus_dir, entry):
    text, traces = _parse(corpus_dir, entry)
    assert len(traces) == 1
    trace = traces[0]
    explanation = explain(trace)  # must not raise
    if trace.format == "ovn-trace/error":
        assert explanation.verdict == "error"
        return
    clean = not entry["filtered"] and not entry["excerpt"] and entry["file"] not in HAND_DRAWN
    if clean:
        assert trace.problems == []
        assert PRINTERS[trace.format](trace) == text
    elif entry["excerpt"]:
        assert any("left out" in p.message for p in trace.problems)
    elif entry["file"] in HAND_DRAWN:
        assert trace.problems, "a drawing without indentation must be reported"


@needs_corpus
def test_corpus_is_there():
    assert len(ENTRIES) > 100, "the ovn-trace corpus should be found beside the repo"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["format"] == "minimal"
                                   and not e["filtered"]],
                         ids=lambda e: e["file"])
def test_minimal_outputs_are_the_printed_output_lines(corpus_dir, entry):
    """Outputs are the printed `output("p")` lines, except the ARP/ND requests
    a router sends to resolve a next hop (inside `arp {`/`nd_ns {`): those
    are not the packet, which waits in ovn-controller; nor what follows such
    a request in its block (OVN >= 24.09 pauses the packet there: what ovn-trace
    prints after it is the packet once the next hop is known)."""
    text, [trace] = _parse(corpus_dir, entry)
    printed, resolving_at, held_at = [], None, None
    for line in text.splitlines():
        depth = (len(line) - len(line.lstrip())) // 4
        if resolving_at is not None and depth <= resolving_at:
            held_at, resolving_at = resolving_at, None
        if held_at is not None and depth < held_at:
            held_at = None
        if line.strip() in ("arp {", "nd_ns {") and resolving_at is None:
            resolving_at = depth
        if line.strip().startswith('output("') and resolving_at is None and held_at is None:
            printed.append(line.strip()[len('output("'):-len('");')])
    explanation = explain(trace)
    assert explanation.outputs == list(dict.fromkeys(printed))
    if resolving_at is not None or "arp {" in text or "nd_ns {" in text:
        assert explanation.verdict in ("controller", "delivered", "flooded")
