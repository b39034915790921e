"""Many inputs, one run: files, directories, globs, compressed files, archives.

`expand(specs)` turns what a person typed into `Input`s, lazily and in a
fixed order: each spec in the order given; a directory walked recursively,
names sorted; a glob (quoted, `**` allowed) expanded and sorted; an archive
(`.tar`, `.tar.gz`/`.tgz`, `.tar.xz`, `.tar.bz2`, `.zip`) read in place,
members in the archive's order (a tar is read as a stream: a compressed tar
is never decompressed twice).  Nothing is extracted to disk: a member's
bytes are held while it is read.  A member whose name escapes the archive's
tree (absolute, `..`), a link or a device is refused: an `Input` carrying the
`error`, never the end of the run.  `.gz`, `.xz` and `.bz2` files (and
members) are decompressed as they are read.

Files found by walking a tree or an archive that are not trace text
(binary, or no trace format in their first lines: a must-gather's YAML and
logs) are skipped (`walked`); a file named on the command line is always
reported.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import stat
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from ..errors import InputError, Problem

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")
ZIP_SUFFIXES = (".zip",)
_DECOMPRESS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}
#: the largest archive member read into memory (a trace file is far smaller)
MAX_MEMBER = 1 << 30


@dataclass(frozen=True, slots=True)
class Input:
    """One text to read: a file, or a member of an archive (its bytes)."""

    file: str  # the path as given or found ("-": standard input)
    member: str | None = None  # the name inside an archive
    data: bytes | None = None  # the member's bytes (still compressed if it ends .gz...)
    error: Problem | None = None  # could not be listed or was refused
    walked: bool = False  # found by walking a tree: not trace text is skipped, not reported

    @property
    def name(self) -> str:
        """One string for it: `file`, or `archive!member`."""
        if self.file == "-":
            return "<stdin>"
        return f"{self.file}!{self.member}" if self.member is not None else self.file

    def open(self) -> IO[bytes]:
        """A binary stream of the (decompressed) text; InputError if it cannot be read."""
        inner = self.member if self.member is not None else self.file
        suffix = os.path.splitext(inner)[1].lower()
        try:
            if self.data is not None:
                raw: IO[bytes] = io.BytesIO(self.data)
                if suffix in _DECOMPRESS:
                    raw = io.BytesIO(_decompress(suffix, self.data))
            elif self.file == "-":
                return sys.stdin.buffer
            elif suffix in _DECOMPRESS:
                opener: Any = _DECOMPRESS[suffix]
                raw = opener(self.file, "rb")
            else:
                raw = open(self.file, "rb")
        except (OSError, EOFError, lzma.LZMAError) as exc:
            message = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise InputError(Problem(self.name, 0, f"cannot read: {message}")) from None
        return cast(IO[bytes], _Checked(raw, self.name))


def _decompress(suffix: str, data: bytes) -> bytes:
    if suffix == ".gz":
        return gzip.decompress(data)
    if suffix == ".xz":
        return lzma.decompress(data)
    return bz2.decompress(data)


class _Checked(io.BufferedIOBase):
    """A binary stream that refuses binary data in its first 8 kB (as lines.open_lines
    does) and turns a decompression error into an InputError naming the input."""

    def __init__(self, raw: IO[bytes], name: str):
        self._raw, self._name = raw, name
        head = self._call(raw.read, 8192)
        if b"\x00" in head:
            raw.close()
            raise InputError(Problem(name, 0, "binary data, not text",
                                     "the text printed by a trace tool"))
        self._head = head

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(Problem(self._name, 0, f"cannot read: {exc}")) from None

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out, self._head = self._head + self._call(self._raw.read), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._call(self._raw.read, size)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()


def expand(specs: Iterable[str | os.PathLike]) -> Iterator[Input]:
    """The inputs the specs name, in order (see the module's text)."""
    for spec in specs:
        spec = os.fspath(spec)
        if spec == "-":
            yield Input("-")
        elif os.path.isdir(spec):
            yield from _walk(spec)
        elif os.path.exists(spec) or os.path.islink(spec):
            yield from _file(spec, walked=False)
        elif glob.has_magic(spec):
            found = sorted(glob.glob(spec, recursive=True))
            if not found:
                yield Input(spec, error=Problem(spec, 0, "no file matches this pattern"))
            for path in found:
                if os.path.isdir(path):
                    yield from _walk(path)
                else:
                    yield from _file(path, walked=False)
        else:
            yield Input(spec, error=Problem(spec, 0, "cannot read: No such file or directory"))


def _walk(top: str) -> Iterator[Input]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            yield from _file(os.path.join(root, name), walked=True)


def is_archive(path: str) -> bool:
    low = path.lower()
    return low.endswith(TAR_SUFFIXES) or low.endswith(ZIP_SUFFIXES)


def _file(path: str, walked: bool) -> Iterator[Input]:
    if not is_archive(path):
        yield Input(path, walked=walked)
        return
    try:
        if path.lower().endswith(ZIP_SUFFIXES):
            yield from _zip_members(path)
        else:
            yield from _tar_members(path)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        yield Input(path, error=Problem(path, 0, f"cannot read the archive: {exc}"))


def escapes(name: str) -> bool:
    """Whether an archive member's name leaves the archive's tree."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return True
    return ".." in norm.split("/")


def _refused(path: str, member: str, why: str) -> Input:
    return Input(path, member, error=Problem(f"{path}!{member}", 0, f"refused: {why}"))


def _tar_members(path: str) -> Iterator[Input]:
    with tarfile.open(path, mode="r|*") as tar:
        for info in tar:
            if info.isdir():
                continue
            if escapes(info.name):
                yield _refused(path, info.name, "the name leaves the archive's tree")
            elif not info.isfile():
                kind = "a link" if info.issym() or info.islnk() else "not a regular file"
                yield _refused(path, info.name, f"{kind}, not read")
            elif info.size > MAX_MEMBER:
                yield _refused(path, info.name, f"{info.size} bytes, more than {MAX_MEMBER}")
            else:
                f = tar.extractfile(info)
                data = f.read() if f is not None else b""
                yield Input(path, info.name, data=data, walked=True)


def _zip_members(path: str) -> Iterator[Input]:
    with zipfile.ZipFile(path) as z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if escapes(info.filename):
                yield _refused(path, info.filename, "the name leaves the archive's tree")
            elif mode and not stat.S_ISREG(mode):
                yield _refused(path, info.filename, "not a regular file, not read")
            elif info.file_size > MAX_MEMBER:
                yield _refused(path, info.filename,
                               f"{info.file_size} bytes, more than {MAX_MEMBER}")
            else:
                yield Input(path, info.filename, data=z.read(info), walked=True)
