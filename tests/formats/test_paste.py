"""Prompts and commands saved with traces (formats/paste.py).

Mutation tests, said so: real samples with prompt and command lines put
before, between, inside (continued over lines) and after them, in the forms
seen in public bug reports and docs: `$ `, `# ` (root), `sh-5.1# `,
`[root@host /]# `, `(venv) user@host:~$ `, `()[root@controller-0 /]# `,
`oc exec ... --`, `kubectl ko trace`, multi-line commands.  What must hold:
the traces are the same as without the prompts (no phantom trace, same
verdicts and line numbers of every node), and each trace carries the command
typed before it.
"""

from __future__ import annotations

import pytest

from ovnparse import api

from conftest import SAMPLES

OVN_TRACE = (SAMPLES / "acl-ingress-default-deny" / "ovn-trace.detailed.txt").read_text()
OFPROTO = (SAMPLES / "acl-ingress-default-deny" / "ofproto-trace.ct-new.txt").read_text()
SUMMARY = (SAMPLES / "pod-to-pod-same-node" / "ovn-trace.summary.txt").read_text()

PROMPTS = ["$ ", "# ", "sh-5.1# ", "[root@ovn-control-plane /]# ", "(venv) user@laptop:~/ovn$ ",
           "()[root@controller-0 /]# ", "root@ovn-worker:/# ", "bash-4.4$ "]


def _shape(traces):
    """What a trace is, line numbers aside: format, verdict, nodes' texts."""
    return [(t.format, t.explain().verdict, [n.text for n in t.walk()]) for t in traces]


def _lines_of(traces):
    return [[n.line for n in t.walk()] for t in traces]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_prompt_and_command_before_each_trace(prompt):
    text = (f"{prompt}ovn-trace --ct=new ovn-worker 'inport == \"prod_test-6459\"'\n" + OVN_TRACE
            + f"{prompt}ovs-appctl ofproto/trace br-int in_port=5,tcp\n" + OFPROTO + prompt + "\n")
    plain = api.read_text(OVN_TRACE + "\n" + OFPROTO + "\n")
    traces = api.read_text(text)
    assert _shape(traces) == _shape(plain)
    assert [t.command.tool for t in traces] == ["ovn-trace", "ofproto/trace"]
    assert traces[0].command.options == ["--ct=new"] and traces[0].command.line == 1
    assert traces[1].command.line == OVN_TRACE.count("\n") + 2
    assert not [p for t in traces for p in t.problems]


def test_a_root_prompt_is_not_ovn_traces_microflow_line():
    text = "# ovn-trace --minimal ovn-worker 'inport == \"a\"'\n" + OVN_TRACE
    [trace] = api.read_text(text)
    assert trace.microflow == OVN_TRACE.split("\n", 1)[0][2:]
    assert trace.command.tool == "ovn-trace" and trace.command.options == ["--minimal"]
    assert _lines_of([trace]) == [[n + 1 for n in ls] for ls in _lines_of(api.read_text(OVN_TRACE))]


def test_a_multi_line_command_is_one_command():
    text = ("[root@ovn-control-plane ~]# oc exec -n openshift-ovn-kubernetes ovnkube-node-x \\\n"
            "    -c ovn-controller -- ovn-trace --ct new \\\n"
            "> ovn-worker 'inport == \"prod_test-6459\" &&\n"
            "  tcp.dst == 80'\n" + SUMMARY)
    [trace] = api.read_text(text)
    assert trace.format == "ovn-trace/summary"
    command = trace.command
    assert (command.tool, command.line, command.last_line) == ("ovn-trace", 1, 4)
    assert command.options == ["--ct=new"]
    assert command.text.startswith("oc exec -n openshift-ovn-kubernetes ovnkube-node-x -c ")
    assert _shape([trace]) == _shape(api.read_text(SUMMARY))


def test_commands_typed_without_a_prompt():
    text = ("kubectl ko trace default/web-1 10.244.1.3 tcp 80\n" + OVN_TRACE
            + "ovs-appctl ofproto/trace br-int in_port=5,tcp,nw_dst=10.244.1.3\n" + OFPROTO)
    traces = api.read_text(text)
    assert [t.command.tool for t in traces] == ["kubectl-ko trace", "ofproto/trace"]
    assert len(traces) == 2


def test_a_command_after_the_last_trace_is_a_warning():
    traces = api.read_text(OFPROTO + "$ ovn-detrace < trace.txt\n")
    [trace] = traces
    [problem] = trace.problems
    assert problem.line == OFPROTO.count("\n") + 1 and "no output after it" in problem.message
    assert trace.explain().verdict == "dropped"


def test_ovnkube_trace_lines_that_name_a_tool_are_not_commands():
    lines = ["ovn-trace source pod to destination pod indicates success from a to b",
             "ovn-detrace error command terminated with exit code 127 stdOut: "]
    [trace] = api.read_text("\n".join(lines) + "\n")
    assert trace.format == "ovnkube-trace" and trace.command is None
    assert len(trace.roots) == 2


