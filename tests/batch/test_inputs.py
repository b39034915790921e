"""SOURCES -> inputs: files, folders, globs, compressed files, archives, hostile archives."""

from __future__ import annotations

import gzip
import io
import lzma
import tarfile
import zipfile
from pathlib import Path

from batch_trees import DENY, SAMPLES, tree_fixture  # noqa: F401 - (the `tree` fixture)

from ovnparse.batch.inputs import escapes, expand


def names(specs):
    return [(Path(i.file).name if i.member is None else i.member, i.error is not None)
            for i in expand(specs)]


def test_a_folder_is_walked_sorted(tree):
    got = [Path(i.file).relative_to(tree).as_posix() for i in expand([tree])]
    assert got == ["a-node/ofproto.txt", "a-node/pods.yaml", "a-node/same.txt",
                   "b-node/deny.txt"]
    assert all(i.walked for i in expand([tree]))


def test_a_glob_with_double_star(tree):
    got = [Path(i.file).name for i in expand([str(tree / "**" / "*.txt")])]
    assert got == ["ofproto.txt", "same.txt", "deny.txt"]
    [missing] = expand([str(tree / "*.nothing")])
    assert missing.error is not None and "no file matches" in missing.error.message


def test_order_is_the_order_given(tree):
    got = [Path(i.file).name for i in expand([tree / "b-node" / "deny.txt", tree / "a-node"])]
    assert got == ["deny.txt", "ofproto.txt", "pods.yaml", "same.txt"]


def test_gz_and_xz_files_are_read(tmp_path):
    text = (SAMPLES / DENY).read_bytes()
    (tmp_path / "t.txt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "t.txt.xz").write_bytes(lzma.compress(text))
    for inp in expand([tmp_path]):
        assert inp.open().read() == text


def _tar(path: Path, mode: str, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_archives_are_read_in_place(tmp_path):
    text = (SAMPLES / DENY).read_bytes()
    members = {"traces/one.txt": text, "traces/two.txt.gz": gzip.compress(text)}
    for mode, suffix in (("w", ".tar"), ("w:gz", ".tar.gz"), ("w:xz", ".tar.xz"),
                         ("w:bz2", ".tar.bz2")):
        arch = _tar(tmp_path / f"a{suffix}", mode, members)
        got = list(expand([arch]))
        assert [i.member for i in got] == ["traces/one.txt", "traces/two.txt.gz"]
        assert [i.open().read() for i in got] == [text, text]
        assert got[0].name == f"{arch}!traces/one.txt"
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("b.txt", text)
        z.writestr("a.txt", text)
    assert [i.member for i in expand([tmp_path / "a.zip"])] == ["a.txt", "b.txt"]
    before = sorted(p.name for p in tmp_path.iterdir())
    list(expand([tmp_path]))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing extracted


def test_a_hostile_tar_is_refused_member_by_member(tmp_path):
    text = (SAMPLES / DENY).read_bytes()
    arch = tmp_path / "evil.tar.gz"
    with tarfile.open(arch, "w:gz") as tar:
        for name in ("../escape.txt", "/etc/passwd-like.txt", "ok/../../up.txt", "ok/fine.txt"):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
        link = tarfile.TarInfo("ok/link.txt")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tar.addfile(link)
    got = list(expand([arch]))
    assert [(i.member, i.error is not None) for i in got] == [
        ("../escape.txt", True), ("/etc/passwd-like.txt", True), ("ok/../../up.txt", True),
        ("ok/fine.txt", False), ("ok/link.txt", True)]
    assert "leaves the archive" in got[0].error.message
    assert "link" in got[-1].error.message
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_damaged_archive_is_one_error(tmp_path):
    bad = tmp_path / "cut.tar.gz"
    data = gzip.compress(b"x" * 100000)
    bad.write_bytes(data[: len(data) // 2])
    [inp] = expand([bad])
    assert inp.error is not None and "cannot read the archive" in inp.error.message


def test_escapes():
    assert escapes("../a") and escapes("/a") and escapes("a/../../b") and escapes("C:\\x")
    assert not escapes("a/b..c/d") and not escapes("a..b")
