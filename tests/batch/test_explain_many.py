"""`ovnparse explain|parse SOURCES...`: forms, order, source and packet, errors collected."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tarfile

import pytest
from batch_trees import DENY, SAME_NODE, SAMPLES, tree_fixture  # noqa: F401 - (the `tree` fixture)

from ovnparse.cli import main

# what the tree holds, in walking order (a-node before b-node, names sorted; the YAML
# file is no trace and is skipped): verdicts as the samples' manifest records them
ORDER = [("a-node/ofproto.txt", "dropped"), ("a-node/same.txt", "delivered"),
         ("b-node/deny.txt", "dropped")]


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_a_tree_in_order_with_source(tree, capsys):
    assert main(["explain", "--output", "jsonl", str(tree)]) == 0
    objs = jsonl(capsys.readouterr().out)
    got = [(o["source"]["file"][len(str(tree)) + 1:], o["verdict"]) for o in objs]
    assert got == ORDER
    first = objs[1]["source"]
    assert first["member"] is None and first["databases"] is None
    n = len((SAMPLES / SAME_NODE).read_text().splitlines())
    assert first["lines"] == [1, n]
    assert all(o["error"] is None for o in objs)


def test_unreadable_inputs_are_entries_not_the_end(tree, tmp_path, capsys):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "prose.txt").write_text("hello\nworld\n")
    code = main(["explain", "--output", "jsonl", str(tmp_path / "missing.txt"),
                 str(tmp_path / "bin.txt"), str(tree / "b-node"), str(tmp_path / "prose.txt")])
    cap = capsys.readouterr()
    objs = jsonl(cap.out)
    assert code == 2
    assert [o["verdict"] for o in objs] == [None, None, "dropped", None]
    missing, binary, _, prose = objs
    assert missing["format"] is None and "No such file" in missing["error"]["message"]
    assert "binary" in binary["error"]["message"]
    assert prose["error"]["line"] == 1 and "not a known trace format" in prose["error"]["message"]
    assert "3 inputs could not be read (1 traces read)" in cap.err


def test_a_single_bad_file_still_says_file_and_line(tmp_path, capsys):
    (tmp_path / "t.txt").write_text("hello\n")
    assert main(["explain", str(tmp_path / "t.txt")]) == 2
    assert f"ovnparse: {tmp_path / 't.txt'}:1: not a known trace format" in capsys.readouterr().err


def test_archive_members_are_named(tmp_path, capsys):
    arch = tmp_path / "ticket.tar.xz"
    with tarfile.open(arch, "w:xz") as tar:
        for name, path in (("t/deny.txt.gz", DENY), ("t/same.txt", SAME_NODE)):
            data = (SAMPLES / path).read_bytes()
            data = gzip.compress(data) if name.endswith(".gz") else data
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        evil = tarfile.TarInfo("../../evil.txt")
        evil.size = 5
        tar.addfile(evil, io.BytesIO(b"hello"))
    assert main(["explain", "--json", str(arch)]) == 2
    objs = json.loads(capsys.readouterr().out)
    assert [(o["source"]["file"], o["source"]["member"], o["verdict"]) for o in objs] == [
        (str(arch), "t/deny.txt.gz", "dropped"), (str(arch), "t/same.txt", "delivered"),
        (str(arch), "../../evil.txt", None)]
    assert "refused" in objs[2]["error"]["message"]


def test_json_is_one_array_and_expect_still_works(tree, capsys):
    assert main(["explain", "--json", "--expect", "dropped", str(tree)]) == 1
    objs = json.loads(capsys.readouterr().out)
    assert [o["verdict"] for o in objs] == [v for _, v in ORDER]
    assert main(["explain", "--json", str(tree / "nothing-*.txt")]) == 2
    assert json.loads(capsys.readouterr().out)[0]["error"]["message"] == \
        "no file matches this pattern"


def test_text_numbers_the_traces_once_there_are_two(tree, capsys):
    assert main(["explain", str(tree / "b-node")]) == 0
    out = capsys.readouterr().out
    assert "== trace" not in out and out.startswith("ovn-trace/detailed, lines 1-")
    assert main(["explain", str(tree)]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("==")] == [
        "== trace 1 ==", "== trace 2 ==", "== trace 3 =="]


def test_table_sorted_by_verdict_then_file(tree, capsys):
    assert main(["explain", "--output", "table", str(tree)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["VERDICT", "SOURCE"]
    rows = [(line.split()[0], line.split()[1][len(str(tree)) + 1:]) for line in lines[1:]]
    assert rows == [("dropped", "a-node/ofproto.txt"), ("dropped", "b-node/deny.txt"),
                    ("delivered", "a-node/same.txt")]


def test_csv_flat_columns(tree, tmp_path, capsys):
    out = tmp_path / "o.csv"
    assert main(["explain", "--output", "csv", "-o", str(out), str(tree)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["verdict"] for r in rows] == [v for _, v in ORDER]
    assert rows[2]["drop_stage"] == "ls_out_acl" and rows[2]["drop_table"] == "4"
    assert rows[1]["outputs"] == "prod_api-0"


def test_parquet_file_and_dataset(tree, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    assert main(["explain", "--output", "parquet", "-o", str(tmp_path / "o.parquet"),
                 "--quiet", str(tree)]) == 0
    df = pd.read_parquet(tmp_path / "o.parquet")
    assert list(df["verdict"]) == [v for _, v in ORDER]
    assert main(["explain", "--output", "parquet", "-o", str(tmp_path / "ds"), str(tree)]) == 0
    assert sorted(p.name for p in (tmp_path / "ds").iterdir()) == ["part-00000.parquet"]
    assert pd.read_parquet(tmp_path / "ds").equals(df)
    assert main(["explain", "--output", "parquet", str(tree)]) == 2  # (needs -o)


def test_parse_source_is_an_object(tree, capsys):
    assert main(["parse", str(tree / "b-node")]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    assert obj["source"]["file"] == str(tree / "b-node" / "deny.txt")
    assert obj["source"]["member"] is None and obj["roots"]
    assert main(["parse", "--output", "jsonl", str(tree)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_stdin_still_works(capsys, monkeypatch):
    data = (SAMPLES / DENY).read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["explain", "--json", "-"]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    assert obj["source"]["file"] == "<stdin>" and obj["verdict"] == "dropped"


def test_same_output_whatever_the_jobs(tree, tmp_path, capsys):
    for n in range(6):  # (more inputs than a batch)
        shutil.copytree(tree, tmp_path / f"copy{n}")
    outs = []
    for jobs in ("1", "2"):
        assert main(["explain", "--output", "jsonl", "--jobs", jobs, str(tmp_path)]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 7 * 3  # (the tree + 6 copies)


def test_frame_on_globs_gz_and_a_hostile_tarball(tree, tmp_path):
    import ovnparse
    (tmp_path / "t.txt.gz").write_bytes(gzip.compress((SAMPLES / DENY).read_bytes()))
    arch = tmp_path / "case.tar.gz"
    with tarfile.open(arch, "w:gz") as tar:
        for name in ("ok/same.txt", "../../etc/evil.txt"):
            data = (SAMPLES / SAME_NODE).read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    df = ovnparse.frame([str(tree / "**" / "deny.txt"), tmp_path / "t.txt.gz", arch],
                        progress=False)
    assert list(df["source"]) == [str(tree / "b-node" / "deny.txt"), str(tmp_path / "t.txt.gz"),
                                  f"{arch}!ok/same.txt", f"{arch}!../../etc/evil.txt"]
    assert list(df["verdict"].fillna("-")) == ["dropped", "dropped", "delivered", "-"]
    assert list(df["member"].fillna("-")) == ["-", "-", "ok/same.txt", "../../etc/evil.txt"]
    assert "refused" in df["error"][3]
    assert not (tmp_path.parent.parent / "etc" / "evil.txt").exists()
