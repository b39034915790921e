"""Read OVSDB database files as ``ovsdb-server`` writes them, without a server.

The format, as Open vSwitch 3.1 writes and reads it (file and function names are
those of the ``ovsdb/`` directory of OVS's sources):

*Records* (``log.c``: ``ovsdb_log_read``, ``parse_header``).  A file is a
sequence of records, each a header line ``OVSDB <magic> <length> <sha1>\\n``
followed by ``<length>`` bytes of JSON (a compact JSON object and a newline) whose
SHA-1 is ``<sha1>``.  ``<magic>`` is ``JSON`` in a standalone file and
``CLUSTER`` in a clustered one, the same for every record.

*Damage.*  Every record's header, length and SHA-1 are checked (about 0.1 s for
a 60 MB Southbound, ``benchmarks/db_read.py``).  ovsdb-server 3.1, on a record
it cannot read, logs the error and uses what it read before (``read_db`` in
``ovsdb-server.c``; ``raft_read_log`` in ``raft.c`` "assume[s] that the error is
due to a partial write while appending to the file before a crash"), and on
its next write truncates the file there (``ovsdb_log_write`` →
``ovsdb_log_truncate`` in ``log.c``), whatever the damage and wherever it is.
This reader follows it only where that assumption holds: a file that *ends
inside* its last record (a torn append) is read up to that record, with a
warning.  Any other damage (a cut or flipped byte inside the file, a wrong
length or SHA-1, a record that is not a JSON object, a transaction or raft
record the server would refuse) is a :class:`DamagedFileError` naming the file,
the byte offset and what is wrong — unless ``salvage=True``, which reads the
records before it, as ovsdb-server would, and says in a warning exactly which
bytes were skipped.  A schema record (or raft header) that cannot be read is
always an error.  Files compressed with gzip (``sb.db.gz``) are read as well.

*Standalone* (``storage.c``: ``ovsdb_storage_read``).  The first record is the
schema, every later one a transaction.  A file compacted by ``ovsdb-tool
compact``, ``ovsdb-client backup`` or the server itself has one transaction that
inserts every row; the server appends one record per committed transaction.

*Transactions* (``file.c``: ``ovsdb_file_txn_from_json``,
``ovsdb_file_txn_add_row``).  ``{"<table>": {"<row uuid>": <row> | null, ...},
..., "_date": <ms>, "_comment": "...", "_is_diff": true}``.  ``null`` deletes
the row.  A row object for a uuid the table does not have inserts it with the
given columns; the columns left out hold their type's default (empty set or
map, ``0``, ``""``, ``false``, the all-zero uuid: the writer omits defaults).
For a row the table has, it modifies the columns it names.  Without
``_is_diff`` a modified column holds its new value; with ``"_is_diff": true``
(OVS ≥ 2.15 writes it unless ``--disable-file-column-diff``) a column that can
hold more than one atom (``max`` > 1) holds the *difference*
(``ovsdb_datum_diff`` / ``ovsdb_datum_apply_diff_in_place`` in
``lib/ovsdb-data.c``): for a set, the elements to add or remove (the symmetric
difference); for a map, removed keys with their old values, added keys and
changed keys with their new values; applying it toggles each element of a set,
and for a map adds an absent key, removes a key whose value is equal, and
replaces the value of a key whose value differs.  Scalar and optional (``max``
1) columns always hold their new value.  Values are OVSDB JSON (RFC 7047 §5.1).

*Clustered* (``raft.c``: ``raft_read_header``, ``raft_read_log``,
``raft_apply_record``; ``raft-private.c``: ``raft_header_from_json``,
``raft_record_from_json``).  The first record is the header: ``server_id``,
``cluster_id``, ``name`` (the schema's), ``local_address`` and either
``remote_addresses`` (a server that has not joined yet: no data) or
``prev_servers`` with, once the log has been compacted or the cluster was
created from a database, a snapshot ``prev_index``, ``prev_term``,
``prev_eid`` and ``prev_data`` = ``[schema, data]``.  Every later record is
one of: an entry ``{"term", "index", "data": [schema | null, txn | null],
"eid", "servers"?, "election_timer"?}`` (an entry at an index already in the
log replaces it and everything after it), a ``{"term"}`` or ``{"term",
"vote"}`` or ``{"term", "leader"}`` record, ``{"commit_index"}``, or a
``{"note"}``.  The database is the snapshot followed by every entry's data in
index order (``raft_next_entry``, ``parse_txn`` in ``ovsdb-server.c``); an entry
with a schema (``ovsdb-client convert``) replaces the whole database by its
data.  Like ``ovsdb-tool cluster-to-standalone``, the reader applies every
entry of the log; ``info["commit_index"]`` and ``info["last_index"]`` show
whether the server that wrote it had committed them all.

Speed.  A compacted Southbound is one large record.  When only some tables are
asked for, the reader walks the record's top-level keys in the raw bytes (each
table's object ends at the first ``}}`` or ``null}`` followed by another
top-level key: columns never hold objects and rows are keyed by uuids, so that
happens nowhere else; inside a string a following quote would be escaped),
parses only those tables' bytes, a few megabytes of rows at a time (less peak
memory), and skips later records that name none of them; any surprise in the
bytes falls back to parsing the record whole.  The garbage collector is paused
while a file is read.  For ``FileSource.rows_by_uuid_prefix`` (the few rows a
trace names) a table's rows are not parsed at all: its row keys are found in the
raw bytes (``":{`` / ``":null`` after a uuid-shaped key) and only the rows whose
uuid starts with a prefix asked for are parsed, in every record that has them.
Such a read checks only those rows: a record the server would refuse because of
another row is not noticed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal

from . import _json
from .errors import DamagedFileError, OvsdbFileError
from .schema import EMPTY_MAP, EMPTY_SET, ColumnType, Schema, SchemaError, TableSchema

__all__ = [
    "Database", "OvsdbFileError", "DamagedFileError", "read_ovsdb_file", "read_ovsdb_bytes",
    "read_file_bytes", "file_kind", "TableSpec", "OVSDB_MAGIC", "RAFT_MAGIC",
]

OVSDB_MAGIC = "JSON"
RAFT_MAGIC = "CLUSTER"

#: ``tables=`` argument: ``None`` (every table, every column), table names, or
#: ``{table: columns or None}``
TableSpec = Iterable[str] | Mapping[str, Iterable[str] | None] | None

_HEADER_RE = re.compile(rb"OVSDB ([^ \n]+) ([0-9]+) ([0-9a-fA-F]{40})\n")
_META_KEYS = ("_date", "_comment", "_is_diff")
#: records smaller than this are parsed whole; table slicing and skipping are for big ones
_SMALL = 1 << 16
_UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _ReplayError(Exception):
    """A record the server would refuse (ends the reading, like ovsdb-server)."""


@dataclass
class Database:
    """What a database file holds: its schema and, per table read, ``{uuid: row}``.

    A row is a plain ``dict`` ``{column: value}`` with ``"_uuid"`` (the row's
    uuid) and the columns read, values decoded as in :mod:`ovnparse.db.schema`.
    ``_version`` is not stored in files and is never present.
    """

    schema: Schema
    tables: dict[str, dict[str, dict]]
    #: per table read: the columns read (``None``: all of the schema's)
    columns: dict[str, frozenset | None]
    format: str  # "standalone" | "clustered"
    path: str | None = None
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def version(self) -> str:
        return self.schema.version


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class _Record:
    number: int  # 0-based
    offset: int  # of its header line
    start: int  # body: data[start:end]
    end: int


@dataclass(frozen=True)
class _Damage:
    """Where the readable records of a file end, and why."""

    record: int  # the unreadable record's number (0-based)
    offset: int  # of its header line: everything from here on is not read
    message: str  # what is wrong (without the file's name)
    torn: bool  # the file ends inside this record: an append cut short, as by a crash


#: what may be left of a header line an append was writing when it stopped
_HEADER_TAIL_RE = re.compile(rb"[A-Z]*(?: [0-9]*(?: [0-9a-fA-F]{0,40})?)?")
_HEADER_LEAD = b"OVSDB "


def _is_header_start(rest: bytes) -> bool:
    if len(rest) <= len(_HEADER_LEAD):
        return _HEADER_LEAD.startswith(rest)
    return (rest.startswith(_HEADER_LEAD)
            and _HEADER_TAIL_RE.fullmatch(rest, len(_HEADER_LEAD)) is not None)


def _scan_records(data: bytes, name: str, verify: bool) -> tuple[str, list[_Record],
                                                                 _Damage | None]:
    """Split *data* into records: (magic, records, the damage that ended them or None).

    The checks of ``ovsdb_log_read``: the header line, the magic (the same in every
    record), the length (the file holds that many bytes), the SHA-1 of the body.
    """
    records: list[_Record] = []
    magic = None
    pos = 0
    n = len(data)
    while pos < n:
        k = len(records)
        m = _HEADER_RE.match(data, pos, min(n, pos + 127))
        if m is None:
            nl = data.find(b"\n", pos, pos + 128)
            rest = data[pos:]
            if nl < 0 and len(rest) < 128 and _is_header_start(rest):
                return magic or "", records, _Damage(
                    k, pos, f"record {k} at offset {pos}: the file ends inside its header "
                    f"line ({len(rest)} bytes: {rest.decode('ascii', 'replace')!r})", True)
            line = data[pos:nl if nl >= 0 else pos + 80].decode("utf-8", "replace")
            if magic is None and not data.startswith(_HEADER_LEAD):
                raise OvsdbFileError(name, "not an OVSDB database file (it does not start "
                                     "with 'OVSDB JSON' or 'OVSDB CLUSTER')")
            return magic or "", records, _Damage(
                k, pos, f"record {k} at offset {pos}: not a record header line "
                f"('OVSDB {magic or 'JSON'} <length> <sha1>'): {line[:80]!r}", False)
        rmagic = m.group(1).decode("ascii", "replace")
        if magic is None:
            if rmagic not in (OVSDB_MAGIC, RAFT_MAGIC):
                raise OvsdbFileError(name, f"cannot identify file type (magic {rmagic!r})")
            magic = rmagic
        elif rmagic != magic:
            return magic, records, _Damage(
                k, pos, f"record {k} at offset {pos}: header line has magic {rmagic!r}, "
                f"expected {magic!r}", False)
        length = int(m.group(2))
        start = m.end()
        end = start + length
        if length == 0:
            return magic, records, _Damage(
                k, pos, f"record {k} at offset {pos}: header line gives a length of 0", False)
        if end > n:
            return magic, records, _Damage(
                k, pos, f"record {k} at offset {pos}: the file ends inside it ({length} bytes "
                f"of JSON announced from offset {start}, {n - start} there)", True)
        if verify:
            actual = hashlib.sha1(memoryview(data)[start:end]).hexdigest()
            if actual != m.group(3).decode().lower():
                return magic, records, _Damage(
                    k, pos, f"record {k} at offset {pos}: its {length} bytes starting at "
                    f"offset {start} have SHA-1 {actual}, but the header says "
                    f"{m.group(3).decode().lower()} (damaged, or a wrong length)", False)
        records.append(_Record(k, pos, start, end))
        pos = end
    if magic is None:
        raise OvsdbFileError(name, "empty file, not an OVSDB database")
    return magic, records, None


_GZIP_MAGIC = b"\x1f\x8b"


def _gunzip(data: bytes, name: str, salvage: bool, warnings: list[str] | None) -> bytes:
    """The content of a gzip file (members one after another, as ``gzip -d``)."""
    out: list[bytes] = []
    pos = 0
    n = len(data)
    while pos < n:
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        problem = None
        try:  # in slices, to keep what came out before a corrupt stretch
            i = pos
            while i < n and not d.eof:
                out.append(d.decompress(data[i:i + (1 << 20)]))
                i += 1 << 20
        except zlib.error as e:
            problem = f"gzip data corrupt near compressed offset {i} ({e})"
        else:
            if not d.eof:
                problem = f"gzip data cut short ({n} compressed bytes)"
        if problem is not None:
            got = sum(len(b) for b in out)
            if not salvage:
                raise DamagedFileError(name, got, f"{problem}; salvage reads the {got} "
                                       f"bytes that come out")
            if warnings is not None:
                warnings.append(f"{name}: {problem}; salvage: read the {got} bytes that came "
                                f"out before it")
            break
        pos = n - len(d.unused_data)
        if not data.startswith(_GZIP_MAGIC, pos):
            break  # (trailing zeros, as gzip -d allows)
    return b"".join(out)


def read_file_bytes(path: str | os.PathLike, *, salvage: bool = False,
                    warnings: list[str] | None = None) -> bytes:
    """A database file's bytes, uncompressed if it is gzip'ed (``OSError`` if unreadable)."""
    data = Path(path).read_bytes()
    if data.startswith(_GZIP_MAGIC):
        return _gunzip(data, os.fspath(path), salvage, warnings)
    return data


def file_kind(path: str | os.PathLike) -> str | None:
    """``"standalone"``, ``"clustered"`` or ``None`` (not an OVSDB file), from the first bytes.

    A gzip'ed file is looked into.
    """
    with open(path, "rb") as f:
        head = f.read(128)
        if head.startswith(_GZIP_MAGIC):
            f.seek(0)
            try:
                head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(f.read(1 << 16), 128)
            except zlib.error:
                return None
    m = _HEADER_RE.match(head)
    if not m:
        return None
    return {b"JSON": "standalone", b"CLUSTER": "clustered"}.get(m.group(1))


def _parse_object(data: bytes, rec: _Record) -> dict:
    try:
        obj = _json.loads(memoryview(data)[rec.start:rec.end])
    except (ValueError, RecursionError) as e:
        raise _ReplayError(f"its {rec.end - rec.start} bytes starting at offset "
                           f"{rec.start} are not valid JSON ({e})") from None
    if type(obj) is not dict:
        raise _ReplayError(f"its {rec.end - rec.start} bytes starting at offset "
                           f"{rec.start} are not a JSON object")
    return obj


# --------------------------------------------------------------------------- rows
class _Missing(Enum):
    SKIP = 0


#: "no such key" for dict.get (a one-member enum: mypy narrows ``x is _SKIP``)
_SKIP: Final = _Missing.SKIP


class _TableReader:
    """Decodes and applies one table's part of transactions, for the columns wanted."""

    __slots__ = ("name", "decoders", "composite", "known", "wanted", "ncols", "scalar_defaults",
                 "decoded", "all_columns")

    def __init__(self, ts: TableSchema, columns: frozenset | None):
        cols: dict[str, ColumnType] = (dict(ts.columns) if columns is None else
                                       {c: ts.columns[c] for c in columns if c in ts.columns})
        self.name = ts.name
        self.decoders = {c: t.decoder() for c, t in cols.items()}
        self.composite = {c: t.is_map for c, t in cols.items() if t.is_composite}
        self.known = frozenset(ts.columns)
        self.wanted = frozenset(cols)
        self.all_columns = self.wanted == self.known
        self.ncols = len(cols) + 1  # with _uuid
        # columns kept as parsed: their default when absent
        self.scalar_defaults = tuple((c, t.default()) for c, t in cols.items()
                                     if self.decoders[c] is None and t.is_scalar)
        # columns with a decoder (every set and map): (name, decoder, default)
        self.decoded = tuple((c, d, t.default())
                             for c, t in cols.items() if (d := self.decoders[c]) is not None)

    def _unknown(self, col: str) -> None:
        if col not in self.known:
            raise _ReplayError(f"No column {col} in table {self.name}.")

    def insert(self, uuid: str, rj: dict) -> dict:
        """The new row: *rj* (freshly parsed, so ours) decoded in place, defaults added."""
        row = rj
        if not self.all_columns:
            for c in [c for c in row if c not in self.wanted]:
                if c not in self.known:
                    self._unknown(c)
                del row[c]
        for c, d, default in self.decoded:
            v = row.get(c, _SKIP)
            row[c] = default if v is _SKIP else d(v)
        setdefault = row.setdefault
        for c, default in self.scalar_defaults:
            setdefault(c, default)
        row["_uuid"] = uuid
        if len(row) != self.ncols:
            for c in row:
                if c != "_uuid":
                    self._unknown(c)
        return row

    def modify(self, old: dict, rj: dict, is_diff: bool) -> dict:
        row = dict(old)
        get = self.decoders.get
        for c, v in rj.items():
            d = get(c, _SKIP)
            if d is _SKIP:
                self._unknown(c)
                continue
            value = v if d is None else d(v)
            if is_diff and c in self.composite:
                value = _apply_diff(row[c], value, self.composite[c])
            row[c] = value
        return row


