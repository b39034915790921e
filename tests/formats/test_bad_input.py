"""Bad input: a clear one-line error or a result marked incomplete, never a
traceback and never 'delivered' for a trace cut before its output.

The corruption tests below mutate real outputs from the corpus (and say so):
they cut them at every line and every byte, and garble them.
"""

from __future__ import annotations

import random

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.cli import main
from ovnparse.views import ovn_trace_text

from conftest import SAMPLES

# Real, complete ovn-trace --detailed outputs (recorded by OVN's docs).
DELIVERED = "docs/ovn-org_ovn/ovn-openstack.rst-L1622.detailed.txt"  # n1 -> r -> n2
DROPPED = "docs/ovn-org_ovn/ovn-openstack.rst-L766.detailed.txt"


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_empty_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "empty.txt"
    path.write_text("")
    code, out, err = _run(capsys, "explain", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"ovnparse: {path}") and "no text" in err
    assert err.count("\n") == 1


def test_binary_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "core"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    code, _, err = _run(capsys, "explain", str(path))
    assert code == 2 and "binary" in err and str(path) in err


def test_not_utf8_names_the_line(tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b'ingress(dp="sw0", inport="p1")\n' * 3 + b"caf\xe9\n")
    code, _, err = _run(capsys, "explain", str(path))
    assert code == 2 and f"{path}:4" in err and "UTF-8" in err


@pytest.mark.parametrize("text", [
    '{"verdict": "delivered"}\n',
    "Hello, this is not a trace.\n",
    "NAME  READY  STATUS\nweb   1/1    Running\n",
])
def test_wrong_format_names_file_line_and_expectation(tmp_path, capsys, text):
    path = tmp_path / "x.txt"
    path.write_text("\n" + text)
    code, _, err = _run(capsys, "explain", str(path))
    assert code == 2
    assert f"{path}:2: not a known trace format" in err
    assert "expected the output of ovn-trace" in err


def test_missing_file(capsys):
    code, _, err = _run(capsys, "explain", "/nonexistent/trace.txt")
    assert code == 2 and "/nonexistent/trace.txt" in err and "cannot read" in err


def _text(corpus_dir, name):
    return (corpus_dir / name).read_text()


def test_cut_at_every_line_is_never_delivered_early(corpus_dir):
    """Corruption test: a real delivered trace cut after each of its lines."""
    text = _text(corpus_dir, DELIVERED)
    lines = text.splitlines(keepends=True)
    full = explain(api.parse_text(text, DELIVERED)[0])
    assert full.verdict == "delivered"
    last_output = max(i for i, l in enumerate(lines) if l.strip().startswith("/* output to"))
    for cut in range(1, len(lines)):
        prefix = "".join(lines[:cut])
        try:
            traces = api.parse_text(prefix, DELIVERED)
        except api.InputError:
            continue  # too little text to tell the format: a clear error
        verdict = explain(traces[0]).verdict
        if cut <= last_output:
            assert verdict == "incomplete", (cut, lines[cut - 1], verdict)


def test_cut_mid_line_is_incomplete(corpus_dir):
    """Corruption test: cut at random bytes (not at a line end)."""
    rng = random.Random(7)
    for name in (DELIVERED, DROPPED):
        text = _text(corpus_dir, name)
        for _ in range(40):
            cut = rng.randrange(len(text) // 3, len(text) - 1)
            if text[cut - 1] == "\n":
                continue
            [trace] = api.parse_text(text[:cut], name)
            ex = explain(trace)
            assert ex.verdict == "incomplete"
            assert any("no line end" in w.message for w in ex.warnings)


def test_garbled_lines_are_reported_not_raised():
    """Corruption test (real sample, mutated): shuffled indentation and a junk line.
    Whatever the parser cannot give back byte for byte, it reports, with this
    file's name and a line of the text."""
    rng = random.Random(11)
    text = (SAMPLES / "pod-to-pod-cross-node" / "ovn-trace.detailed.txt").read_text()
    lines = text.splitlines(keepends=True)
    for _ in range(30):
        mutated = list(lines)
        for _ in range(3):
            i = rng.randrange(1, len(mutated))
            mutated[i] = " " * rng.randrange(0, 13) + mutated[i].lstrip()
        mutated.insert(rng.randrange(1, len(mutated)), "@@@ garbage @@@\n")
        garbled = "".join(mutated)
        [trace] = api.parse_text(garbled, "garbled.txt")
        explain(trace)  # must not raise
        assert all(p.source == "garbled.txt" and 1 <= p.line <= len(mutated)
                   for p in trace.problems)
        if not trace.problems:
            assert ovn_trace_text.detailed(trace) == garbled
