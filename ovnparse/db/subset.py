"""Read from a database only the rows a trace names.

A :class:`~ovnparse.db.DbIndex` reads whole tables: wasteful over the network,
and in memory for a saved file, where the Southbound's Logical_Flow table is
most of a 100k-flow database.  When a source can fetch rows by uuid prefix
(``rows_by_uuid_prefix``, as ``ovnparse.db.live.LiveSource`` and
``ovnparse.db.source.FileSource`` do: a file's rows are found in its raw bytes
and only those are decoded, the file read once for all of them), the
cookies of the trace are collected first and only their rows are fetched, with
the rows those refer to (datapaths, datapath groups, chassis, a multicast
group's ports) and the Northbound rows their stage-hints name.  The index is
then built over these subsets, so the lookups are the same code as for a file.
Small tables (Datapath_Binding, Chassis) are read whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from typing import TypeGuard

from .index import (
    DETRACE_COOKIE_TABLES,
    DETRACE_HINT_TABLES,
    EXTENDED_COOKIE_TABLES,
    SB_COOKIE_TABLES,
)
from .keys import HEX_DASH, cookie_key
from .source import DatabaseSource, PrefixSource

_WHOLE = ("Datapath_Binding", "Chassis")


class SubsetSource(DatabaseSource):
    """Some rows of some tables of another source (what a trace needs)."""

    def __init__(self, parent: DatabaseSource, rows: Mapping[str, Mapping[str, dict]]):
        self._name = parent.schema_name
        self._version = parent.schema_version
        self._rows = dict(rows)

    @property
    def schema_name(self) -> str:
        return self._name

    @property
    def schema_version(self) -> str:
        return self._version

    def tables(self) -> list[str]:
        return sorted(self._rows)

    def rows(self, table: str, columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        return self._rows[table]


def cookie_keys(cookies: Iterable[str | int]) -> list[str]:
    """The 8-hex keys of cookies (hex digits as printed, "0x..." or ints), once
    each; cookies wider than 32 bits (none of OVN's) and bad ones left out."""
    keys: dict[str, None] = {}
    for cookie in cookies:
        try:
            k = cookie_key(cookie if isinstance(cookie, int) or str(cookie).startswith("0x")
                           else "0x" + str(cookie))
        except ValueError:
            continue
        if k is not None:
            keys[k] = None
    return list(keys)


def can_narrow(source: DatabaseSource | None) -> TypeGuard[PrefixSource]:
    return source is not None and callable(getattr(source, "rows_by_uuid_prefix", None))


def narrow(sb: DatabaseSource, nb: DatabaseSource | None, cookies: Iterable[str | int], *,
           extended: bool = False) -> tuple[DatabaseSource, DatabaseSource | None]:
    """(sb, nb) holding only what resolving `cookies` reads (as ovn-detrace
    does), if the sources can fetch by uuid prefix; else the sources themselves."""
    if not can_narrow(sb):
        return sb, nb
    with ExitStack() as stack:
        for src in (sb, nb):
            hold = getattr(src, "hold", None)  # a file: read it once for all of these
            if callable(hold):
                stack.enter_context(hold())
        return _narrow(sb, nb, cookie_keys(cookies), extended)


def _narrow(sb: PrefixSource, nb: DatabaseSource | None, keys: list[str],
            extended: bool) -> tuple[DatabaseSource, DatabaseSource | None]:
    have = set(sb.tables())
    wanted = DETRACE_COOKIE_TABLES + (EXTENDED_COOKIE_TABLES if extended else ())
    rows: dict[str, dict[str, dict]] = {}
    for t in _WHOLE:
        if t in have:
            rows[t] = dict(sb.rows(t))
    for t in SB_COOKIE_TABLES:
        if t in have and t not in rows:
            rows[t] = dict(sb.rows_by_uuid_prefix(t, keys)) if keys and t in wanted else {}
    # what the found rows refer to
    lflows = rows.get("Logical_Flow", {}).values()
    groups = {g for f in lflows for g in _list(f.get("logical_dp_group"))}
    if "Logical_DP_Group" in have:
        rows["Logical_DP_Group"] = dict(sb.rows_by_uuid_prefix("Logical_DP_Group", groups)) \
            if groups else {}
    ports = {p for mc in rows.get("Multicast_Group", {}).values() for p in _list(mc.get("ports"))}
    ports -= set(rows.get("Port_Binding", {}))
    if ports:
        rows["Port_Binding"].update(sb.rows_by_uuid_prefix("Port_Binding", ports))
    if extended and rows.get("FDB") and "Port_Binding" in have:
        rows["Port_Binding"] = dict(sb.rows("Port_Binding"))  # FDB names ports by tunnel key
    sub_sb = SubsetSource(sb, rows)
    if nb is None:
        return sub_sb, None
    hints = {h for h in ((f.get("external_ids") or {}).get("stage-hint") for f in lflows)
             if isinstance(h, str) and h.strip() and set(h.strip().lower()) <= HEX_DASH}
    nb_have = set(nb.tables())
    nb_rows: dict[str, dict[str, dict]] = {}
    for t in DETRACE_HINT_TABLES:
        if t not in nb_have:
            continue
        if not hints:
            nb_rows[t] = {}
        elif can_narrow(nb):
            nb_rows[t] = dict(nb.rows_by_uuid_prefix(t, hints))
        else:
            nb_rows[t] = dict(nb.rows(t))
    return sub_sb, SubsetSource(nb, nb_rows)


def _list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


__all__ = ["narrow", "can_narrow", "cookie_keys", "SubsetSource"]
