"""Every ovn-trace sample against what the topology and the databases say.

samples/manifest.json holds, per scenario, the expected verdict, outputs,
datapath hops and drop point, taken by samples/generate.py from the topology
it built and from the Southbound database (never from this parser).  Each
recorded command names which expectation applies to it (`expected` for the
default conntrack state, `expected_ct_new` for --ct=new).
"""

from __future__ import annotations

import json

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.views import ovn_trace_text

from conftest import SAMPLES

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
SCENARIOS = {s["name"]: s for s in MANIFEST["scenarios"]}
RUNS = [(s["name"], c) for s in MANIFEST["scenarios"] for c in s["commands"]
        if c["tool"] == "ovn-trace"]
DROP_FIELDS = ("datapath", "pipeline", "table", "stage", "priority", "match", "lflow",
               "reason_code")
PRINTERS = {"ovn-trace/detailed": ovn_trace_text.detailed,
            "ovn-trace/summary": ovn_trace_text.summary,
            "ovn-trace/minimal": ovn_trace_text.minimal}


def _expected(name: str, command: dict) -> dict:
    return SCENARIOS[name][command["expected"]]


def _traces(command: dict):
    return list(api.parse(SAMPLES / command["file"]))


@pytest.mark.parametrize("name,command", RUNS, ids=[c["file"] for _, c in RUNS])
def test_sample_matches_topology_and_database(name, command):
    expected = _expected(name, command)
    traces = _traces(command)
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
        if trace.format == "ovn-trace/detailed":
            assert {k: got[k] for k in DROP_FIELDS} == {k: want[k] for k in DROP_FIELDS}
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


@pytest.mark.parametrize("name,command", RUNS, ids=[c["file"] for _, c in RUNS])
def test_sample_transforms(name, command):
    expected = _expected(name, command)
    for trace in _traces(command):
        if trace.format != "ovn-trace/detailed":
            continue
        got = explain(trace).transforms
        want = expected.get("transforms", [])
        assert [(t["kind"], t["from"]) for t in got] == [(t["kind"], t["from"]) for t in want]
        for g, w in zip(got, want):
            # ovn-trace prints the backend's port only in a LOG line; without
            # one the address alone is known.
            assert g["to"] in (w["to"], w["to"].rsplit(":", 1)[0]), (g, w)


@pytest.mark.parametrize("name,command", RUNS, ids=[c["file"] for _, c in RUNS])
def test_sample_prints_back_byte_for_byte(name, command):
    text = (SAMPLES / command["file"]).read_text()
    traces = _traces(command)
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


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_detailed_parse_prints_ovn_trace_own_summary(name):
    """The summary printed from the parsed --detailed trace is ovn-trace's --summary."""
    files = {c["file"].rsplit("/", 1)[1]: c for c in SCENARIOS[name]["commands"]}
    for detailed, summary in (("ovn-trace.detailed.txt", "ovn-trace.summary.txt"),
                              ("ovn-trace.ct-new.detailed.txt", "ovn-trace.ct-new.summary.txt")):
        if detailed in files and summary in files:
            [trace] = _traces(files[detailed])
            assert ovn_trace_text.summary(trace) == (SAMPLES / files[summary]["file"]).read_text()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_three_forms_agree(name):
    """The same packet in its three forms: same verdict and outputs."""
    for command in SCENARIOS[name]["commands"]:
        if command["tool"] == "ovn-trace" and command["form"] == "all":
            verdicts = {(explain(t).verdict, tuple(sorted(explain(t).outputs)))
                        for t in _traces(command)}
            assert len(verdicts) == 1, verdicts
