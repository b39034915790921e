"""Shared fixtures: where the corpus and the samples are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
#: the samples of each recorded OVN release: 23.03 (the host's) in samples/,
#: later ones (recorded in a Debian root) in samples/ovn-<release>/ (26.03: a
#: subset, for ovn-detrace's indented form of OVN >= 25.09)
SAMPLE_DIRS = {"23.03": SAMPLES, "25.03": SAMPLES / "ovn-25.03",
               "26.03": SAMPLES / "ovn-26.03"}


def sample_manifests() -> dict[str, tuple[Path, dict]]:
    """{release: (its samples directory, its manifest)} of the releases recorded."""
    out = {}
    for release, base in SAMPLE_DIRS.items():
        if (base / "manifest.json").exists():
            out[release] = (base, json.loads((base / "manifest.json").read_text()))
    return out


def debian_root_or_skip(suite: str) -> Path:
    """The Debian root *suite* (tools/build-debian-root), built now if missing;
    skips only when it cannot be built (not root, no archive)."""
    import subprocess
    from ovnparse.sandbox import debian_root
    root = debian_root(suite)
    if root is not None:
        return root
    if os.geteuid() != 0:
        pytest.skip(f"the Debian {suite} root is not built and building it needs root "
                    f"(tools/build-debian-root {suite})")
    proc = subprocess.run([str(ROOT / "tools" / "build-debian-root"), suite],
                          capture_output=True, text=True, timeout=1800)
    root = debian_root(suite)
    if root is None:
        why = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        pytest.skip(f"the Debian {suite} root could not be built: {why}")
    return root


@pytest.fixture(scope="session")
def trixie_root() -> Path:
    """Debian 13's root (OVN 25.03, OVS 3.5) for OvnSandbox(root=...)."""
    return debian_root_or_skip("trixie")


@pytest.fixture(scope="session")
def ovn_trace_2503(trixie_root, tmp_path_factory) -> str:
    """The Debian 13 root's ovn-trace, run through the root's own loader."""
    loader = trixie_root / "lib64/ld-linux-x86-64.so.2"
    if not loader.exists():
        pytest.skip("the Debian 13 root has no loader")
    libs = f"{trixie_root}/usr/lib/x86_64-linux-gnu:{trixie_root}/lib/x86_64-linux-gnu"
    wrapper = tmp_path_factory.mktemp("bin") / "ovn-trace-25.03"
    wrapper.write_text(f'#!/bin/sh\nexec "{loader}" --library-path "{libs}" '
                       f'"{trixie_root}/usr/bin/ovn-trace" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def shared_dir() -> Path:
    """../shared beside the clone (CI puts a copy there); OVNPARSE_SHARED overrides."""
    return Path(os.environ.get("OVNPARSE_SHARED", ROOT.parent / "shared"))


CORPUS = shared_dir() / "corpus"
#: the corpus is the project's shared data, not this repository's: a clone
#: without ../shared beside it skips the tests that read it (CI has it)
needs_corpus = pytest.mark.skipif(not (CORPUS / "index.json").exists(),
                                  reason=f"the shared corpus is not at {CORPUS} "
                                         "(set OVNPARSE_SHARED to the folder holding corpus/)")


def corpus_entries(tool: str | None = None) -> list[dict]:
    index = CORPUS / "index.json"
    if not index.exists():
        return []
    entries = [e for e in json.loads(index.read_text()) if e.get("file")]
    return [e for e in entries if tool is None or e["tool"] == tool]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS / "index.json").exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS


def process_alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting to be reaped does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.fixture
def trace_leaves_nothing():
    """After an `ovnparse trace` run: none of the daemons it started runs, its
    work folder is gone."""
    from ovnparse.commands import trace as trace_cmd
    trace_cmd.LAST_RUN.clear()
    yield
    pids = trace_cmd.LAST_RUN.get("pids", {})
    assert not [p for p in pids.values() if process_alive(p)], f"daemons left running: {pids}"
    workdir = trace_cmd.LAST_RUN.get("workdir")
    assert workdir is None or not os.path.exists(workdir), f"{workdir} left behind"


@pytest.fixture
def cli(capsys):
    """`ovnparse ARGS` run in this process: a CompletedProcess (returncode, stdout, stderr)."""
    import subprocess

    from ovnparse.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)
    return run


def default_sigint() -> None:
    """preexec_fn for a child a test sends SIGINT: a shell runs background jobs
    with SIGINT ignored, and Python then installs no KeyboardInterrupt handler
    (CI started with `&` or nohup would see exit 0 instead of 130)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sleeping_ovn_trace(tmp_path: Path, version: str = "23.03.1") -> tuple[Path, Path]:
    """A stand-in for ovn-trace that writes its pid to a marker file and sleeps
    (for tests that interrupt a command while ovn-trace runs): (program, marker)."""
    marker = tmp_path / "ovn-trace.pid"
    fake = tmp_path / "ovn-trace-sleeps"
    fake.write_text(f'#!/bin/sh\n[ "$1" = --version ] && {{ echo "ovn-trace {version}"; '
                    f'exit 0; }}\necho $$ > "{marker}"\nexec sleep 60\n')
    fake.chmod(0o755)
    return fake, marker


def interrupt_when_started(argv: list[str], marker: Path, sig: int,
                           timeout: float = 30) -> tuple[int, str, int]:
    """Run `ovnparse ARGV` in a child, send it *sig* once the stand-in ovn-trace
    has written its pid to *marker*: (exit status, stderr, the stand-in's pid).
    The child is killed (and reaped) if it outlives the test."""
    import subprocess
    import sys
    import time
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "ovnparse.cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            preexec_fn=default_sigint)
    try:
        deadline = time.monotonic() + timeout
        while not (marker.exists() and marker.read_text().strip()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "ovn-trace was never started"
            time.sleep(0.02)
        sleeper = int(marker.read_text())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err.decode(), sleeper


def wait_gone(pid: int, seconds: float = 5) -> None:
    """Wait (a while) for a process another one was told to stop."""
    import time
    deadline = time.monotonic() + seconds
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
