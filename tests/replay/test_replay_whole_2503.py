"""`explain --replay` on the OVN 25.03 samples (samples/ovn-25.03), replayed with
that release's ovn-trace (the Debian 13 root's, through its own loader): every
--minimal and --summary sample's drop point is the one the manifest expects."""

from __future__ import annotations

import json
import shlex

import pytest
from conftest import SAMPLES, process_alive

from ovnparse.cli import main
from ovnparse.commands import trace as trace_cmd

pytestmark = pytest.mark.debian_root

BASE = SAMPLES / "ovn-25.03"
MANIFEST = json.loads((BASE / "manifest.json").read_text())
DROP_FIELDS = ("datapath", "pipeline", "table", "stage", "priority", "match", "lflow",
               "reason_code")
#: as in test_replay_whole.py: the localnet port's tunnel key and the destination MAC
#: fit two datapaths
AMBIGUOUS = {("arp-reply-learned-by-gateway", "minimal")}


@pytest.mark.parametrize("state", sorted(MANIFEST["db_states"]))
def test_short_25_03_samples_made_whole(state, ovn_trace_2503, tmp_path, capsys):
    pairs = [(s, c) for s in MANIFEST["scenarios"] if s["db_state"] == state
             for c in s["commands"] if c["tool"] == "ovn-trace"
             and c["form"] in ("minimal", "summary") and not c.get("ovs")]
    text = []
    for _, cmd in pairs:
        argv = [a for a in cmd["argv"] if not a.startswith(("--db", "unix:"))]
        text.append("$ " + shlex.join(argv) + "\n" + (BASE / cmd["file"]).read_text())
    path = tmp_path / "short.txt"
    path.write_text("".join(text))
    db = MANIFEST["db_states"][state]
    trace_cmd.LAST_RUN.clear()
    status = main(["explain", "--replay", "--json", "--ovn-trace", ovn_trace_2503,
                   "--nb", str(BASE / db["nb"]), "--sb", str(BASE / db["sb"]), str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    pids = trace_cmd.LAST_RUN["pids"]
    assert not [p for p in pids.values() if process_alive(p)]
    objs = json.loads(out)
    assert len(objs) == len(pairs)
    for (sc, cmd), obj in zip(pairs, objs, strict=True):
        where = cmd["file"]
        if (sc["name"], cmd["form"]) in AMBIGUOUS:
            assert obj["replayed"] is False, where
            continue
        assert obj["replayed"] is True and obj["replay"]["same_flow"], (where, obj["warnings"])
        want = sc["expected_ct_new" if cmd.get("ct") == "new" else "expected"].get("drop")
        if want is None:
            assert obj["drop"] is None, where
            continue
        got = obj["drop"]
        acted = None
        if want.get("acl_flow"):
            # OVN >= 23.06: the ACL's acl_eval flow is the drop point; the acl_action
            # flow that acted on its verdict is named beside it (as for the detailed
            # samples, tests/formats/test_samples_ovn_trace.py)
            acted, want = want, {**want, **want["acl_flow"]}
        assert {k: got[k] for k in DROP_FIELDS} == {k: want[k] for k in DROP_FIELDS}, where
        if acted is not None:
            assert {k: got["acl_action"][k] for k in ("stage", "table", "priority", "lflow")} \
                == {k: acted[k] for k in ("stage", "table", "priority", "lflow")}, where
