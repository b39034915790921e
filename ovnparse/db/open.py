"""Open a database for a role (the Southbound, the Northbound, Open_vSwitch), refusing another.

:func:`open_database_for` is what a command calls for ``--sb``, ``--nb``,
``--ovsdb``: it takes any of the forms a database comes in, checks that it holds
the schema asked for, and raises a :class:`~ovnparse.errors.DatabaseError` (one
line: the file or remote, and what was wrong) for everything else — a missing or
unreadable file, damage, another database, an unreachable or misbehaving server.

The forms:

- a saved OVSDB file, standalone or clustered, possibly gzip'ed
  (:class:`~ovnparse.db.source.FileSource`; its records' lengths and SHA-1s are
  checked as it is opened, see :mod:`ovnparse.db.ovsdb_file` for damage and
  *salvage*);
- ``ovsdb-client --format=json dump`` output, and ``ovn-sbctl``/``ovn-nbctl``
  ``--format=json list TABLE`` output named after its table (``ACL.json``);
  neither names its database, so the tables and columns must be the role's
  (most columns of each table: a newer OVN may print a column more);
- ``ovn-sbctl [--uuid] lflow-list`` text (the Southbound only; partial rows);
- a live remote: ``unix:``, ``tcp:``, ``ssl:`` or a comma list of them
  (:class:`~ovnparse.db.live.LiveSource`; *timeout* bounds the whole opening
  read, *tables* included).

What the readers stepped over (a torn last record, what *salvage* skipped) is in
the returned source's ``warnings``, for the caller to print.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DatabaseError, OvsdbFileError, SavedOutputError, WrongSchemaError
from .ovsdb_file import Database, TableSpec, file_kind, read_file_bytes
from .schema import Schema, installed_schema, missing_from
from .source import DatabaseSource, FileSource, MemorySource

__all__ = ["open_database_for", "ROLE_SCHEMAS", "REQUIRED_TABLES"]

#: the schema names of the roles
ROLE_SCHEMAS = ("OVN_Southbound", "OVN_Northbound", "Open_vSwitch")
#: tables a role's database has in every version ovnparse reads (checked at opening
#: unless *require* says otherwise): a database without them is not the role's
REQUIRED_TABLES = {
    "OVN_Southbound": ("Logical_Flow", "Datapath_Binding", "Port_Binding"),
    "OVN_Northbound": ("Logical_Switch", "Logical_Router", "ACL"),
    "Open_vSwitch": ("Open_vSwitch", "Bridge", "Port", "Interface"),
}
_LFLOW_LIST_HEAD = b"Datapath: "


def open_database_for(spec: str | os.PathLike, expected_schema: str, *,
                      timeout: float = 10.0, max_reply: int | None = None,
                      salvage: bool = False, leader_only: bool = True,
                      private_key: str | os.PathLike | None = None,
                      certificate: str | os.PathLike | None = None,
                      ca_cert: str | os.PathLike | None = None,
                      tables: TableSpec = None, require: TableSpec | None = None
                      ) -> DatabaseSource:
    """The database *spec* names, if it holds *expected_schema*; DatabaseError otherwise.

    *spec*: a saved file's path or a remote (see the module's documentation).
    *expected_schema*: ``OVN_Southbound``, ``OVN_Northbound``, ``Open_vSwitch`` (or
    any other schema name).  *tables*: read at once (what the caller will need; for
    a file, damage in them is then found now rather than at a later read).
    *require*: tables (``{table: columns}``) the database must have; by default
    :data:`REQUIRED_TABLES` of the role.  *salvage*: read a damaged file up to its
    damage (see :mod:`ovnparse.db.ovsdb_file`).  *timeout* (seconds: the whole
    opening read of a remote), *max_reply* (bytes), *leader_only* and the TLS files
    are a remote's (see :class:`~ovnparse.db.live.LiveSource`).

    ``ValueError`` only for a bad *timeout* or *max_reply* (the caller's options).
    """
    if not isinstance(expected_schema, str) or not expected_schema:
        raise ValueError("expected_schema: a schema name (OVN_Southbound, OVN_Northbound...)")
    if timeout is None or not timeout > 0:
        raise ValueError("timeout must be a positive number of seconds")
    if max_reply is not None and (not isinstance(max_reply, int) or max_reply <= 0):
        raise ValueError("max_reply must be a positive number of bytes")
    if require is None:
        require = REQUIRED_TABLES.get(expected_schema, ())
    text = os.fspath(spec)
    if not isinstance(text, str):
        text = os.fsdecode(text)
    from .live import _PASSIVE_RE, is_remote  # noqa: PLC0415 (sockets only when needed)
    if not os.path.exists(text):
        if _PASSIVE_RE.match(text):
            raise DatabaseError(text, "a passive remote; ovnparse connects to a server "
                                "(use unix:, tcp: or ssl:)")
        if is_remote(text):
            return _open_live(text, expected_schema, timeout=timeout, max_reply=max_reply,
                              leader_only=leader_only, private_key=private_key,
                              certificate=certificate, ca_cert=ca_cert, tables=tables,
                              require=require)
    return _open_saved(text, expected_schema, salvage=salvage, tables=tables,
                       require=require)


def _open_live(remote: str, expected: str, *, timeout, max_reply, leader_only, private_key,
               certificate, ca_cert, tables, require) -> DatabaseSource:
    from .live import DEFAULT_MAX_REPLY, LiveSource  # noqa: PLC0415
    try:
        return LiveSource(remote, leader_only=leader_only, timeout=timeout,
                          private_key=private_key, certificate=certificate, ca_cert=ca_cert,
                          database=expected, max_reply=max_reply or DEFAULT_MAX_REPLY,
                          tables=tables, require=require)
    except ValueError as e:  # a remote that cannot be: unix: with nothing, tcp:host:port0x
        if isinstance(e, DatabaseError):
            raise
        raise DatabaseError(remote, str(e).removeprefix(f"{remote}: ")) from None


def _open_saved(path: str, expected: str, *, salvage: bool, tables: TableSpec,
                require) -> DatabaseSource:
    try:
        kind = file_kind(path)
        if kind is None:
            head = _head(path)
    except IsADirectoryError:
        raise DatabaseError(path, "a directory, not a database file") from None
    except FileNotFoundError:
        raise DatabaseError(path, "no such file (nor a remote: unix:PATH, tcp:HOST:PORT, "
                            "ssl:HOST:PORT)") from None
    except OSError as e:
        raise DatabaseError(path, f"cannot read: {e.strerror or e}") from None
    if kind is not None:
        src: FileSource | MemorySource = FileSource(path, salvage=salvage)
        if tables is not None:
            src.prefetch(tables)  # (reads the schema too)
        schema = src.schema
    elif not head.strip():
        raise OvsdbFileError(path, "empty file, not a database")
    elif head.startswith(_LFLOW_LIST_HEAD):
        src = _lflow_list(path, expected, salvage)
        schema = src.schema
    elif head.lstrip().startswith(b"{"):
        src = _tools_json(path, expected, salvage, head)
        schema = src.schema
    else:
        raise OvsdbFileError(path, "neither an OVSDB database file (standalone or clustered), "
                             "ovsdb-client or ovn-*ctl JSON output, nor ovn-sbctl lflow-list "
                             "text")
    _check(path, schema, expected, require)
    if tables is not None and kind is None:
        src.prefetch(tables)
    return src


def _check(where: str, schema: Schema, expected: str, require) -> None:
    if schema.name != expected:
        raise WrongSchemaError(where, f"holds {schema.name or 'an unnamed database'}, "
                               f"not {expected}", found=schema.name, expected=expected)
    lacks = missing_from(schema, require)
    if lacks:
        raise WrongSchemaError(where, f"its {schema.name} schema {schema.version} has no "
                               f"{', '.join(lacks)}", found=schema.name, expected=expected)


def _head(path: str) -> bytes:
    """The first few kB of the file (uncompressed: a gzip'ed file that is not an OVSDB
    file is uncompressed whole, which says what is wrong with it if anything is)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"\x1f\x8b"):
        head = read_file_bytes(path, salvage=True)[:4096]
    return head


