"""The pruned replay of `ovnparse trace` prints what ovn-trace prints on the whole database.

For every recorded ovn-trace command of the samples (samples/manifest.json, and
samples/ovn-25.03/manifest.json when it exists), the real ovn-trace runs on an
ovsdb-server serving the whole saved Southbound of the command's db state (one
server per state) and, through ovnparse.db.prune.replay, on the private copies
that hold only the datapaths the trace runs in; the two outputs are compared
byte for byte.  Every form of a command is compared through one `--all` run per
scenario and conntrack/load-balancer options (the forms of one run come from one
trace); that `--<form>` alone prints what `--all` prints for it, which the
pruned replay relies on for the summary and minimal forms, is checked on real
outputs too.

The 25.03 samples need a 25.03 ovn-trace: OVNPARSE_OVN_TRACE_25_03 names the
program to run, by default Debian 13's (the root tools/build-debian-root builds)
run by the root's own dynamic loader and libraries, in the host's namespace so
that it reaches the local ovsdb-server's unix socket; without either, or
without the manifest, those cases are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ovnparse.db.prune import Pruner, forms_to_run, replay, split_forms
from ovnparse.sandbox import debian_root, missing_tools

from conftest import SAMPLES, process_alive

NEEDED = ("ovsdb-tool", "ovsdb-server", "ovsdb-client", "ovn-nbctl", "ovn-sbctl", "ovn-trace")
pytestmark = pytest.mark.skipif(bool(missing_tools(NEEDED)),
                                reason=f"OVS/OVN not installed: {missing_tools(NEEDED)}")

RELEASES = {
    "23.03": (SAMPLES / "manifest.json", None),
    "25.03": (SAMPLES / "ovn-25.03" / "manifest.json", "OVNPARSE_OVN_TRACE_25_03"),
}


def _ovn_trace(release: str, tmp_dir: Path) -> str:
    manifest, env = RELEASES[release]
    if not manifest.exists():
        pytest.skip(f"no {manifest.relative_to(SAMPLES.parent)}")
    if env is None:
        return "ovn-trace"
    program = os.environ.get(env) or _root_ovn_trace(tmp_dir)
    if not program:
        pytest.skip(f"neither {env} nor a built Debian 13 root names an ovn-trace {release}")
    return program


def _root_ovn_trace(tmp_dir: Path) -> str | None:
    """A wrapper running the Debian 13 root's ovn-trace through the root's loader."""
    root = debian_root("trixie")
    if root is None or not (root / "lib64/ld-linux-x86-64.so.2").exists():
        return None
    wrapper = tmp_dir / "ovn-trace-25.03"
    if not wrapper.exists():
        libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
        wrapper.write_text(f'#!/bin/sh\nexec "{root}/lib64/ld-linux-x86-64.so.2" '
                           f'--library-path "{libs}" "{root}/usr/bin/ovn-trace" "$@"\n')
        wrapper.chmod(0o755)
    return str(wrapper)


def _path(manifest: Path, p: str) -> Path:
    """A manifest's path: relative to the manifest's directory or to samples/."""
    here = manifest.parent / p
    return here if here.exists() else SAMPLES / p


def _combos(manifest: Path) -> list[dict]:
    """One case per scenario and ovn-trace options other than the form (and --ovs):
    {state, sb, options, datapath, microflow, forms: {form: recorded file}}."""
    m = json.loads(manifest.read_text())
    states = m["db_states"]
    out: dict[tuple, dict] = {}
    for sc in m["scenarios"]:
        for c in sc["commands"]:
            if c["tool"] != "ovn-trace" or c.get("ovs"):
                continue
            argv = c["argv"]
            # [<runner...>] ovn-trace --db REMOTE | --db=REMOTE [options] [--] [DATAPATH] MICROFLOW
            operands = [sc["datapath"], sc["microflow"]] if sc.get("datapath") else \
                [sc["microflow"]]
            assert argv[-len(operands):] == operands, argv
            i = next(i for i, a in enumerate(argv) if a == "--db" or a.startswith("--db="))
            options = argv[i + (1 if "=" in argv[i] else 2):-len(operands)]
            options = [a for a in options if a not in ("--detailed", "--summary", "--minimal",
                                                       "--all", "--")]
            key = (sc["name"], tuple(options))
            case = out.setdefault(key, {
                "name": f"{sc['name']}{''.join(' ' + o for o in options)}",
                "state": sc["db_state"],
                "sb": _path(manifest, states[sc["db_state"]]["sb"]),
                "options": options, "datapath": sc.get("datapath"),
                "microflow": sc["microflow"], "forms": {}})
            case["forms"][c["form"]] = _path(manifest, c["file"])
    return list(out.values())


def _cases():
    for release, (manifest, _) in RELEASES.items():
        if not manifest.exists():
            yield pytest.param(release, None, id=f"{release}-absent")
            continue
        for case in _combos(manifest):
            yield pytest.param(release, case, id=f"{release}-{case['name']}")


class Servers:
    """ovsdb-servers shared by the tests: one per whole database, one per pruned copy
    (keyed by the rows it holds); each stopped at the end by the pid it was started with."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.remotes: dict[object, str] = {}
        self.lock = threading.Lock()
        self.pids: list[int] = []

    def remote(self, key, path) -> str:
        """The remote serving a private copy of *path* (or of what *path(dest)* writes)."""
        with self.lock:
            if key not in self.remotes:
                d = self.tmp / f"s{len(self.remotes)}"
                d.mkdir()
                db = d / "sb.db"
                if callable(path):
                    path(db)
                else:
                    shutil.copyfile(path, db)
                sock, pidfile = d / "sb.sock", d / "sb.pid"
                subprocess.run(["ovsdb-server", "--detach", "--no-chdir",
                                f"--pidfile={pidfile}", f"--remote=punix:{sock}",
                                f"--unixctl={d / 'sb.ctl'}", "-vconsole:off", "-vsyslog:off",
                                "-vfile:off", str(db)], check=True, capture_output=True,
                               timeout=30)
                self.pids.append(int(pidfile.read_text()))
                self.remotes[key] = f"unix:{sock}"
            return self.remotes[key]

    def stop(self) -> None:
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while any(process_alive(p) for p in self.pids) and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("prune", numbered=True))
    try:
        yield s
    finally:
        s.stop()
    assert not [p for p in s.pids if process_alive(p)]


