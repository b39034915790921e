"""Write a standalone OVSDB database file: ovnparse's own private copies, never a user's file.

The format is the one :mod:`ovnparse.db.ovsdb_file` reads (``log.c`` and
``file.c`` of OVS's ``ovsdb/``): records ``OVSDB JSON <length> <sha1>\\n``
followed by ``<length>`` bytes, a compact JSON object and a newline, whose SHA-1
is ``<sha1>``; the first record is the schema, the second one transaction that
inserts every row, ``{"<table>": {"<uuid>": <row>, ...}, ..., "_date": <ms>}``.
A row holds its columns as OVSDB JSON (RFC 7047 §5.1): ``["uuid", u]``,
``["set", [...]]``, ``["map", [[k, v], ...]]``; a column left out holds its
type's default, so empty sets and maps are left out.

Rows keep their uuids, and tables and rows are written in the order given:
``ovsdb-server`` then builds its tables as it would from a compacted file with
the same rows in the same order.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from typing import Any

from . import _json
from .schema import ColumnType, Schema, TableSchema

__all__ = ["encode_row", "write_standalone", "record", "RowEncoder"]


def record(obj: Any) -> bytes:
    """One standalone-file record: header line, compact JSON, newline (hashed with it)."""
    body = _json.dumps(obj) + b"\n"
    return b"OVSDB JSON %d %s\n" % (len(body), hashlib.sha1(body).hexdigest().encode()) + body


def _atom_encoder(kind: str):
    if kind == "uuid":
        return lambda a: ["uuid", a]
    if kind == "real":
        return float
    return None


def _column_encoder(t: ColumnType):
    """Decoded value (as :meth:`ColumnType.decode` gives it) → OVSDB JSON, or ``None``
    for a value the file can leave out (an empty set or map)."""
    kenc = _atom_encoder(t.key)
    if t.is_map:
        venc = _atom_encoder(t.value)  # type: ignore[arg-type]
        k = kenc or (lambda a: a)
        v = venc or (lambda a: a)
        return lambda m: ["map", [[k(a), v(b)] for a, b in m.items()]] if m else None
    if t.is_scalar:
        return kenc or (lambda a: a)
    k = kenc or (lambda a: a)
    return lambda s: ["set", [k(a) for a in s]] if s else None


class _TableEncoder:
    __slots__ = ("encoders",)

    def __init__(self, ts: TableSchema):
        self.encoders = {c: _column_encoder(t) for c, t in ts.columns.items()}

    def encode(self, row: Mapping[str, Any]) -> dict:
        out = {}
        encoders = self.encoders
        for c, v in row.items():
            enc = encoders.get(c)
            if enc is None:  # "_uuid", or a column the schema does not have
                continue
            j = enc(v)
            if j is not None:
                out[c] = j
        return out


def encode_row(row: Mapping[str, Any], ts: TableSchema) -> dict:
    """A decoded row → the OVSDB JSON object a file's insert holds (defaults left out)."""
    return _TableEncoder(ts).encode(row)


class RowEncoder:
    """Rows of one schema → their OVSDB JSON (bytes), each row encoded once.

    For writing several files that share most rows (``ovnparse trace`` writes a
    larger copy each time the trace needs another datapath): a row's bytes are kept
    by (table, uuid) until :meth:`forget`, except in the *volatile* tables (whose
    rows the caller changes between files).
    """

    def __init__(self, schema: Schema, volatile: frozenset = frozenset()):
        self.schema = schema
        self.volatile = volatile
        self._tables: dict[str, _TableEncoder] = {}
        self._done: dict[tuple[str, str], bytes] = {}

    def encode(self, table: str, uuid: str, row: Mapping | None) -> bytes:
        if not row:
            return b"{}"
        key = (table, uuid)
        data = self._done.get(key)
        if data is None:
            enc = self._tables.get(table)
            if enc is None:
                enc = self._tables[table] = _TableEncoder(self.schema.tables[table])
            data = _json.dumps(enc.encode(row))
            if table not in self.volatile:
                self._done[key] = data
        return data

    def forget(self) -> None:
        self._done.clear()


def write_standalone(path: str | os.PathLike, schema: Schema,
                     tables: Mapping[str, Mapping[str, Mapping | None]],
                     *, comment: str | None = None,
                     encoder: RowEncoder | None = None) -> int:
    """Write a new standalone database file at *path* (created; an existing file is an error).

    *tables*: ``{table: {uuid: row}}``, rows decoded as the reader gives them
    (columns missing from a row are left to their defaults); a row that is
    ``None`` or ``{}`` is written with every column at its default.  The schema
    record is *schema*'s own JSON.  *encoder* keeps rows encoded for the next
    call.  Returns the number of bytes written.
    """
    if not schema.raw:
        raise ValueError("the schema has no JSON to write (Schema.from_json keeps it)")
    encoder = encoder or RowEncoder(schema)
    parts = [b"{"]
    # (the collector would walk every row of a big database held alongside, often)
    with _json.gc_paused():
        for table, rows in tables.items():
            if table not in schema.tables:
                raise ValueError(f"no table {table!r} in the {schema.name} schema")
            parts.append(_json.dumps(table) + b":{")
            enc = encoder.encode
            parts.append(b",".join(b'"%s":%s' % (u.encode(), enc(table, u, r))
                                   for u, r in rows.items()))
            parts.append(b"},")
        meta: dict[str, Any] = {"_date": int(time.time() * 1000)}
        if comment:
            meta["_comment"] = comment
        parts.append(_json.dumps(meta)[1:])  # the object's members and its closing brace
        body = b"".join(parts) + b"\n"
    data = record(dict(schema.raw)) + b"OVSDB JSON %d %s\n" % (
        len(body), hashlib.sha1(body).hexdigest().encode()) + body
    # "x": never replace a file (ovnparse only writes files of its own)
    with open(path, "xb") as f:
        f.write(data)
    return len(data)
