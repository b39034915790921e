"""The Kubernetes object that owns an OVN ACL, as ovn-kubernetes records it.

Current ovn-kubernetes (2023 on) writes `k8s.ovn.org/owner-type` (the owner
kinds below), `k8s.ovn.org/name` (`namespace:policy` for a NetworkPolicy, the
namespace for namespace-wide objects, the node for NetpolNode, the policy for
(Baseline)AdminNetworkPolicy), `direction`, `gress-index`, `rule-index` ...
Older releases wrote `policy`, `namespace`, `policy_type` and
`default-deny-policy-type`, and named ACLs `namespace_policy`; the ACL name
(`NP:ns:policy:Ingress:0`, `NP:ns:Ingress`, `EF:ns:0`, `ANP:...`, `BANP:...`)
says the same again (2021-2022 default-deny ACLs were named
`<namespace>_ingressDefaultDeny`/`_egressDefaultDeny`, their ARP exception
`<namespace>_ARPallowPolicy`).  The owner is read from the newest form
present; an owner read from the legacy keys or the name alone is marked
`legacy`.

`describe` gives the owner's one line for a person; it lives here, beside
the rules it reads, because `ovnparse detrace --extended` prints it in its
notes too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import Acl, Owner

# ovn-kubernetes owner types (libovsdb/ops/db_object_types.go) that own ACLs.
OWNER_KINDS = ("NetworkPolicy", "NetpolNamespace", "NetpolDefault", "NetpolNode",
               "EgressFirewall", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
               "MulticastNS", "MulticastCluster", "EgressQoS", "EgressFwNode")
_NAME_PREFIX_KINDS = {"NP": "NetworkPolicy", "EF": "EgressFirewall",
                      "ANP": "AdminNetworkPolicy", "BANP": "BaselineAdminNetworkPolicy"}


def acl_name(acl: Mapping[str, Any]) -> str | None:
    name = acl.get("name")
    if isinstance(name, (list, tuple)):  # an optional column: [] or [value]
        name = name[0] if name else None
    return name or None


def acl_ref(uuid: str, acl: Mapping[str, Any]) -> Acl:
    """The ACL row as a drop names it."""
    tier = acl.get("tier")
    return Acl(uuid=uuid, name=acl_name(acl), direction=acl.get("direction"),
               priority=acl.get("priority"), action=acl.get("action"),
               tier=tier if isinstance(tier, int) else None,
               external_ids=dict(acl.get("external_ids") or {}))


def acl_owner(acl: Mapping[str, Any]) -> Owner | None:
    """The object that owns the ACL, or None."""
    ids = dict(acl.get("external_ids") or {})
    kind = ids.get("k8s.ovn.org/owner-type")
    if kind:
        return _current(kind, ids)
    if "neutron:security_group_rule_id" in ids:
        # OpenStack: Neutron names the security group rule an ACL implements.
        return Owner("NeutronSecurityGroupRule", name=ids["neutron:security_group_rule_id"])
    return _legacy(ids, acl_name(acl))


def _current(kind: str, ids: dict) -> Owner:
    name = ids.get("k8s.ovn.org/name")
    namespace = None
    if kind == "NetworkPolicy" and name and ":" in name:
        namespace, name = name.split(":", 1)
    elif kind in ("NetpolNamespace", "MulticastNS", "EgressQoS"):
        namespace, name = name, None
    elif kind == "EgressFirewall":  # (one a namespace, always named "default")
        namespace, name = name, "default"
    direction = ids.get("direction") or ("Egress" if kind == "EgressFirewall" else None)
    rule = ids.get("gress-index") or ids.get("rule-index")
    return Owner(kind, namespace, name, direction,
                 int(rule) if rule not in (None, "") and rule.lstrip("-").isdigit() else rule)


# 2021-2022 default-deny ACL names: <namespace or port group hash>_<suffix>
_DEFAULT_DENY_NAME = re.compile(
    r"(?P<ns>.+)_(?:(?P<dir>ingress|egress)DefaultDeny|ARPallowPolicy)\Z")
_PORT_GROUP_HASH = re.compile(r"a\d{8,}\Z")  # (a hash names no namespace)


def _legacy(ids: dict, name: str | None) -> Owner | None:
    deny_name = _DEFAULT_DENY_NAME.match(name) if name else None
    name_ns = deny_name.group("ns") if deny_name else None
    if name_ns and _PORT_GROUP_HASH.match(name_ns):
        name_ns = None
    if "policy" in ids or "default-deny-policy-type" in ids:
        deny = ids.get("default-deny-policy-type")
        return Owner("NetpolNamespace" if deny else "NetworkPolicy",
                     ids.get("namespace") or name_ns, None if deny else ids.get("policy"),
                     deny or ids.get("policy_type"), legacy=True)
    if not name:
        return None
    if deny_name:
        direction = deny_name.group("dir")
        return Owner("NetpolNamespace", name_ns, None,
                     direction.capitalize() if direction else None, legacy=True)
    parts = name.split(":")
    kind = _NAME_PREFIX_KINDS.get(parts[0])
    if kind == "NetworkPolicy" and len(parts) == 3:  # NP:ns:Ingress (namespace default deny)
        return Owner("NetpolNamespace", parts[1], None, parts[2], legacy=True)
    if kind == "NetworkPolicy" and len(parts) >= 4:  # NP:ns:policy:Ingress[:0]
        return Owner(kind, parts[1], parts[2], parts[3],
                     _int(parts[4]) if len(parts) > 4 else None, legacy=True)
    if kind == "EgressFirewall" and len(parts) >= 2:  # EF:ns:0
        return Owner(kind, parts[1], None, "Egress",
                     _int(parts[2]) if len(parts) > 2 else None, legacy=True)
    if kind and len(parts) >= 2:  # ANP:name:Ingress:0, BANP:...
        return Owner(kind, None, parts[1], parts[2] if len(parts) > 2 else None,
                     _int(parts[3]) if len(parts) > 3 else None, legacy=True)
    if "_" in name and ":" not in name:  # namespace_policy (before 2021)
        namespace, policy = name.split("_", 1)
        return Owner("NetworkPolicy", namespace, policy, legacy=True)
    return None


def _int(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def describe(owner: Owner | None) -> str:
    """One line for a person: 'NetworkPolicy default/web-allow-prod (Ingress rule 0)'."""
    if not owner:
        return "no Kubernetes owner recorded"
    if owner.kind == "NetpolNamespace":
        what = f"the default-deny of NetworkPolicies in namespace {owner.namespace}"
    else:
        what = f"{owner.kind} " + "/".join(x for x in (owner.namespace, owner.name) if x)
    rule = f"rule {owner.rule}" if owner.rule not in (None, "") else None
    extra = " ".join(str(x) for x in (owner.direction, rule) if x)
    return what + (f" ({extra})" if extra else "") + (" [legacy ids]" if owner.legacy else "")
