"""`explain --replay --sb`: every --minimal and --summary sample (both ct settings)
made whole by replaying its packet with ovn-trace --detailed; the drop point
must be the one the manifest expects of the scenario (which the detailed sample
shows) and the one ovnparse reads in the detailed sample itself.

The samples are replayed in one file per database state, each trace preceded by
the ovn-trace command that made it (as a saved terminal session has it: `$
ovn-trace ...`), so the replay takes --ct and --lb-dst from there.
"""

from __future__ import annotations

import json
import os
import shlex

import pytest
from conftest import SAMPLES, process_alive

from ovnparse.api import explain, open_databases, parse
from ovnparse.cli import main
from ovnparse.commands import trace as trace_cmd
from ovnparse.sandbox import missing_tools

NEEDED = ("ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovn-sbctl", "ovn-trace")
pytestmark = pytest.mark.skipif(bool(missing_tools(NEEDED)),
                                reason=f"OVS/OVN not installed: {missing_tools(NEEDED)}")

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
DROP_FIELDS = ("datapath", "pipeline", "table", "stage", "priority", "match", "lflow",
               "reason_code")
#: (scenario, form) whose in-port the minimal form cannot name: tunnel key 2 is
#: breth0_ovn-worker's (localnet, any MAC) in ext_ovn-worker and rtoe-GR_ovn-worker's
#: in GR_ovn-worker, and the destination MAC 02:42:ac:12:00:02 is a port's in both
AMBIGUOUS = {("arp-reply-learned-by-gateway", "minimal")}


def _short_commands(state: str) -> list[tuple[dict, dict]]:
    return [(s, c) for s in MANIFEST["scenarios"] if s["db_state"] == state
            for c in s["commands"]
            if c["tool"] == "ovn-trace" and c["form"] in ("minimal", "summary")
            and not c.get("ovs")]


def _detailed(sc: dict, cmd: dict) -> dict:
    return next(c for c in sc["commands"] if c["tool"] == "ovn-trace"
                and c["form"] == "detailed" and c.get("ct") == cmd.get("ct")
                and not c.get("ovs"))


@pytest.fixture(scope="module", params=sorted(MANIFEST["db_states"]))
def replayed(request, tmp_path_factory):
    """(state, [(scenario, command, replayed object)]) of one database state."""
    state = request.param
    pairs = _short_commands(state)
    text = []
    for _, cmd in pairs:
        argv = [a for a in cmd["argv"] if not a.startswith(("--db", "unix:"))]
        text.append("$ " + shlex.join(argv) + "\n")
        text.append((SAMPLES / cmd["file"]).read_text())
    path = tmp_path_factory.mktemp("replay") / f"{state}.txt"
    path.write_text("".join(text))
    db = MANIFEST["db_states"][state]
    trace_cmd.LAST_RUN.clear()
    import io
    import sys
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        status = main(["explain", "--replay", "--json", "--nb", str(SAMPLES / db["nb"]),
                       "--sb", str(SAMPLES / db["sb"]), str(path)])
    finally:
        sys.stdout, sys.stderr = old
    assert status == 0, err.getvalue()
    # the daemons the replays started are gone, and the private directory
    pids = trace_cmd.LAST_RUN.get("pids", {})
    assert pids and not [p for p in pids.values() if process_alive(p)]
    assert not os.path.exists(trace_cmd.LAST_RUN["workdir"])
    objs = json.loads(out.getvalue())
    assert len(objs) == len(pairs)
    return state, [(sc, cmd, obj) for (sc, cmd), obj in zip(pairs, objs, strict=True)]


