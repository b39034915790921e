"""How ofproto/trace prints, and how ovnparse reads it: the format documented
by tests on real outputs (samples/ recorded from OVS 3.1, and outputs quoted
from OVS's own test suite).
"""

from __future__ import annotations

import random

import pytest

from ovnparse import api
from ovnparse.formats.ofproto.userdata import decode_controller
from ovnparse.analysis import explain
from ovnparse.formats.ofproto import ovs_flow
from ovnparse.formats.ofproto.ovs_flow import OvsFlowError
from ovnparse.model import (OfAction, OfBridge, OfBucket, OfDetail, OfError, OfPass, OfTable,
                            OfThaw)
from ovnparse.views import detrace_text, ofproto_text

from conftest import SAMPLES


def _sample(name: str, file: str = "ofproto-trace.ct-new.txt") -> str:
    return (SAMPLES / name / file).read_text()


def _one(text: str, source: str = "t.txt", fmt: str | None = None):
    [trace] = api.parse_text(text, source, fmt)
    return trace


def _tables(node) -> list[OfTable]:
    return [n for n in node.walk() if isinstance(n, OfTable)]


def test_next_tables_are_listed_flat_and_calls_nest_under_their_action():
    """ofproto/trace prints a table reached by a table's last action at that
    table's depth (tail elision); one reached in the middle of an action list
    indented under it.  The model lists the first after its table
    (`chained`), and puts the second under the action that led to it."""
    trace = _one(_sample("acl-egress-deny"))
    first, second = trace.roots
    [bridge] = first.children
    assert isinstance(bridge, OfBridge) and bridge.name == "br-int"
    assert [(t.table, t.chained) for t in bridge.children] == [
        (0, False), (8, True), (9, True), (10, True), (11, True), (12, True), (13, True),
        (14, True)]
    t8 = bridge.children[1]
    call = next(a for a in t8.children if a.text == "resubmit(,73)")
    [t73] = call.children
    assert (t73.table, t73.chained, t73.cookie) == (73, False, "0xe9d75322")
    assert [c.text for c in t73.children] == ["set_field:0/0x1000->reg10"]
    # after the call, the caller goes on
    assert [type(c).__name__ for c in t8.children[-3:]] == ["OfAction", "OfDetail", "OfAction"]


def test_table_line_fields():
    trace = _one(_sample("acl-egress-deny"))
    t16 = next(t for t in _tables(trace) if t.table == 16)
    assert (t16.match, t16.priority, t16.cookie) == ("ct_state=-est+trk,ip,metadata=0x3", 1,
                                                     "0xae8b8b6")
    assert t16.cookie8 == "0x0ae8b8b6"  # printed without leading zeros
    t68 = next(t for t in _tables(trace) if t.table == 68)
    assert (t68.no_match, t68.miss, t68.cookie, t68.priority) == (True, "No match.", None, None)
    assert [c.text for c in t68.children] == ["drop"]
    no_cookie = next(t for t in _tables(_one(_sample("north-south-snat"))) if t.table == 37)
    assert (no_cookie.text, no_cookie.match, no_cookie.cookie) == ("37. priority 0", None, None)


def test_a_nested_no_match_is_not_the_drop():
    trace = _one(_sample("acl-egress-deny"))
    drop = explain(trace).drop
    assert (drop.openflow_table, drop.cookie) == (25, "0xde3fbdac")
    assert drop.priority == 2000 and drop.match == "reg0=0x200/0x200,reg14=0x6,metadata=0x3"


