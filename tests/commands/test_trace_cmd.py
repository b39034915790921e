"""`ovnparse trace`: the real ovn-trace against a private ovsdb-server serving a
copy of a saved Southbound file, explained by ovnparse.

Every test checks afterwards that no daemon it started is alive (the pids the
sandbox reported, in `trace.LAST_RUN` or, for a separate process, its -v lines)
and that the private directory is gone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from ovnparse.analysis import explain
from ovnparse.api import parse
from ovnparse.cli import main
from ovnparse.commands import trace as trace_cmd
from ovnparse.sandbox import missing_tools
from ovnparse.views import text as text_view

from conftest import SAMPLES

NEEDED = ("ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovs-appctl", "ovn-nbctl",
          "ovn-sbctl", "ovn-trace")
pytestmark = pytest.mark.skipif(bool(missing_tools(NEEDED)),
                                reason=f"OVS/OVN not installed: {missing_tools(NEEDED)}")

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
SCENARIOS = {s["name"]: s for s in MANIFEST["scenarios"]}
DROP_FIELDS = ("datapath", "pipeline", "table", "stage", "priority", "match", "lflow",
               "reason_code")

#: scenarios replayed here: each verdict, a load balancer pick (--lb-dst), the
#: second db state, a router, a drop of each kind
REPLAYED = ["pod-to-pod-same-node", "service-clusterip-dns", "ttl-exceeded",
            "arp-flood-unknown", "port-security-ip-spoof", "no-route",
            "acl-ingress-default-deny", "north-south-ipv6-nd-resolve",
            "acl-ingress-default-deny-other-namespace-pod"]


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(autouse=True)
def nothing_left_running(trace_leaves_nothing):
    """Every test here: the daemons `trace` started are gone (conftest)."""


def _command(name: str, form: str = "detailed", ct: str = "default") -> dict:
    return next(c for c in SCENARIOS[name]["commands"]
                if c["tool"] == "ovn-trace" and c["form"] == form and c.get("ct") == ct
                and not c.get("ovs"))


def _replay_args(name: str, command: dict) -> list[str]:
    """`ovnparse trace` arguments for a recorded ovn-trace argv: its options, not its
    --db/--ovs, and the same DATAPATH MICROFLOW."""
    sc = SCENARIOS[name]
    argv = command["argv"]
    assert argv[0] == "ovn-trace" and argv[1] == "--db"
    options = [a for a in argv[3:-2] if not a.startswith("--ovs")]
    assert argv[-2:] == [sc["datapath"], sc["microflow"]]
    return ["trace", "--sb", str(SAMPLES / sc["db"]["sb"]), *options, *argv[-2:]]


def _check_expected(obj: dict, expected: dict) -> None:
    assert obj["verdict"] == expected["verdict"]
    assert sorted(obj["outputs"]) == expected["outputs"]
    assert obj["datapaths"] == expected["datapaths"]
    if expected["drop"] is None:
        assert obj["drop"] is None
    else:
        for key in DROP_FIELDS:
            assert obj["drop"][key] == expected["drop"][key], key


# ------------------------------------------------------------------ replays
@pytest.mark.parametrize("name", REPLAYED)
def test_replay_gives_the_manifest_answer_and_the_recorded_bytes(name, capsysbinary):
    command = _command(name)
    sb = SAMPLES / SCENARIOS[name]["db"]["sb"]
    before = _sha(sb)
    assert main([*_replay_args(name, command), "--raw"]) == 0
    out, err = capsysbinary.readouterr()
    recorded = (SAMPLES / command["file"]).read_bytes()
    assert _sha(SAMPLES / command["file"]) == command["sha256"]
    # ovn-trace's own bytes first, unchanged, then the explanation of them
    assert out[:len(recorded)] == recorded
    explanation = [explain(t) for t in parse(SAMPLES / command["file"])]
    for ex in explanation:
        ex.source = f"ovn-trace on {sb}"
    text = out[len(recorded):].decode()
    assert text.startswith("\n")
    # the same explanation as `ovnparse explain` of the recorded file, plus our warnings
    plain = text_view.render(explanation).splitlines()
    assert [ln for ln in text[1:].splitlines() if not ln.startswith("  warning:")] == \
        [ln for ln in plain if not ln.startswith("  warning:")]
    assert b"Traceback" not in err
    assert _sha(sb) == before, "the saved database was written to"
    pids = trace_cmd.LAST_RUN["pids"]  # one NB and one SB server a run (sb, sb2, ...)
    assert {k.rstrip("0123456789") for k in pids} == {"nb", "sb"}


@pytest.mark.parametrize("name", ["arp-flood-unknown", "acl-ingress-default-deny",
                                  "acl-ingress-default-deny-other-namespace-pod"])
def test_replay_json_matches_the_manifest(name, capsys):
    command = _command(name)
    assert main([*_replay_args(name, command), "--json"]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    assert obj["format"] == "ovn-trace/detailed"
    _check_expected(obj, SCENARIOS[name][command["expected"]])


@pytest.mark.parametrize("form,ct", [("all", "default"), ("summary", "new")])
def test_other_forms_and_ct_new(form, ct, capsysbinary):
    name = "acl-ingress-default-deny"
    command = _command(name, form, ct)
    assert main([*_replay_args(name, command), "--raw"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith((SAMPLES / command["file"]).read_bytes())


def test_expect_sets_the_exit_status(capsys):
    args = _replay_args("acl-ingress-default-deny", _command("acl-ingress-default-deny"))
    assert main([*args, "--expect", "delivered"]) == 1
    assert "verdict:  DROPPED" in capsys.readouterr().out


def test_with_nb_names_the_dropping_acl_and_its_owner(capsys):
    name = "acl-ingress-default-deny"
    sc = SCENARIOS[name]
    args = _replay_args(name, _command(name))
    assert main([*args, "--nb", str(SAMPLES / sc["db"]["nb"]), "--json"]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    drop = obj["drop"]
    assert drop["acl"]["name"] == sc["expected"]["drop"]["acl_name"] == "NP:default:Ingress"
    assert drop["lflow_uuid"].startswith(sc["expected"]["drop"]["lflow"])
    assert drop["owner"]["namespace"] == "default"


def test_datapath_may_be_left_out(capsys):
    """ovn-trace finds the datapath from the microflow's inport."""
    name = "pod-to-pod-same-node"
    sc = SCENARIOS[name]
    assert main(["trace", "--sb", str(SAMPLES / sc["db"]["sb"]), "--json",
                 sc["microflow"]]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    _check_expected(obj, sc["expected"])


# ------------------------------------------------------------ saved files
def test_clustered_copy_is_converted_and_left_untouched(tmp_path, capsysbinary):
    name = "acl-ingress-default-deny"
    sc = SCENARIOS[name]
    command = _command(name)
    clustered = tmp_path / "sb.db"
    subprocess.run(["ovsdb-tool", "create-cluster", str(clustered), str(SAMPLES / sc["db"]["sb"]),
                    f"unix:{tmp_path}/raft.sock"], check=True, capture_output=True)
    assert subprocess.run(["ovsdb-tool", "db-is-clustered", str(clustered)]).returncode == 0
    before = _sha(clustered)
    listing = sorted(os.listdir(tmp_path))
    args = _replay_args(name, command)
    args[2] = str(clustered)
    assert main([*args, "--raw"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith((SAMPLES / command["file"]).read_bytes())
    assert _sha(clustered) == before
    assert sorted(os.listdir(tmp_path)) == listing  # no lock file, no converted copy
    assert subprocess.run(["ovsdb-tool", "db-is-clustered", str(clustered)]).returncode == 0


def _newer_schema_copy(tmp_path, version: str = "20.99.0"):
    """A copy of the base sb.db whose schema claims *version*: the installed schema with
    its "version" edited, applied with the real `ovsdb-tool convert` (which rewrites the
    file's first record, the schema, and keeps the data)."""
    schema = json.loads(open("/usr/share/ovn/ovn-sb.ovsschema").read())
    schema["version"] = version
    schema_file = tmp_path / "newer.ovsschema"
    schema_file.write_text(json.dumps(schema))
    db = tmp_path / "sb.db"
    shutil.copyfile(SAMPLES / "db/base/sb.db", db)
    subprocess.run(["ovsdb-tool", "convert", str(db), str(schema_file)], check=True,
                   capture_output=True)
    out = subprocess.run(["ovsdb-tool", "db-version", str(db)], check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == version
    return db


def test_newer_schema_than_the_local_ovn_trace_is_warned_about(tmp_path, capsys):
    db = _newer_schema_copy(tmp_path)
    name = "pod-to-pod-same-node"
    args = _replay_args(name, _command(name))
    args[2] = str(db)
    assert main([*args, "--json"]) == 0
    out, err = capsys.readouterr()
    [obj] = json.loads(out)
    _check_expected(obj, SCENARIOS[name]["expected"])
    [warning] = [w["message"] for w in obj["warnings"] if "schema" in w["message"]]
    assert "20.99.0" in warning and "20.27.0" in warning and "newer" in warning
    assert f"ovnparse: warning: {warning}" in err.splitlines()


def test_same_schema_gives_no_warning(capsys):
    name = "pod-to-pod-same-node"
    assert main([*_replay_args(name, _command(name)), "--json"]) == 0
    out, err = capsys.readouterr()
    [obj] = json.loads(out)
    assert not [w["message"] for w in obj["warnings"] if "schema" in w["message"]]
    assert "schema" not in err


def test_an_older_ovn_trace_is_warned_about(tmp_path, capsys):
    """The version is read from the ovn-trace that runs (--ovn-trace)."""
    fake = tmp_path / "ovn-trace-old"
    fake.write_text("#!/bin/sh\n"
                    'if [ "$1" = --version ]; then\n'
                    "  printf 'ovn-trace 22.03.0\\nOpen vSwitch Library 2.17.0\\n"
                    "DB Schema 20.21.0\\n'; exit 0\n"
                    "fi\n"
                    'exec ovn-trace "$@"\n')
    fake.chmod(0o755)
    name = "pod-to-pod-same-node"
    assert main([*_replay_args(name, _command(name)), "--ovn-trace", str(fake), "--json"]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    [warning] = [w["message"] for w in obj["warnings"] if "schema" in w["message"]]
    assert "20.27.0" in warning and "20.21.0" in warning and "ovn-trace 22.03.0" in warning


# ----------------------------------------------------------------- argv only
def test_arguments_reach_ovn_trace_untouched(tmp_path, capsys):
    """No shell anywhere: quotes, &&, $, backquotes and ; arrive as they were given."""
    record = tmp_path / "argv.json"
    fake = tmp_path / "ovn-trace-fake"
    sample = SAMPLES / _command("pod-to-pod-same-node")["file"]
    fake.write_text(f"#!{os.environ.get('PYTHON', __import__('sys').executable)}\n"
                    "import json, sys\n"
                    "if sys.argv[1:] == ['--version']:\n"
                    "    print('ovn-trace 23.03.1'); sys.exit(0)\n"
                    f"json.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n"
                    f"sys.stdout.write(open({str(sample)!r}).read())\n")
    fake.chmod(0o755)
    microflow = ('inport == "prod_test-6459" && eth.src == $HOME && `touch x`; '
                 "echo 'a b' | cat > y && ip4.src == \"$(id)\"")
    datapath = "-odd $dp name"
    assert main(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--ovn-trace", str(fake),
                 "--ct=new", "--ct=est|trk", "--lb-dst", "10.0.0.1:80", "--select-id", "3",
                 "--summary", "--json", datapath, microflow]) == 0
    argv = json.loads(record.read_text())
    db = argv.pop(0)
    assert db.startswith("--db=unix:") and db.endswith("/run/sb.sock")
    # (the pruned replay, the default, runs ovn-trace with -vsyslog:off: see prune.py)
    assert argv == ["-vsyslog:off", "--summary", "--ct=new", "--ct=est|trk",
                    "--lb-dst=10.0.0.1:80", "--select-id=3", "--", datapath, microflow]
    assert main(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--ovn-trace", str(fake),
                 "--ct=new", "--ct=est|trk", "--lb-dst", "10.0.0.1:80", "--select-id", "3",
                 "--summary", "--json", "--whole-db", datapath, microflow]) == 0
    argv = json.loads(record.read_text())
    assert argv[1:] == ["--summary", "--ct=new", "--ct=est|trk", "--lb-dst=10.0.0.1:80",
                        "--select-id=3", "--", datapath, microflow]
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    assert not os.path.exists("x") and not os.path.exists("y")


# -------------------------------------------------------------------- errors
def _error(args: list[str], capsys, status: int = 2) -> str:
    assert main(args) == status
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ovnparse: ") and "Traceback" not in err
    return lines[0]


def _flow() -> str:
    return SCENARIOS["pod-to-pod-same-node"]["microflow"]


def test_missing_database_file(tmp_path, capsys):
    line = _error(["trace", "--sb", str(tmp_path / "nope.db"), "ovn-worker", _flow()], capsys,
                  status=3)
    assert "nope.db: no such file" in line
    assert "pids" not in trace_cmd.LAST_RUN  # nothing was started


def test_a_live_remote_is_not_a_file(capsys):
    line = _error(["trace", "--sb", "unix:/run/ovn/ovnsb_db.sock", _flow()], capsys, status=3)
    assert "no such file" in line and "ovn-trace --db" in line


def test_read_only_directory_and_file(tmp_path, capsys):
    """Only the private copy is written to (as root the modes stop nothing: the listing
    check does)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    db = ro / "sb.db"
    shutil.copyfile(SAMPLES / "db/base/sb.db", db)
    db.chmod(0o444)
    ro.chmod(0o555)
    try:
        assert main(["trace", "--sb", str(db), "--json", _flow()]) == 0
        [obj] = json.loads(capsys.readouterr().out)
        assert obj["verdict"] == "delivered"
        assert os.listdir(ro) == ["sb.db"]
    finally:
        ro.chmod(0o755)


def test_a_directory_is_not_a_database(tmp_path, capsys):
    assert "is a directory" in _error(["trace", "--sb", str(tmp_path), _flow()], capsys,
                                      status=3)


def test_truncated_database_file(tmp_path, capsys):
    db = tmp_path / "cut.db"
    db.write_bytes((SAMPLES / "db/base/sb.db").read_bytes()[:1000])
    line = _error(["trace", "--sb", str(db), "ovn-worker", _flow()], capsys, status=3)
    assert "cut.db: not a readable OVSDB database file" in line


def test_garbage_database_file(tmp_path, capsys):
    db = tmp_path / "junk.db"
    db.write_text("this is not a database\n")
    line = _error(["trace", "--sb", str(db), "ovn-worker", _flow()], capsys, status=3)
    assert "junk.db: not a readable OVSDB database file" in line


def test_corrupt_after_a_good_first_record(tmp_path, capsys):
    """A readable header and schema, then a broken transaction: ovsdb-server serves what
    it could read, as it would in production (the trace then runs on that)."""
    db = tmp_path / "tail.db"
    db.write_bytes((SAMPLES / "db/base/sb.db").read_bytes() + b"OVSDB JSON 99 0000\n{garbage")
    rc = main(["trace", "--sb", str(db), "--json", "ovn-worker", _flow()])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if rc == 0:
        [obj] = json.loads(out)
        assert obj["verdict"] == "delivered"
    else:
        assert rc == 3 and len(err.splitlines()) == 1  # (a database that cannot be read)


def test_northbound_file_given_as_southbound(capsys):
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/nb.db"), "ovn-worker", _flow()],
                  capsys, status=3)
    assert "holds the OVN_Northbound database, not OVN_Southbound" in line


def test_unknown_datapath(capsys):
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "no-such-switch", _flow()],
                  capsys)
    assert 'unknown datapath "no-such-switch"' in line and "ovn-worker" in line


def test_microflow_ovn_trace_rejects(capsys):
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "ovn-worker",
                   'inport == && $x "'], capsys)
    assert "ovn-trace rejected the microflow: Syntax error" in line


def test_ovn_trace_crash_is_one_line(capsys):
    """ovn-trace 23.03 aborts on an unknown inport; its warning is kept."""
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "ovn-worker",
                   'inport == "nobody"'], capsys)
    assert "ovn-trace crashed (SIGABRT)" in line and "nobody: unknown logical port" in line


def test_bad_option_value_ovn_trace_refuses(capsys):
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--ct=bogus", "ovn-worker",
                   _flow()], capsys)
    assert "unknown connection tracking state flag" in line


def test_missing_ovn_trace_program(tmp_path, capsys):
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--ovn-trace",
                   str(tmp_path / "no-ovn-trace"), _flow()], capsys)
    assert "no-ovn-trace" in line


def test_ovn_trace_timeout(tmp_path, capsys):
    fake = tmp_path / "slow"
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && exit 0\nexec sleep 30\n')
    fake.chmod(0o755)
    line = _error(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--ovn-trace", str(fake),
                   "--timeout", "0.2", _flow()], capsys)
    assert "did not finish within 0.2 s" in line


def test_json_and_raw_together_are_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--json", "--raw", _flow()])
    assert exc.value.code == 2


@pytest.mark.parametrize("whole_db", [True, False])
def test_what_ovn_trace_logs_becomes_warnings(tmp_path, capsys, whole_db):
    """Flows ovn-trace cannot parse are counted (it leaves them out of the trace); its
    other warnings are kept once each; its informational lines are not.  On a part of
    the database, the count is of the flows of the datapaths the trace ran in."""
    sample = SAMPLES / _command("pod-to-pod-same-node")["file"]
    fake = tmp_path / "ovn-trace-logs"
    log = tmp_path / "stderr.txt"
    log.write_text(
        "2026-11-26T11:35:58Z|00001|ovntrace|WARN|ip4.mcast || mld: parsing expression "
        "failed (Syntax error at `mld' expecting field name.)\n"
        "2026-11-26T11:35:58Z|00002|ovntrace|WARN|igmp: parsing expression failed (x)\n"
        "2026-11-26T11:35:58Z|00003|ovntrace|INFO|connected\n"
        "2026-11-26T11:35:58Z|00004|ovntrace|WARN|something else\n"
        "2026-11-26T11:35:58Z|00005|ovntrace|WARN|something else\n")
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && exit 0\n'
                    f'cat "{log}" >&2\ncat "{sample}"\n')
    fake.chmod(0o755)
    assert main(["trace", "--sb", str(SAMPLES / "db/base/sb.db"), "--ovn-trace", str(fake),
                 "--json", *(["--whole-db"] if whole_db else []), _flow()]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    assert obj["verdict"] == "delivered"
    scope = "" if whole_db else " of the datapaths the trace ran in"
    assert [w["message"] for w in obj["warnings"]] == [
        f"ovn-trace could not parse 2 logical flow match(es){scope} and left them out of the "
        "trace (first: ip4.mcast || mld: parsing expression failed (Syntax error at `mld' "
        "expecting field name.))",
        "ovn-trace: something else"]
