"""--nb/--sb auto: databases found in trees shaped like a network must-gather (single
zone and interconnect) and a sosreport, made of the real sample databases; read once."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from batch_trees import DENY, SAMPLES

from ovnparse.cli import main

BASE = SAMPLES / "db" / "base"  # the databases the 23.03 samples were traced against
BASE_2503 = SAMPLES / "ovn-25.03" / "db" / "base"
DENY_2503 = SAMPLES / "ovn-25.03" / DENY
#: the ACL the default-deny sample hits (samples/manifest.json's expected owner)
ACL = "NP:default:Ingress"


def _objs(capsys, *args) -> list[dict]:
    code = main(["explain", "--output", "jsonl", "--quiet", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return [json.loads(line) for line in out.splitlines()]


def _gz(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(gzip.compress(src.read_bytes()))


def test_network_must_gather_leader_databases(tmp_path, capsys):
    mg = tmp_path / "must-gather.local.1" / "quay-io-openshift-must-gather-sha256"
    logs = mg / "network_logs"
    _gz(BASE / "nb.db", logs / "leader_nbdb")  # (gzip'd without a suffix)
    _gz(BASE / "sb.db", logs / "leader_sbdb.gz")
    (mg / "traces").mkdir(parents=True)
    shutil.copy(SAMPLES / DENY, mg / "traces" / "deny.txt")
    (mg / "timestamp").write_text("2026-12-05 07:00:00\n")
    [o] = _objs(capsys, "--nb", "auto", "--sb", "auto", str(tmp_path / "must-gather.local.1"))
    assert o["drop"]["acl"]["name"] == ACL
    assert o["source"]["databases"] == {"nb": str(logs / "leader_nbdb"),
                                        "sb": str(logs / "leader_sbdb.gz")}


def test_interconnect_a_pair_per_node_chosen_per_trace(tmp_path, capsys):
    logs = tmp_path / "mg" / "network_logs"
    for pod, db in (("ovnkube-node-aaaaa", BASE), ("ovnkube-node-bbbbb", BASE_2503)):
        _gz(db / "nb.db", logs / f"{pod}_nbdb.gz")
        _gz(db / "sb.db", logs / f"{pod}_sbdb.gz")
    traces = tmp_path / "mg" / "traces"
    traces.mkdir()
    shutil.copy(SAMPLES / DENY, traces / "1-deny-2303.txt")  # its cookies: aaaaa's
    shutil.copy(DENY_2503, traces / "2-deny-2503.txt")  # bbbbb's
    (traces / "ovnkube-node-bbbbb").mkdir()  # named by its folder: bbbbb, whatever it knows
    shutil.copy(SAMPLES / DENY, traces / "ovnkube-node-bbbbb" / "3-deny.txt")
    objs = _objs(capsys, "--nb", "auto", "--sb", "auto", str(tmp_path / "mg"))
    used = [Path(o["source"]["databases"]["sb"]).name if o["source"]["databases"] else None
            for o in objs]
    assert used == ["ovnkube-node-aaaaa_sbdb.gz", "ovnkube-node-bbbbb_sbdb.gz",
                    "ovnkube-node-bbbbb_sbdb.gz"]
    assert objs[0]["drop"]["acl"]["name"] == ACL
    assert objs[1]["drop"]["acl"] is not None  # (25.03's ACL, from its own pair)


def test_sosreport_database_files(tmp_path, capsys):
    sos = tmp_path / "sosreport-host-2026-12-05"
    (sos / "var/lib/ovn/etc").mkdir(parents=True)
    shutil.copy(BASE / "nb.db", sos / "var/lib/ovn/etc/ovnnb_db.db")
    shutil.copy(BASE / "sb.db", sos / "var/lib/ovn/etc/ovnsb_db.db")
    (sos / "sos_commands/ovn_central").mkdir(parents=True)
    (sos / "sos_commands/ovn_central/ovn-nbctl_show").write_text("switch 1\n")
    shutil.copy(SAMPLES / DENY, tmp_path / "deny.txt")
    [o] = _objs(capsys, "--nb", "auto", "--sb", "auto", str(sos), str(tmp_path / "deny.txt"))
    assert o["drop"]["acl"]["name"] == ACL
    assert o["source"]["databases"]["sb"].endswith("var/lib/ovn/etc/ovnsb_db.db")


def test_nothing_found_is_a_database_error(tmp_path, capsys):
    shutil.copy(SAMPLES / DENY, tmp_path / "deny.txt")
    assert main(["explain", "--nb", "auto", "--sb", "auto", str(tmp_path)]) == 3
    assert "no databases found" in capsys.readouterr().err


def test_frame_with_auto_and_with_databases(tmp_path):
    import ovnparse
    sos = tmp_path / "sos"
    (sos / "etc/openvswitch").mkdir(parents=True)
    shutil.copy(BASE / "nb.db", sos / "etc/openvswitch/ovnnb_db.db")
    shutil.copy(BASE / "sb.db", sos / "etc/openvswitch/ovnsb_db.db")
    shutil.copy(SAMPLES / DENY, sos / "deny.txt")
    df = ovnparse.frame(sos, db="auto", progress=False)
    assert list(df["acl_name"]) == [ACL] and list(df["owner_kind"]) == ["NetpolNamespace"]
    db = ovnparse.open_databases(nb=BASE / "nb.db", sb=BASE / "sb.db")
    df2 = ovnparse.frame([sos / "deny.txt"], db=db, progress=False)
    assert df2.drop(columns="databases").equals(df.drop(columns="databases"))


def test_jobs_share_the_databases(tmp_path, capsys):
    for n in range(20):
        shutil.copy(SAMPLES / DENY, tmp_path / f"t{n:02d}.txt")
    args = ["--nb", str(BASE / "nb.db"), "--sb", str(BASE / "sb.db"), str(tmp_path)]
    one = _objs(capsys, "--jobs", "1", *args)
    two = _objs(capsys, "--jobs", "2", *args)
    assert one == two and len(one) == 20 and {o["drop"]["acl"]["name"] for o in one} == {ACL}


@pytest.mark.parametrize("errors", ["collect", "raise"])
def test_frame_errors(tmp_path, errors):
    import ovnparse
    from ovnparse.errors import InputError
    shutil.copy(SAMPLES / DENY, tmp_path / "a.txt")
    (tmp_path / "b.txt").write_text("no trace here\n")
    if errors == "raise":
        with pytest.raises(InputError, match="b.txt:1: not a known trace format"):
            ovnparse.frame([tmp_path / "a.txt", tmp_path / "b.txt"], errors="raise",
                           progress=False)
        return
    df = ovnparse.frame([tmp_path / "a.txt", tmp_path / "b.txt"], progress=False)
    assert list(df["verdict"].fillna("-")) == ["dropped", "-"]
    assert df["error"][1].startswith("line 1: not a known trace format")


def test_sosreport_openflow_dump(tmp_path, capsys):
    sos = tmp_path / "sosreport-ovn-worker"
    (sos / "etc/ovn").mkdir(parents=True)
    shutil.copy(BASE_2503 / "nb.db", sos / "etc/ovn/ovnnb_db.db")
    shutil.copy(BASE_2503 / "sb.db", sos / "etc/ovn/ovnsb_db.db")
    (sos / "sos_commands/openvswitch").mkdir(parents=True)
    shutil.copy(BASE_2503 / "ovs/br-int.dump-flows.txt",
                sos / "sos_commands/openvswitch/ovs-ofctl_dump-flows_br-int")
    shutil.copy(DENY_2503, sos / "deny.txt")
    [o] = _objs(capsys, "--nb", "auto", "--sb", "auto", "--dump-flows", "auto", str(sos))
    flows = o["drop"]["openflow_flows"]
    assert flows and all(o["drop"]["lflow_uuid"][:8] in f for f in flows)
