"""ovn-detrace's printing forms.

OVN <= 24.03 (the 23.03 samples) prints every line it copies stripped and its
notes at two or three spaces; 24.09 - 25.03 still strip, and also print at
lines with `cookie=0x` (commit e80e9e7df); since OVN 25.09 (commit 523e05dcd,
"Adjust the indentation of ovn-detrace output") it keeps the indentation and
indents the notes to the level of the last line that asked for them (the
26.03 samples are real outputs of that form).  `detrace_2509` below replays
that version's main loop (utilities/ovn_detrace.py.in at v25.09.0) over a
real ofproto/trace sample, with the records the 23.03 sample printed for each
cookie, so that every sample can be tried in that form.
"""

from __future__ import annotations

import re

import pytest

from ovnparse import api
from ovnparse.formats.detrace_rules import logical_flow, note_fields
from ovnparse.analysis import explain
from ovnparse.model import OfTable
from ovnparse.formats.ovn_detrace import note_node
from ovnparse.views import detrace_text, ofproto_text

from conftest import SAMPLES

COOKIE = re.compile(r"^.*cookie[ =]0x([0-9a-fA-F]+)")
TABLE_ID = re.compile(r"^ *[0-9]+\.")
SCENARIOS = ["acl-egress-deny", "north-south-snat", "broadcast-udp-flood",
             "acl-ingress-default-deny", "pod-to-pod-cross-node"]


def _records(detrace_2303: str) -> dict[str, list[tuple[bool, str]]]:
    """cookie -> [(print_h?, text after '* ')] as the 23.03 output shows them."""
    [trace] = api.parse_text(detrace_2303, "d.txt", "ovn-detrace")
    out: dict[str, list[tuple[bool, str]]] = {}
    for node in trace.walk():
        if isinstance(node, OfTable) and node.annotations:
            out[node.cookie[2:]] = [(n.indent == 3, n.text[2:]) for n in node.annotations]
    return out


def detrace_2509(trace_text: str, records: dict) -> str:
    """OVN 25.09's ovn-detrace main loop, without the databases."""
    out: list[str] = []
    level = 0
    cookies: list[str] = []
    lines = trace_text.split("\n")[:-1] + [None]
    for line in lines:
        text = "" if line is None else line + "\n"
        if cookies and (TABLE_ID.match(text) or text.strip() == "" or COOKIE.match(text)):
            for cookie in cookies:
                for hint, body in records.get(cookie, []):
                    out.append(" " * (level * 4 + (3 if hint else 2)) + "* " + body)
            cookies = []
        out.append(text.rstrip())
        if line is None:
            break
        m = COOKIE.match(text)
        if m:
            level = (len(text) - len(text.lstrip(" "))) // 4
            cookies.append(m.group(1))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("name", SCENARIOS)
def test_indentation_kept_form_reads_and_prints_back(name):
    original = (SAMPLES / name / "ofproto-trace.ct-new.txt").read_text()
    text = detrace_2509(original, _records((SAMPLES / name / "ovn-detrace.txt").read_text()))
    [trace] = api.parse_text(text, "d2509.txt")  # detected as ovn-detrace
    assert trace.format == "ovn-detrace"
    assert trace.problems == []
    assert not any(p.stripped for p in trace.roots)
    assert detrace_text.ovn_detrace(trace) == text
    [plain] = api.parse_text(original, "o.txt")
    assert _shape(trace) == _shape(plain)
    [old] = api.parse_text((SAMPLES / name / "ovn-detrace.txt").read_text(), "d.txt")
    assert _notes(trace) == _notes(old)
    assert explain(trace).verdict == explain(old).verdict


def _shape(trace) -> list:
    return [(n.kind, n.text, getattr(n, "chained", None))
            for n in trace.walk()]


def _notes(trace) -> list:
    return [(n.text, [(a.what, a.body) for a in n.annotations])
            for n in trace.walk() if isinstance(n, OfTable) and n.annotations]


def test_a_note_line():
    n = note_node('  *     "ovn-worker" (7c21e25c-964d-4208-b119-fffede5c6b42) [ingress]', 9)
    assert (n.what, n.indent, n.hint) == ("datapath", 2, False)
    assert note_fields(n) == {"name": "ovn-worker", "uuid": "7c21e25c-964d-4208-b119-fffede5c6b42",
                          "pipeline": "ingress"}
    acl = note_node("   * ACL: from-lport, priority=1000, match=(inport == @pg), drop (log)", 3)
    assert (acl.what, acl.hint) == ("acl", True)
    assert note_fields(acl) == {"direction": "from-lport", "priority": 1000,
                            "match": "inport == @pg", "action": "drop", "log": True}
    lf = note_node("  * Logical flow: table=17 (ls_in_acl_after_lb), priority=2000, "
                   "match=(reg0[9] == 1 && (inport == @a)), actions=(/* drop */)", 1)
    assert note_fields(lf) == {"table": 17, "stage": "ls_in_acl_after_lb", "priority": 2000,
                           "match": "reg0[9] == 1 && (inport == @a)", "actions": "/* drop */"}
    pb = note_node('  * Port Binding: logical_port "breth0_ovn-worker", tunnel_key 2, ', 1)
    assert note_fields(pb)["logical_port"] == "breth0_ovn-worker" and note_fields(pb)["chassis"] is None


def test_notes_go_to_the_line_that_asked_for_them():
    """A table's notes print after its own actions, before the first table it
    resubmits to: they belong to the table line above, not the one below."""
    text = (SAMPLES / "acl-egress-deny" / "ovn-detrace.txt").read_text()
    [trace] = api.parse_text(text, "d.txt")
    t22 = next(n for n in trace.walk() if isinstance(n, OfTable) and n.table == 22)
    lf = logical_flow(t22)
    assert (lf["table"], lf["stage"]) == (14, "ls_in_pre_hairpin")
    t68 = next(n for n in trace.walk() if isinstance(n, OfTable) and n.table == 68)
    assert t68.annotations == ()  # no cookie: nothing looked up
