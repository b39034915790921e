"""The samples' manifests are consistent with the files and databases beside them.

Every recorded OVN release has one: samples/manifest.json (23.03) and
samples/ovn-25.03/manifest.json.  No trace is parsed here: these tests check
that what samples/generate.py recorded is complete and that the expected
values point at real rows of the saved databases.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import sample_manifests

VERDICTS = {"delivered", "flooded", "dropped", "controller", "incomplete", "error"}
REASONS = {"acl", "port-security", "no-route", "no-match", "ttl", "reject", "other"}
DROP_KEYS = {"datapath", "pipeline", "table", "stage", "priority", "match", "lflow", "reason_code"}

HAVE_OVSDB_TOOL = shutil.which("ovsdb-tool") is not None
needs_ovsdb_tool = pytest.mark.skipif(not HAVE_OVSDB_TOOL, reason="ovsdb-tool not installed")

MANIFESTS = sample_manifests()
if "23.03" not in MANIFESTS:
    pytest.skip("samples/manifest.json not generated (python samples/generate.py)",
                allow_module_level=True)

# (release, samples dir, manifest, scenario) of every scenario of every release
CASES = [(rel, base, m, sc) for rel, (base, m) in MANIFESTS.items() for sc in m["scenarios"]]
IDS = [f"{rel}/{sc['name']}" for rel, _b, _m, sc in CASES]
RELEASES = sorted(MANIFESTS)


def _expectations(sc):
    for key in ("expected", "expected_ct_new"):
        if sc.get(key):
            yield key, sc[key]


@pytest.mark.parametrize("release", RELEASES)
def test_top_level(release):
    _base, M = MANIFESTS[release]
    names = [s["name"] for s in M["scenarios"]]
    assert M["generator"] == "samples/generate.py"
    assert M["failures"] == [], "the last generate run had tool failures"
    for tool in ("ovn-trace", "ovs-vswitchd"):
        assert M["versions"][tool] and not M["versions"][tool].startswith("error")
    assert "ovn-trace" in M["versions"]["ovn-trace"]
    assert len(names) == len(set(names)), "duplicate scenario names"
    assert len(names) >= (10 if M.get("subset") else 15)
    assert set(M["verdicts"]) == VERDICTS
    if release != "23.03":
        # recorded with that release's own tools, from a Debian root
        assert M["release"] == release
        assert M["versions"]["ovn-trace"].split()[1].startswith(release + ".")
        assert M["root"]["packages"]["ovn-central"].startswith(release + ".")


def test_later_releases_have_every_23_03_scenario():
    base = {s["name"]: s for s in MANIFESTS["23.03"][1]["scenarios"]}
    for release, (_b, m) in MANIFESTS.items():
        names = {s["name"] for s in m["scenarios"]}
        if m.get("subset"):
            assert names < set(base) | {s["name"] for s in MANIFESTS["25.03"][1]["scenarios"]}
        else:
            assert set(base) <= names, release
        for sc in m["scenarios"]:
            if sc["name"] in base:   # the same packet
                assert sc["microflow"] == base[sc["name"]]["microflow"], (release, sc["name"])


@pytest.mark.parametrize("release", RELEASES)
def test_known_tool_failures_are_described(release):
    _base, M = MANIFESTS[release]
    names = {s["name"] for s in M["scenarios"]}
    for f in M.get("known_tool_failures", []):
        assert f["argv"] and f["explanation"] and f["stderr_tail"]
        assert f["status"] != 0
        assert f["scenario"] not in names


@pytest.mark.parametrize("release,base,M,sc", CASES, ids=IDS)
def test_scenario_shape(release, base, M, sc):
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


@pytest.mark.parametrize("release,base,M,sc", CASES, ids=IDS)
def test_expected_values(release, base, M, sc):
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


@pytest.mark.parametrize("release,base,M,sc", CASES, ids=IDS)
def test_every_referenced_file_exists_and_matches(release, base, M, sc):
    seen = set()
    for cmd in sc["commands"]:
        path = base / cmd["file"]
        assert path.is_file(), cmd["file"]
        data = path.read_bytes()
        assert len(data) == cmd["bytes"] and hashlib.sha256(data).hexdigest() == cmd["sha256"]
        assert data, f"{cmd['file']} is empty"
        assert isinstance(cmd["argv"], list) and all(isinstance(a, str) for a in cmd["argv"])
        assert cmd["expected"] in sc and sc[cmd["expected"]] is not None, cmd["file"]
        if "stdin" in cmd:
            assert (base / cmd["stdin"]).is_file()
        seen.add(path.name)
    on_disk = {p.name for p in (base / sc["name"]).iterdir() if not p.name.startswith(".")}
    assert on_disk == seen, "files not listed in the manifest"


@pytest.mark.parametrize("release", RELEASES)
def test_ovn_trace_argv_carry_the_microflow(release):
    for sc in MANIFESTS[release][1]["scenarios"]:
        for cmd in sc["commands"]:
            if cmd["tool"] == "ovn-trace":
                assert cmd["argv"][0] == "ovn-trace"
                assert cmd["argv"][-1] == sc["microflow"]
                assert cmd["argv"][-2] == sc["datapath"]
            elif cmd["tool"] == "ofproto/trace":
                assert sc["openflow_flow"] in cmd["argv"]


STATES = [(rel, base, M, state) for rel, (base, M) in MANIFESTS.items() for state in M["db_states"]]


@pytest.mark.parametrize("release,base,M,state", STATES,
                         ids=[f"{r}/{s}" for r, _b, _m, s in STATES])
@needs_ovsdb_tool
def test_db_snapshots_are_standalone_ovsdb_files(release, base, M, state):
    info = M["db_states"][state]
    for key, dbname in (("nb", "OVN_Northbound"), ("sb", "OVN_Southbound")):
        path = base / info[key]
        assert path.is_file()
        subprocess.run(["ovsdb-tool", "db-is-standalone", str(path)], check=True)
        log = subprocess.run(["ovsdb-tool", "show-log", str(path)], check=True,
                             capture_output=True, text=True).stdout
        assert log.startswith("record 0:")
        assert "record 1:" in log and "record 2:" not in log, "compacted: schema + one record"
        name = subprocess.run(["ovsdb-tool", "db-name", str(path)], check=True,
                              capture_output=True, text=True).stdout.strip()
        assert name == dbname


OVS_STATE_FILES = {"conf.db", "br-int.dump-flows.of15.txt", "br-int.dump-groups.of15.txt",
                   "br-int.dump-meters.of15.txt", "br-int.dump-tlv-map.txt",
                   "br-int.dump-flows.txt", "breth0.dump-flows.txt", "ovs-vsctl-show.txt",
                   "dpif-show.txt"}


OVS_STATES = [s for s in STATES if "ovs" in s[2]["db_states"][s[3]]]


@pytest.mark.parametrize("release,base,M,state", OVS_STATES,
                         ids=[f"{r}/{s}" for r, _b, _m, s in OVS_STATES])
def test_openflow_state_for_replays(release, base, M, state):
    """25.03 saves, per database state, the switch's OpenFlow tables and
    conf.db: what an offline OpenFlow replay needs."""
    assert release == "25.03" or M.get("subset")
    ovs = M["db_states"][state]["ovs"]
    assert set(ovs) == OVS_STATE_FILES
    for name, info in ovs.items():
        data = (base / info["file"]).read_bytes()
        assert len(data) == info["bytes"] and hashlib.sha256(data).hexdigest() == info["sha256"]
    flows15 = (base / ovs["br-int.dump-flows.of15.txt"]["file"]).read_text()
    flows10 = (base / ovs["br-int.dump-flows.txt"]["file"]).read_text()
    assert flows15.startswith("OFPST_FLOW reply (OF1.5)")
    assert flows10.startswith("NXST_FLOW reply")
    # the same flows in both dumps (table, priority and cookie of each)
    def keys(text):
        return sorted(tuple(f.split(",")[i].strip() for i in (0, 2))
                      for f in text.splitlines()[1:] if "cookie=" in f)
    assert keys(flows15) == keys(flows10) and len(keys(flows10)) > 1000
    sb = (base / M["db_states"][state]["sb"]).read_text().split("\n")
    lflows = json.loads(sb[3])["Logical_Flow"]
    cookies = {c.split("=")[1][2:].zfill(8) for c, _t in keys(flows15)}
    # most OpenFlow cookies are the first 32 bits of a logical flow's uuid
    assert len({u[:8] for u in lflows} & cookies) > 0.5 * len(cookies)


@lru_cache(maxsize=None)
def _table(path: Path, dbname: str, table: str) -> dict[str, dict]:
    """A whole table of a saved database, read by ovsdb-tool, by _uuid."""
    txn = [dbname, {"op": "select", "table": table, "where": []}]
    out = subprocess.run(["ovsdb-tool", "query", str(path), json.dumps(txn)], check=True,
                         capture_output=True, text=True).stdout
    return {row["_uuid"][1]: row for row in json.loads(out)[0]["rows"]}


def _select(path: Path, dbname: str, table: str, uuid: str) -> list[dict]:
    row = _table(path, dbname, table).get(uuid)
    return [] if row is None else [row]


DROP_CASES = [c for c in CASES if any(e.get("drop") for _k, e in _expectations(c[3]))]


@pytest.mark.parametrize("release,base,M,sc", DROP_CASES,
                         ids=[f"{r}/{s['name']}" for r, _b, _m, s in DROP_CASES])
@needs_ovsdb_tool
def test_expected_drops_are_rows_of_the_saved_databases(release, base, M, sc):
    for key, exp in _expectations(sc):
        drop = exp.get("drop")
        if not drop:
            continue
        sbfile = base / sc["db"]["sb"]
        rows = _select(sbfile, "OVN_Southbound", "Logical_Flow", drop["lflow_uuid"])
        assert len(rows) == 1, key
        row = rows[0]
        assert row["table_id"] == drop["table"]
        assert row["priority"] == drop["priority"]
        assert row["match"] == drop["match"]
        assert row["pipeline"] == drop["pipeline"]
        assert dict(row["external_ids"][1])["stage-name"] == drop["stage"]
        if drop.get("acl_uuid"):
            acls = _select(base / sc["db"]["nb"], "OVN_Northbound", "ACL", drop["acl_uuid"])
            assert len(acls) == 1
            assert acls[0]["name"] == drop["acl_name"]
            hinted = row
            if "acl_flow" in drop:
                # OVN with tiers: the ACL's flow is the _eval one, the drop the _action one
                [hinted] = _select(sbfile, "OVN_Southbound", "Logical_Flow",
                                   drop["acl_flow"]["lflow_uuid"])
                assert dict(hinted["external_ids"][1])["stage-name"] == drop["acl_flow"]["stage"]
                assert acls[0]["tier"] == drop["acl_tier"]
            assert dict(hinted["external_ids"][1])["stage-hint"] == drop["acl_uuid"][:8]


ACL_CASES = [c for c in CASES if any(e.get("acls") for _k, e in _expectations(c[3]))]


@pytest.mark.parametrize("release,base,M,sc", ACL_CASES,
                         ids=[f"{r}/{s['name']}" for r, _b, _m, s in ACL_CASES])
@needs_ovsdb_tool
def test_expected_acls_are_rows_of_the_saved_databases(release, base, M, sc):
    """The ACLs a packet meets (25.03 scenarios): real rows, in tier order,
    their owners as ovn-kubernetes' external_ids name them."""
    for key, exp in _expectations(sc):
        tiers = [a["tier"] for a in exp["acls"]]
        assert tiers == sorted(tiers), key
        for acl in exp["acls"]:
            [row] = _select(base / sc["db"]["nb"], "OVN_Northbound", "ACL", acl["uuid"])
            assert (row["name"], row["action"], row["tier"]) == (acl["name"], acl["action"],
                                                                 acl["tier"])
            ids = dict(row["external_ids"][1])
            assert ids["k8s.ovn.org/owner-type"] == acl["owner"]["owner_type"]
        if exp["verdict"] == "dropped":
            assert exp["acls"][-1]["uuid"] == exp["drop"]["acl_uuid"]
            assert exp["acls"][-1]["action"] == "drop"
