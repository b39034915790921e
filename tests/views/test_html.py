"""What Jupyter shows: the cards of a Trace, an Explanation and a TraceDiff; the
one-line repr; `import ovnparse` stays free of pandas, networkx and pyparsing."""

from __future__ import annotations

import pickle
import re
import shutil
import subprocess
import sys

import pytest

import ovnparse
from ovnparse.analysis import explain as analyse
from ovnparse.views import dot as dot_module

from sample_traces import RELEASES, SEED, databases, sample, scenario

HAVE_DOT = shutil.which("dot") is not None


def text_of(html: str) -> str:
    """The card's visible text (tags and the style block removed)."""
    html = re.sub(r"<style>.*?</style>|<svg.*?</svg>", "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("release", RELEASES)
def test_trace_card_with_databases(release):
    sc = scenario(release, SEED)
    trace = sample(release, SEED, "ovn-trace.detailed.txt", db=databases(release, "base"))[0]
    html = trace._repr_html_()
    text = text_of(html)
    assert "DROPPED" in text and "ovn-trace/detailed" in text
    assert "from prod_test-6459 → ovn-worker" in text and "✗ dropped at" in text
    assert sc["expected"]["drop"]["acl_name"] in text
    assert "the default-deny of NetworkPolicies in namespace default" in text
    assert "default/web" in text  # the port group's pods
    assert "<details>" in html and "stages</summary>" in html
    # every stage is a row; the drop's is marked
    assert html.count('<tr class="d">') == 1
    assert html.count("<tr") - 1 == len(trace.to_frame()) + html.count("<tr><td class=\"k\">")
    # escaped: the match's && is text, not markup
    assert "&amp;&amp;" in html and "== 1 && (" not in html
    assert ("<svg" in html) == HAVE_DOT


def test_card_of_an_openflow_trace_and_of_a_bare_explanation():
    trace = sample("23.03", SEED, "ofproto-trace.ct-new.txt")[0]
    html = trace._repr_html_()
    assert "steps</summary>" in html and "0x4973b8c9" in html and "OpenFlow" in html
    bare = analyse(trace.plain())  # an Explanation that keeps no trace: no steps, no graph
    text = text_of(bare._repr_html_())
    assert "DROPPED" in text and "NP:default:Ingress" in text and "steps" not in text
    assert text_of(trace.explain()._repr_html_()) == text_of(html)


def test_card_without_graphviz_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    trace = sample("23.03", "north-south-snat", "ovn-trace.detailed.txt")[0]
    html = trace._repr_html_()
    assert "<svg" not in html and "apt-get install graphviz" in html
    assert "✓ to breth0_ovn-worker" in text_of(html)


def test_diff_card():
    [a] = sample("23.03", SEED, "ovn-trace.detailed.txt")
    [b] = sample("23.03", "acl-ingress-allowed-after-web-allow-prod", "ovn-trace.detailed.txt")
    d = ovnparse.diff(a, b)
    text = text_of(d._repr_html_())
    assert "DROPPED → DELIVERED" in text
    assert "first divergence at ovn-worker egress table 4 ls_out_acl" in text
    assert "NP:default:web-allow-prod:Ingress:0" in text and "aligned steps" in text
    assert repr(d).startswith("<TraceDiff different: dropped → delivered") and len(repr(d)) <= 200


def test_repr_is_one_short_line_and_traces_pickle():
    for form in ("ovn-trace.detailed.txt", "ovn-detrace.txt", "ovn-trace.all.txt"):
        for trace in sample("23.03", SEED, form):
            text = repr(trace)
            assert "\n" not in text and len(text) <= 200 and trace.format in text
    trace = sample("23.03", SEED, "ovn-trace.detailed.txt", db=databases("23.03", "base"))[0]
    before = trace.explain().to_dict()
    again = pickle.loads(pickle.dumps(trace))
    assert again.db is None and again.explain().verdict == "dropped"
    assert trace.explain().to_dict() == before  # pure: the same however often


def test_import_ovnparse_is_light():
    code = ("import sys, ovnparse\n"
            "heavy = [m for m in ('pandas', 'networkx', 'pyparsing') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert callable(ovnparse.diff) and callable(ovnparse.merge)\n"
            "assert callable(ovnparse.parse_match)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def test_parse_match_from_the_face():
    group = "a16982411286042166782_ingressDefaultDeny"
    m = ovnparse.parse_match(f"reg0[10] == 1 && (outport == @{group})")
    assert list(m.port_groups) == [group] and list(m.fields) == ["reg0", "outport"]
    with pytest.raises(ovnparse.ExpressionError):
        ovnparse.parse_match("reg0[10] == ")
