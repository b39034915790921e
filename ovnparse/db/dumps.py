"""Read the JSON that OVSDB's command-line tools print.

- ``ovn-sbctl --format=json list TABLE`` / ``ovn-nbctl --format=json list TABLE``
  (and ``find``): one object ``{"data": [[cell, ...], ...], "headings": [column,
  ...]}`` per command; the table's name is not in it.
- ``ovsdb-client --format=json dump [SERVER] [DATABASE] [TABLE...]``: one object
  per table, one a line, ``{"caption": "<table> table", "data": [...], "headings":
  ["_uuid", "_version", ...]}``; the database's name is not in it.

Cells are OVSDB JSON values (RFC 7047 §5.1), as in database files.  Decoding a
cell into its Python shape needs the column's type (a one-element set is
printed as a bare atom), so these readers take a schema; without one they use
the schema installed by the local OVN/OVS packages whose tables and columns fit
the headings (one only), and failing that decode without types
(:func:`~ovnparse.db.schema.decode_generic`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .ovsdb_file import Database
from .schema import INSTALLED_SCHEMAS, Schema, decode_generic, installed_schema, load_schema

__all__ = ["read_ovsdb_client_dump", "read_ctl_list_json", "guess_schema", "misfit",
           "iter_json_objects", "DumpError"]


class DumpError(ValueError):
    """The text is not the JSON output of ovsdb-client / ovn-*ctl."""


def iter_json_objects(text: str) -> Iterable[Any]:
    """The JSON values written one after another in *text* (whitespace between them)."""
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return
        try:
            obj, i = dec.raw_decode(text, i)
        except ValueError as e:
            raise DumpError(f"not JSON at character {i}: {e}") from None
        except RecursionError:
            raise DumpError(f"not JSON at character {i}: nested too deeply") from None
        yield obj


def _text(src: str | bytes | os.PathLike) -> tuple[str, str]:
    """(text, name) from text, bytes or a path."""
    if isinstance(src, bytes):
        return src.decode("utf-8"), "<bytes>"
    if isinstance(src, str) and (src.lstrip().startswith(("{", "[")) or "\n" in src):
        return src, "<text>"
    p = Path(src)
    return p.read_text(encoding="utf-8"), str(p)


def _resolve_schema(schema: Schema | str | os.PathLike | None) -> Schema | None:
    if schema is None or isinstance(schema, Schema):
        return schema
    if isinstance(schema, str) and schema in INSTALLED_SCHEMAS:
        return installed_schema(schema)
    return load_schema(schema)


def misfit(schema: Schema, headings: Mapping[str, Iterable[str]]) -> list[str]:
    """Why tables with these columns (*headings*: {table: columns}) are not *schema*'s:
    its tables must all be there and most of the columns (4 in 5) known; ``[]`` if they fit.
    """
    out = [f"no table {t}" for t in headings if t not in schema.tables]
    if out:
        return out
    total = known = 0
    for t, cols in headings.items():
        for c in cols:
            if c in ("_uuid", "_version"):
                continue
            total += 1
            known += c in schema.tables[t].columns
    if known * 5 < total * 4:
        out.append(f"only {known} of the {total} columns are {schema.name}'s")
    return out


def guess_schema(headings: Mapping[str, Iterable[str]]) -> Schema | None:
    """The installed schema that best fits *headings* ({table: columns}), if one does.

    It must have every table and most of the columns (``ovn-sbctl list
    Logical_Flow`` of OVN 23.03 prints a ``hash`` column its schema does not have);
    a tie gives ``None``.
    """
    scored = []
    for name in INSTALLED_SCHEMAS:
        s = installed_schema(name)
        if s is None or misfit(s, headings):
            continue
        total = known = 0
        for t, cols in headings.items():
            for c in cols:
                if c in ("_uuid", "_version"):
                    continue
                total += 1
                known += c in s.tables[t].columns
        scored.append((known - total, s))
    scored.sort(key=lambda x: -x[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _decode_table(table: str, headings: list[str], data: list, schema: Schema | None,
                  name: str) -> dict[str, dict]:
    if "_uuid" not in headings:
        raise DumpError(f"{name}: table {table} has no _uuid column (list it with its _uuid)")
    ts = schema.tables.get(table) if schema else None
    decoders: list[Callable[[Any], Any] | None] = []  # (None: the value as it is)
    for h in headings:
        if h in ("_uuid", "_version"):
            decoders.append(lambda v: v[1] if type(v) is list else v)
        elif ts is not None and h in ts.columns:
            decoders.append(ts.columns[h].decoder())
        else:
            decoders.append(decode_generic)
    rows: dict[str, dict] = {}
    for cells in data:
        if type(cells) is not list or len(cells) != len(headings):
            raise DumpError(f"{name}: table {table}: a row of {len(cells)} cells for "
                            f"{len(headings)} headings")
        row = {h: (v if d is None else d(v))
               for h, d, v in zip(headings, decoders, cells, strict=False)}
        rows[row["_uuid"]] = row
    return rows


def read_ovsdb_client_dump(src: str | bytes | os.PathLike,
                           schema: Schema | str | os.PathLike | None = None) -> Database:
    """Read ``ovsdb-client --format=json dump`` output (a path, or the text itself).

    Rows carry ``_uuid`` and, as the server printed it, ``_version``.
    """
    text, name = _text(src)
    tables: dict[str, tuple[list[str], list]] = {}
    for obj in iter_json_objects(text):
        if not isinstance(obj, dict) or not isinstance(obj.get("caption"), str) \
                or not obj["caption"].endswith(" table") or "headings" not in obj:
            raise DumpError(f"{name}: not ovsdb-client --format=json dump output "
                            f"(expected objects with caption, data and headings)")
        tables[obj["caption"][:-len(" table")]] = (obj["headings"], obj.get("data", []))
    if not tables:
        raise DumpError(f"{name}: no tables")
    sch = _resolve_schema(schema) or guess_schema({t: h for t, (h, _) in tables.items()})
    decoded = {t: _decode_table(t, h, d, sch, name) for t, (h, d) in tables.items()}
    columns: dict[str, frozenset | None] = {t: frozenset(h) - {"_uuid", "_version"}
                                            for t, (h, _) in tables.items()}
    warnings = [] if sch else [f"{name}: no schema fits these tables: values decoded without "
                               f"types (a one-element set is a bare value)"]
    return Database(schema=sch or Schema("", "", {}), tables=decoded, columns=columns,
                    format="ovsdb-client-dump", path=name if name[0] != "<" else None,
                    warnings=warnings, info={"tables": len(decoded)})


def read_ctl_list_json(src: str | bytes | os.PathLike, table: str,
                       schema: Schema | str | os.PathLike | None = None) -> dict[str, dict]:
    """Read ``ovn-sbctl/ovn-nbctl --format=json list TABLE`` output: ``{uuid: row}``.

    *table* names the table listed (the output does not).  When the text holds
    several objects (``list A -- list B`` prints one per command), their rows are
    merged: pass each table's output separately instead.
    """
    text, name = _text(src)
    objs = list(iter_json_objects(text))
    if not objs:
        raise DumpError(f"{name}: empty")
    sch = _resolve_schema(schema)
    rows: dict[str, dict] = {}
    for obj in objs:
        if not isinstance(obj, dict) or "headings" not in obj or "data" not in obj:
            raise DumpError(f"{name}: not --format=json list output "
                            f"(expected an object with data and headings)")
        s = sch or guess_schema({table: obj["headings"]})
        rows.update(_decode_table(table, obj["headings"], obj["data"], s, name))
    return rows