_PRUNERS: dict[Path, Pruner] = {}


def _pruner(sb: Path) -> Pruner:
    if sb not in _PRUNERS:
        _PRUNERS[sb] = Pruner.from_file(sb)
    return _PRUNERS[sb]


def _trace(program: str, remote: str, forms, case) -> tuple[bytes, bytes]:
    argv = [program, f"--db={remote}", *forms, *case["options"], "--",
            *([case["datapath"]] if case["datapath"] else []), case["microflow"]]
    proc = subprocess.run(argv, capture_output=True, timeout=60)
    assert proc.returncode == 0, (argv, proc.stderr.decode()[-2000:])
    return proc.stdout, proc.stderr


def _whole(program, servers, case, forms) -> bytes:
    return _trace(program, servers.remote(("whole", case["sb"]), case["sb"]), forms, case)[0]


def _pruned(program, servers, case, form):
    pruner = _pruner(case["sb"])

    def run(subset, forms):
        key = ("part", case["sb"], tuple((t, tuple(rows.items()) if t != "Logical_Flow" else
                                          tuple(u for u, r in rows.items() if r is not None))
                                         for t, rows in subset.tables.items()))
        key = ("part", case["sb"], hash(repr(key)))
        return _trace(program, servers.remote(key, lambda p: pruner.write(subset, p)), forms,
                      case)

    lb_dst = next((o.split("=", 1)[1] for o in case["options"] if o.startswith("--lb-dst=")),
                  None)
    return replay(pruner, case["datapath"], case["microflow"], form, run, lb_dst)


@pytest.mark.parametrize("release,case", list(_cases()))
def test_pruned_replay_prints_what_the_whole_database_does(release, case, servers,
                                                          tmp_path_factory):
    program = _ovn_trace(release, tmp_path_factory.getbasetemp())
    assert case is not None
    with ThreadPoolExecutor(2) as pool:
        whole = pool.submit(_whole, program, servers, case, ["--all"])
        pruned = pool.submit(_pruned, program, servers, case, "all")
        whole, pruned = whole.result(), pruned.result()
    assert pruned.stdout == whole
    # the copy held less than the database, and grew by what the trace visited
    pruner = _pruner(case["sb"])
    assert len(pruned.steps[-1]) <= len(pruner.dps)
    assert pruned.subset.counts["Logical_Flow"] <= len(pruner.flows)


# every form a run prints is what that form alone prints (split_forms relies on it)
SPLIT_CASES = ["pod-to-pod-cross-node", "acl-ingress-default-deny --ct=new --ct=new "
               "--ct=new --ct=new --ct=new --ct=new"]


