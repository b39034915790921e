"""lines.py: what pasting does to text, undone; every line keeps its number.

Expected values are written from the rules in lines.py's docstring: CRLF and
a trailing CR stripped, ANSI colour and klog prefixes removed, tabs expanded
to 8 columns, lines numbered by their place in the file however the reader
cuts the file into blocks.
"""

from __future__ import annotations

import io

import pytest

from ovnparse import lines
from ovnparse.errors import InputError
from ovnparse.lines import read_blocks


def _read(data: bytes, source: str = "t.txt") -> list[tuple[int, str]]:
    out = []
    for block in read_blocks(io.BytesIO(data), source):
        out.extend((block.first + i, text) for i, text in enumerate(block.lines))
    return out


def _blocks(data: bytes):
    return list(read_blocks(io.BytesIO(data), "t.txt"))


def test_crlf_line_ends_are_removed():
    assert _read(b"a\r\nb\r\n") == [(1, "a"), (2, "b")]


def test_a_lone_cr_inside_a_line_stays_and_a_trailing_one_goes():
    assert _read(b"Datapath actions: 1\r0\nx\r\n") == [(1, "Datapath actions: 1\r0"), (2, "x")]


def test_tabs_are_expanded_to_eight_columns():
    assert _read(b"a\tb\n\tc\n") == [(1, "a       b"), (2, "        c")]


def test_ansi_colour_is_removed():
    assert _read(b"\x1b[1;31mDatapath actions: drop\x1b[0m\n") == [(1, "Datapath actions: drop")]


def test_klog_prefixes_are_removed_and_their_lines_noted():
    data = (b"I0116 14:20:47.380775   50822 ovs.go:90] ovn-trace says\n"
            b"plain\n"
            b"W0116 14:20:48.000001   50822 x.go:1] second\n")
    [block] = _blocks(data)
    assert block.lines == ["ovn-trace says", "plain", "second"]
    assert block.klog == frozenset({1, 3})


def test_repeated_dirty_lines_are_each_cleaned():
    # the same dirty text several times, clean lines between, and a clean line
    # that looks like a dirty one once cleaned: each line is cleaned in place
    data = b"x\ty\nx       y\nx\ty\nclean\nx\ty\nx\ty\n\x1b[0mz\nz\n"
    assert _read(data) == [(1, "x       y"), (2, "x       y"), (3, "x       y"), (4, "clean"),
                           (5, "x       y"), (6, "x       y"), (7, "z"), (8, "z")]


def test_a_cut_last_line_is_kept_and_marked():
    blocks = _blocks(b"a\nb without its end")
    assert blocks[-1].cut is True
    assert [t for b in blocks for t in b.lines] == ["a", "b without its end"]
    assert not _blocks(b"a\nb\n")[-1].cut


def test_blocks_larger_than_the_block_size_keep_their_numbers(monkeypatch):
    monkeypatch.setattr(lines, "_BLOCK_BYTES", 64)
    text = "".join(f"line {n}\t|\r\n" for n in range(1, 201)).encode()
    got = _read(text)
    assert got == [(n, f"line {n}" + " " * (8 - len(f"line {n}") % 8) + "|")
                   for n in range(1, 201)]
    assert len(_blocks(text)) > 10


def test_a_line_longer_than_the_block_size(monkeypatch):
    monkeypatch.setattr(lines, "_BLOCK_BYTES", 16)
    long = "y" * 100
    assert _read(f"a\n{long}\nb\n".encode()) == [(1, "a"), (2, long), (3, "b")]


def test_text_iterables_are_read_like_files(monkeypatch):
    monkeypatch.setattr(lines, "_BLOCK_LINES", 3)
    text = ["a\r\n", "b\tc\n", "\x1b[0md\n", "e\n", "f"]
    blocks = list(read_blocks(text))
    numbered = [(b.first + i, t) for b in blocks for i, t in enumerate(b.lines)]
    assert numbered == [(1, "a"), (2, "b       c"), (3, "d"), (4, "e"), (5, "f")]
    assert blocks[-1].cut


def test_non_utf8_names_the_line():
    with pytest.raises(InputError) as err:
        _read(b"good\nalso good\nbad \xff byte\n")
    assert err.value.problem.line == 3 and err.value.problem.source == "t.txt"
    assert "UTF-8" in err.value.problem.message


def test_binary_files_and_missing_files_are_refused(tmp_path):
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="binary"):
        lines.open_lines(str(binary))
    with pytest.raises(InputError, match="cannot read"):
        lines.open_lines(str(tmp_path / "none.txt"))