# --- a whole text indented, quoted, or cut -------------------------------------------

@pytest.mark.parametrize("margin", ["    ", " ", "> ", ">", "    > ", "\t"])
def test_a_text_indented_or_quoted_as_a_whole_reads_as_the_text(margin):
    """A code block indented in a document or a mail quote: every line carries
    the same margin (a prompt at the left of it too, as documents show them)."""
    pasted = "$ ovn-trace ovn-worker 'inport == \"prod_test-6459\"'\n" + "".join(
        (margin + line).rstrip() + "\n" if line.strip() else "\n"
        for line in OVN_TRACE.splitlines())
    [trace] = api.read_text(pasted)
    [plain] = api.read_text(OVN_TRACE)
    assert _shape([trace]) == _shape([plain])
    assert trace.problems == [] and trace.command.tool == "ovn-trace"


def test_lines_quoted_with_a_hash_are_the_trace_not_root_prompts():
    """A script or commit message that quotes an output with `# ` (here only its
    last line, as a `grep` leaves it): the verdict, and a word that it was filtered."""
    text = (SAMPLES / "pod-to-pod-same-node" / "ofproto-trace.ct-new.txt").read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    assert last.startswith("Datapath actions: ")
    [trace] = api.read_text("    # " + last + "\n")
    ex = trace.explain()
    assert ex.verdict == "delivered" and trace.command is None
    assert any("left out" in w.message for w in ex.warnings)


def test_commands_echoed_by_set_x_are_commands():
    text = "+ kubectl exec ovn-central -n kube-ovn -- ovn-trace --ct=new ovn-worker 'x'\n"
    [trace] = api.read_text(text + OVN_TRACE)
    assert trace.command.tool == "ovn-trace" and trace.command.options == ["--ct=new"]


@pytest.mark.parametrize("mark", ["...", "(...)", "[...]", "…", "....Skip More....",
                                  "<snip>", "--- snip ---"])
def test_lines_left_out_are_said_and_make_the_trace_incomplete(mark):
    """A delivered sample cut in the middle with an excerpt mark: never delivered."""
    lines = (SAMPLES / "pod-to-pod-same-node" / "ovn-trace.detailed.txt").read_text().splitlines()
    cut = "\n".join(lines[:20] + [mark]) + "\n"
    [trace] = api.read_text(cut)
    assert trace.explain().verdict == "incomplete"
    assert any("left out" in p.message for p in trace.problems)


# --- frames, harness logs, wraps, indentation (mutations of real samples) ----------

WRAP_SAMPLES = sorted(p for d in ("acl-ingress-default-deny", "north-south-snat",
                                  "arp-flood-unknown")
                      for p in (SAMPLES / d).glob("*.txt"))


def _fold(text: str, width: int) -> str:
    """What a mail client or `fold -w` makes of a text: each line broken every
    `width` characters, mid-word."""
    out = []
    for line in text.split("\n"):
        out += [line[i:i + width] for i in range(0, len(line), width)] or [""]
    return "\n".join(out)


