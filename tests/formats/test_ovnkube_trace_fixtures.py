"""ovnkube-trace printouts: real tool outputs framed as ovnkube-trace frames them,
and the real ovnkube-trace outputs of the corpus.

The constructed printouts (tests/fixtures/ovnkube/*.loglevel2.txt, made by
tests/fixtures/make_ovnkube_fixtures.py from samples/) carry a manifest that
says, independently of the parser, where each embedded output sits and what
ovnkube-trace printed about it.  Each embedded output must parse to exactly
what the sample gives when parsed on its own, its line numbers moved to where
it sits in the printout, and to what samples/manifest.json expects.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ovnparse import api
from ovnparse.analysis import explain
from ovnparse.model import OvnkubeCheck, OvnkubeMessage, OvnkubeOutput
from ovnparse.formats.registry import PARSERS

from conftest import CORPUS, SAMPLES, corpus_entries

HERE = Path(__file__).resolve().parents[1]
FIXTURES = HERE / "fixtures" / "ovnkube"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
CONSTRUCTED = MANIFEST["constructed"]
SAMPLE_SCENARIOS = {s["name"]: s for s in
                    json.loads((SAMPLES / "manifest.json").read_text())["scenarios"]}


def _shift(obj, offset: int):
    """A parsed structure with every line number moved by `offset`, sources dropped."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key == "source":
                continue
            is_int = isinstance(value, int) and not isinstance(value, bool)
            if (key == "line" or key.endswith("_line")) and is_int and value:
                out[key] = value + offset
            elif key == "lines" and isinstance(value, list):
                out[key] = [v + offset for v in value]
            else:
                out[key] = _shift(value, offset)
        return out
    if isinstance(obj, list):
        return [_shift(v, offset) for v in obj]
    return obj


def _run(name: str):
    traces = list(api.parse(FIXTURES / name))  # detected: klog lines say ovnkube-trace
    assert traces[-1].format == "ovnkube-trace"
    return traces[:-1], traces[-1]


