"""ovn-trace against ofproto/trace / ovn-detrace of the same packet.

For every scenario, the pairs whose expected verdicts (from the manifest:
topology and databases) agree must compare as the same; the pairs that
disagree must get a known reason, never "no known cause".
"""

from __future__ import annotations

import json

import pytest

from ovnparse import api
from ovnparse.analysis.compare import compare
from ovnparse.cli import main

from conftest import SAMPLES

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
# (logical file, its expectation, OpenFlow file, its expectation)
PAIRS = [
    ("ovn-trace.ct-new.detailed.txt", "expected_ct_new", "ofproto-trace.ct-new.txt", "expected_openflow"),
    ("ovn-trace.ct-new.detailed.txt", "expected_ct_new", "ovn-detrace.txt", "expected_openflow"),
    ("ovn-trace.detailed.txt", "expected", "ofproto-trace.ct-est.txt", "expected_openflow_ct_est"),
    ("ovn-trace.detailed.txt", "expected", "ofproto-trace.ct-new.txt", "expected_openflow"),
]
CASES = []
for scenario in MANIFEST["scenarios"]:
    files = {c["file"].rsplit("/", 1)[1] for c in scenario["commands"]}
    for logical, lexp, openflow, oexp in PAIRS:
        if {logical, openflow} <= files and scenario.get(lexp) and scenario.get(oexp):
            CASES.append((scenario, logical, lexp, openflow, oexp))


@pytest.mark.parametrize("scenario,logical,lexp,openflow,oexp", CASES,
                         ids=[f"{c[0]['name']}:{c[1]}~{c[3]}" for c in CASES])
def test_pairs_agree_or_say_why(scenario, logical, lexp, openflow, oexp):
    [a] = api.parse(SAMPLES / scenario["name"] / logical)
    b = next(iter(api.parse(SAMPLES / scenario["name"] / openflow)))
    result = compare(a, b)
    should_agree = scenario[lexp]["verdict"] == scenario[oexp]["verdict"]
    assert result.same == should_agree
    if not should_agree:
        assert result.reasons and not result.reasons[0].startswith("no known cause")


def test_there_are_pairs_that_differ():
    assert any(c[0][c[2]]["verdict"] != c[0][c[4]]["verdict"] for c in CASES)


def test_compare_command(capsys):
    d = SAMPLES / "service-no-endpoints-reject"
    code = main(["compare", "--json", str(d / "ovn-trace.detailed.txt"),
                 str(d / "ofproto-trace.ct-new.txt")])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["same"] is False
    assert any(r.startswith("conntrack") for r in out["reasons"])
