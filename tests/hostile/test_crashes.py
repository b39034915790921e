"""Issue 10, the tracebacks: inputs that ended in an exception (a ValueError or
IndexError from a parser's assumption) before the fixes.  Each is a real sample
mutated in one place (said here), run through every walk a reader of the results
makes (hostile_exercise.exercise) and through the CLI.
"""

from __future__ import annotations

import pytest
from conftest import SAMPLES
from hostile_exercise import exercise

from ovnparse.analysis.openflow import _recirc_key
from ovnparse.analysis.steps import _metadata_hex
from ovnparse.cli import main
from ovnparse.model.openflow import OfThaw


def _sample(name: str, old: str, new: str, count: int = 1) -> str:
    text = (SAMPLES / name).read_text()
    assert old in text
    return text.replace(old, new, count)


CASES = {
    # ValueError in analysis/openflow._recirc_key (int('abc'))
    "recirc-not-a-number": ("pod-to-pod-same-node/ofproto-trace.ct-est.txt",
                            "recirc(0x3)", "recirc(abc)"),
    "recirc-empty-first": ("pod-to-pod-same-node/ofproto-trace.ct-est.txt",
                           "recirc(0x3)", "recirc(,0x2)"),
    # IndexError in formats/ovn_trace.parse_braces (a line that is only ';')
    "summary-lone-semicolon": ("acl-ingress-default-deny/ovn-trace.summary.txt",
                               "    next;\n", "    ;\n"),
    "minimal-lone-semicolon": ("acl-ingress-default-deny/ovn-trace.minimal.txt",
                               "    reg0[6] = 0;\n", "    ;\n"),
    # ValueError in model/openflow.OfThaw.resume_table (int('0x'))
    "resume-table-not-a-number": ("acl-egress-allowed-dns/ovn-detrace.txt",
                                  "Resuming from table 15", "Resuming from table 0x"),
    # ValueError in analysis/steps._metadata (int('085', 0))
    "metadata-leading-zero": ("acl-egress-allowed-dns/ovn-detrace.txt",
                              "metadata=0x3", "metadata=085"),
    # ... and in views/graph._sets_metadata (a path graph)
    "set-metadata-leading-zero": ("acl-egress-allowed-dns/ovn-detrace.txt",
                                  "set_field:0x3->metadata", "set_field:085->metadata"),
    # a table line right after `Resuming from table N` (ofproto's _table)
    "table-after-resume": ("acl-egress-allowed-dns/ofproto-trace.ct-new.txt",
                           "        Resuming from table 15\n",
                           "        Resuming from table 15\n        15. priority 0\n"),
    "table-after-resume-stripped": ("acl-egress-allowed-dns/ovn-detrace.txt",
                                    "Resuming from table 15\n",
                                    "Resuming from table 15\n15. priority 0\n"),
    # IndexError in formats/ofproto/stripped._table: a stripped ovn-detrace pass whose
    # `thaw` line is gone, a table line right after `Resuming from table N`
    "table-after-resume-without-thaw": ("acl-egress-allowed-dns/ovn-detrace.txt",
                                        "thaw\nResuming from table 15\n",
                                        "\nResuming from table 15\n"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_no_traceback(case, tmp_path, capsys):
    name, old, new = case
    text = _sample(name, old, new, count=-1 if "metadata" in old else 1)
    verdicts = exercise(text)
    assert verdicts
    path = tmp_path / "t.txt"
    path.write_text(text)
    for argv in (["explain", str(path)], ["parse", str(path)]):
        assert main(argv) == 0
        err = capsys.readouterr().err
        assert "internal error" not in err


def test_what_the_parsers_assumed_is_read_as_written():
    assert _recirc_key("0x2F") == "0x2f" and _recirc_key("47") == "0x2f"
    assert _recirc_key("abc") == "abc" and _recirc_key(",0x2") == ",0x2"
    assert OfThaw("Resuming from table 15", 1).resume_table == 15
    assert OfThaw("Resuming from table 0x", 1).resume_table is None
    assert OfThaw("Resuming from table ", 1).resume_table is None
    # OVS prints metadata in hex; a decimal with leading zeros is read as decimal
    assert _metadata_hex("metadata=085") == "0x55"
    assert _metadata_hex("ip,metadata=0x3") == "0x3"


def test_the_lone_semicolon_is_reported_on_its_line():
    text = _sample("acl-ingress-default-deny/ovn-trace.summary.txt", "    next;\n", "    ;\n")
    from ovnparse.api import parse_text
    trace, = parse_text(text)
    assert [p.line for p in trace.problems if "empty action" in p.message] == [4]


LONG = "9" * 10_000  # (int() refuses 4,300 digits and more)


@pytest.mark.parametrize("name,old,new", [
    ("acl-egress-allowed-dns/ovn-detrace.txt", "Resuming from table 15",
     "Resuming from table " + LONG),  # found by benchmarks/fuzz_long.py
    ("acl-egress-allowed-dns/ofproto-trace.ct-est.txt", "15. ct_state", LONG + ". ct_state"),
    ("acl-egress-allowed-dns/ofproto-trace.ct-est.txt", "priority 4,", f"priority {LONG},"),
    ("acl-egress-allowed-dns/ovn-detrace.txt", "metadata=0x3", "metadata=" + LONG),
    ("pod-to-pod-same-node/ofproto-trace.ct-est.txt", "recirc(0x3)", f"recirc({LONG})"),
    ("acl-ingress-default-deny/ovn-trace.detailed.txt", " 4. ls_in_pre_acl",
     LONG + ". ls_in_pre_acl"),
    ("acl-ingress-default-deny/ovn-trace.detailed.txt", "priority 100,", f"priority {LONG},"),
], ids=["resume-table", "openflow-table", "openflow-priority", "metadata", "recirc",
        "logical-table", "logical-priority"])
def test_numbers_longer_than_int_reads(name, old, new):
    text = _sample(name, old, new)
    assert exercise(text.encode())
