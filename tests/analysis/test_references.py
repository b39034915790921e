"""drop.references: the port groups and address sets a drop's match names, resolved.

Expected: the databases' own rows, read here directly (the Northbound's
Port_Group and Logical_Switch_Port, the Southbound's `<tunnel key>_<name>`
copies), the port group named in the manifest's ACL match, and pods named
`namespace/name` after ovn-kubernetes' `<namespace>_<pod>` port names.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import ovnparse
from ovnparse.db import open_database

from conftest import ROOT
from sample_traces import MANIFESTS, RELEASES, SEED, databases, sample, scenario

FORMS = ["ovn-trace.detailed.txt", "ovn-trace.ct-new.detailed.txt", "ovn-trace.ovs.detailed.txt",
         "ovn-detrace.txt", "ofproto-trace.ct-new.txt", "ofproto-trace.ct-est.txt"]


def expected_group(release: str, state: str, name: str) -> dict:
    """The port group as the Northbound file has it: port names and pods."""
    nb = open_database(MANIFESTS[release][0] / "db" / state / "nb.db")
    [group] = [g for g in nb.rows("Port_Group").values() if g["name"] == name]
    lsps = nb.rows("Logical_Switch_Port")
    ports = [lsps[u] for u in group["ports"]]
    pods = []
    for p in ports:
        ids = p.get("external_ids") or {}
        if ids.get("pod") == "true":
            pods.append(ids["namespace"] + "/" + p["name"].split("_", 1)[1])
    return {"ports": sorted(p["name"] for p in ports), "pods": sorted(pods),
            "ids": group.get("external_ids") or {}}


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("form", FORMS)
def test_the_drop_names_its_port_group_pods_and_owner(release, form):
    sc = scenario(release, SEED)
    [name] = re.findall(r"@(\w+)", sc["expected"]["drop"]["acl_match"])
    want = expected_group(release, sc["db_state"], name)
    assert want["pods"], "the default deny's port group holds pods"
    trace = sample(release, SEED, form, db=databases(release, sc["db_state"]))[0]
    refs = trace.drop.references
    assert [g.name for g in refs.port_groups] == [name] and refs.address_sets == []
    [group] = refs.port_groups
    assert (group.ports, group.pods) == (want["ports"], want["pods"])
    assert (group.owner.kind, group.owner.namespace, group.owner.direction) == (
        "NetpolNamespace", "default", "Ingress")
    # 23.03's port groups carry only a legacy name id, 25.03's ovn-kubernetes' owner ids
    assert group.owner.legacy == ("k8s.ovn.org/owner-type" not in want["ids"])


@pytest.mark.parametrize("release", RELEASES)
def test_southbound_only_reads_the_datapath_copies(release):
    sc = scenario(release, SEED)
    [name] = re.findall(r"@(\w+)", sc["expected"]["drop"]["acl_match"])
    sb_path = MANIFESTS[release][0] / "db" / sc["db_state"] / "sb.db"
    sb = open_database(sb_path)
    copies = [g for g in sb.rows("Port_Group").values() if g["name"].endswith("_" + name)]
    assert copies and all(re.match(r"\d+_", g["name"]) for g in copies)
    ports = sorted({p for g in copies for p in g["ports"]})
    db = ovnparse.open_databases(sb=sb_path)
    [trace] = sample(release, SEED, "ovn-trace.detailed.txt", db=db)
    [group] = trace.drop.references.port_groups
    assert group.ports == ports and group.owner is None
    assert group.pods == expected_group(release, sc["db_state"], name)["pods"]


def test_address_sets_of_the_allow_flow():
    db = databases("23.03", "allow-prod")
    [trace] = sample("23.03", "acl-ingress-allowed-after-web-allow-prod",
                     "ovn-trace.detailed.txt", db=db)
    used, _ = trace.explained()
    [step] = [s for s in used.steps() if getattr(s, "stage", None) == "ls_out_acl"]
    refs = used.resolved[step.line].references
    nb = open_database(MANIFESTS["23.03"][0] / "db" / "allow-prod" / "nb.db")
    sets = {s["name"]: sorted(s["addresses"]) for s in nb.rows("Address_Set").values()}
    names = re.findall(r"\$(\w+)", step.match)
    assert [s.name for s in refs.address_sets] == names
    assert all(s.addresses == sets[s.name] for s in refs.address_sets)
    # the namespace prod: the source pod's address is in its IPv4 set
    assert any("10.244.1.4" in s.addresses for s in refs.address_sets)
    [group] = refs.port_groups
    assert group.owner.kind == "NetworkPolicy" and group.owner.name == "web-allow-prod"


def test_explain_json_has_the_references_and_no_database_means_null():
    d = MANIFESTS["23.03"][0]
    seed = d / SEED / "ovn-trace.detailed.txt"
    done = subprocess.run([sys.executable, "-m", "ovnparse.cli", "explain", "--json", "--nb",
                           d / "db/base/nb.db", "--sb", d / "db/base/sb.db", seed],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    [out] = json.loads(done.stdout)
    refs = out["drop"]["references"]
    assert set(refs) == {"port_groups", "address_sets"}
    assert set(refs["port_groups"][0]) == {"name", "ports", "pods", "owner"}
    assert "default/web" in refs["port_groups"][0]["pods"]
    [trace] = ovnparse.read(seed)
    assert trace.explain().to_dict()["drop"]["references"] is None


def test_no_pyparsing_without_databases():
    seed = str(MANIFESTS["23.03"][0] / SEED / "ovn-trace.detailed.txt")
    code = ("import sys, ovnparse\n"
            f"t = ovnparse.read({seed!r})[0]\n"
            "t.explain(); t.to_dot(); t.diff(t)\n"
            "assert 'pyparsing' not in sys.modules, 'pyparsing imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
