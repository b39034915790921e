"""Failing databases: each fault ends in time, in one clear DatabaseError, and changes nothing.

Servers: real ``ovsdb-server``s (``OvnSandbox.serve_files``) where a real server can
show the fault (not started, killed, permission denied, another database), and
small hostile servers of this file's own (threads on unix sockets in a private
directory, stopped and joined by each test) for what no real server does (silence,
a byte at a time, garbage, other ids, an endless or malformed reply, another
schema under the name asked for, a follower).  Files: real databases written by
``ovsdb-server``/``ovsdb-tool`` and the tools, then damaged here in one way each.

Each case: the expected exception class and message (written from the
specification: the OVSDB file format of ``ovsdb/log.c`` and RFC 7047, not from
the code's output), a call that ends within its timeout + 2 s, no server left
running, and input files unchanged (size, mtime, SHA-256).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ovnparse.db import open_database_for
from ovnparse.db.errors import (DamagedFileError, DatabaseError, LiveDisconnected,
                                LiveProtocolError, LiveSourceError, LiveTimeoutError,
                                LiveWrongSchema, OvsdbFileError, WrongSchemaError)
from ovnparse.db.source import FileSource
from ovnparse.sandbox import OvnSandbox, missing_tools

from conftest import ROOT, SAMPLES, process_alive

BASE = SAMPLES / "db" / "base"
SB_SCHEMA = Path("/usr/share/ovn/ovn-sb.ovsschema")
NB_SCHEMA = Path("/usr/share/ovn/ovn-nb.ovsschema")
VSWITCH_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
TIMEOUT = 1.0  # every live case's timeout (s); each must end within TIMEOUT + 2 s
NEEDS_OVS = pytest.mark.skipif(
    bool(missing_tools(["ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovn-nbctl",
                        "ovn-sbctl"])) or not SB_SCHEMA.exists(), reason="OVS/OVN not installed")
pytestmark = NEEDS_OVS
U1 = "6f7c4f3e-2bd5-4c36-9d38-8d0f4b47a001"


# ------------------------------------------------------------------ helpers
def run_bounded(call, limit: float = TIMEOUT + 2) -> dict:
    """Run *call* in a thread; fail unless it ends within *limit* seconds."""
    out: dict = {}

    def target():
        t0 = time.monotonic()
        try:
            out["value"] = call()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e
        out["elapsed"] = time.monotonic() - t0

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(limit)
    assert not t.is_alive(), f"still running after {limit} s"
    return out


def expect(call, cls, pattern: str, limit: float = TIMEOUT + 2) -> DatabaseError:
    """The call raises *cls*, a DatabaseError whose one-line message matches *pattern*."""
    out = run_bounded(call, limit)
    err = out.get("error")
    assert isinstance(err, cls), f"expected {cls.__name__}, got {err!r} / {out.get('value')!r}"
    assert isinstance(err, DatabaseError) and err.exit_status == 3
    text = str(err)
    assert "\n" not in text and text == f"{err.source}: {err.message}"
    assert re.search(pattern, text), text
    return err


def fingerprint(paths) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns,
                     hashlib.sha256(p.read_bytes()).hexdigest()) for p in paths}


def records(data: bytes) -> list[tuple[int, int, int]]:
    """(header offset, body start, body end) of each record, from the headers (RFC-free:
    ``OVSDB <magic> <length> <sha1>\\n`` then <length> bytes, as ovsdb/log.c writes)."""
    out, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        length = int(data[pos:nl].split()[2])
        out.append((pos, nl + 1, nl + 1 + length))
        pos = nl + 1 + length
    return out


def rehashed(data: bytes, k: int, body: bytes) -> bytes:
    """*data* with record *k*'s body replaced by *body*, its header rewritten to match
    (a writer's bug, not a disk's: length and SHA-1 right, the content wrong)."""
    off, start, end = records(data)[k]
    magic = data[off:start].split()[1]
    head = b"OVSDB %s %d %s\n" % (magic, len(body), hashlib.sha1(body).hexdigest().encode())
    return data[:off] + head + body + data[end:]


# ------------------------------------------------------------------ real databases
class _ClusterBox(OvnSandbox):
    """Serves a clustered file as a one-member cluster (the sandbox would convert it)."""

    def _prepare_db(self, target, schema, source):
        if source is not None and source.suffix == ".cluster":
            shutil.copyfile(source, target)
            return
        super()._prepare_db(target, schema, source)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Real files: an NB with a log of transactions, a clustered SB with log entries,
    a conf.db, the tools' JSON and lflow-list text; and a server serving NB and SB."""
    d = tmp_path_factory.mktemp("dbfaults")
    files = {"sb": d / "sb.db", "nb_base": d / "nb-base.db"}
    shutil.copyfile(BASE / "sb.db", files["sb"])
    shutil.copyfile(BASE / "nb.db", files["nb_base"])
    subprocess.run(["ovsdb-tool", "create", str(d / "conf.db"), str(VSWITCH_SCHEMA)],
                   check=True, capture_output=True)
    files["conf"] = d / "conf.db"
    box = OvnSandbox.serve_files(nb=BASE / "nb.db", sb=BASE / "sb.db", workdir=d / "box")
    try:
        for i in range(4):  # each a transaction: a record appended to the NB's file
            box.nbctl("ls-add", f"faults-ls{i}")
        box.nbctl("ls-del", "faults-ls0")
        files["nb"] = d / "nb.db"
        shutil.copyfile(box.nb_db_path, files["nb"])
        (d / "nb-dump.json").write_text(box.run(["ovsdb-client", "--format=json", "dump",
                                                 box.nb_remote]))
        files["nb_dump"] = d / "nb-dump.json"
        (d / "ACL.json").write_text(box.nbctl("--format=json", "list", "ACL"))
        files["acl_json"] = d / "ACL.json"
        (d / "lflows.txt").write_text(box.sbctl("--uuid", "lflow-list"))
        files["lflows"] = d / "lflows.txt"
        yield {"dir": d, "files": files, "box": box}
    finally:
        box.stop()
    for pid in box.started_pids.values():
        assert not process_alive(pid)


