"""The database file reader agrees, row for row and column for column, with ovsdb-server.

Every file read here is also served by a real ``ovsdb-server`` (OVS 3.1, Debian's)
on a private copy, and what ``ovsdb-client --format=json dump`` returns is
decoded by Open vSwitch's own Python library (``ovs.db.data.Datum``), not by the
code under test.  Files covered: the compacted snapshots in ``samples/db``; the
same with transactions appended by the server (column diffs, the default since
OVS 2.15, and whole values with ``--disable-file-column-diff``), also after an
online compaction; clustered files made by ``ovsdb-tool create-cluster`` and then
grown by a clustered server (log entries, an online snapshot, more entries).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ovnparse.db import file_kind, read_ovsdb_file
from ovnparse.db.ovsdb_file import _scan_records
from ovnparse.sandbox import OvnSandbox, missing_tools

ovs_data = pytest.importorskip("ovs.db.data")
ovs_schema = pytest.importorskip("ovs.db.schema")
ovs_types = pytest.importorskip("ovs.db.types")

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(bool(missing_tools(["ovsdb-tool", "ovsdb-server", "ovsdb-client",
                                           "ovn-nbctl", "ovn-sbctl"])),
                       reason="OVS/OVN not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DB = ROOT / "samples" / "db"
STATES = sorted(p.name for p in SAMPLES_DB.iterdir() if (p / "sb.db").exists())


class Box(OvnSandbox):
    """The sandbox, serving a clustered file as a cluster (not converted) and/or with
    extra ovsdb-server options."""

    def __init__(self, *args, keep_clustered: bool = False, db_args=(), **kwargs):
        self._keep_clustered = keep_clustered
        self._db_args = list(db_args)
        super().__init__(*args, **kwargs)

    def _prepare_db(self, target, schema, source):
        if self._keep_clustered and source is not None and file_kind(source) == "clustered":
            shutil.copyfile(source, target)
            return
        super()._prepare_db(target, schema, source)

    def _start_daemon(self, name, extra):
        if name in ("nb", "sb"):
            extra = [*extra, *self._db_args]
        return super()._start_daemon(name, extra)


def server_tables(box: OvnSandbox, remote: str) -> tuple[str, dict[str, dict[str, dict]]]:
    """Every row the server holds, decoded by OVS's Python library: (db name, tables)."""
    schema = ovs_schema.DbSchema.from_json(
        json.loads(box.run(["ovsdb-client", "get-schema", remote])))
    text = box.run(["ovsdb-client", "--format=json", "dump", remote, schema.name])

    def conv(value, base):
        return str(value) if base.type == ovs_types.UuidType else value

    out: dict[str, dict[str, dict]] = {}
    for line in text.splitlines():
        obj = json.loads(line)
        table = obj["caption"][:-len(" table")]
        cols = schema.tables[table].columns
        rows = {}
        for cells in obj["data"]:
            row = {}
            for heading, cell in zip(obj["headings"], cells):
                if heading == "_uuid":
                    row["_uuid"] = cell[1]
                elif heading != "_version":  # not stored in files: a new one at each load
                    row[heading] = ovs_data.Datum.from_json(cols[heading].type,
                                                            cell).to_python(conv)
            rows[row["_uuid"]] = row
        out[table] = rows
    return schema.name, out


def assert_same(db, server: tuple[str, dict], what: str) -> None:
    name, tables = server
    assert db.name == name, what
    assert set(db.tables) == set(tables), what
    for t, rows in tables.items():
        mine = db.tables[t]
        assert set(mine) == set(rows), f"{what}: {t}: rows differ"
        for uuid, row in rows.items():
            assert mine[uuid] == row, f"{what}: {t} {uuid}:\n reader {mine[uuid]}\n server {row}"
    assert not db.warnings, db.warnings


