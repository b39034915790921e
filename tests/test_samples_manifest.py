"""samples/manifest.json is consistent with the files and databases beside it.

No trace is parsed here: these tests check that what samples/generate.py
recorded is complete and that the expected values point at real rows of the
saved databases.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MANIFEST = SAMPLES / "manifest.json"
VERDICTS = {"delivered", "flooded", "dropped", "controller", "incomplete", "error"}
REASONS = {"acl", "port-security", "no-route", "no-match", "ttl", "reject", "other"}
DROP_KEYS = {"datapath", "pipeline", "table", "stage", "priority", "match", "lflow", "reason_code"}

HAVE_OVSDB_TOOL = shutil.which("ovsdb-tool") is not None
needs_ovsdb_tool = pytest.mark.skipif(not HAVE_OVSDB_TOOL, reason="ovsdb-tool not installed")

if not MANIFEST.exists():
    pytest.skip("samples/manifest.json not generated (python samples/generate.py)",
                allow_module_level=True)

M = json.loads(MANIFEST.read_text())
SCENARIOS = M["scenarios"]
IDS = [s["name"] for s in SCENARIOS]


def _expectations(sc):
    for key in ("expected", "expected_ct_new"):
        if sc.get(key):
            yield key, sc[key]


def test_top_level():
    assert M["generator"] == "samples/generate.py"
    assert M["failures"] == [], "the last generate run had tool failures"
    for tool in ("ovn-trace", "ovs-vswitchd"):
        assert M["versions"][tool] and not M["versions"][tool].startswith("error")
    assert "ovn-trace" in M["versions"]["ovn-trace"]
    assert len(IDS) == len(set(IDS)), "duplicate scenario names"
    assert len(SCENARIOS) >= 15
    assert set(M["verdicts"]) == VERDICTS


def test_known_tool_failures_are_described():
    for f in M.get("known_tool_failures", []):
        assert f["argv"] and f["explanation"] and f["stderr_tail"]
        assert f["status"] != 0
        assert f["scenario"] not in IDS


@pytest.mark.parametrize("sc", SCENARIOS, ids=IDS)
def test_scenario_shape(sc):
    assert sc["description"]
    assert sc["db_state"] in M["db_states"]
    assert sc["db"] == {"nb": M["db_states"][sc["db_state"]]["nb"],
                        "sb": M["db_states"][sc["db_state"]]["sb"]}
    assert sc["microflow"].startswith("inport == ")
    tools = {c["tool"] for c in sc["commands"]}
    assert "ovn-trace" in tools
    forms = {c["form"] for c in sc["commands"] if c["tool"] == "ovn-trace" and c["ct"] == "default"
             and not c.get("ovs")}
    assert forms == {"detailed", "summary", "minimal", "all"}
    if sc["openflow_flow"]:
        assert {"ofproto/trace", "ovn-detrace"} <= tools
        assert sc["openflow_flow"].startswith("in_port=")
        assert sc["expected_openflow"] and sc["expected_openflow"]["verdict"] in VERDICTS


@pytest.mark.parametrize("sc", SCENARIOS, ids=IDS)
def test_expected_values(sc):
    assert sc["expected"], "every scenario has expected values"
    for key, exp in _expectations(sc):
        assert exp["verdict"] in VERDICTS, key
        assert isinstance(exp["outputs"], list) and isinstance(exp["datapaths"], list), key
        assert exp["datapaths"], key
        for a, b in zip(exp["datapaths"], exp["datapaths"][1:]):
            assert a != b, f"{key}: one visit per datapath in a row"
        if exp["verdict"] == "delivered":
            assert len(exp["outputs"]) == 1, key
        elif exp["verdict"] == "flooded":
            assert len(exp["outputs"]) >= 2, key
        else:
            assert exp["outputs"] == [], key
        if exp["verdict"] == "dropped":
            drop = exp["drop"]
            assert DROP_KEYS <= set(drop), key
            assert drop["reason_code"] in REASONS
            assert drop["pipeline"] in ("ingress", "egress")
            assert len(drop["lflow"]) == 8 and drop["lflow_uuid"].startswith(drop["lflow"])
            assert drop["datapath"] in exp["datapaths"]
            if drop["reason_code"] == "acl":
                assert drop["acl_name"]
        else:
            assert exp["drop"] is None, key
        for t in exp["transforms"]:
            assert t["kind"] in ("lb", "snat", "dnat") and t["from"] and t["to"]
        if sc["lb_dst"]:
            assert any(t["kind"] == "lb" for t in exp["transforms"])


@pytest.mark.parametrize("sc", SCENARIOS, ids=IDS)
def test_every_referenced_file_exists_and_matches(sc):
    seen = set()
    for cmd in sc["commands"]:
        path = SAMPLES / cmd["file"]
        assert path.is_file(), cmd["file"]
        data = path.read_bytes()
        assert len(data) == cmd["bytes"] and hashlib.sha256(data).hexdigest() == cmd["sha256"]
        assert data, f"{cmd['file']} is empty"
        assert isinstance(cmd["argv"], list) and all(isinstance(a, str) for a in cmd["argv"])
        assert cmd["expected"] in sc and sc[cmd["expected"]] is not None, cmd["file"]
        if "stdin" in cmd:
            assert (SAMPLES / cmd["stdin"]).is_file()
        seen.add(path.name)
    on_disk = {p.name for p in (SAMPLES / sc["name"]).iterdir() if not p.name.startswith(".")}
    assert on_disk == seen, "files not listed in the manifest"


def test_ovn_trace_argv_carry_the_microflow():
    for sc in SCENARIOS:
        for cmd in sc["commands"]:
            if cmd["tool"] == "ovn-trace":
                assert cmd["argv"][0] == "ovn-trace"
                assert cmd["argv"][-1] == sc["microflow"]
                assert cmd["argv"][-2] == sc["datapath"]
            elif cmd["tool"] == "ofproto/trace":
                assert sc["openflow_flow"] in cmd["argv"]


@pytest.mark.parametrize("state", sorted(M["db_states"]))
@needs_ovsdb_tool
def test_db_snapshots_are_standalone_ovsdb_files(state):
    info = M["db_states"][state]
    for key, dbname in (("nb", "OVN_Northbound"), ("sb", "OVN_Southbound")):
        path = SAMPLES / info[key]
        assert path.is_file()
        subprocess.run(["ovsdb-tool", "db-is-standalone", str(path)], check=True)
        log = subprocess.run(["ovsdb-tool", "show-log", str(path)], check=True,
                             capture_output=True, text=True).stdout
        assert log.startswith("record 0:")
        assert "record 1:" in log and "record 2:" not in log, "compacted: schema + one record"
        name = subprocess.run(["ovsdb-tool", "db-name", str(path)], check=True,
                              capture_output=True, text=True).stdout.strip()
        assert name == dbname


def _select(path: Path, dbname: str, table: str, uuid: str) -> list[dict]:
    txn = [dbname, {"op": "select", "table": table, "where": [["_uuid", "==", ["uuid", uuid]]]}]
    out = subprocess.run(["ovsdb-tool", "query", str(path), json.dumps(txn)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)[0]["rows"]


@pytest.mark.parametrize("sc", [s for s in SCENARIOS
                                if any(e.get("drop") for _k, e in _expectations(s))],
                         ids=lambda s: s["name"])
@needs_ovsdb_tool
def test_expected_drops_are_rows_of_the_saved_databases(sc):
    for key, exp in _expectations(sc):
        drop = exp.get("drop")
        if not drop:
            continue
        rows = _select(SAMPLES / sc["db"]["sb"], "OVN_Southbound", "Logical_Flow",
                       drop["lflow_uuid"])
        assert len(rows) == 1, key
        row = rows[0]
        assert row["table_id"] == drop["table"]
        assert row["priority"] == drop["priority"]
        assert row["match"] == drop["match"]
        assert row["pipeline"] == drop["pipeline"]
        assert dict(row["external_ids"][1])["stage-name"] == drop["stage"]
        if drop.get("acl_uuid"):
            acls = _select(SAMPLES / sc["db"]["nb"], "OVN_Northbound", "ACL", drop["acl_uuid"])
            assert len(acls) == 1
            assert acls[0]["name"] == drop["acl_name"]
            assert dict(row["external_ids"][1])["stage-hint"] == drop["acl_uuid"][:8]