def _apply_diff(old, diff, is_map: bool):
    """``ovsdb_datum_apply_diff_in_place`` on decoded values (a new object; *old* is untouched)."""
    if is_map:
        new = dict(old)
        for k, v in diff.items():
            if k not in new or new[k] != v:
                new[k] = v
            else:
                del new[k]
        return dict(sorted(new.items())) if new else EMPTY_MAP
    elems = set(old)
    for x in diff:
        if x in elems:
            elems.remove(x)
        else:
            elems.add(x)
    return sorted(elems) if elems else EMPTY_SET


class _State:
    """The database being replayed: schema, wanted tables, rows."""

    def __init__(self, schema: Schema, wanted: dict[str, frozenset | None] | None,
                 picks: dict[str, tuple[str, ...]] | None = None,
                 walks: dict | None = None):
        #: ``{table: uuid prefixes}``: only the rows of *table* whose uuid starts with one
        #: of them are read (every record's entries for them are replayed; the others are
        #: not decoded)
        self.picks = picks or None
        #: where a big record's top-level members lie, by (start, end) (kept across reads)
        self.walks = walks
        self.set_schema(schema, wanted)

    def set_schema(self, schema: Schema, wanted: dict[str, frozenset | None] | None) -> None:
        self.schema = schema
        self.wanted_spec = wanted
        self.wanted: dict[str, frozenset | None]
        if wanted is None:
            self.wanted = {t: None for t in schema.tables}
        else:
            self.wanted = {t: c for t, c in wanted.items() if t in schema.tables}
        self.readers = {t: _TableReader(schema.tables[t], c) for t, c in self.wanted.items()}
        self.tables: dict[str, dict[str, dict]] = {t: {} for t in self.wanted}
        self.all_tables = frozenset(schema.tables)
        self.top_level_names = self.all_tables | frozenset(_META_KEYS)
        self.patterns = [b'"' + t.encode() + b'":{' for t in self.wanted]
        self.subset = len(self.wanted) < len(schema.tables)

    def mentions_wanted(self, data: bytes, start: int, end: int) -> bool:
        for p in self.patterns:
            i = data.find(p, start, end)
            while i >= 0:
                if data[i - 1] in b"{,":
                    return True
                i = data.find(p, i + 1, end)
        return False

    def apply(self, txn: dict) -> None:
        """Apply one transaction atomically; raises _ReplayError as OVSDB would refuse it."""
        is_diff = txn.get("_is_diff") is True
        fresh: list[tuple[str, dict]] = []
        pending: list[tuple[dict, str, dict | None]] = []
        for tname, tj in txn.items():
            reader = self.readers.get(tname)
            if reader is None:
                if tname in self.all_tables:
                    continue  # a table not asked for
                if tname in _META_KEYS:
                    continue
                raise _ReplayError(f"No table named {tname}.")
            if type(tj) is not dict and type(tj) is not _Chunked:
                raise _ReplayError(f"table {tname}: object expected")
            rows = self.tables[tname]
            items = tj.items
            keys = self.picks.get(tname) if self.picks else None
            if keys is not None:
                if isinstance(tj, _Chunked):
                    items = partial(tj.pick, keys)
                else:
                    items = partial(_filtered, tj, keys)
            try:
                if not rows:
                    # fast path (the big record of a compacted file): a new dict of rows
                    new_rows = {}
                    for uuid, rj in items():
                        if rj is None:
                            raise _ReplayError(f"transaction deletes row {uuid} that does "
                                               f"not exist")
                        new_rows[uuid] = reader.insert(uuid, rj)
                    fresh.append((tname, new_rows))
                    continue
                for uuid, rj in items():
                    old = rows.get(uuid)
                    if rj is None:
                        if old is None:
                            raise _ReplayError(f"transaction deletes row {uuid} that does "
                                               f"not exist")
                        pending.append((rows, uuid, None))
                    elif old is None:
                        pending.append((rows, uuid, reader.insert(uuid, rj)))
                    else:
                        pending.append((rows, uuid, reader.modify(old, rj, is_diff)))
            except (TypeError, IndexError, KeyError, AttributeError, ValueError) as e:
                raise _ReplayError(f"table {tname}: bad row data ({type(e).__name__}: {e})") \
                    from None
        for tname, new_rows in fresh:
            self.tables[tname] = new_rows
        for rows, uuid, row in pending:
            if row is None:
                del rows[uuid]
            else:
                rows[uuid] = row


