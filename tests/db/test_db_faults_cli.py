"""Failing databases through the commands (issue 10): each fault test_db_faults.py
raises in the library ends `ovnparse explain` and `ovnparse detrace` with exit
status 3 and one line naming the server or file, within --db-timeout + 2 s, with
the hostile server's threads stopped and joined and no file changed.

The servers and the fault table are test_db_faults.py's (small hostile servers
on unix sockets in the test's private temp dir, threads of this process, closed
by each test); the damaged files are copies of the sample databases (said so).
"""

from __future__ import annotations

import hashlib
import re

import pytest

from ovnparse.cli import main

from conftest import SAMPLES
from test_db_faults import HOSTILE, NEEDS_OVS, TIMEOUT, Hostile, run_bounded

pytestmark = NEEDS_OVS
TRACE = str(SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt")
OFTRACE = str(SAMPLES / "acl-ingress-default-deny" / "ofproto-trace.ct-new.txt")
SB = SAMPLES / "db" / "base" / "sb.db"
NB = SAMPLES / "db" / "base" / "nb.db"


def _commands(sb: str) -> dict[str, list[str]]:
    return {"explain": ["explain", "--db-timeout", str(TIMEOUT), "--sb", sb, TRACE],
            "explain-json": ["explain", "--json", "--db-timeout", str(TIMEOUT), "--sb", sb,
                             TRACE],
            "detrace": ["detrace", "--db-timeout", str(TIMEOUT), "--ovnsb", sb, OFTRACE]}


def _run(capsys, argv, limit=TIMEOUT + 2):
    out = run_bounded(lambda: main(argv), limit)
    assert "error" not in out, out.get("error")
    stdout, stderr = capsys.readouterr()
    return out["value"], stdout, stderr


@pytest.mark.parametrize("command", ["explain", "explain-json", "detrace"])
@pytest.mark.parametrize("case", [c for c in HOSTILE if not HOSTILE[c][4]])
def test_hostile_server_through_the_command(tmp_path, capsys, case, command):
    behaviour, accepts, cls, pattern, kwargs = HOSTILE[case]
    server = Hostile(tmp_path / "s.sock", behaviour, accepts)
    try:
        argv = _commands(server.remote)[command]
        code, out, err = _run(capsys, argv)
    finally:
        server.close()  # (asserts its threads are stopped)
    assert code == 3, err
    assert err.count("\n") == 1 and err.startswith(f"ovnparse: {server.remote}"), err
    assert "Traceback" not in err
    # (the message the library's test expects; several remotes add their list)
    assert re.search(pattern.rstrip("$"), err), err


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", ["explain", "detrace", "trace"])
@pytest.mark.parametrize("damage", ["flipped byte", "cut inside a record", "bad schema record",
                                    "not an ovsdb file", "empty"])
def test_damaged_saved_file_through_the_command(tmp_path, capsys, damage, command):
    data = SB.read_bytes()
    second = data.index(b"OVSDB JSON ", 10)  # the first data record after the schema
    body = data.index(b"\n", second) + 1
    bad = {"flipped byte": data[:body + 30] + bytes([data[body + 30] ^ 0x20])
           + data[body + 31:],
           "cut inside a record": data[:body + 40],
           "bad schema record": data[:20] + bytes([data[20] ^ 0x20]) + data[21:],
           "not an ovsdb file": b"hello\n" + data,
           "empty": b""}[damage]
    path = tmp_path / "sb.db"
    path.write_bytes(bad)
    before = _digest(path)
    argv = {"explain": ["explain", "--sb", str(path), TRACE],
            "detrace": ["detrace", "--ovnsb", str(path), OFTRACE],
            "trace": ["trace", "--sb", str(path), 'inport == "x"']}[command]
    code, out, err = _run(capsys, argv, 30)
    assert _digest(path) == before
    if damage == "cut inside a record":
        # a torn last record (an append cut short) is read up to it, with a warning; a cut
        # inside an earlier record is damage
        assert code in (0, 2, 3), err
        assert "Traceback" not in err
        return
    assert code == 3, err
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err, err
    if damage == "flipped byte":
        assert "offset" in err


@pytest.mark.parametrize("command", ["explain", "detrace", "trace"])
@pytest.mark.parametrize("role,given,found", [("sb", NB, "OVN_Northbound"),
                                              ("nb", SB, "OVN_Southbound")])
def test_the_wrong_database_is_refused_by_every_command(capsys, command, role, given, found):
    argv = {("explain", "sb"): ["explain", "--sb", str(given), TRACE],
            ("explain", "nb"): ["explain", "--nb", str(given), TRACE],
            ("detrace", "sb"): ["detrace", "--ovnsb", str(given), OFTRACE],
            ("detrace", "nb"): ["detrace", "--ovnnb", str(given), "--ovnsb", str(SB), OFTRACE],
            ("trace", "sb"): ["trace", "--sb", str(given), 'inport == "x"'],
            ("trace", "nb"): ["trace", "--sb", str(SB), "--nb", str(given), 'inport == "x"'],
            }[command, role]
    code, out, err = _run(capsys, argv, 60)
    assert code == 3, err
    assert err.count("\n") == 1 and found in err and str(given) in err, err
