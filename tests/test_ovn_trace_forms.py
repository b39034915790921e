"""ovn-trace's forms across releases that the samples (OVN 23.03) do not print.

Mutation tests, said so: a real sample with the lines another release or
another chassis would print instead, written from utilities/ovn-trace.c at
the tag named in each test.
"""

from __future__ import annotations

import re

from ovnparse import api
from ovnparse.model import Error

from conftest import SAMPLES

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
