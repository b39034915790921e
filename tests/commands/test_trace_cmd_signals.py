"""`ovnparse trace` stops what it started when interrupted (Ctrl-C, SIGTERM), and
finds a daemon started while a signal arrived, before the sandbox recorded it.

The command runs in its own process with -v (it names its private directory and
the pids it started); a stand-in ovn-trace that sleeps holds it at the point
where the daemons run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from ovnparse.replay import logical as replay_logical
from ovnparse.sandbox import OvnSandbox, missing_tools

from conftest import SAMPLES, interrupt_when_started, process_alive, sleeping_ovn_trace, wait_gone

NEEDED = ("ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovs-appctl", "ovn-nbctl",
          "ovn-sbctl", "ovn-trace")
pytestmark = pytest.mark.skipif(bool(missing_tools(NEEDED)),
                                reason=f"OVS/OVN not installed: {missing_tools(NEEDED)}")

FLOW = json.loads((SAMPLES / "manifest.json").read_text())["scenarios"][0]["microflow"]


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_run_stops_its_daemons(tmp_path, sig, status):
    fake, marker = sleeping_ovn_trace(tmp_path)
    code, err, sleeper = interrupt_when_started(
        ["trace", "-v", "--sb", str(SAMPLES / "db/base/sb.db"), "--ovn-trace", str(fake),
         "ovn-worker", FLOW], marker, sig, timeout=20)
    assert code == status, err
    assert "Traceback" not in err
    pids = [int(p) for p in re.findall(r"started ovsdb-server \(\w+\) pid (\d+)", err)]
    assert len(pids) == 2, err
    workdir = re.search(r"private directory (\S+)", err).group(1)
    wait_gone(sleeper)
    assert not [p for p in pids + [sleeper] if process_alive(p)]
    assert not os.path.exists(workdir)
    assert err.splitlines()[-1] == ("ovnparse: interrupted" if sig == signal.SIGINT
                                    else "ovnparse: terminated")


def test_stop_finds_a_daemon_the_sandbox_did_not_record(tmp_path):
    """A signal between a daemon's --detach and the sandbox reading its pidfile leaves a
    daemon the sandbox does not know; the command's clean-up finds it by its pidfile in
    the private directory (and only a process whose command line names that pidfile)."""
    workdir = Path(tempfile.mkdtemp(prefix="ovntr-"))
    run = workdir / "run"
    run.mkdir()
    db = workdir / "sb.db"
    subprocess.run(["ovsdb-tool", "create", str(db), "/usr/share/ovn/ovn-sb.ovsschema"],
                   check=True, capture_output=True)
    pidfile = run / "ovsdb-server-sb.pid"
    subprocess.run(["ovsdb-server", "--detach", "--no-chdir", f"--pidfile={pidfile}",
                    f"--unixctl={run / 'sb.ctl'}", f"--remote=punix:{run / 'sb.sock'}",
                    "-vconsole:off", "-vsyslog:off", "-vfile:off", str(db)],
                   check=True, capture_output=True, timeout=30)
    pid = int(pidfile.read_text())
    # an unrelated process whose pid a stale pidfile names is never signalled
    bystander = subprocess.Popen(["sleep", "30"])
    (run / "stale.pid").write_text(f"{bystander.pid}\n")
    try:
        assert process_alive(pid)
        box = OvnSandbox(workdir, sb_db=db, northd=False, controller=False, vswitchd=False,
                         ovs_db=False)  # never started: it knows no daemon
        replay_logical._stop(box, workdir, verbose=False)
        assert not process_alive(pid)
        assert not workdir.exists()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)
