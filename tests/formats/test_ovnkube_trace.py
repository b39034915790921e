"""ovnkube-trace: what it prints, and how it is read.

ovnkube-trace (ovn-kubernetes go-controller/cmd/ovnkube-trace) cannot run here
(it needs a Kubernetes API).  These tests read its lines as its source prints
them, version by version, and the outputs the OpenShift guide quotes
(tests/fixtures/ovnkube/seed-*.txt).  test_ovnkube_trace_fixtures.py covers
real tool outputs framed as ovnkube-trace frames them, and the corpus.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ovnparse import api, cli
from ovnparse.analysis import explain
from ovnparse.model import OvnkubeCheck, OvnkubeMessage, OvnkubeOutput
from ovnparse.formats.registry import PARSERS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ovnkube"
VERDICTS = {"delivered", "dropped", "incomplete", "error"}


def klog(message: str, where: str = "ovnkube-trace.go:693", level: str = "I") -> str:
    """A line as klog prints it (the pid right-aligned in 7 columns)."""
    return f"{level}0116 14:20:47.380775   50822 {where}] {message}"


def parse(text: str, source: str = "t.txt"):
    return api.parse_text(text, source, format="ovnkube-trace")


def summary(text: str):
    """The ovnkube-trace trace (always the last one) and its explanation."""
    traces = parse(text)
    assert traces[-1].format == "ovnkube-trace"
    assert all(t.format != "ovnkube-trace" for t in traces[:-1])
    return traces[-1], explain(traces[-1])


def checks(trace) -> list[OvnkubeCheck]:
    return [n for n in trace.roots if isinstance(n, OvnkubeCheck)]


# --- the verdict lines, 2022-06 on --------------------------------------------------

TOOLS = [("ovn-trace", "ovn-trace"), ("ovs-appctl ofproto/trace", "ofproto/trace"),
         ("ovn-detrace", "ovn-detrace")]
DIRECTIONS = [("source pod to destination pod", "web", "dns-default-467qw"),
              ("destination pod to source pod", "dns-default-467qw", "web")]


@pytest.mark.parametrize("result", ["success", "failure"])
@pytest.mark.parametrize("printed,tool", TOOLS)
@pytest.mark.parametrize("direction,src,dst", DIRECTIONS)
def test_six_kinds_of_verdict_line(printed, tool, direction, src, dst, result):
    line = f"{printed} {direction} indicates {result} from {src} to {dst}"
    trace, ex = summary(line + "\n")
    [check] = checks(trace)
    assert (check.tool, check.direction, check.result, check.src, check.dst, check.line) \
        == (tool, direction, result, src, dst, 1)
    assert not check.remote and check.search is None
    assert ex.verdict == ("delivered" if result == "success" else "dropped")
    assert ex.checks == [{"tool": tool, "direction": direction, "result": result,
                                   "src": src, "dst": dst, "line": 1, "remote": False,
                                   "output": None}]
    assert (ex.outputs, ex.datapaths, ex.drop) == (None, None, None)
    if result == "failure":
        assert any(f"{printed} {direction} indicates failure from {src} to {dst}" in w.message
                   for w in ex.warnings)


@pytest.mark.parametrize("line,tool,direction,remote", [
    # interconnect (2023-07 on): the trace run again in the destination's zone
    ("ovn-trace (remote) source pod to destination pod indicates success from a-1 to b-2",
     "ovn-trace", "source pod to destination pod", True),
    ("ovn-trace (remote) source pod to service clusterIP indicates failure from a-1 to b-2",
     "ovn-trace", "source pod to service clusterIP", True),
    # -service (2023-07 on, and 2022-06 to 2023-07)
    ("ovn-trace source pod to service clusterIP indicates success from a-1 to web-svc",
     "ovn-trace", "source pod to service clusterIP", False),
    ("ovn-trace from source pod to service clusterIP indicates success from a-1 to web-svc",
     "ovn-trace", "source pod to service clusterIP", False),
    # -dst-ip (2022-06 on): one direction, three tools, three ways of saying it
    ("ovn-trace from pod to IP indicates success from a-1 to 1.1.1.1",
     "ovn-trace", "pod to IP", False),
    ("ovs-appctl ofproto/trace pod to IP indicates failure from a-1 to 2001:db8::1",
     "ofproto/trace", "pod to IP", False),
    ("ovn-detrace pod to external IP indicates success from a-1 to 1.1.1.1",
     "ovn-detrace", "pod to IP", False),
])
def test_service_ip_and_remote_verdicts(line, tool, direction, remote):
    trace, _ = summary(line + "\n")
    [check] = checks(trace)
    assert (check.tool, check.direction, check.remote) == (tool, direction, remote)
    assert check.dst == line.rsplit(" ", 1)[1]


def test_colour_and_klog_prefixes_are_read_through():
    text = ("\x1b[32m\x1b[1movn-trace source pod to destination pod indicates success "
            "from web to dns\x1b[0m\n"
            + klog("\x1b[32mSearch string matched:", "ovnkube-trace.go:704") + "\n"
            + 'output to "openshift-dns_dns"\x1b[0m\n')
    trace, ex = summary(text)
    [check] = checks(trace)
    assert check.text == "ovn-trace source pod to destination pod indicates success from web to dns"
    assert check.search == 'output to "openshift-dns_dns"'
    assert ex.verdict == "delivered"


def test_search_string_over_three_lines():
    # Pods on one node: ovnkube-trace looks for "output:<ofport>\n\nFinal flow:".
    text = "\n".join([
        "ovs-appctl ofproto/trace source pod to destination pod indicates success from a to b",
        klog("Search string matched:", "ovnkube-trace.go:704"),
        "output:24", "", "Final flow:",
        "ovs-appctl ofproto/trace destination pod to source pod indicates success from b to a",
    ]) + "\n"
    trace, ex = summary(text)
    first, second = checks(trace)
    assert first.search == "output:24\n\nFinal flow:"
    assert second.search is None and second.line == 6
    assert ex.verdict == "delivered" and trace.problems == []


def test_verdicts_from_search_lines_alone():
    """stdout not captured (2>file): the search-string lines still say it."""
    text = "\n".join([
        klog("ovn-trace source pod to destination pod Output:"),
        "# tcp,reg14=0x5", "", 'ingress(dp="ovn-worker", inport="prod_test-6459")',
        "-------------------------------------------------",
        ' 0. ls_in_check_port_sec (northd.c:8432): 1, priority 50, uuid 80da8c7c',
        "    reg0[15] = check_in_port_sec();",
        "    next;",
        "\x1b[0m",
        klog("Search string not matched:", "ovnkube-trace.go:709"),
        'output to "default_web"',
    ]) + "\n"
    trace, ex = summary(text)
    [check] = checks(trace)
    assert check.inferred and check.result == "failure" and check.src is None
    assert (check.tool, check.direction, check.output) == (
        "ovn-trace", "source pod to destination pod", [2, 8])
    assert check.search == 'output to "default_web"'
    assert ex.verdict == "dropped"


def test_search_line_that_disagrees_with_its_verdict():
    text = ("ovn-trace source pod to destination pod indicates success from a to b\n"
            + klog("Search string not matched:", "ovnkube-trace.go:709") + "\noutput to \"b\"\n")
    trace, _ = summary(text)
    assert [p.line for p in trace.problems] == [2]
    assert "says failure" in trace.problems[0].message


# --- 2020-11 to 2022-06 ---------------------------------------------------------------

def test_old_verdicts_are_printed_twice_and_counted_once():
    text = "\n".join([
        klog("Log level set to: 0", "ovnkube-trace.go:520"),
        'ovn-trace indicates success from a-1 to b-2 - matched on output to "default_b-2"',
        klog('ovn-trace indicates success from a-1 to b-2 - matched on output to "default_b-2"',
             "ovnkube-trace.go:782"),
        'ovn-trace indicates success from b-2 to a-1 - matched on output to "default_a-1"',
        klog('ovn-trace indicates success from b-2 to a-1 - matched on output to "default_a-1"',
             "ovnkube-trace.go:824"),
        "ovs-appctl ofproto/trace indicates success from a-1 to b-2 - matched on output:13",
        "", "Final flow:",
        klog("ovs-appctl ofproto/trace indicates success from a-1 to b-2 - matched on output:13",
             "ovnkube-trace.go:868"),
        "", "Final flow:",
        "ovs-appctl ofproto/trace indicates failure from b-2 to a-1 - -> output to kernel "
        "tunnel not matched",
        "ovn-trace command Completed normally",
    ]) + "\n"
    trace, ex = summary(text)
    got = [(c.tool, c.direction, c.result, c.src, c.line, c.echo_line, c.search)
           for c in checks(trace)]
    assert got == [
        ("ovn-trace", "source pod to destination pod", "success", "a-1", 2, 3,
         'output to "default_b-2"'),
        ("ovn-trace", "destination pod to source pod", "success", "b-2", 4, 5,
         'output to "default_a-1"'),
        ("ofproto/trace", "source pod to destination pod", "success", "a-1", 6, 9,
         "output:13\n\nFinal flow:"),
        ("ofproto/trace", "destination pod to source pod", "failure", "b-2", 12, None,
         "-> output to kernel tunnel"),
    ]
    assert trace.problems == []
    assert [m.topic for m in trace.roots if isinstance(m, OvnkubeMessage)] == \
        ["loglevel", "completed"]
    assert ex.verdict == "dropped"


def test_old_failure_whose_search_string_has_line_ends():
    text = ("ovs-appctl ofproto/trace indicates failure from a to b - output:24\n"
            "\nFinal flow: not matched\n")
    trace, ex = summary(text)
    [check] = checks(trace)
    assert check.search == "output:24\n\nFinal flow:" and check.result == "failure"
    assert trace.problems == [] and ex.verdict == "dropped"


def test_old_service_run_directions_from_the_pod_names():
    # -service: the first ovn-trace goes to the service, whose name is not a pod's.
    text = "\n".join([
        'ovn-trace indicates success from client-1 to web-svc - matched on output to "d_web-0"',
        "using pod web-0 in service web-svc to test against",
        'ovn-trace indicates success from client-1 to web-0 - matched on output to "d_web-0"',
        'ovn-trace indicates success from web-0 to client-1 - matched on output to "d_client-1"',
    ]) + "\n"
    trace, ex = summary(text)
    assert [c.direction for c in checks(trace)] == [
        "source pod to service clusterIP", "source pod to destination pod",
        "destination pod to source pod"]
    [service] = [m for m in trace.roots if isinstance(m, OvnkubeMessage)]
    assert (service.topic, service.detail) == ("service", "web-0 in service web-svc")
    assert ex.verdict == "delivered"


def test_old_output_starts_on_its_klog_line():
    sample = (Path(__file__).resolve().parents[2] / "samples" / "pod-to-pod-same-node"
              / "ovn-trace.detailed.txt").read_text()
    text = (klog("Source to Destination ovn-trace Output: " + sample, "ovnkube-trace.go:771")
            + "\n" + 'ovn-trace indicates success from test-6459 to api-0 - matched on '
            'output to "prod_api-0"\n')
    traces = parse(text)
    assert [t.format for t in traces] == ["ovn-trace/detailed", "ovnkube-trace"]
    direct = api.parse_text(sample, "s.txt")[0]
    assert traces[0].microflow == direct.microflow
    assert (traces[0].first_line, traces[0].last_line) == (1, direct.last_line)
    assert explain(traces[0]).verdict == explain(direct).verdict == "delivered"
    [check] = checks(traces[1])
    assert check.output == [1, direct.last_line]


# --- errors, skips, stops ---------------------------------------------------------------

def test_a_tool_that_cannot_run_stops_the_run():
    text = "\n".join([
        "ovn-trace source pod to destination pod indicates success from a to b",
        klog("ovn-trace destination pod to source pod error command terminated with exit "
             "code 1 stdOut: ", "ovnkube-trace.go:691", level="F"),
        " stdErr: ovn-trace: unix:/var/run/ovn/ovnsb_db.sock: database connection failed "
        "(No such file or directory)",
    ]) + "\n"
    trace, ex = summary(text)
    ok, bad = checks(trace)
    assert (bad.tool, bad.direction, bad.result) == \
        ("ovn-trace", "destination pod to source pod", "error")
    assert bad.error.startswith("command terminated with exit code 1\nstdErr: ovn-trace: unix:")
    assert ex.verdict == "error"
    assert any("could not run" in w.message and "database connection failed" in w.message for w in ex.warnings)


def test_an_error_with_output_reads_the_output():
    sample = (Path(__file__).resolve().parents[2] / "samples" / "no-route"
              / "ovn-trace.detailed.txt").read_text()
    text = (klog("Source to Destination ovn-trace error exit status 1 stdOut: " + sample)
            + "\n stdErr: something went wrong\n")
    traces = parse(text)
    assert [t.format for t in traces] == ["ovn-trace/detailed", "ovnkube-trace"]
    [check] = checks(traces[-1])
    assert check.result == "error" and check.output == [1, traces[0].last_line]
    assert check.error == "exit status 1\nstdErr: something went wrong"
    assert explain(traces[-1]).verdict == "error"


def test_ovn_detrace_that_cannot_run_is_a_warning():
    text = "\n".join([
        "ovn-trace source pod to destination pod indicates success from a to b",
        "ovs-appctl ofproto/trace source pod to destination pod indicates success from a to b",
        klog('Skipped ovn-detrace due to: "dependencies check failed: ..."', "ovnkube-trace.go:1343"),
    ]) + "\n"
    _, ex = summary(text)
    assert ex.verdict == "delivered"
    assert any("ovn-detrace was skipped" in w.message for w in ex.warnings)
    old = ("ovn-trace indicates success from a to b - matched on output to \"x_b\"\n"
           + klog("ovn-detrace error command terminated with exit code 127 stdOut: ")
           + "\n stdErr: bash: pip3: command not found\n")
    trace, ex = summary(old)
    assert checks(trace)[-1].result == "error" and ex.verdict == "delivered"


def test_ovnkube_trace_stopping_on_its_own_error():
    # As quoted in https://github.com/ovn-kubernetes/ovn-kubernetes/pull/3717 (2023-07):
    # klog.Exitf, its message going on over a second line.
    text = (
        'F0719 19:26:08.097679 2164496 ovnkube-trace.go:1253] Failed to get information from '
        'pod pod-test-8fc85c769-8nj9n: execInPod() failed. err: command terminated with exit '
        'code 1, stderr: ovn-sbctl: no row "rtots-ovn-worker2" in table Port_Binding\n'
        ', stdout: , podInfo: {"NodeExternalBridgeName":"","OvnK8sMp0PortName":"",'
        '"OvnK8sMp0OfportNum":"","K8sNodeNamePort":"","NodeName":"ovn-worker2",'
        '"OvnKubePodName":"ovnkube-node-8ds8k","RoutingViaHost":false,'
        '"PrimaryInterfaceName":"","IP":"10.244.0.3","IPVer":"ip4","MAC":"0a:58:0a:f4:00:03",'
        '"VethName":"","OfportNum":"","PodName":"pod-test-8fc85c769-8nj9n",'
        '"PodNamespace":"ovn-kubetrace-pod-test","ContainerName":"pod-test",'
        '"RtosMAC":"0a:58:0a:f4:00:01","RtotsMAC":"","HostNetwork":false,'
        '"IsInterConnect":false,"InterConnectZoneName":"","NbURI":"tcp:172.18.0.4:6641",'
        '"SbURI":"tcp:172.18.0.4:6642","SslCertKeys":" ",'
        '"NbCommand":" --db tcp:172.18.0.4:6641","SbCommand":" --db tcp:172.18.0.4:6642"}\n')
    trace, ex = summary(text)
    [fatal] = trace.roots
    assert (fatal.topic, fatal.line) == ("fatal", 1)
    assert fatal.detail.startswith(", stdout: , podInfo: {")
    assert trace.problems == [] and ex.verdict == "error"
    assert any("ovnkube-trace stopped" in w.message and "no row" in w.message for w in ex.warnings)
    text = "ovn-trace source pod to destination pod indicates success from a to b\n" + text
    assert summary(text)[1].verdict == "error"


def test_loglevel0_run_quoted_in_a_pull_request():
    # https://github.com/ovn-kubernetes/ovn-kubernetes/pull/3261 (2022-11), the lines
    # the quote gives whole.
    text = (
        "I1106 14:32:16.248415 1761302 ovs.go:90] Maximum command line arguments set to: "
        "191102\n"
        "ovn-trace source pod to destination pod indicates success from "
        "network-check-target-4dq2b to network-check-target-7fbh7\n"
        "ovn-trace destination pod to source pod indicates success from "
        "network-check-target-7fbh7 to network-check-target-4dq2b\n"
        "ovs-appctl ofproto/trace source pod to destination pod indicates success from "
        "network-check-target-4dq2b to network-check-target-7fbh7\n"
        "ovs-appctl ofproto/trace destination pod to source pod indicates success from "
        "network-check-target-7fbh7 to network-check-target-4dq2b\n"
        "ovn-detrace source pod to destination pod indicates success from "
        "network-check-target-4dq2b to network-check-target-7fbh7\n")
    traces = api.parse_text(text, "pr3261.txt")  # detected
    assert [t.format for t in traces] == ["ovnkube-trace"]
    ex = explain(traces[0])
    assert ex.verdict == "delivered" and traces[0].problems == []
    assert [c["line"] for c in ex.checks] == [2, 3, 4, 5, 6]


# --- the OpenShift guide's outputs ---------------------------------------------------------

SEED = {
    "seed-dns-loglevel0.txt": ("delivered", "web", "dns-default-467qw", ["success"] * 6),
    "seed-allow-loglevel0.txt": ("delivered", "test-6459", "web", ["success"] * 6),
    "seed-deny-loglevel0.txt": ("dropped", "test-6459", "web", ["failure"]),
}


@pytest.mark.parametrize("name", sorted(SEED))
def test_seed_loglevel0_outputs(name):
    verdict, src, dst, results = SEED[name]
    traces = list(api.parse(FIXTURES / name))  # detected, not forced
    assert [t.format for t in traces] == ["ovnkube-trace"]
    trace = traces[0]
    ex = explain(trace)
    assert ex.verdict == verdict and trace.problems == []
    got = [(c["tool"], c["direction"], c["result"], c["src"], c["dst"], c["line"])
           for c in ex.checks]
    order = [("ovn-trace", "source pod to destination pod"),
             ("ovn-trace", "destination pod to source pod"),
             ("ofproto/trace", "source pod to destination pod"),
             ("ofproto/trace", "destination pod to source pod"),
             ("ovn-detrace", "source pod to destination pod"),
             ("ovn-detrace", "destination pod to source pod")]
    want = [(tool, d, r, src if d.startswith("source") else dst,
             dst if d.startswith("source") else src, n + 2)
            for n, ((tool, d), r) in enumerate(zip(order, results))]
    assert got == want
    assert trace.first_line == 1 and trace.last_line == len(results) + 1


def test_seed_loglevel2_excerpt():
    """The guide quotes only the end of the failing ovn-trace: read it as ovn-trace."""
    traces = list(api.parse(FIXTURES / "seed-deny-loglevel2-excerpt.txt",
                            format="ovnkube-trace"))
    assert [t.format for t in traces] == ["ovn-trace/detailed", "ovnkube-trace"]
    excerpt, run = traces
    ex = explain(excerpt)
    assert ex.verdict == "dropped"
    assert (ex.drop.table, ex.drop.stage, ex.drop.reason_code, ex.drop.line) == \
        (4, "ls_out_acl", "acl", 7)
    # The guide's callout mark (" 1") after the lflow uuid hides priority and uuid.
    assert ex.drop.match.endswith("uuid f730a887 1") and ex.drop.lflow is None
    [out] = [n for n in run.roots if isinstance(n, OvnkubeOutput)]
    assert (out.tool, out.format, out.first_line, out.last_line) == (None, "ovn-trace", 1, 8)
    assert "no 'Output:' line announces" in run.problems[0].message
    assert explain(run).verdict == "incomplete"  # ovnkube-trace's own lines are not there


def test_seed_help_is_not_a_run():
    trace, ex = summary((FIXTURES / "seed-help.txt").read_text())
    assert [m.topic for m in trace.roots] == ["start", "usage"]
    assert trace.roots[1].detail.startswith("./ovnkube-trace")
    assert ex.verdict == "incomplete"
    assert any("printed its usage" in w.message for w in ex.warnings)


def test_runs_one_after_another():
    """The guide's failing run, then the run after the fix, saved in one file."""
    text = "".join((FIXTURES / n).read_text() for n in (
        "seed-deny-loglevel0.txt", "seed-allow-loglevel0.txt", "deny-pod-to-pod.loglevel2.txt"))
    traces = api.parse_text(text, "runs.txt")
    assert [(t.format, t.first_line, t.last_line) for t in traces] == [
        ("ovnkube-trace", 1, 2), ("ovnkube-trace", 3, 9),
        ("ovn-trace/detailed", 13, 65), ("ovnkube-trace", 10, 69)]
    assert [explain(t).verdict for t in traces] == ["dropped", "delivered", "dropped", "dropped"]
    assert [c.line for c in checks(traces[1])] == list(range(4, 10))


