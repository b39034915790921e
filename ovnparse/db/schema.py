"""OVSDB schemas, and the decoding of OVSDB JSON values into plain Python values.

A column's value comes out in the shape ``ovs.db.idl`` gives it (RFC 7047 §5.1
types; ``Datum.to_python`` in ``python/ovs/db/data.py``):

- a *scalar* column (exactly one atom, no value type) → the atom itself
  (``str``, ``int``, ``float``, ``bool``; a uuid as its 36-character string);
- a *set* column (``min`` 0 or ``max`` > 1), including an optional scalar
  (``min`` 0, ``max`` 1) → a ``list`` of atoms, in OVSDB's order (sorted);
- a *map* column → a ``dict``.

An empty set or map is the shared, read-only :data:`EMPTY_SET` / :data:`EMPTY_MAP`
(equal to ``[]`` / ``{}``; rows are not to be changed in place anyway).

On the wire and on disk a one-element set is written as the bare atom, a set as
``["set", [...]]``, a map as ``["map", [[k, v], ...]]`` and a uuid as
``["uuid", "…"]`` (``ovsdb_datum_to_json`` in ``lib/ovsdb-data.c``); only the
schema tells a one-element set from a scalar, which is why decoding goes
through a column's type.  Without a schema :func:`decode_generic` does what it
can (a one-element set stays a bare atom).
"""

from __future__ import annotations

import json
import os
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ColumnType", "TableSchema", "Schema", "SchemaError", "missing_from",
    "decode_generic", "INSTALLED_SCHEMAS", "load_schema", "installed_schema",
    "EMPTY_SET", "EMPTY_MAP",
]

#: where Debian's packages put the schemas (``ovn-common``, ``openvswitch-common``)
INSTALLED_SCHEMAS = {
    "OVN_Northbound": "/usr/share/ovn/ovn-nb.ovsschema",
    "OVN_Southbound": "/usr/share/ovn/ovn-sb.ovsschema",
    "Open_vSwitch": "/usr/share/openvswitch/vswitch.ovsschema",
}

ZERO_UUID = "00000000-0000-0000-0000-000000000000"

#: default atom of each atomic type (``ovsdb_atom_init_default``)
_ATOM_DEFAULTS = {"integer": 0, "real": 0.0, "boolean": False, "string": "", "uuid": ZERO_UUID}


def _read_only(self, *args, **kwargs):
    raise TypeError("a database row's empty value is shared by every row: "
                    "copy it (list(v), dict(v)) to change it")


class _EmptySet(list):
    """The one empty set value of every row: a ``list`` equal to ``[]`` that cannot change.

    Half the set and map columns of a Southbound are empty (300,000 of 500,000 in
    Logical_Flow at 100k flows): one shared value instead of a list each saves
    their memory, their creation and the garbage collector's walks over them.
    A copy (``copy``, ``list(v)``, pickling) is an ordinary list.
    """

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _read_only
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only

    def __repr__(self) -> str:
        return "[]"

    def __reduce__(self):
        return (list, ())

    def __copy__(self):
        return []

    def __deepcopy__(self, memo):
        return []