def test_recirculation_passes_are_linked_to_the_pass_that_queued_them():
    trace = _one(_sample("north-south-snat"))
    passes = trace.roots
    assert all(isinstance(p, OfPass) for p in passes)
    assert [(p.recirc_id, p.ct_state, p.queued_by) for p in passes] == [
        (None, None, None), ("0x32", "new|trk", 0), ("0x33", "new|trk", 1),
        ("0x34", "new|trk", 2)]
    assert ovs_flow.recircs(passes[0]) == ["0x32"]
    assert passes[3].header[1:] == [
        "Replacing src/dst IP/ports to simulate NAT:",
        " Initial flow: nw_src=10.244.1.4,tp_src=33000,nw_dst=1.1.1.1,tp_dst=443",
        " Modified flow: nw_src=172.18.0.2,tp_src=33000,nw_dst=1.1.1.1,tp_dst=443"]
    assert trace.microflow == passes[0].flow
    ex = explain(trace)
    assert ex.recirculations == 3
    assert [(t["kind"], t["from"], t["to"]) for t in ex.transforms] == [
        ("snat", "10.244.1.4", "172.18.0.2")]


def test_patch_port_bridge_is_under_the_output_that_crossed_it():
    trace = _one(_sample("north-south-snat"))
    out = next(n for n in trace.roots[-1].walk()
               if n.__class__ is OfAction and n.text == "output:1")
    [bridge] = out.children
    assert isinstance(bridge, OfBridge) and bridge.name == "breth0"
    assert [c.text for c in bridge.children[0].children] == [
        "NORMAL", "-> forwarding to learned port"]
    assert all(t.bridge == "breth0" for t in _tables(bridge))


def test_thaw_resumes_a_pass():
    second = _one(_sample("acl-egress-deny")).roots[1]
    thaw = second.children[0].children[0]
    assert isinstance(thaw, OfThaw) and thaw.text == "thaw"
    [resume] = thaw.children
    assert resume.resume_table == 15


# From OVS's tests/nsh.at (OVS 2.17..3.x), with group buckets and a patch port.
NSH = """\
Flow: icmp,in_port=1,vlan_tci=0x0000,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,nw_src=20.20.20.20,nw_dst=10.10.10.10,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,icmp_type=0,icmp_code=0

bridge("br0")
-------------
 0. ip,in_port=1, priority 32768
    group:100
    bucket 0
            encap(nsh(md_type=1))
            set_field:0x1234->nsh_spi
            group:200
            bucket 0
                    encap(nsh(md_type=1))
                    output:3

                bridge("br0")
                -------------
                 0. in_port=4,dl_type=0x894f, priority 32768
                    decap()
                    goto_table:1
                 1. packet_type=(1,0x894f), priority 32768
                    decap()

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=1,dl_dst=66:77:88:99:aa:bb,nw_frag=no
Datapath actions: push_nsh(flags=0,ttl=63,mdtype=1,np=3,spi=0x1234,si=255,c1=0x0,c2=0x0,c3=0x0,c4=0x0),push_eth(src=00:00:00:00:00:00,dst=11:22:33:44:55:66),pop_eth,pop_nsh(),recirc(0x1)
"""


def test_group_buckets_hold_their_actions():
    trace = _one(NSH)
    assert trace.problems == []
    t0 = trace.roots[0].children[0].children[0]
    group = t0.children[0]
    [bucket] = group.children
    assert isinstance(bucket, OfBucket) and bucket.text == "bucket 0"
    inner = next(a for a in bucket.children if a.text == "group:200")
    [inner_bucket] = inner.children
    out = inner_bucket.children[-1]
    assert out.text == "output:3" and isinstance(out.children[0], OfBridge)
    assert [(t.table, t.chained) for t in out.children[0].children] == [(0, False), (1, True)]
    assert ofproto_text.ofproto_trace(trace) == NSH
    # ovs.flow cannot read push_eth(): the datapath actions are read anyway
    with pytest.raises(OvsFlowError):
        ovs_flow.datapath_action_list(trace.roots[0])
    ex = explain(trace)
    assert ex.verdict == "incomplete"  # ofproto/trace does not follow this recirculation
    assert any("ovs.flow cannot parse" in w.message for w in ex.warnings)
    assert any("0x1" in w.message and "not traced" in w.message for w in ex.warnings)


