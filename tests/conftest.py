"""Shared fixtures: where the corpus and the samples are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def shared_dir() -> Path:
    """../shared beside the clone (CI puts a copy there); OVNPARSE_SHARED overrides."""
    return Path(os.environ.get("OVNPARSE_SHARED", ROOT.parent / "shared"))


CORPUS = shared_dir() / "corpus"


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
