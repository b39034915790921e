"""Format detection over every recorded output in the corpus, and mixtures.

Unfiltered outputs must be detected as the tool that printed them (an empty
--minimal output cannot be, and is a clear error without --format).  Filtered
ones (grep'ed fragments) may be undetectable, never detected as another tool.
"""

from __future__ import annotations

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.formats.detect import detect
from ovnparse.lines import read_blocks

from conftest import SAMPLES, corpus_entries

TOOLS = {"ovn-trace", "ofproto/trace", "ovn-detrace", "ovnkube-trace"}
ENTRIES = [e for e in corpus_entries() if e["tool"] in TOOLS]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_output_is_detected_as_its_tool(corpus_dir, entry):
    with open(corpus_dir / entry["file"], "rb") as f:
        blocks = list(read_blocks(f))
    lines = [line for b in blocks for line in b.lines][:64]
    found = detect(lines, any(b.klog for b in blocks))
    if entry["filtered"] or not any(l.strip() for l in lines):
        assert found in (entry["tool"], None)
    else:
        assert found == entry["tool"]


def test_a_file_of_several_tools_outputs_is_cut_between_them(tmp_path):
    """An ovn-trace, then the ofproto/trace, then the ovn-detrace of one packet,
    saved into one file (real sample outputs, concatenated)."""
    d = SAMPLES / "acl-ingress-default-deny"
    parts = ["ovn-trace.ct-new.detailed.txt", "ofproto-trace.ct-new.txt", "ovn-detrace.txt",
             "ovn-trace.summary.txt"]
    texts = [(d / p).read_text() for p in parts]
    path = tmp_path / "incident.txt"
    path.write_text("".join(texts))
    traces = list(api.parse(path))
    assert [t.format for t in traces] == ["ovn-trace/detailed", "ofproto/trace",
                                          "ovn-detrace", "ovn-trace/summary"]
    starts = [1]
    for text in texts[:-1]:
        starts.append(starts[-1] + text.count("\n"))
    assert [t.first_line for t in traces] == starts
    for trace, part in zip(traces, parts):
        [alone] = api.parse(d / part)
        assert explain(trace).verdict == explain(alone).verdict == "dropped"
