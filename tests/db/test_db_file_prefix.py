"""FileSource.rows_by_uuid_prefix: the rows of a saved file whose uuid starts with a
prefix, decoding only those, equal to filtering the whole read of the table.

Files: the compacted samples; the same with a big appended transaction written here
(inserts with colliding uuids, modifications with column diffs, deletions, strings
that look like row keys); uncompacted and clustered files grown by the real
ovsdb-server (as tests/db/test_db_file.py makes them).  And ``ovnparse detrace`` on
saved files, which now reads only the rows a trace names, prints the recorded
ovn-detrace output byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from ovnparse import cli
from ovnparse.db import read_ovsdb_file
from ovnparse.db.ovsdb_file import _scan_records
from ovnparse.db.keys import prefix_keys
from ovnparse.db.source import FileSource
from ovnparse.sandbox import missing_tools

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SAMPLES_DB = SAMPLES / "db"
FILES = sorted(p for p in SAMPLES_DB.glob("*/*.db"))
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
PLAIN = [(s, c) for s in MANIFEST["scenarios"] for c in s["commands"]
         if c["tool"] == "ovn-detrace" and not c.get("ovs")]

no_tools = pytest.mark.skipif(bool(missing_tools(["ovsdb-tool", "ovsdb-server", "ovsdb-client",
                                                  "ovn-nbctl", "ovn-sbctl"])),
                              reason="OVS/OVN not installed")


def prefix_sets(uuids: list[str], seed: int) -> list[list]:
    """Many prefix sets over *uuids*: 8-hex keys, whole uuids, short prefixes (several rows
    each), cookies (ints, ``0x…``), prefixes with dashes, absent ones, and mixes."""
    rnd = random.Random(seed)
    absent = [p for p in ("00000000", "ffffffff", "0123abcd", "fedcba98-7654")
              if not any(u.startswith(p) for u in uuids)]
    sets: list[list] = [absent, ["0x0"], [0xFFFFFFFF]]
    if not uuids:
        return sets + [["a"], ["0"]]
    pick = rnd.sample(uuids, min(len(uuids), 40))
    sets += [
        [u[:8] for u in pick],
        pick[:5],  # whole uuids
        [u[:13] for u in pick[:7]],  # with a dash
        [u[:rnd.randint(1, 3)] for u in pick[:4]],  # short: many rows each
        [int(u[:8], 16) for u in pick[:9]],  # cookies
        ["0x" + u[:8].lstrip("0") for u in pick[:9]],
        [u[:8].upper() for u in pick[:3]] + absent,
        [u[:8] for u in pick[:3]] + [u[:4] for u in pick[:2]] + pick[:2],  # overlapping
        [u[:8] for u in uuids],  # every row
    ]
    return sets


def filtered(rows: dict, prefixes) -> dict:
    keys = prefix_keys(prefixes)
    return {u: r for u, r in rows.items() if u.startswith(keys)}


def assert_prefix_reads_equal_full(path: Path, seed: int = 0, tables=None) -> int:
    full = read_ovsdb_file(path)
    src = FileSource(path)
    checked = 0
    with src.hold():
        for t in tables or sorted(full.tables):
            rows = full.tables[t]
            for prefixes in prefix_sets(sorted(rows), seed):
                got = src.rows_by_uuid_prefix(t, prefixes)
                want = filtered(rows, prefixes)
                assert got == want, (path, t, prefixes)
                assert list(got) == list(want), (path, t, "order")
                checked += len(got)
    # outside hold(), and with columns
    for t in tables or sorted(full.tables)[:6]:
        rows = full.tables[t]
        cols = sorted(full.schema.tables[t].columns)[:2]
        prefixes = [u[:6] for u in sorted(rows)[::3]]
        got = FileSource(path).rows_by_uuid_prefix(t, prefixes, cols)
        assert got == {u: {"_uuid": u, **{c: r[c] for c in cols}}
                       for u, r in filtered(rows, prefixes).items()}, (path, t)
    assert not src.warnings
    return checked


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_compacted_samples_every_table(path):
    assert assert_prefix_reads_equal_full(path, seed=len(str(path))) > 300


def test_contract():
    path = SAMPLES_DB / "base" / "sb.db"
    src = FileSource(path)
    assert src.rows_by_uuid_prefix("Logical_Flow", []) == {}
    with pytest.raises(ValueError):
        src.rows_by_uuid_prefix("Logical_Flow", ["xyz"])
    with pytest.raises(ValueError):
        src.rows_by_uuid_prefix("Logical_Flow", [""])
    with pytest.raises(KeyError):
        src.rows_by_uuid_prefix("No_Such_Table", ["abcd"])
    assert src.rows_by_uuid_prefix("Logical_Flow", [1 << 40]) == {}  # not a 32-bit cookie
    # a whole table already read is served from it
    rows = src.rows("Logical_Flow")
    some = sorted(rows)[:4]
    got = src.rows_by_uuid_prefix("Logical_Flow", some)
    assert list(got) == [u for u in rows if u in some]
    assert all(got[u] is rows[u] for u in some)


# ------------------------------------------------- a big appended transaction (no tools)
def _record(obj) -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    return (f"OVSDB JSON {len(body)} {hashlib.sha1(body).hexdigest()}\n").encode() + body


def _with_big_transaction(src: Path, dest: Path) -> Path:
    data = src.read_bytes()
    _, recs, err = _scan_records(data, str(src), True)
    assert err is None and len(recs) == 2
    txn = json.loads(data[recs[1].start:recs[1].end])
    flows = txn["Logical_Flow"]
    uuids = sorted(flows)
    rnd = random.Random(7)
    new = {}
    # inserts: uuids sharing the first 8 (or 4) hex digits of existing rows (collisions),
    # with strings holding what looks like row keys and the ends of rows
    tricky = ('x},"%s":{"a":1} \\"%s\\":null},"' % (uuids[0], uuids[1])) * 40
    for n, u in enumerate(rnd.sample(uuids, 120)):
        base = dict(flows[u])
        base["match"] = tricky + str(n)
        nu = u[:8] + "-0000-4000-8000-%012x" % n if n % 2 else u[:4] + "%04x-1111-4111-8111-%012x" % (n, n)
        new[nu] = base
    # modifications (column diffs on maps, new scalars) and deletions of old rows
    for u in uuids[:30]:
        new[u] = {"priority": 4242, "external_ids": ["map", [["t-new", "1"]]]}
    for u in uuids[30:50]:
        new[u] = None
    pb = txn["Port_Binding"]
    pb_uuids = sorted(pb)
    pbnew = {u: None for u in pb_uuids[:3]}
    pbnew.update({pb_uuids[5]: {"tag": 9}})
    record = {"Logical_Flow": new, "Port_Binding": pbnew, "_date": 1, "_is_diff": True,
              "_comment": 'a "quoted" },"comment'}
    # then small transactions touching some of those rows again
    later = [{"Logical_Flow": {u: {"priority": 7}}, "_date": 2, "_is_diff": True}
             for u in list(new)[100:103] if new[u] is not None]
    later.append({"Logical_Flow": {list(new)[0]: None}, "_date": 3})
    later.append({"Logical_Flow": {uuids[40]: dict(flows[uuids[40]])}, "_date": 4})  # re-insert
    body = _record(record)
    assert len(body) > 1 << 17  # a big record: cut in the raw bytes, not parsed whole
    dest.write_bytes(data + body + b"".join(_record(t) for t in later))
    return dest


def test_big_appended_transaction(tmp_path):
    path = _with_big_transaction(SAMPLES_DB / "base" / "sb.db", tmp_path / "sb.db")
    full = read_ovsdb_file(path)
    assert not full.warnings and full.info["transactions"] == 1 + 1 + 5
    lf = full.tables["Logical_Flow"]
    assert sum(1 for r in lf.values() if r["priority"] == 4242) == 30
    assert assert_prefix_reads_equal_full(path, seed=3,
                                          tables=["Logical_Flow", "Port_Binding",
                                                  "Datapath_Binding"]) > 500


# ----------------------------------------------------- files grown by the real tools
@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    pytest.importorskip("ovs.db.data")
    import test_db_file as t  # noqa: PLC0415 (tests/db/ is on sys.path)
    d = tmp_path_factory.mktemp("grown")
    files = t._grow(d / "s", compact_sb=False)
    clusters = {n: t._create_cluster(SAMPLES_DB / "base" / f"{n}.db", d / f"c-{n}.db",
                                     d / f"c-{n}.raft") for n in ("nb", "sb")}
    box = t.Box.serve_files(nb=clusters["nb"], sb=clusters["sb"], workdir=d / "cw",
                            keep_clustered=True)
    try:
        t.apply_changes(box, 1)
        box.appctl("sb", "ovsdb-server/compact")
        t.apply_changes(box, 2)
    finally:
        box.stop()
    return {"uncompacted nb": files["nb"], "uncompacted sb": files["sb"],
            "clustered nb": box.nb_db_path, "clustered sb": box.sb_db_path,
            "clustered snapshot sb": clusters["sb"]}


@no_tools
@pytest.mark.sandbox
@pytest.mark.parametrize("which", ["uncompacted nb", "uncompacted sb", "clustered nb",
                                   "clustered sb"])
def test_files_grown_by_the_real_server(grown, which):
    path = grown[which]
    db = read_ovsdb_file(path)
    if which.startswith("uncompacted"):
        assert db.format == "standalone" and db.info["transactions"] > 2
    else:
        assert db.format == "clustered" and db.info["entries_applied"] >= 1
    assert assert_prefix_reads_equal_full(path, seed=11) > 300


# ------------------------------------------------------------- ovnparse detrace
@pytest.mark.parametrize("scenario,command", PLAIN, ids=[c["file"] for _, c in PLAIN])
def test_detrace_reads_only_named_rows_and_prints_the_same(scenario, command, monkeypatch,
                                                           capsysbinary):
    state = MANIFEST["db_states"][scenario["db_state"]]
    whole: list[str] = []
    by_prefix: list[str] = []
    rows, pick = FileSource.rows, FileSource.rows_by_uuid_prefix

    def spy_rows(self, table, columns=None):
        whole.append(table)
        return rows(self, table, columns)

    def spy_pick(self, table, prefixes, columns=None):
        by_prefix.append(table)
        return pick(self, table, prefixes, columns)

    monkeypatch.setattr(FileSource, "rows", spy_rows)
    monkeypatch.setattr(FileSource, "rows_by_uuid_prefix", spy_pick)
    assert cli.main(["detrace", f"--ovnnb={SAMPLES / state['nb']}",
                     f"--ovnsb={SAMPLES / state['sb']}", str(SAMPLES / command["stdin"])]) == 0
    assert capsysbinary.readouterr().out == (SAMPLES / command["file"]).read_bytes()
    assert "Logical_Flow" not in whole and "Logical_Flow" in by_prefix
