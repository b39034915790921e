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


BLOCKED_DROPS = sorted(p for p in SAMPLES.glob("*/ovn-trace*.detailed.txt")
                       if "    ct_commit { ct_mark.blocked = 1; };\n" in p.read_text())


def test_the_2018_blocked_commit_ends_an_acl_drop():
    """Before ACL logging and ct_mark (OVN 2.9-2.11, ovn-northd.c build_acls), an
    ACL's drop of an established connection printed only
    `ct_commit(ct_label=0x1/0x1);` (the blocked bit of ct_label) and nothing
    after it: the trace ends there, dropped at that stage.  Mutation: each real
    sample whose ACL drop commits `ct_mark.blocked = 1`, ended at that line in
    the old form."""
    assert BLOCKED_DROPS
    for path in BLOCKED_DROPS:
        text = path.read_text()
        head = text[:text.index("    ct_commit { ct_mark.blocked = 1; };\n")]
        old = head + "    ct_commit(ct_label=0x1/0x1);\n"
        [trace] = api.read_text(old)
        ex = trace.explain()
        stage = re.findall(r"^ *\d+\. (\w+) \(", head, re.M)[-1]  # (the stage it is in)
        assert ex.verdict == "dropped", path
        assert ex.drop.stage == stage, path
        # (the same text ended anywhere else in that stage is cut: incomplete)
        [cut] = api.read_text(head)
        assert cut.explain().verdict == "incomplete", path