def test_fixtures_are_what_the_script_makes():
    spec = importlib.util.spec_from_file_location(
        "make_ovnkube_fixtures", HERE / "fixtures" / "make_ovnkube_fixtures.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for name, text in make.build().items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, name


@pytest.mark.parametrize("name", sorted(CONSTRUCTED))
def test_verdict_lines(name):
    meta = CONSTRUCTED[name]
    _, run = _run(name)
    ex = explain(run)
    got = [{k: c[k] for k in ("tool", "direction", "result", "src", "dst", "line")}
           for c in ex.checks]
    assert got == meta["checks"]
    results = {c["result"] for c in meta["checks"]}
    assert ex.verdict == ("dropped" if "failure" in results else "delivered")
    assert (run.first_line, run.last_line) == (1, meta["lines"])
    assert not run.cut
    # Each verdict points at the output it judged.
    for check, out in zip(ex.checks, meta["outputs"]):
        assert check["output"] == [out["first_line"], out["last_line"]]


@pytest.mark.parametrize("name", sorted(CONSTRUCTED))
def test_embedded_outputs_are_the_samples(name):
    meta = CONSTRUCTED[name]
    embedded, run = _run(name)
    nodes = [n for n in run.roots if isinstance(n, OvnkubeOutput)]
    assert [(n.tool, n.direction, n.first_line, n.last_line) for n in nodes] == [
        (o["tool"], o["direction"], o["first_line"], o["last_line"])
        for o in meta["outputs"]]
    framed = (FIXTURES / name).read_text().split("\n")
    embedded = iter(embedded)
    for node, out in zip(nodes, meta["outputs"]):
        offset = out["first_line"] - 1
        sample = SAMPLES / out["sample"]
        # The framed file holds the sample's lines there (the first may carry
        # the klog header or the italics code before it).
        sample_lines = sample.read_text().split("\n")[:-1]
        here = framed[out["first_line"] - 1:out["last_line"]]
        assert here[1:] == sample_lines[1:]
        assert here[0].endswith(sample_lines[0])
        fmt = out["tool"]  # "ovn-trace", "ofproto/trace", "ovn-detrace": PARSERS keys
        direct = list(api.parse(sample, format=fmt))
        assert node.format == fmt and node.traces == [t.format for t in direct]
        expected = SAMPLE_SCENARIOS[meta["scenario"]][out["expected"]]
        for want in direct:
            got = next(embedded)
            assert (got.first_line, got.last_line) == \
                (want.first_line + offset, want.last_line + offset)
            assert _shift(got.to_dict(), 0) == _shift(want.to_dict(), offset)
            got_ex, want_ex = explain(got), explain(want)
            assert _shift(got_ex.to_dict(), 0) == _shift(want_ex.to_dict(), offset)
            assert got_ex.verdict == expected["verdict"]
            if got_ex.drop is not None:
                # The drop's line is that of the dropping stage in the framed file.
                assert framed[got_ex.drop.line - 1].lstrip().startswith(
                    f"{got_ex.drop.table}. {got_ex.drop.stage} ")
    assert next(embedded, None) is None
    assert run.problems == []


def test_seed_scenario_drop_at_the_guides_stage():
    """The guide: `4. ls_out_acl ... reg0[10] == 1 && (outport == @..._ingressDefaultDeny)`."""
    for name in ("deny-pod-to-pod.loglevel2.txt", "deny-pod-to-pod.2021.loglevel2.txt"):
        (trace,), run = _run(name)
        ex = explain(trace)
        assert (ex.verdict, ex.drop.stage, ex.drop.table, ex.drop.pipeline) == \
            ("dropped", "ls_out_acl", 4, "egress")
        assert ex.drop.match == \
            "reg0[10] == 1 && (outport == @a16982411286042166782_ingressDefaultDeny)"
        [check] = [n for n in run.roots if isinstance(n, OvnkubeCheck)]
        assert check.search == 'output to "default_web"'


def test_colour_codes_are_gone():
    raw = (FIXTURES / "deny-pod-to-pod.loglevel2.txt").read_text()
    assert "\x1b[3m" in raw and "\x1b[31m" in raw
    embedded, run = _run("deny-pod-to-pod.loglevel2.txt")
    for trace in embedded + [run]:
        assert "\x1b" not in json.dumps(trace.to_dict())


def test_2021_printout_is_read_like_the_current_one():
    _, old = _run("deny-pod-to-pod.2021.loglevel2.txt")
    [check] = [n for n in old.roots if isinstance(n, OvnkubeCheck)]
    assert (check.line, check.echo_line) == (57, 58)
    assert [m.topic for m in old.roots if isinstance(m, OvnkubeMessage)] == \
        ["start", "loglevel"]


def test_pod_to_ip_egress_message():
    _, run = _run("snat-pod-to-ip.loglevel2.txt")
    [egress] = [m for m in run.roots if isinstance(m, OvnkubeMessage) and m.topic == "egress"]
    assert egress.detail == "ovn-worker via Logical_Switch_Port breth0 with SNAT 172.18.0.2"


# --- the corpus: ovnkube-trace outputs recorded by others ------------------------------

# file -> (verdict, [(tool, direction, result, line)], [(format, first, last, verdict)] of
# the embedded traces, [(tool, first, last)] of every embedded output)
CORPUS_EXPECTED = {
    "docs/ovn-kubernetes_ovn-kubernetes/ovnkube-trace.md-L74.ovnkube.txt": (
        # 2024, interconnect: ovn-trace run again on the destination's zone "(remote)"
        "delivered", [("ovn-trace", "source pod to destination pod", "success", 1),
                      ("ovn-trace", "source pod to destination pod", "success", 2),
                      ("ovn-trace", "destination pod to source pod", "success", 3),
                      ("ovn-trace", "destination pod to source pod", "success", 4),
                      ("ofproto/trace", "source pod to destination pod", "success", 5),
                      ("ofproto/trace", "destination pod to source pod", "success", 6),
                      ("ovn-detrace", "source pod to destination pod", "success", 7),
                      ("ovn-detrace", "destination pod to source pod", "success", 8)],
        [], []),
    "docs/ovn-kubernetes_ovn-kubernetes/ovnkube-trace.md-L87.ovnkube.txt": (
        # -loglevel 2, the document left lines out twice "(...)"
        "incomplete", [("ovn-trace", "source pod to destination pod", "success", 150),
                       ("ofproto/trace", "source pod to destination pod", "success", 596)],
        [("ovn-trace/detailed", 3, 148, "delivered"), ("ofproto/trace", 155, 594, "delivered")],
        [("ovn-trace", 3, 148), ("ofproto/trace", 155, 594)]),
    "docs/ovn-kubernetes_ovn-kubernetes/ovnkube-trace.md-a5ea0b664-L85.ovnkube.txt": (
        "incomplete", [("ovn-trace", "source pod to destination pod", "success", 150),
                       ("ofproto/trace", "source pod to destination pod", "success", 596)],
        [("ovn-trace/detailed", 3, 148, "delivered"), ("ofproto/trace", 155, 594, "delivered")],
        [("ovn-trace", 3, 148), ("ofproto/trace", 155, 594)]),
    "docs/ovn-kubernetes_ovn-kubernetes/ovnkube-trace.md-eddb431bb-L66.ovnkube.txt": (
        # 2021, -loglevel 0: each verdict on stdout and again through klog
        "delivered", [("ovn-trace", "source pod to destination pod", "success", 3),
                      ("ovn-trace", "destination pod to source pod", "success", 5),
                      ("ofproto/trace", "source pod to destination pod", "success", 7),
                      ("ofproto/trace", "destination pod to source pod", "success", 9)],
        [], []),
    "docs/ovn-kubernetes_ovn-kubernetes/ovnkube-trace.md-eddb431bb-L82.ovnkube.txt": (
        # 2021, -loglevel 2, cut by the document inside the first ofproto/trace output
        "incomplete", [("ovn-trace", "source pod to destination pod", "success", 123),
                       ("ovn-trace", "destination pod to source pod", "success", 245)],
        [("ovn-trace/detailed", 3, 121, "delivered"), ("ovn-trace/detailed", 125, 243,
                                                       "delivered"),
         ("ofproto/trace", 247, 247, "incomplete")],
        [("ovn-trace", 3, 121), ("ovn-trace", 125, 243), ("ofproto/trace", 247, 247)]),
    "external/Billy99_ovn-kuber-traffic-flow-tests/README.md-1ea3b107b-L216.ovnkube.txt": (
        # verdict lines picked out by a script; "output:13\n\nFinal flow:" search strings
        "delivered", [("ovn-trace", "source pod to destination pod", "success", 1),
                      ("ovn-trace", "destination pod to source pod", "success", 2),
                      ("ofproto/trace", "source pod to destination pod", "success", 3),
                      ("ofproto/trace", "destination pod to source pod", "success", 6)],
        [], []),
    "external/Billy99_ovn-kuber-traffic-flow-tests/README.md-1ea3b107b-L233.ovnkube.txt": (
        "delivered", [("ovn-trace", "source pod to destination pod", "success", 1),
                      ("ovn-trace", "destination pod to source pod", "success", 2),
                      ("ofproto/trace", "source pod to destination pod", "success", 3),
                      ("ofproto/trace", "destination pod to source pod", "success", 4)],
        [], []),
    # 2021-03, -loglevel 5 (klog only): ovn-detrace could not be installed (no pip3)
    "external/Billy99_ovn-kuber-traffic-flow-tests/pod2pod-same-node.txt-b5d1865fc-L1.ovnkube.txt": (
        "delivered", [("ovn-trace", "source pod to destination pod", "success", 125),
                      ("ovn-trace", "destination pod to source pod", "success", 259),
                      ("ofproto/trace", "source pod to destination pod", "success", 647),
                      ("ofproto/trace", "destination pod to source pod", "success", 1037),
                      ("ovn-detrace", None, "error", 1040)],
        [("ovn-trace/detailed", 64, 123, "delivered"),
         ("ovn-trace/detailed", 127, 257, "delivered"),
         ("ofproto/trace", 261, 644, "delivered"), ("ofproto/trace", 651, 1034, "delivered")],
        [("ovn-trace", 64, 123), ("ovn-trace", 127, 257), ("ofproto/trace", 261, 644),
         ("ofproto/trace", 651, 1034)]),
    "external/Billy99_ovn-kuber-traffic-flow-tests/pod2pod-diff-node.txt-b5d1865fc-L1.ovnkube.txt": (
        "delivered", [("ovn-trace", "source pod to destination pod", "success", 214),
                      ("ovn-trace", "destination pod to source pod", "success", 348),
                      ("ofproto/trace", "source pod to destination pod", "success", 672),
                      ("ofproto/trace", "destination pod to source pod", "success", 996),
                      ("ovn-detrace", None, "error", 997)],
        [("ovn-trace/detailed", 64, 212, "delivered"),
         ("ovn-trace/detailed", 216, 346, "delivered"),
         ("ofproto/trace", 350, 669, "delivered"), ("ofproto/trace", 674, 993, "delivered")],
        [("ovn-trace", 64, 212), ("ovn-trace", 216, 346), ("ofproto/trace", 350, 669),
         ("ofproto/trace", 674, 993)]),
    "external/Billy99_ovn-kuber-traffic-flow-tests/pod2clusterIPsvc-same-node.txt-b5d1865fc-L1.ovnkube.txt": (
        "delivered", [("ovn-trace", "source pod to service clusterIP", "success", 208),
                      ("ovn-trace", "source pod to destination pod", "success", 294),
                      ("ovn-trace", "destination pod to source pod", "success", 428),
                      ("ofproto/trace", "source pod to destination pod", "success", 816),
                      ("ofproto/trace", "destination pod to source pod", "success", 1206),
                      ("ovn-detrace", None, "error", 1209)],
        [("ovn-trace/detailed", 48, 206, "delivered"),
         ("ovn-trace/detailed", 233, 292, "delivered"),
         ("ovn-trace/detailed", 296, 426, "delivered"),
         ("ofproto/trace", 430, 813, "delivered"), ("ofproto/trace", 820, 1203, "delivered")],
        [("ovn-trace", 48, 206), ("ovn-trace", 233, 292), ("ovn-trace", 296, 426),
         ("ofproto/trace", 430, 813), ("ofproto/trace", 820, 1203)]),
    "external/Billy99_ovn-kuber-traffic-flow-tests/pod2clusterIPsvc-diff-node.txt-b5d1865fc-L1.ovnkube.txt": (
        "delivered", [("ovn-trace", "source pod to service clusterIP", "success", 208),
                      ("ovn-trace", "source pod to destination pod", "success", 383),
                      ("ovn-trace", "destination pod to source pod", "success", 517),
                      ("ofproto/trace", "source pod to destination pod", "success", 841),
                      ("ofproto/trace", "destination pod to source pod", "success", 1165),
                      ("ovn-detrace", None, "error", 1166)],
        [("ovn-trace/detailed", 48, 206, "delivered"),
         ("ovn-trace/detailed", 233, 381, "delivered"),
         ("ovn-trace/detailed", 385, 515, "delivered"),
         ("ofproto/trace", 519, 838, "delivered"), ("ofproto/trace", 843, 1162, "delivered")],
        [("ovn-trace", 48, 206), ("ovn-trace", 233, 381), ("ovn-trace", 385, 515),
         ("ofproto/trace", 519, 838), ("ofproto/trace", 843, 1162)]),
}
ENTRIES = corpus_entries("ovnkube-trace")


def test_every_corpus_output_is_expected():
    assert sorted(e["file"] for e in ENTRIES) == sorted(CORPUS_EXPECTED) or not ENTRIES
    assert {"ofproto/trace", "ovn-detrace"} <= set(PARSERS)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_output(entry, corpus_dir):
    verdict, want_checks, want_traces, want_outputs = CORPUS_EXPECTED[entry["file"]]
    traces = list(api.parse(corpus_dir / entry["file"], format="ovnkube-trace"))
    run = traces[-1]
    assert run.format == "ovnkube-trace"
    ex = explain(run)
    assert ex.verdict == verdict, ex.warnings
    assert [(c["tool"], c["direction"], c["result"], c["line"]) for c in ex.checks] \
        == want_checks
    outputs = [n for n in run.roots if isinstance(n, OvnkubeOutput)]
    assert [(n.tool, n.first_line, n.last_line) for n in outputs] == want_outputs
    embedded = traces[:-1]
    assert [(t.format, t.first_line, t.last_line, explain(t).verdict) for t in embedded] \
        == want_traces
    for t in embedded:
        assert t.problems == [] or t.cut  # only the output the document cut short
    # Every embedded output went to its parser.
    for n in outputs:
        assert n.format == n.tool and n.traces, n
    # Nothing else went wrong.
    for p in run.problems:
        assert any(s in p.message for s in ("left out", "cut", "ends inside")), p


def _agreement(path: Path) -> list[tuple]:
    """(ovnkube-trace's result, our verdicts of the outputs it judged) per verdict line."""
    traces = list(api.parse(path, format="ovnkube-trace"))
    pairs = []
    for run in (t for t in traces if t.format == "ovnkube-trace"):
        for check in (n for n in run.roots if isinstance(n, OvnkubeCheck)):
            if check.output is None:
                continue
            first, last = check.output
            judged = [explain(t).verdict for t in traces
                      if t.format != "ovnkube-trace" and first <= t.first_line <= last]
            pairs.append((check.tool, check.result, judged))
    return pairs


AGREEMENT_FILES = ([CORPUS / e["file"] for e in ENTRIES]
                   + sorted(FIXTURES.glob("*.loglevel2.txt")))


@pytest.mark.parametrize("path", AGREEMENT_FILES, ids=[p.name for p in AGREEMENT_FILES])
def test_ovnkube_trace_and_ovnparse_agree(path):
    """Where ovnkube-trace found its search string, the output it searched is
    delivered by our reading; where it did not, it is not."""
    for tool, result, verdicts in _agreement(path):
        assert verdicts, (tool, result)
        if result == "success":
            assert set(verdicts) == {"delivered"}, (tool, verdicts)
        elif result == "failure":
            assert "delivered" not in verdicts, (tool, verdicts)