def _text(path: str, salvage: bool, warnings: list[str]) -> str:
    try:
        data = read_file_bytes(path, salvage=salvage, warnings=warnings)
    except OSError as e:
        raise DatabaseError(path, f"cannot read: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SavedOutputError(path, f"not UTF-8 text (byte {e.start})") from None


def _lflow_list(path: str, expected: str, salvage: bool) -> MemorySource:
    from .lflow_list import LflowListError, read_lflow_list  # noqa: PLC0415
    if expected != "OVN_Southbound":
        raise WrongSchemaError(path, f"ovn-sbctl lflow-list text: OVN_Southbound logical "
                               f"flows, not {expected}", found="OVN_Southbound",
                               expected=expected)
    warnings: list[str] = []
    text = _text(path, salvage, warnings)
    try:
        db = read_lflow_list(text if "\n" in text else text + "\n")
    except LflowListError as e:
        raise SavedOutputError(path, str(e).removeprefix("<text>")
                               .removeprefix(":").removeprefix(" ")) from None
    db.path = path
    db.warnings[:0] = warnings
    return MemorySource(db)


def _tools_json(path: str, expected: str, salvage: bool, head: bytes) -> MemorySource:
    """``ovsdb-client dump`` or ``ovn-*ctl list`` JSON: its tables and columns must be
    *expected*'s (neither output names its database)."""
    from .dumps import (  # noqa: PLC0415
        DumpError,
        guess_schema,
        iter_json_objects,
        misfit,
        read_ctl_list_json,
        read_ovsdb_client_dump,
    )
    warnings: list[str] = []
    text = _text(path, salvage, warnings)
    is_dump = b'"caption"' in head[:200]
    table = Path(path).name.split(".")[0]

    def read(schema: Schema | None) -> Database:
        if is_dump:
            return read_ovsdb_client_dump(text, schema)
        rows = read_ctl_list_json(text, table, schema)
        return Database(schema=schema or Schema("", "", {}), tables={table: rows},
                        columns={table: None}, format="ctl-list-json", path=path)

    try:
        read(installed_schema(expected))  # (the shape of the JSON: DumpError if not theirs)
        headings: dict[str, set] = {}
        for obj in iter_json_objects(text):
            name = obj["caption"][:-len(" table")] if is_dump else table
            headings.setdefault(name, set()).update(obj["headings"])
        guessed = guess_schema(headings)
        if guessed is not None and guessed.name != expected:
            raise WrongSchemaError(path, f"holds {guessed.name} tables, not {expected}'s",
                                   found=guessed.name, expected=expected)
        schema = installed_schema(expected)
        if schema is None:
            raise SavedOutputError(path, f"no {expected} schema is installed to read this "
                                   f"JSON against")
        lacks = misfit(schema, headings)
        if lacks:
            if not is_dump and table not in schema.tables:
                lacks = [f"no table {table}: name the file after the table listed (ACL.json)"]
            raise WrongSchemaError(path, f"not {expected} tables ({'; '.join(lacks[:3])})",
                                   expected=expected)
        db = read(schema)
    except DumpError as e:
        raise SavedOutputError(path, str(e).removeprefix("<text>: ")) from None
    db.path = path
    db.warnings[:0] = warnings
    return MemorySource(db)