@pytest.mark.parametrize("width", [72, 80, 100])
@pytest.mark.parametrize("path", WRAP_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_lines_broken_at_a_width_are_joined_again(path, width):
    text = path.read_text()
    folded = _fold(text, width)
    if folded == text:
        pytest.skip("no line longer than the width")
    traces = api.read_text(folded)
    assert _shape(traces) == _shape(api.read_text(text))
    # every node's line is the row of the folded text where its line starts
    rows = folded.split("\n")
    for trace in traces:
        for node in trace.walk():
            if node.text and node.line:
                row = rows[node.line - 1].strip()
                n = min(len(row), len(node.text), 20)
                assert row[:n] == node.text[:n], (node.line, row, node.text)


def test_a_flow_broken_after_a_comma_or_with_a_backslash_is_one_flow():
    """A `Flow:` line wrapped by hand: after a comma, and with a backslash and
    an indented rest (as in OVS commit messages)."""
    head, flow, rest = OFPROTO.partition("\n")[0], None, OFPROTO.partition("\n")[2]
    assert head.startswith("Flow: ")
    cut = head.index(",", 40) + 1
    for broken in (head[:cut] + "\n" + head[cut:], head[:cut] + "\\\n      " + head[cut:]):
        [trace] = api.read_text(broken + "\n" + rest)
        assert trace.microflow == head[6:]
        assert _shape([trace]) == _shape(api.read_text(OFPROTO))


@pytest.mark.parametrize("fence", ['```', '```text', '"""', '~~~', '<pre>'])
def test_a_code_fence_or_quote_frame_around_a_trace_is_not_read(fence):
    close = "</pre>" if fence == "<pre>" else fence.rstrip("text")
    text = f"{fence}\n{OVN_TRACE}{close}\n\n{fence}\n{OFPROTO}{close}\n"
    traces = api.read_text(text)
    assert _shape(traces) == _shape(api.read_text(OVN_TRACE + "\n" + OFPROTO))
    assert not [p for t in traces for p in t.problems]


def test_a_test_suite_log_around_a_trace():
    """OVS's autotest log: the command echoed as `./file.at:N: cmd`, `stdout:`,
    the output, then a failed comparison as a unified diff (`--- -`, `+++ file`,
    a hunk of the last line)."""
    last = OFPROTO.rstrip("\n").rsplit("\n", 1)[1]
    text = ("./ofproto-dpif.at:233: ovs-appctl ofproto/trace br-int \\\n"
            "    'in_port=5,tcp'\nstdout:\n" + OFPROTO
            + "./ofproto-dpif.at:234: tail -1 stdout\n--- -\n"
            + "+++ /testsuite.dir/at-groups/85/stdout\n@@ -1,2 +1,2 @@\n"
            + "-Datapath actions: 1\n+" + last + "\n")
    traces = api.read_text(text)
    assert _shape(traces) == _shape(api.read_text(OFPROTO))
    assert traces[0].command.tool == "ofproto/trace"


def test_an_indented_prompt_and_a_block_indented_from_its_first_title():
    """A blog's code block: the command indented, the microflow line at the
    left, the rest indented by four, a one-digit stage's padding lost."""
    header, body = OVN_TRACE.split("\n", 1)
    lines = ["    " + (ln[1:] if ln[:2] == " 0"[:1] + ln[1:2] and ln[1:2].isdigit()
                       and ln[2:4] == ". " else ln) if ln else ln for ln in body.split("\n")]
    text = "    $ ovn-trace --detailed ovn-worker 'inport == \"a\"'\n" + header + "\n" \
        + "\n".join(lines)
    [trace] = api.read_text(text)
    [plain] = api.read_text(OVN_TRACE)
    assert trace.command is not None and trace.command.tool == "ovn-trace"
    assert trace.explain().verdict == plain.explain().verdict == "dropped"
    assert trace.explain().drop.stage == plain.explain().drop.stage


@pytest.mark.parametrize("heading", ["Bridge: br-int", "Packet: -8:00:00.000000 "
                                     "0a:58:0a:f4:01:04 > 0a:58:0a:f4:01:03, ethertype IPv4"])
def test_a_heading_before_flow_belongs_to_the_output(heading):
    """OVS before 2.7 printed `Bridge: br0` (and in 2010 `Packet: ...`) before
    `Flow:`: mutation, the heading put before a real output's Flow: line."""
    traces = api.read_text(heading + "\n" + OFPROTO)
    assert _shape(traces) == _shape(api.read_text(OFPROTO))
    assert traces[0].roots[0].heading == [heading] and traces[0].first_line == 1
    from ovnparse.views.ofproto_text import ofproto_trace
    assert ofproto_trace(traces[0]) == heading + "\n" + OFPROTO


KLOG_SAMPLES = sorted(p for d in ("acl-ingress-default-deny", "pod-to-pod-same-node")
                      for p in (SAMPLES / d).glob("*.txt"))


@pytest.mark.parametrize("path", KLOG_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_klog_prefix_on_every_line_is_a_collectors_not_ovnkube_trace(path):
    """A log collector (or `oc logs` of a pod running the tool) puts a klog
    header on every line: the text under it is read as it is, with its own
    line numbers (mutation test: real samples, every line prefixed)."""
    text = path.read_text()
    prefixed = "".join(f"I1205 10:00:00.{n:06d}   12345 trace.go:42] {line}"
                       for n, line in enumerate(text.splitlines(keepends=True), 1))
    traces = api.read_text(prefixed)
    plain = api.read_text(text)
    assert _shape(traces) == _shape(plain)
    assert _lines_of(traces) == _lines_of(plain)
    assert all(t.format != "ovnkube-trace" for t in traces)


def _grep_datapath_actions(text: str) -> str:
    return "".join(t for t in text.splitlines(keepends=True) if t.startswith("Datapath actions:"))


def test_grep_datapath_actions_keeps_one_line_a_pass():
    """`grep 'Datapath actions'` of a real ofproto/trace (mutation test, said
    so).  Written before the change: each line is a pass, the passes after the
    first are the recirculations queued before them; a delivered packet's last
    line outputs to one port; an ACL's log() of a drop and a punt to
    ovn-controller look alike without the table lines: incomplete, said."""
    delivered = _grep_datapath_actions(
        (SAMPLES / "pod-to-pod-same-node" / "ofproto-trace.ct-new.txt").read_text())
    trace, = api.read_text(delivered)
    ex = trace.explain()
    assert len(trace.roots) == delivered.count("\n") >= 2
    assert ex.verdict == "delivered" and ex.recirculations == len(trace.roots) - 1
    assert any("only the end of an ofproto/trace" in w.message for w in ex.warnings)
    logged = _grep_datapath_actions(OFPROTO)
    trace, = api.read_text(logged)
    ex = trace.explain()
    assert ex.verdict == "incomplete" and ex.recirculations == len(trace.roots) - 1
    assert any("cannot be told whether that is an ACL's log()" in w.message
               for w in ex.warnings)
