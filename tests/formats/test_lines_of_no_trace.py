"""Lines that belong to no trace (issue 9, item 5).

Mutation tests, said so: real samples with notes a person typed around them
(prose, a log line, a YAML key).  What must hold, written before the change:
a file that holds at least one trace is read (exit 0), its traces are the
same as without the notes, and every note line is named in a warning; exit 2
only when nothing in the file is a trace.
"""

from __future__ import annotations

import pytest

from ovnparse import api

from conftest import SAMPLES

SAMPLE = SAMPLES / "acl-ingress-default-deny"
NOTES = ["we saw drops at 10:02 after the policy change",
         "pod test-6459 cannot reach web",
         "status: Running",
         "I think this is the default deny"]


def _shape(traces):
    return [(t.format, t.explain().verdict, [n.text for n in t.walk()]) for t in traces]


@pytest.mark.parametrize("count", [1, 2, 4])
@pytest.mark.parametrize("name", ["ovn-trace.detailed.txt", "ovn-trace.summary.txt",
                                  "ovn-trace.minimal.txt", "ofproto-trace.ct-new.txt",
                                  "ovn-detrace.txt"])
def test_notes_before_the_first_trace_are_a_warning(name, count):
    text = (SAMPLE / name).read_text()
    notes = (NOTES * 2)[:count * 2]
    traces = api.read_text("\n".join(notes) + "\n\n" + text)
    assert _shape(traces) == _shape(api.read_text(text))
    first = traces[0].problems[0]
    assert first.line == 1 and f"{len(notes)} line(s) before the first trace" in first.message
    assert traces[0].first_line == len(notes) + 2


@pytest.mark.parametrize("name", ["ovn-trace.summary.txt", "ovn-trace.minimal.txt"])
def test_notes_between_traces_of_the_short_forms_are_skipped_and_said(name):
    text = (SAMPLE / name).read_text()
    traces = api.read_text(text + NOTES[0] + "\n" + NOTES[1] + "\n" + text)
    plain = api.read_text(text + text)
    assert _shape(traces) == _shape(plain)
    said = [p for p in traces[0].problems if "not ovn-trace text" in p.message]
    assert [p.line for p in said] == [text.count("\n") + 1, text.count("\n") + 2]


def test_a_file_with_a_trace_among_notes_exits_0_and_one_without_exits_2(cli, tmp_path):
    with_trace = tmp_path / "incident.txt"
    with_trace.write_text("\n".join(NOTES) + "\n" + (SAMPLE / "ovn-trace.minimal.txt").read_text()
                          + "\n".join(NOTES) + "\n")
    run = cli("explain", with_trace)
    assert run.returncode == 0, run.stderr
    assert "line(s) before the first trace" in run.stdout
    notes_only = tmp_path / "notes.txt"
    notes_only.write_text("\n".join(NOTES * 3) + "\n")
    run = cli("explain", notes_only)
    assert run.returncode == 2
    assert "notes.txt:1: not a known trace format" in run.stderr


def test_indented_lines_before_a_cut_trace_are_its_text_not_notes():
    """`grep -v cookie trace | tail -5` (mutation test, said so): the first
    line left is an indented action of the trace, not a note."""
    text = (SAMPLES / "pod-to-pod-same-node" / "ofproto-trace.ct-new.txt").read_text()
    tail = "\n".join([t for t in text.splitlines() if "cookie" not in t][-5:]) + "\n"
    assert tail.startswith(" ")
    trace, = api.read_text(tail)
    assert not any("no trace's text" in p.message for p in trace.problems)
    assert trace.first_line == 1
