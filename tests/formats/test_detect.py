"""Format detection over every recorded output in the corpus, and mixtures.

Unfiltered outputs must be detected as the tool that printed them (an empty
--minimal output cannot be, and is a clear error without --format).  Filtered
ones (grep'ed fragments) may be undetectable, never detected as another tool.
"""

from __future__ import annotations

import re

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


# An excerpt of a few action lines under a label of its own, then `[...]` and
# the end of the output (as in an ovs-dbg issue: "online ofproto-trace", an
# action and what it did, `-> NXM_NX_TUN_METADATA0[16..30] is now 0x1`, ...,
# `Datapath actions: ...`): every real ofproto/trace sample, cut that way
# (mutated here), is still read as ofproto/trace, and its datapath actions'
# outputs still decide the verdict.
def _excerpts():
    table = re.compile(r"\s*\d+\. ")
    for path in sorted(SAMPLES.glob("*/ofproto-trace.*.txt")):
        lines = path.read_text().splitlines()
        at = next((i for i in range(len(lines) - 4)
                   if lines[i + 1].lstrip().startswith("-> ")
                   and not any(table.match(t) or not t.strip() for t in lines[i:i + 4])), None)
        if at is not None:
            yield pytest.param(path, at, id=f"{path.parent.name}/{path.name}")


@pytest.mark.parametrize("path,start", list(_excerpts()))
def test_an_excerpt_from_inside_the_actions_is_ofproto_trace(path, start, tmp_path):
    lines = path.read_text().splitlines()
    excerpt = tmp_path / "excerpt.txt"
    tail = next(i for i, t in enumerate(lines) if t.startswith("Final flow: "))
    kept = ["online ofproto-trace", *lines[start:start + 4], "", "[...]", "", *lines[tail:]]
    excerpt.write_text("\n".join(kept) + "\n")
    [whole] = api.read(path)
    traces = api.read(excerpt)
    assert [t.format for t in traces] == ["ofproto/trace"]
    want = explain(whole)
    got = explain(traces[0])
    if want.verdict in ("delivered", "flooded"):
        assert got.verdict == want.verdict
    else:
        assert got.verdict in (want.verdict, "incomplete")
