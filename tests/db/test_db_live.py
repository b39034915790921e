"""LiveSource: a live ovsdb-server read with select-only JSON-RPC gives what the files give.

The servers are real (``OvnSandbox.serve_files``: ovsdb-servers only, serving private
copies of the sample snapshots; a clustered copy served as a one-member cluster; a
two-member cluster for leader-only); the expected rows come from the file reader
(``FileSource``), itself proven against ovsdb-server in ``test_db_file.py``.  Protocol
corners (a server that never answers, one that probes with ``echo``) use a small fake
server on a unix socket.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.db import DbIndex, FileSource, file_kind, open_source
from ovnparse.db import live as live_mod
from ovnparse.db.live import (LiveSource, LiveSourceError, LiveTimeoutError, ReadOnlyViolation,
                              _FastFramer, _Framer, check_read_only, is_remote, open_database)
from ovnparse.db.databases import Databases
from ovnparse.sandbox import OvnSandbox, missing_tools

from conftest import SAMPLES

BASE = SAMPLES / "db" / "base"
NEEDS_OVS = pytest.mark.skipif(
    bool(missing_tools(["ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovn-nbctl",
                        "ovn-sbctl"])), reason="OVS/OVN not installed")


# ------------------------------------------------------------------ pure pieces
def test_framer_cuts_messages_at_every_split():
    msgs = [{"id": 1, "result": [{"rows": [{"a": "}{\"\\", "b": ["map", [["k{", "v}"]]]}]}],
             "error": None},
            {"method": "echo", "params": [], "id": "echo"},
            {"id": 2, "result": ["x\\\\", "\"}"], "error": None}]
    data = b"  ".join(json.dumps(m).encode() for m in msgs) + b"\n"
    for cut in range(1, len(data)):
        for step in (cut, 1) if cut < 8 else (cut,):
            f = _Framer()
            out = []
            for i in range(0, len(data), step):
                f.feed(data[i:i + step])
                while (m := f.next_message()) is not None:
                    out.append(json.loads(m))
            assert out == msgs, (cut, step)
            # the fast framer: the same messages, parsed
            f = _FastFramer()
            out = []
            for i in range(0, len(data), step):
                f.feed(data[i:i + step])
                while (m := f.next_object()) is not None:
                    out.append(m)
            assert out == msgs, ("fast", cut, step)


def test_fast_framer_on_one_reply_at_a_time():
    """The usual case: each reply alone, cut anywhere; strings full of braces, quotes
    and backslashes (OVN matches and actions have them all)."""
    texts = ['ct_commit { ct_mark.blocked = 1; };', 'inport == "a\\"', '\\', '\\\\"{',
             '}}}', '"', '', 'x\\\\', '{"}', 'é ☃ \u0000']
    for n in range(len(texts)):
        msg = {"id": n, "result": [{"rows": [{"_uuid": ["uuid", "x"], "match": t,
                                              "external_ids": ["map", [[t, t[::-1]]]]}
                                             for t in texts[n:] + texts[:n]]}], "error": None}
        data = json.dumps(msg, ensure_ascii=n % 2 == 0).encode()
        for cut in range(1, len(data)):
            f = _FastFramer()
            f.feed(data[:cut])
            assert f.next_object() is None, (n, cut)
            f.feed(data[cut:])
            assert f.next_object() == msg and f.next_object() is None, (n, cut)


def test_read_only_requests_only():
    check_read_only("list_dbs", [])
    check_read_only("transact", ["OVN_Southbound", {"op": "select", "table": "Chassis",
                                                    "where": []}])
    for method, params in [("transact", ["DB", {"op": "insert", "table": "T", "row": {}}]),
                           ("transact", ["DB", {"op": "select", "table": "T", "where": []},
                                         {"op": "delete", "table": "T", "where": []}]),
                           ("transact", ["DB", {"op": "comment", "comment": "x"}]),
                           ("transact", ["DB"]),
                           ("monitor", ["DB", None, {}]), ("monitor_cond", []),
                           ("lock", ["x"]), ("convert", []), ("set_db_change_aware", [True])]:
        with pytest.raises(ReadOnlyViolation):
            check_read_only(method, params)


def test_remote_specs():
    assert is_remote("unix:/run/ovn/ovnsb_db.sock")
    assert is_remote("ssl:10.0.0.1:6642,ssl:10.0.0.2:6642, tcp:[::1]:6642")
    assert not is_remote("sb.db") and not is_remote("unix:") and not is_remote("x:y")
    assert live_mod._parse_address("[fd00::1]:6641", "r") == ("fd00::1", 6641)
    assert live_mod._parse_address("ovnkube-db", "r") == ("ovnkube-db", 6640)
    assert live_mod._parse_address("fd00::1", "r") == ("fd00::1", 6640)
    with pytest.raises(ValueError, match="passive"):
        LiveSource("ptcp:6641")
    with pytest.raises(ValueError, match="passive"):
        open_database("punix:/tmp/x.sock")
    with pytest.raises(ValueError, match="not an OVSDB remote"):
        LiveSource("unix:/a,sb.db")
    with pytest.raises(LiveSourceError, match="private key, a certificate and a CA"):
        srv = socket.create_server(("127.0.0.1", 0))
        try:
            LiveSource(f"ssl:127.0.0.1:{srv.getsockname()[1]}", timeout=2)
        finally:
            srv.close()


def test_open_database_files():
    src = open_database(BASE / "sb.db")
    assert isinstance(src, FileSource) and src.schema_name == "OVN_Southbound"
    assert open_database(str(BASE / "nb.db"), database="OVN_Northbound").schema_name \
        == "OVN_Northbound"
    with pytest.raises(ValueError, match="not OVN_Northbound"):
        open_database(BASE / "sb.db", database="OVN_Northbound")
    with pytest.raises(FileNotFoundError):
        open_database("no/such/sb.db")


# ------------------------------------------------------------------ a fake server
class FakeServer:
    """A unix-socket OVSDB server that answers as told and records every request."""

    def __init__(self, path: Path, *, answer: bool = True, leader: bool = True,
                 model: str = "clustered", probe: bool = False, hang_up_after: int = 0):
        self.path, self.answer, self.leader, self.model, self.probe = \
            path, answer, leader, model, probe
        self.hang_up_after = hang_up_after  # close each connection after this many replies
        self.connections = 0
        self.requests: list[dict] = []
        self.echo_replies: list[dict] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.remote = f"unix:{path}"
        self.schema = json.loads(Path("/usr/share/ovn/ovn-sb.ovsschema").read_text()) \
            if Path("/usr/share/ovn/ovn-sb.ovsschema").exists() else \
            {"name": "OVN_Southbound", "version": "1", "tables": {"Chassis": {"columns": {
                "name": {"type": "string"}}}}}
        self._stop = False
        if answer:
            self.thread = threading.Thread(target=self._serve, daemon=True)
            self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        f = _Framer()
        self.connections += 1
        replies = 0
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                f.feed(data)
                while (raw := f.next_message()) is not None:
                    msg = json.loads(raw)
                    if "method" not in msg:
                        self.echo_replies.append(msg)
                        continue
                    self.requests.append(msg)
                    conn.sendall(json.dumps(self._reply(msg, conn)).encode())
                    replies += 1
                    if replies == self.hang_up_after:
                        return

    def _reply(self, msg, conn):
        m, p = msg["method"], msg["params"]
        if self.probe:  # an inactivity probe first, as ovsdb-server sends on tcp/ssl
            conn.sendall(b'{"method":"echo","params":[],"id":"echo"}')
        if m == "list_dbs":
            return {"id": msg["id"], "result": ["OVN_Southbound", "_Server"], "error": None}
        if m == "get_schema":
            return {"id": msg["id"], "result": self.schema, "error": None}
        if m == "transact" and p[0] == "_Server":
            row = {"name": "OVN_Southbound", "model": self.model, "connected": True,
                   "leader": self.leader, "index": ["set", []]}
            return {"id": msg["id"], "result": [{"rows": [row]}], "error": None}
        if m == "transact":
            return {"id": msg["id"], "result": [{"rows": []} for _ in p[1:]], "error": None}
        return {"id": msg["id"], "result": None, "error": f"unknown method {m}"}

    def close(self):
        self._stop = True
        self.sock.close()


@pytest.fixture
def fake(tmp_path):
    servers = []

    def make(name="s", **kw):
        s = FakeServer(tmp_path / f"{name}.sock", **kw)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.close()


def test_a_server_that_does_not_answer_times_out(fake):
    mute = fake("mute", answer=False)  # listens, never accepts nor answers
    t0 = time.monotonic()
    with pytest.raises(LiveTimeoutError, match=r"mute\.sock: no answer to list_dbs within 0\.5 s"):
        LiveSource(mute.remote, timeout=0.5)
    assert time.monotonic() - t0 < 1.5
    # a TCP listener that never accepts: the same
    srv = socket.create_server(("127.0.0.1", 0), backlog=1)
    try:
        t0 = time.monotonic()
        with pytest.raises(LiveTimeoutError, match="within 0.5 s"):
            open_database(f"tcp:127.0.0.1:{srv.getsockname()[1]}", timeout=0.5)
        assert time.monotonic() - t0 < 1.5
    finally:
        srv.close()


def test_nothing_listening_is_a_clear_error(tmp_path):
    with pytest.raises(LiveSourceError, match=r"gone\.sock: cannot connect"):
        LiveSource(f"unix:{tmp_path / 'gone.sock'}", timeout=1)
    port = socket.create_server(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    with pytest.raises(LiveSourceError, match="cannot connect"):
        LiveSource(f"tcp:127.0.0.1:{free}", timeout=1)


def test_leader_only_moves_to_the_leader(fake):
    follower = fake("follower", leader=False)
    leader = fake("leader", leader=True)
    src = LiveSource(f"{follower.remote},{leader.remote}", timeout=2)
    assert src.remote == leader.remote and src.server["leader"] is True
    assert [r["method"] for r in follower.requests] == ["list_dbs", "transact"]
    assert src.rows("Chassis") == {}
    # --no-leader-only: the first member will do
    src = LiveSource(f"{follower.remote},{leader.remote}", timeout=2, leader_only=False)
    assert src.remote == follower.remote
    # no leader at all: tried again until the timeout, then a clear error
    t0 = time.monotonic()
    with pytest.raises(LiveSourceError, match="not the cluster leader"):
        LiveSource(follower.remote, timeout=0.6)
    assert 0.4 < time.monotonic() - t0 < 1.5
    # a standalone server is always good
    assert LiveSource(fake("alone", leader=False, model="standalone").remote).remote


def test_echo_probes_are_answered(fake):
    srv = fake("probe", probe=True)
    src = LiveSource(srv.remote, timeout=2)
    src.rows("Chassis", ["name"])
    time.sleep(0.05)
    assert srv.echo_replies and all(r == {"result": [], "error": None, "id": "echo"}
                                    for r in srv.echo_replies)
    methods = [r["method"] for r in srv.requests]
    assert methods == ["list_dbs", "transact", "get_schema", "transact"]


def test_a_connection_the_server_closed_is_opened_again_once(fake):
    srv = fake("hangup", hang_up_after=4)  # list_dbs, _Server, get_schema, one select
    src = LiveSource(srv.remote, timeout=2)
    assert src.rows("Chassis", ["name"]) == {}
    assert src.rows("Logical_Flow", ["match"]) == {}  # the server had hung up: reconnected
    assert srv.connections == 2
    assert [r["method"] for r in srv.requests] == ["list_dbs", "transact", "get_schema",
                                                   "transact", "list_dbs", "transact",
                                                   "transact"]


def test_every_request_the_fake_server_saw_was_read_only(fake):
    srv = fake("ro")
    src = LiveSource(srv.remote, timeout=2)
    src.prefetch(None)
    src.rows_by_uuid_prefix("Logical_Flow", ["0x1234", "abcd"])
    for r in srv.requests:
        check_read_only(r["method"], r["params"])
    with pytest.raises(ReadOnlyViolation):  # the one door refuses, nothing is sent
        src._conn.request("transact", ["OVN_Southbound", {"op": "delete", "table": "Chassis",
                                                          "where": []}])
    n = len(srv.requests)
    time.sleep(0.05)
    assert len(srv.requests) == n


# ---------------------------------------------------------- the real ovsdb-server
@pytest.fixture(scope="module")
def served():
    if missing_tools(["ovsdb-tool", "ovsdb-server", "ovn-nbctl", "ovn-sbctl"]):
        pytest.skip("OVS/OVN not installed")
    box = OvnSandbox.serve_files(nb=BASE / "nb.db", sb=BASE / "sb.db")
    try:
        yield box
    finally:
        box.stop()
    for pid in box.started_pids.values():
        assert not Path(f"/proc/{pid}/cmdline").exists() or not Path(
            f"/proc/{pid}/cmdline").read_bytes()


@NEEDS_OVS
@pytest.mark.sandbox
@pytest.mark.parametrize("which", ["nb", "sb"])
def test_every_table_and_column_as_the_file_gives_them(served, which):
    remote = served.nb_remote if which == "nb" else served.sb_remote
    with LiveSource(remote, timeout=5) as live:
        files = FileSource(BASE / f"{which}.db")
        files.prefetch(None)
        assert (live.schema_name, live.schema_version) == (files.schema_name,
                                                           files.schema_version)
        assert live.server["model"] == "standalone"
        assert live.tables() == files.tables()
        live.prefetch(None)
        assert live.stats["requests"] == 4  # list_dbs, _Server, get_schema, one transact
        for t in files.tables():
            assert live.rows(t) == files.rows(t), t
        assert live.stats["requests"] == 4
    # some columns only: exactly those (and _uuid), the same values
    with LiveSource(remote, timeout=5) as live:
        for t in files.tables():
            cols = sorted(files.schema.tables[t].columns)[::2]
            got = live.rows(t, cols)
            assert got == {u: {"_uuid": u, **{c: r[c] for c in cols}}
                           for u, r in files.rows(t).items()}, t


@NEEDS_OVS
@pytest.mark.sandbox
def test_open_database_of_a_remote(served):
    src = open_database(served.sb_remote, database="OVN_Southbound",
                        tables=["Datapath_Binding"])
    assert isinstance(src, LiveSource) and src.database == "OVN_Southbound"
    assert src.stats["requests"] == 4
    with pytest.raises(LiveSourceError, match="serves no database 'OVN_Northbound'"):
        open_database(served.sb_remote, database="OVN_Northbound")
    with pytest.raises(KeyError):
        src.rows("No_Such_Table")


def _index_view(index: DbIndex) -> dict:
    """Every answer an index gives for the keys it holds."""
    out = {}
    for which, pmap in (("sb", index._sb_map), ("nb", index._nb_map)):
        for key in pmap.keys:
            m = index.cookie("0x" + key) if which == "sb" else index.nb_prefix(key)
            out[(which, key)] = [(r.table, r.uuid, dict(r.row)) for r in m]
    for uuid, row in index.table("Logical_Flow").items():
        out[("dp", uuid)] = [(d.uuid, d.name, d.tunnel_key) for d in index.datapaths(row)]
        out[("hint", uuid)] = [(r.table, r.uuid) for r in index.stage_hint(row)]
    out["collisions"] = sorted(index.collisions())
    return out


@NEEDS_OVS
@pytest.mark.sandbox
def test_db_index_over_live_equals_over_files(served):
    files = DbIndex(open_source(BASE / "sb.db"), open_source(BASE / "nb.db"))
    with LiveSource(served.sb_remote) as sb, LiveSource(served.nb_remote) as nb:
        live = DbIndex(sb, nb)
        assert sb.stats["requests"] == 4 and nb.stats["requests"] == 4
        assert _index_view(live) == _index_view(files)
        # and explain --nb --sb's library path gives the same answers for every sample
        live_db, files_db = Databases(sb, nb), Databases(files.sb, files.nb)
        manifest = json.loads((SAMPLES / "manifest.json").read_text())
        n = 0
        for s in manifest["scenarios"]:
            if s["db_state"] != "base":
                continue
            for c in s["commands"]:
                for trace in api.parse(str(SAMPLES / c["file"])):
                    a = trace.explain(live_db).to_dict()
                    b = trace.explain(files_db).to_dict()
                    assert a == b, c["file"]
                    n += a.get("drop") is not None and (a["drop"] or {}).get("acl") is not None
        assert n > 0


@NEEDS_OVS
@pytest.mark.sandbox
def test_rows_by_uuid_prefix_fetches_only_those_rows(served):
    files = FileSource(BASE / "sb.db").rows("Logical_Flow")
    uuids = sorted(files)
    picked = uuids[::97][:6]
    cols = ["match", "actions", "logical_datapath", "external_ids"]
    with LiveSource(served.sb_remote) as live:
        base = dict(live.stats)
        prefixes = [picked[0][:8], "0x" + picked[1][:8], int(picked[2][:8], 16),
                    picked[3], picked[4][:13], picked[5][:4], "ffffffff", 0x1_0000_0000]
        got = live.rows_by_uuid_prefix("Logical_Flow", prefixes, cols)
        want = {u for u in uuids if u.startswith((picked[0][:8], picked[1][:8], picked[2][:8],
                                                  picked[3], picked[4][:13], picked[5][:4],
                                                  "ffffffff"))}
        assert set(got) == want and len(want) >= 6
        for u in want:
            assert got[u] == {"_uuid": u, **{c: files[u][c] for c in cols}}
        # two requests: the _uuid column, then one select a row
        methods = live.requests[-2:]
        assert methods[0][2] == [("Logical_Flow", ["_uuid"], [])]
        assert sorted(w[0][2][1] for _, _, w in methods[1][2]) == sorted(want)
        assert live.stats["rows_received"] - base["rows_received"] == len(uuids) + len(want)
        fetched = live.stats["bytes_received"] - base["bytes_received"]
        # much less than one select of those columns of the whole table
        live.rows("Logical_Flow", cols)
        whole = live.stats["bytes_received"] - base["bytes_received"] - fetched
        assert fetched < whole / 3, (fetched, whole)
        # once the table is read, from the cache
        n = live.stats["requests"]
        assert live.rows_by_uuid_prefix("Logical_Flow", [picked[0][:8]], cols) == \
            {u: got[u] for u in got if u.startswith(picked[0][:8])}
        assert live.stats["requests"] == n
        with pytest.raises(ValueError):
            live.rows_by_uuid_prefix("Logical_Flow", ["xyz"])


class _ClusterBox(OvnSandbox):
    """Serves a clustered file as a cluster (the sandbox would convert it)."""

    def _prepare_db(self, target, schema, source):
        if source is not None and file_kind(source) == "clustered":
            shutil.copyfile(source, target)
            return
        super()._prepare_db(target, schema, source)

    def sbctl(self, *args, **kw):
        if args == ("init",) and getattr(self, "joining", False):
            return ""  # a joining member has no database until it caught up
        return super().sbctl(*args, **kw)


class _JoiningBox(_ClusterBox):
    joining = True


@NEEDS_OVS
@pytest.mark.sandbox
def test_a_clustered_database_leader_only(tmp_path):
    cluster = tmp_path / "sb.db"
    subprocess.run(["ovsdb-tool", "create-cluster", str(cluster), str(BASE / "sb.db"),
                    f"unix:{tmp_path / 'sb.raft'}"], check=True, capture_output=True)
    box = _ClusterBox.serve_files(nb=BASE / "nb.db", sb=cluster)
    try:
        with LiveSource(box.sb_remote, timeout=10) as live:  # waits for the election
            assert live.server["model"] == "clustered" and live.server["leader"] is True
            files = FileSource(cluster)
            files.prefetch(None)
            live.prefetch(None)
            for t in files.tables():
                assert live.rows(t) == files.rows(t), t
    finally:
        box.stop()


@NEEDS_OVS
@pytest.mark.sandbox
def test_a_follower_is_skipped_unless_no_leader_only(tmp_path):
    """A two-member cluster: the second member joins as a follower."""
    first = tmp_path / "a" / "sb.db"
    first.parent.mkdir()
    raft_a, raft_b = f"unix:{tmp_path / 'a.raft'}", f"unix:{tmp_path / 'b.raft'}"
    subprocess.run(["ovsdb-tool", "create-cluster", str(first), str(BASE / "sb.db"), raft_a],
                   check=True, capture_output=True)
    a = _ClusterBox.serve_files(nb=BASE / "nb.db", sb=first, workdir=tmp_path / "a")
    b = None
    try:
        LiveSource(a.sb_remote, timeout=10).close()  # a is leader
        second = tmp_path / "b.db"
        subprocess.run(["ovsdb-tool", "join-cluster", str(second), "OVN_Southbound", raft_b,
                        raft_a], check=True, capture_output=True)
        b = _JoiningBox.serve_files(nb=BASE / "nb.db", sb=second, workdir=tmp_path / "b")
        deadline = time.monotonic() + 10
        while True:  # until b has joined and caught up
            try:
                with LiveSource(b.sb_remote, leader_only=False, timeout=2) as follower:
                    if len(follower.rows("Logical_Flow", ["priority"])) > 600:
                        break
            except LiveSourceError:
                pass
            assert time.monotonic() < deadline, "the second member never caught up"
            time.sleep(0.2)
        assert follower.server["leader"] is False
        with pytest.raises(LiveSourceError, match="not the cluster leader"):
            LiveSource(b.sb_remote, timeout=0.5)
        with LiveSource(f"{b.sb_remote},{a.sb_remote}", timeout=5) as live:
            assert live.remote == a.sb_remote and live.server["leader"] is True
    finally:
        if b is not None:
            b.stop()
        a.stop()


# ----------------------------------------------------------------------- ssl:
def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _pki(d: Path) -> None:
    """A CA, and a server and a client certificate it signed (EC keys: quick)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2",
                 "-subj", f"/CN={ca}", cwd=d)
    for who in ("server", "client"):
        _openssl("req", *ec, "-keyout", f"{who}.key", "-out", f"{who}.csr", "-subj",
                 f"/CN={who}", cwd=d)
        _openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{who}.pem", "-days", "2", cwd=d)