def test_every_short_sample_is_made_whole(replayed):
    state, results = replayed
    for sc, cmd, obj in results:
        where = f"{cmd['file']}"
        assert obj["format"] == f"ovn-trace/{cmd['form']}", where
        if (sc["name"], cmd["form"]) in AMBIGUOUS:
            assert obj["replayed"] is False, where
            assert any("ambiguous" in w["message"] for w in obj["warnings"]), where
            continue
        assert obj["replayed"] is True, where
        assert obj["replay"]["same_flow"] is True, where  # ovn-trace printed the same '# flow'
        assert obj["replay"]["verdict"] == obj["verdict"], where
        expected = sc["expected_ct_new" if cmd.get("ct") == "new" else "expected"]
        want = expected.get("drop")
        if want is None:
            assert obj["drop"] is None, where
            continue
        got = obj["drop"]
        assert got["replayed"] is True, where
        assert {k: got[k] for k in DROP_FIELDS} == {k: want[k] for k in DROP_FIELDS}, where
        if want.get("acl_name"):
            assert got["acl"]["name"] == want["acl_name"], where


def test_the_replayed_drop_is_the_detailed_samples(replayed):
    state, results = replayed
    db_files = MANIFEST["db_states"][state]
    db = open_databases(str(SAMPLES / db_files["nb"]), str(SAMPLES / db_files["sb"]))
    for sc, cmd, obj in results:
        if not obj["replayed"]:
            continue
        detailed = explain(next(iter(parse(SAMPLES / _detailed(sc, cmd)["file"]))), db)
        want = detailed.drop.to_dict() if detailed.drop else None
        got = obj["drop"]
        if want is None:
            assert got is None, cmd["file"]
            continue
        for k in (*DROP_FIELDS, "line", "lflow_uuid"):
            assert got[k] == want[k], (cmd["file"], k)
        assert (got["acl"] or {}).get("uuid") == (want["acl"] or {}).get("uuid")
        assert got["owner"] == want["owner"]


def test_ct_given_but_not_said_is_not_guessed(capsys):
    """A --ct=new trace without its command: its ct actions say they were given, so
    it is not replayed without --ct (a warning says why); with --ct it is."""
    path = SAMPLES / "acl-ingress-default-deny/ovn-trace.ct-new.minimal.txt"
    sb, nb = str(SAMPLES / "db/base/sb.db"), str(SAMPLES / "db/base/nb.db")
    assert main(["explain", "--replay", "--json", "--sb", sb, str(path)]) == 0
    (obj,) = json.loads(capsys.readouterr().out)
    assert obj["replayed"] is False and obj["drop"]["stage"] is None  # (the LOG line only)
    assert any("were given with --ct" in w["message"] for w in obj["warnings"])
    assert main(["explain", "--replay", "--json", "--sb", sb, "--nb", nb,
                 *["--ct", "new"] * 6, str(path)]) == 0
    (obj,) = json.loads(capsys.readouterr().out)
    assert obj["replayed"] is True and obj["drop"]["stage"] == "ls_out_acl"
    assert obj["drop"]["acl"]["name"] == "NP:default:Ingress"


def test_replay_needs_a_saved_southbound(capsys):
    path = str(SAMPLES / "acl-ingress-default-deny/ovn-trace.minimal.txt")
    assert main(["explain", "--replay", path]) == 2
    assert "--replay needs --sb" in capsys.readouterr().err


def test_replay_without_ovn_trace_warns_and_explains(capsys):
    path = str(SAMPLES / "acl-ingress-default-deny/ovn-trace.minimal.txt")
    assert main(["explain", "--replay", "--ovn-trace", "/nonexistent/ovn-trace", "--sb",
                 str(SAMPLES / "db/base/sb.db"), path]) == 0
    out, err = capsys.readouterr()
    assert "is not installed: not replayed" in err and "verdict:  DROPPED" in out


def test_detailed_traces_are_left_as_they_are(capsys):
    path = str(SAMPLES / "acl-ingress-default-deny/ovn-trace.detailed.txt")
    trace_cmd.LAST_RUN.clear()
    assert main(["explain", "--replay", "--json", "--sb", str(SAMPLES / "db/base/sb.db"),
                 path]) == 0
    (obj,) = json.loads(capsys.readouterr().out)
    assert obj["replayed"] is False
    assert "pids" not in trace_cmd.LAST_RUN  # nothing was started
