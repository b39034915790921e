"""OVN databases without a server: saved files, tools' JSON, and an index of their rows.

- :func:`read_ovsdb_file` reads a standalone or clustered OVSDB file (compacted
  or not) as ``ovsdb-server`` would, into ``{table: {uuid: row}}``;
- :func:`read_ovsdb_client_dump` / :func:`read_ctl_list_json` read the JSON that
  ``ovsdb-client dump`` and ``ovn-sbctl/ovn-nbctl list`` print;
- :class:`DatabaseSource` is the small read-only interface the rest of ovnparse
  reads databases through (:class:`FileSource`, :class:`MemorySource`,
  :func:`open_source`);
- :class:`DbIndex` resolves OpenFlow cookies and ovn-trace uuid prefixes to rows,
  logical flows to their datapaths and Northbound objects;
- :class:`LiveSource` reads a live ``ovsdb-server`` (``unix:``, ``tcp:``, ``ssl:``
  remotes, leader-only by default) with select-only JSON-RPC, and
  :func:`open_database` opens a file path or a remote alike;
- :func:`open_database_for` (``.open``) opens any of these for a role (the
  Southbound, the Northbound, ``Open_vSwitch``) and refuses another database.

Every error raised on purpose is a :class:`DatabaseError` (``.errors`` lists them).
"""

from .dumps import DumpError, read_ctl_list_json, read_ovsdb_client_dump
from .errors import (
    DamagedFileError,
    DatabaseError,
    LiveDisconnected,
    LiveProtocolError,
    LiveSourceError,
    LiveTimeoutError,
    LiveWrongSchema,
    OvsdbFileError,
    SavedOutputError,
    WrongSchemaError,
)
from .index import (
    DETRACE_COOKIE_TABLES,
    DETRACE_HINT_TABLES,
    EXTENDED_COOKIE_TABLES,
    NB_HINT_TABLES,
    SB_COOKIE_TABLES,
    DatapathRef,
    DbIndex,
    Matches,
    RowRef,
)
from .keys import cookie_key
from .ovsdb_file import Database, file_kind, read_file_bytes, read_ovsdb_bytes, read_ovsdb_file
from .schema import ColumnType, Schema, TableSchema, decode_generic, load_schema
from .source import DatabaseSource, FileSource, MemorySource, open_source

__all__ = [
    "DatabaseError", "OvsdbFileError", "DamagedFileError", "WrongSchemaError", "SavedOutputError",
    "LiveSourceError", "LiveTimeoutError", "LiveDisconnected", "LiveProtocolError",
    "LiveWrongSchema",
    "Database", "read_ovsdb_file", "read_ovsdb_bytes", "read_file_bytes", "file_kind",
    "read_ovsdb_client_dump", "read_ctl_list_json", "DumpError",
    "Schema", "TableSchema", "ColumnType", "decode_generic", "load_schema",
    "DatabaseSource", "FileSource", "MemorySource", "open_source",
    "DbIndex", "RowRef", "Matches", "DatapathRef", "cookie_key",
    "SB_COOKIE_TABLES", "NB_HINT_TABLES", "DETRACE_HINT_TABLES", "DETRACE_COOKIE_TABLES",
    "EXTENDED_COOKIE_TABLES",
    "LiveSource", "ReadOnlyViolation", "is_remote", "open_database", "open_database_for",
]

#: names of .live, imported on first use (a file-only run never pays for sockets)
_LIVE = frozenset({"LiveSource", "ReadOnlyViolation", "is_remote", "open_database"})


def __getattr__(name: str):
    if name in _LIVE:
        from . import live  # noqa: PLC0415
        return getattr(live, name)
    if name == "open_database_for":
        from .open import open_database_for  # noqa: PLC0415
        return open_database_for
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
