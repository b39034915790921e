"""Issue 10, the hang: ovs.flow's key-value parser (ovs 4.0.0) never moves past
a carriage return or a tab inside the text it parses (`Datapath actions: 1\r0`
made `ovnparse explain` loop forever; `OFPFlow` likewise on a dump-flows line).
Every input here ran forever before the guard in formats/ofproto/ovs_flow.py; each
runs in a child process with a time limit, so that a regression fails, not hangs.

The traces are real samples with their `Datapath actions:` value replaced
(a mutation, said here): the tool never prints these characters there.
"""

from __future__ import annotations

import pytest
from conftest import SAMPLES
from guard import run_cli, run_python

SAMPLE = SAMPLES / "pod-to-pod-same-node" / "ofproto-trace.ct-est.txt"
LAST_ACTIONS = "Datapath actions: 2328533719"  # (the sample's last pass)
BAD_VALUES = {"cr": "1\r0", "tab": "1\t0", "drop-cr": "drop\r", "vt": "1\x0b0",
              "ff": "1\x0c0", "nbsp": "1\xa00", "cr-in-recirc": "ct(zone=4,nat),recirc(0x3\r)"}


def _mutated(tmp_path, value: str):
    text = SAMPLE.read_text()
    assert LAST_ACTIONS in text
    path = tmp_path / "trace.txt"
    path.write_bytes(text.replace(LAST_ACTIONS, "Datapath actions: " + value).encode())
    return path


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_whitespace_in_datapath_actions_does_not_hang_explain(tmp_path, value):
    path = _mutated(tmp_path, value)
    for argv in (["explain", str(path)], ["explain", "--json", str(path)],
                 ["parse", str(path)]):
        done = run_cli(*argv)
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr


def test_the_cut_value_is_said_not_read_as_a_port(tmp_path):
    done = run_cli("explain", str(_mutated(tmp_path, "1\r0")))
    out = done.stdout.decode()
    assert "'\\r' at column 2" in out  # the warning names the character and where


@pytest.mark.parametrize("char", ["\r", "\t", "\x0b", "\x0c", "\u2028"],
                         ids=["cr", "tab", "vt", "ff", "line-separator"])
def test_every_call_into_ovs_flow_is_guarded(char):
    # The library's functions get text the CLI's reader never passes on (the
    # reader expands tabs): each one refuses it with OvsFlowError, and returns.
    code = f"""
from ovnparse.formats.ofproto.ovs_flow import OvsFlowError, match, odp_actions, ofp_flow
from ovnparse.db.dump_flows import read_dump_flows
c = {char!r}
for call in (lambda: odp_actions("1" + c + "0", 7),
             lambda: odp_actions("drop" + c + "x", 7),
             lambda: match("in_port=1" + c + "ip", 7, "Flow: line"),
             lambda: ofp_flow(" cookie=0x1, table=0, priority=1,ip actions=1" + c + "2", 7)):
    try:
        call()
    except OvsFlowError as exc:
        assert exc.line == 7, exc
    else:
        raise SystemExit("accepted")
flows = read_dump_flows(" cookie=0x1, duration=1s, table=0, n_packets=0, priority=1,ip"
                        " actions=drop" + c + "x\\n")
for flow in [f for fs in flows.values() for f in fs]:
    try:
        flow.parsed()
    except OvsFlowError as exc:
        assert exc.line == 1, exc
    else:
        raise SystemExit("accepted")
print("ok")
"""
    done = run_python(code)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


def test_dump_flows_explain_with_a_tab_in_a_flow(tmp_path):
    flows = tmp_path / "flows.txt"
    flows.write_bytes(b" cookie=0x4973b8c9, duration=1s, table=44, n_packets=0, "
                      b"priority=2000,ip actions=drop\t\r\n")
    trace = SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt"
    done = run_cli("explain", "--dump-flows", str(flows), str(trace))
    assert done.returncode in (0, 3), done.stderr
    assert b"Traceback" not in done.stderr


def test_a_long_microflow_cut_by_a_control_character_is_read_in_time(tmp_path):
    # Found by benchmarks/fuzz_long.py: ovn-trace's `# <microflow>` line with a long
    # value and a control character in it made sniff.FLOW_HEADER's nested
    # quantifiers backtrack (seconds at 9,000 characters, growing with the square).
    # The sample's first line, its last value made 300,000 characters long (without the fix: minutes).
    text = (SAMPLES / "acl-ingress-default-deny" / "ovn-trace.minimal.txt").read_text()
    head, rest = text.split("\n", 1)
    assert head.endswith(",tcp_flags=0")
    path = tmp_path / "trace.txt"
    path.write_bytes((head + "0" * 300_000 + "\x0b0\r\n" + rest).encode())
    done = run_cli("explain", str(path))
    assert done.returncode in (0, 2) and b"Traceback" not in done.stderr