@pytest.mark.parametrize("name", SPLIT_CASES)
def test_each_form_alone_is_its_part_of_a_run_of_several(name, servers):
    [case] = [c for c in _combos(RELEASES["23.03"][0]) if c["name"] == name]
    detailed = _whole("ovn-trace", servers, case, ["--detailed"])
    for form in ("summary", "minimal", "all"):
        alone = _whole("ovn-trace", servers, case, [f"--{form}"])
        together = _whole("ovn-trace", servers, case, forms_to_run(form))
        assert split_forms(together, form) == (alone, detailed)
        if form in case["forms"]:  # and what the sample recorded
            assert alone == case["forms"][form].read_bytes()


@pytest.mark.parametrize("form", ["detailed", "summary", "minimal"])
def test_pruned_replay_of_one_form(form, servers):
    """The form the user asks for, through the same path as `ovnparse trace --<form>`."""
    [case] = [c for c in _combos(RELEASES["23.03"][0]) if c["name"] == "pod-to-pod-cross-node"]
    pruned = _pruned("ovn-trace", servers, case, form)
    assert pruned.stdout == case["forms"][form].read_bytes()
    # sent to the router's MAC: ovn-worker, ovn_cluster_router and ovn-worker2, which
    # holds the destination IP, from the start (Pruner.toward); nothing else was needed
    pruner = _pruner(case["sb"])
    assert [sorted(pruner.friendly_name(d) for d in k) for k in pruned.steps] == [
        ["ovn-worker", "ovn-worker2", "ovn_cluster_router"]]


# ------------------------------------------------- what the detection relies on
def _base_case(name: str = "pod-to-pod-cross-node") -> dict:
    return next(c for c in _combos(RELEASES["23.03"][0]) if c["name"] == name)


def _datapath(pruner: Pruner, name: str) -> str:
    [u] = pruner.datapaths_named(name)
    return u


def test_what_ovn_trace_prints_when_the_peer_is_missing(servers):
    """A copy with ovn-worker only: the packet leaves by stor-ovn-worker, whose peer
    (rtos-ovn-worker, on ovn_cluster_router) the copy lacks.  ovn-trace prints the
    output line and, without a peer, `output(...)` as for a VIF, no error, and stops;
    the detailed form shows the first, the minimal form the second."""
    case = _base_case()
    pruner = _pruner(case["sb"])
    K = {_datapath(pruner, "ovn-worker")}
    subset = pruner.subset(K, case["microflow"])
    assert "rtos-ovn-worker" not in {r["logical_port"]
                                     for r in subset.tables["Port_Binding"].values()}
    remote = servers.remote(("peerless", case["sb"]), lambda p: pruner.write(subset, p))
    out = {f: _trace("ovn-trace", remote, [f"--{f}"], case)[0].decode()
           for f in ("detailed", "summary", "minimal")}
    last = out["detailed"].rstrip("\n").split("\n")[-1]
    assert last == '    /* output to "stor-ovn-worker", type "patch" */'
    assert "ovn_cluster_router" not in out["detailed"] and "***" not in out["detailed"]
    assert '/* output to "stor-ovn-worker", type "patch" */;' in out["summary"]
    assert 'output("stor-ovn-worker");' in [ln.strip() for ln in out["minimal"].split("\n")]
    assert pruner.reached(K, out["detailed"]) == {_datapath(pruner, "ovn_cluster_router")}
    # on the whole database the same line is followed by the peer's pipeline
    whole = _whole("ovn-trace", servers, case, ["--detailed"]).decode()
    i = whole.index('/* output to "stor-ovn-worker", type "patch" */')
    assert whole[i:].split("\n")[2] == 'ingress(dp="ovn_cluster_router", inport="rtos-ovn-worker")'


def test_a_port_of_another_datapath_named_by_a_kept_flow(tmp_path, servers):
    """is_chassis_resident() is decided when ovn-trace parses a flow: false, with a
    warning, for a port it does not know.  A copy of the base database whose
    ovn-worker flow to the router's MAC also asks is_chassis_resident("rtos-ovn-worker")
    (a port of ovn_cluster_router), and whose rtos-ovn-worker has a uuid-ended
    external_ids:name (printed as its friendly name in that match): the pruned replay
    keeps that port from the first copy on and prints what the whole database does."""
    from ovnparse.db.ovsdb_file import read_ovsdb_file
    from ovnparse.db.write import write_standalone
    db = read_ovsdb_file(SAMPLES / "db/base/sb.db")
    dp = next(u for u, r in db.tables["Datapath_Binding"].items()
              if r["external_ids"]["name"] == "ovn-worker")
    [flow] = [r for r in db.tables["Logical_Flow"].values()
              if r["logical_datapath"] == [dp] and r["match"] == "eth.dst == 0a:58:0a:f4:01:01"]
    flow["match"] += ' && is_chassis_resident("rtos-ovn-worker")'
    [rtos] = [r for r in db.tables["Port_Binding"].values()
              if r["logical_port"] == "rtos-ovn-worker"]
    rtos["external_ids"] = {"name": "lrp-1b4e28ba-2fa1-11d2-883f-0016d3cca427"}
    sb = tmp_path / "sb.db"
    write_standalone(sb, db.schema, db.tables)
    case = dict(_base_case(), sb=sb)
    whole = _whole("ovn-trace", servers, case, ["--detailed"])
    assert b'is_chassis_resident("lrp-1b4e28")' in whole  # the friendly name, resident
    pruned = _pruned("ovn-trace", servers, case, "detailed")
    assert pruned.stdout == whole
    first = _pruner(sb).subset(pruned.steps[0], case["microflow"])
    assert "rtos-ovn-worker" in {r["logical_port"] for r in first.tables["Port_Binding"].values()}
    assert b"unknown logical port" not in pruned.stderr


