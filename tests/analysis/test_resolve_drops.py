"""explain --nb --sb: the dropping logical flow, its ACL and the ACL's owner.

Expected values come from samples/manifest.json, written by samples/generate.py
from the databases it built (the Logical_Flow uuid, the ACL's uuid, name,
priority, direction and action).  The owner read from the ACL's external_ids
must agree with the owner its name encodes (two encodings the topology
script wrote independently, as ovn-kubernetes does).
"""

from __future__ import annotations

import json

import pytest

from ovnparse import api
from ovnparse.cli import main
from ovnparse.db.databases import Databases, open_databases
from ovnparse.enrich.owners import _legacy, acl_owner
from ovnparse.model import Log, Stage

from conftest import SAMPLES

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
# Which expectation each OpenFlow file follows (see the manifest's expected_fields).
OPENFLOW_EXPECTATION = {"ofproto-trace.ct-new.txt": "expected_openflow",
                        "ovn-detrace.txt": "expected_openflow",
                        "ofproto-trace.ct-est.txt": "expected_openflow_ct_est"}
# ... and which logical expectation names the flow it drops at.
LOGICAL_TWIN = {"expected_openflow": "expected_ct_new", "expected_openflow_ct_est": "expected"}


def _acl_drop_cases():
    for s in MANIFEST["scenarios"]:
        for c in s["commands"]:
            name = c["file"].rsplit("/", 1)[1]
            if c["tool"] == "ovn-trace":
                if c["form"] not in ("detailed", "all"):
                    continue
                verdict_key = logical_key = c["expected"]
            elif name in OPENFLOW_EXPECTATION:
                verdict_key = OPENFLOW_EXPECTATION[name]
                logical_key = LOGICAL_TWIN[verdict_key]
            else:
                continue
            logical = s.get(logical_key) or {}
            if (s.get(verdict_key) or {}).get("verdict") == "dropped" \
                    and (logical.get("drop") or {}).get("acl_uuid"):
                yield s, c, logical


CASES = list(_acl_drop_cases())
_DATABASES: dict[str, Databases] = {}


def _databases(state: str) -> Databases:
    if state not in _DATABASES:
        d = SAMPLES / "db" / state
        _DATABASES[state] = open_databases(nb=d / "nb.db", sb=d / "sb.db")
    return _DATABASES[state]


@pytest.mark.parametrize("scenario,command,expected", CASES, ids=[c["file"] for _, c, _ in CASES])
def test_drop_names_acl_and_owner(scenario, command, expected):
    trace = next(iter(api.parse(SAMPLES / command["file"])))
    ex = api.explain(trace, _databases(scenario["db_state"]))
    want = expected["drop"]
    got = ex.drop.to_dict()
    assert got["lflow_uuid"] == want["lflow_uuid"]
    assert got["acl"]["uuid"] == want["acl_uuid"]
    assert (got["acl"]["name"], got["acl"]["priority"], got["acl"]["direction"],
            got["acl"]["action"]) == (want["acl_name"], want["acl_priority"],
                                      want["acl_direction"], want["acl_action"])
    owner = got["owner"]
    by_name = _legacy({}, want["acl_name"])
    assert (owner["kind"], owner["namespace"], owner["direction"]) == \
        (by_name.kind, by_name.namespace, by_name.direction)
    assert owner["legacy"] is False
    assert not [w for w in ex.warnings if "not in the Southbound" in w.message]


def test_there_are_acl_drops_of_every_tool():
    assert {c["tool"] for _, c, _ in CASES} >= {"ovn-trace", "ofproto/trace", "ovn-detrace"}