def _filtered(tj: dict, keys: tuple[str, ...]) -> list:
    """The entries of a parsed table object whose uuid starts with one of *keys*."""
    return [(u, r) for u, r in tj.items() if type(u) is str and u.startswith(keys)]


# --------------------------------------------------------------------------- big records
#: a big table's rows are parsed this many bytes at a time (the parser's
#: temporary lists then never exist for the whole table at once)
_CHUNK = 4 << 20


class _SliceError(Exception):
    """Cutting a record at its raw bytes went wrong: it is then parsed whole."""


def _key_after(data: bytes, pos: int, close: int, names: frozenset) -> bool:
    """``data[pos:]`` is the object's closing brace, or ``,"<known key>":``."""
    if pos == close:
        return True
    if data[pos:pos + 2] != b',"':
        return False
    q = data.find(b'":', pos + 2, pos + 132)
    return q > 0 and data[pos + 2:q].decode("utf-8", "replace") in names


def _walk_object(data: bytes, start: int, end: int,
                 names: frozenset) -> dict[str, tuple[int, int]] | None:
    """Where each member's value lies in the transaction object ``data[start:end]``.

    ``{key: (first, last)}`` for a compact JSON object ``{"<table>":{...},...,
    "_date":1,"_comment":"...","_is_diff":true}`` as OVS writes it; ``None`` if
    the bytes are not that (the record is then parsed whole).

    A table's object ends at the first ``}}`` (its last row and itself closed) or
    ``null}`` (its last row deleted) followed by ``,"<table or meta key>":`` or by
    the end of the transaction: a row holds no object, so ``}}`` occurs nowhere
    else outside strings, and inside a string any following quote is escaped.
    Two scans for ``}}`` and ``null}`` (whose last byte is rare) instead of a
    search per table name.
    """
    if data[start] != 0x7B or data[end - 1] != 0x7D:  # "{" ... "}"
        return None
    close = end - 1
    out: dict[str, tuple[int, int]] = {}
    if close == start + 1:
        return out
    pos = start + 1
    while True:
        if data[pos] != 0x22:  # '"'
            return None
        q = data.find(b'":', pos + 1, pos + 131)
        if q < 0:
            return None
        key = data[pos + 1:q].decode("utf-8", "replace")
        if key not in names:
            return None
        first = q + 2
        c = data[first]
        if c == 0x7B:  # "{": a table
            if data[first + 1] == 0x7D:  # "{}"
                last = first + 2
            else:
                last = -1
                j = data.find(b"}}", first, end)
                while j >= 0:
                    if _key_after(data, j + 2, close, names):
                        last = j + 2
                        break
                    j = data.find(b"}}", j + 1, end)
                limit = end if last < 0 else last
                j = data.find(b"null}", first, limit)
                while j >= 0:
                    if _key_after(data, j + 5, close, names):
                        last = j + 5
                        break
                    j = data.find(b"null}", j + 1, limit)
                if last < 0:
                    return None
        elif c == 0x22:  # a string (_comment): to its closing, unescaped quote
            j = first
            while True:
                j = data.find(b'"', j + 1, close)
                if j < 0:
                    return None
                k = j
                while data[k - 1] == 0x5C:  # backslash
                    k -= 1
                if (j - k) % 2 == 0:
                    break
            last = j + 1
        else:  # a number or true/false (_date, _is_diff)
            j = first
            while j < close and data[j] not in b",}":
                j += 1
            last = j
        out[key] = (first, last)
        if last == close:
            return out
        if data[last] != 0x2C:  # ","
            return None
        pos = last + 1


