"""ovnparse.expr: OVN's logical-flow match and action language.

The expected trees below were written from ovn-sb(5) (Logical_Flow "match"
and "actions") and OVN's lexer rules (lib/lex.c) before the parser ran; the
columns of the error cases were counted by hand.  The sweeps then parse every
match and actions column of the sample databases (printed by the real
ovn-northd) and of the real traces in ../shared/corpus, and print each back.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ovnparse.db import open_source
from ovnparse.expr import (Action, AddressSet, And, Arg, ArgGroup, Assignment, Boolean, Call,
                           ChassisResident, Constant, Decrement, Endpoint, ExpressionError, Field,
                           Name, Not, Or, PortGroup, Predicate, Range, Relation, Set, String,
                           Template, parse_actions, parse_match)

from conftest import ROOT, SAMPLES

dec = lambda v: Constant("decimal", v)  # noqa: E731


def rel(field, op, value):
    return Relation(field if isinstance(field, Field) else Field(field), op, value)


# --- matches ---------------------------------------------------------------------------

MATCHES = [
    # text, expected tree
    ("reg0[10] == 1", rel(Field("reg0", 10, 10), "==", dec("1"))),
    ("reg0[0..15] != 0", rel(Field("reg0", 0, 15), "!=", dec("0"))),
    ("ct.est", Predicate(Field("ct.est"))),
    ("eth.src[40]", Predicate(Field("eth.src", 40, 40))),
    ("xxreg0 == fd00::1", rel("xxreg0", "==", Constant("ipv6", "fd00::1"))),
    ('inport == "lsp1"', rel("inport", "==", String("lsp1"))),
    ("ct_label.blocked == 1", rel("ct_label.blocked", "==", dec("1"))),
    ("ip4.src == 10.0.0.0/24", rel("ip4.src", "==", Constant("ipv4", "10.0.0.0", "24"))),
    ("ip6.src == fe80::/64", rel("ip6.src", "==", Constant("ipv6", "fe80::", "64"))),
    ("ip4.dst == 1.2.3.4/255.255.255.0",
     rel("ip4.dst", "==", Constant("ipv4", "1.2.3.4", "255.255.255.0"))),
    ("reg0 == 0x8/0xf", rel("reg0", "==", Constant("hex", "0x8", "0xf"))),
    ("eth.dst == ff:ff:ff:ff:ff:ff", rel("eth.dst", "==", Constant("mac", "ff:ff:ff:ff:ff:ff"))),
    ("eth.dst == 01:00:00:00:00:00/01:00:00:00:00:00",
     rel("eth.dst", "==", Constant("mac", "01:00:00:00:00:00", "01:00:00:00:00:00"))),
    ("ip6.dst == ::ffff:192.0.2.128",
     rel("ip6.dst", "==", Constant("ipv6", "::ffff:192.0.2.128"))),
    ("tcp.dst >= 1024", rel("tcp.dst", ">=", dec("1024"))),
    ("tcp.dst<80", rel("tcp.dst", "<", dec("80"))),
    ("ip.ttl == {0, 1}", rel("ip.ttl", "==", Set((dec("0"), dec("1"))))),
    # Commas in a set are optional (lib/expr.c parse_constant_set).
    ("tcp.dst == {80 443}", rel("tcp.dst", "==", Set((dec("80"), dec("443"))))),
    ("ip4.src == {10.0.0.1, $as_ip4, 10.0.0.0/8}",
     rel("ip4.src", "==", Set((Constant("ipv4", "10.0.0.1"), AddressSet("as_ip4"),
                               Constant("ipv4", "10.0.0.0", "8"))))),
    ("outport == @pg_web", rel("outport", "==", PortGroup("pg_web"))),
    ("ip4.src == $a123_.x", rel("ip4.src", "==", AddressSet("a123_.x"))),
    ("1", Boolean(True)),
    ("0", Boolean(False)),
    ("!ct.est", Not(Predicate(Field("ct.est")))),
    ("!(tcp.dst == 80)", Not(rel("tcp.dst", "==", dec("80")))),
    ("ip4 && tcp", And((Predicate(Field("ip4")), Predicate(Field("tcp"))))),
    ("arp || nd || nd_rs",
     Or((Predicate(Field("arp")), Predicate(Field("nd")), Predicate(Field("nd_rs"))))),
    ("(ip4 || ip6) && udp",
     And((Or((Predicate(Field("ip4")), Predicate(Field("ip6")))), Predicate(Field("udp"))))),
    # Parentheses around a single relation add nothing; nested ones are kept as nesting.
    ("reg0[7] == 1 && (ip4.src==10.244.2.2)",
     And((rel(Field("reg0", 7, 7), "==", dec("1")), rel("ip4.src", "==",
                                                        Constant("ipv4", "10.244.2.2"))))),
    ("((ip4.mcast || igmp))", Or((Predicate(Field("ip4.mcast")), Predicate(Field("igmp"))))),
    # A constant first: the relation is turned around (lib/expr.c expr_relop_turn).
    ("80 == tcp.dst", rel("tcp.dst", "==", dec("80"))),
    ("1024 < tcp.dst", rel("tcp.dst", ">", dec("1024"))),
    # A range is two relations, and-ed.
    ("1024 <= tcp.dst <= 65535",
     And((rel("tcp.dst", ">=", dec("1024")), rel("tcp.dst", "<=", dec("65535"))))),
    ('is_chassis_resident("cr-lrp1")', ChassisResident("cr-lrp1")),
    ('!is_chassis_resident("cr-lrp1")', Not(ChassisResident("cr-lrp1"))),
    ('inport == "a\\"b"', rel("inport", "==", String('a"b'))),
    ("ip4.dst == ^vip && tcp.dst == ^vport",
     And((rel("ip4.dst", "==", Template("vip")), rel("tcp.dst", "==", Template("vport"))))),
    ("ip4.dst == 172.18.0.2 /* ovn-worker */",
     rel("ip4.dst", "==", Constant("ipv4", "172.18.0.2"))),
    ("ip4 // a comment to the end", Predicate(Field("ip4"))),
]


@pytest.mark.parametrize("text,tree", MATCHES, ids=[m[0] for m in MATCHES])
def test_match_tree(text, tree):
    m = parse_match(text)
    assert m.expr == tree
    assert parse_match(str(m)) == m


def test_match_references_in_order_without_repeats():
    m = parse_match("reg0[7] == 1 && ((ip4.src == {$as_b, $as_a} || ip6.src == $as_b) "
                    "&& outport == @pg_2 && inport == @pg_1 && outport != @pg_2 && reg0[8] == 0)")
    assert m.fields == ("reg0", "ip4.src", "ip6.src", "outport", "inport")
    assert m.address_sets == ("as_b", "as_a")
    assert m.port_groups == ("pg_2", "pg_1")
    assert m.templates == ()
    assert parse_match("ip4.dst == ^vip && tcp.dst == ^vport").templates == ("vip", "vport")


def test_match_comments_are_kept_aside():
    m = parse_match("ip4.dst == 172.18.0.2 /* ovn-worker */")
    assert m.comments == ("ovn-worker",)
    assert str(m) == "ip4.dst == 172.18.0.2"


def test_match_prints_normalised():
    assert str(parse_match("reg0[7]==1&&(outport==@pg&&(arp||nd))")) == \
        "reg0[7] == 1 && (outport == @pg && (arp || nd))"
    assert str(parse_match("reg0[3..3] == 1")) == "reg0[3] == 1"
    assert str(parse_match("!(!ct.est)")) == "!(!ct.est)"
    assert str(parse_match("tcp.dst == {80 443}")) == "tcp.dst == {80, 443}"


def test_match_to_dict_is_json():
    d = parse_match("reg0[10] == 1 && (outport == @pg1)").to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["expr"] == {"type": "and", "operands": [
        {"type": "relation", "field": {"type": "field", "name": "reg0", "bits": [10, 10]},
         "op": "==", "value": {"type": "constant", "kind": "decimal", "value": "1"}},
        {"type": "relation", "field": {"type": "field", "name": "outport"}, "op": "==",
         "value": {"type": "port_group", "name": "pg1"}}]}
    assert d["port_groups"] == ["pg1"]


# --- actions ---------------------------------------------------------------------------

def pos(*values, sep=""):
    return Arg(None, values, sep)


def kw(name, *values, sep=","):
    return Arg(name, values, sep)


ACTIONS = [
    ("next;", [Action("next")]),
    ("next(3);", [Action("next", (pos(dec("3")),))]),
    ("next(pipeline=egress, table=5);",
     [Action("next", (kw("pipeline", Name("egress"), sep=""), kw("table", dec("5"))))]),
    ("output;", [Action("output")]),
    ("drop;", [Action("drop")]),
    ("/* drop */", []),
    ("", []),
    ("ip.ttl--;", [Decrement(Field("ip.ttl"))]),
    ('outport = "vif0"; output;',
     [Assignment(Field("outport"), "=", String("vif0")), Action("output")]),
    ("vlan.pcp[2] = 1;", [Assignment(Field("vlan.pcp", 2, 2), "=", dec("1"))]),
    ("vlan.pcp = 4/4;", [Assignment(Field("vlan.pcp"), "=", Constant("decimal", "4", "4"))]),
    ("eth.dst <-> eth.src;", [Assignment(Field("eth.dst"), "<->", Field("eth.src"))]),
    ("reg1 = ip4.src;", [Assignment(Field("reg1"), "=", Field("ip4.src"))]),
    ("xxreg0 = fd98::1;", [Assignment(Field("xxreg0"), "=", Constant("ipv6", "fd98::1"))]),
    ("reg0[3] = lookup_arp(inport, arp.spa, arp.sha);",
     [Assignment(Field("reg0", 3, 3), "=", Call("lookup_arp", (
         pos(Field("inport")), pos(Field("arp.spa"), sep=","), pos(Field("arp.sha"), sep=","))))]),
    ("reg0[15] = check_in_port_sec();",
     [Assignment(Field("reg0", 15, 15), "=", Call("check_in_port_sec", ()))]),
    ("put_arp(inport, arp.spa, arp.sha);",
     [Action("put_arp", (pos(Field("inport")), pos(Field("arp.spa"), sep=","),
                         pos(Field("arp.sha"), sep=",")))]),
    ("ct_commit { };", [Action("ct_commit", None, ())]),
    ("ct_commit { ct_mark.blocked = 1; };",
     [Action("ct_commit", None, (Assignment(Field("ct_mark.blocked"), "=", dec("1")),))]),
    ('clone { outport = "lr0-public"; next(pipeline=ingress, table=0); };',
     [Action("clone", None, (
         Assignment(Field("outport"), "=", String("lr0-public")),
         Action("next", (kw("pipeline", Name("ingress"), sep=""), kw("table", dec("0"))))))]),
    ("arp { eth.dst = ff:ff:ff:ff:ff:ff; arp.op = 1; output; };",
     [Action("arp", None, (
         Assignment(Field("eth.dst"), "=", Constant("mac", "ff:ff:ff:ff:ff:ff")),
         Assignment(Field("arp.op"), "=", dec("1")), Action("output")))]),
    ("icmp4 { icmp4.type = 3; /* unreachable */ next; };",
     [Action("icmp4", None, (Assignment(Field("icmp4.type"), "=", dec("3")), Action("next")))]),
    ("clone { drop; };", [Action("clone", None, (Action("drop"),))]),
    ('log(name="acl1", severity=info, verdict=drop, meter="m");',
     [Action("log", (kw("name", String("acl1"), sep=""), kw("severity", Name("info")),
                     kw("verdict", Name("drop")), kw("meter", String("m"))))]),
    ('ct_lb_mark(backends=10.0.0.1:80,10.0.0.2:80; hash_fields="ip_src,ip_dst");',
     [Action("ct_lb_mark", (
         kw("backends", Endpoint(Constant("ipv4", "10.0.0.1"), dec("80")),
            Endpoint(Constant("ipv4", "10.0.0.2"), dec("80")), sep=""),
         kw("hash_fields", String("ip_src,ip_dst"), sep=";")))]),
    ("ct_lb_mark(backends=[fd00::1]:80,[fd00::2]:80; skip_snat);",
     [Action("ct_lb_mark", (
         kw("backends", Endpoint(Constant("ipv6", "fd00::1"), dec("80"), brackets=True),
            Endpoint(Constant("ipv6", "fd00::2"), dec("80"), brackets=True), sep=""),
         pos(Name("skip_snat"), sep=";")))]),
    ("ct_lb_mark(backends=^backends);",
     [Action("ct_lb_mark", (kw("backends", Template("backends"), sep=""),))]),
    ("ct_lb_mark;", [Action("ct_lb_mark")]),
    ("ct_dnat(10.0.0.1);", [Action("ct_dnat", (pos(Constant("ipv4", "10.0.0.1")),))]),
    ("ct_snat(10.0.0.1, 1000-2000);",
     [Action("ct_snat", (pos(Constant("ipv4", "10.0.0.1")),
                         pos(Range(dec("1000"), dec("2000")), sep=",")))]),
    ("ct_next(dnat);", [Action("ct_next", (pos(Name("dnat")),))]),
    ("sample(probability=65535, collector_set=1, obs_domain=2, obs_point=3);",
     [Action("sample", (kw("probability", dec("65535"), sep=""), kw("collector_set", dec("1")),
                        kw("obs_domain", dec("2")), kw("obs_point", dec("3"))))]),
    ("sample(probability=10, obs_domain=0, obs_point=ct_label.obs_point_id);",
     [Action("sample", (kw("probability", dec("10"), sep=""), kw("obs_domain", dec("0")),
                        kw("obs_point", Field("ct_label.obs_point_id"))))]),
    ("reg8[0..15] = select(values=(1=50, 2); hash_fields=\"ip_src\");",
     [Assignment(Field("reg8", 0, 15), "=", Call("select", (
         kw("values", ArgGroup((kw("1", dec("50"), sep=""), pos(dec("2"), sep=","))), sep=""),
         kw("hash_fields", String("ip_src"), sep=";"))))]),
    ('fwd_group(liveness=true, childports="p1", "p2");',
     [Action("fwd_group", (kw("liveness", Name("true"), sep=""),
                           kw("childports", String("p1"), String("p2"))))]),
    ("reg1[0] = put_dhcp_opts(offerip = 10.0.0.4, dns_server = {8.8.8.8, 7.7.7.7});",
     [Assignment(Field("reg1", 0, 0), "=", Call("put_dhcp_opts", (
         kw("offerip", Constant("ipv4", "10.0.0.4"), sep=""),
         kw("dns_server", Set((Constant("ipv4", "8.8.8.8"), Constant("ipv4", "7.7.7.7"))))
     )))]),
    ("handle_svc_check(inport);", [Action("handle_svc_check", (pos(Field("inport")),))]),
    ("push(reg0); pop(reg0);",
     [Action("push", (pos(Field("reg0")),)), Action("pop", (pos(Field("reg0")),))]),
]


@pytest.mark.parametrize("text,actions", ACTIONS, ids=[a[0] or "(empty)" for a in ACTIONS])
def test_actions_tree(text, actions):
    a = parse_actions(text)
    assert list(a.actions) == actions
    assert parse_actions(str(a)) == a


def test_actions_references_include_nested_actions():
    a = parse_actions("reg0[1] = 1; ct_commit { ct_mark.blocked = 0; ct_label.label = reg3; }; "
                      "eth.dst <-> eth.src; put_arp(inport, arp.spa, arp.sha); "
                      "log(name=\"x\", severity=info, verdict=drop); reg0[2] = 1; ip.ttl--;")
    assert a.fields == ("reg0", "ct_mark.blocked", "ct_label.label", "reg3", "eth.dst",
                        "eth.src", "inport", "arp.spa", "arp.sha", "ip.ttl")
    assert a.port_groups == () and a.address_sets == ()


def test_actions_names_and_helpers():
    a = parse_actions("reg9[2] = lookup_arp(inport, arp.spa, arp.sha); reg0 = 0; "
                      "reg1 = reg2; eth.dst <-> eth.src; ip.ttl--; "
                      "ct_lb_mark(backends=10.0.0.1:80,10.0.0.2:80);")
    assert [x.name for x in a] == ["lookup_arp", "load", "move", "exchange", "dec_ttl",
                                   "ct_lb_mark"]
    lb = a.actions[-1]
    assert [str(b) for b in lb.arg("backends")] == ["10.0.0.1:80", "10.0.0.2:80"]
    assert lb.arg("hash_fields") is None


def test_actions_print_normalised():
    text = ("clone {outport = \"etor-GR\"; output; }; ct_commit { } ; "
            "ct_lb_mark(backends=[fd00::1]:80,[fd00::2]:80; force_snat);"
            "icmp4 {ip4.src = 10.244.1.1 ; next(pipeline=ingress,table=3); };")
    assert str(parse_actions(text)) == (
        'clone { outport = "etor-GR"; output; }; ct_commit { }; '
        "ct_lb_mark(backends=[fd00::1]:80,[fd00::2]:80; force_snat); "
        "icmp4 { ip4.src = 10.244.1.1; next(pipeline=ingress, table=3); };")


def test_actions_comments_are_kept_aside():
    a = parse_actions("arp.op = 2; /* ARP reply */ output; /* drop */")
    assert a.comments == ("ARP reply", "drop")
    assert str(a) == "arp.op = 2; output;"


def test_actions_to_dict_is_json():
    d = parse_actions("ct_commit { ct_mark.blocked = 1; }; log(name=\"x\", verdict=drop);"
                      ).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["actions"][0] == {"type": "action", "name": "ct_commit", "args": None, "nested": [
        {"type": "assignment", "name": "load",
         "dst": {"type": "field", "name": "ct_mark.blocked"}, "op": "=",
         "src": {"type": "constant", "kind": "decimal", "value": "1"}}]}
    assert d["actions"][1]["args"][1] == {"type": "arg", "name": "verdict",
                                          "values": [{"type": "name", "word": "drop"}]}


# --- bad text ----------------------------------------------------------------------------

BAD_MATCHES = [
    # text, column (1-based), words the message must have
    ("", 1, "expected an operand"),
    ("tcp.dst ==", 11, "expected a constant"),
    ("ip4 &&", 7, "expected an operand"),
    ("(ip4 || ip6", 12, "expected ')'"),
    ("ip4 && ip6 || tcp", 12, "must be parenthesized"),
    ("ip4 || ip6 && tcp", 12, "must be parenthesized"),
    ("!tcp.dst == 80", 1, "missing parentheses around operand of '!'"),
    ("tcp.dst == 80 udp", 15, "expected '&&', '||' or the end"),
    ("10.0.0.1", 9, "expected a relational operator"),
    ("ip4.src == 256.1.2.3", 12, "invalid numeric constant"),
    ("reg0 == 01", 9, "leading zeros"),
    ("reg0 == 18446744073709551616", 9, "less than 2**64"),
    ("reg0 == 0x", 9, "hex digits expected"),
    ("ip4.src == 1.2.3.4/0x1", 12, "incompatible formats"),
    ("ip4.src == 1.2.3.4/33", 12, "incompatible formats"),
    ('inport == "lsp1', 11, "input ends inside quoted string"),
    ("ip4.src == {1.2.3.4,}", 21, "expected a constant"),
    ("ip4.src == {1.2.3.4", 20, "expected '}'"),
    ("ip4.src == $", 12, "must be followed by a name"),
    ("reg0[5..1] == 1", 1, "invalid bit range 5 to 1"),
    ("reg0[x] == 1", 5, "invalid subfield"),
    ("ip4 & tcp", 5, "found '&'"),
    ("ip4 /* unterminated", 5, "'/*' without a matching '*/'"),
    ("foo(1)", 1, "no functions but is_chassis_resident"),
    ("1 < tcp.dst > 2", 1, "range expressions"),
    ("reg0 = 1", 6, "found '='"),
]


@pytest.mark.parametrize("text,column,words", BAD_MATCHES,
                         ids=[b[0] or "(empty)" for b in BAD_MATCHES])
def test_bad_match(text, column, words):
    with pytest.raises(ExpressionError) as info:
        parse_match(text)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.column == column, str(e)
    assert words in str(e)
    assert str(e).startswith(f"column {column}: ")
    assert e.expected


BAD_ACTIONS = [
    ("next", 5, "expected ';'"),
    ("next(", 6, "expected ')'"),
    ("output; next", 13, "expected ';'"),
    ("foo bar;", 5, "expected ';'"),
    ("reg0 = ;", 8, "expected a constant, a field or a function call"),
    ("drop; next;", 1, "'drop;' must be the only action"),
    ("next; drop;", 7, "'drop;' must be the only action"),
    ("1;", 1, "expected an action"),
    ("clone { next; 1 };", 15, "expected an action or '}'"),
    ("clone { next; ", 15, "expected an action or '}'"),
    ("reg0[1];", 1, "after a subfield"),
    ("eth.dst <-> 1;", 1, "'<->' exchanges two fields"),
    ("ct_lb_mark(backends=10.0.0.1:80,,);", 33, "expected an argument value"),
    ("next(pipeline=ingress table=3);", 23, "expected ')'"),
    ('log(name="x);', 10, "input ends inside quoted string"),
    ("ct_snat(10.0.0.256);", 9, "invalid numeric constant"),
]


@pytest.mark.parametrize("text,column,words", BAD_ACTIONS, ids=[b[0] for b in BAD_ACTIONS])
def test_bad_actions(text, column, words):
    with pytest.raises(ExpressionError) as info:
        parse_actions(text)
    e = info.value
    assert e.column == column, str(e)
    assert words in str(e)


def test_errors_are_one_line_and_not_pyparsing():
    for text in ("reg0[0..15 == 1", "ip4 && (tcp || ", "{}"):
        with pytest.raises(ExpressionError) as info:
            parse_match(text)
        assert "\n" not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


# --- every match and actions column of the samples and the corpus ---------------------------

def _sample_files(name: str) -> list[Path]:
    return sorted(SAMPLES.glob(f"**/{name}"))


def _check_round_trip(parse, text):
    tree = parse(text)
    assert parse(str(tree)) == tree, text
    return tree


def test_every_logical_flow_of_every_sample_southbound_parses():
    files = _sample_files("sb.db")
    assert files, "no samples/**/sb.db"
    matches, actions = set(), set()
    for path in files:
        for row in open_source(path).rows("Logical_Flow", ["match", "actions"]).values():
            matches.add(row["match"])
            actions.add(row["actions"])
    for text in matches:
        _check_round_trip(parse_match, text)
    for text in actions:
        _check_round_trip(parse_actions, text)
    assert len(matches) > 400 and len(actions) > 200


def test_every_acl_of_every_sample_northbound_parses():
    files = _sample_files("nb.db")
    assert files, "no samples/**/nb.db"
    matches = {row["match"] for path in files
               for row in open_source(path).rows("ACL", ["match"]).values()}
    assert matches
    for text in matches:
        _check_round_trip(parse_match, text)


def test_sample_references_agree_with_the_database():
    """The port groups and address sets the flows name are rows of the same Southbound.

    A match names a port group by its Northbound name; the
    Southbound row of it on a datapath is named "<datapath tunnel key>_<name>"
    (lib/ovn-util.c get_sb_port_group_name)."""
    for path in _sample_files("sb.db"):
        src = open_source(path)
        groups = {r["name"].partition("_")[2] for r in src.rows("Port_Group", ["name"]).values()
                  if r["name"].partition("_")[0].isdigit()}
        sets = {r["name"] for r in src.rows("Address_Set", ["name"]).values()}
        named_groups, named_sets = set(), set()
        for row in src.rows("Logical_Flow", ["match"]).values():
            m = parse_match(row["match"])
            named_groups.update(m.port_groups)
            named_sets.update(m.address_sets)
        assert named_groups <= groups, path
        assert named_sets <= sets, path


_LOGICAL_FLOW = re.compile(r"Logical flow: .*?match=\((.*)\), actions=\((.*)\)\s*$")
_TABLE_LINE = re.compile(r"^\s*\d+\. [a-z_]+ \([^)]*\): (.*), priority \d+, uuid [0-9a-f]+\s*$")


def test_every_match_and_actions_in_the_corpus_traces_parses(corpus_dir):
    """ovn-detrace's 'Logical flow: ... match=(...), actions=(...)' notes and
    ovn-trace --detailed's table lines.  A text with an odd number of quotes
    was cut by the document it came from: it must fail, saying so."""
    matches, actions = {}, {}
    for path in sorted(p for p in corpus_dir.rglob("*.txt")):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            where = f"{path.relative_to(corpus_dir)}:{number}"
            if m := _LOGICAL_FLOW.search(line):
                matches.setdefault(m.group(1), where)
                actions.setdefault(m.group(2), where)
            elif m := _TABLE_LINE.match(line):
                matches.setdefault(m.group(1), where)
    assert len(matches) > 50 and actions
    for parse, texts in ((parse_match, matches), (parse_actions, actions)):
        for text, where in texts.items():
            if text.count('"') % 2:
                with pytest.raises(ExpressionError, match="inside quoted string"):
                    parse(text)
            else:
                _check_round_trip(parse, text)


# --- packaging ----------------------------------------------------------------------------

def test_expr_imports_nothing_else_from_ovnparse():
    for path in (ROOT / "ovnparse" / "expr").glob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+ovnparse\b", source, re.M), path
        assert not re.search(r"^\s*from\s+\.\.", source, re.M), path


def test_pyparsing_is_imported_on_first_parse_only():
    code = ("import sys, ovnparse, ovnparse.expr\n"
            "assert 'pyparsing' not in sys.modules\n"
            "ovnparse.expr.parse_match('ip4')\n"
            "assert 'pyparsing' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    code = "import sys, ovnparse\nassert 'ovnparse.expr' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
