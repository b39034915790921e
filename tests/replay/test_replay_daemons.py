"""The daemons `trace` by names and `explain --replay` start are gone after success,
an error, Ctrl-C and SIGTERM, checked by the pids they report (-v) or record
(`LAST_RUN`), with their private directory.

A stand-in ovn-trace holds the command where the daemons run: one that sleeps
(for the signals), one that runs the real ovn-trace the first time and fails
the second (an error in the middle of several runs).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

import pytest
from conftest import (SAMPLES, interrupt_when_started, process_alive,
                      sleeping_ovn_trace, wait_gone)

from ovnparse.cli import main
from ovnparse.commands import trace as trace_cmd
from ovnparse.sandbox import missing_tools

NEEDED = ("ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovn-sbctl", "ovn-trace")
pytestmark = pytest.mark.skipif(bool(missing_tools(NEEDED)),
                                reason=f"OVS/OVN not installed: {missing_tools(NEEDED)}")

NB, SB = str(SAMPLES / "db/base/nb.db"), str(SAMPLES / "db/base/sb.db")
BY_NAMES = ["trace", "-v", "--nb", NB, "--sb", SB, "--src", "prod/test-6459", "--dst",
            "prod/api-0", "--tcp"]
MINIMAL = str(SAMPLES / "acl-ingress-default-deny/ovn-trace.minimal.txt")
REPLAY = ["explain", "-v", "--replay", "--sb", SB, MINIMAL]


def _fails_second_time(tmp_path: Path) -> Path:
    count = tmp_path / "count"
    fake = tmp_path / "ovn-trace-once"
    real = shutil.which("ovn-trace")
    fake.write_text(f'#!/bin/sh\n[ "$1" = --version ] && exec "{real}" --version\n'
                    f'echo x >> "{count}"\n'
                    f'[ "$(wc -l < "{count}")" -ge 2 ] && '
                    '{ echo "broken on purpose" >&2; exit 1; }\n'
                    f'exec "{real}" "$@"\n')
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("argv", [BY_NAMES, REPLAY], ids=["trace-by-names", "explain-replay"])
@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_runs_stop_their_daemons(tmp_path, argv, sig, status):
    fake, marker = sleeping_ovn_trace(tmp_path)
    code, err, sleeper = interrupt_when_started([*argv, "--ovn-trace", str(fake)], marker, sig)
    assert code == status, err
    assert "Traceback" not in err
    pids = [int(p) for p in re.findall(r"started ovsdb-server \(\w+\) pid (\d+)", err)]
    assert len(pids) == 2, err  # its NB and SB servers (the sandbox serves both)
    workdir = re.search(r"private directory (\S+)", err).group(1)
    wait_gone(sleeper)
    assert not [p for p in pids + [sleeper] if process_alive(p)], (pids, sleeper, err)
    assert not os.path.exists(workdir)


def _all_stopped() -> None:
    pids = trace_cmd.LAST_RUN.get("pids", {})
    assert pids, "nothing was started"
    assert not [p for p in pids.values() if process_alive(p)], pids
    assert not os.path.exists(trace_cmd.LAST_RUN["workdir"])


def test_trace_by_names_error_on_the_second_run(tmp_path, capsys):
    fake = _fails_second_time(tmp_path)
    trace_cmd.LAST_RUN.clear()
    assert main([*BY_NAMES, "--ovn-trace", str(fake)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (f"ovnparse: {fake} exited with status 1: broken on "
                                    "purpose"), err
    assert len(trace_cmd.LAST_RUN["pids"]) == 4  # two runs, two servers each
    _all_stopped()


def test_explain_replay_error_is_a_warning_and_stops_its_daemons(tmp_path, capsys):
    fake = _fails_second_time(tmp_path)
    both = tmp_path / "two.txt"
    both.write_text(Path(MINIMAL).read_text() * 2)
    trace_cmd.LAST_RUN.clear()
    assert main(["explain", "--replay", "--sb", SB, "--ovn-trace", str(fake), str(both)]) == 0
    out = capsys.readouterr().out
    assert out.count("replayed: lines") == 1
    assert "not replayed: " + f"{fake} exited with status 1: broken on purpose" in out
    _all_stopped()


def test_success_leaves_nothing(capsys):
    trace_cmd.LAST_RUN.clear()
    assert main(BY_NAMES) == 0
    _all_stopped()
    trace_cmd.LAST_RUN.clear()
    assert main(REPLAY) == 0
    _all_stopped()
