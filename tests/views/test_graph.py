"""Path graphs for every format, merged graphs, DOT and Graphviz, `ovnparse graph`.

Expected hops, outputs and drop points are the manifests' (topology and
databases); the ports crossed between datapaths are the topology's patch-port
pairs as ovn-trace prints them (`stor-<node>` → `rtos-<node>` ...).
"""

from __future__ import annotations

import re
import shutil

import pytest

import ovnparse
from ovnparse.views import dot as dot_module
from ovnparse.views.dot import GraphvizMissing, to_dot

from conftest import ROOT
from sample_traces import MANIFESTS, RELEASES, SEED, databases, drop_point, sample, scenario

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed "
                               "(apt-get install graphviz)")
ALL_FORMS = ["ovn-trace.detailed.txt", "ovn-trace.summary.txt", "ovn-trace.minimal.txt",
             "ovn-trace.ovs.detailed.txt", "ofproto-trace.ct-new.txt", "ofproto-trace.ct-est.txt",
             "ovn-detrace.txt"]


def drops(g) -> list[str]:
    return [n for n, kind in g.nodes(data="kind") if kind == "drop"]


def hops(g) -> list[str]:
    """The datapath nodes in the order the edges from the source reach them."""
    [start] = [n for n, kind in g.nodes(data="kind") if kind == "input"]
    order, node = [], start
    while True:
        nxt = [v for v in g.successors(node) if g.nodes[v]["kind"] in ("datapath", "bridge")
               and v not in order]
        if not nxt:
            return order
        node = nxt[0]
        order.append(node)


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("form", ALL_FORMS)
@pytest.mark.parametrize("level", ["datapath", "stage"])
def test_never_empty_every_node_has_kind_and_label_the_drop_is_a_leaf(release, form, level):
    for trace in sample(release, SEED, form):
        g = trace.graph(level)
        assert g.number_of_nodes() >= 2 and g.number_of_edges() >= 1
        for _, attrs in g.nodes(data=True):
            assert attrs["kind"] and attrs["label"] and attrs["count"] == 1
        [drop] = drops(g)
        assert g.out_degree(drop) == 0 and g.in_degree(drop) == 1
        assert g.nodes[drop]["drop"] is True


@pytest.mark.parametrize("release", RELEASES)
def test_seed_drop_at_both_levels(release):
    exp = scenario(release, SEED)["expected"]
    point = drop_point(exp["drop"])
    [trace] = sample(release, SEED, "ovn-trace.detailed.txt")
    g = trace.graph()
    assert hops(g) == exp["datapaths"]
    [drop] = drops(g)
    attrs = g.nodes[drop]
    assert (attrs["stage"], attrs["table"], attrs["priority"], attrs["acl"]) == (
        point["stage"], point["table"], point["priority"], exp["drop"]["acl_name"])
    assert list(g.predecessors(drop)) == [exp["drop"]["datapath"]]
    assert "default" in attrs["owner"]
    assert g.nodes[f"from {scenario(release, SEED)['source']['lsp']}"]["kind"] == "input"

    s = trace.graph("stage")
    [drop] = drops(s)
    # the drop hangs from the step where the packet's path ended: the ACL's stage,
    # or with ACL tiers the acl_action stage that acted on its verdict
    d = exp["drop"]
    assert list(s.predecessors(drop)) == [f"{d['datapath']}/{d['pipeline']}/{d['table']}"]
    assert f"{d['datapath']}/{d['pipeline']}/{point['table']}" in s
    # conntrack passes are labelled edges; the egress pipeline is entered by its outport
    labels = {label for _, _, label in s.edges(data="label")}
    assert "ct_lb_mark" in labels and "outport default_web" in labels


@pytest.mark.parametrize("release", RELEASES)
def test_routed_path_hops_ports_and_output(release):
    exp = scenario(release, "north-south-snat")["expected"]
    [trace] = sample(release, "north-south-snat", "ovn-trace.detailed.txt")
    g = trace.graph()
    assert hops(g) == exp["datapaths"]
    assert g.nodes["ovn_cluster_router"]["datapath_type"] == "router"
    assert g.nodes["ovn-worker"]["datapath_type"] == "switch"
    assert g.edges["ovn-worker", "ovn_cluster_router"]["label"] == \
        "stor-ovn-worker → rtos-ovn-worker"
    outputs = [n for n, kind in g.nodes(data="kind") if kind == "output"]
    assert outputs == exp["outputs"]
    assert list(g.predecessors(outputs[0])) == [exp["datapaths"][-1]]


