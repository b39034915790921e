"""The OpenFlow side replayed from a node's dumps equals the live switch's.

samples/ovn-25.03 saves, per database state, what the live switch held
(db/<state>/ovs/: dump-flows/-groups/-meters/-tlv-map of br-int with OpenFlow
1.5, conf.db, dpif/show) and, per scenario, the ofproto/trace it printed for
the scenario's packet (--ct-next trk,new and trk,est).  A private dummy
ovs-vswitchd of the same release (the Debian 13 root: OVS 3.5) loaded from the
dumps must print the same trace, byte for byte once recirculation ids (a
per-process counter) are numbered in order of appearance.
"""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES, process_alive

from ovnparse.replay.openflow import (
    Dumps,
    OpenFlowReplay,
    flow_lines,
    meter_specs,
    number_recirculations,
    patch_dec_ttl,
    tlv_specs,
)

BASE = SAMPLES / "ovn-25.03"
MANIFEST = json.loads((BASE / "manifest.json").read_text())
STATES = {name: st for name, st in MANIFEST["db_states"].items() if st.get("ovs")}


def _dumps(state: str, flows: str = "br-int.dump-flows.of15.txt") -> Dumps:
    ovs = {k: str(BASE / v["file"]) for k, v in STATES[state]["ovs"].items()}
    return Dumps(flows=ovs[flows],
                 groups=ovs.get("br-int.dump-groups.of15.txt"),
                 meters=ovs.get("br-int.dump-meters.of15.txt"),
                 tlv=ovs.get("br-int.dump-tlv-map.txt"), conf_db=ovs["conf.db"],
                 dpif_show=ovs.get("dpif-show.txt"),
                 other_flows={"breth0": ovs["breth0.dump-flows.txt"]})


#: what a dump cannot hold: the MACs breth0 (a NORMAL bridge) had learned on the live
#: switch when the trace ran (ovs-appctl fdb/show is not saved): where the live one
#: forwarded to the learned port the replay floods, also to breth0's own port (100)
LEARNED = ("-> no learned MAC for destination, flooding", "-> forwarding to learned port")


def _only_mac_learning(diff: list[tuple[str, str]]) -> bool:
    if not diff or diff[0] != LEARNED or len(diff) > 2:
        return False
    if len(diff) == 1:
        return True
    (mine, live), = diff[1:]
    return (mine.startswith("Datapath actions: ") and live.startswith("Datapath actions: ")
            and set(live[18:].split(",")) < set(mine[18:].split(",")))


def _differences(a: str, b: str) -> list[tuple[str, str]]:
    la, lb = a.splitlines(), b.splitlines()
    assert len(la) == len(lb)
    return [(x.strip(), y.strip()) for x, y in zip(la, lb, strict=True) if x != y]


def _recorded(state: str) -> list[tuple[str, str, list[str], str]]:
    """(file, bridge, ofproto/trace operands after the bridge, its text) of a state."""
    out = []
    for sc in MANIFEST["scenarios"]:
        if sc["db_state"] != state:
            continue
        for c in sc["commands"]:
            if c["tool"] == "ofproto/trace":
                argv = c["argv"]
                i = argv.index("ofproto/trace")
                out.append((c["file"], argv[i + 1], argv[i + 2:],
                            (BASE / c["file"]).read_text()))
    return out


@pytest.mark.debian_root
@pytest.mark.parametrize("state,dump", [(s, "br-int.dump-flows.of15.txt") for s in sorted(STATES)]
                         + [("base", "br-int.dump-flows.txt")])
def test_replayed_ofproto_trace_equals_the_live_one(state, dump, trixie_root):
    """From the OpenFlow 1.5 dump of every state; from the plain (OpenFlow 1.0) dump,
    what sosreport saves, of one (its 128-bit register writes re-joined)."""
    recorded = _recorded(state)
    assert recorded
    learned = []
    with OpenFlowReplay(_dumps(state, dump), root=trixie_root) as sw:
        pids = dict(sw.pids)
        assert sw.loaded == len(flow_lines((BASE / STATES[state]["ovs"][dump]["file"])
                                           .read_text()))
        for file, bridge, operands, live in recorded:
            flow, rest = operands[0], operands[1:]
            ct = [rest[i + 1] for i in range(0, len(rest), 2) if rest[i] == "--ct-next"]
            replayed = number_recirculations(sw.trace(flow, ct, bridge))
            live = number_recirculations(live)
            if replayed != live:
                assert _only_mac_learning(_differences(replayed, live)), file
                assert 'bridge("breth0")' in live, file  # (only there is a MAC learned)
                learned.append(file)
    exact = len(recorded) - len(learned)
    print(f"{state}: {exact} of {len(recorded)} equal, {len(learned)} differ by a learned MAC")
    assert exact > len(learned)
    assert pids and not [p for p in pids.values() if process_alive(p)]


