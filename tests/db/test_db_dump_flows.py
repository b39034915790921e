"""`ovs-ofctl dump-flows` text as a cookie → OpenFlow flows map.

The lines used are real: `ovn-trace --ovs` prints, under each logical stage,
the OpenFlow flows ovs-vswitchd reported for that flow's cookie, in
dump-flows' format (samples/*/ovn-trace.ovs.detailed.txt, recorded from the
sandbox's real ovs-vswitchd).  Each flow read must carry the cookie of the
stage it was printed under, and ovs.flow must read it.
"""

from __future__ import annotations

import pytest

from ovnparse import api
from ovnparse.db.dump_flows import DumpFlowsError, read_dump_flows
from ovnparse.model import Stage

from conftest import SAMPLES

FILES = sorted(SAMPLES.glob("*/ovn-trace.ovs.detailed.txt"))


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_flows_printed_under_a_stage_carry_its_cookie(path):
    text = path.read_text()
    flows = read_dump_flows("\n".join(l for l in text.splitlines()
                                      if l.strip().startswith("cookie=")) + "\n")
    [trace] = api.parse(path)
    checked = 0
    for stage in (n for n in trace.walk() if isinstance(n, Stage) and n.lflow):
        lines = [c.text for c in stage.children if c.text.startswith("cookie=")]
        if not lines:
            continue
        got = flows[stage.lflow]
        assert {f.text.strip() for f in got} >= set(lines)
        for f in got:
            parsed = f.parsed()
            assert parsed.info["cookie"] == int(stage.lflow, 16)
            assert parsed.info["table"] == f.table
        checked += 1
    assert checked, "the trace has stages with OpenFlow flows"


def test_the_header_is_skipped_and_other_text_is_an_error():
    flows = read_dump_flows("NXST_FLOW reply (xid=0x4):\n"
                            " cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, "
                            "priority=0 actions=drop\n")
    assert list(flows) == ["00000000"]
    with pytest.raises(DumpFlowsError, match=r"<text>:1: not a flow of ovs-ofctl dump-flows"):
        read_dump_flows("Datapath actions: drop\n")


def test_explain_lists_the_openflow_flows_of_the_dropping_logical_flow(tmp_path, capsys):
    import json
    from ovnparse.cli import main
    d = SAMPLES / "acl-ingress-default-deny"
    dump = tmp_path / "dump-flows.txt"
    dump.write_text("\n".join(l.strip() for l in (d / "ovn-trace.ovs.detailed.txt").read_text()
                              .splitlines() if l.strip().startswith("cookie=")) + "\n")
    assert main(["explain", "--json", "--dump-flows", str(dump),
                 str(d / "ovn-trace.detailed.txt")]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    flows = obj["drop"]["openflow_flows"]
    assert flows and all(f.startswith(f"cookie=0x{obj['drop']['lflow']}") for f in flows)