@pytest.mark.parametrize("release", RELEASES)
def test_openflow_grouped_by_logical_datapath_with_notes_or_databases(release):
    exp = scenario(release, "north-south-snat")["expected"]
    db = databases(release, scenario(release, "north-south-snat")["db_state"])
    for form, kw in (("ofproto-trace.ct-new.txt", {"db": db}), ("ovn-detrace.txt", {})):
        [trace] = sample(release, "north-south-snat", form, **kw)[:1]
        g = trace.graph()
        assert hops(g) == exp["datapaths"], form
        outputs = [n for n, kind in g.nodes(data="kind") if kind == "output"]
        assert outputs == exp["outputs"], form


@pytest.mark.parametrize("release", RELEASES)
def test_openflow_without_notes_bridges_stand_in(release):
    [trace] = sample(release, "north-south-snat", "ofproto-trace.ct-new.txt")
    g = trace.graph()
    assert all(g.nodes[n]["kind"] == "bridge" for n in hops(g))
    assert hops(g)[0].startswith("br-int")
    # each logical datapath's tables are told apart by their metadata (tunnel keys)
    assert len(hops(g)) == len(scenario(release, "north-south-snat")["expected"]["datapaths"])
    seed = sample(release, SEED, "ofproto-trace.ct-new.txt")[0].graph()
    [drop] = drops(seed)
    exp = drop_point(scenario(release, SEED)["expected_ct_new"]["drop"])
    attrs = seed.nodes[drop]
    assert attrs["cookie"] == "0x" + exp["lflow"] and attrs["acl"] == "NP:default:Ingress"


@pytest.mark.parametrize("release", RELEASES)
def test_flood_outputs_and_dropped_copies(release):
    exp = scenario(release, "broadcast-udp-flood")["expected"]
    [trace] = sample(release, "broadcast-udp-flood", "ovn-trace.detailed.txt")
    g = trace.graph()
    outputs = sorted(n for n, kind in g.nodes(data="kind") if kind == "output")
    assert outputs == exp["outputs"]
    assert set(hops(g)) <= set(exp["datapaths"])


def test_merge_adds_counts():
    [drop] = sample("23.03", SEED, "ovn-trace.detailed.txt")
    [allowed] = sample("23.03", "acl-ingress-allowed-after-web-allow-prod",
                       "ovn-trace.detailed.txt")
    g = ovnparse.merge([drop.graph(), allowed.graph(), drop.graph()])
    assert g.graph["traces"] == 3
    assert g.nodes["from prod_test-6459"]["count"] == 3
    assert g.edges["from prod_test-6459", "ovn-worker"]["count"] == 3
    [d] = drops(g)
    assert g.nodes[d]["count"] == 2 and g.nodes["default_web"]["count"] == 1
    assert g.edges["ovn-worker", "default_web"]["count"] == 1
    text = to_dot(g)
    assert "× 3" in text and "× 2" in text


def test_dot_is_pure_python_and_svg_says_how_to_get_graphviz(monkeypatch):
    [trace] = sample("23.03", SEED, "ovn-trace.detailed.txt")
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    text = trace.to_dot()
    assert text.startswith('digraph "trace" {') and text.rstrip().endswith("}")
    assert '"from prod_test-6459" -> "ovn-worker"' in text
    assert 'shape="octagon"' in text and "ACL NP:default:Ingress" in text
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        trace.to_svg()
    html = trace._repr_html_()
    assert "<svg" not in html and "apt-get install graphviz" in html