# From an ovs-vswitchd of kube-ovn: a packet on a port OpenFlow does not know.
UNKNOWN_PORT = """\
Flow: arp,in_port=331,vlan_tci=0x0000,dl_src=00:00:00:25:eb:39,dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.213.131.240,arp_tpa=10.213.159.254,arp_op=1,arp_sha=00:00:00:25:eb:39,arp_tha=ff:ff:ff:ff:ff:ff

bridge("br-int")
----------------
 0. No match.
     >>>> received packet on unknown port 331 <<<<
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,arp,in_port=331,dl_src=00:00:00:25:eb:39
Datapath actions: drop
"""


def test_errors_warnings_and_details():
    trace = _one(UNKNOWN_PORT)
    t0 = _tables(trace)[0]
    err, drop = t0.children
    assert isinstance(err, OfError) and err.message == "received packet on unknown port 331"
    assert ofproto_text.ofproto_trace(trace) == UNKNOWN_PORT
    ex = explain(trace)
    assert ex.verdict == "dropped" and ex.drop.reason_code == "no-match"
    assert (ex.drop.openflow_table, ex.drop.cookie) == (0, None)
    detail = next(n for n in _one(_sample("acl-egress-deny")).walk() if isinstance(n, OfDetail))
    assert detail.message == "NXM_NX_XXREG0[111] is now 0"


def test_flows_are_parsed_by_ovs_flow_on_access():
    p = _one(_sample("acl-egress-deny")).roots[1]
    assert ovs_flow.flow_match(p)["ct_state"] == "new|trk"
    assert ovs_flow.megaflow_match(p)["recirc_id"] == 0x28
    assert ovs_flow.final_flow_match(p)["tp_dst"] == 8080
    assert ovs_flow.datapath_action_list(p) == [{"drop": True}]
    first = _one(_sample("acl-egress-deny")).roots[0]
    assert ovs_flow.datapath_action_list(first) == [{"ct": {"zone": 5, "nat": True}}, {"recirc": 0x28}]
    # ovs.flow rejects a masked icmp_type (ICMP megaflows): the error names the line
    icmp = _one(_sample("icmp-echo-router"))
    bad = [p for p in icmp.roots if "icmp_type=0x8/0xff" in (p.megaflow or "")]
    assert bad
    with pytest.raises(OvsFlowError, match=rf"line {bad[0].megaflow_line}: .*icmp_type"):
        ovs_flow.megaflow_match(bad[0])


def test_ovn_controller_userdata():
    log = decode_controller("controller(userdata=00.00.00.07.00.00.00.00.01.01.4e.50.3a.64.65"
                            ".66.61.75.6c.74.3a.49.6e.67.72.65.73.73,meter_id=1)")
    assert log == {"opcode": 7, "op": "log", "verdict": "drop", "severity": "alert",
                   "acl": "NP:default:Ingress"}
    assert decode_controller("controller(userdata=00.00.00.01.00.00.00.00)")["op"] == "put_arp"
    assert decode_controller("controller(reason=no_match)") is None


def test_acl_log_drop_is_attributed_without_a_database():
    ex = explain(_one(_sample("acl-ingress-default-deny")))
    assert ex.verdict == "dropped" and ex.drop.reason_code == "acl"
    assert "NP:default:Ingress" in ex.drop.reason
    assert ex.drop.acl_log == {"acl": "NP:default:Ingress", "verdict": "drop",
                                        "severity": "alert"}
    assert (ex.drop.openflow_table, ex.drop.cookie) == (46, "0x4973b8c9")


def test_several_outputs_in_one_file():
    a, b = _sample("acl-egress-deny"), _sample("pod-to-pod-same-node")
    traces = api.parse_text(a + b, "two.txt")
    assert [t.format for t in traces] == ["ofproto/trace", "ofproto/trace"]
    assert [explain(t).verdict for t in traces] == ["dropped", "delivered"]
    n = a.count("\n")
    assert (traces[0].first_line, traces[0].last_line, traces[1].first_line) == (1, n, n + 1)


