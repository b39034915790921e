"""ovn-trace's forms across releases that the samples (OVN 23.03) do not print.

Mutation tests, said so: a real sample with the lines another release or
another chassis would print instead, written from utilities/ovn-trace.c at
the tag named in each test.
"""

from __future__ import annotations

import re

from ovnparse import api
from ovnparse.model import Error

from conftest import CORPUS, SAMPLES, corpus_entries, needs_corpus

OVS_FORM = (SAMPLES / "acl-ingress-default-deny" / "ovn-trace.ovs.detailed.txt").read_text()


def test_no_openflow_flows_is_a_note_not_the_end():
    """ovn-trace --ovs on a chassis without a logical flow's OpenFlow flows prints
    `*** no OpenFlow flows` under the stage (v25.03.0 trace_openflow) and goes on."""
    first_flows = re.compile(r"(    cookie=0x80da8c7c[^\n]*\n)+")
    text = first_flows.sub("    *** no OpenFlow flows\n", OVS_FORM, count=1)
    assert text != OVS_FORM
    [trace] = api.read_text(text)
    [note] = [n for n in trace.walk() if isinstance(n, Error)]
    assert note.text == "*** no OpenFlow flows" and not note.fatal
    [original] = api.read_text(OVS_FORM)
    assert trace.verdict == original.verdict == "dropped"
    assert trace.drop.stage == original.drop.stage


@needs_corpus
def test_ovs_2_6_prints_no_match_and_no_uuid():
    """OVS 2.6's ovn-trace (ovn/utilities/ovn-trace.c at v2.6.0) printed a table
    without a flow as `13. no match` (or `13. ls_in_l2_lkup: no match`) and a
    table line without `, uuid U`: the same traces, read the same.  (The
    corpus' traces that end at "no match (implicit drop)", mutated.)"""
    tried = 0
    for entry in corpus_entries("ovn-trace"):
        text = (CORPUS / entry["file"]).read_text()
        if entry["format"] != "detailed" or "no match (implicit drop)" not in text:
            continue
        [original] = api.read_text(text)
        old = re.sub(r", uuid [0-9a-f]{8}$", "", text, flags=re.M)
        for form in (r"\1no match", r"\1\2: no match"):
            mutated = re.sub(r"(\d+\. )([a-z_]+) \([^)]*\): no match \(implicit drop\)", form,
                             old)
            [trace] = api.read_text(mutated)
            assert trace.verdict == original.verdict, entry["file"]
            assert [s.no_match for s in trace.steps()] == \
                [s.no_match for s in original.steps()]
            assert [s.priority for s in trace.steps()] == [s.priority for s in original.steps()]
        tried += 1
    assert tried >= 3
