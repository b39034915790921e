"""ovnparse.diff / `ovnparse diff`, and `compare` kept as its alias.

The expectations: the manifests' verdicts, drop points and logical flows for
each conntrack assumption, the ACLs' priorities read from the Northbound
databases (a flow's priority is its ACL's + 1000), and the ACL names the
scenarios' NetworkPolicies get.
"""

from __future__ import annotations

import json
import re

import pytest

import ovnparse
from ovnparse.db import open_database

from sample_traces import MANIFESTS, RELEASES, SEED, databases, drop_point, sample, scenario

ALLOWED = "acl-ingress-allowed-after-web-allow-prod"
ALLOW_ACL = "NP:default:web-allow-prod:Ingress:0"
DIFF_KEYS = {"same", "a", "b", "first_divergence", "only_a", "only_b", "changed", "verdicts",
             "causes"}


def acl_flow_priority(release: str, state: str, name: str) -> int:
    """The logical flow priority of the ACL so named (its priority + 1000), from the NB file."""
    nb = open_database(MANIFESTS[release][0] / "db" / state / "nb.db")
    [priority] = {row["priority"] for row in nb.rows("ACL").values()
                  if row.get("name") in (name, [name])}
    return priority + 1000


@pytest.mark.parametrize("release", RELEASES)
def test_before_and_after_web_allow_prod(release):
    exp = scenario(release, SEED)["expected"]
    deny = drop_point(exp["drop"])
    [before] = sample(release, SEED, "ovn-trace.detailed.txt")
    [after] = sample(release, ALLOWED, "ovn-trace.detailed.txt")
    d = ovnparse.diff(before, after)
    assert not d.same and d.verdict_changed
    ra, rb = d.first_divergence
    assert ra.stage == rb.stage == deny["stage"] and ra.stage.startswith("ls_out_acl")
    assert (ra.line, rb.line) == (deny_line(before, deny["lflow"]), deny_line(after, rb.lflow))
    assert (ra.priority, ra.lflow, ra.acl) == (deny["priority"], deny["lflow"],
                                               exp["drop"]["acl_name"])
    allow_priority = acl_flow_priority(release, "allow-prod", ALLOW_ACL)
    assert (rb.priority, rb.acl) == (allow_priority, ALLOW_ACL) and allow_priority == 2001
    text = str(d)
    assert f"first divergence at ovn-worker egress table {deny['table']} {deny['stage']}" in text
    assert "default-deny" in text and "priority 2000" in text
    assert "web-allow-prod" in text and "allow" in text and "priority 2001" in text
    assert "dropped → delivered" in text
    # what b does after the divergence, a never does: the rest of the egress pipeline
    assert d.only_b and not d.only_a
    assert all(r.pipeline == "egress" and r.table > deny["table"] for r in d.only_b)
    out = d.to_dict()
    assert set(out) == DIFF_KEYS
    assert out["first_divergence"]["stage"] == deny["stage"]
    assert out["verdicts"]["a"]["verdict"] == "dropped"
    assert out["verdicts"]["b"]["verdict"] == "delivered"
    assert out["verdicts"]["b"]["outputs"] == scenario(release, ALLOWED)["expected"]["outputs"]
    assert out["causes"][0]["kind"] == "acl" and "web-allow-prod" in out["causes"][0]["text"]
    json.dumps(out)


def deny_line(trace, lflow: str) -> int:
    """The line of the table line printing a flow's uuid prefix (read from the text)."""
    text = open(trace.source).read().splitlines()
    return next(n for n, line in enumerate(text, 1) if f"uuid {lflow}" in line)


def test_with_each_trace_its_own_databases():
    base, allow = databases("23.03", "base"), databases("23.03", "allow-prod")
    [before] = sample("23.03", SEED, "ovn-trace.detailed.txt", db=base)
    [after] = sample("23.03", ALLOWED, "ovn-trace.detailed.txt", db=allow)
    d = before.diff(after)
    ra, rb = d.first_divergence
    assert ra.owner.kind == "NetpolNamespace" and not ra.owner.legacy
    assert (rb.owner.kind, rb.owner.name, rb.acl_action) == ("NetworkPolicy", "web-allow-prod",
                                                             "allow-related")
    assert rb.lflow_uuid.startswith(rb.lflow)


