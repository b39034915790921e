"""ovn-trace --detailed saved without its table numbers (formats/ovn_trace.py).

Mutation test, said so: real samples with the `%2d. ` of every table line taken
out, as whoever saved them did (commit e6083bb reads such a line as a table line,
at the column of its actions).  What must hold: each such line is a table step
with no number (`table` None), the summary printed from the parse is still
ovn-trace's own `--summary` for the same packet, and the detailed view prints
the text back as it was saved.
"""

from __future__ import annotations

import re

import pytest

from ovnparse import api
from ovnparse.model import Stage
from ovnparse.views import ovn_trace_text

from conftest import SAMPLES

#: the table number of a table line (one ending `, priority P, uuid U`), with its pad
_NUMBER = re.compile(r"(?m)^( *)[ \d]\d\. (?=.*, priority -?\d+, uuid [0-9a-f]{8}$)")


@pytest.mark.parametrize("rel", ["pod-to-pod-cross-node", "icmp-echo-router",
                                 "ovn-25.03/north-south-snat"])
def test_table_lines_saved_without_numbers(rel):
    base = SAMPLES / rel
    text, tables = _NUMBER.subn(r"\1", (base / "ovn-trace.detailed.txt").read_text())
    assert tables > 10
    [trace] = api.parse_text(text, "numberless.txt")
    assert trace.problems == []
    steps = list(trace.steps())
    assert len(steps) == tables
    assert all(isinstance(s, Stage) and s.table is None for s in steps)
    # the lflow uuids, in printed order, as the text has them
    assert [s.lflow for s in steps] == re.findall(r"(?m), uuid ([0-9a-f]{8})$", text)
    assert ovn_trace_text.summary(trace) == (base / "ovn-trace.summary.txt").read_text()
    assert ovn_trace_text.detailed(trace) == text