@pytest.fixture(scope="module")
def clustered(made):
    """A clustered Southbound: the snapshot in the raft header, then log entries written
    by the one-member cluster serving it."""
    d = made["dir"]
    src = d / "sb.cluster"
    subprocess.run(["ovsdb-tool", "create-cluster", str(src), str(BASE / "sb.db"),
                    f"unix:{d / 'sb.raft'}"], check=True, capture_output=True)
    box = _ClusterBox.serve_files(nb=BASE / "nb.db", sb=src, workdir=d / "cbox")
    try:
        for i in range(3):
            box.sbctl("--timeout=10", "chassis-add", f"faults-ch{i}", "geneve", f"10.9.0.{i}")
        out = d / "sb-clustered.db"
        shutil.copyfile(box.sb_db_path, out)
    finally:
        box.stop()
    for pid in box.started_pids.values():
        assert not process_alive(pid)
    return out


class Inputs:
    """The files a test reads: the module's real ones and the damaged copies it writes;
    every one must be as it was at the end."""

    def __init__(self, made, tmp_path: Path):
        self.dir = tmp_path
        self.prints = fingerprint(p for p in made["dir"].iterdir() if p.is_file())

    def copy(self, data: bytes, name: str) -> Path:
        p = self.dir / name
        p.write_bytes(data)
        os.utime(p, (1_000_000_000, 1_000_000_000))
        self.prints.update(fingerprint([p]))
        return p

    def check(self) -> None:
        assert fingerprint(Path(p) for p in self.prints) == self.prints


@pytest.fixture
def unchanged(made, tmp_path):
    inputs = Inputs(made, tmp_path)
    yield inputs
    inputs.check()


# ----------------------------------------------------------- saved files: damage


def test_the_real_files_open_for_their_roles(made, clustered, unchanged):
    f = made["files"]
    for spec, role in ((f["sb"], "OVN_Southbound"), (f["nb"], "OVN_Northbound"),
                       (f["conf"], "Open_vSwitch"), (clustered, "OVN_Southbound"),
                       (f["nb_dump"], "OVN_Northbound"), (f["acl_json"], "OVN_Northbound"),
                       (f["lflows"], "OVN_Southbound")):
        src = run_bounded(lambda: open_database_for(spec, role, tables=None))["value"]
        assert src.schema_name == role and not src.warnings, (spec, src.warnings)
    # the grown NB and the cluster hold what was written to them
    nb = open_database_for(f["nb"], "OVN_Northbound")
    assert {r["name"] for r in nb.rows("Logical_Switch").values()} >= \
        {"faults-ls1", "faults-ls2", "faults-ls3"}
    sb = open_database_for(clustered, "OVN_Southbound", tables=["Chassis"])
    assert {"faults-ch0", "faults-ch2"} <= {r["name"] for r in sb.rows("Chassis").values()}


