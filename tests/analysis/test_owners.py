"""Kubernetes owners of ACLs, in the forms ovn-kubernetes wrote over the years.

The cases follow ovn-kubernetes' go-controller: GetACLName (pkg/util/acl.go:
`NP:<ns>:<policy>:<dir>:<gress-idx>`, `NP:<ns>:<dir>`, `EF:<ns>:<rule-idx>`,
`ANP:<name>:<dir>:<idx>`, `BANP:<name>:<dir>:<idx>`, cropped to 63
characters) and the DbObjectIDs external_ids (`k8s.ovn.org/owner-type`,
`k8s.ovn.org/name`, `direction`, `gress-index`, `rule-index`); releases before
2023 wrote `policy`/`namespace`/`policy_type` and `default-deny-policy-type`,
and before 2021 named ACLs `<ns>_<policy>`.  The samples' ACLs (written by
samples/topology.py as ovn-kubernetes does) are checked in test_resolve_drops.
"""

from __future__ import annotations

import pytest

from ovnparse.enrich.owners import acl_owner, describe
from ovnparse.model import Owner


def owner(kind, namespace, name, direction, rule, legacy):
    return Owner(kind, namespace, name, direction, rule, legacy)


CASES = [
    ("current NetworkPolicy rule",
     {"name": ["NP:default:web-allow-prod:Ingress:0"], "external_ids": {
         "k8s.ovn.org/owner-type": "NetworkPolicy", "k8s.ovn.org/name": "default:web-allow-prod",
         "direction": "Ingress", "gress-index": "0"}},
     owner("NetworkPolicy", "default", "web-allow-prod", "Ingress", 0, False)),
    ("current namespace default deny",
     {"name": ["NP:default:Ingress"], "external_ids": {
         "k8s.ovn.org/owner-type": "NetpolNamespace", "k8s.ovn.org/name": "default",
         "direction": "Ingress", "type": "defaultDeny"}},
     owner("NetpolNamespace", "default", None, "Ingress", None, False)),
    ("current EgressFirewall rule",
     {"name": ["EF:prod:3"], "external_ids": {
         "k8s.ovn.org/owner-type": "EgressFirewall", "k8s.ovn.org/name": "prod", "rule-index": "3"}},
     # (an EgressFirewall must be named "default": one a namespace, the CRD's rule)
     owner("EgressFirewall", "prod", "default", "Egress", 3, False)),
    ("current AdminNetworkPolicy rule",
     {"name": ["ANP:cluster-control:Egress:2"], "external_ids": {
         "k8s.ovn.org/owner-type": "AdminNetworkPolicy", "k8s.ovn.org/name": "cluster-control",
         "direction": "Egress", "gress-index": "2"}},
     owner("AdminNetworkPolicy", None, "cluster-control", "Egress", 2, False)),
    ("current node ACL (no name)",
     {"name": [""], "external_ids": {
         "k8s.ovn.org/owner-type": "NetpolNode", "k8s.ovn.org/name": "ovn-worker", "ip": "10.244.1.2"}},
     owner("NetpolNode", None, "ovn-worker", None, None, False)),
    ("legacy keys, policy rule",
     {"name": ["default_web-allow-prod"], "external_ids": {
         "policy": "web-allow-prod", "namespace": "default", "policy_type": "Ingress"}},
     owner("NetworkPolicy", "default", "web-allow-prod", "Ingress", None, True)),
    ("legacy keys, default deny",
     {"name": ["default_deny-by-default"], "external_ids": {"default-deny-policy-type": "Egress",
                                                             "namespace": "default"}},
     owner("NetpolNamespace", "default", None, "Egress", None, True)),
    ("name only, BaselineAdminNetworkPolicy",
     {"name": ["BANP:default:Ingress:0"], "external_ids": {}},
     owner("BaselineAdminNetworkPolicy", None, "default", "Ingress", 0, True)),
    ("name only, pre-2021 namespace_policy",
     {"name": ["prod_allow-dns"], "external_ids": {}},
     owner("NetworkPolicy", "prod", "allow-dns", None, None, True)),
]


@pytest.mark.parametrize("what,acl,expected", CASES, ids=[c[0] for c in CASES])
def test_owner(what, acl, expected):
    assert acl_owner(acl) == expected


def test_an_acl_nobody_owns():
    assert acl_owner({"name": [], "external_ids": {}}) is None
    assert describe(None) == "no Kubernetes owner recorded"


def test_openstack_acl_names_its_security_group_rule():
    """networking-ovn / Neutron's OVN driver writes neutron:security_group_rule_id."""
    got = acl_owner({"name": [], "external_ids": {
        "neutron:security_group_rule_id": "3f9b2e9c-58d1-4a4e-9a2b-5a8a4c1d2e10"}})
    assert got.kind == "NeutronSecurityGroupRule"
    assert got.name == "3f9b2e9c-58d1-4a4e-9a2b-5a8a4c1d2e10"


def test_describe_reads_like_a_sentence():
    assert describe(CASES[1][2]) == "the default-deny of NetworkPolicies in namespace default (Ingress)"
    assert describe(CASES[0][2]) == "NetworkPolicy default/web-allow-prod (Ingress rule 0)"