def test_numbering_recirculations():
    text = ("Datapath actions: ct(zone=4),recirc(0x22)\nrecirc(0x22) - resume\n"
            "Flow: recirc_id=0x22,eth\nrecirc(0x7) x recirc_id=0x7 recirc(0x22)")
    assert number_recirculations(text) == (
        "Datapath actions: ct(zone=4),recirc(0x1)\nrecirc(0x1) - resume\n"
        "Flow: recirc_id=0x1,eth\nrecirc(0x2) x recirc_id=0x2 recirc(0x1)")
    assert number_recirculations("recirc_id=0,a recirc_id=127 recirc(0x7f)") == \
        "recirc_id=0,a recirc_id=1 recirc(0x1)"


def test_dump_texts_become_what_ovs_ofctl_loads():
    flows = flow_lines("OFPST_FLOW reply (OF1.5) (xid=0x2): flags=[more]\n"
                       " cookie=0x1, duration=1.5s, table=0, n_packets=0, n_bytes=0, "
                       "idle_age=1, priority=1 actions=drop\n"
                       "OFPST_FLOW reply (OF1.5) (xid=0x2):\n"
                       " cookie=0x2, duration=1.5s, table=1, n_packets=3, n_bytes=9, "
                       "idle_age=1, hard_age=2, priority=0,ip actions=dec_ttl()\n")
    assert flows == ["cookie=0x1, table=0, priority=1 actions=drop",
                     "cookie=0x2, table=1, priority=0,ip actions=dec_ttl()"]
    # OpenFlow 1.0's two halves of a 128-bit write, as the plain dump of base prints one
    assert flow_lines(" cookie=0x3, table=23, priority=1 actions=dec_ttl(),"
                      "load:0x1->NXM_NX_XXREG0[0..63],load:0xfd98000000000000->"
                      "NXM_NX_XXREG0[64..127],load:0x2->NXM_NX_REG15[]\n") == [
        "cookie=0x3, table=23, priority=1 actions=dec_ttl(),"
        "load:0xfd980000000000000000000000000001->NXM_NX_XXREG0[],load:0x2->NXM_NX_REG15[]"]
    assert meter_specs((BASE / "db/base/ovs/br-int.dump-meters.of15.txt").read_text()) == \
        ["meter=1,pktps,stats,bands=type=drop,rate=20"]
    assert tlv_specs((BASE / "db/base/ovs/br-int.dump-tlv-map.txt").read_text()) == \
        ["{class=0x102,type=0x80,len=4}->tun_metadata0"]


def test_dec_ttl_patch_lengths():
    """A flow-mod (OpenFlow 1.5, written out here by the layout of openflow-1.5.h)
    whose apply-actions hold output:1 then OFPAT_DEC_NW_TTL."""
    import struct
    match = struct.pack("!HH", 1, 4) + b"\0" * 4  # OFPMT_OXM, no fields, padded
    output = struct.pack("!HHIH6x", 0, 16, 1, 0xffff)
    dec = struct.pack("!HH4x", 24, 8)
    inst = struct.pack("!HH4x", 4, 8 + len(output) + len(dec)) + output + dec
    body = b"\0" * 40 + match + inst
    msg = struct.pack("!BBHI", 6, 14, 8 + len(body), 7) + body
    new, n = patch_dec_ttl(msg)
    assert n == 1 and len(new) == len(msg) + 8
    assert struct.unpack("!H", new[2:4])[0] == len(new)
    assert new.endswith(output + bytes.fromhex("ffff0010000023200015000000000000"))
    assert struct.unpack("!H", new[58:60])[0] == 8 + 16 + 16  # the instruction's length