@pytest.mark.parametrize("spec,role,found", [
    ("nb", "OVN_Southbound", "OVN_Northbound"),
    ("sb", "OVN_Northbound", "OVN_Southbound"),
    ("conf", "OVN_Southbound", "Open_vSwitch"),
    ("conf", "OVN_Northbound", "Open_vSwitch"),
    ("nb_dump", "OVN_Southbound", "OVN_Northbound"),
    ("acl_json", "OVN_Southbound", "OVN_Northbound"),
    ("lflows", "OVN_Northbound", "OVN_Southbound"),
])
def test_the_wrong_database_for_a_role_is_refused(made, unchanged, spec, role, found):
    path = made["files"][spec]
    err = expect(lambda: open_database_for(path, role), WrongSchemaError,
                 rf"^{re.escape(str(path))}: .*{found}.*, not {role}")
    assert err.expected == role


def test_tools_json_named_after_no_table_is_refused(made, unchanged):
    p = unchanged.copy(made["files"]["acl_json"].read_bytes(), "acls.json")
    expect(lambda: open_database_for(p, "OVN_Northbound"), WrongSchemaError,
           r"acls\.json: not OVN_Northbound tables \(no table acls: name the file after")


def test_missing_directory_and_unreadable_files(made, unchanged, tmp_path):
    expect(lambda: open_database_for(tmp_path / "nothing.db", "OVN_Southbound"), DatabaseError,
           r"nothing\.db: no such file \(nor a remote")
    expect(lambda: open_database_for(tmp_path, "OVN_Southbound"), DatabaseError,
           r": a directory, not a database file$")
    readme = unchanged.copy(b"hello\n", "hello.txt")
    expect(lambda: open_database_for(readme, "OVN_Southbound"), OvsdbFileError,
           r"hello\.txt: neither an OVSDB database file")
    empty = unchanged.copy(b"", "empty.db")
    expect(lambda: open_database_for(empty, "OVN_Southbound"), OvsdbFileError,
           r"empty\.db: empty file")


def test_standalone_cut_inside_its_last_record_is_read_up_to_it_with_a_warning(made, unchanged):
    data = made["files"]["nb"].read_bytes()
    recs = records(data)
    off, start, end = recs[-1]
    for cut, where in ((end - 7, "inside it"), (off + 9, "inside its header line")):
        p = unchanged.copy(data[:cut], f"nb-torn-{cut}.db")
        src = run_bounded(lambda: open_database_for(p, "OVN_Northbound",
                                                    tables=["Logical_Switch"]))["value"]
        assert len(src.warnings) == 1, src.warnings
        w = src.warnings[0]
        assert w.startswith(f"{p}: record {len(recs) - 1} at offset {off}: the file ends {where}")
        assert "an append cut short" in w and f"last {cut - off} bytes" in w
        # what the records before it hold: the last transaction (ls-del faults-ls0) is lost
        assert "faults-ls0" in {r["name"] for r in src.rows("Logical_Switch").values()}


@pytest.mark.parametrize("damage", ["flipped byte", "bytes cut out", "wrong length",
                                    "bad JSON", "not an object", "refused transaction"])
def test_standalone_damage_is_an_error_naming_the_offset_and_salvage_reads_before_it(
        made, unchanged, damage):
    data = made["files"]["nb"].read_bytes()
    recs = records(data)
    k = len(recs) - 3  # a record in the middle of the log
    off, start, end = recs[k]
    bad = {
        "flipped byte": lambda: data[:start + 20] + bytes([data[start + 20] ^ 0x20])
        + data[start + 21:],
        "bytes cut out": lambda: data[:start + 10] + data[start + 60:],
        "wrong length": lambda: data[:off] + data[off:start].replace(
            b" %d " % (end - start), b" %d " % (end - start - 1)) + data[start:],
        "bad JSON": lambda: rehashed(data, k, data[start:end - 2] + b",}\n"),
        "not an object": lambda: rehashed(data, k, b"[1,2,3]\n"),
        "refused transaction": lambda: rehashed(  # deletes a row that does not exist
            data, k, b'{"Logical_Switch":{"%s":null}}\n' % U1.encode()),
    }[damage]()
    what = {"flipped byte": "have SHA-1 [0-9a-f]{40}, but the header says",
            "bytes cut out": "have SHA-1", "wrong length": "have SHA-1",
            "bad JSON": "are not valid JSON", "not an object": "are not a JSON object",
            "refused transaction": f"transaction deletes row {U1} that does not exist"}[damage]
    p = unchanged.copy(bad, "nb-damaged.db")
    err = expect(lambda: open_database_for(p, "OVN_Northbound", tables=["Logical_Switch"]),
                 DamagedFileError, rf"^{re.escape(str(p))}: record {k} at offset {off}: "
                 rf"(its \d+ bytes starting at offset {start} )?.*{what}.*salvage")
    assert err.offset == off
    # salvage: the records before it, and a warning saying which bytes were skipped
    src = run_bounded(lambda: open_database_for(p, "OVN_Northbound", salvage=True,
                                                tables=["Logical_Switch"]))["value"]
    assert len(src.warnings) == 1 and f"skipped bytes {off}-{len(bad)}" in src.warnings[0]
    before = unchanged.copy(data[:off], "nb-before.db")
    assert src.rows("Logical_Switch") == FileSource(before).rows("Logical_Switch")


