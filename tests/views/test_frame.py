"""Trace.to_frame(): one row per step, the same columns for every format.

Expected values are the manifests' (read from the topology and the databases
when the samples were recorded): the drop's datapath, pipeline, table, stage,
priority and logical flow.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ovnparse.views.frame import COLUMNS, stages_frame

from sample_traces import RELEASES, SEED, databases, drop_point, sample, scenario

FORMS = ["ovn-trace.detailed.txt", "ovn-trace.summary.txt", "ovn-trace.minimal.txt",
         "ovn-trace.all.txt", "ovn-trace.ovs.detailed.txt", "ofproto-trace.ct-new.txt",
         "ovn-detrace.txt"]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("form", FORMS)
def test_same_columns_nullable_dtypes_for_every_format(release, form):
    for trace in sample(release, SEED, form):
        frame = trace.to_frame()
        assert list(frame.columns) == COLUMNS
        for column in ("step", "line", "table", "priority", "recirc_pass", "openflow_table"):
            assert str(frame[column].dtype) == "Int64", column
        assert str(frame["dropped"].dtype) == "boolean"
        assert str(frame["stage"].dtype) == "string"
        assert not set(frame.columns) & set(dir(pd.DataFrame)), "a column shadows a method"
        for value in frame.itertuples(index=False):  # flat: no lists hidden in cells
            assert not any(isinstance(v, (list, dict, tuple)) for v in value)


@pytest.mark.parametrize("release", RELEASES)
def test_logical_stages_and_the_drop_row(release):
    exp = scenario(release, SEED)["expected"]
    point = drop_point(exp["drop"])
    [trace] = sample(release, SEED, "ovn-trace.detailed.txt")
    frame = trace.to_frame()
    dropped = frame[frame.dropped]
    assert len(dropped) == 1
    row = dropped.iloc[0]
    assert (row.datapath, row.pipeline) == (exp["drop"]["datapath"], exp["drop"]["pipeline"])
    assert (row.table, row.stage, row.priority, row.lflow) == (
        point["table"], point["stage"], point["priority"], point["lflow"])
    assert row.match == point["match"]
    assert row.acl == exp["drop"]["acl_name"]
    assert list(frame.step) == list(range(len(frame)))
    assert frame.line.is_monotonic_increasing
    assert frame.openflow_table.isna().all() and frame.cookie.isna().all()
    assert set(frame.datapath) == set(exp["datapaths"])


@pytest.mark.parametrize("release", RELEASES)
def test_openflow_steps_with_their_logical_side(release):
    exp = scenario(release, SEED)["expected_ct_new"]  # OpenFlow resumes conntrack as new
    point = drop_point(exp["drop"])
    for form in ("ovn-detrace.txt", "ofproto-trace.ct-new.txt"):
        kw = {"db": databases(release, "base")} if form.startswith("ofproto") else {}
        [trace] = sample(release, SEED, form, **kw)[:1]
        frame = trace.to_frame()
        row = frame[frame.dropped].iloc[0]
        assert row.cookie == "0x" + point["lflow"] and row.lflow == point["lflow"], form
        assert (row.datapath, row.pipeline, row.table, row.stage, row.priority) == (
            exp["drop"]["datapath"], exp["drop"]["pipeline"], point["table"], point["stage"],
            point["priority"]), form
        assert row.recirc_pass == frame.recirc_pass.max() > 0
        assert row.bridge == "br-int" and row.openflow_table > row.table
        # OpenFlow's own tables name no logical flow
        own = frame[frame.lflow.isna()]
        assert len(own) and own.stage.isna().all() and own.openflow_table.notna().all()
        if kw:
            assert row.lflow_uuid == point["lflow_uuid"]
            assert row.owner_kind == "NetpolNamespace" and row.owner_namespace == "default"


@pytest.mark.parametrize("release", RELEASES)
def test_openflow_without_notes_has_no_logical_columns(release):
    [trace] = sample(release, SEED, "ofproto-trace.ct-new.txt")
    frame = trace.to_frame()
    assert frame.stage.isna().all() and frame.table.isna().all() and frame.datapath.isna().all()
    assert frame.openflow_table.notna().all() and (frame.bridge == "br-int").all()
    # the drop is at the step whose log() names the ACL (decoded from its userdata)
    row = frame[frame.dropped].iloc[0]
    assert row.acl == "NP:default:Ingress" and row.acl_action == "drop"


@pytest.mark.parametrize("release", RELEASES)
def test_summary_rows_are_its_pipelines_minimal_has_none(release):
    exp = scenario(release, SEED)["expected"]
    [summary] = sample(release, SEED, "ovn-trace.summary.txt")
    frame = summary.to_frame()
    assert list(frame.kind) == ["pipeline", "pipeline"]
    assert list(frame.pipeline) == ["ingress", "egress"]
    assert set(frame.datapath) == set(exp["datapaths"])
    assert frame.table.isna().all()
    [minimal] = sample(release, SEED, "ovn-trace.minimal.txt")
    assert minimal.to_frame().empty


def test_stages_frame_of_many_traces_numbers_them():
    traces = sample("23.03", SEED, "ovn-trace.all.txt")
    frame = stages_frame(traces)
    assert list(frame.columns) == ["trace"] + COLUMNS
    assert sorted(set(frame.trace)) == [n for n, t in enumerate(traces) if len(t.to_frame())]
    assert str(frame.trace.dtype) == "Int64"


def test_frame_with_databases_names_the_acl_of_every_acl_step():
    db = databases("23.03", "allow-prod")
    [trace] = sample("23.03", "acl-ingress-allowed-after-web-allow-prod",
                     "ovn-trace.detailed.txt", db=db)
    frame = trace.to_frame()
    acl = frame[frame.acl.notna()]
    assert list(acl.stage) == ["ls_out_acl"]
    row = acl.iloc[0]
    assert (row.acl, row.owner_kind, row.owner_namespace, row.owner_name) == (
        "NP:default:web-allow-prod:Ingress:0", "NetworkPolicy", "default", "web-allow-prod")
    assert not frame.dropped.any()
