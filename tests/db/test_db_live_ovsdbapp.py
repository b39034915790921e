"""The live source reads what ovsdbapp's IDL sees, table by table.

ovnparse's LiveSource speaks OVSDB JSON-RPC itself (one `select` per table,
no IDL: at 100k logical flows an IDL sync costs 14-26 s).  This checks it
against ovsdbapp, the library OpenStack and ovn-kubernetes' Python tools use,
connected to the same real ovsdb-server serving a saved sample database.
"""

from __future__ import annotations

import uuid

import pytest

from ovnparse.db import open_database
from ovnparse.sandbox import OvnSandbox

from conftest import SAMPLES, process_alive

ovsdbapp_connection = pytest.importorskip("ovsdbapp.backend.ovs_idl.connection")

TABLES = ("Logical_Flow", "Datapath_Binding", "Port_Binding", "Logical_DP_Group", "Chassis",
          "Multicast_Group", "Load_Balancer", "MAC_Binding")


def _plain(value):
    """An IDL value as LiveSource gives it: uuids as strings, rows as their uuids."""
    if hasattr(value, "uuid") and not isinstance(value, uuid.UUID):
        return str(value.uuid)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return sorted((_plain(v) for v in value), key=str)
    return value


@pytest.fixture(scope="module")
def served():
    box = OvnSandbox.serve_files(nb=SAMPLES / "db" / "base" / "nb.db",
                                 sb=SAMPLES / "db" / "base" / "sb.db")
    idl = ovsdbapp_connection.OvsdbIdl.from_server(box.sb_remote, "OVN_Southbound")
    conn = ovsdbapp_connection.Connection(idl, timeout=10)
    conn.start()
    try:
        yield box, idl
    finally:
        conn.stop()
        box.stop()
    assert not any(process_alive(p) for p in box.started_pids.values())


@pytest.mark.parametrize("table", TABLES)
def test_live_source_reads_what_ovsdbapp_sees(served, table):
    box, idl = served
    live = open_database(box.sb_remote)
    try:
        rows = live.rows(table)
    finally:
        live.close()
    idl_rows = idl.tables[table].rows
    assert set(rows) == {str(u) for u in idl_rows}
    assert rows, f"the sample has {table} rows"
    columns = idl.tables[table].columns
    for u, row in idl_rows.items():
        mine = rows[str(u)]
        for column in columns:
            assert _plain(mine.get(column)) == _plain(getattr(row, column)), (table, column)