def test_a_damaged_schema_record_is_an_error_even_with_salvage(made, unchanged):
    data = made["files"]["nb"].read_bytes()
    off, start, end = records(data)[0]
    flipped = data[:start + 5] + bytes([data[start + 5] ^ 0x01]) + data[start + 6:]
    not_schema = rehashed(data, 0, b'{"name":"OVN_Northbound","tables":{"ACL":[]}}\n')
    cases = [(flipped, r"record 0 at offset 0: its \d+ bytes .*have SHA-1.*no record can be "
                       r"read"),
             (not_schema, r"record 0 at offset 0 \(the schema\) is not an OVSDB schema: "
                          r"schema OVN_Northbound: malformed table"),
             (data[:start + 100], r"record 0 at offset 0: the file ends inside it")]
    for n, (bad, what) in enumerate(cases):
        p = unchanged.copy(bad, f"nb-schema-{n}.db")
        for salvage in (False, True):
            expect(lambda: open_database_for(p, "OVN_Northbound", salvage=salvage),
                   DamagedFileError, rf"^{re.escape(str(p))}: {what}")


FORGED = """
import sys
from ovnparse.db import open_database_for
try:
    open_database_for(sys.argv[1], "OVN_Northbound", tables=["Logical_Switch"])
except Exception as e:
    print(type(e).__name__, e)
"""


def test_a_forged_record_nested_too_deep_is_refused_not_a_crash(made, unchanged):
    """A record with the right length and SHA-1 whose JSON nests 100,000 deep (orjson before
    3.9.15 overflows its stack on it and the process dies): refused, as ovsdb-server's
    parser refuses more than 1000 levels.  In a child process: a crash must not take the
    test run with it."""
    data = made["files"]["nb"].read_bytes()
    k = len(records(data)) - 2
    off = records(data)[k][0]
    deep = b'{"Logical_Switch":{"%s":{"name":%s"x"%s}}}\n' % (
        U1.encode(), b'[{"a":' * 50_000, b"}]" * 50_000)  # (SIGSEGV with orjson 3.8.3)
    p = unchanged.copy(rehashed(data, k, deep), "nb-deep.db")
    r = subprocess.run([sys.executable, "-c", FORGED, str(p)], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, (r.returncode, r.stderr[-500:])
    # (the guard's words, or those of an orjson >= 3.9.15, which limits nesting itself)
    assert r.stdout.startswith(f"DamagedFileError {p}: record {k} at offset {off}: its ") and \
        ("are not valid JSON (input exceeds maximum nesting depth 1000)" in r.stdout
         or "are not valid JSON (depth limit exceeded" in r.stdout), r.stdout


def test_clustered_file_cut_or_damaged(made, clustered, unchanged):
    data = clustered.read_bytes()
    recs = records(data)
    assert len(recs) >= 4  # the header, then the cluster's own records
    # cut inside the raft header (the snapshot): nothing to read
    p = unchanged.copy(data[:recs[0][2] - 1000], "sb-cut.cluster.db")
    expect(lambda: open_database_for(p, "OVN_Southbound", salvage=True), DamagedFileError,
           r"record 0 at offset 0: the file ends inside it .*no record can be read")
    # cut inside its last record: as raft_read_log, read the log before it, with a warning
    off = recs[-1][0]
    p = unchanged.copy(data[:recs[-1][2] - 5], "sb-torn.cluster.db")
    src = run_bounded(lambda: open_database_for(p, "OVN_Southbound", tables=["Chassis"]))[
        "value"]
    assert len(src.warnings) == 1 and f"at offset {off}: the file ends inside it" in \
        src.warnings[0] and "an append cut short" in src.warnings[0]
    # a flipped byte in an entry of the log: an error, or salvage
    k = len(recs) - 2
    off, start, _ = recs[k]
    bad = data[:start + 3] + bytes([data[start + 3] ^ 0x04]) + data[start + 4:]
    p = unchanged.copy(bad, "sb-flip.cluster.db")
    err = expect(lambda: open_database_for(p, "OVN_Southbound"), DamagedFileError,
                 rf"record {k} at offset {off}: .*have SHA-1")
    assert err.offset == off
    src = open_database_for(p, "OVN_Southbound", salvage=True, tables=["Chassis"])
    assert len(src.warnings) == 1 and f"skipped bytes {off}-{len(bad)}" in src.warnings[0]


def test_gzipped_files(made, unchanged):
    data = made["files"]["nb"].read_bytes()
    whole = unchanged.copy(gzip.compress(data), "nb.db.gz")
    src = open_database_for(whole, "OVN_Northbound", tables=["Logical_Switch"])
    assert src.rows("Logical_Switch") == FileSource(made["files"]["nb"]).rows("Logical_Switch")
    assert not src.warnings
    wrong = unchanged.copy(gzip.compress(made["files"]["sb"].read_bytes()), "sb.db.gz")
    expect(lambda: open_database_for(wrong, "OVN_Northbound"), WrongSchemaError,
           r"holds OVN_Southbound, not OVN_Northbound")
    cut = unchanged.copy(gzip.compress(data)[:-3000], "nb-cut.db.gz")
    expect(lambda: open_database_for(cut, "OVN_Northbound"), DamagedFileError,
           r"nb-cut\.db\.gz: gzip data cut short")
    src = open_database_for(cut, "OVN_Northbound", salvage=True, tables=["Logical_Switch"])
    assert any("gzip data cut short" in w for w in src.warnings)


# -------------------------------------------------------- live: real servers
def test_a_server_not_started_or_gone(made, unchanged, tmp_path):
    expect(lambda: open_database_for(f"unix:{tmp_path}/nothing.sock", "OVN_Southbound",
                                     timeout=TIMEOUT),
           LiveSourceError, r"nothing\.sock: cannot connect: No such file or directory")
    stale = tmp_path / "stale.sock"  # a socket file nobody listens on (a killed server's)
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(stale))
    s.close()
    expect(lambda: open_database_for(f"unix:{stale}", "OVN_Southbound", timeout=TIMEOUT),
           LiveSourceError, r"stale\.sock: cannot connect: Connection refused")


