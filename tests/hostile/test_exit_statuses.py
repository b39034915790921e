"""Issue 10, exit statuses: one mapping in cli.main (README, "Exit statuses").

0 done; 1 --expect mismatch or compare/diff found a difference; 2 bad input or
arguments; 3 a database could not be read; 4 an internal error, in one line
(--debug before or after the subcommand, or OVNPARSE_DEBUG=1, for the
traceback); 130 interrupted; 143 terminated.  The signals are sent to a child
this test started, by its pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ovnparse import cli
from ovnparse.errors import (DatabaseError, ExitStatus, InputError, Problem, status_of,
                             worst_status)

from conftest import ROOT, SAMPLES, default_sigint
from guard import _env

DROPPED = SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt"
DELIVERED = SAMPLES / "pod-to-pod-same-node" / "ovn-trace.detailed.txt"
SB = SAMPLES / "db" / "base" / "sb.db"
NB = SAMPLES / "db" / "base" / "nb.db"


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_numbers_are_the_documented_ones():
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 3, 4, 130, 143]
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Exit statuses"):]
    section = section[:section.index("\n#")]
    for status in ExitStatus:
        assert f"| {int(status)} |" in section, status


def test_worst_status_of_several_inputs():
    assert worst_status([]) == 0
    assert worst_status([0, 1, 0]) == 1
    assert worst_status([2, 1, 3, 0]) == 3
    assert worst_status([3, 4, 2]) == 4
    assert worst_status([4, 130]) == 130
    assert worst_status(iter([ExitStatus.MISMATCH, ExitStatus.BAD_INPUT])) == 2
    assert status_of(InputError(Problem("f", 1, "x"))) == 2
    assert status_of(DatabaseError("sb.db", "damaged")) == 3
    assert status_of(KeyboardInterrupt()) == 130
    assert status_of(cli.Terminated()) == 143
    assert status_of(ValueError("bug")) == 4


@pytest.mark.parametrize("argv,status", [
    (["explain", DROPPED], 0),
    (["explain", "--expect", "dropped", DROPPED], 0),
    (["explain", "--expect", "delivered", DROPPED], 1),
    (["compare", DROPPED, DELIVERED], 1),
    (["compare", DROPPED, DROPPED], 0),
    (["diff", DROPPED, DELIVERED], 1),
    (["diff", DROPPED, DROPPED], 0),
    (["explain", "/nonexistent/trace.txt"], 2),
    (["explain", SB], 2),  # not a trace
    (["explain", "--no-such-option", DROPPED], 2),
    (["explain", "--db-timeout", "-1", "--sb", SB, DROPPED], 2),
    (["explain", "--db-max-reply", "0", "--sb", SB, DROPPED], 2),
    (["explain", "--sb", "/nonexistent/sb.db", DROPPED], 3),
    (["explain", "--sb", NB, DROPPED], 3),  # the wrong database
    (["explain", "--nb", SB, DROPPED], 3),
    (["explain", "--sb", "unix:/nonexistent/sb.sock", DROPPED], 3),
    (["explain", "--dump-flows", "/nonexistent/flows.txt", DROPPED], 3),
    (["detrace", "--ovnsb", NB, SAMPLES / "acl-ingress-default-deny" /
      "ofproto-trace.ct-new.txt"], 3),
])
def test_status(capsys, argv, status):
    if status == 2 and "--no-such-option" in argv or "--db-timeout" in argv \
            or "--db-max-reply" in argv:
        with pytest.raises(SystemExit) as exit_:  # (argparse's own exit)
            cli.main([str(a) for a in argv])
        assert exit_.value.code == 2
        return
    code, out, err = _run(capsys, *argv)
    assert code == status, err
    if status >= 2:
        assert err.startswith("ovnparse: ") and err.count("\n") == 1, err
        assert "Traceback" not in err


def test_a_damaged_database_file_is_3(tmp_path, capsys):
    damaged = tmp_path / "sb.db"
    data = bytearray(SB.read_bytes())
    data[len(data) // 2] ^= 0x20  # one flipped bit inside a record
    damaged.write_bytes(bytes(data))
    code, out, err = _run(capsys, "explain", "--sb", damaged, DROPPED)
    assert code == 3 and str(damaged) in err and "offset" in err, err


def _boom(*args, **kwargs):
    raise ZeroDivisionError("a bug")


@pytest.mark.parametrize("where", ["before", "after", "env", "none"])
def test_an_internal_error_is_4_in_one_line_and_debug_shows_the_traceback(
        monkeypatch, capsys, where):
    monkeypatch.setattr("ovnparse.face.analyse", _boom)
    argv = ["explain", str(DROPPED)]
    if where == "before":
        argv.insert(0, "--debug")
    elif where == "after":
        argv.append("--debug")
    if where == "env":
        monkeypatch.setenv("OVNPARSE_DEBUG", "1")
    else:
        monkeypatch.delenv("OVNPARSE_DEBUG", raising=False)
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 4
    if where == "none":
        # (explain reads its sources one by one: the error names the one it was reading)
        assert err.startswith(f"ovnparse: {DROPPED}: internal error: ZeroDivisionError: a bug "
                              "(a bug: run again with --debug or OVNPARSE_DEBUG=1 for the "
                              "traceback, and report it)\n")
    else:
        assert err.startswith("Traceback (most recent call last):") and "_boom" in err


def test_keyboard_interrupt_is_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("ovnparse.face.analyse", interrupted)
    assert cli.main(["explain", str(DROPPED)]) == 130
    assert capsys.readouterr().err == "ovnparse: interrupted\n"


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_real_signals(sig, status):
    # `explain -` waits on a stdin that stays open: the signal arrives mid-read
    proc = subprocess.Popen([sys.executable, "-m", "ovnparse.cli", "explain", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env(), cwd=ROOT,
                            preexec_fn=default_sigint)
    try:
        proc.stdin.write(DROPPED.read_bytes()[:200])
        proc.stdin.flush()
        time.sleep(1.5)  # (started and blocked in the read)
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, err
    assert b"Traceback" not in err