def serve_and_compare(nb: Path, sb: Path, what: str, **box_args) -> dict:
    """Read both files, serve them, compare; returns the reader's databases."""
    dbs = {"nb": read_ovsdb_file(nb), "sb": read_ovsdb_file(sb)}
    box = Box.serve_files(nb=nb, sb=sb, **box_args)
    try:
        assert_same(dbs["nb"], server_tables(box, box.nb_remote), f"{what} nb")
        assert_same(dbs["sb"], server_tables(box, box.sb_remote), f"{what} sb")
    finally:
        box.stop()
    for pid in box.started_pids.values():
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    return dbs


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


# ----------------------------------------------------------------- transactions
def _uuid(box: OvnSandbox, ctl: str, table: str, *conds: str) -> str:
    run = box.nbctl if ctl == "nb" else box.sbctl
    out = run("--bare", "--columns=_uuid", "find", table, *conds).split()
    assert out, (table, conds)
    return out[0]


def apply_changes(box: OvnSandbox, phase: int) -> None:
    """Transactions touching every kind of column: scalars, optional values, sets and
    maps (add, remove, change), inserts, deletes (cascading and garbage-collected)."""
    nb, sb = box.nbctl, box.sbctl
    if phase == 1:
        nb("ls-add", "t-sw1")
        nb("lsp-add", "t-sw1", "t-p1",
           "--", "lsp-set-addresses", "t-p1", "0a:00:00:00:00:01 10.0.0.1",
           "--", "lsp-set-port-security", "t-p1", "0a:00:00:00:00:01 10.0.0.1")
        nb("set", "Logical_Switch", "t-sw1", "external_ids:a=1", "external_ids:b=2",
           "other_config:c=3")
        nb("set", "Logical_Switch", "t-sw1", "external_ids:a=9")
        nb("remove", "Logical_Switch", "t-sw1", "external_ids", "b")
        nb("lsp-add", "t-sw1", "t-p2", "--", "lsp-add", "t-sw1", "t-p3")
        nb("--id=@a", "create", "ACL", "priority=1001", "direction=to-lport", 'match="ip4"',
           "action=drop", "--", "add", "Logical_Switch", "t-sw1", "acls", "@a")
        nb("set", "Logical_Switch_Port", "t-p1",
           'addresses="0a:00:00:00:00:01 10.0.0.1" "0a:00:00:00:00:02 10.0.0.2"')
        nb("set", "Logical_Switch_Port", "t-p1", "enabled=false", "tag_request=7")
        nb("clear", "Logical_Switch_Port", "t-p1", "enabled")
        nb("set", "NB_Global", ".", "options:t-key=1")
        nb("set", "Logical_Switch", "ovn-worker", "other_config:subnet=10.244.9.0/24")
        nb("remove", "Logical_Switch", "ovn-worker", "other_config", "mcast_snoop")

        flows = sb("--bare", "--columns=_uuid", "list", "Logical_Flow").split()
        sb("set", "Logical_Flow", flows[0], 'actions="drop;"', "priority=5",
           "external_ids:stage-hint=deadbeef")
        sb("remove", "Logical_Flow", flows[1], "external_ids", "stage-name")
        sb("chassis-add", "t-ch", "geneve", "192.0.2.1")
        sb("set", "Chassis", "t-ch", "external_ids:x=y", "other_config:z=w", "hostname=h1")
        sb("set", "Chassis", "t-ch", "hostname=h2", "other_config:z=v")
        dp = _uuid(box, "sb", "Datapath_Binding", "external_ids:name=ovn-worker")
        sb("set", "Datapath_Binding", dp, "external_ids:name=renamed", "external_ids:t=1")
        mg = _uuid(box, "sb", "Multicast_Group", "name=_MC_flood")
        port = sb("--bare", "--columns=ports", "list", "Multicast_Group", mg).split()[0]
        sb("remove", "Multicast_Group", mg, "ports", port)
    else:
        nb("lsp-del", "t-p2")
        nb("clear", "Logical_Switch_Port", "default_web", "port_security")
        nb("ls-del", "ext_ovn-worker")
        nb("acl-del", "ovn-worker")  # the ACL rows are garbage-collected
        nb("set", "Logical_Switch", "t-sw1", "external_ids:a=10", "external_ids:z=26")
        nb("lsp-del", "t-p3")

        flows = sb("--bare", "--columns=_uuid", "list", "Logical_Flow").split()
        sb("destroy", "Logical_Flow", flows[2])
        sb("destroy", "MAC_Binding", sb("--bare", "--columns=_uuid", "list",
                                        "MAC_Binding").split()[0])
        pb = _uuid(box, "sb", "Port_Binding", "logical_port=etor-GR_ovn-worker2")
        sb("set", "Port_Binding", pb, 'mac="0a:00:00:00:00:99"', "up=true")
        sb("chassis-del", "t-ch")
        # a real chassis: its weak references (Port_Binding, Chassis_Private) are removed
        chassis = sb("--bare", "--columns=name", "list", "Chassis").split()[0]
        sb("chassis-del", chassis)


