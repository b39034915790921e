"""Issue 10, deep nesting: the parsers never recursed, but the walks over the
tree did (the verdict walk, to_dict and the JSON encoder, the printers, the
frames), so 500 nested `clone {` blocks or 5,000 `ct_next`s ended in a
RecursionError.  The texts are generated here in the shape ovn-trace prints
(four spaces a level), far deeper than the interpreter's recursion limit.
"""

from __future__ import annotations

import json
import sys

from hostile_exercise import exercise

from ovnparse import jsonout
from ovnparse.api import parse_text
from ovnparse.cli import main

HEAD = "# ip,reg14=0x1,vlan_tci=0x0000\n"
DEPTH = sys.getrecursionlimit() + 500


def _summary_clones(depth: int, closed: bool = True) -> str:
    lines = [HEAD.rstrip("\n"), 'ingress(dp="sw", inport="p") {']
    lines += ["    " * (i + 1) + "clone {" for i in range(depth)]
    pad = "    " * (depth + 1)
    lines += [pad + 'egress(dp="sw", inport="p", outport="p2") {', pad + "    output;",
              pad + '    /* output to "p2", type "" */;']
    if closed:
        lines.append(pad + "};")
        lines += ["    " * (i + 1) + "};" for i in reversed(range(depth))]
        lines.append("};")
    return "\n".join(lines) + "\n"


def _detailed_ct_next(depth: int) -> str:
    # ovn-trace --detailed: a ct_next that is the last thing its table does is
    # printed at its table's level (the printer elides the indentation of a
    # last child), so each one nests the rest of the trace one level deeper
    lines = [HEAD.rstrip("\n"), "", 'ingress(dp="sw", inport="p")', "-" * 28]
    for i in range(depth):
        lines += [f"{i % 10:2d}. ls_in_pre_acl (northd.c:1): ip, priority 100, uuid 12345678",
                  "    ct_next;", "", "ct_next(ct_state=est|trk)", "-" * 25]
    lines += [" 9. ls_in_acl (northd.c:1): ip, priority 0, uuid 12345678", "    drop;"]
    return "\n".join(lines) + "\n"


def _depth(trace) -> int:
    deepest, stack = 0, [(root, 1) for root in trace.roots]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    return deepest


def test_jsonout_writes_what_json_writes():
    for obj in ({}, [], {"a": [1, {"b": None}, [], "é\n"], "c": 1.5, "d": True, 3: "x"},
                [[[[]]]], "s", 7):
        for indent in (1, 2):
            assert jsonout.dumps(obj, indent) == json.dumps(obj, indent=indent)
    deep: list = []
    node = deep
    for _ in range(DEPTH * 4):
        node.append([])
        node = node[0]
    text = jsonout.dumps(deep, 1)
    assert text.count("[") == DEPTH * 4 + 1 and text.endswith("\n" + "]" * 1)
    assert text.replace("\n", "").replace(" ", "") == "[" * (DEPTH * 4 + 1) + "]" * (DEPTH * 4 + 1)


def test_500_nested_clones(tmp_path, capsys):
    text = _summary_clones(500)
    assert exercise(text) == ["delivered"]
    trace, = parse_text(text)
    assert max(n.line for n in trace.walk()) == 505
    path = tmp_path / "clones.txt"
    path.write_text(text)
    assert main(["parse", str(path)]) == 0
    out = capsys.readouterr().out  # (json.loads recurses too: counted, not loaded)
    assert out.startswith("[\n") and out.count('"name": "clone"') == 500
    assert main(["explain", "--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["verdict"] == "delivered"


def test_clones_deeper_than_the_recursion_limit_cut_and_closed():
    assert exercise(_summary_clones(DEPTH)) == ["delivered"]
    assert exercise(_summary_clones(DEPTH, closed=False)) == ["incomplete"]


def test_5000_nested_ct_next_detailed():
    text = _detailed_ct_next(5000)
    verdicts = exercise(text, views=False)
    assert verdicts == ["dropped"]
    trace, = parse_text(text)
    assert _depth(trace) > 5000
    from ovnparse.views.ovn_trace_text import detailed
    assert detailed(trace) == text  # printed back byte for byte


def test_5000_nested_ct_next_summary():
    # (without indentation: --summary and --minimal are read by their braces)
    lines = [HEAD.rstrip("\n"), 'ingress(dp="sw", inport="p") {']
    lines += ["ct_next(ct_state=est|trk) {"] * 5000 + ["drop;"] + ["};"] * 5001
    text = "\n".join(lines) + "\n"
    assert exercise(text, views=False) == ["dropped"]
    trace, = parse_text(text)
    assert _depth(trace) > 5000
    from ovnparse.views.ovn_trace_text import summary
    printed = summary(trace).splitlines()
    assert [t.strip() for t in printed] == text.splitlines()  # (indented as the tool does)
    assert printed[-5001] == "    " * 5000 + "};" and printed[-2] == "    };"


def test_deep_openflow_resubmits_and_datapath_actions():
    lines = ["Flow: in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:01,"
             "dl_dst=00:00:00:00:00:02,dl_type=0x0000", "", 'bridge("br-int")', "-" * 16]
    for i in range(DEPTH):
        lines.append("    " * i + f" {i % 10}. priority 0")
        lines.append("    " * i + f"    resubmit(,{(i + 1) % 10})")
    lines += ["", "Final flow: unchanged",
              "Megaflow: recirc_id=0,eth,in_port=1,dl_type=0x0000",
              "Datapath actions: " + "clone(" * DEPTH + "1" + ")" * DEPTH]
    assert exercise("\n".join(lines) + "\n", views=False) == ["delivered"]