def test_json_of_the_model_and_the_explanation():
    import json
    trace = _one(_sample("acl-egress-deny", "ovn-detrace.txt"), fmt="ovn-detrace")
    data = json.loads(json.dumps(trace.to_dict()))
    step = data["roots"][1]["children"][0]["children"][-1]
    assert step["kind"] == "openflow_table" and step["cookie"] == "0xde3fbdac"
    assert [a["what"] for a in step["annotations"]][-2:] == ["logical_flow", "acl"]
    ex = json.loads(json.dumps(explain(trace).to_dict()))
    assert ex["drop"]["openflow_table"] == 25 and ex["recirculations"] == 1


# --- bad input -----------------------------------------------------------------------

def test_cut_at_every_line_is_never_delivered_early():
    """Corruption test: a real delivered trace cut after each of its lines."""
    text = _sample("pod-to-pod-cross-node")
    lines = text.splitlines(keepends=True)
    last_actions = max(i for i, l in enumerate(lines) if l.startswith("Datapath actions:"))
    for cut in range(1, len(lines)):
        traces = api.parse_text("".join(lines[:cut]), "cut.txt", "ofproto/trace")
        verdicts = [explain(t).verdict for t in traces]
        if cut <= last_actions:
            assert verdicts[-1] == "incomplete", (cut, lines[cut - 1])


def test_cut_mid_line_is_incomplete():
    rng = random.Random(5)
    for name in ("pod-to-pod-same-node", "acl-egress-deny"):
        text = _sample(name)
        for _ in range(30):
            cut = rng.randrange(len(text) // 4, len(text) - 1)
            if text[cut - 1] == "\n":
                continue
            traces = api.parse_text(text[:cut], "cut.txt", "ofproto/trace")
            ex = explain(traces[-1])
            assert ex.verdict == "incomplete"
            assert any("no line end" in w.message for w in ex.warnings)


def test_garbled_lines_are_reported_not_raised():
    """Corruption test: shuffle indentation and inject junk into a real trace."""
    rng = random.Random(11)
    lines = _sample("pod-to-pod-cross-node").splitlines(keepends=True)
    for _ in range(40):
        mutated = list(lines)
        for _ in range(3):
            i = rng.randrange(1, len(mutated))
            mutated[i] = " " * rng.randrange(0, 13) + mutated[i].lstrip()
        at = rng.randrange(2, len(mutated))
        mutated.insert(at, "@@@ garbage @@@\n")
        traces = api.parse_text("".join(mutated), "garbled.txt", "ofproto/trace")
        for trace in traces:
            explain(trace)  # must not raise
        problems = [p for t in traces for p in t.problems]
        assert problems and all(str(p).startswith("garbled.txt:") for p in problems)


def test_garbled_detrace_is_reported_not_raised():
    rng = random.Random(3)
    lines = _sample("north-south-snat", "ovn-detrace.txt").splitlines(keepends=True)
    for _ in range(20):
        mutated = list(lines)
        for _ in range(4):
            i = rng.randrange(1, len(mutated))
            mutated[i] = rng.choice(["  * Logical flow: junk\n", "    " + mutated[i], "\n"])
        for trace in api.parse_text("".join(mutated), "g.txt", "ovn-detrace"):
            explain(trace)
            detrace_text.ovn_detrace(trace)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*/ofproto-trace*.txt")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_nesting_is_rebuilt_from_text_without_indentation(path):
    """What OVN 23.03's ovn-detrace does to a trace (every line stripped):
    the tree read from what the lines mean is the one indentation gives."""
    from ovnparse.formats.ofproto import parse_output
    lines = path.read_text().split("\n")[:-1]
    indented = parse_output(lines, 1, "t", "ofproto/trace", False)
    stripped = parse_output([l.strip(" ") for l in lines], 1, "t", "ofproto/trace", False,
                            semantic=True)
    assert stripped.problems == []

    def shape(trace):
        return [(n.kind, n.line, getattr(n, "chained", None), len(n.children))
                for n in trace.walk()]
    assert shape(stripped) == shape(indented)
