"""DatabaseSource: the small read-only interface, and its file implementation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ovnparse.db import DatabaseSource, FileSource, MemorySource, open_source, read_ovsdb_file
from ovnparse.db import source as source_mod

ROOT = Path(__file__).resolve().parents[2]
SB = ROOT / "samples" / "db" / "base" / "sb.db"
NB = ROOT / "samples" / "db" / "base" / "nb.db"


@pytest.fixture
def reads(monkeypatch):
    """Every file read a FileSource makes: the tables it asked for."""
    calls = []
    real = source_mod.read_ovsdb_file

    def counting(path, tables=None, **kw):
        calls.append(None if tables is None else dict(tables))
        return real(path, tables, **kw)

    monkeypatch.setattr(source_mod, "read_ovsdb_file", counting)
    return calls


def test_file_source_reads_on_demand_and_once(reads):
    src = FileSource(SB)
    assert reads == []
    assert (src.schema_name, src.schema_version) == ("OVN_Southbound", "20.27.0")
    assert reads == [{}]  # the schema alone: no transaction parsed
    assert src.info["records_parsed"] == 0 and src.format == "standalone"
    assert "Logical_Flow" in src.tables() and len(reads) == 1

    src.prefetch(["Logical_Flow", "Datapath_Binding", "No_Such_Table"])
    assert len(reads) == 2 and set(reads[1]) == {"Logical_Flow", "Datapath_Binding"}
    full = read_ovsdb_file(SB)
    assert src.rows("Logical_Flow") == full.tables["Logical_Flow"]
    assert src.rows("Datapath_Binding", ["tunnel_key"]) == full.tables["Datapath_Binding"]
    assert len(reads) == 2
    assert src.rows("Port_Binding") == full.tables["Port_Binding"]
    assert len(reads) == 3
    with pytest.raises(KeyError):
        src.rows("No_Such_Table")
    src.prefetch(["Logical_Flow"])
    assert len(reads) == 3


def test_file_source_columns(reads):
    src = FileSource(SB, {"Logical_Flow": ["match"]})
    rows = src.rows("Logical_Flow", ["match"])
    assert set(next(iter(rows.values()))) == {"_uuid", "match"}
    assert len(reads) == 1
    rows = src.rows("Logical_Flow", ["actions"])  # a column not read yet: read again
    assert set(next(iter(rows.values()))) == {"_uuid", "match", "actions"}
    assert reads[1] == {"Logical_Flow": frozenset({"match", "actions"})}
    src.rows("Logical_Flow", ["match"])
    assert len(reads) == 2
    src.prefetch(None)  # everything
    assert len(reads) == 3 and "tags" in next(iter(src.rows("Logical_Flow").values()))


def test_read_only_by_construction(tmp_path):
    """No method writes; reading a file neither changes it nor leaves a lock beside it."""
    for name in dir(DatabaseSource):
        assert not name.startswith(("insert", "update", "delete", "write", "transact",
                                    "set", "add", "remove", "create", "destroy"))
    copy = tmp_path / "sb.db"
    shutil.copyfile(SB, copy)
    before = (copy.read_bytes(), copy.stat().st_mtime_ns, sorted(tmp_path.iterdir()))
    with open_source(copy) as src:
        assert isinstance(src, FileSource)
        src.prefetch(None)
        assert len(src.rows("Logical_Flow")) > 600
    assert (copy.read_bytes(), copy.stat().st_mtime_ns, sorted(tmp_path.iterdir())) == before


def test_memory_source():
    src = MemorySource(read_ovsdb_file(NB, ["ACL"]))
    assert src.schema_name == "OVN_Northbound" and src.tables() == ["ACL"]
    assert len(src.rows("ACL")) == 15
    with pytest.raises(KeyError):
        src.rows("Logical_Switch")
    assert "OVN_Northbound" in repr(src)


def test_open_source_rejects_other_files(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hello\n")
    with pytest.raises(ValueError):
        open_source(p)
