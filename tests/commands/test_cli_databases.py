"""The commands' side of failing databases: one line, exit status 3, and
--db-salvage reading what is intact (corruption tests on a copy of a real
sample database, said so)."""

from __future__ import annotations

import json

from ovnparse.cli import main

from conftest import SAMPLES

TRACE = str(SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt")
NB = SAMPLES / "db" / "base" / "nb.db"
SB = SAMPLES / "db" / "base" / "sb.db"


def _flip_last_record(tmp_path):
    """A copy of the Northbound with a byte of its last record's JSON changed."""
    data = bytearray(NB.read_bytes())
    last = data.rindex(b"OVSDB JSON ")
    body = data.index(b"\n", last) + 1
    data[body + 2] ^= 0x20
    damaged = tmp_path / "nb.db"
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_damaged_database_is_one_line_and_status_3(tmp_path, capsys):
    damaged = _flip_last_record(tmp_path)
    code = main(["explain", "--nb", str(damaged), "--sb", str(SB), TRACE])
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"ovnparse: {damaged}") and "offset" in err


def test_salvage_reads_what_is_intact_and_says_what_it_skipped(tmp_path, capsys):
    damaged = _flip_last_record(tmp_path)
    code = main(["explain", "--json", "--db-salvage", "--nb", str(damaged), "--sb", str(SB),
                 TRACE])
    out, err = capsys.readouterr()
    assert code == 0
    [obj] = json.loads(out)
    assert obj["verdict"] == "dropped"
    assert "warning" in err and str(damaged) in err


def test_the_wrong_database_for_a_role_is_refused(capsys):
    assert main(["explain", "--nb", str(SB), "--sb", str(NB), TRACE]) == 3
    assert "OVN_Southbound" in capsys.readouterr().err
