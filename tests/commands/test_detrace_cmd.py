"""`ovnparse detrace`: ovn-detrace 23.03's output, byte for byte, from saved databases.

Three references: the recorded ovn-detrace outputs of every sample (made from
the sample's ofproto-trace.ct-new.txt against a live sandbox whose databases
were then saved as samples/db/<state>/), the real ovn-detrace run here against
an ovsdb-server serving those saved files, and, for --ovs, an Open_vSwitch
database rebuilt with the real ovs-vsctl from the manifest's interface names
and OpenFlow ports (conf.db was not saved).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

from ovnparse import cli
from ovnparse.api import annotated, detrace_text, parse, parse_text
from ovnparse.db import DatabaseSource, DbIndex, MemorySource, open_source
from ovnparse.db.ovsdb_file import Database
from ovnparse.db.schema import installed_schema
from ovnparse.enrich.detrace_notes import Resolver, read_interfaces
from ovnparse.sandbox import OvnSandbox, missing_tools

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())

DETRACE_RUNS = [(s, c) for s in MANIFEST["scenarios"] for c in s["commands"]
                if c["tool"] == "ovn-detrace"]
PLAIN = [(s, c) for s, c in DETRACE_RUNS if not c.get("ovs")]
OVS = [(s, c) for s, c in DETRACE_RUNS if c.get("ovs")]

no_ovn = pytest.mark.skipif(bool(missing_tools()) or not shutil.which("ovn-detrace"),
                            reason="OVS/OVN (and ovn-detrace) not installed")


def db_files(scenario: dict) -> tuple[Path, Path]:
    state = MANIFEST["db_states"][scenario["db_state"]]
    return SAMPLES / state["nb"], SAMPLES / state["sb"]


@lru_cache(maxsize=None)
def index_of(state: str) -> DbIndex:
    st = MANIFEST["db_states"][state]
    return DbIndex(open_source(SAMPLES / st["sb"]), open_source(SAMPLES / st["nb"]))


def ours(scenario: dict, command: dict, interfaces=None, extended=False) -> str:
    text = (SAMPLES / command["stdin"]).read_text()
    resolver = Resolver(index_of(scenario["db_state"]), interfaces, extended=extended)
    return detrace_text(text, resolver, ovs=interfaces is not None, extended=extended)


def test_every_recorded_ovn_detrace_has_its_input_and_databases():
    assert len(PLAIN) == 24 and len(OVS) == 5
    for s, c in DETRACE_RUNS:
        assert c["stdin"].endswith("ofproto-trace.ct-new.txt"), c
        assert all(p.exists() for p in db_files(s))


@pytest.mark.parametrize("scenario,command", PLAIN, ids=[c["file"] for _, c in PLAIN])
def test_recorded_output_byte_for_byte(scenario, command):
    want = (SAMPLES / command["file"]).read_text()
    assert ours(scenario, command) == want


def test_command_line_stdin_and_file(monkeypatch, capsysbinary):
    s, c = PLAIN[0]
    nb, sb = db_files(s)
    want = (SAMPLES / c["file"]).read_bytes()
    # stdin, as ovn-detrace reads it, in a separate process
    proc = subprocess.run([sys.executable, "-m", "ovnparse.cli", "detrace",
                           f"--ovnnb={nb}", f"--ovnsb={sb}"],
                          stdin=open(SAMPLES / c["stdin"], "rb"), capture_output=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == want
    # a file argument, the --nb/--sb aliases, and OVN_NB_DB/OVN_SB_DB defaults
    assert cli.main(["detrace", "--nb", str(nb), "--sb", str(sb),
                     str(SAMPLES / c["stdin"])]) == 0
    assert capsysbinary.readouterr().out == want
    monkeypatch.setenv("OVN_NB_DB", str(nb))
    monkeypatch.setenv("OVN_SB_DB", str(sb))
    assert cli.main(["detrace", str(SAMPLES / c["stdin"])]) == 0
    assert capsysbinary.readouterr().out == want


def test_bytes_that_are_not_utf8_are_copied(tmp_path, capsysbinary):
    nb, sb = db_files(PLAIN[0][0])
    trace = tmp_path / "t.txt"
    trace.write_bytes(b"  caf\xe9 \n 0. priority 0, cookie 0x1\n")
    assert cli.main(["detrace", "--ovnnb", str(nb), "--ovnsb", str(sb), str(trace)]) == 0
    assert capsysbinary.readouterr().out == b"caf\xe9\n0. priority 0, cookie 0x1\n\n"


def test_input_edge_cases_like_ovn_detrace():
    index = index_of("base")
    r = Resolver(index)
    # the end of the input is one more empty line; a last line without newline is copied
    assert detrace_text("", r) == "\n"
    assert detrace_text("a\n", r) == "a\n\n"
    assert detrace_text("  a  \r\nb", r) == "a\nb\n\n"
    # notes come at the next table line or blank line, or at the end
    text = " 0. in_port=4, priority 100, cookie 0x182b7e9b\n    resubmit(,8)"
    out = detrace_text(text, r).splitlines()
    assert out[:2] == ["0. in_port=4, priority 100, cookie 0x182b7e9b", "resubmit(,8)"]
    assert out[2].startswith('  * Logical datapath: "ovn-worker"')
    assert out[-1] == ""


def test_errors_are_one_line(capsys, monkeypatch, tmp_path):
    trace = str(SAMPLES / PLAIN[0][1]["stdin"])
    nb, sb = db_files(PLAIN[0][0])
    # a remote that is not there: a database that cannot be read (3)
    assert cli.main(["detrace", "--ovnnb", "unix:/nonexistent/nb.sock",
                     "--ovnsb", str(sb), trace]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unix:/nonexistent/nb.sock" in err
    assert cli.main(["detrace", "--ovnnb", "ssl:127.0.0.1:6641", "--ovnsb", str(sb), trace]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SSL" in err
    # the two databases swapped
    assert cli.main(["detrace", "--ovnnb", str(sb), "--ovnsb", str(nb), trace]) == 3
    assert "OVN_Northbound" in capsys.readouterr().err
    assert cli.main(["detrace", "--ovnnb", str(nb), "--ovnsb", str(tmp_path / "no.db"),
                     trace]) == 3
    assert capsys.readouterr().err.startswith("ovnparse: ")


# ------------------------------------------------------------------------ --json

def _notes_by_node(traces) -> list[tuple[str, list]]:
    return [(n.text, [(a.indent, a.text) for a in n.annotations])
            for t in traces for n in t.walk() if getattr(n, "annotations", None)]


@pytest.mark.parametrize("scenario,command", PLAIN[::4], ids=[c["file"] for _, c in PLAIN[::4]])
def test_json_notes_are_where_the_parser_puts_the_recorded_ones(scenario, command):
    resolver = Resolver(index_of(scenario["db_state"]))
    mine = annotated(parse(SAMPLES / command["stdin"]), resolver)
    recorded = list(parse(SAMPLES / command["file"]))
    assert _notes_by_node(mine) == _notes_by_node(recorded)
    assert mine[0].to_dict()["roots"]


def test_json_command(capsys):
    s, c = PLAIN[0]
    nb, sb = db_files(s)
    assert cli.main(["detrace", "--json", "--ovnnb", str(nb), "--ovnsb", str(sb),
                     str(SAMPLES / c["stdin"])]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["format"] == "ofproto/trace"
    table0 = out[0]["roots"][0]["children"][0]["children"][0]
    assert table0["cookie"] == "0x182b7e9b"
    assert [a["what"] for a in table0["annotations"]] == ["logical_datapath", "port_binding"]


# -------------------------------------------------------------------- --extended

def _strip_notes(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if not line.lstrip().startswith("* ")]


def test_extended_keeps_indentation_and_names_the_acl_owner():
    s, c = next((s, c) for s, c in PLAIN if s["name"] == "acl-ingress-default-deny")
    plain = ours(s, c)
    ext = ours(s, c, extended=True)
    src = (SAMPLES / c["stdin"]).read_text()
    # the trace's lines as they were, the notes added between them
    assert [ln for ln in ext.splitlines() if not ln.lstrip().startswith("* ")] == \
        src.splitlines() + [""]
    assert _strip_notes(ext) == _strip_notes(plain)
    owner = [ln for ln in ext.splitlines() if "ACL name" in ln]
    assert owner and all(ln.lstrip().startswith("* ACL name") for ln in owner)
    acl = s["expected"]["drop"]["acl_name"]  # NP:default:Ingress, from the topology
    assert f'* ACL name "{acl}", owner: the default-deny of NetworkPolicies in namespace ' \
        f'{acl.split(":")[1]} (Ingress)' in ext
    # read back by the ovn-detrace parser (the indented form): same notes on the same nodes
    back = parse_text(ext, "ext", "ovn-detrace")
    plain_back = list(parse(SAMPLES / c["file"]))
    strip = [(t, [x for x in n if "ACL name" not in x[1]]) for t, n in _notes_by_node(back)]
    assert [(t, [x[1] for x in n]) for t, n in strip] == \
        [(t, [x[1] for x in n]) for t, n in _notes_by_node(plain_back)]


def test_extended_warns_about_cookies_nothing_resolves(capsys):
    s, c = next((s, c) for s, c in PLAIN if s["name"] == "acl-ingress-allowed-after-web-allow-prod")
    nb, sb = db_files(s)
    base_nb, base_sb = db_files(PLAIN[0][0])  # the flow 0x2596cb08 is not in "base"
    assert cli.main(["detrace", "--extended", "--ovnnb", str(base_nb), "--ovnsb", str(base_sb),
                     str(SAMPLES / c["stdin"])]) == 0
    cap = capsys.readouterr()
    warnings = [ln for ln in cap.out.splitlines() if "WARNING: cookie" in ln]
    assert len(warnings) == 1 and "0x2596cb08" in warnings[0]
    assert "0x2596cb08" in cap.err
    # ovn-detrace itself prints nothing for it
    assert "WARNING" not in ours(PLAIN[0][0] | {"db_state": "base"}, c)


def test_extended_resolves_fdb_static_mac_binding_and_datapath_cookies():
    schema = installed_schema("OVN_Southbound")
    if schema is None:
        pytest.skip("no installed OVN_Southbound schema")
    dp = "11111111-aaaa-4bbb-8ccc-000000000001"
    tables = {
        "Datapath_Binding": {dp: {"_uuid": dp, "tunnel_key": 3,
                                  "external_ids": {"name": "ovn-worker"}}},
        "Port_Binding": {"22222222-aaaa-4bbb-8ccc-000000000002": {
            "_uuid": "22222222-aaaa-4bbb-8ccc-000000000002", "datapath": dp,
            "tunnel_key": 5, "logical_port": "prod_test-6459", "chassis": []}},
        "FDB": {"33333333-aaaa-4bbb-8ccc-000000000003": {
            "_uuid": "33333333-aaaa-4bbb-8ccc-000000000003", "mac": "0a:58:0a:f4:01:04",
            "dp_key": 3, "port_key": 5}},
        "Static_MAC_Binding": {"44444444-aaaa-4bbb-8ccc-000000000004": {
            "_uuid": "44444444-aaaa-4bbb-8ccc-000000000004", "datapath": dp,
            "logical_port": "rtoe-GR", "ip": "172.18.0.1", "mac": "02:42:ac:12:00:01",
            "override_dynamic_mac": False}},
    }
    db = Database(schema, tables, {t: None for t in tables}, "standalone")
    index = DbIndex(MemorySource(db))
    text = ("bridge(\"br-int\")\n----------------\n"
            " 0. priority 100, cookie 0x11111111\n    resubmit(,8)\n"
            " 8. priority 100, cookie 0x33333333\n    resubmit(,9)\n"
            " 9. priority 100, cookie 0x44444444\n    drop\n")
    assert detrace_text(text, Resolver(index)) == \
        "\n".join(line.strip() for line in text.splitlines()) + "\n\n"
    ext = detrace_text(text, Resolver(index, extended=True))
    assert f'  * Datapath Binding: "ovn-worker" ({dp}), tunnel_key 3' in ext
    assert ('  * FDB: mac "0a:58:0a:f4:01:04", dp_key 3, port_key 5 '
            '(logical_port "prod_test-6459")') in ext
    assert ('  * Static MAC Binding: ip "172.18.0.1", logical_port "rtoe-GR", '
            'mac "02:42:ac:12:00:01", override_dynamic_mac False') in ext
    assert "WARNING" not in ext


def test_collisions_print_every_row_with_ovn_detraces_marker():
    schema = installed_schema("OVN_Southbound")
    if schema is None:
        pytest.skip("no installed OVN_Southbound schema")
    dp = "11111111-aaaa-4bbb-8ccc-000000000001"
    ch = "66666666-aaaa-4bbb-8ccc-000000000009"
    pbs = {u: {"_uuid": u, "datapath": dp, "tunnel_key": k, "logical_port": f"lp{k}",
               "chassis": [ch] if k == 1 else []}
           for k, u in ((2, "66666666-aaaa-4bbb-8ccc-000000000002"),
                        (1, "66666666-aaaa-4bbb-8ccc-000000000001"))}
    tables = {
        "Datapath_Binding": {dp: {"_uuid": dp, "tunnel_key": 3, "external_ids": {}}},
        "Port_Binding": pbs,
        "Chassis": {ch: {"_uuid": ch, "name": "hv1", "hostname": "host1"}},
    }
    db = Database(schema, tables, {t: None for t in tables}, "standalone")
    out = detrace_text(" 0. priority 100, cookie 0x66666666\n", Resolver(DbIndex(MemorySource(db))))
    dp_line = f'  * Logical datapath: "None" ({dp})'
    assert out.splitlines() == [
        "0. priority 100, cookie 0x66666666",
        dp_line,
        '  * Port Binding: logical_port "lp1", tunnel_key 1, chassis-name "hv1", '
        'chassis-str "host1"',
        "   * [Duplicate uuid cookie]",
        dp_line,
        '  * Port Binding: logical_port "lp2", tunnel_key 2, ',
        '  * Chassis: chassis-name "hv1", chassis-str "host1"',
        ""]


# --------------------------------------------------------- the real ovn-detrace

def _run_ovn_detrace(box: OvnSandbox, stdin: Path, ovs: bool = False) -> str:
    argv = ["ovn-detrace", f"--ovnnb={box.nb_remote}", f"--ovnsb={box.sb_remote}"]
    if ovs:
        argv += [f"--ovsdb={box.ovs_remote}", "--ovs"]
    return box.run(argv, input=stdin.read_bytes())


def _add_interfaces(box: OvnSandbox) -> dict[int, tuple[str, str | None]]:
    """br-int's ports as the samples' sandbox had them (ofport → (name, iface-id)):
    the pods' VIFs and the management port from the manifest, the geneve tunnel
    the manifest records, and the patch port to breth0 (ofport 1, the port
    north-south-snat's trace leaves by)."""
    topo = MANIFEST["topology"]
    ports: dict[int, tuple[str, str | None]] = {}
    for pod in topo["pods"]:
        if pod["ofport"] is not None:
            ports[pod["ofport"]] = (pod["ovs_interface"], pod["lsp"])
    ports[topo["ovs"]["ofports"]["k8s-ovn-worker"]] = ("ovn-k8s-mp0", "k8s-ovn-worker")
    tunnel = next(s["expected_openflow"]["tunnel"] for s in MANIFEST["scenarios"]
                  if isinstance((s.get("expected_openflow") or {}).get("tunnel"), dict))
    ports[tunnel["ofport"]] = (tunnel["interface"], None)
    ports[1] = ("patch-br-int-to-breth0_ovn-worker", None)
    args = ["--no-wait", "add-br", "br-int"]
    for ofport, (name, iface_id) in sorted(ports.items()):
        args += ["--", "add-port", "br-int", name, "--", "set", "Interface", name,
                 f"ofport={ofport}"]
        if iface_id:
            args.append(f"external_ids:iface-id={iface_id}")
    box.vsctl(*args)
    return ports


REAL_PLAIN = [(s, c) for s, c in PLAIN if s["db_state"] == "base"
              and s["name"] in ("service-no-endpoints-reject", "icmp-echo-router",
                                "arp-flood-unknown")]  # and OVS's five, with and without --ovs


@pytest.fixture(scope="module")
def served_base():
    """The base databases served by ovsdb-servers, br-int's ports added, and the real
    ovn-detrace's output for REAL_PLAIN and OVS (run side by side: ~0.3 s each)."""
    if missing_tools() or not shutil.which("ovn-detrace"):
        pytest.skip("OVS/OVN (and ovn-detrace) not installed")
    nb, sb = (SAMPLES / MANIFEST["db_states"]["base"][k] for k in ("nb", "sb"))
    box = OvnSandbox.serve_files(nb=nb, sb=sb, ovs_db=True)
    try:
        ports = _add_interfaces(box)
        jobs = [(c["file"], c["stdin"], bool(c.get("ovs"))) for _, c in REAL_PLAIN + OVS]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            outputs = pool.map(lambda j: _run_ovn_detrace(box, SAMPLES / j[1], ovs=j[2]), jobs)
            real = {j[0]: out for j, out in zip(jobs, outputs)}
        yield box, ports, real
    finally:
        box.stop()


@no_ovn
@pytest.mark.sandbox
def test_real_ovn_detrace_on_served_files(served_base):
    _, _, outputs = served_base
    for s, c in REAL_PLAIN:
        real = outputs[c["file"]]
        assert ours(s, c) == real, c["file"]
        assert real == (SAMPLES / c["file"]).read_text()  # the recording is what it prints


@no_ovn
@pytest.mark.sandbox
@pytest.mark.parametrize("scenario,command", OVS, ids=[c["file"] for _, c in OVS])
def test_ovs_interfaces(served_base, scenario, command):
    box, ports, outputs = served_base
    interfaces = read_interfaces(open_source(box.ovs_db_path))
    assert {k: (v["name"], v["external_ids"].get("iface-id")) for k, v in interfaces.items()} \
        == ports
    mine = ours(scenario, command, interfaces)
    real = outputs[command["file"]]
    recorded = (SAMPLES / command["file"]).read_text()
    assert real == recorded  # the rebuilt Open_vSwitch database is the one the samples had
    in_port = scenario["source"]["ofport"]
    if in_port < 10:
        assert mine == real
    else:
        # ovn-detrace's in_port=([0-9])+ keeps the last digit: in_port=13 names port 3
        wrong = "  * OVS Interface: %s (%s)" % ports[in_port % 10]
        right = "  * OVS Interface: %s (%s)" % ports[in_port]
        assert wrong in real and right not in real
        assert mine == real.replace(wrong, right, 1)


@no_ovn
def test_ovs_command_line(served_base, capsys):
    box, _, _ = served_base
    s, c = next((s, c) for s, c in OVS if s["name"] == "pod-to-pod-same-node")
    nb, sb = db_files(s)
    assert cli.main(["detrace", "--ovs", f"--ovsdb={box.ovs_db_path}", f"--ovnnb={nb}",
                     f"--ovnsb={sb}", str(SAMPLES / c["stdin"])]) == 0
    assert capsys.readouterr().out == (SAMPLES / c["file"]).read_text()
    assert cli.main(["detrace", "--json", "--ovs", f"--ovsdb={box.ovs_db_path}",
                     f"--ovnnb={nb}", f"--ovnsb={sb}", str(SAMPLES / c["stdin"])]) == 0
    traces = json.loads(capsys.readouterr().out)

    def walk(node):
        yield node
        for child in node.get("children", ()):
            yield from walk(child)
    outputs = [n for t in traces for r in t["roots"] for n in walk(r)
               if n["kind"] == "openflow_action" and n["text"].startswith("output:")]
    assert [a["text"] for n in outputs for a in n.get("annotations", ())] == \
        ["* OVS Interface: v17633169283799 (prod_api-0)"]


# ------------------------------------------------------------ live: narrowed reads

class PrefixSource(DatabaseSource):
    """A saved file behind the interface a live source offers (rows_by_uuid_prefix),
    counting what is asked for whole."""

    def __init__(self, path):
        self.src = open_source(path)
        self.whole: list[str] = []

    schema_name = property(lambda self: self.src.schema_name)
    schema_version = property(lambda self: self.src.schema_version)

    def tables(self):
        return self.src.tables()

    def rows(self, table, columns=None):
        self.whole.append(table)
        return self.src.rows(table)

    def rows_by_uuid_prefix(self, table, prefixes, columns=None):
        keys = tuple(str(p).lower() for p in prefixes)
        return {u: r for u, r in self.src.rows(table).items() if u.startswith(keys)}


@pytest.mark.parametrize("scenario,command", PLAIN[::3], ids=[c["file"] for _, c in PLAIN[::3]])
def test_narrowed_sources_give_the_same_output(scenario, command):
    from ovnparse.db.subset import narrow
    from ovnparse.enrich.openflow import cookies
    nb_path, sb_path = db_files(scenario)
    sb, nb = PrefixSource(sb_path), PrefixSource(nb_path)
    text = (SAMPLES / command["stdin"]).read_text()
    trace_cookies = [c for t in parse_text(text) for c in cookies(t)]
    small_sb, small_nb = narrow(sb, nb, trace_cookies)
    assert sb.whole == ["Datapath_Binding", "Chassis"] and nb.whole == []
    index = DbIndex(small_sb, small_nb)
    assert len(index.table("Logical_Flow")) < len(sb.src.rows("Logical_Flow")) / 4
    assert detrace_text(text, Resolver(index)) == (SAMPLES / command["file"]).read_text()


@no_ovn
@pytest.mark.sandbox
def test_live_remotes_equal_the_real_ovn_detrace(served_base, capsys):
    box, _, outputs = served_base
    for s, c in REAL_PLAIN + [(s, c) for s, c in PLAIN if s["name"] == "north-south-snat"]:
        assert cli.main(["detrace", f"--ovnnb={box.nb_remote}", f"--ovnsb={box.sb_remote}",
                         "--no-leader-only", str(SAMPLES / c["stdin"])]) == 0
        want = outputs.get(c["file"]) or (SAMPLES / c["file"]).read_text()
        assert capsys.readouterr().out == want, c["file"]
    # --ovs with a live Open_vSwitch database
    s, c = next((s, c) for s, c in OVS if s["name"] == "north-south-snat")
    assert cli.main(["detrace", "--ovs", f"--ovsdb={box.ovs_remote}", f"--ovnnb={box.nb_remote}",
                     f"--ovnsb={box.sb_remote}", str(SAMPLES / c["stdin"])]) == 0
    assert capsys.readouterr().out == outputs[c["file"]]