def test_the_wrong_database_on_a_real_server(made, unchanged):
    box = made["box"]
    expect(lambda: open_database_for(box.nb_remote, "OVN_Southbound", timeout=TIMEOUT),
           LiveWrongSchema, r"serves no database 'OVN_Southbound' \(it serves OVN_Northbound")
    expect(lambda: open_database_for(box.sb_remote, "Open_vSwitch", timeout=TIMEOUT),
           LiveWrongSchema, r"serves no database 'Open_vSwitch'")
    src = run_bounded(lambda: open_database_for(box.sb_remote, "OVN_Southbound",
                                                timeout=TIMEOUT, tables=["Chassis"]))["value"]
    assert src.schema_name == "OVN_Southbound"
    src.close()


def test_a_server_killed_during_the_read(made, unchanged, tmp_path):
    box = OvnSandbox.serve_files(sb=BASE / "sb.db", workdir=tmp_path / "box")
    try:
        src = open_database_for(box.sb_remote, "OVN_Southbound", timeout=TIMEOUT,
                                tables=["Chassis"])
        pid = box.pids["sb"]
        os.kill(pid, signal.SIGKILL)  # (ours: the sandbox started it for this test)
        deadline = time.monotonic() + 5
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        # the next read: the connection is gone, and no server to reconnect to
        expect(lambda: src.rows("Logical_Flow", ["match"]), LiveSourceError,
               r"sb\.sock: cannot connect: Connection refused")
    finally:
        box.stop()
    for pid in box.started_pids.values():
        assert not process_alive(pid)


CHILD = """
import json, sys
from ovnparse.db import open_database_for
try:
    open_database_for(sys.argv[1], "OVN_Southbound", timeout=1)
    print(json.dumps(["ok", ""]))
except Exception as e:
    print(json.dumps([type(e).__name__, str(e)]))
"""
NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
          "--inh-caps", "-dac_override,-dac_read_search"]


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None,
                    reason="root reads everything; setpriv drops that")
