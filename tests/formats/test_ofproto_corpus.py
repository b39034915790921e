"""Every ofproto/trace and ovn-detrace output recorded by OVS's and OVN's tests
and documentation (../shared/corpus).

Unfiltered outputs parse with no problem and print back byte for byte (the
tree was rebuilt by the tool's own printing rule), except the ones listed in
NOT_EXACT with the reason; filtered ones (grep/tail in the test) parse as far
as they go and say what is missing.  No input raises.
"""

from __future__ import annotations

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.model import OfPass, OfTable
from ovnparse.views import detrace_text, ofproto_text

from conftest import corpus_entries, needs_corpus

ENTRIES = corpus_entries("ofproto/trace") + corpus_entries("ovn-detrace")
PRINTERS = {"ofproto/trace": ofproto_text.ofproto_trace, "ovn-detrace": detrace_text.ovn_detrace}

_CUT_DOC = "the document stops before the output's 'Datapath actions:' (incomplete)"
_LEGACY = ("ofproto/trace before OVS 2.7 (Rule:/OpenFlow actions=/Resubmitted lines): read "
           "(tables, actions, datapath actions, verdict), not printed back")
# file -> (reason, prints back byte for byte, parses without problems)
NOT_EXACT = {
    "ovn-tests/ovn-util.at-L60.detrace.txt": (
        "OVN's test feeds ovn-detrace a fragment (no Flow:, no Datapath actions:) indented by "
        "hand, not by ofproto/trace's rule: nesting rebuilt from the actions", False, False),
    "ovn-tests-history/ovn-util.at-e80e9e7df-L60.detrace.txt": (
        "OVN's test feeds ovn-detrace a fragment (table lines only): no Datapath actions:",
        True, False),
    "ovn-tests/ovn-util.at-L92.detrace.txt": (
        "ovn-detrace over `ovs-ofctl dump-flows` lines (OVN >= 24.09), not a trace, with "
        "unexpanded shell variables for cookies: not read as flows, though its notes go "
        "back where 24.09's rule (`cookie=`) puts them", True, False),
    "docs/openvswitch_ovs/ovs-advanced.rst-L779.ofproto.txt": (_CUT_DOC, True, False),
    "docs/openvswitch_ovs/faucet.rst-L680.ofproto.txt": (_CUT_DOC, True, False),
    "docs/openvswitch_ovs/faucet.rst-05bf1dbb9-L687.ofproto.txt": (_CUT_DOC, True, False),
    "docs/openvswitch_ovs/faucet.rst-fd0e83552-L731.ofproto.txt": (_CUT_DOC, True, False),
    "docs/openvswitch_ovs/faucet.rst-L1219.ofproto.txt": (
        "the document left out the blank line before bridge(\"br0\")", False, True),
    "docs/openvswitch_ovs/faucet.rst-L1370.ofproto.txt": (
        "the document's first line is the wrapped end of the command line", False, False),
    "docs/kubeovn_docs/underlay.en.md-L302.ofproto.txt": (
        "the output is inside ovs-vswitchd log lines (a log prefix before 'Flow:', blank "
        "lines holding a space, another log line after it)", False, False),
    "docs/amorenoz_ovs-dbg/offline_debugging.rst-L1246.ofproto.txt": (
        "the document lost the leading space of one-digit table numbers and indents one "
        "line by 3 spaces", False, False),
    "docs/antrea-io_antrea/antctl.md-L439.ofproto.txt": (
        "antctl wraps the output in YAML ('result: |', every line indented by 2): read "
        "through the indentation, the YAML line reported", False, False),
    "docs/antrea-io_antrea/antctl.md-ed325d039-L375.ofproto.txt": (
        "antctl wraps the output in YAML ('result: |', every line indented by 2): read "
        "through the indentation, the YAML line reported", False, False),
    "docs/antrea-io_antrea/antctl.md-404da3790-L339.ofproto.txt": (
        "antctl wraps the output in YAML ('result: |', every line indented by 2): read "
        "through the indentation, the YAML line reported", False, False),
    **{name: (_LEGACY, False, True) for name in (
        "docs/openvswitch_ovs/ovs-advanced.rst-e25d4af1e-L332.ofproto.txt",
        "docs/openvswitch_ovs/ovs-advanced.rst-e25d4af1e-L359.ofproto.txt",
        "docs/openvswitch_ovs/ovs-advanced.rst-e25d4af1e-L438.ofproto.txt",
        "docs/openvswitch_ovs/ovs-advanced.rst-e25d4af1e-L468.ofproto.txt",
        "docs/openvswitch_ovs/ovs-advanced.rst-e25d4af1e-L496.ofproto.txt",
        "docs/openvswitch_ovs/Tutorial.md-aff0c4a22-L348.ofproto.txt",
        "docs/openvswitch_ovs/Tutorial.md-aff0c4a22-L432.ofproto.txt",
        "docs/openvswitch_ovs/Tutorial.md-aff0c4a22-L462.ofproto.txt",
        "docs/openvswitch_ovs/Tutorial.md-aff0c4a22-L490.ofproto.txt",
    )},
}


def _parse(corpus_dir, entry):
    text = (corpus_dir / entry["file"]).read_text()
    return text, api.parse_text(text, entry["file"], entry["tool"])


@needs_corpus
def test_corpus_is_there():
    assert len(ENTRIES) > 100
    names = {e["file"] for e in ENTRIES}
    assert set(NOT_EXACT) <= names


def test_how_many_parse_cleanly(corpus_dir):
    """The figure the README states."""
    unfiltered = [e for e in ENTRIES if not e["filtered"] and not e["excerpt"]]
    exact = [e for e in unfiltered if e["file"] not in NOT_EXACT]
    assert (len(unfiltered), len(exact)) == (100, 77)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_output_parses(corpus_dir, entry):
    text, traces = _parse(corpus_dir, entry)
    assert traces
    for trace in traces:
        assert trace.format == entry["tool"]
        ex = explain(trace)  # must not raise
        assert ex.verdict in ("delivered", "flooded", "dropped", "controller", "incomplete")
        for p in trace.problems:
            assert p.source == entry["file"] and p.line >= 1
        if ex.verdict == "dropped":
            assert ex.drop is not None
    printed = "".join(PRINTERS[entry["tool"]](t) for t in traces)
    problems = [p for t in traces for p in t.problems]
    if entry["filtered"] or entry["excerpt"]:
        if any(t.roots and t.roots[-1].datapath_actions is None for t in traces):
            assert any("Datapath actions" in p.message for p in problems)
        return
    reason, prints_back, clean = NOT_EXACT.get(entry["file"], (None, True, True))
    assert (printed == text) == prints_back, reason
    assert (problems == []) == clean, (reason, [str(p) for p in problems[:3]])
    if reason is None:
        assert len(traces) == 1 and all(isinstance(p, OfPass) for p in traces[0].roots)


def test_legacy_format_reads_rules_as_table_steps(corpus_dir):
    entry = next(e for e in ENTRIES
                 if e["file"] == "docs/openvswitch_ovs/ovs-advanced.rst-e25d4af1e-L438.ofproto.txt")
    _, [trace] = _parse(corpus_dir, entry)
    steps = [n for n in trace.walk() if isinstance(n, OfTable)]
    assert [(s.table, s.priority, s.match, s.no_match) for s in steps] == [
        (0, 0, None, False), (1, 99, "in_port=1", False), (2, None, None, True)]
    ex = explain(trace)
    assert ex.verdict == "dropped" and ex.drop.reason_code == "no-match"
