"""The OVSDB file format, record by record, on small hand-written files.

These spell out the rules the reader follows (see ovnparse/db/ovsdb_file.py for
where each comes from in OVS's sources); tests/db/test_db_file.py checks the same
reader against a real ovsdb-server on real files.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import pickle

import pytest

from ovnparse.db import (DamagedFileError, OvsdbFileError, file_kind, read_ovsdb_bytes,
                         read_ovsdb_file)
from ovnparse.db import _json
from ovnparse.db.schema import EMPTY_MAP, EMPTY_SET, ColumnType, Schema, decode_generic

U = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, 10)]
ZERO = "00000000-0000-0000-0000-000000000000"

SCHEMA = {
    "name": "Test", "version": "1.2.3",
    "tables": {
        "A": {"isRoot": True, "columns": {
            "s": {"type": "string"}, "i": {"type": "integer"}, "r": {"type": "real"},
            "b": {"type": "boolean"}, "u": {"type": "uuid"},
            "opt": {"type": {"key": "string", "min": 0, "max": 1}},
            "set": {"type": {"key": "string", "min": 0, "max": "unlimited"}},
            "iset": {"type": {"key": "integer", "min": 0, "max": "unlimited"}},
            "uset": {"type": {"key": {"type": "uuid", "refTable": "B", "refType": "weak"},
                              "min": 0, "max": "unlimited"}},
            "map": {"type": {"key": "string", "value": "string", "min": 0,
                             "max": "unlimited"}},
            "umap": {"type": {"key": "integer", "value": {"type": "uuid", "refTable": "B"},
                              "min": 0, "max": "unlimited"}}}},
        "B": {"isRoot": True, "columns": {"name": {"type": "string"}}},
        "C": {"isRoot": True, "columns": {"name": {"type": "string"}}},
    },
}


def rec(obj, magic: str = "JSON") -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    return b"OVSDB %s %d %s\n" % (magic.encode(), len(body),
                                  hashlib.sha1(body).hexdigest().encode()) + body


def standalone(*txns) -> bytes:
    return rec(SCHEMA) + b"".join(rec(t) for t in txns)


def defaults(uuid: str) -> dict:
    return {"_uuid": uuid, "s": "", "i": 0, "r": 0.0, "b": False, "u": ZERO, "opt": [],
            "set": [], "iset": [], "uset": [], "map": {}, "umap": {}}


# ------------------------------------------------------------------ values
def test_values_decode_by_column_type():
    db = read_ovsdb_bytes(standalone({"A": {U[0]: {
        "s": "x", "i": 5, "r": 1, "b": True, "u": ["uuid", U[1]],
        "opt": "only", "set": "one", "iset": ["set", [1, 2]],
        "uset": ["uuid", U[2]], "map": ["map", [["k", "v"]]],
        "umap": ["map", [[7, ["uuid", U[3]]]]]}}}))
    row = db.tables["A"][U[0]]
    assert row == {"_uuid": U[0], "s": "x", "i": 5, "r": 1.0, "b": True, "u": U[1],
                   "opt": ["only"], "set": ["one"], "iset": [1, 2], "uset": [U[2]],
                   "map": {"k": "v"}, "umap": {7: U[3]}}
    assert isinstance(row["r"], float)
    # a row inserted with no columns holds every default
    db = read_ovsdb_bytes(standalone({"A": {U[0]: {}}}))
    assert db.tables["A"][U[0]] == defaults(U[0])
    # empty sets and maps: one shared value, equal to [] / {}, that cannot be changed
    db = read_ovsdb_bytes(standalone({"A": {U[0]: {}, U[1]: {"set": ["set", []],
                                                            "map": ["map", []]}}}))
    a, b = db.tables["A"][U[0]], db.tables["A"][U[1]]
    assert a["set"] is b["set"] is EMPTY_SET and a["map"] is b["map"] is EMPTY_MAP
    assert EMPTY_SET == [] and isinstance(EMPTY_SET, list) and repr(EMPTY_SET) == "[]"
    assert EMPTY_MAP == {} and isinstance(EMPTY_MAP, dict) and not EMPTY_MAP
    for change in (lambda: a["set"].append(1), lambda: a["set"].extend([1]),
                   lambda: a["map"].update(k=1), lambda: a["map"].__setitem__("k", 1)):
        with pytest.raises(TypeError):
            change()
    assert EMPTY_SET == [] and EMPTY_MAP == {}
    assert type(copy.copy(a["set"])) is list and type(copy.deepcopy(a["map"])) is dict
    assert type(pickle.loads(pickle.dumps(a["set"]))) is list
    assert json.dumps(a) == json.dumps(dict(a, set=[], map={}))


def test_generic_decoding_and_column_types():
    assert decode_generic(["uuid", U[0]]) == U[0]
    assert decode_generic(["set", [["uuid", U[0]], ["uuid", U[1]]]]) == [U[0], U[1]]
    assert decode_generic(["map", [["a", ["uuid", U[0]]]]]) == {"a": U[0]}
    assert decode_generic("x") == "x" and decode_generic(["set", []]) == []
    t = ColumnType.from_json({"key": "string", "min": 0, "max": 1})
    assert t.is_set and not t.is_composite and t.default() == []
    t = ColumnType.from_json({"key": "string", "value": "integer", "max": "unlimited",
                              "min": 0})
    assert t.is_map and t.is_composite and t.default() == {}
    assert ColumnType.from_json("uuid").default() == ZERO


# ------------------------------------------------------------ transactions
def test_modify_with_column_diffs():
    """``_is_diff``: a set or map column holds what changes; toggling elements / keys."""
    insert = {"A": {U[0]: {"s": "a", "set": ["set", ["x", "y"]], "iset": ["set", [1]],
                           "map": ["map", [["k1", "v1"], ["k2", "v2"]]], "opt": "o"}}}
    modify = {"A": {U[0]: {
        "s": "b",                                    # scalar: the new value
        "set": ["set", ["y", "z"]],                  # y removed, z added
        "iset": 1,                                   # one element, bare: removed
        "map": ["map", [["k1", "v1"], ["k2", "new"], ["k3", "v3"]]],  # del, change, add
        "opt": ["set", []],                          # optional: the new value (none)
    }}, "_is_diff": True}
    db = read_ovsdb_bytes(standalone(insert, modify))
    row = db.tables["A"][U[0]]
    assert row["s"] == "b" and row["set"] == ["x", "z"] and row["iset"] == []
    assert row["map"] == {"k2": "new", "k3": "v3"} and row["opt"] == []


def test_modify_without_column_diffs_replaces_values():
    insert = {"A": {U[0]: {"set": ["set", ["x", "y"]], "map": ["map", [["k", "v"]]]}}}
    modify = {"A": {U[0]: {"set": ["set", ["y", "z"]], "map": ["map", [["k", "v"]]]}}}
    row = read_ovsdb_bytes(standalone(insert, modify)).tables["A"][U[0]]
    assert row["set"] == ["y", "z"] and row["map"] == {"k": "v"}


def test_delete_and_reinsert_and_meta_keys():
    db = read_ovsdb_bytes(standalone(
        {"A": {U[0]: {"s": "a"}}, "B": {U[1]: {"name": "b"}}, "_date": 1, "_comment": "c"},
        {"A": {U[0]: None}, "_date": 2, "_is_diff": True},
        {"A": {U[0]: {"i": 3}}, "_is_diff": True}))
    assert db.tables["A"][U[0]] == dict(defaults(U[0]), i=3)
    assert db.tables["B"] == {U[1]: {"_uuid": U[1], "name": "b"}}
    assert db.tables["C"] == {}
    assert db.format == "standalone" and db.name == "Test" and db.version == "1.2.3"
    assert db.info["transactions"] == 3 and not db.warnings


def test_a_transaction_ovsdb_refuses_is_an_error_or_salvaged_and_not_half_applied():
    data = standalone({"A": {U[0]: {"s": "a"}}},
                      {"B": {U[1]: {"name": "b"}}, "A": {U[5]: None}},  # deletes nothing
                      {"C": {U[2]: {"name": "c"}}})
    second = data.index(b"OVSDB JSON", len(rec(SCHEMA)) + 1)
    with pytest.raises(DamagedFileError, match=f"record 2 at offset {second}: .*does not exist"
                       ) as err:
        read_ovsdb_bytes(data)
    assert err.value.offset == second
    # salvage: what precedes it, as ovsdb-server does
    db = read_ovsdb_bytes(data, salvage=True)
    assert db.tables["B"] == {} and db.tables["C"] == {}
    assert len(db.tables["A"]) == 1
    assert len(db.warnings) == 1 and "does not exist" in db.warnings[0]
    assert f"skipped bytes {second}-{len(data)}" in db.warnings[0]
    db = read_ovsdb_bytes(standalone({"A": {U[0]: {"nope": 1}}}), salvage=True)
    assert db.tables["A"] == {} and "No column nope" in db.warnings[0]
    with pytest.raises(DamagedFileError, match="No table named Z"):
        read_ovsdb_bytes(standalone({"Z": {U[0]: {}}}))


# ------------------------------------------------------------------ records
def test_the_tail_of_a_crashed_append_is_ignored_other_damage_is_an_error():
    good = standalone({"A": {U[0]: {"s": "a"}}})
    last = rec({"A": {U[0]: {"s": "b"}}})
    # the file ends inside its last record (an append cut short): read up to it, warned
    for tail in (last[:-10], last[:30], last[:1]):
        db = read_ovsdb_bytes(good + tail)
        assert db.tables["A"][U[0]]["s"] == "a"
        assert len(db.warnings) == 1 and "an append cut short" in db.warnings[0]
        assert f"record 2 at offset {len(good)}: the file ends inside" in db.warnings[0]
    # anything else: an error naming the offset; salvage reads what precedes it
    n = len(last) - last.index(b"\n") - 1
    shorter = last.replace(b" %d " % n, b" %d " % (n - 1), 1)
    for tail, why in ((last.replace(b'"b"', b'"c"'), "have SHA-1"),
                      (b"garbage\n", "not a record header line"),
                      (shorter + last, "have SHA-1")):
        with pytest.raises(DamagedFileError, match=f"offset {len(good)}: .*{why}"):
            read_ovsdb_bytes(good + tail)
        db = read_ovsdb_bytes(good + tail, salvage=True)
        assert db.tables["A"][U[0]]["s"] == "a", why
        assert len(db.warnings) == 1 and why in db.warnings[0]
    # without checksums a changed record is taken as it is
    db = read_ovsdb_bytes(good + last.replace(b'"b"', b'"c"'), verify_checksums=False)
    assert db.tables["A"][U[0]]["s"] == "c" and not db.warnings


def test_not_a_database(tmp_path):
    with pytest.raises(OvsdbFileError):
        read_ovsdb_bytes(b"")
    with pytest.raises(OvsdbFileError):
        read_ovsdb_bytes(b"OVSDB OTHER 2 " + b"0" * 40 + b"\n{}")
    with pytest.raises(OvsdbFileError):  # the first record must be a schema
        read_ovsdb_bytes(rec({"A": {}}))
    p = tmp_path / "x.db"
    p.write_bytes(b"hello\n")
    assert file_kind(p) is None
    p.write_bytes(standalone())
    assert file_kind(p) == "standalone"
    assert read_ovsdb_file(p).tables["A"] == {}


# ---------------------------------------------------------- big records
def test_reading_some_tables_of_a_big_record_parses_only_theirs(monkeypatch):
    """Top-level table keys are found in the raw bytes; strings that imitate them
    (a quote in a string is escaped) do not fool it, nor tables ending in a delete."""
    from ovnparse.db import ovsdb_file

    sliced = []
    real = ovsdb_file._sliced_txn
    monkeypatch.setattr(ovsdb_file, "_sliced_txn",
                        lambda *a: sliced.append(real(*a)) or sliced[-1])
    tricky = 'x}},"B":{"' + U[8] + '":{"name":"fake"}},"_date":1,"C":{'
    rows_a = {f"{i:08x}-1111-4111-8111-{i:012x}": {"s": tricky + str(i), "set": ["set", [
        'null},"B":{', '}},"C":{}', "ends}},", "ends null},"]]} for i in range(2000)}
    first = {"C": {}, "A": rows_a, "B": {U[0]: {"name": "b0"}, U[1]: {"name": "b1"}},
             "_comment": '"B":{"x":1}}', "_date": 5}
    second = {"A": {next(iter(rows_a)): {"s": "changed"}},
              "B": {U[0]: {"name": "b0'"}, U[1]: None}, "_is_diff": True}
    data = standalone(first, second)
    assert len(data) > 200_000
    full = read_ovsdb_bytes(data)
    for spec in (["B"], ["A"], ["C"], {"A": ["s"], "B": None}):
        part = read_ovsdb_bytes(data, spec)
        for t in part.tables:
            cols = part.columns[t]
            assert part.tables[t] == {
                u: {k: v for k, v in r.items() if cols is None or k in cols or k == "_uuid"}
                for u, r in full.tables[t].items()}, (spec, t)
    assert full.tables["B"] == {U[0]: {"_uuid": U[0], "name": "b0'"}}
    assert len(sliced) == 4 and None not in sliced  # no fallback to a whole parse
    # a big record that names no table asked for is not parsed at all
    db = read_ovsdb_bytes(standalone({"B": {U[0]: {}}}, {"A": rows_a}), ["B"])
    assert db.info["records_skipped"] == 1 and db.info["records_parsed"] == 1


def test_big_tables_are_parsed_in_pieces_cut_after_rows(monkeypatch):
    from ovnparse.db import ovsdb_file

    rows = {f"{i:08x}-1111-4111-8111-{i:012x}": {"s": f'}},"{i:08x}-1111-4111-8111-x":{{',
                                                 "map": ["map", [["k", str(i)]]]}
            for i in range(3000)}
    rows[U[0]] = None  # deletes: the table ends in null}
    data = standalone({"A": {U[0]: {}}}, {"A": rows, "B": {U[1]: {}}})
    whole = read_ovsdb_bytes(data)
    monkeypatch.setattr(ovsdb_file, "_CHUNK", 2000)
    pieces = []
    real = ovsdb_file._Chunked._pieces
    monkeypatch.setattr(ovsdb_file._Chunked, "_pieces",
                        lambda self: (pieces.append(1) or p for p in real(self)))
    sizes = []
    real_loads = _json.loads
    monkeypatch.setattr(_json, "loads", lambda b: sizes.append(len(b)) or real_loads(b))
    assert read_ovsdb_bytes(data, ["A", "C"]).tables["A"] == whole.tables["A"]
    assert len(whole.tables["A"]) == 3000 and U[0] not in whole.tables["A"]
    assert len(pieces) > 50 and max(sizes) < 10_000 < len(data) / 10
    # a wrong cut (here: a byte lost) is caught by the parser, and the record parsed whole
    monkeypatch.setattr(ovsdb_file._Chunked, "_pieces",
                        lambda self: (bytes(p)[1:] for p in real(self)))
    sizes.clear()
    db = read_ovsdb_bytes(data, ["A"])
    assert db.tables["A"] == whole.tables["A"] and not db.warnings
    assert max(sizes) > len(data) / 2


def test_gc_is_left_as_it_was():
    data = standalone({"A": {U[0]: {}}})
    assert gc.isenabled()
    read_ovsdb_bytes(data)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        read_ovsdb_bytes(data)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_stdlib_json_gives_the_same(tmp_path):
    data = standalone({"A": {U[0]: {"s": "é\u2603", "r": 2.5, "umap": ["map", [[1, ["uuid",
                                                                                   U[1]]]]]}}})
    a = read_ovsdb_bytes(data)
    _json.use_stdlib_json(True)
    try:
        b = read_ovsdb_bytes(data)
        assert b.info["json"] == "json"
    finally:
        _json.use_stdlib_json(False)
    assert a.tables == b.tables


# ------------------------------------------------------------------ raft
SID, CID = U[7], U[8]


def header(snapshot=None, index=0, **extra) -> dict:
    h = {"server_id": SID, "cluster_id": CID, "name": "Test",
         "local_address": "unix:/nonexistent", "prev_servers": {SID: "unix:/nonexistent"}}
    if snapshot is not None:
        h.update(prev_index=index, prev_term=1, prev_eid=U[6], prev_data=snapshot)
    h.update(extra)
    return h


def clustered(*records) -> bytes:
    return b"".join(rec(r, "CLUSTER") for r in records)


def entry(index, txn=None, schema=None, term=1):
    return {"term": term, "index": index, "eid": U[index % 9],
            "data": [schema, txn]}


def test_raft_snapshot_then_entries():
    data = clustered(
        header([SCHEMA, {"A": {U[0]: {"s": "snap"}}}], index=4),
        {"term": 2, "vote": SID}, {"term": 2, "leader": SID},
        {"term": 2, "index": 5},  # a no-op entry (no data)
        entry(6, {"A": {U[0]: {"s": "e6"}}, "_is_diff": True}, term=2),
        {"commit_index": 6},
        entry(7, {"B": {U[1]: {"name": "b"}}}, term=2),
        {"note": "transfer leadership"})
    db = read_ovsdb_bytes(data)
    assert db.format == "clustered" and not db.warnings
    assert db.tables["A"][U[0]]["s"] == "e6" and db.tables["B"][U[1]]["name"] == "b"
    assert db.info["snapshot_index"] == 4 and db.info["commit_index"] == 6
    assert db.info["last_index"] == 7 and db.info["entries_applied"] == 2


def test_raft_entry_rewriting_an_uncommitted_index_replaces_the_rest_of_the_log():
    data = clustered(
        header([SCHEMA, {}], index=1),
        entry(2, {"A": {U[0]: {"s": "old leader"}}}),
        entry(3, {"A": {U[1]: {"s": "old leader too"}}}),
        entry(2, {"A": {U[2]: {"s": "new leader"}}}, term=2))
    db = read_ovsdb_bytes(data)
    assert set(db.tables["A"]) == {U[2]} and db.info["last_index"] == 2
    # ... but not below the commit index
    data = clustered(header([SCHEMA, {}], index=1), entry(2, {"A": {U[0]: {}}}),
                     entry(3, {"A": {U[1]: {}}}), {"commit_index": 3},
                     entry(2, {"A": {U[2]: {}}}))
    with pytest.raises(DamagedFileError, match="record 4 at offset .*truncate the log"):
        read_ovsdb_bytes(data)
    db = read_ovsdb_bytes(data, salvage=True)
    assert set(db.tables["A"]) == {U[0], U[1]} and "truncate" in db.warnings[0]


def test_raft_schema_change_replaces_the_database():
    new_schema = json.loads(json.dumps(SCHEMA))
    new_schema["version"] = "1.3.0"
    del new_schema["tables"]["C"]
    data = clustered(header([SCHEMA, {"A": {U[0]: {}}, "C": {U[1]: {}}}], index=1),
                     entry(2, {"B": {U[2]: {"name": "converted"}}}, schema=new_schema))
    db = read_ovsdb_bytes(data)
    assert db.version == "1.3.0" and set(db.tables) == {"A", "B"}
    assert db.tables["A"] == {} and db.tables["B"][U[2]]["name"] == "converted"


def test_raft_files_that_hold_no_database():
    with pytest.raises(OvsdbFileError, match="not joined"):
        read_ovsdb_bytes(clustered({"server_id": SID, "name": "Test",
                                    "local_address": "unix:/x",
                                    "remote_addresses": ["unix:/y"]}))
    with pytest.raises(OvsdbFileError, match="raft header"):
        read_ovsdb_bytes(clustered({"name": "Test"}))


def test_raft_big_entries_of_other_tables_are_skipped():
    big = {"A": {f"{i:08x}-1111-4111-8111-{i:012x}": {"s": "x" * 50} for i in range(2000)}}
    data = clustered(header([SCHEMA, {"B": {U[0]: {"name": "b"}}}], index=1),
                     entry(2, big), entry(3, {"B": {U[0]: {"name": "b2"}}, "_is_diff": True}),
                     entry(4, big | {"_is_diff": True}))
    part = read_ovsdb_bytes(data, ["B"])
    assert part.tables == {"B": {U[0]: {"_uuid": U[0], "name": "b2"}}}
    assert part.info["entries_skipped"] == 2 and part.info["last_index"] == 4
    full = read_ovsdb_bytes(data)
    assert full.tables["B"] == part.tables["B"] and len(full.tables["A"]) == 2000


def test_schema_round_trip():
    s = Schema.from_json(SCHEMA)
    assert s.name == "Test" and set(s.tables) == {"A", "B", "C"}
    assert s.tables["A"].columns["umap"].value_ref_table == "B"
    assert "tables" not in repr(s)


@pytest.mark.parametrize("order", ["prev_data first", "prev_data last", "in the middle"])
def test_raft_big_snapshot_read_without_parsing_unwanted_tables(order, monkeypatch):
    from ovnparse.db import ovsdb_file

    splits = []
    real = ovsdb_file._split_raft_header
    monkeypatch.setattr(ovsdb_file, "_split_raft_header",
                        lambda *a: splits.append(real(*a)) or splits[-1])
    big = {f"{i:08x}-1111-4111-8111-{i:012x}": {"s": '}]"x' * 10} for i in range(2000)}
    snap = [SCHEMA, {"A": big, "B": {U[0]: {"name": "b"}}, "_comment": "x}]"}]
    h = header(snap, index=3)
    keys = list(h)
    if order == "prev_data first":
        keys.remove("prev_data")
        keys.insert(0, "prev_data")
    elif order == "in the middle":
        keys.remove("prev_data")
        keys.insert(2, "prev_data")
    h = {k: h[k] for k in keys}
    data = clustered(h, entry(4, {"B": {U[0]: {"name": "b4"}}, "_is_diff": True}))
    full = read_ovsdb_bytes(data)
    assert splits == []  # every table asked for: the header is parsed whole
    part = read_ovsdb_bytes(data, ["B"])
    assert splits and splits[-1] is not None and splits[-1][0]["server_id"] == SID
    assert part.tables == {"B": full.tables["B"]} == {"B": {U[0]: {"_uuid": U[0], "name": "b4"}}}
    assert part.info["snapshot_index"] == 3 and part.info["cluster_id"] == CID
    assert read_ovsdb_bytes(data, ["A"]).tables["A"] == full.tables["A"]
