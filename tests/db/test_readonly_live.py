"""Read-only (issue 4, item 8): nothing ovnparse does changes a live OVN database.

Two ovsdb-servers serve private copies of the base snapshot with no other client
attached (no ovn-northd, no ovn-controller: they write too).  Every way ovnparse
reads a database is run against them: LiveSource over every table and column,
the targeted prefix fetch, DbIndex, explain's drop resolution over every sample
trace, and the commands whose ``--help`` says they take a remote, run as
subprocesses.  Afterwards every table has the same rows with the same
``_version`` (a new one at every change of a row), read with ``ovsdb-client``,
not with the code under test; and the servers' own JSON-RPC debug logs show no
request that writes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.db import DbIndex
from ovnparse.db.live import LiveSource, check_read_only, open_database
from ovnparse.db.databases import Databases
from ovnparse.sandbox import OvnSandbox, missing_tools

from conftest import ROOT, SAMPLES

BASE = SAMPLES / "db" / "base"
pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(bool(missing_tools(["ovsdb-tool", "ovsdb-server", "ovsdb-client",
                                           "ovn-nbctl", "ovn-sbctl"])),
                       reason="OVS/OVN not installed"),
]
#: operations and methods that change a database (RFC 7047 §5.2, §4.1; ovsdb-server's convert)
WRITE_OPS = frozenset({"insert", "update", "mutate", "delete"})
WRITE_METHODS = frozenset({"convert"})


class LoggingBox(OvnSandbox):
    """ovsdb-servers that log every JSON-RPC message they receive."""

    def _start_daemon(self, name, extra):
        if name in ("nb", "sb"):
            extra = [*extra, "-vjsonrpc:file:dbg"]
        return super()._start_daemon(name, extra)


def versions(box: OvnSandbox, remote: str) -> dict[str, dict[str, str]]:
    """{table: {uuid: _version}} of every table, read by ``ovsdb-client transact``."""
    schema = json.loads(box.run(["ovsdb-client", "get-schema", remote]))
    tables = sorted(schema["tables"])
    ops = [{"op": "select", "table": t, "where": [], "columns": ["_uuid", "_version"]}
           for t in tables]
    result = json.loads(box.run(["ovsdb-client", "transact", remote,
                                 json.dumps([schema["name"], *ops])]))
    return {t: {r["_uuid"][1]: r["_version"][1] for r in res["rows"]}
            for t, res in zip(tables, result)}


def received(log: str) -> list[tuple[str, object]]:
    """(method, params) of every request or notification a server's debug log shows."""
    out = []
    dec = json.JSONDecoder()
    for m in re.finditer(r'received (?:request|notification), method="([^"]+)", params=', log):
        params, _ = dec.raw_decode(log, m.end())
        out.append((m.group(1), params))
    return out


def _help(command: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "ovnparse.cli", command, "--help"],
                          capture_output=True, text=True, cwd=ROOT)
    return proc.stdout if proc.returncode == 0 else ""


def _takes_remotes(help_text: str) -> bool:
    return bool(re.search(r"remote|unix:", help_text))


@pytest.fixture(scope="module")
def box():
    b = LoggingBox.serve_files(nb=BASE / "nb.db", sb=BASE / "sb.db")
    try:
        yield b
    finally:
        b.stop()