def test_permission_denied(made, unchanged, tmp_path):
    """A server's socket and a file that the reader may not open (mode 000).  As root,
    the reader runs without CAP_DAC_OVERRIDE (setpriv), else it would open them anyway."""
    sock = Path(made["box"].sb_remote.removeprefix("unix:"))
    unreadable = tmp_path / "sb.db"
    shutil.copyfile(made["files"]["sb"], unreadable)
    unreadable.chmod(0)
    mode = sock.stat().st_mode
    sock.chmod(0)
    try:
        for spec, cls, what in ((f"unix:{sock}", LiveSourceError,
                                 "cannot connect: Permission denied"),
                                (str(unreadable), DatabaseError, "cannot read: Permission denied")):
            if os.geteuid() != 0:
                expect(lambda: open_database_for(spec, "OVN_Southbound", timeout=TIMEOUT),
                       cls, rf"^{re.escape(spec)}: {what}$")
                continue
            r = subprocess.run([*NO_DAC, sys.executable, "-c", CHILD, spec], capture_output=True,
                               text=True, timeout=TIMEOUT + 10,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
            name, message = json.loads(r.stdout)
            assert name == cls.__name__ and message == f"{spec}: {what}", (name, message,
                                                                             r.stderr)
    finally:
        sock.chmod(mode & 0o7777)


# -------------------------------------------------------- live: hostile servers
SB = json.loads(SB_SCHEMA.read_text())
NB = json.loads(NB_SCHEMA.read_text())


class _Stopped(Exception):
    pass


class Peer:
    """One client connection, as a hostile server sees it."""

    def __init__(self, conn: socket.socket, stop: threading.Event):
        self.conn, self.stop = conn, stop
        self.buf = ""
        self.decoder = json.JSONDecoder()

    def request(self) -> dict | None:
        """The client's next request (``None``: it hung up)."""
        while True:
            text = self.buf.lstrip()
            if text:
                try:
                    msg, end = self.decoder.raw_decode(text)
                    self.buf = text[end:]
                    return msg
                except ValueError:
                    pass
            data = self._recv()
            if not data:
                return None
            self.buf += data.decode()

    def _recv(self) -> bytes:
        while True:
            if self.stop.is_set():
                raise _Stopped
            try:
                return self.conn.recv(65536)
            except socket.timeout:
                continue

    def send(self, data) -> None:
        if not isinstance(data, bytes):
            data = json.dumps(data).encode()
        if self.stop.is_set():
            raise _Stopped
        self.conn.sendall(data)

    def pause(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped


def honest(msg: dict, leader: bool = True, model: str = "standalone") -> dict:
    """What an ovsdb-server serving an empty Southbound answers."""
    m, p, i = msg["method"], msg["params"], msg["id"]
    if m == "list_dbs":
        return {"id": i, "result": ["OVN_Southbound", "_Server"], "error": None}
    if m == "get_schema":
        return {"id": i, "result": SB, "error": None}
    if m == "transact" and p[0] == "_Server":
        row = {"name": "OVN_Southbound", "model": model, "connected": True, "leader": leader,
               "index": ["set", []]}
        return {"id": i, "result": [{"rows": [row]}], "error": None}
    if m == "transact":
        return {"id": i, "result": [{"rows": []} for _ in p[1:]], "error": None}
    return {"id": i, "result": None, "error": "unknown method"}


def serve_honestly_until(peer: Peer, method: str, server_db: bool = False) -> dict | None:
    """Answer honestly until the client asks *method* (of its database, for a transact
    unless *server_db*); that request, or None."""
    while (msg := peer.request()) is not None:
        if msg.get("method") == method and (method != "transact"
                                            or (msg["params"][0] == "_Server") == server_db):
            return msg
        peer.send(honest(msg))
    return None


def bad_select(rows_or_result, *, whole: bool = False):
    """A behaviour: honest until the select, then this result (or rows for each op)."""
    def behave(peer):
        msg = serve_honestly_until(peer, "transact")
        if msg is not None:
            result = rows_or_result if whole else [{"rows": rows_or_result}
                                                  for _ in msg["params"][1:]]
            peer.send({"id": msg["id"], "result": result, "error": None})
            peer.request()
    return behave


def silent(peer):
    while peer.request() is not None:
        pass


def drip(peer):
    msg = peer.request()
    for b in json.dumps(honest(msg)).encode():
        peer.send(bytes([b]))
        peer.pause(0.3)


def garbage(peer):
    peer.request()
    peer.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    peer.request()


def wrong_ids(peer):
    msg = peer.request()
    n = 0
    while True:
        n += 1
        peer.send({**honest(msg), "id": 1000 + n})
        peer.pause(0.05)


def endless(peer):
    msg = peer.request()
    peer.send(b'{"id":%d,"result":["' % msg["id"])
    chunk = b"a" * 65536
    while True:
        peer.send(chunk)


def bad_schema(peer):
    msg = serve_honestly_until(peer, "get_schema")
    peer.send({"id": msg["id"], "result": {"name": "OVN_Southbound", "version": "1",
                                           "tables": {"Chassis": []}}, "error": None})
    peer.request()


def other_schema(peer):
    msg = serve_honestly_until(peer, "get_schema")
    peer.send({"id": msg["id"], "result": NB, "error": None})
    peer.request()


def endless_slowly(peer):
    msg = peer.request()
    peer.send(b'{"id":%d,"result":["' % msg["id"])
    while True:
        peer.send(b"a" * 65536)
        peer.pause(0.01)


def deep(peer):
    """(orjson before 3.9.15 overflows its stack on this: the process dies)"""
    msg = serve_honestly_until(peer, "transact")
    peer.send(b'{"id":%d,"result":[{"rows":%s1%s}],"error":null}'
              % (msg["id"], b'[{"a":' * 100_000, b"}]" * 100_000))
    peer.request()


def dies_mid_reply(peer):
    msg = serve_honestly_until(peer, "transact")
    reply = json.dumps({"id": msg["id"], "result": [{"rows": []} for _ in msg["params"][1:]],
                        "error": None}).encode()
    peer.send(reply[:len(reply) // 2])  # then the connection closes: killed mid-reply


def follower(peer):
    while (msg := peer.request()) is not None:
        peer.send(honest(msg, leader=False, model="clustered"))


def _default(t) -> object:
    """The JSON of a column type's default value (RFC 7047 §5.1)."""
    if isinstance(t, str):
        t = {"key": t}
    key = t["key"] if isinstance(t["key"], str) else t["key"]["type"]
    if "value" in t:
        return ["map", []]
    if t.get("min", 1) == 0 or t.get("max", 1) != 1:
        return ["set", []]
    return {"string": "", "integer": 0, "real": 0.0, "boolean": False,
            "uuid": ["uuid", "00000000-0000-0000-0000-000000000000"]}[key]


#: a Chassis row as ovsdb-server sends it: every column of the installed schema
ROW = {"_uuid": ["uuid", U1], **{c: _default(cj["type"]) for c, cj in
                                 SB["tables"]["Chassis"]["columns"].items()}}
SELECT = r"reply to the select of OVN_Southbound\.Chassis: "
HOSTILE = {
    # name: (behaviour, accepts?, exception, message after "<remote>: ", open_database_for args)
    "silent": (silent, True, LiveTimeoutError, r"no answer to list_dbs within 1 s$", {}),
    "never-accepts": (None, False, LiveTimeoutError, r"no answer to list_dbs within 1 s$", {}),
    "drip": (drip, True, LiveTimeoutError,
             r"reply to list_dbs not complete within 1 s \(\d+ bytes of it received\)$", {}),
    "garbage": (garbage, True, LiveProtocolError,
                r"reply to list_dbs: not a JSON-RPC message: b'HTTP/1.1 400", {}),
    "wrong-ids": (wrong_ids, True, LiveTimeoutError,
                  r"no answer to list_dbs within 1 s \(\d+ messages with other ids ignored\)$",
                  {}),
    "endless": (endless, True, LiveProtocolError,
                r"reply to list_dbs: a reply larger than 1 MiB \(max_reply\)",
                {"max_reply": 1 << 20}),
    "endless-under-the-cap": (endless_slowly, True, LiveTimeoutError,
                       r"reply to list_dbs not complete within 1 s \(\d+ bytes", {}),
    "bad-schema": (bad_schema, True, LiveProtocolError,
                   r"reply to get_schema OVN_Southbound: not an OVSDB schema", {}),
    "other-schema": (other_schema, True, LiveWrongSchema,
                     r"asked for the schema of OVN_Southbound, it gave a 'OVN_Northbound' "
                     r"schema$", {}),
    "rows-not-objects": (bad_select([1, 2]), True, LiveProtocolError,
                         SELECT + r"a row is a number, "
                         r"not an object$", {"tables": ["Chassis"]}),
    "rows-not-a-list": (bad_select({"a": 1}), True, LiveProtocolError,
                        SELECT + r"'rows' is an object, not an array$",
                        {"tables": ["Chassis"]}),
    "too-few-results": (bad_select([], whole=True), True, LiveProtocolError,
                        r"reply to transact on OVN_Southbound: 0 results for 2 operations$",
                        {"tables": ["Chassis", "Encap"]}),
    "result-not-a-list": (bad_select({"rows": []}, whole=True), True, LiveProtocolError,
                          r"reply to transact on OVN_Southbound: the result is an object, "
                          r"not an array$", {"tables": ["Chassis"]}),
    "row-lacks-a-column": (bad_select([{"_uuid": ["uuid", U1]}]), True, LiveProtocolError,
                           SELECT + r"a row without column '\w+'$",
                           {"tables": ["Chassis"]}),
    "row-value-of-another-type": (bad_select([dict(ROW, name=5)]), True, LiveProtocolError,
                                  SELECT + r"column 'name' of a row "
                                  r"is malformed \(a number, not a string\)$",
                                  {"tables": ["Chassis"]}),
    "row-bad-uuid": (bad_select([dict(ROW, _uuid=["uuid"])]), True, LiveProtocolError,
                     SELECT + r"column '_uuid' of a row is malformed", {"tables": ["Chassis"]}),
    "deeply-nested": (deep, True, LiveProtocolError,
                      r"reply to transact: JSON nested deeper than 1000 levels",
                      {"tables": ["Chassis"]}),
    "killed-mid-reply": (dies_mid_reply, True, LiveDisconnected,
                         r"connection closed by the server \(waiting for the reply to "
                         r"transact\)$", {"tables": ["Chassis"]}),
    "follower": (follower, True, LiveSourceError,
                 r"not the cluster leader \(leader_only; --no-leader-only reads any member\)",
                 {}),
}


class Hostile:
    """A unix-socket server in threads of this process, behaving as told; close() stops
    and joins every thread."""

    def __init__(self, path: Path, behaviour, accept: bool = True):
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(4)
        self.remote = f"unix:{path}"
        if accept:
            self._start(self._accept)

    def _start(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args)
        self.threads.append(t)
        t.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # (socket.timeout too)
                continue
            self._start(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.05)
            try:
                self.behaviour(Peer(conn, self.stop))
            except (OSError, _Stopped):
                pass

    def close(self) -> None:
        self.stop.set()
        for t in list(self.threads):
            t.join(5)
        assert not any(t.is_alive() for t in self.threads)
        self.sock.close()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_servers(tmp_path, case):
    behaviour, accepts, cls, pattern, kwargs = HOSTILE[case]
    server = Hostile(tmp_path / "s.sock", behaviour, accepts)
    try:
        remote = server.remote
        err = expect(lambda: open_database_for(remote, "OVN_Southbound", timeout=TIMEOUT,
                                               **kwargs), cls, rf"^{re.escape(remote)}: {pattern}")
        assert err.source == remote
    finally:
        server.close()


def test_the_deadline_covers_the_whole_read_not_each_reply(tmp_path):
    """A server that answers each request just within the timeout, but takes longer over
    all of them: given up on at the timeout."""
    def slow(peer):
        while (msg := peer.request()) is not None:
            peer.pause(0.4)
            peer.send(honest(msg))

    server = Hostile(tmp_path / "slow.sock", slow)
    try:
        # list_dbs, _Server, get_schema, the select: 4 × 0.4 s > 1 s
        out = expect(lambda: open_database_for(server.remote, "OVN_Southbound",
                                               timeout=TIMEOUT, tables=["Chassis"]),
                     LiveTimeoutError, r"within 1 s")
        assert "get_schema" in out.message or "transact" in out.message
        # with time enough, the same server is read
        src = run_bounded(lambda: open_database_for(server.remote, "OVN_Southbound",
                                                    timeout=5, tables=["Chassis"]), 7)["value"]
        assert src.rows("Chassis") == {}
        src.close()
    finally:
        server.close()


def test_a_hung_member_does_not_use_up_the_time_of_the_others(tmp_path):
    """Of three remotes, the first never answers: it gets its share of the timeout, and the
    next one, healthy, is read."""
    hung = Hostile(tmp_path / "hung.sock", silent)
    good = Hostile(tmp_path / "good.sock", lambda peer: [peer.send(honest(m)) for m in
                                                         iter(peer.request, None)])
    try:
        remotes = f"{hung.remote},{good.remote},{hung.remote}"
        src = run_bounded(lambda: open_database_for(remotes, "OVN_Southbound", timeout=1.5,
                                                    tables=["Chassis"]), 3.5)["value"]
        assert src.remote == good.remote and src.rows("Chassis") == {}
        src.close()
        # all hung: each one's message says what it was given
        expect(lambda: open_database_for(f"{hung.remote},{hung.remote}", "OVN_Southbound",
                                         timeout=TIMEOUT), LiveTimeoutError,
               r"no usable OVSDB server: .*hung\.sock: no answer to list_dbs within its 0\.5 s "
               r"share of the 1 s timeout; .*hung\.sock: no answer to list_dbs within 1 s")
    finally:
        hung.close()
        good.close()