def _is_row_key(data: bytes, pos: int) -> bool:
    """``data[pos:]`` is ``"<uuid>":`` (pos at the opening quote)."""
    u = data[pos + 1:pos + 37]
    return (data[pos + 37:pos + 39] == b'":' and len(u) == 36
            and u[8] == u[13] == u[18] == u[23] == 0x2D)


class _Chunked:
    """A table's rows in a big record, parsed a few megabytes at a time while iterated.

    Pieces end after a row (``},"<uuid>":`` follows); each is parsed as an object
    of its own.
    """

    __slots__ = ("data", "first", "last")

    def __init__(self, data: bytes, first: int, last: int):
        self.data, self.first, self.last = data, first, last

    def _pieces(self):
        data, first, last = self.data, self.first, self.last
        if last - first <= _CHUNK:
            yield memoryview(data)[first:last]
            return
        pos = first + 1  # after "{"
        close = last - 1
        while pos < close:
            j = data.find(b'},"', pos + _CHUNK, close) if close - pos > _CHUNK else -1
            while j >= 0 and not _is_row_key(data, j + 2):
                j = data.find(b'},"', j + 1, close)
            if j < 0:
                yield b"{" + data[pos:close] + b"}"
                return
            yield b"{" + data[pos:j + 1] + b"}"
            pos = j + 2

    def pick(self, keys: tuple[str, ...]) -> list:
        """``[(uuid, row or None)]`` of the rows whose uuid starts with one of *keys*, in
        file order, each parsed alone; the others are found in the raw bytes, not parsed.

        A row is ``"<uuid>":{...}`` or ``"<uuid>":null`` after ``{`` or ``,``: a
        uuid-shaped key, which only rows have.  ``":{`` and ``":null`` (after 36
        characters) find every row key; inside a string the quote would be escaped.  A
        row object holds no object, so it ends at the ``}`` before the next
        ``,"<uuid>":`` or, for the last row, before the table's closing brace.
        """
        data, first, last = self.data, self.first, self.last
        bkeys = tuple(k.encode() for k in keys)
        heads = (frozenset(k[:8] for k in bkeys)
                 if min(len(k) for k in bkeys) >= 8 else None)
        found: list[tuple[int, bool]] = []
        find = data.find
        for pat, is_null in ((b'":{', False), (b'":null', True)):
            i = find(pat, first, last)
            while i >= 0:
                s = i - 36  # the uuid's first digit
                if (heads is None or data[s:s + 8] in heads) and data[s:i].startswith(bkeys):
                    if data[s - 1] == 0x22 and data[s - 2] in b"{," \
                            and _UUID_RE.fullmatch(data, s, i) is not None:
                        found.append((s, is_null))  # (else: in a string, escaped)
                i = find(pat, i + 3, last)
        found.sort()
        out: list[tuple[str, dict | None]] = []
        close = last - 1  # the table's closing brace
        for s, is_null in found:
            uuid = data[s:s + 36].decode("ascii")
            v = s + 38  # the value
            if is_null:
                if data[v + 4] not in b",}" or (data[v + 4] == 0x7D and v + 4 != close):
                    raise _SliceError(f"bad deleted row at offset {v}")
                out.append((uuid, None))
                continue
            j = find(b'},"', v, close)
            while j >= 0 and not _is_row_key(data, j + 2):
                j = find(b'},"', j + 1, close)
            e = close if j < 0 else j + 1
            if data[e - 1] != 0x7D:
                raise _SliceError(f"bad row at offset {v}")
            try:
                row = _json.loads(data[v:e])
            except ValueError as exc:
                raise _SliceError(str(exc)) from None
            if type(row) is not dict:
                raise _SliceError("a row is not an object")
            out.append((uuid, row))
        return out

    def items(self):
        for piece in self._pieces():
            try:
                rows = _json.loads(piece)
            except ValueError as e:
                raise _SliceError(str(e)) from None
            if type(rows) is not dict:
                raise _SliceError("not an object")
            yield from rows.items()


