"""ovnparse.db.write: the files it writes are standalone OVSDB databases that the real
ovsdb-tool reads as it reads the file the rows came from."""

from __future__ import annotations

import json
import subprocess

import pytest

from ovnparse.db.ovsdb_file import read_ovsdb_file
from ovnparse.db.write import write_standalone
from ovnparse.sandbox import missing_tools

from conftest import SAMPLES

pytestmark = pytest.mark.skipif(bool(missing_tools(["ovsdb-tool"])),
                                reason="ovsdb-tool not installed")


def _tool(*args: str) -> str:
    return subprocess.run(["ovsdb-tool", *args], check=True, capture_output=True,
                          text=True).stdout


def _select_all(path, schema) -> dict:
    """Every row of every table, as `ovsdb-tool query` (the real reader) gives them
    (without `_version`, which a server makes up as it loads a file)."""
    ops = [schema.name] + [{"op": "select", "table": t, "where": []} for t in sorted(schema.tables)]
    out = json.loads(_tool("query", str(path), json.dumps(ops)))
    return {t: sorted(json.dumps({k: v for k, v in r.items() if k != "_version"},
                                 sort_keys=True) for r in res["rows"])
            for t, res in zip(sorted(schema.tables), out)}


@pytest.mark.parametrize("state", ["base", "allow-prod"])
def test_a_written_copy_is_what_ovsdb_tool_reads_in_the_original(state, tmp_path):
    src = SAMPLES / "db" / state / "sb.db"
    db = read_ovsdb_file(src)
    dest = tmp_path / "copy.db"
    size = write_standalone(dest, db.schema, db.tables, comment="a copy")
    assert size == dest.stat().st_size
    assert subprocess.run(["ovsdb-tool", "db-is-standalone", str(dest)]).returncode == 0
    assert _tool("db-name", str(dest)).strip() == "OVN_Southbound"
    assert _tool("db-version", str(dest)) == _tool("db-version", str(src))
    assert _select_all(dest, db.schema) == _select_all(src, db.schema)
    # and ovnparse's reader reads back the rows it wrote
    assert read_ovsdb_file(dest).tables == db.tables


def test_an_empty_row_holds_every_default_and_files_are_never_replaced(tmp_path):
    db = read_ovsdb_file(SAMPLES / "db/base/sb.db", ["Logical_Flow"])
    uuid = next(iter(db.tables["Logical_Flow"]))
    dest = tmp_path / "one.db"
    write_standalone(dest, db.schema, {"Logical_Flow": {uuid: None}})
    [res] = json.loads(_tool("query", str(dest), json.dumps(
        ["OVN_Southbound", {"op": "select", "table": "Logical_Flow", "where": []}])))
    [row] = res["rows"]
    assert row["_uuid"] == ["uuid", uuid]
    assert (row["match"], row["priority"], row["logical_datapath"]) == ("", 0, ["set", []])
    with pytest.raises(FileExistsError):
        write_standalone(dest, db.schema, {"Logical_Flow": {}})
