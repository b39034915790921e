"""The corpus of the wild: real traces as people pasted them in public reports.

The texts are third-party pastes found with the search tools (bug reports,
commit messages, docs); the project keeps them out of this repository and
reads them from $OVNPARSE_WILD, or from ../shared/corpus/wild beside the
checkout, when they are there.  What is here is ours: tests/wild/index.json,
each text's provenance and the reading a person wrote down before ovnparse
was run on it (tests/wild/README.md).  This test recounts how far ovnparse
agrees with those readings, as the README reports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from ovnparse import api
from ovnparse.errors import InputError

from conftest import ROOT, shared_dir

INDEX = json.loads((ROOT / "tests" / "wild" / "index.json").read_text())
TEXTS = Path(os.environ.get("OVNPARSE_WILD", shared_dir() / "corpus" / "wild"))
HAVE_TEXTS = all((TEXTS / e["file"]).exists() for e in INDEX)
needs_texts = pytest.mark.skipif(not HAVE_TEXTS, reason=f"the wild texts are not at {TEXTS} "
                                 "(set OVNPARSE_WILD to their folder)")
VERDICTS = {"delivered", "flooded", "dropped", "controller", "incomplete", "error"}
TOOLS = {"ovn-trace", "ofproto/trace", "ovn-detrace", "ovnkube-trace", "kubectl-ko-trace"}


def _family(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    return "ovn-trace" if fmt.startswith("ovn-trace") else fmt


def reading(entry: dict) -> list[tuple[str, str]]:
    """(tool, verdict) of each trace a person read in the text."""
    tool = {"kubectl-ko-trace": "ovn-trace"}
    return [(tool.get(t["tool"], t["tool"]), t["verdict"]) for t in entry["expected"]["traces"]]


def ovnparse_reading(entry: dict) -> list[tuple[str, str]] | str:
    """(tool, verdict) of each trace ovnparse reads, or the error it gives."""
    try:
        traces = api.read(TEXTS / entry["file"])
    except InputError as exc:
        return f"error: {exc.problem.message}"
    # ovnkube-trace's embedded outputs are traces of their own: a person reads
    # the run as one (its summary) or reads the one tool output it shows
    if any(t.format == "ovnkube-trace" for t in traces) and len(traces) > 1:
        if reading(entry)[0][0] == "ovnkube-trace":
            traces = [t for t in traces if t.format == "ovnkube-trace"]
        else:
            traces = [t for t in traces if t.format != "ovnkube-trace"]
    return [(_family(t.format), str(t.verdict)) for t in traces]


def agreement() -> tuple[int, int]:
    """(files whose every trace agrees with the reading, files)."""
    agree = sum(1 for e in INDEX if ovnparse_reading(e) == reading(e))
    return agree, len(INDEX)


def test_the_index_is_well_formed():
    files = [e["file"] for e in INDEX]
    assert len(files) == len(set(files)) >= 30
    for e in INDEX:
        assert e["url"].startswith("https://") and e["licence"] and e["release"]["value"]
        assert e["expected"]["n_traces"] == len(e["expected"]["traces"]) >= 1
        for t in e["expected"]["traces"]:
            assert t["tool"] in TOOLS and t["verdict"] in VERDICTS and t["justification"]


@needs_texts
def test_the_texts_are_the_ones_read():
    for e in INDEX:
        data = (TEXTS / e["file"]).read_bytes()
        assert hashlib.sha1(data).hexdigest() == e["sha1"], e["file"]


@needs_texts
def test_the_readme_reports_the_agreement():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"agrees with the reading on (\d+) of (\d+) files", readme)
    assert m, "README: the wild corpus' agreement"
    assert (int(m.group(1)), int(m.group(2))) == agreement()