def _sliced_txn(data: bytes, start: int, end: int,
                state: _State) -> dict | Literal[False] | None:
    """The wanted tables of the big transaction object ``data[start:end]``, unparsed.

    Tables are :class:`_Chunked`, parsed while the transaction is applied.
    ``False`` when the object names none of the wanted tables; ``None`` when it
    does not look like OVSDB's compact JSON (it is then parsed whole).
    """
    walks = state.walks
    if walks is None:
        where = _walk_object(data, start, end, state.top_level_names)
    else:
        where = walks.get((start, end), _SKIP)
        if where is _SKIP:
            where = walks[(start, end)] = _walk_object(data, start, end, state.top_level_names)
    if where is None:
        return None
    txn: dict = {}
    for tname in state.readers:
        w = where.get(tname)
        if w is not None:
            txn[tname] = _Chunked(data, *w)
    if not txn:
        return False
    w = where.get("_is_diff")
    if w is not None and data[w[0]:w[1]] == b"true":
        txn["_is_diff"] = True
    return txn


def _apply_record(state: _State, txn: dict, data: bytes, start: int, end: int) -> None:
    """Apply a (possibly sliced) transaction; a slicing mistake falls back to a whole parse."""
    try:
        state.apply(txn)
    except _SliceError:
        try:
            whole = _json.loads(memoryview(data)[start:end])
        except (ValueError, RecursionError) as e:
            raise _ReplayError(f"its {end - start} bytes starting at offset {start} "
                               f"are not valid JSON ({e})") from None
        if type(whole) is not dict:
            raise _ReplayError("its transaction is not a JSON object") from None
        state.apply(whole)