def test_nothing_ovnparse_does_changes_a_live_database(box):
    remotes = {"nb": box.nb_remote, "sb": box.sb_remote}
    logs = {k: box.logdir / f"ovsdb-server-{k}.log" for k in remotes}
    marks = {k: len(p.read_text()) for k, p in logs.items()}  # earlier: the sandbox's own set-up
    before = {k: versions(box, r) for k, r in remotes.items()}
    assert len(before["sb"]["Logical_Flow"]) > 600 and len(before["nb"]["ACL"]) > 10

    ran = []
    # 1. the LiveSource API: every table and column, columns, uuids, prefixes, not leader-only
    for k, remote in remotes.items():
        for leader_only in (True, False):
            with LiveSource(remote, leader_only=leader_only) as src:
                src.prefetch(None)
                for t in src.tables():
                    rows = src.rows(t)
                    assert len(rows) == len(before[k][t])
                    src.uuids(t)
            with LiveSource(remote) as src:
                for t in src.tables():
                    cols = sorted(src.schema.tables[t].columns)[:2]
                    src.rows(t, cols + ["_version"])
                    prefixes = [u[:8] for u in list(before[k][t])[:3]] + ["0xdeadbeef"]
                    assert len(src.rows_by_uuid_prefix(t, prefixes, cols)) >= min(3, len(
                        before[k][t]))
        open_database(remote).close()
    ran.append("LiveSource")
    # 2. DbIndex and explain's drop resolution over every sample trace of this snapshot
    with open_database(box.sb_remote) as sb, open_database(box.nb_remote) as nb:
        db = Databases(sb, nb)
        assert db.index is not None
        manifest = json.loads((SAMPLES / "manifest.json").read_text())
        for s in manifest["scenarios"]:
            if s["db_state"] == "base":
                for c in s["commands"]:
                    for trace in api.parse(str(SAMPLES / c["file"])):
                        trace.explain(db)
    ran.append("DbIndex + enrichment")
    # 3. the commands that say they read a remote, as a user runs them
    traces = [SAMPLES / "acl-ingress-default-deny" / f for f in
              ("ovn-trace.detailed.txt", "ofproto-trace.ct-new.txt", "ovn-detrace.txt")]
    if _takes_remotes(_help("explain")):
        for t in traces:
            proc = subprocess.run([sys.executable, "-m", "ovnparse.cli", "explain", "--json",
                                   "--nb", box.nb_remote, "--sb", box.sb_remote, str(t)],
                                  capture_output=True, text=True, cwd=ROOT, timeout=60)
            assert proc.returncode == 0, proc.stderr
            files = subprocess.run([sys.executable, "-m", "ovnparse.cli", "explain", "--json",
                                    "--nb", str(BASE / "nb.db"), "--sb", str(BASE / "sb.db"),
                                    str(t)], capture_output=True, text=True, cwd=ROOT,
                                   timeout=60)
            # the same answers (but source.databases, which names the remotes or files)
            assert _unsourced(proc.stdout) == _unsourced(files.stdout), t
        ran.append("ovnparse explain")
    if _takes_remotes(_help("detrace")):
        for extra in ([], ["--extended", "--no-leader-only"]):
            proc = subprocess.run([sys.executable, "-m", "ovnparse.cli", "detrace",
                                   "--ovnnb", box.nb_remote, "--ovnsb", box.sb_remote, *extra,
                                   str(traces[1])],
                                  capture_output=True, text=True, cwd=ROOT, timeout=60)
            assert proc.returncode == 0, proc.stderr
        ran.append("ovnparse detrace")

    # the same rows, each with the same _version
    after = {k: versions(box, r) for k, r in remotes.items()}
    for k in remotes:
        assert {t: len(r) for t, r in after[k].items()} == {t: len(r) for t, r in
                                                             before[k].items()}
        assert after[k] == before[k], k
    # and the servers received nothing that writes; ovnparse's own requests were read-only
    for k, path in logs.items():
        reqs = received(path.read_text()[marks[k]:])
        assert len(reqs) > 50, (k, len(reqs))
        for method, params in reqs:
            assert method not in WRITE_METHODS, (k, method)
            if method == "transact":
                ops = {op.get("op") for op in params[1:]}
                assert not ops & WRITE_OPS, (k, params)
            if method in ("transact", "list_dbs", "get_schema", "echo"):
                check_read_only(method, params)
    print("read-only after:", ", ".join(ran))


def _unsourced(out: str) -> list[dict]:
    return [{k: v for k, v in o.items() if k != "source"} for o in json.loads(out)]
