"""Every ovn-trace sample against what the topology and the databases say.

samples/manifest.json holds, per scenario, the expected verdict, outputs,
datapath hops and drop point, taken by samples/generate.py from the topology
it built and from the Southbound database (never from this parser).  Each
recorded command names which expectation applies to it (`expected` for the
default conntrack state, `expected_ct_new` for --ct=new).

The samples of OVN 25.03 (samples/ovn-25.03/) run through the same tests;
those about verdicts and drops are expected to fail for them until the
analysis knows ACL tiers (issue 8), those about parsing and printing must pass.
"""

from __future__ import annotations


import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.views import ovn_trace_text

from conftest import sample_manifests

MANIFESTS = sample_manifests()
BASES = {rel: base for rel, (base, _m) in MANIFESTS.items()}
SCENARIOS = {(rel, s["name"]): s for rel, (_b, m) in MANIFESTS.items() for s in m["scenarios"]}
RUNS = [(rel, s["name"], c) for rel, (_b, m) in MANIFESTS.items() for s in m["scenarios"]
        for c in s["commands"] if c["tool"] == "ovn-trace"]
NAMES = sorted({(rel, name) for rel, name, _c in RUNS})


def _params(items):
    """pytest params over (release, ...), named by release and file."""
    return [pytest.param(*item, id="/".join(
        [item[0], item[-1]["file"] if isinstance(item[-1], dict) else item[-1]]))
        for item in items]


DROP_FIELDS = ("datapath", "pipeline", "table", "stage", "priority", "match", "lflow",
               "reason_code")
PRINTERS = {"ovn-trace/detailed": ovn_trace_text.detailed,
            "ovn-trace/summary": ovn_trace_text.summary,
            "ovn-trace/minimal": ovn_trace_text.minimal}


def _expected(rel: str, name: str, command: dict) -> dict:
    return SCENARIOS[rel, name][command["expected"]]


def _traces(rel: str, command: dict):
    return list(api.parse(BASES[rel] / command["file"]))


@pytest.mark.parametrize("rel,name,command", _params(RUNS))
def test_sample_matches_topology_and_database(rel, name, command):
    expected = _expected(rel, name, command)
    traces = _traces(rel, command)
    forms = [t.format for t in traces]
    if command["form"] == "all":
        assert forms == ["ovn-trace/detailed", "ovn-trace/summary", "ovn-trace/minimal"]
    else:
        assert forms == [f"ovn-trace/{command['form']}"]
    for trace in traces:
        ex = explain(trace)
        assert trace.problems == [], trace.problems
        assert ex.verdict == expected["verdict"], (trace.format, ex.warnings)
        assert sorted(ex.outputs) == sorted(expected["outputs"])
        if trace.format == "ovn-trace/minimal":
            assert ex.datapaths is None
        else:
            assert ex.datapaths == expected["datapaths"]
        if expected.get("drop") is None:
            assert ex.drop is None
            continue
        want = expected["drop"]
        got = ex.drop.to_dict()
        acted = None
        if want.get("acl_flow"):
            # OVN >= 23.06: the ACL's acl_eval flow is the drop point; the
            # acl_action flow that acted on its verdict is named beside it.
            acted, want = want, {**want, **want["acl_flow"]}
        if trace.format == "ovn-trace/detailed":
            assert {k: got[k] for k in DROP_FIELDS} == {k: want[k] for k in DROP_FIELDS}
            if acted is not None:
                assert {k: got["acl_action"][k] for k in ("stage", "table", "priority", "lflow")} \
                    == {k: acted[k] for k in ("stage", "table", "priority", "lflow")}
        else:
            # The short forms print no tables: only what they show is filled.
            assert (got["table"], got["stage"], got["lflow"]) == (None, None, None)
            if trace.format == "ovn-trace/summary":
                assert (got["datapath"], got["pipeline"]) == (want["datapath"], want["pipeline"])
        if want.get("acl_name") and any(l["name"] == want["acl_name"]
                                        for l in expected.get("acl_logs", [])):
            # The ACL's name is in the trace only when the ACL logs.
            assert want["acl_name"] in got["reason"]
            assert got["reason_code"] == want["reason_code"]


@pytest.mark.parametrize("rel,name,command", _params(RUNS))
def test_sample_transforms(rel, name, command):
    expected = _expected(rel, name, command)
    for trace in _traces(rel, command):
        if trace.format != "ovn-trace/detailed":
            continue
        got = explain(trace).transforms
        want = expected.get("transforms", [])
        assert [(t["kind"], t["from"]) for t in got] == [(t["kind"], t["from"]) for t in want]
        for g, w in zip(got, want):
            # ovn-trace prints the backend's port only in a LOG line; without
            # one the address alone is known.
            assert g["to"] in (w["to"], w["to"].rsplit(":", 1)[0]), (g, w)


@pytest.mark.parametrize("rel,name,command", _params(RUNS))
def test_sample_prints_back_byte_for_byte(rel, name, command):
    text = (BASES[rel] / command["file"]).read_text()
    traces = _traces(rel, command)
    if command["form"] == "all":
        markers = ["# Detailed trace.\n", "# Summary trace.\n", "# Minimal trace.\n"]
        header = "# " + traces[0].microflow + "\n"
        printed = header + "".join(
            marker + PRINTERS[t.format](t).split("\n", 1)[1]
            for marker, t in zip(markers, traces))
    else:
        [trace] = traces
        printed = PRINTERS[trace.format](trace)
    assert printed == text


@pytest.mark.parametrize("rel,name", _params(NAMES))
def test_detailed_parse_prints_ovn_trace_own_summary(rel, name):
    """The summary printed from the parsed --detailed trace is ovn-trace's --summary."""
    files = {c["file"].rsplit("/", 1)[1]: c for c in SCENARIOS[rel, name]["commands"]}
    for detailed, summary in (("ovn-trace.detailed.txt", "ovn-trace.summary.txt"),
                              ("ovn-trace.ct-new.detailed.txt", "ovn-trace.ct-new.summary.txt")):
        if detailed in files and summary in files:
            [trace] = _traces(rel, files[detailed])
            assert ovn_trace_text.summary(trace) == \
                (BASES[rel] / files[summary]["file"]).read_text()


@pytest.mark.parametrize("rel,name", _params(NAMES))
def test_three_forms_agree(rel, name):
    """The same packet in its three forms: same verdict and outputs."""
    for command in SCENARIOS[rel, name]["commands"]:
        if command["tool"] == "ovn-trace" and command["form"] == "all":
            verdicts = {(explain(t).verdict, tuple(sorted(explain(t).outputs)))
                        for t in _traces(rel, command)}
            assert len(verdicts) == 1, verdicts
