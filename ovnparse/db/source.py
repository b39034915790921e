"""Where database rows come from: one small, read-only interface.

:class:`DatabaseSource` is what the rest of ovnparse reads databases through.
This module has the offline implementations: a saved database file
(:class:`FileSource`, standalone or clustered) and rows already in memory
(:class:`MemorySource`, e.g. from ``ovsdb-client``/``ovn-sbctl`` JSON).  A live
source (ovsdbapp, JSON-RPC ``select``) implements the same few members.

Read-only by construction: the interface has no way to write, and the file
source opens files for reading only, takes no lock and keeps no handle open.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from .dumps import read_ctl_list_json, read_ovsdb_client_dump
from .errors import OvsdbFileError
from .keys import prefix_keys
from .ovsdb_file import (
    Database,
    TableSpec,
    _Bytes,
    _normalize_tables,
    _read,
    file_kind,
    read_file_bytes,
    read_ovsdb_file,
)
from .schema import Schema

__all__ = ["DatabaseSource", "PrefixSource", "FileSource", "MemorySource", "open_source"]


class DatabaseSource(ABC):
    """Read-only access to the rows of one OVSDB database.

    ``rows(table, columns)`` returns ``{uuid: row}``, each row a ``dict`` with
    ``"_uuid"`` and at least the columns asked for (all of them for
    ``columns=None``), values decoded as :mod:`ovnparse.db.schema` says.  The
    mapping and rows may be shared with the source's cache: do not modify them.

    ``warnings``: what a reader stepped over (a torn last record, what salvage
    skipped...), one line each, for the caller to print.
    """

    warnings: Sequence[str] = ()  # (sources that warn have a list of their own)

    @property
    @abstractmethod
    def schema_name(self) -> str:
        """The database's schema name (``OVN_Southbound``, ``OVN_Northbound``...)."""

    @property
    @abstractmethod
    def schema_version(self) -> str:
        """The schema's version (``20.27.0``...)."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The tables this source can give rows of."""

    @abstractmethod
    def rows(self, table: str, columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        """``{uuid: row}`` of *table* (``KeyError`` for a table the database does not have)."""

    def prefetch(self, tables: TableSpec) -> None:  # noqa: B027 - optional
        """A hint: these tables (and columns) will be asked for; fetch them together.

        Tables the database does not have are ignored.  The default does nothing.
        """

    def close(self) -> None:  # noqa: B027 - optional
        """Let go of whatever the source holds (a connection); the default does nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.schema_name} {self.schema_version}>"


class PrefixSource(DatabaseSource):
    """A source that can fetch only the rows whose uuid starts with given prefixes
    (:class:`FileSource`, ``ovnparse.db.live.LiveSource``; see ``ovnparse.db.subset``)."""

    @abstractmethod
    def rows_by_uuid_prefix(self, table: str, prefixes: Iterable[str | int],
                            columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        """``{uuid: row}`` of the rows of *table* whose uuid starts with one of *prefixes*
        (a uuid's start, or an OpenFlow cookie: an ``int`` or ``"0x…"``)."""


class MemorySource(DatabaseSource):
    """Rows already read, as a :class:`~ovnparse.db.ovsdb_file.Database`."""

    def __init__(self, db: Database):
        self.db = db
        self.warnings: list[str] = db.warnings  # (the database's own list)

    @property
    def schema(self) -> Schema:
        return self.db.schema

    @property
    def schema_name(self) -> str:
        return self.db.schema.name

    @property
    def schema_version(self) -> str:
        return self.db.schema.version

    def tables(self) -> list[str]:
        return sorted(self.db.tables)

    def rows(self, table: str, columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        if table not in self.db.tables:
            raise KeyError(f"no table {table!r} in this {self.db.format} source")
        return self.db.tables[table]


class FileSource(PrefixSource):
    """A saved database file (standalone or clustered, compacted or not), read on demand.

    Nothing is read until asked for.  :meth:`prefetch` (or *tables*) reads the
    given tables in one pass over the file; a later :meth:`rows` of a table or
    column not read yet reads the file again for it.  :meth:`rows_by_uuid_prefix`
    decodes only the rows it returns (what a trace names, of a big Southbound);
    the file's bytes are then kept for the next such call until :meth:`close` or
    a whole-table read.  Inside ``with source.hold():`` every read (the schema,
    whole tables, rows by prefix) shares one reading of the file, let go of at the
    end.

    Every read checks the records' lengths and SHA-1s (*verify_checksums*): a
    damaged file raises :class:`~ovnparse.db.errors.DamagedFileError` (at the first
    read, which scans every record) unless *salvage*, which reads what precedes the
    damage and says so in :attr:`warnings`.  A file that ends inside its last
    record is read up to it, with a warning.  A file that can no longer be read
    (removed meanwhile) raises :class:`~ovnparse.db.errors.OvsdbFileError`.  A
    gzip'ed file is uncompressed at each read.
    """

    def __init__(self, path: str | os.PathLike, tables: TableSpec = None, *,
                 verify_checksums: bool = True, salvage: bool = False):
        self.path = os.fspath(path)
        self.verify_checksums = verify_checksums
        self.salvage = salvage
        self._schema: Schema | None = None
        self._format: str | None = None
        self._rows: dict[str, dict[str, dict]] = {}
        self._columns: dict[str, frozenset | None] = {}
        self.warnings: list[str] = []
        self.info: dict = {}
        #: for rows_by_uuid_prefix: (stat key, _Bytes with the records and walks found)
        self._raw: tuple[tuple, _Bytes] | None = None
        self._held = 0
        if tables is not None:
            self.prefetch(tables)

    # -- reading
    def _read(self, spec: dict[str, frozenset | None] | None) -> None:
        """Read the tables (and columns) of *spec* (``None``: every table, whole)."""
        if self._held:
            raw = self._raw_bytes()
            assert raw.data is not None  # (the kept bytes are never let go of; copies are)
            src = _Bytes(raw.data, raw.scanned, raw.walks)
            db = _read(src, spec, self.path, self.verify_checksums, self.salvage)
            raw.scanned = src.scanned
            db.path = self.path
        else:
            self._raw = None  # (whole tables are built without the bytes alongside)
            try:
                db = read_ovsdb_file(self.path, spec, verify_checksums=self.verify_checksums,
                                     salvage=self.salvage)
            except OSError as e:
                raise OvsdbFileError(self.path, f"cannot read: {e.strerror or e}") from None
        self._took(db)
        for t, rows in db.tables.items():
            self._rows[t] = rows
            self._columns[t] = db.columns[t]

    def _took(self, db: Database) -> None:
        self._schema = db.schema
        self._format = db.format
        self.info = db.info
        for w in db.warnings:
            if w not in self.warnings:
                self.warnings.append(w)

    def _missing(self, table: str,
                 columns: frozenset | None) -> frozenset | Literal[False] | None:
        """What to read for *table*: False if loaded enough, else the columns to read."""
        if table not in self._columns:
            return columns
        have = self._columns[table]
        if have is None or (columns is not None and columns <= have):
            return False
        return None if columns is None else columns | have

    def prefetch(self, tables: TableSpec) -> None:
        if tables is None:  # everything
            if self._schema is None or any(self._columns.get(t, False) is not None
                                           for t in self._schema.tables):
                self._read(None)
            return
        todo: dict[str, frozenset | None] = {}
        normalized = _normalize_tables(tables)
        assert normalized is not None  # (tables is not None)
        for t, cols in normalized.items():
            if self._schema is not None and t not in self._schema.tables:
                continue
            need = self._missing(t, cols)
            if need is not False:
                todo[t] = need
        if todo or self._schema is None:
            self._read(todo)

    def _ensure_schema(self) -> Schema:
        if self._schema is None:
            self._read({})  # the schema only: every transaction is skipped
        assert self._schema is not None  # (_read sets it, or raises)
        return self._schema

    # -- interface
    @property
    def schema(self) -> Schema:
        return self._ensure_schema()

    @property
    def format(self) -> str:
        self._ensure_schema()
        assert self._format is not None  # (set with the schema)
        return self._format

    @property
    def schema_name(self) -> str:
        return self._ensure_schema().name

    @property
    def schema_version(self) -> str:
        return self._ensure_schema().version

    def tables(self) -> list[str]:
        return sorted(self._ensure_schema().tables)

    def rows(self, table: str, columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        cols = None if columns is None else frozenset(columns)
        if self._schema is not None and table not in self._schema.tables:
            raise KeyError(f"no table {table!r} in {self.path} ({self._schema.name})")
        need = self._missing(table, cols)
        if need is not False:
            self._read({table: need})
            if table not in self._rows:
                raise KeyError(f"no table {table!r} in {self.path} "
                               f"({self._ensure_schema().name})")  # (read by _read)
        return self._rows[table]

    def rows_by_uuid_prefix(self, table: str, prefixes: Iterable[str | int],
                            columns: Iterable[str] | None = None) -> dict[str, dict]:
        """``{uuid: row}`` of the rows of *table* whose uuid starts with one of *prefixes*.

        The same contract as ``LiveSource.rows_by_uuid_prefix``: a prefix is a uuid's
        start (``"4dfc3efb"``, any length, dashes allowed) or an OpenFlow cookie (an
        ``int`` or ``"0x…"``: its 8 hex digits); every row a prefix matches is
        returned (collisions included), each as :meth:`rows` would give it.  Only
        those rows are decoded: the row keys are found in the file's raw bytes and,
        in a file of several records (uncompacted, clustered), every record's entry
        for a matching row is replayed, in order.  Served from the cache when the
        whole table has been read already.  A new dict (the rows are not cached).
        """
        keys = prefix_keys(prefixes)
        cols = None if columns is None else frozenset(c for c in columns if c != "_uuid")
        if self._schema is not None and table not in self._schema.tables:
            raise KeyError(f"no table {table!r} in {self.path} ({self._schema.name})")
        if not keys:
            return {}
        if table in self._rows and self._missing(table, cols) is False:
            rows = self._rows[table]
            return {u: r for u, r in rows.items() if u.startswith(keys)}
        raw = self._raw_bytes()
        assert raw.data is not None  # (the kept bytes are never let go of; copies are)
        src = _Bytes(raw.data, raw.scanned, raw.walks, {table: keys})
        db = _read(src, {table: cols}, self.path, self.verify_checksums, self.salvage)
        raw.scanned = src.scanned  # (the records, hashed once)
        self._took(db)
        if table not in db.tables:
            raise KeyError(f"no table {table!r} in {self.path} ({db.schema.name})")
        return db.tables[table]

    def _load(self) -> bytes:
        """The file's bytes (uncompressed); an OSError becomes an OvsdbFileError (a read may
        come long after the source was opened)."""
        warnings: list[str] = []
        try:
            data = read_file_bytes(self.path, salvage=self.salvage, warnings=warnings)
        except OSError as e:
            raise OvsdbFileError(self.path, f"cannot read: {e.strerror or e}") from None
        for w in warnings:
            if w not in self.warnings:
                self.warnings.append(w)
        return data

    def _raw_bytes(self) -> _Bytes:
        try:
            st = os.stat(self.path)
        except OSError as e:
            raise OvsdbFileError(self.path, f"cannot read: {e.strerror or e}") from None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._raw is None or self._raw[0] != key:
            self._raw = None
            self._raw = (key, _Bytes(self._load(), walks={}))
        return self._raw[1]

    @contextmanager
    def hold(self):
        """Read the file once for every read inside the ``with`` (then let go of it)."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held:
                self._raw = None

    def close(self) -> None:
        """Let go of the file's bytes kept for :meth:`rows_by_uuid_prefix`."""
        self._raw = None

    def __repr__(self) -> str:
        return f"<FileSource {self.path}>"


def open_source(path: str | os.PathLike, *, table: str | None = None,
                schema: Schema | str | os.PathLike | None = None,
                tables: TableSpec = None, salvage: bool = False) -> DatabaseSource:
    """A source for a saved database: an OVSDB file, or tools' JSON output.

    - an OVSDB database file (standalone or clustered) → :class:`FileSource`;
    - ``ovsdb-client --format=json dump`` output → :class:`MemorySource`;
    - ``ovn-sbctl/ovn-nbctl --format=json list TABLE`` output → :class:`MemorySource`
      with that one table: *table* names it (default: the file name without
      its extension, e.g. ``Logical_Flow.json``).

    *schema* (a :class:`Schema`, a ``.ovsschema`` path or ``OVN_Southbound`` /
    ``OVN_Northbound``) types the JSON outputs' values; *tables* is passed to
    :class:`FileSource` as what to read first, and *salvage* too.
    """
    p = Path(path)
    kind = file_kind(p)
    if kind is not None:
        return FileSource(p, tables, salvage=salvage)
    with open(p, "rb") as f:
        head = f.read(4096).lstrip()
    if head.startswith(b'{"caption"') or b'"caption"' in head[:200]:
        return MemorySource(read_ovsdb_client_dump(p, schema))
    if head.startswith(b"{"):
        tname = table or p.name.split(".")[0]
        rows = read_ctl_list_json(p, tname, schema)
        from .dumps import _resolve_schema, guess_schema  # noqa: PLC0415
        sch = _resolve_schema(schema)
        if sch is None:
            cols = set()
            for r in rows.values():
                cols |= set(r)
            sch = guess_schema({tname: cols})
        return MemorySource(Database(schema=sch or Schema("", "", {}), tables={tname: rows},
                                     columns={tname: None}, format="ctl-list-json",
                                     path=str(p)))
    raise OvsdbFileError(str(p), "neither an OVSDB database file nor ovsdb-client/ovn-*ctl JSON")