def test_dot_quotes_what_it_is_given():
    from ovnparse.views.graph import PathGraph
    g = PathGraph(level="stage", title='a "quoted" \\ title')
    g.add_node('x"y', kind="stage", label='match == "p" \\ 1\nline two')
    g.add_node("z", kind="drop", label="DROPPED")
    g.add_edge('x"y', "z", kind="drop")
    text = to_dot(g)
    assert '"x\\"y" [' in text and 'label="match == \\"p\\" \\\\ 1\\nline two"' in text
    assert 'label="a \\"quoted\\" \\\\ title"' in text


@needs_dot
def test_svg_through_graphviz():
    [trace] = sample("23.03", SEED, "ovn-trace.detailed.txt")
    svg = trace.to_svg("stage")
    assert "<svg" in svg and "DROPPED" in svg and "ls_out_acl" in svg



@needs_dot
@pytest.mark.parametrize("release", RELEASES)
def test_graph_command_writes_every_kind(tmp_path, release, cli):
    base = MANIFESTS[release][0]
    seed = base / SEED / "ovn-trace.detailed.txt"
    for suffix in ("dot", "svg", "png", "html"):
        out = tmp_path / f"seed.{suffix}"
        done = cli("graph", seed, "-o", out)
        assert done.returncode == 0, done.stderr
        data = out.read_bytes()
        if suffix == "png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        elif suffix == "dot":
            assert b'"from prod_test-6459" -> "ovn-worker"' in data
        else:
            assert b"<svg" in data and b"DROPPED" in data
    assert b"NP:default:Ingress" in (tmp_path / "seed.html").read_bytes()
    # with the databases, stage level
    db = base / "db" / "base"
    done = cli("graph", "--level", "stage", "--nb", db / "nb.db", "--sb", db / "sb.db",
               base / SEED / "ofproto-trace.ct-new.txt", "-o", tmp_path / "of.dot")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "of.dot").read_text()
    assert '"ovn-worker/egress/' in text and "the default-deny of NetworkPolicies" in text


def test_graph_command_merges_or_picks_a_trace(tmp_path, cli):
    all_forms = MANIFESTS["23.03"][0] / SEED / "ovn-trace.all.txt"
    done = cli("graph", all_forms)
    assert done.returncode == 0, done.stderr
    assert "× 2" in done.stdout and "3 traces of" in done.stdout  # detailed+summary share hops
    done = cli("graph", "--trace", "3", all_forms)
    assert done.returncode == 0 and '"packet" -> "drop: unknown point"' in done.stdout
    done = cli("graph", "--trace", "9", all_forms)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no trace 9" in done.stderr
    done = cli("graph", all_forms, "-o", tmp_path / "x.jpeg")
    assert done.returncode == 2 and "cannot write a graph as .jpeg" in done.stderr


def test_graph_command_without_graphviz_is_one_line(tmp_path, cli, monkeypatch):
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))  # (where no dot is)
    seed = MANIFESTS["23.03"][0] / SEED / "ovn-trace.detailed.txt"
    done = cli("graph", seed, "-o", tmp_path / "x.svg")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "apt-get install graphviz" in done.stderr and not (tmp_path / "x.svg").exists()
    done = cli("graph", seed, "-o", tmp_path / "x.dot")  # DOT needs nothing
    assert done.returncode == 0 and (tmp_path / "x.dot").read_text().startswith("digraph")


@pytest.mark.parametrize("name", ["deny-pod-to-pod.loglevel2.txt", "seed-allow-loglevel0.txt"])
def test_ovnkube_trace_leaves_are_its_verdict_lines(name):
    path = ROOT / "tests" / "fixtures" / "ovnkube" / name
    said = re.findall(r"^(?:\x1b\[[0-9;]*m)*(.+?) indicates (success|failure) from (\S+) to (\S+)",
                      path.read_text(), re.M)
    [trace] = [t for t in ovnparse.read(path) if t.format == "ovnkube-trace"]
    g = trace.graph()
    leaves = sorted((n, kind) for n, kind in g.nodes(data="kind") if kind != "input")
    # (ovnkube-trace's "ovs-appctl ofproto/trace" is the tool ofproto/trace)
    assert leaves == sorted((f"{what.replace('ovs-appctl ', '')}: {result}",
                             "output" if result == "success" else "drop")
                            for what, result, _, _ in said)