@pytest.mark.parametrize("release", RELEASES)
def test_logical_against_openflow_through_cookies(release):
    sc = scenario(release, SEED)
    [est] = sample(release, SEED, "ovn-trace.detailed.txt")
    [new] = sample(release, SEED, "ovn-trace.ct-new.detailed.txt")
    # the same conntrack assumption: the same flows, step by step
    [of_est] = sample(release, SEED, "ofproto-trace.ct-est.txt")
    assert ovnparse.diff(est, of_est).same
    for form in ("ofproto-trace.ct-new.txt", "ovn-detrace.txt"):
        openflow = sample(release, SEED, form)[0]
        assert ovnparse.diff(new, openflow).same, form
        # ovn-trace's default (established) against OpenFlow's resumed-as-new passes
        d = ovnparse.diff(est, openflow)
        assert not d.same and not d.verdict_changed
        ra, rb = d.first_divergence
        assert ra.stage == "ls_in_acl_hint" and rb.key != ra.key
        assert [c["kind"] for c in d.causes][-1] == "conntrack"
        drops = {(c.a.lflow, c.b.key) for c in d.changed}
        assert (drop_point(sc["expected"]["drop"])["lflow"],
                drop_point(sc["expected_ct_new"]["drop"])["lflow"]) in drops


def test_the_same_flows_under_other_uuids_are_the_same():
    # A rebuilt database gives every flow another uuid: the trace's own text with
    # its uuid prefixes rewritten is what ovn-trace prints against it.
    path = MANIFESTS["23.03"][0] / SEED / "ovn-trace.detailed.txt"
    text = path.read_text()
    renamed = re.sub(r"uuid ([0-9a-f]{8})", lambda m: "uuid " + m.group(1)[::-1], text)
    [a] = ovnparse.read(path)
    [b] = ovnparse.read_text(renamed)
    d = ovnparse.diff(a, b)
    assert d.same and d.renamed == len(a.to_frame())
    assert [c["kind"] for c in d.causes] == ["uuid"]


def test_compare_is_an_alias_with_its_keys():
    [before] = sample("23.03", SEED, "ovn-trace.detailed.txt")
    [after] = sample("23.03", ALLOWED, "ovn-trace.detailed.txt")
    result = ovnparse.compare(before, after)
    assert set(result.to_dict()) == {"same", "reasons", "first", "second"}
    assert result.same is False
    assert "ls_out_acl" in result.reasons[0] and "web-allow-prod" in result.reasons[0]
    assert not any(r.startswith("no known cause") for r in result.reasons)
    # the same verdict by other flows is said too
    detrace = sample("23.03", SEED, "ovn-detrace.txt")[0]
    result = ovnparse.compare(before, detrace)
    assert result.same is True and any("conntrack" in r for r in result.reasons)



@pytest.mark.parametrize("release", RELEASES)
def test_diff_command(release, cli):
    base = MANIFESTS[release][0]
    a, b = base / SEED / "ovn-trace.detailed.txt", base / ALLOWED / "ovn-trace.detailed.txt"
    done = cli("diff", a, b)
    assert done.returncode == 1, done.stderr
    assert "first divergence at ovn-worker egress" in done.stdout
    assert "dropped → delivered" in done.stdout
    done = cli("diff", "--json", a, b)
    assert done.returncode == 1 and set(json.loads(done.stdout)) == DIFF_KEYS
    done = cli("diff", a, base / SEED / "ofproto-trace.ct-est.txt")
    assert done.returncode == 0 and "same:" in done.stdout
    # the second trace of each --all file: the summaries
    done = cli("diff", "--trace", "2", base / SEED / "ovn-trace.all.txt",
               base / ALLOWED / "ovn-trace.all.txt")
    assert done.returncode == 1 and "dropped → delivered" in done.stdout
    done = cli("diff", "--trace", "7", a, b)
    assert done.returncode == 2 and "no trace 7" in done.stderr
    db, allow = base / "db" / "base", base / "db" / "allow-prod"
    done = cli("diff", "--json", "--nb", db / "nb.db", "--sb", db / "sb.db", "--nb-b",
               allow / "nb.db", "--sb-b", allow / "sb.db", a, b)
    out = json.loads(done.stdout)
    assert out["first_divergence"]["a"]["owner"]["kind"] == "NetpolNamespace"
    assert out["first_divergence"]["b"]["owner"]["name"] == "web-allow-prod"
    assert out["first_divergence"]["b"]["owner"]["legacy"] is False


def test_compare_command_keeps_its_output(cli):
    d = MANIFESTS["23.03"][0] / SEED
    done = cli("compare", d / "ovn-trace.detailed.txt", d / "ovn-detrace.txt")
    assert done.returncode == 0
    assert "same verdict, by other flows:" in done.stdout and "conntrack" in done.stdout
