"""Run a piece of Python or the CLI in a child process with a time limit, so that
an input that hangs fails its test instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

LIMIT = 60.0  # s: a hang guard, not a speed target (each input takes well under a second)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests" / "hostile"),
                                         env.get("PYTHONPATH", "")])
    return env


def run_python(code: str, limit: float = LIMIT) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=limit, env=_env(), cwd=ROOT)
    except subprocess.TimeoutExpired:  # (run() kills the child it started)
        raise AssertionError(f"still running after {limit} s: {code!r}") from None


def run_cli(*argv: str, stdin: bytes | None = None,
            limit: float = LIMIT) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-m", "ovnparse.cli", *argv],
                              capture_output=True, input=stdin, timeout=limit, env=_env(),
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"ovnparse {' '.join(argv)} still running after {limit} s") \
            from None