def _grow(workdir: Path, *, compact_sb: bool, **box_args) -> dict[str, Path]:
    """Serve the base snapshot, apply both phases (compacting the SB online between
    them when asked), stop; the files the server left behind."""
    box = Box.serve_files(nb=SAMPLES_DB / "base" / "nb.db", sb=SAMPLES_DB / "base" / "sb.db",
                          workdir=workdir, **box_args)
    try:
        apply_changes(box, 1)
        if compact_sb:
            box.appctl("sb", "ovsdb-server/compact")
        apply_changes(box, 2)
    finally:
        box.stop()
    return {"nb": box.nb_db_path, "sb": box.sb_db_path}


def convert_nb(box: OvnSandbox, workdir: Path) -> None:
    """``ovsdb-client convert`` the Northbound to its schema plus a column, then use it.

    A standalone server rewrites its file (new schema, the converted data); a
    clustered one appends a log entry holding both, which replaces the database.
    """
    schema = json.loads(Path("/usr/share/ovn/ovn-nb.ovsschema").read_text())
    schema.pop("cksum", None)
    schema["version"] = "99.0.0"
    schema["tables"]["Logical_Switch"]["columns"]["t_extra"] = {
        "type": {"key": "string", "min": 0, "max": 1}}
    path = workdir / "nb-extra.ovsschema"
    path.write_text(json.dumps(schema))
    box.run(["ovsdb-client", "convert", box.nb_remote, str(path)])
    box.run(["ovsdb-client", "transact", box.nb_remote, json.dumps(
        ["OVN_Northbound", {"op": "update", "table": "Logical_Switch",
                            "where": [["name", "==", "t-sw1"]], "row": {"t_extra": "hi"}}])])
    box.nbctl("set", "Logical_Switch", "t-sw1", "external_ids:after=convert")


def _records(path: Path) -> list[bytes]:
    data = path.read_bytes()
    magic, recs, err = _scan_records(data, str(path), True)
    assert err is None
    return [data[r.start:r.end] for r in recs]


# ----------------------------------------------------------------------- tests
@pytest.mark.parametrize("state", STATES)
def test_compacted_samples_match_the_server(state):
    nb, sb = SAMPLES_DB / state / "nb.db", SAMPLES_DB / state / "sb.db"
    assert len(_records(sb)) == 2 and len(_records(nb)) == 2  # schema + one transaction
    dbs = serve_and_compare(nb, sb, state)
    assert len(dbs["sb"].tables["Logical_Flow"]) > 500


@pytest.fixture(scope="module")
def grown_standalone(tmp_path_factory):
    return _grow(tmp_path_factory.mktemp("s"), compact_sb=True)


def test_uncompacted_standalone_with_column_diffs(grown_standalone):
    nb = _records(grown_standalone["nb"])
    assert len(nb) > 20  # schema, the snapshot, one record per transaction
    assert any(b'"_is_diff":true' in r for r in nb[2:])
    dbs = serve_and_compare(grown_standalone["nb"], grown_standalone["sb"], "uncompacted")
    ls = {r["name"]: r for r in dbs["nb"].tables["Logical_Switch"].values()}
    assert ls["t-sw1"]["external_ids"] == {"a": "10", "z": "26"}
    assert "ext_ovn-worker" not in ls and ls["ovn-worker"]["acls"] == []