@pytest.mark.parametrize("line,ours", [
    ("ovn-trace source pod to destination pod indicates success from a to b", True),
    ("ovn-trace (remote) source pod to destination pod indicates failure from a to b", True),
    ("ovn-trace from pod to IP indicates success from a to 1.1.1.1", True),
    ("ovn-detrace pod to external IP indicates success from a to 1.1.1.1", True),
    ('ovn-trace indicates success from a to b - matched on output to "x_b"', True),
    ("ovs-appctl ofproto/trace indicates failure from a to b - output:3 not matched", True),
    ("ovn-trace source pod to destination pod Output:", True),
    ("Source to Destination ovs-appctl Output: Flow: tcp,in_port=3", True),
    ("Search string matched:", True),
    ("ovn-trace command Completed normally", True),
    ("# tcp,reg14=0x5,vlan_tci=0x0000", False),
    ("Flow: tcp,in_port=4,vlan_tci=0x0000", False),
    ('    /* output to "default_web", type "" */', False),
    ("Datapath actions: ct(zone=4,nat),recirc(0x22)", False),
])
def test_lines_only_ovnkube_trace_prints(line, ours):
    from ovnparse.formats.sniff import is_ovnkube_line
    assert is_ovnkube_line(line) is ours


# --- the CLI ----------------------------------------------------------------------------