class _TlsBox(OvnSandbox):
    """The Southbound server listens on pssl: too."""

    pki: Path
    port: int

    def _start_daemon(self, name, extra):
        if name == "sb":
            extra = [*extra, f"--remote=pssl:{self.port}:127.0.0.1",
                     f"--private-key={self.pki / 'server.key'}",
                     f"--certificate={self.pki / 'server.pem'}",
                     f"--ca-cert={self.pki / 'ca.pem'}"]
        return super()._start_daemon(name, extra)


@NEEDS_OVS
@pytest.mark.sandbox
@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_ssl_remote(tmp_path):
    _pki(tmp_path)
    probe = socket.create_server(("127.0.0.1", 0))
    _TlsBox.port = probe.getsockname()[1]
    probe.close()
    _TlsBox.pki = tmp_path
    box = _TlsBox.serve_files(nb=BASE / "nb.db", sb=BASE / "sb.db")
    try:
        remote = f"ssl:127.0.0.1:{_TlsBox.port}"
        tls = {"private_key": tmp_path / "client.key", "certificate": tmp_path / "client.pem",
               "ca_cert": tmp_path / "ca.pem"}
        deadline = time.monotonic() + 5
        while True:  # the listener may come up just after the daemon detached
            try:
                src = open_database(remote, **tls)
                break
            except LiveSourceError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with src:
            assert isinstance(src, LiveSource) and src.database == "OVN_Southbound"
            assert src.rows("Logical_Flow") == FileSource(BASE / "sb.db").rows("Logical_Flow")
        # a server whose certificate another CA signed: refused, clearly
        with pytest.raises(LiveSourceError, match="TLS handshake failed"):
            LiveSource(remote, timeout=3, **{**tls, "ca_cert": tmp_path / "other-ca.pem"})
        with pytest.raises(LiveSourceError, match="cannot load the TLS"):
            LiveSource(remote, timeout=3, **{**tls, "certificate": tmp_path / "nothing.pem"})
    finally:
        box.stop()
