"""`ovnparse detrace --ovn-release 25.03` prints what ovn-detrace 25.03 printed
(samples/ovn-25.03: recorded by the real ovn-detrace 25.03 in the Debian 13
root, against the databases saved beside them), byte for byte, with and
without --ovs; and what ovn-detrace 23.03 printed for the 23.03 samples
(tests/commands/test_detrace_cmd.py checks those against the real 23.03 tool too)."""

from __future__ import annotations

import json
import re

import pytest

from ovnparse.cli import main

from conftest import SAMPLES

RELEASES = {"25.03": SAMPLES / "ovn-25.03", "23.03": SAMPLES}


def _runs():
    for release, base in RELEASES.items():
        manifest = json.loads((base / "manifest.json").read_text())
        for s in manifest["scenarios"]:
            state = manifest["db_states"][s["db_state"]]
            for c in s["commands"]:
                if c["tool"] == "ovn-detrace" and (release == "25.03" or not c.get("ovs")):
                    yield pytest.param(release, base, state, c, id=f"{release}/{c['file']}")


@pytest.mark.parametrize("release,base,state,command", list(_runs()))
def test_the_release_s_ovn_detrace_byte_for_byte(release, base, state, command, capsysbinary):
    argv = ["detrace", "--ovn-release", release, "--ovnnb", str(base / state["nb"]),
            "--ovnsb", str(base / state["sb"])]
    if command.get("ovs"):
        argv += ["--ovs", "--ovsdb", str(base / state["ovs"]["conf.db"]["file"])]
    assert main([*argv, str(base / command["stdin"])]) == 0
    ours = capsysbinary.readouterr().out.decode().split("\n")
    theirs = (base / command["file"]).read_text().split("\n")
    in_port = int(re.search(r"in_port=(\d+)", theirs[0]).group(1))
    if not (command.get("ovs") and in_port >= 10):
        assert ours == theirs
        return
    # ovn-detrace's in_port regex keeps the port's last digit (in_port=13 names
    # port 3's interface); ovnparse names port 13's: those notes alone differ.
    assert len(ours) == len(theirs)
    differ = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert differ and all(a.startswith("  * OVS Interface:") and
                          b.startswith("  * OVS Interface:") for a, b in differ)


def test_25_03_looks_up_rule_cookies_and_23_03_does_not(capsysbinary):
    """The one difference the samples show: 24.09's cookie regex also takes the
    `rule_cookie=0x...` of a controller action in `Datapath actions:`."""
    base = RELEASES["25.03"]
    manifest = json.loads((base / "manifest.json").read_text())
    state = manifest["db_states"]["base"]
    trace = base / "acl-ingress-default-deny" / "ofproto-trace.ct-new.txt"
    outs = {}
    for release in ("23.03", "25.03"):
        assert main(["detrace", "--ovn-release", release, "--ovnnb", str(base / state["nb"]),
                     "--ovnsb", str(base / state["sb"]), str(trace)]) == 0
        outs[release] = capsysbinary.readouterr().out.decode().split("\n")
    after = {r: outs[r][next(i for i, line in enumerate(outs[r])
                             if line.startswith("Datapath actions:")
                             and "rule_cookie=0x" in line) + 1] for r in outs}
    assert after["25.03"].startswith("  * Logical datapaths:") and after["23.03"] == ""


def test_a_release_that_is_not_one_is_a_clear_error(capsys):
    assert main(["detrace", "--ovn-release", "latest", "--ovnnb", "x", "--ovnsb", "y",
                 "/dev/null"]) == 2
    assert "not an OVN release" in capsys.readouterr().err