def test_explain_json(capsys):
    status = cli.main(["explain", "--json", str(FIXTURES / "seed-deny-loglevel0.txt")])
    assert status == 0
    [obj] = json.loads(capsys.readouterr().out)
    assert obj["format"] == "ovnkube-trace" and obj["verdict"] == "dropped"
    assert (obj["outputs"], obj["datapaths"], obj["drop"], obj["microflow"]) == \
        (None, None, None, None)
    assert obj["checks"] == [{"tool": "ovn-trace", "direction": "source pod to destination pod",
                              "result": "failure", "src": "test-6459", "dst": "web",
                              "line": 2, "remote": False, "output": None}]


def test_parse_json_is_serialisable():
    for trace in api.parse(FIXTURES / "deny-pod-to-pod.loglevel2.txt"):
        json.dumps(trace.to_dict())


# --- bad input: problems and 'incomplete', never a traceback ------------------------------

def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines(keepends=True)


@pytest.mark.parametrize("keep", range(1, 61))
def test_cut_after_any_line(keep):
    """The deny run cut after each of its lines: before the verdict, never 'dropped'."""
    lines = _lines("deny-pod-to-pod.loglevel2.txt")
    assert len(lines) == 60
    text = "".join(lines[:keep])
    lose_end = keep % 2 and lines[keep - 1].strip()  # half lose the last line end too
    text = text[:-1] if lose_end else text
    trace, ex = summary(text)
    assert ex.verdict in VERDICTS
    if keep < 58:  # the verdict is line 58
        assert ex.verdict == "incomplete"
        assert trace.cut or not checks(trace)
    else:
        assert ex.verdict == "dropped"
    if lose_end:
        assert trace.cut and any("no line end" in p.message for p in trace.problems)


