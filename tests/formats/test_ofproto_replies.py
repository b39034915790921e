"""What ovs-appctl prints instead of an ofproto/trace (its error reply, then
`ovs-appctl: TARGET: server returned an error`) is a trace whose verdict is
`error`, with the reply in a warning, never "not a known trace format".

The replies come from the real ovs-vswitchd (--enable-dummy, a private
sandbox) for commands people get wrong; the text a test reads is what the
terminal showed: the command after a `$ ` prompt (added here), then the
reply on stderr.  The messages expected are those of
ofproto/ofproto-dpif-trace.c (parse_flow_and_packet), read before the test.
"""

from __future__ import annotations

import pytest

from ovnparse import api
from ovnparse.sandbox import OvnSandbox, missing_tools
from ovnparse.views.ofproto_text import ofproto_trace

pytestmark = pytest.mark.skipif(bool(missing_tools(("ovs-vswitchd", "ovsdb-server"))),
                                reason="Open vSwitch is not installed")

# argv after `ofproto/trace` -> the start of the reply ofproto/trace gives
CASES = {
    "bridge-left-out": (["in_port=1"], "syntax error at in_port=1 (or the bridge name was "
                                       "omitted)"),
    "unknown-bridge": (["br-nope", "in_port=1"], "br-nope: unknown bridge"),
    "bad-flow": (["br-int", "in_port=1,nonsense=3"], "Bad openflow flow syntax: "),
    "unknown-option": (["br-int", "in_port=1", "--nonsense"], "--nonsense: unknown option"),
}


@pytest.fixture(scope="module")
def replies(tmp_path_factory):
    box = OvnSandbox(tmp_path_factory.mktemp("ovs"), northd=False, controller=False)
    box.start()
    try:
        box.vsctl("--may-exist", "add-br", "br-int")
        out = {}
        for name, (args, _want) in CASES.items():
            argv = ["ovs-appctl", "-t", str(box.ctl_path("ovs-vswitchd")), "ofproto/trace",
                    *args]
            stdout = box.run(argv, check=False)
            shown = " ".join(["ovs-appctl", "ofproto/trace", *args])
            out[name] = f"$ {shown}\n{stdout}{box.last_stderr.decode()}"
        yield out
    finally:
        box.stop()


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_error_reply_is_an_error_trace(replies, name, tmp_path):
    text = replies[name]
    want = CASES[name][1]
    assert want in text and "server returned an error" in text  # (what the tool said)
    path = tmp_path / f"{name}.txt"
    path.write_text(text)
    [trace] = api.read(path)
    assert trace.format == "ofproto/trace"
    assert trace.command is not None and trace.command.text.startswith("ovs-appctl ofproto/trace")
    ex = api.explain(trace)
    assert ex.verdict == "error"
    assert ex.drop is None and ex.outputs is None
    assert [w.message for w in ex.warnings] == [f"ofproto/trace: {text.splitlines()[1]}"]
    assert ofproto_trace(trace) == "".join(ln + "\n" for ln in text.splitlines()[1:])
