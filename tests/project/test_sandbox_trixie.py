"""OVN 25.03 / OVS 3.5 from Debian 13, run by OvnSandbox(root=...) through chroot.

The root is built by tools/build-debian-root (tools/install-ovn-packages runs
it); these tests skip only when it cannot be built (not root, no archive).
The last test replays the real 25.03 ovn-detrace over the 25.03 ofproto/trace
samples against the saved databases: it reproduces the recorded outputs.
"""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from ovnparse.sandbox import (DEBIAN_ROOT_STAMP, OvnSandbox, SandboxError, debian_root,
                              debian_root_packages)

from conftest import ROOT, process_alive, sample_manifests

pytestmark = [pytest.mark.sandbox, pytest.mark.debian_root]

DAEMONS = {"ovsdb-server", "nb", "sb", "ovs-vswitchd", "ovn-northd", "ovn-controller"}


@pytest.fixture(scope="module")
def box(trixie_root):
    sb = OvnSandbox(root=trixie_root)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


def test_root_is_debian_13_with_ovn_25_03(trixie_root):
    packages = debian_root_packages(trixie_root)
    assert packages["ovn-central"].startswith("25.03.")
    assert packages["openvswitch-switch"].startswith("3.5.")
    assert (trixie_root / "etc/debian_version").read_text().startswith("13")
    policy = trixie_root / "usr/sbin/policy-rc.d"
    assert os.access(policy, os.X_OK) and "exit 101" in policy.read_text()