def test_equal_priority_flows_are_taken_in_the_order_of_the_whole_database(tmp_path, servers):
    """ovn-trace takes, among flows of one table and priority that both match, the first
    in its IDL's order: by bucket, uuid.parts[0] & mask, the mask growing with the row
    count.  A copy of the base database with a second flow G beside the ovn-worker flow F
    that the same-node trace takes (same table, priority and match; its own uuid), G's
    uuid chosen so that the two come in one order with the whole database's mask and in
    the other with the mask of ovn-worker's flows alone: a copy without the other flows'
    uuids takes the other flow; the pruned replay, which keeps every uuid, takes F's."""
    import uuid as uuidlib

    from ovnparse.db.ovsdb_file import read_ovsdb_file
    from ovnparse.db.write import write_standalone
    db = read_ovsdb_file(SAMPLES / "db/base/sb.db")
    case = dict(_base_case("pod-to-pod-same-node"))
    dp = next(u for u, r in db.tables["Datapath_Binding"].items()
              if r["external_ids"]["name"] == "ovn-worker")
    [(fu, f)] = [(u, r) for u, r in db.tables["Logical_Flow"].items()
                 if r["logical_datapath"] == [dp] and r["match"] == "eth.dst == 0a:58:0a:f4:01:05"]

    def mask(n):  # lib/hmap.c: the mask after n inserts
        m = 0
        for i in range(1, n + 1):
            if i // 2 > m:
                c = i // 2
                for sh in (1, 2, 4, 8, 16, 32):
                    c |= c >> sh
                m = max(m, c | ((c & 1) << 1))
        return m

    n_all = len(db.tables["Logical_Flow"]) + 1
    n_own = 1 + sum(1 for r in db.tables["Logical_Flow"].values()
                    if r["logical_datapath"] == [dp] or (
                        r["logical_dp_group"] and dp in
                        db.tables["Logical_DP_Group"][r["logical_dp_group"][0]]["datapaths"]))
    big, small = mask(n_all), mask(n_own)
    assert big > small
    fp = int(fu[:8], 16)
    g = next(x for x in range(1 << 16)
             if ((x & big) < (fp & big)) != ((x & small) < (fp & small))
             and (x & small) != (fp & small) and (x & big) != (fp & big))
    gu = f"{g:08x}" + str(uuidlib.uuid4())[8:]
    db.tables["Logical_Flow"][gu] = dict(f, _uuid=gu)
    sb = tmp_path / "sb.db"
    write_standalone(sb, db.schema, db.tables)
    case["sb"] = sb
    whole = _whole("ovn-trace", servers, case, ["--detailed"])
    first = fu[:8] if (fp & big) < (g & big) else gu[:8]
    other = gu[:8] if first == fu[:8] else fu[:8]
    assert f"uuid {first}".encode() in whole and f"uuid {other}".encode() not in whole

    pruned = _pruned("ovn-trace", servers, case, "detailed")
    assert pruned.stdout == whole and pruned.runs == 1
    # without the other flows' uuids, the IDL's smaller mask puts the other flow first
    pruner = _pruner(sb)
    subset = pruner.subset(pruned.steps[0], case["microflow"])
    subset.tables["Logical_Flow"] = {u: r for u, r in subset.tables["Logical_Flow"].items()
                                     if r is not None}
    assert len(subset.tables["Logical_Flow"]) == n_own
    remote = servers.remote(("no empty rows", sb), lambda p: pruner.write(subset, p))
    lean = _trace("ovn-trace", remote, ["--detailed"], case)[0]
    assert f"uuid {other}".encode() in lean and f"uuid {first}".encode() not in lean