def test_standalone_compacted_online_then_appended(grown_standalone):
    sb = _records(grown_standalone["sb"])
    # schema, the compacted database, then phase 2's transactions
    assert b'"_comment":"compacting database online"' in sb[1]
    assert 2 < len(sb) < 15
    assert read_ovsdb_file(grown_standalone["sb"]).info["transactions"] == len(sb) - 1


def test_uncompacted_standalone_without_column_diffs(tmp_path):
    files = _grow(tmp_path / "w", compact_sb=False, db_args=["--disable-file-column-diff"])
    nb = _records(files["nb"])
    assert len(nb) > 20 and not any(b"_is_diff" in r for r in nb)
    serve_and_compare(files["nb"], files["sb"], "no column diff")


def _create_cluster(src: Path, dest: Path, raft: Path) -> Path:
    subprocess.run(["ovsdb-tool", "create-cluster", str(dest), str(src), f"unix:{raft}"],
                   check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    d = tmp_path_factory.mktemp("c")
    return {name: _create_cluster(SAMPLES_DB / "base" / f"{name}.db", d / f"{name}.db",
                                  d / f"{name}.raft") for name in ("nb", "sb")}


def test_clustered_created_from_a_snapshot(clusters):
    assert file_kind(clusters["sb"]) == "clustered"
    assert len(_records(clusters["sb"])) == 1  # the header, holding the snapshot
    dbs = serve_and_compare(clusters["nb"], clusters["sb"], "clustered", keep_clustered=True)
    assert dbs["sb"].format == "clustered"
    assert dbs["sb"].info["snapshot_index"] == 1
    # the same rows as the standalone file it was made from
    standalone = read_ovsdb_file(SAMPLES_DB / "base" / "sb.db")
    assert dbs["sb"].tables["Logical_Flow"] == standalone.tables["Logical_Flow"]


def test_clustered_with_log_entries_and_an_online_snapshot(clusters, tmp_path):
    box = Box.serve_files(nb=clusters["nb"], sb=clusters["sb"], workdir=tmp_path / "w",
                          keep_clustered=True)
    try:
        apply_changes(box, 1)
        box.appctl("sb", "ovsdb-server/compact")
        apply_changes(box, 2)
        convert_nb(box, tmp_path)
    finally:
        box.stop()
    nb = read_ovsdb_file(box.nb_db_path)
    sb = read_ovsdb_file(box.sb_db_path)
    assert nb.format == sb.format == "clustered"
    assert nb.info["snapshot_index"] == 1 and nb.info["entries_applied"] >= 15
    assert sb.info["snapshot_index"] > 1 and sb.info["entries_applied"] >= 5
    # the conversion: a log entry whose data holds a schema and the whole database
    assert nb.version == "99.0.0"
    assert sum(b'"data":[{' in r for r in _records(box.nb_db_path)[1:]) == 1
    dbs = serve_and_compare(box.nb_db_path, box.sb_db_path, "clustered log",
                            keep_clustered=True)
    ls = {r["name"]: r for r in dbs["nb"].tables["Logical_Switch"].values()}
    assert ls["t-sw1"]["t_extra"] == ["hi"] and ls["t-sw1"]["external_ids"]["after"] == "convert"


def test_standalone_converted_to_a_new_schema(grown_standalone, tmp_path):
    box = Box.serve_files(nb=grown_standalone["nb"], sb=grown_standalone["sb"],
                          workdir=tmp_path / "w")
    try:
        convert_nb(box, tmp_path)
    finally:
        box.stop()
    recs = _records(box.nb_db_path)
    assert len(recs) == 4  # the new schema, the converted data, then the two transactions
    dbs = serve_and_compare(box.nb_db_path, box.sb_db_path, "converted")
    assert dbs["nb"].version == "99.0.0"


@pytest.mark.parametrize("which", ["standalone", "clustered"])
def test_reading_some_tables_and_columns_gives_the_same_values(which, grown_standalone,
                                                               clusters):
    path = grown_standalone["sb"] if which == "standalone" else clusters["sb"]
    full = read_ovsdb_file(path)
    part = read_ovsdb_file(path, {"Logical_Flow": ["match", "external_ids"],
                                  "Datapath_Binding": None, "No_Such_Table": None})
    assert set(part.tables) == {"Logical_Flow", "Datapath_Binding"}
    assert part.tables["Datapath_Binding"] == full.tables["Datapath_Binding"]
    assert part.tables["Logical_Flow"] == {
        u: {"_uuid": u, "match": r["match"], "external_ids": r["external_ids"]}
        for u, r in full.tables["Logical_Flow"].items()}


def test_a_file_cut_in_a_record_reads_as_the_server_reads_it(grown_standalone, tmp_path):
    """A crash while appending leaves half a record: the server uses what comes before."""
    data = grown_standalone["nb"].read_bytes()
    cut = tmp_path / "nb.db"
    cut.write_bytes(data[:len(data) - 100])
    db = read_ovsdb_file(cut)
    assert len(db.warnings) == 1 and "an append cut short" in db.warnings[0]
    assert db.info["transactions"] == len(_records(grown_standalone["nb"])) - 2
    box = Box.serve_files(nb=cut, sb=grown_standalone["sb"])
    try:
        name, tables = server_tables(box, box.nb_remote)
    finally:
        box.stop()
    db.warnings.clear()
    assert_same(db, (name, tables), "cut file")
    # the last transaction (deleting t-p3) was lost
    assert "t-p3" in {r["name"] for r in db.tables["Logical_Switch_Port"].values()}


def test_tools_json_outputs_read_like_the_file(tmp_path):
    """ovsdb-client dump and ovn-sbctl/ovn-nbctl --format=json list, from the real tools."""
    from ovnparse.db import open_source, read_ctl_list_json, read_ovsdb_client_dump

    nb_file, sb_file = SAMPLES_DB / "base" / "nb.db", SAMPLES_DB / "base" / "sb.db"
    box = Box.serve_files(nb=nb_file, sb=sb_file)
    try:
        dump = box.run(["ovsdb-client", "--format=json", "dump", box.sb_remote])
        lflows = box.sbctl("--format=json", "list", "Logical_Flow")
        acls = box.nbctl("--format=json", "list", "ACL")
        some = box.sbctl("--format=json", "--columns=_uuid,name,ports", "list",
                         "Multicast_Group")
    finally:
        box.stop()
    sb = read_ovsdb_file(sb_file)
    nb = read_ovsdb_file(nb_file)
    d = read_ovsdb_client_dump(dump)
    assert d.name == "OVN_Southbound" and not d.warnings  # schema guessed from the tables
    for t, rows in sb.tables.items():
        assert {u: {k: v for k, v in r.items() if k != "_version"}
                for u, r in d.tables[t].items()} == rows, t
    # ovn-sbctl 23.03 adds a "hash" column (always 0) that the schema does not have
    listed = read_ctl_list_json(lflows, "Logical_Flow")
    assert {r.pop("hash") for r in listed.values()} == {0}
    assert listed == sb.tables["Logical_Flow"]
    assert read_ctl_list_json(acls, "ACL", "OVN_Northbound") == nb.tables["ACL"]
    assert read_ctl_list_json(some, "Multicast_Group") == {
        u: {"_uuid": u, "name": r["name"], "ports": r["ports"]}
        for u, r in sb.tables["Multicast_Group"].items()}
    # through open_source: the file name says the table
    (tmp_path / "Logical_Flow.json").write_text(lflows)
    (tmp_path / "dump.json").write_text(dump)
    src = open_source(tmp_path / "Logical_Flow.json")
    assert src.schema_name == "OVN_Southbound"
    assert {u: {k: v for k, v in r.items() if k != "hash"}
            for u, r in src.rows("Logical_Flow").items()} == sb.tables["Logical_Flow"]
    src = open_source(tmp_path / "dump.json")
    assert src.schema_version == sb.version and len(src.rows("Port_Binding")) == len(
        sb.tables["Port_Binding"])
