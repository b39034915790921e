"""Colliding keys: several Southbound rows whose uuids share the 32 bits a
trace names.  Never one picked at random: narrowed by what the trace shows
(datapath, pipeline, table, priority), else reported as ambiguous.

The fixture (a corruption-style test, said so): the real Southbound of
samples/db/base with rows added beside the logical flow that drops the
seed scenario's packet (4dfc3efb, ls_out_acl priority 2000 on ovn-worker),
sharing its first 8 hex digits.
"""

from __future__ import annotations

import copy

from ovnparse import api
from ovnparse.db import MemorySource, read_ovsdb_file
from ovnparse.db.databases import Databases
from ovnparse.model import BY_NAME

from conftest import SAMPLES

DROP = SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt"
KEY = "4dfc3efb"
REAL = "4dfc3efb-3516-4638-ab6c-fb9dc80378e4"
OVN_WORKER2 = "9d01e268-846f-48d4-8940-fbedfefdcb9a"


def _databases(*decoys: dict) -> Databases:
    sb = read_ovsdb_file(SAMPLES / "db" / "base" / "sb.db")
    nb = read_ovsdb_file(SAMPLES / "db" / "base" / "nb.db")
    flows = sb.tables["Logical_Flow"]
    for n, changes in enumerate(decoys):
        row = copy.deepcopy(flows[REAL])
        uuid = f"{KEY}-0000-4000-8000-{n:012d}"
        row.update(changes, _uuid=uuid)
        flows[uuid] = row
    return Databases(MemorySource(sb), MemorySource(nb))


def _drop(db: Databases):
    [trace] = api.parse(DROP)
    return trace.explain(db)


def test_the_real_flow_alone_is_exact():
    ex = _drop(_databases())
    assert (ex.drop.lflow_uuid, ex.drop.lflow_match) == (REAL, "exact")
    assert ex.drop.acl.name == "NP:default:Ingress"


def test_a_twin_on_another_datapath_is_told_apart_by_the_datapath():
    ex = _drop(_databases({"logical_dp_group": [], "logical_datapath": [OVN_WORKER2]}))
    assert (ex.drop.lflow_uuid, ex.drop.lflow_match) == (REAL, "narrowed")
    assert ex.drop.owner.namespace == "default"
    assert not [w for w in ex.warnings if "logical flows match" in w.message]


def test_twins_in_another_table_pipeline_or_priority_are_told_apart():
    ex = _drop(_databases({"table_id": 5}, {"pipeline": "ingress"}, {"priority": 1000}))
    assert (ex.drop.lflow_uuid, ex.drop.lflow_match) == (REAL, "narrowed")


def test_a_twin_the_trace_cannot_tell_apart_is_reported_not_picked():
    ex = _drop(_databases({"external_ids": {"stage-name": "ls_out_acl", "stage-hint": "0"}}))
    assert ex.drop.lflow_uuid is None
    # (the ACL is still named: by the name its LOG line printed)
    assert (ex.drop.acl.name, ex.drop.lflow_match) == ("NP:default:Ingress", BY_NAME)
    [warning] = [w for w in ex.warnings if "logical flows match" in w.message]
    assert warning.message.startswith(f"2 logical flows match {KEY}: ")
    assert REAL in warning.message and warning.line == ex.drop.line
