"""`ovn-sbctl lflow-list` text as a (partial) Southbound.

The text is printed in the test by the real ovn-sbctl, against a real
ovsdb-server serving a saved sample database; the rows read from it are
compared with the rows the file reader reads from the same file.
"""

from __future__ import annotations

import subprocess

import pytest

from ovnparse.db import DbIndex, FileSource, MemorySource
from ovnparse.db.lflow_list import LflowListError, read_lflow_list
from ovnparse.sandbox import OvnSandbox

from conftest import SAMPLES, process_alive

SB = SAMPLES / "db" / "base" / "sb.db"


@pytest.fixture(scope="module")
def printed():
    sandbox = OvnSandbox.serve_files(nb=SAMPLES / "db" / "base" / "nb.db", sb=SB)
    try:
        run = lambda *a: subprocess.run(["ovn-sbctl", "--db", sandbox.sb_remote, *a],
                                        capture_output=True, text=True, check=True).stdout
        yield {"uuid": run("--uuid", "lflow-list"), "plain": run("lflow-list")}
    finally:
        sandbox.stop()
    assert not any(process_alive(pid) for pid in sandbox.started_pids.values())


def _datapaths(src, row):
    groups = src.rows("Logical_DP_Group")
    uuids = list(row["logical_datapath"]) if isinstance(row["logical_datapath"], list) \
        else [row["logical_datapath"]] if row["logical_datapath"] else []
    for g in (row["logical_dp_group"] if isinstance(row["logical_dp_group"], list)
              else [row["logical_dp_group"]] if row["logical_dp_group"] else []):
        uuids.extend(groups[g]["datapaths"])
    return set(uuids)


def test_every_flow_of_the_database_with_its_datapaths(printed):
    db = read_lflow_list(printed["uuid"])
    got = db.tables["Logical_Flow"]
    src = FileSource(SB)
    want = src.rows("Logical_Flow")
    assert len(got) == len(want)
    for uuid, row in want.items():
        g = got[uuid[:8]]
        assert (g["table_id"], g["pipeline"], g["priority"], g["match"], g["actions"]) == \
            (row["table_id"], row["pipeline"], row["priority"], row["match"], row["actions"])
        assert g["external_ids"]["stage-name"] == row["external_ids"]["stage-name"]
        assert set(g["logical_datapath"]) == _datapaths(src, row)
    names = {u: r["external_ids"]["name"] for u, r in src.rows("Datapath_Binding").items()}
    assert {u: r["external_ids"]["name"] for u, r in db.tables["Datapath_Binding"].items()} \
        == names


def test_without_uuids_flows_are_numbered_by_line(printed):
    db = read_lflow_list(printed["plain"])
    keys = list(db.tables["Logical_Flow"])
    assert keys and all(k.startswith("lflow-list:") for k in keys)
    assert db.info["uuids"] is False


def test_index_over_lflow_list_resolves_an_ovn_trace_drop(printed):
    index = DbIndex(MemorySource(read_lflow_list(printed["uuid"])))
    flow = index.prefix("4dfc3efb", "Logical_Flow")  # ovn-trace: acl-ingress-default-deny
    files = DbIndex(FileSource(SB))
    want = files.prefix("4dfc3efb", "Logical_Flow").unique
    assert flow.unique is not None and want is not None
    assert flow.unique.row["match"] == want.row["match"]
    assert [d.name for d in index.datapaths(flow.unique)] == [d.name for d in files.datapaths(want)]


def test_other_text_is_a_clear_error():
    with pytest.raises(LflowListError, match=r"<text>:2: not a line of ovn-sbctl lflow-list"):
        read_lflow_list('Datapath: "sw" (7c21e25c-964d-4208-b119-fffede5c6b42)  Pipeline: ingress\n'
                        "garbage\n")