@pytest.mark.parametrize("at", [0.01, 0.05, 0.2, 0.33, 0.5, 0.7, 0.9, 0.999])
def test_cut_anywhere_in_a_long_run(at):
    text = (FIXTURES / "snat-pod-to-ip.loglevel2.txt").read_text()
    cut = text[:int(len(text) * at)]
    traces = parse(cut)
    run = traces[-1]
    ex = explain(run)
    assert run.cut and ex.verdict == "incomplete"
    for t in traces[:-1]:
        assert t.last_line <= run.last_line
    if "ovn-detrace pod to external IP Output:" not in cut:
        assert not any(c.tool == "ovn-detrace" for c in checks(run))


@pytest.mark.parametrize("seed", range(12))
def test_garbled_text(seed):
    rnd = random.Random(seed)
    lines = _lines("snat-pod-to-ip.loglevel2.txt")[:260] + _lines("deny-pod-to-pod.loglevel2.txt")
    for _ in range(40):
        i = rnd.randrange(len(lines))
        action = rnd.randrange(4)
        if action == 0:
            del lines[i]
        elif action == 1:
            lines.insert(i, lines[rnd.randrange(len(lines))])
        elif action == 2:
            lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)] + "\n"
        else:
            lines[i] = "".join(rnd.choice("ab(){}[];:=,.\"\\ \t-0123456789\x1b")
                               for _ in range(rnd.randrange(80))) + "\n"
    rnd.shuffle(lines[100:200])
    traces = parse("".join(lines))
    assert traces[-1].format == "ovnkube-trace"
    for t in traces:
        assert explain(t).verdict in VERDICTS | {"flooded", "controller"}
        json.dumps(t.to_dict())


def test_not_ovnkube_trace_at_all():
    trace, ex = summary("hello\nworld\n")
    assert ex.verdict == "incomplete"
    assert "not ovnkube-trace output" in trace.problems[0].message