# --------------------------------------------------------------------------- readers
def _normalize_tables(tables: TableSpec) -> dict[str, frozenset | None] | None:
    if tables is None:
        return None
    if isinstance(tables, str):
        return {tables: None}
    if isinstance(tables, Mapping):
        return {t: (None if c is None else frozenset(c)) for t, c in tables.items()}
    return {t: None for t in tables}


def _txn_from_record(data: bytes, rec: _Record, state: _State) -> dict | None:
    """The transaction of a record, or None when it touches no wanted table."""
    if not state.wanted:
        return None  # (the schema alone)
    # every table wanted: one parse of the whole record is quicker than the walk
    # (2 scans) and the pieces, which save a sixth of the peak memory
    if state.subset and rec.end - rec.start > _SMALL:
        if data[rec.end - 1] == 0x0A:
            try:
                txn = _sliced_txn(data, rec.start, rec.end - 1, state)
            except (IndexError, ValueError):  # bytes that are not OVS's JSON: parse it whole
                txn = None
            if txn is False:
                return None
            if txn is not None:
                return txn
        if not state.mentions_wanted(data, rec.start, rec.end):
            return None
    return _parse_object(data, rec)


class _Bytes:
    """The file's bytes, let go of as soon as the last record is parsed (the rows built
    from a compacted file's one big record then do not share the peak with them)."""

    __slots__ = ("data", "scanned", "walks", "picks")

    def __init__(self, data: bytes, scanned=None, walks: dict | None = None,
                 picks: dict[str, tuple[str, ...]] | None = None):
        self.data: bytes | None = data
        #: _scan_records' result, when known already
        self.scanned = scanned
        #: _State.walks, _State.picks
        self.walks = walks
        self.picks = picks


def _unusable(name: str, offset: int, what: str, size: int, before: str, salvage: bool,
              warnings: list[str]) -> None:
    """A record past the first that cannot be used: an error or, with *salvage*, a warning
    (what comes before it is read, as ovsdb-server does)."""
    if not salvage:
        raise DamagedFileError(name, offset, f"{what} (ovsdb-server would log this and use "
                               f"{before}; salvage does the same)")
    warnings.append(f"{name}: {what}; salvage: skipped bytes {offset}-{size} ({size - offset} "
                    f"bytes: this record and every one after it), read {before}")


def _read_standalone(src: _Bytes, records: list[_Record], wanted, name: str,
                     db_info: dict, warnings: list[str], salvage: bool) -> _State:
    data = src.data
    assert data is not None  # (let go of in the loop below, at its last record)
    try:
        schema = Schema.from_json(_parse_object(data, records[0]))
    except (_ReplayError, SchemaError) as e:
        raise DamagedFileError(name, 0, f"record 0 at offset 0 (the schema) is not an "
                               f"OVSDB schema: {e}") from None
    state = _State(schema, wanted, src.picks, src.walks)
    parsed = skipped = 0
    last = records[-1]
    size = len(data)
    for rec in records[1:]:
        try:
            txn = _txn_from_record(data, rec, state)
            if txn is None:
                skipped += 1
                continue
            parsed += 1
            _apply_record(state, txn, data, rec.start, rec.end - 1)
            del txn
        except _ReplayError as e:
            src.data = None
            _unusable(name, rec.offset, f"record {rec.number} at offset {rec.offset}: {e}",
                      size, f"the {rec.number} records before it", salvage, warnings)
            break
        finally:
            if rec is last:
                src.data = None
    del data
    db_info.update(transactions=len(records) - 1, records_parsed=parsed,
                   records_skipped=skipped)
    return state


_INDEX_RE = re.compile(rb'[{,]"index":([0-9]+)[,}]')


@dataclass
class _Entry:
    index: int
    term: int
    record: _Record
    data: Any = None  # the parsed [schema, txn] (None: has no data, or not parsed yet)
    has_data: bool = False
    skipped: bool = False  # touches no wanted table: not parsed


def _split_raft_header(data: bytes, rec: _Record) -> tuple[dict, Any, int, int] | None:
    """A big raft header without parsing its snapshot's data.

    (the other members, the snapshot's schema JSON, where its data object starts and
    ends) or ``None`` (then the header is parsed whole).  The header is
    ``{..., "prev_data":[<schema>,<data>], ...}``: the schema (tens of kB) is read by
    ``json.JSONDecoder.raw_decode``, which says where it ends; the data object ends
    at the last ``}]`` (the members after it are short uuids, numbers, addresses).
    """
    start, end = rec.start, rec.end - 1  # end: the record's final newline
    pat = b'"prev_data":['
    i = data.find(pat, start, end)
    if i < 0 or data[i - 1] not in b"{," or data[end] != 0x0A:
        return None
    s0 = i + len(pat)
    if data[s0] != 0x7B:
        return None
    decoder = json.JSONDecoder()
    window = 1 << 20
    while True:
        text = data[s0:min(end, s0 + window)].decode("utf-8", "surrogateescape")
        try:
            schema_json, k = decoder.raw_decode(text)
            break
        except (ValueError, RecursionError):
            if s0 + window >= end:
                return None
            window *= 4
    ds = s0 + len(text[:k].encode("utf-8", "surrogateescape"))
    if data[ds:ds + 2] != b",{":
        return None
    ds += 1
    k2 = data.rfind(b"}]", ds, end)
    if k2 < 0:
        return None
    de = k2 + 1
    rest = data[de + 1:end]
    try:
        head = _json.loads(data[start:i].rstrip(b",") + b"}")
        tail = {} if rest == b"}" else _json.loads(b"{" + rest[1:]) \
            if rest.startswith(b",") else None
    except ValueError:
        return None
    if type(head) is not dict or type(tail) is not dict:
        return None
    return {**head, **tail}, schema_json, ds, de