def test_cli_explain_with_saved_databases(capsys):
    d = SAMPLES / "db" / "base"
    code = main(["explain", "--json", "--nb", str(d / "nb.db"), "--sb", str(d / "sb.db"),
                 str(SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt")])
    [obj] = json.loads(capsys.readouterr().out)
    assert code == 0
    assert obj["drop"]["owner"]["kind"] == "NetpolNamespace"
    assert obj["drop"]["owner"]["namespace"] == "default"
    assert obj["drop"]["acl"]["name"] == "NP:default:Ingress"


def test_unknown_flow_is_a_warning_with_a_best_effort_match():
    """A trace from another database: its lflow prefix is unknown here."""
    trace = next(iter(api.parse(SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt")))
    [stage] = [s for s in trace.walk() if isinstance(s, Stage) and s.line == trace.drop.line]
    stage.lflow = "00000000"  # as if the flow had been recreated since
    ex = api.explain(trace, _databases("base"))
    assert any("newer or older" in w.message for w in ex.warnings)
    assert ex.drop.lflow_match.startswith("best-effort")
    assert ex.drop.acl.name == "NP:default:Ingress"


def test_bad_database_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "sb.db"
    bad.write_text("not a database\n")
    code = main(["explain", "--sb", str(bad),
                 str(SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt")])
    err = capsys.readouterr().err
    assert code == 3 and str(bad) in err and "database" in err


def _openflow_delivered_cases():
    for s in MANIFEST["scenarios"]:
        logical, openflow = s.get("expected_ct_new") or {}, s.get("expected_openflow") or {}
        names = {c["file"].rsplit("/", 1)[1] for c in s["commands"]}
        if "ofproto-trace.ct-new.txt" in names and logical.get("verdict") == "delivered" \
                and openflow.get("verdict") == "delivered":
            yield s


OPENFLOW_DELIVERED = list(_openflow_delivered_cases())


@pytest.mark.parametrize("scenario", OPENFLOW_DELIVERED, ids=[s["name"] for s in OPENFLOW_DELIVERED])
def test_openflow_trace_gets_logical_path_and_outputs_from_the_databases(scenario, capsys):
    """An ofproto/trace knows only OpenFlow ports and cookies; with the databases its
    datapaths and outputs are the logical names the topology gave them."""
    d = SAMPLES / "db" / scenario["db_state"]
    code = main(["explain", "--json", "--nb", str(d / "nb.db"), "--sb", str(d / "sb.db"),
                 str(SAMPLES / scenario["name"] / "ofproto-trace.ct-new.txt")])
    [obj] = json.loads(capsys.readouterr().out)
    assert code == 0 and obj["verdict"] == "delivered"
    want = scenario["expected_ct_new"]
    assert sorted(obj["outputs"]) == sorted(want["outputs"])
    # The OpenFlow trace ends where the packet leaves this chassis (a tunnel):
    # its datapaths are the start of the logical path.
    assert obj["datapaths"] == want["datapaths"][:len(obj["datapaths"])]
    assert obj["datapaths"]


# --- both releases: every form, by flow or by the ACL's name -------------------------

def _release_cases():
    from conftest import sample_manifests
    for release, (base, manifest) in sample_manifests().items():
        if release == "26.03":
            continue  # (a subset for ovn-detrace's indented form)
        for s in manifest["scenarios"]:
            for c in s["commands"]:
                key = c.get("expected") if c["tool"] == "ovn-trace" else "expected_openflow"
                if c["file"].endswith("ct-est.txt"):
                    key = "expected_openflow_ct_est"
                expected = s.get(key) or {}
                logical = s.get(LOGICAL_TWIN.get(key, key)) or {}
                drop = logical.get("drop") or {}
                if expected.get("verdict") == "dropped" and drop.get("acl_uuid"):
                    yield pytest.param(release, base, manifest, s, c, drop,
                                       id=f"{release}/{c['file']}")


@pytest.mark.parametrize("release,base,manifest,scenario,command,want",
                         list(_release_cases()))
def test_every_form_names_the_acl_and_its_owner(release, base, manifest, scenario, command,
                                                want):
    """The detailed forms and OpenFlow traces name the flow (OVN >= 23.06: the
    ACL's acl_eval flow); the summary and minimal forms name the ACL by the name
    its log printed, when it logs; an OpenFlow trace without notes is annotated
    from the databases first."""
    state = manifest["db_states"][scenario["db_state"]]
    db = _DATABASES.setdefault((release, scenario["db_state"]), open_databases(
        nb=base / state["nb"], sb=base / state["sb"]))
    for trace in api.parse(base / command["file"]):
        ex = trace.explain(db)
        short = trace.format in ("ovn-trace/summary", "ovn-trace/minimal")
        logged = any(isinstance(n, Log) and n.acl == want["acl_name"] for n in trace.walk())
        if short and not logged:
            assert ex.drop is None or ex.drop.acl is None  # nothing names it
            continue
        drop = ex.drop
        assert drop is not None and drop.acl is not None, (trace.format, ex.warnings)
        assert (drop.acl.uuid, drop.acl.name) == (want["acl_uuid"], want["acl_name"])
        if not short:
            flow = want.get("acl_flow") or want
            assert drop.lflow_uuid == flow["lflow_uuid"]
        owner = want.get("owner")
        if owner is not None:
            assert (drop.owner.kind, drop.owner.namespace, drop.owner.name) == \
                (owner["owner_type"], owner["namespace"], owner["name"])
            assert drop.owner.legacy is False