class _EmptyMap(dict):
    """The one empty map value of every row: a ``dict`` equal to ``{}`` that cannot change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self):
        return (dict, ())

    def __copy__(self):
        return {}

    def __deepcopy__(self, memo):
        return {}


#: the decoded value of every empty set column / map column (shared, read-only)
EMPTY_SET: list = _EmptySet()
EMPTY_MAP: dict = _EmptyMap()


class SchemaError(ValueError):
    """A schema (or a value against it) is not what OVSDB allows."""


def _uuid_atom(v):
    # ["uuid", "…"] → "…"; ["named-uuid", …] never reaches a file or a dump
    return v[1]


def _real_atom(v):
    return float(v)


_ATOM_DECODERS: dict[str, Callable | None] = {
    "uuid": _uuid_atom, "real": _real_atom,
    "integer": None, "boolean": None, "string": None,
}


def decode_generic(v: Any) -> Any:
    """Decode an OVSDB JSON value without knowing its type.

    ``["uuid", u]`` → ``u``; ``["set", [...]]`` → list; ``["map", [[k, v]...]]``
    → dict; an atom as it is.  A one-element set written as a bare atom stays
    an atom: use a schema (:meth:`ColumnType.decode`) to get a list.
    """
    if type(v) is list and len(v) == 2:
        tag = v[0]
        if tag == "uuid" or tag == "named-uuid":
            return v[1]
        if tag == "set":
            return [decode_generic(a) for a in v[1]]
        if tag == "map":
            return {decode_generic(k): decode_generic(x) for k, x in v[1]}
    return v


@dataclass(frozen=True)
class ColumnType:
    """An OVSDB column type: key (and value) atomic types, ``min``, ``max``."""

    key: str
    value: str | None = None
    min: int = 1
    max: float = 1  # math.inf for "unlimited"
    key_ref_table: str | None = None
    value_ref_table: str | None = None

    @classmethod
    def from_json(cls, j: Any) -> ColumnType:
        if isinstance(j, str):
            return cls(key=_base_type(j)[0])
        if not isinstance(j, dict) or "key" not in j:
            raise SchemaError(f"bad column type {reprlib.repr(j)}")
        key, kref = _base_type(j["key"])
        value = vref = None
        if "value" in j:
            value, vref = _base_type(j["value"])
        mn = j.get("min", 1)
        mx = j.get("max", 1)
        mx = float("inf") if mx == "unlimited" else mx
        if mn not in (0, 1) or not (mx >= 1) or mx < mn:
            raise SchemaError(f"bad min/max in column type {reprlib.repr(j)}")
        return cls(key, value, mn, mx, kref, vref)

    # -- shapes (lib/ovsdb-types.h)
    @property
    def is_map(self) -> bool:
        return self.value is not None

    @property
    def is_scalar(self) -> bool:
        return self.value is None and self.min == 1 and self.max == 1

    @property
    def is_set(self) -> bool:
        return self.value is None and not (self.min == 1 and self.max == 1)

    @property
    def is_composite(self) -> bool:
        """More than one atom possible: file records hold a *diff* of it (``_is_diff``)."""
        return self.max > 1

    def default(self) -> Any:
        """The decoded default value (``ovsdb_datum_init_default``): empty, or the default atom.

        Empty sets and maps are the shared, read-only :data:`EMPTY_SET` / :data:`EMPTY_MAP`.
        """
        if self.is_map:
            return EMPTY_MAP
        if self.min == 0:
            return EMPTY_SET
        return _ATOM_DEFAULTS[self.key]

    def decoder(self) -> Callable[[Any], Any] | None:
        """A function from the JSON value to the Python value (``None``: as it is)."""
        kdec = _ATOM_DECODERS[self.key]
        if self.value is not None:  # a map
            vdec = _ATOM_DECODERS[self.value]
            if kdec is None and vdec is None:
                def dec_map(v):
                    return dict(v[1]) if v[1] else EMPTY_MAP
            elif kdec is None:
                def dec_map(v):
                    return {k: vdec(x) for k, x in v[1]} if v[1] else EMPTY_MAP
            elif vdec is None:
                def dec_map(v):
                    return {kdec(k): x for k, x in v[1]} if v[1] else EMPTY_MAP
            else:
                def dec_map(v):
                    return {kdec(k): vdec(x) for k, x in v[1]} if v[1] else EMPTY_MAP
            return dec_map
        if self.is_scalar:
            return kdec
        # a set: ["set", [...]] or one bare atom
        if kdec is None:
            def dec_set(v):
                if type(v) is list:  # atoms of this type are never lists
                    return v[1] or EMPTY_SET
                return [v]
        elif kdec is _uuid_atom:
            def dec_set(v):
                if v[0] == "set":
                    return [a[1] for a in v[1]] if v[1] else EMPTY_SET
                return [v[1]]
        else:
            def dec_set(v):
                if type(v) is list:
                    return [kdec(a) for a in v[1]] if v[1] else EMPTY_SET
                return [kdec(v)]
        return dec_set

    def decode(self, v: Any) -> Any:
        dec = self.decoder()
        return v if dec is None else dec(v)


def _base_type(j: Any) -> tuple[str, str | None]:
    if isinstance(j, str):
        t, ref = j, None
    elif isinstance(j, dict) and isinstance(j.get("type"), str):
        t, ref = j["type"], j.get("refTable")
    else:
        raise SchemaError(f"bad base type {reprlib.repr(j)}")
    if t not in _ATOM_DEFAULTS:
        raise SchemaError(f"unknown atomic type {reprlib.repr(t)}")
    return t, ref


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: Mapping[str, ColumnType]
    is_root: bool = False
    indexes: tuple = ()
    ephemeral: frozenset = frozenset()


@dataclass(frozen=True)
class Schema:
    """An OVSDB database schema (RFC 7047 §3.2), as much of it as reading needs."""

    name: str
    version: str
    tables: Mapping[str, TableSchema] = field(repr=False)
    cksum: str | None = None
    raw: Mapping = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, j: Any) -> Schema:
        """The schema of a ``.ovsschema``'s JSON; :class:`SchemaError` for anything else."""
        if not isinstance(j, dict) or not isinstance(j.get("name"), str) \
                or not isinstance(j.get("tables"), dict):
            raise SchemaError("not an OVSDB schema (no name or tables)")
        if not isinstance(j.get("version", ""), str):
            raise SchemaError(f"schema {j['name']}: the version is not a string")
        try:
            return cls._from_json(j)
        except SchemaError:
            raise
        except (TypeError, AttributeError, KeyError, ValueError, IndexError) as e:
            # (a damaged record or a hostile server: a table or column that is not an object)
            raise SchemaError(f"schema {j['name']}: malformed table or column "
                              f"({type(e).__name__}: {e})") from None

    @classmethod
    def _from_json(cls, j: dict) -> Schema:
        tables = {}
        for tname, tj in j["tables"].items():
            cols = {}
            eph = set()
            for cname, cj in tj.get("columns", {}).items():
                cols[cname] = ColumnType.from_json(cj["type"])
                if cj.get("ephemeral"):
                    eph.add(cname)
            tables[tname] = TableSchema(tname, cols, bool(tj.get("isRoot", False)),
                                        tuple(tuple(i) for i in tj.get("indexes", ())),
                                        frozenset(eph))
        return cls(j["name"], j.get("version", ""), tables, j.get("cksum"), j)


def missing_from(schema: Schema, required) -> list[str]:
    """What of *required* (table names, or ``{table: columns or None}``) *schema* lacks:
    ``["table X", "column T.c", ...]`` (empty: nothing)."""
    if required is None:
        return []
    if isinstance(required, str):
        required = [required]
    spec = required if isinstance(required, Mapping) else {t: None for t in required}
    out = []
    for t, cols in spec.items():
        ts = schema.tables.get(t)
        if ts is None:
            out.append(f"table {t}")
            continue
        out += [f"column {t}.{c}" for c in (cols or ()) if c != "_uuid" and c not in ts.columns]
    return out


def load_schema(path: str | os.PathLike) -> Schema:
    """Read a ``.ovsschema`` file."""
    return Schema.from_json(json.loads(Path(path).read_text()))


def installed_schema(name: str) -> Schema | None:
    """The schema the local OVN/OVS packages install for database *name*, if any."""
    path = INSTALLED_SCHEMAS.get(name)
    if path and os.path.exists(path):
        return load_schema(path)
    return None