def _raft_header(src: _Bytes, record: _Record, wanted, name: str) -> dict:
    """The raft header (record 0) of a clustered file, checked; its snapshot's data may be
    left unparsed (``("sliced", bytes, first, last)``)."""
    data = src.data
    assert data is not None  # (the readers let go of it after the header)
    split = None
    if wanted is not None and record.end - record.start > _SMALL:
        split = _split_raft_header(data, record)
    try:
        if split is None:
            header = _parse_object(data, record)
        else:
            header = split[0]
            header["prev_data"] = [split[1], ("sliced", data, split[2], split[3])]
    except _ReplayError as e:
        raise DamagedFileError(name, 0, f"record 0 at offset 0 (the raft header): {e}") from None
    for key in ("server_id", "name", "local_address"):
        if not isinstance(header.get(key), str):
            raise DamagedFileError(name, 0, f"the raft header (record 0) has no {key!r}")
    if "remote_addresses" in header:
        raise OvsdbFileError(name, "this server has not joined its cluster yet "
                             "(\"ovsdb-tool join-cluster\"): the file holds no data")
    snap_index = header.get("prev_index") or 0
    if not isinstance(snap_index, int) or snap_index < 0 or \
            not isinstance(header.get("prev_term", 0), int):
        raise DamagedFileError(name, 0, "the raft header (record 0) has a bad prev_index "
                               "or prev_term")
    if snap_index:
        snapshot = header.get("prev_data")
        if type(snapshot) is not list or len(snapshot) != 2:
            raise DamagedFileError(name, 0, "the raft header (record 0) has a snapshot index "
                                   "but no [schema, data] snapshot")
    return header


def _read_clustered(src: _Bytes, records: list[_Record], wanted, name: str,
                    db_info: dict, warnings: list[str], salvage: bool) -> _State:
    data: bytes | None = src.data
    assert data is not None  # (let go of below, once every record is parsed)
    size = len(data)
    header = _raft_header(src, records[0], wanted, name)
    db_info.update(cluster_id=header.get("cluster_id"), server_id=header["server_id"],
                   local_address=header["local_address"], cluster_name=header["name"])
    snap_index = header.get("prev_index") or 0
    snapshot = header.get("prev_data") if snap_index else None
    log_start = snap_index + 1
    entries: list[_Entry] = []  # entries[i].index == log_start + i
    commit_index = snap_index
    term = header.get("prev_term", 0) if snap_index else 0
    first_schema = None
    if snapshot is not None and snapshot[0] is not None:
        try:
            first_schema = Schema.from_json(snapshot[0])
        except SchemaError as e:
            raise DamagedFileError(name, 0, f"the raft header's snapshot (record 0) has a bad "
                                   f"schema: {e}") from None
    # a probe state to decide which records matter (table names of the first schema)
    probe = _State(first_schema, wanted, None, src.walks) if first_schema is not None else None

    def before(rec: _Record) -> str:
        return (f"the {rec.number} records before it (log up to index "
                f"{log_start + len(entries) - 1})")

    for rec in records[1:]:
        rsize = rec.end - rec.start
        try:
            if probe is not None and probe.subset and rsize > _SMALL \
                    and not probe.mentions_wanted(data, rec.start, rec.end):
                found = _INDEX_RE.findall(data, rec.start, rec.end)
                if len(found) == 1:
                    r = None
                    index = int(found[0])
                else:
                    r = _parse_object(data, rec)
            else:
                r = _parse_object(data, rec)
            if r is not None:
                if "note" in r or "commit_index" in r:
                    if "commit_index" in r and "note" not in r:
                        ci = r["commit_index"]
                        if not isinstance(ci, int) or ci < commit_index \
                                or ci >= log_start + len(entries):
                            raise _ReplayError(f"it sets commit index {ci!r:.40} "
                                               f"(was {commit_index}, last index "
                                               f"{log_start + len(entries) - 1})")
                        commit_index = ci
                    continue
                if not isinstance(r.get("term"), int):
                    raise _ReplayError("it has no term")
                term = max(term, r["term"])
                if "leader" in r or "vote" in r or "index" not in r:
                    continue
                index = r["index"]
                if not isinstance(index, int) or index <= 0:
                    raise _ReplayError(f"it has a bad index {index!r:.40}")
            log_end = log_start + len(entries)
            if index < commit_index:
                raise _ReplayError(f"it attempts to truncate the log from {log_end} to "
                                   f"{index} entries, but commit index is already "
                                   f"{commit_index}")
            if index > log_end:
                raise _ReplayError(f"its index {index} skips past expected index {log_end}")
            if index < log_start:
                raise _ReplayError(f"its index {index} precedes the snapshot")
            del entries[index - log_start:]
            if r is None:
                entries.append(_Entry(index, 0, rec, None, True, True))
            else:
                d = r.get("data")
                entries.append(_Entry(index, r["term"], rec, d, d is not None))
        except _ReplayError as e:
            # (ovsdb-server refuses to open a log with such a record: raft_read_log)
            _unusable(name, rec.offset, f"record {rec.number} at offset {rec.offset}: {e}",
                      size, before(rec), salvage, warnings)
            break

    src.data = data = None  # every record is parsed (or skipped)
    db_info.update(snapshot_index=snap_index, commit_index=commit_index,
                   last_index=log_start + len(entries) - 1, term=term,
                   entries=len(entries))

    state: _State | None = None
    picks = src.picks
    applied = skipped = 0

    def apply_data(d, where: str) -> None:
        nonlocal state
        if type(d) is not list or len(d) != 2:
            raise _ReplayError(f"{where}: invalid commit format")
        schema_json, txn = d
        if schema_json is not None:
            try:
                schema = Schema.from_json(schema_json)
            except SchemaError as e:
                raise _ReplayError(f"{where}: bad schema: {e}") from None
            if schema.name != db_info["cluster_name"]:
                raise _ReplayError(f"{where}: name {db_info['cluster_name']} in header does not "
                                   f"match name {schema.name} in schema")
            if state is None:
                state = _State(schema, wanted, picks, src.walks)
            else:
                state.set_schema(schema, wanted)  # a conversion: the data replaces everything
        if txn is not None:
            if state is None:
                raise _ReplayError(f"{where}: data without schema")
            if type(txn) is tuple:  # the snapshot of a split header
                _, raw, first, last = txn
                try:
                    sliced = _sliced_txn(raw, first, last, state)
                except (IndexError, ValueError):
                    sliced = None
                if sliced is None:
                    try:
                        sliced = _json.loads(memoryview(raw)[first:last])
                    except (ValueError, RecursionError) as e:
                        raise _ReplayError(f"{where}: not valid JSON ({e})") from None
                    if type(sliced) is not dict:
                        raise _ReplayError(f"{where}: the data is not a JSON object")
                _apply_record(state, sliced or {}, raw, first, last)
            elif type(txn) is not dict:
                raise _ReplayError(f"{where}: the data is not a JSON object")
            else:
                state.apply(txn)

    if snapshot is not None:
        try:
            apply_data(snapshot, "snapshot")
        except _ReplayError as err:
            # (the header's snapshot: nothing before it to fall back on but its schema)
            _unusable(name, 0, f"record 0 at offset 0 (the raft header): {err}", size,
                      "nothing (the schema alone)", salvage, warnings)
            entries = []
        snapshot = header["prev_data"] = None  # (a split header's bytes can go)
    for entry in entries:
        if not entry.has_data:
            continue
        if entry.skipped:
            skipped += 1
            continue
        try:
            apply_data(entry.data, f"entry {entry.index}")
        except _ReplayError as err:
            _unusable(name, entry.record.offset, f"record {entry.record.number} at offset "
                      f"{entry.record.offset}: {err}", size,
                      f"the log before it (up to index {entry.index - 1})", salvage, warnings)
            break
        applied += 1
    if state is None:
        raise OvsdbFileError(name, "clustered database without a schema")
    db_info.update(entries_applied=applied, entries_skipped=skipped)
    return state