def test_build_script_reuses_a_complete_root(trixie_root):
    stamp = trixie_root / DEBIAN_ROOT_STAMP
    before = stamp.stat().st_mtime_ns
    out = subprocess.run([str(ROOT / "tools" / "build-debian-root"), "trixie"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out == stamp.read_text()
    assert stamp.stat().st_mtime_ns == before


def test_daemons_and_tools_are_the_roots(box, trixie_root):
    assert set(box.pids) == DAEMONS
    assert box.workdir.parent == trixie_root / "tmp"
    for name, pid in box.pids.items():
        assert process_alive(pid), name
        assert os.readlink(f"/proc/{pid}/root") == str(trixie_root), name
    versions = {tool: box.run([tool, "--version"]).splitlines()[0]
                for tool in ("ovn-trace", "ovn-northd", "ovn-controller", "ovn-detrace",
                             "ovs-vswitchd", "ovsdb-server")}
    for tool in ("ovn-trace", "ovn-northd", "ovn-controller", "ovn-detrace"):
        assert versions[tool].split()[-1].startswith("25.03."), versions[tool]
    for tool in ("ovs-vswitchd", "ovsdb-server"):
        assert versions[tool].split()[-1].startswith("3.5."), versions[tool]
    # the running daemons answer with their versions too
    assert box.appctl("ovn-controller", "version").startswith("ovn-controller 25.03.")
    assert "3.5." in box.appctl("ovs-vswitchd", "version")
    assert box.ovn_version().startswith("25.03.")


def test_paths_seen_from_inside_and_outside(box):
    for remote in (box.nb_remote, box.sb_remote, box.ovs_remote):
        inner = remote[len("unix:"):]
        assert inner.startswith("/tmp/ovnsb-")
        host = box.outside(remote)[len("unix:"):]
        assert os.path.exists(host) and len(host.encode()) < 108
        assert box.inside(host) == inner
    # a host client reaches the root's ovsdb-server through the host path
    dbs = subprocess.run(["ovsdb-client", "list-dbs", box.outside(box.sb_remote)],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert "OVN_Southbound" in dbs.split()
    with pytest.raises(SandboxError):
        box.inside("/etc/passwd")


def test_a_fake_chassis_advertises_what_the_real_one_does(box):
    box.add_fake_chassis("fake-1", "192.0.2.7")
    rows = {}
    for name in ("fake-1", box.system_id):
        out = box.sbctl("--bare", "--columns=other_config", "find", "Chassis", f"name={name}")
        rows[name] = dict(kv.split("=", 1) for kv in out.split())
    real, fake = rows[box.system_id], rows["fake-1"]
    features = box.chassis_features()
    assert "ct-next-zone" in features and "ls-dpg-column" in features
    assert {k: fake[k] for k in features} == {k: real[k] for k in features}


def test_stop_ends_every_daemon(box):
    # runs last of the module's box tests (file order)
    pids = dict(box.pids)
    workdir = box.workdir
    box.stop()
    assert pids and not any(process_alive(p) for p in pids.values())
    assert not workdir.exists()


def test_a_failed_start_leaves_nothing_behind(trixie_root, tmp_path):
    bad = tmp_path / "sb.db"
    bad.write_text("not an ovsdb file\n")
    sb = OvnSandbox(root=trixie_root, sb_db=bad, northd=False, controller=False,
                    vswitchd=False, ovs_db=False)
    with pytest.raises(SandboxError):
        sb.start()
    assert sb.started_pids  # the NB server had started
    assert not any(process_alive(p) for p in sb.started_pids.values())
    assert not sb.workdir.exists()


def test_workdir_must_be_inside_the_root(trixie_root, tmp_path):
    with pytest.raises(SandboxError, match="outside"):
        OvnSandbox(tmp_path / "w", root=trixie_root, northd=False, controller=False,
                   vswitchd=False, ovs_db=False).start()


# ------------------------------------------------------------------- replay
MANIFESTS = sample_manifests()


def _detrace_runs(release: str):
    """state -> {--ovs?: the release's ovn-detrace samples recorded that way}."""
    groups: dict = defaultdict(lambda: defaultdict(list))
    for sc in MANIFESTS[release][1]["scenarios"]:
        for cmd in sc["commands"]:
            if cmd["tool"] == "ovn-detrace":
                groups[sc["db_state"]][bool(cmd.get("ovs"))].append(cmd)
    return groups


def _replay_state(release: str, root, state: str, by_ovs: dict) -> list[tuple[str, bool]]:
    """Run the real ovn-detrace over one database state's samples; returns
    (file, reproduced?) of each."""
    base, m = MANIFESTS[release]
    info = m["db_states"][state]
    conf = base / info["ovs"]["conf.db"]["file"] if "ovs" in info else None
    results = []
    with OvnSandbox.serve_files(nb=base / info["nb"], sb=base / info["sb"], conf=conf,
                                root=root) as served:
        for ovs, commands in sorted(by_ovs.items()):
            if ovs and conf is None:
                continue   # no conf.db saved for this state (a subset)
            stdin = b"\n".join((base / c["stdin"]).read_bytes() for c in commands)
            argv = ["ovn-detrace", f"--ovnnb={served.nb_remote}",
                    f"--ovnsb={served.sb_remote}", f"--ovsdb={served.ovs_remote}"]
            got = served.run(argv + (["--ovs"] if ovs else []), input=stdin, binary=True,
                             timeout=120)
            at = 0
            for cmd in commands:
                data = (base / cmd["file"]).read_bytes()
                results.append((cmd["file"], got[at:at + len(data)] == data))
                at += len(data)
            results.append((f"{state} (ovs={ovs}): nothing more", at == len(got)))
    return results


def _root_for(release: str, request):
    """25.03: Debian 13's root (built if missing); 26.03: Debian unstable's, only
    where it was built (tools/build-debian-root sid) with the samples' OVN."""
    if release == "25.03":
        return request.getfixturevalue("trixie_root")
    root = debian_root("sid")
    if root is None:
        pytest.skip("no Debian unstable root (tools/build-debian-root sid; CI does not build "
                    "it: unstable moves daily)")
    want = MANIFESTS[release][1]["root"]["packages"]["ovn-central"]
    have = debian_root_packages(root).get("ovn-central")
    if have != want:
        pytest.skip(f"the Debian unstable root has OVN {have}, the samples {want}")
    return root


@pytest.mark.parametrize("release", [r for r in ("25.03", "26.03") if r in MANIFESTS])
def test_real_ovn_detrace_reproduces_the_samples(release, request):
    """ovn-detrace of the release, fed each ofproto/trace sample, against the
    saved databases (conf.db too, for --ovs) served by the root's
    ovsdb-server, prints the recorded output (25.03: stripped lines; 26.03:
    the indented form of OVN >= 25.09).

    One ovn-detrace per database state and --ovs: it reads stdin line by line
    and, at a blank line as at the end of its input, prints the notes it owes
    and the (empty) line, so the traces of a state joined by one blank line
    give the recorded outputs one after another.  Two states at a time."""
    root = _root_for(release, request)
    runs = _detrace_runs(release)
    assert sum(len(c) for by_ovs in runs.values() for c in by_ovs.values()) >= 10
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [r for rs in pool.map(lambda kv: _replay_state(release, root, *kv),
                                        sorted(runs.items())) for r in rs]
    assert len(results) >= 10
    assert [f for f, ok in results if not ok] == []
