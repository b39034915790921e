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