def read_ovsdb_bytes(data: bytes, tables: TableSpec = None, *, name: str = "<bytes>",
                     verify_checksums: bool = True, salvage: bool = False) -> Database:
    """Like :func:`read_ovsdb_file`, from the file's (uncompressed) bytes."""
    return _read(_Bytes(data), tables, name, verify_checksums, salvage)


def _read(src: _Bytes, tables: TableSpec, name: str, verify_checksums: bool,
          salvage: bool = False) -> Database:
    wanted = _normalize_tables(tables)
    assert src.data is not None  # (a fresh _Bytes: the readers below let go of it)
    with _json.gc_paused():
        if src.scanned is None:
            src.scanned = _scan_records(src.data, name, verify_checksums)
        magic, records, damage = src.scanned
        size = len(src.data)
        warnings: list[str] = []
        if not records:
            # (damage is set: an empty file or one that is not OVSDB's raised already)
            raise DamagedFileError(name, damage.offset, f"{damage.message}: no record can be "
                                   f"read (the first one holds the schema)")
        if damage is not None:
            skipped = size - damage.offset
            if damage.torn:  # an append cut short: what ovsdb-server assumes of any damage
                warnings.append(f"{name}: {damage.message}: an append cut short, as by a "
                                f"crash; ignoring these last {skipped} bytes, as ovsdb-server "
                                f"does")
            else:
                _unusable(name, damage.offset, damage.message, size,
                          f"the {len(records)} records before it", salvage, warnings)
        info: dict[str, Any] = {"records": len(records), "bytes": size,
                                "json": _json.JSON_LIBRARY}
        if magic == OVSDB_MAGIC:
            state = _read_standalone(src, records, wanted, name, info, warnings, salvage)
            fmt = "standalone"
        else:
            state = _read_clustered(src, records, wanted, name, info, warnings, salvage)
            fmt = "clustered"
    return Database(schema=state.schema, tables=state.tables, columns=dict(state.wanted),
                    format=fmt, path=None, warnings=warnings, info=info)


def read_ovsdb_file(path: str | os.PathLike, tables: TableSpec = None, *,
                    verify_checksums: bool = True, salvage: bool = False) -> Database:
    """Read a standalone or clustered OVSDB database file (compacted or not).

    *tables*: ``None`` for every table and column; an iterable of table names;
    or ``{table: [columns] | None}``.  Tables or columns the file's schema does
    not have are left out.  Rows always carry ``"_uuid"``.

    Never writes to the file and takes no lock (the server may be running).
    A gzip'ed file is uncompressed first.

    Damage (see the module's documentation) is a :class:`DamagedFileError` naming
    the byte offset, or with *salvage* a warning in ``Database.warnings`` (what
    precedes it is read); a file that ends inside its last record is read up to it,
    with a warning.  ``OSError`` if the file cannot be opened.
    """
    path = os.fspath(path)
    warnings: list[str] = []
    db = _read(_Bytes(read_file_bytes(path, salvage=salvage, warnings=warnings)), tables,
               path, verify_checksums, salvage)
    db.warnings[:0] = warnings
    db.path = path
    return db
