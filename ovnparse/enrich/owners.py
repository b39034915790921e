"""The Kubernetes object that owns an OVN ACL, as ovn-kubernetes records it.

Current ovn-kubernetes (2023 on) writes `k8s.ovn.org/owner-type` (the owner
kinds below), `k8s.ovn.org/name` (`namespace:policy` for a NetworkPolicy, the
namespace for namespace-wide objects, the node for NetpolNode, the policy for
(Baseline)AdminNetworkPolicy), `direction`, `gress-index`, `rule-index` ...
Older releases wrote `policy`, `namespace`, `policy_type` and
`default-deny-policy-type`, and named ACLs `namespace_policy`; the ACL name
(`NP:ns:policy:Ingress:0`, `NP:ns:Ingress`, `EF:ns:0`, `ANP:...`, `BANP:...`)
says the same again.  The owner is read from the newest form present; an owner
read from the legacy keys or the name alone is marked `legacy`.
"""

from __future__ import annotations

from typing import Any, Mapping

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


def acl_owner(acl: Mapping[str, Any]) -> dict | None:
    """{"kind", "namespace", "name", "direction", "rule", "legacy"} or None."""
    ids = dict(acl.get("external_ids") or {})
    kind = ids.get("k8s.ovn.org/owner-type")
    if kind:
        return _current(kind, ids)
    if "neutron:security_group_rule_id" in ids:
        # OpenStack: Neutron names the security group rule an ACL implements.
        return {"kind": "NeutronSecurityGroupRule", "namespace": None,
                "name": ids["neutron:security_group_rule_id"], "direction": None,
                "rule": None, "legacy": False}
    return _legacy(ids, acl_name(acl))


def _current(kind: str, ids: dict) -> dict:
    name = ids.get("k8s.ovn.org/name")
    namespace = None
    if kind == "NetworkPolicy" and name and ":" in name:
        namespace, name = name.split(":", 1)
    elif kind in ("NetpolNamespace", "EgressFirewall", "MulticastNS", "EgressQoS"):
        namespace, name = name, None
    direction = ids.get("direction") or ("Egress" if kind == "EgressFirewall" else None)
    rule = ids.get("gress-index") or ids.get("rule-index")
    return {"kind": kind, "namespace": namespace, "name": name, "direction": direction,
            "rule": int(rule) if rule not in (None, "") and rule.lstrip("-").isdigit() else rule,
            "legacy": False}


def _legacy(ids: dict, name: str | None) -> dict | None:
    if "policy" in ids or "default-deny-policy-type" in ids:
        deny = ids.get("default-deny-policy-type")
        return {"kind": "NetpolNamespace" if deny else "NetworkPolicy",
                "namespace": ids.get("namespace"),
                "name": None if deny else ids.get("policy"),
                "direction": deny or ids.get("policy_type"), "rule": None, "legacy": True}
    if not name:
        return None
    parts = name.split(":")
    kind = _NAME_PREFIX_KINDS.get(parts[0])
    if kind == "NetworkPolicy" and len(parts) == 3:  # NP:ns:Ingress (namespace default deny)
        return {"kind": "NetpolNamespace", "namespace": parts[1], "name": None,
                "direction": parts[2], "rule": None, "legacy": True}
    if kind == "NetworkPolicy" and len(parts) >= 4:  # NP:ns:policy:Ingress[:0]
        return {"kind": kind, "namespace": parts[1], "name": parts[2], "direction": parts[3],
                "rule": _int(parts[4]) if len(parts) > 4 else None, "legacy": True}
    if kind == "EgressFirewall" and len(parts) >= 2:  # EF:ns:0
        return {"kind": kind, "namespace": parts[1], "name": None, "direction": "Egress",
                "rule": _int(parts[2]) if len(parts) > 2 else None, "legacy": True}
    if kind and len(parts) >= 2:  # ANP:name:Ingress:0, BANP:...
        return {"kind": kind, "namespace": None, "name": parts[1],
                "direction": parts[2] if len(parts) > 2 else None,
                "rule": _int(parts[3]) if len(parts) > 3 else None, "legacy": True}
    if "_" in name and ":" not in name:  # namespace_policy (before 2021)
        namespace, policy = name.split("_", 1)
        return {"kind": "NetworkPolicy", "namespace": namespace, "name": policy,
                "direction": None, "rule": None, "legacy": True}
    return None


def _int(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def describe(owner: dict | None) -> str:
    """One line for a person: 'NetworkPolicy default/web-allow-prod (Ingress rule 0)'."""
    if not owner:
        return "no Kubernetes owner recorded"
    kind, ns, name = owner["kind"], owner["namespace"], owner["name"]
    if kind == "NetpolNamespace":
        what = f"the default-deny of NetworkPolicies in namespace {ns}"
    else:
        what = f"{kind} " + "/".join(x for x in (ns, name) if x)
    extra = " ".join(str(x) for x in (owner.get("direction"),
                                      f"rule {owner['rule']}" if owner.get("rule") not in (None, "") else None) if x)
    return what + (f" ({extra})" if extra else "") + (" [legacy ids]" if owner["legacy"] else "")
