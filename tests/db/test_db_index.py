"""The cookie / uuid-prefix index over the sample databases (samples/db/*/{nb,sb}.db)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ovnparse.db import (DbIndex, FileSource, MemorySource, cookie_key, read_ovsdb_file)
from ovnparse.db.index import DETRACE_HINT_TABLES, NB_HINT_TABLES, SB_COOKIE_TABLES

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "samples" / "db" / "base"
ALLOW_PROD = ROOT / "samples" / "db" / "allow-prod"


@pytest.fixture(scope="module")
def index():
    return DbIndex(FileSource(BASE / "sb.db"), FileSource(BASE / "nb.db"))


def test_cookie_keys():
    assert cookie_key("0x8ff93663") == "8ff93663"
    assert cookie_key("0xabcd") == "0000abcd"  # ofproto/trace drops leading zeros
    assert cookie_key(0xABCD) == "0000abcd"
    assert cookie_key("8FF93663") == "8ff93663"
    assert cookie_key("0x1ffffffff") is None  # wider than 32 bits: not from a uuid
    with pytest.raises(ValueError):
        cookie_key("0xzz")


def test_every_logical_flow_resolves_by_cookie_and_by_prefix(index):
    lflows = read_ovsdb_file(BASE / "sb.db", ["Logical_Flow"]).tables["Logical_Flow"]
    assert len(lflows) == len(index.table("Logical_Flow")) > 600
    for uuid in lflows:
        cookie = hex(int(uuid[:8], 16))  # as ofproto/trace prints it: 0x…, no leading zeros
        by_cookie = index.cookie(cookie)
        assert [(r.table, r.uuid) for r in by_cookie] == [("Logical_Flow", uuid)], cookie
        assert by_cookie.unique.row["_uuid"] == uuid
        assert index.prefix(uuid[:8]).rows == by_cookie.rows  # ovn-trace's "uuid 4dfc3efb"
        assert index.lookup(cookie).rows == by_cookie.rows
        assert index.prefix(uuid).unique.uuid == uuid  # a full uuid
    assert index.collisions() == {} and index.collisions("nb") == {}


def test_every_cookie_table_is_indexed(index):
    sb = read_ovsdb_file(BASE / "sb.db")
    for table in SB_COOKIE_TABLES:
        for uuid in sb.tables[table]:
            assert (table, uuid) in {
                (r.table, r.uuid) for r in index.cookie(int(uuid[:8], 16))}
    assert index.cookie("0x12345678", "Logical_Flow").rows == ()


def test_short_prefix_scans(index):
    uuid = next(iter(index.table("Port_Binding")))
    found = index.prefix(uuid[:5])
    assert uuid in {r.uuid for r in found}
    assert all(r.uuid.startswith(uuid[:5]) for r in found)


def test_default_deny_acl_flows_resolve_to_the_acl(index):
    """The stage-hint of the ACL flows names the NetworkPolicy default-deny ACL rows."""
    acls = read_ovsdb_file(BASE / "nb.db", ["ACL"]).tables["ACL"]
    deny = {u: r for u, r in acls.items() if r["name"] == ["NP:default:Ingress"]}
    assert {r["action"] for r in deny.values()} == {"drop", "allow"}
    resolved = {}
    for uuid, lflow in index.table("Logical_Flow").items():
        ext = lflow["external_ids"]
        if not ext.get("stage-name", "").endswith("_acl") or "stage-hint" not in ext:
            continue
        hint = index.stage_hint(lflow)
        assert hint.unique is not None, ext
        resolved[uuid] = hint.unique
        if hint.unique.table == "ACL":
            acl = hint.unique.row
            assert hint.unique.database == "OVN_Northbound"
            # northd offsets an ACL's priority by 1000 in the ACL stages
            assert lflow["priority"] == acl["priority"] + 1000
    deny_flows = {u for u, ref in resolved.items() if ref.uuid in deny}
    assert {resolved[u].uuid for u in deny_flows} == set(deny)
    drop = next(u for u in deny_flows if deny[resolved[u].uuid]["action"] == "drop")
    lflow = index.table("Logical_Flow")[drop]
    assert "drop" in lflow["actions"]
    assert "outport == @a16982411286042166782_ingressDefaultDeny" in lflow["match"]


def test_flow_datapaths_named(index):
    dp_names = {dp.uuid: dp.name for dp in map(index.datapath, index.table("Datapath_Binding"))}
    assert "ovn-worker" in dp_names.values() and "ovn_cluster_router" in dp_names.values()
    group_flows = single_flows = 0
    for lflow in index.table("Logical_Flow").values():
        dps = index.datapaths(lflow)
        assert dps, lflow
        if lflow["logical_datapath"]:
            single_flows += 1
            assert [d.uuid for d in dps] == lflow["logical_datapath"]
        else:
            group_flows += 1
            group = index.row("Logical_DP_Group", lflow["logical_dp_group"][0])
            assert {d.uuid for d in dps} == set(group["datapaths"])
        for d in dps:
            assert d.name == dp_names[d.uuid] and isinstance(d.tunnel_key, int)
    assert group_flows and single_flows
    dp = index.datapaths(next(iter(index.table("Logical_Flow").values())))[0]
    assert index.datapath_by_tunnel_key(dp.tunnel_key) == dp


def test_stage_hints_resolve_across_nb_tables(index):
    tables = set()
    for lflow in index.table("Logical_Flow").values():
        hint = index.stage_hint(lflow)
        if lflow["external_ids"].get("stage-hint"):
            assert hint.unique is not None, lflow["external_ids"]
            tables.add(hint.unique.table)
        else:
            assert not hint
    assert {"ACL", "Logical_Switch_Port", "Logical_Router_Port", "NAT", "Load_Balancer",
            "Logical_Router_Static_Route", "Logical_Router_Policy"} <= tables
    # northd also hints at switches and routers, which ovn-detrace does not look up
    assert tables - set(DETRACE_HINT_TABLES) == {"Logical_Switch", "Logical_Router"}
    assert tables <= set(NB_HINT_TABLES)
    no_nb = DbIndex(FileSource(BASE / "sb.db"))
    assert not no_nb.stage_hint(next(iter(no_nb.table("Logical_Flow").values())))


def test_collisions_are_reported_never_picked():
    """A synthetic collision: two rows whose uuids share their first 32 bits.

    The samples have none (checked above), so a Port_Binding row is copied with a
    uuid whose first 8 hex digits are those of a real Logical_Flow, and a Logical_Flow
    with a uuid sharing another's prefix; a uuid with leading zeros checks the
    cookie form without them.
    """
    db = read_ovsdb_file(BASE / "sb.db")
    db = copy.deepcopy(db)
    lfs = db.tables["Logical_Flow"]
    first, second = list(lfs)[:2]
    pb = copy.deepcopy(next(iter(db.tables["Port_Binding"].values())))
    pb_uuid = first[:8] + "-0000-4000-8000-000000000001"
    pb["_uuid"] = pb_uuid
    db.tables["Port_Binding"][pb_uuid] = pb
    lf_uuid = second[:8] + "-1111-4111-8111-111111111111"
    lfs[lf_uuid] = dict(lfs[second], _uuid=lf_uuid)
    zero_uuid = "0000abcd-2222-4222-8222-222222222222"
    lfs[zero_uuid] = dict(lfs[second], _uuid=zero_uuid)
    index = DbIndex(MemorySource(db))

    across = index.cookie(hex(int(first[:8], 16)))
    assert across.ambiguous and across.unique is None
    assert [(r.table, r.uuid) for r in across] == [("Logical_Flow", first),
                                                   ("Port_Binding", pb_uuid)]
    assert [r.uuid for r in across.in_table("Port_Binding")] == [pb_uuid]
    within = index.prefix(second[:8])
    assert sorted(r.uuid for r in within) == sorted([second, lf_uuid])
    assert set(within.by_table()) == {"Logical_Flow"}
    assert set(index.collisions()) == {first[:8], second[:8]}
    # a longer prefix tells them apart
    assert index.prefix(lf_uuid[:13]).unique.uuid == lf_uuid
    assert index.cookie("0xabcd").unique.uuid == zero_uuid


def test_a_second_state_and_table_subsets():
    index = DbIndex(FileSource(ALLOW_PROD / "sb.db"), FileSource(ALLOW_PROD / "nb.db"),
                    sb_tables=("Logical_Flow", "Datapath_Binding"), nb_tables=("ACL",))
    names = set()
    for lflow in index.table("Logical_Flow").values():
        for ref in index.stage_hint(lflow):
            assert ref.table == "ACL"
            names.update(ref.row["name"])
    assert {"NP:default:web-allow-prod:Ingress:0", "NP:default:Ingress"} <= names
    assert index.table("Port_Binding") == {}
    assert index.prefix(next(iter(index.table("Datapath_Binding")))[:8]).unique.table == \
        "Datapath_Binding"
