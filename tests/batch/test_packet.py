"""`packet`: the same key for ovn-trace and ofproto/trace of one packet; the in-port named.

Expected values are the samples' manifest's (the packet each scenario sent, from the
topology), never the parser's."""

from __future__ import annotations

import json

from batch_trees import SAMPLES

from ovnparse.cli import main

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())


def _objs(capsys, *args) -> list[dict]:
    assert main(["explain", "--output", "jsonl", "--quiet", *args]) in (0, 1)
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_packet_fields_and_key_across_forms(capsys):
    checked = 0
    for s in MANIFEST["scenarios"]:
        files = [c["file"] for c in s["commands"]
                 if c["file"].endswith(("ovn-trace.detailed.txt", "ofproto-trace.ct-new.txt"))]
        pkt = s["packet"]
        if len(files) != 2 or pkt.get("ip_src") is None or "sport" not in pkt:
            continue
        objs = _objs(capsys, *[str(SAMPLES / f) for f in files])
        keys = set()
        for o in objs:
            p = o["packet"]
            assert (p["eth_src"], p["eth_dst"], p["ip_src"], p["ip_dst"], p["sport"],
                    p["dport"]) == (pkt["eth_src"], pkt["eth_dst"], pkt["ip_src"],
                                    pkt["ip_dst"], pkt["sport"], pkt["dport"]), s["name"]
            keys.add(p["key"])
        assert len(keys) == 1, s["name"]
        assert objs[1]["packet"]["inport"] == f"in_port={s['source']['ofport']}"
        checked += 1
    assert checked >= 5


def test_inport_named_with_the_southbound(capsys):
    for name in ("acl-ingress-default-deny", "pod-to-pod-same-node"):
        [s] = [x for x in MANIFEST["scenarios"] if x["name"] == name]
        db = SAMPLES / s["db"]["sb"]
        [o] = _objs(capsys, "--sb", str(db), str(SAMPLES / name / "ovn-trace.detailed.txt"))
        assert o["packet"]["inport"] == s["packet"]["inport"]
        assert o["source"]["databases"] == {"sb": str(db)}
