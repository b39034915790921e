"""An ovn-kubernetes-like logical topology, written into a real OVN NB database.

The names, external_ids, priorities and match strings follow what
ovn-kubernetes writes (the conventions are learnt from its source, mid-2023
era, the era of OVN 23.03 and of the OpenShift guide whose
``prod/test-6459 -> default/web`` example this reproduces):

* ``ovn_cluster_router`` with ``rtos-<node>`` ports; one logical switch per
  node named after the node, ``stor-<node>`` router-type ports and the
  management port ``k8s-<node>``;
* the ``join`` switch, one gateway router ``GR_<node>`` per node with a
  gateway, its external switch ``ext_<node>`` and localnet port
  ``breth0_<node>``;
* pods as logical switch ports ``<namespace>_<pod>`` with MACs derived from
  the IPv4 address (``0a:58:…``), ``port_security``, ``external_ids
  namespace=… pod=true`` and ``options:requested-chassis=<node>``;
* Services as ``Service_<ns>/<svc>_<PROTO>_cluster`` load balancers in the
  ``clusterLBGroup`` load-balancer group attached to the node switches and the
  gateway routers;
* NetworkPolicies: namespace default-deny port groups named
  ``a<fnv1a64(namespace)>_ingressDefaultDeny`` / ``_egressDefaultDeny`` with
  ``NP:<ns>:Ingress`` drop (priority 1000) and ``(arp || nd)`` allow (1001)
  ACLs; one port group per policy named ``a<fnv1a64(ns_policy)>``; allow
  ACLs ``NP:<ns>:<policy>:<Ingress|Egress>:<gress index>`` (priority 1001,
  ``allow-related``), egress ACLs with ``options:apply-after-lb=true``;
  namespace address sets ``a<fnv1a64(owner-controller:Namespace:ns:v4)>``;
  ACL logging from the namespace's ``k8s.ovn.org/acl-logging`` annotation;
* an EgressFirewall as current ovn-kubernetes writes it: ``EF:<ns>:<rule>``
  to-lport ACLs (priority ``10000 - rule index``) matching
  ``inport == @<namespace port group>``;
* the cluster-wide ``clusterPortGroup``/``clusterRtrPortGroup`` with the
  multicast default-deny ACLs, and the allow-from-node ACL on every node switch.

Everything is created with a handful of batched ``ovn-nbctl`` calls.  Only
the standard library and :mod:`ovnparse.sandbox` are used.

``configure("25.03")`` switches to what current ovn-kubernetes writes for OVN
with ACL tiers (go-controller, late 2024: ``pkg/libovsdb/util/acl.go``,
``pkg/libovsdb/ops/db_object_types.go``, ``pkg/ovn/controller/admin_network_policy``):

* every ACL has a ``tier``: 2 (``DefaultACLTier``) for NetworkPolicy,
  EgressFirewall, multicast and node ACLs; AdminNetworkPolicy ACLs tier 1
  (``DefaultANPACLTier``), BaselineAdminNetworkPolicy ACLs tier 3;
* port groups are named ``HashForOVN(k8s.ovn.org/id)`` of their owner ids
  (``…:NetpolNamespace:<ns>:<Ingress|Egress>``, ``…:NetworkPolicy:<ns>:<policy>``,
  ``…:Cluster:clusterPortGroup``), no longer ``hash(ns)_ingressDefaultDeny``;
* NetworkPolicy ACL ids key ``port-policy-protocol`` (``None``/``tcp``/``udp``)
  instead of ``port-policy-index``; the multicast deny matches ``mldv1 || mldv2``;
  the hairpin allow ACLs (``NetpolDefault``, ``allow-hairpinning``) on the
  cluster port group;
* AdminNetworkPolicies (``ANP:<name>:<Ingress|Egress>:<rule index>``, priority
  ``30000 - 100 * spec.priority - rule index``, actions allow-related / pass /
  drop) and the BaselineAdminNetworkPolicy ``default`` (``BANP:default:…``,
  priority ``1750 - rule index``), their port groups and peer address sets;
  logging per object from its ``k8s.ovn.org/acl-logging`` annotation;
* a NetworkPolicy annotated ``k8s.ovn.org/acl-stateless`` (allow-stateless ACLs);
* observability: Sampling_App rows (drop 1, acl-new 2, acl-est 3), one
  Sample_Collector (set 42, probability 65535) and one Sample per ACL
  (metadata = FNV-1a 32 of id + match + action) as ``sample_new``/``sample_est``.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass, field

CONTROLLER = "default-network-controller"

CLUSTER_V4 = "10.244.0.0/16"
CLUSTER_V6 = "fd00:10:244::/48"
SERVICE_V4 = "10.96.0.0/16"
SERVICE_V6 = "fd00:10:96::/112"
JOIN_V4 = "100.64.0.0/16"
JOIN_V6 = "fd98::/64"
NODE_NET_V4 = "172.18.0.0/16"
NODE_NET_V6 = "fc00:f853:ccd:e793::/64"
HAIRPIN_SNAT = "169.254.169.5 fd69::5"

#: the OVN release whose ovn-kubernetes conventions are written (configure())
RELEASE = "23.03"

# ovn-kubernetes ACL tiers (pkg/types/const.go)
TIER_ANP, TIER_DEFAULT, TIER_BANP = 1, 2, 3


def configure(release: str) -> None:
    """Write the topology as ovn-kubernetes does for OVN *release*."""
    global RELEASE
    RELEASE = release
    for name, policy in TIERED_NETWORK_POLICIES.items():
        if tiered():
            NETWORK_POLICIES[name] = policy
        else:
            NETWORK_POLICIES.pop(name, None)


def tiered() -> bool:
    """OVN ≥ 23.09 with ACL tiers, and the ovn-kubernetes of that era."""
    return RELEASE != "23.03"


# --------------------------------------------------------------------------
# naming helpers (ovn-kubernetes conventions)
# --------------------------------------------------------------------------
def fnv1a32(s: str) -> int:
    h = 0x811C9DC5
    for b in s.encode():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def hash_for_ovn(s: str) -> str:
    """ovn-kubernetes ``util.HashForOVN``: ``"a"`` + FNV-1a 64-bit hash in decimal."""
    h = 0xCBF29CE484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"a{h}"


def ip_to_mac(ip: str) -> str:
    """ovn-kubernetes ``util.IPAddrToHWAddr`` for IPv4: ``0a:58:`` + the four octets."""
    octets = ipaddress.IPv4Address(ip).packed
    return "0a:58:" + ":".join(f"{o:02x}" for o in octets)


def chassis_id(node: str) -> str:
    """A stable, uuid-looking system-id per node (ovn-kubernetes uses the OVS system-id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{node}.ovnparse.sample"))


def _q(s: str) -> str:
    """Quote a string for ovn-nbctl's database syntax."""
    return json.dumps(s)


def _set(values) -> str:
    values = list(values)
    if not values:
        return "[]"
    return "[" + ",".join(_q(v) for v in values) + "]"


def _map(key: str, d: dict) -> list[str]:
    return [f"{key}:{_q(k)}={_q(v)}" for k, v in d.items()]


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
@dataclass
class Node:
    name: str
    index: int                # 10.244.<index>.0/24
    local: bool               # served by the sandbox's own ovn-controller
    gateway: bool = True      # has GR_<node> (gateway initialised)
    node_ip4: str = ""
    node_ip6: str = ""
    chassis: str = ""
    encap_ip: str = ""
    host_mac: str = ""

    @property
    def subnet4(self) -> str:
        return f"10.244.{self.index}.0/24"

    @property
    def subnet6(self) -> str:
        return f"fd00:10:244:{self.index}::/64"

    @property
    def gw4(self) -> str:
        return f"10.244.{self.index}.1"

    @property
    def gw6(self) -> str:
        return f"fd00:10:244:{self.index}::1"

    @property
    def rtos_mac(self) -> str:
        return ip_to_mac(self.gw4)

    @property
    def mgmt4(self) -> str:
        return f"10.244.{self.index}.2"

    @property
    def mgmt6(self) -> str:
        return f"fd00:10:244:{self.index}::2"

    @property
    def join4(self) -> str:
        return f"100.64.0.{self.index + 1}"

    @property
    def join6(self) -> str:
        return f"fd98::{self.index + 1:x}"

    @property
    def gr(self) -> str:
        return f"GR_{self.name}"

    @property
    def ext_switch(self) -> str:
        return f"ext_{self.name}"

    @property
    def localnet_port(self) -> str:
        return f"breth0_{self.name}"


@dataclass
class Pod:
    namespace: str
    name: str
    node: str
    host: int                 # last octet / IPv6 host part
    labels: dict = field(default_factory=dict)
    node_index: int = 0
    ofport: int | None = None  # OpenFlow port on br-int when the node is local

    @property
    def lsp(self) -> str:
        return f"{self.namespace}_{self.name}"

    @property
    def ip4(self) -> str:
        return f"10.244.{self.node_index}.{self.host}"

    @property
    def ip6(self) -> str:
        return f"fd00:10:244:{self.node_index}::{self.host:x}"

    @property
    def mac(self) -> str:
        return ip_to_mac(self.ip4)

    @property
    def uid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pod/{self.namespace}/{self.name}"))

    @property
    def iface(self) -> str:
        # an OVS interface name the way CNI names veths: <15 chars
        return ("v" + hash_for_ovn(self.lsp)[1:])[:15]


@dataclass
class Service:
    namespace: str
    name: str
    protocol: str             # TCP | UDP
    vip4: str
    vip6: str
    port: int
    target_port: int
    endpoints: list           # pod names in the service's namespace (or "ns/pod")

    @property
    def lb_name(self) -> str:
        return f"Service_{self.namespace}/{self.name}_{self.protocol}_cluster"


@dataclass
class Namespace:
    name: str
    labels: dict = field(default_factory=dict)
    acl_logging: dict = field(default_factory=dict)   # {"deny": "alert", "allow": "notice"}


NODES = [
    Node("ovn-worker", 1, local=True, node_ip4="172.18.0.2", node_ip6="fc00:f853:ccd:e793::2",
         host_mac="02:42:ac:12:00:02"),
    Node("ovn-worker2", 2, local=False, node_ip4="172.18.0.3", node_ip6="fc00:f853:ccd:e793::3",
         host_mac="02:42:ac:12:00:03"),
    # a node whose gateway is not initialised yet: no GR, no src-ip route
    Node("ovn-control-plane", 3, local=False, gateway=False, node_ip4="172.18.0.4",
         node_ip6="fc00:f853:ccd:e793::4", host_mac="02:42:ac:12:00:04"),
]
for _n in NODES:
    _n.chassis = chassis_id(_n.name)
    _n.encap_ip = _n.node_ip4

NAMESPACES = [
    Namespace("default", {"kubernetes.io/metadata.name": "default"},
              acl_logging={"deny": "alert", "allow": "notice"}),
    Namespace("prod", {"kubernetes.io/metadata.name": "prod", "purpose": "production"},
              acl_logging={"deny": "warning"}),
    Namespace("openshift-dns", {"kubernetes.io/metadata.name": "openshift-dns"}),
    Namespace("restricted", {"kubernetes.io/metadata.name": "restricted"}),
    Namespace("kube-system", {"kubernetes.io/metadata.name": "kube-system"}),
]

PODS = [
    # node ovn-worker (local chassis: real OVS interfaces on br-int)
    Pod("default", "web", "ovn-worker", 3, {"app": "web"}, ofport=3),
    Pod("prod", "test-6459", "ovn-worker", 4, {"run": "test-6459"}, ofport=4),
    Pod("prod", "api-0", "ovn-worker", 5, {"app": "api"}, ofport=5),
    Pod("openshift-dns", "dns-default-6prvx", "ovn-worker", 6, {"dns.operator.openshift.io/daemonset-dns": "default"}, ofport=6),
    Pod("restricted", "locked-0", "ovn-worker", 7, {"app": "locked"}, ofport=13),
    # node ovn-worker2 (fake chassis)
    Pod("openshift-dns", "dns-default-467qw", "ovn-worker2", 3, {"dns.operator.openshift.io/daemonset-dns": "default"}),
    Pod("default", "web-2", "ovn-worker2", 4, {"app": "web"}),
    Pod("prod", "api-1", "ovn-worker2", 5, {"app": "api"}),
    # node ovn-control-plane (fake chassis, gateway not initialised)
    Pod("kube-system", "coredns-787d4945fb-l85r5", "ovn-control-plane", 3, {"k8s-app": "kube-dns"}),
]
_node_by_name = {n.name: n for n in NODES}
for _p in PODS:
    _p.node_index = _node_by_name[_p.node].index

SERVICES = [
    Service("default", "web", "TCP", "10.96.47.12", "fd00:10:96::2f0c", 80, 80, ["web", "web-2"]),
    Service("openshift-dns", "dns-default", "UDP", "10.96.0.10", "fd00:10:96::a", 53, 5353,
            ["dns-default-6prvx", "dns-default-467qw"]),
    # a service whose selector matches nothing: ovn-kubernetes keeps the VIP with
    # no backends and options:reject=true, so OVN answers with a TCP reset
    Service("default", "no-endpoints", "TCP", "10.96.200.200", "fd00:10:96::c8c8", 80, 8080, []),
]

# NetworkPolicies, as the small subset of the API this generator understands.
NETWORK_POLICIES = {
    # the guide's deny-by-default: podSelector {}, ingress: []
    "deny-by-default": dict(namespace="default", pod_selector={}, policy_types=["Ingress"],
                            ingress=[], egress=[]),
    # the guide's web-allow-prod (only in the "allow-prod" database state)
    "web-allow-prod": dict(namespace="default", pod_selector={"app": "web"}, policy_types=["Ingress"],
                           ingress=[{"namespace_selector": {"purpose": "production"}, "ports": []}],
                           egress=[]),
    # an egress policy: restricted pods may only talk to DNS (udp/5353 in openshift-dns)
    "allow-dns-only": dict(namespace="restricted", pod_selector={}, policy_types=["Egress"],
                           ingress=[],
                           egress=[{"namespace_selector": {"kubernetes.io/metadata.name": "openshift-dns"},
                                    "ports": [("UDP", 5353)]}]),
}

# 25.03 only: NetworkPolicy with the k8s.ovn.org/acl-stateless annotation
# (in NETWORK_POLICIES only once configure() chose a release with tiers)
STATELESS_POLICIES = {"stateless-api-ingress"}
TIERED_NETWORK_POLICIES = {
    "stateless-api-ingress": dict(
        namespace="prod", pod_selector={"app": "api"}, policy_types=["Ingress"],
        ingress=[{"namespace_selector": {"kubernetes.io/metadata.name": "default"},
                  "ports": [("TCP", 8080)]}], egress=[]),
}

# 25.03 only: AdminNetworkPolicies (tier 1) and the BaselineAdminNetworkPolicy
# (tier 3). Rules: (action, namespaceSelector of the peers, ports).
ADMIN_NETWORK_POLICIES = {
    # default/web: openshift-dns may reach port 80 whatever the namespace's
    # NetworkPolicies say; prod is passed on to them
    "default-ingress": dict(priority=10, subject={"kubernetes.io/metadata.name": "default"},
                            acl_logging={"allow": "notice", "pass": "warning"},
                            ingress=[("Allow", {"kubernetes.io/metadata.name": "openshift-dns"},
                                      [("TCP", 80)]),
                                     ("Pass", {"purpose": "production"}, [])],
                            egress=[]),
    "protect-prod": dict(priority=20, subject={"kubernetes.io/metadata.name": "prod"},
                         acl_logging={"deny": "alert"},
                         ingress=[("Deny", {"kubernetes.io/metadata.name": "openshift-dns"},
                                   [("TCP", 8080)])],
                         egress=[]),
    # overrides the NetworkPolicy allow-dns-only of namespace restricted (no logging)
    "restricted-no-dns": dict(priority=30, subject={"kubernetes.io/metadata.name": "restricted"},
                              acl_logging={},
                              ingress=[],
                              egress=[("Deny", {"kubernetes.io/metadata.name": "openshift-dns"},
                                       [("UDP", 5353)])]),
    # hands prod's traffic to openshift-dns down to the tiers below
    "dns-delegate": dict(priority=40, subject={"kubernetes.io/metadata.name": "openshift-dns"},
                         acl_logging={},
                         ingress=[("Pass", {"kubernetes.io/metadata.name": "prod"}, [])],
                         egress=[]),
}
BASELINE_ADMIN_NETWORK_POLICY = dict(
    name="default", subject={"kubernetes.io/metadata.name": "openshift-dns"},
    acl_logging={"deny": "alert"},
    ingress=[("Allow", {"kubernetes.io/metadata.name": "prod"}, [("TCP", 9153)]),
             ("Deny", {}, [])],
    egress=[])
ANP_FLOW_START_PRIORITY, ANP_MAX_RULES, BANP_FLOW_PRIORITY = 30000, 100, 1750

# EgressFirewall "default" in namespace prod: rule 0 denies 8.8.8.8/32
EGRESS_FIREWALLS = {
    "prod": [("Deny", "8.8.8.8/32")],
}

STATE_POLICIES = {
    "base": ["deny-by-default", "allow-dns-only"],
    "allow-prod": ["deny-by-default", "allow-dns-only", "web-allow-prod"],
    # 25.03 only
    "admin-policies": ["deny-by-default", "allow-dns-only", "stateless-api-ingress"],
    "admin-policies-unlogged": ["deny-by-default", "allow-dns-only", "stateless-api-ingress"],
    "observability": ["deny-by-default", "allow-dns-only"],
}
#: states with the AdminNetworkPolicies and the BANP: with their acl-logging
#: annotations (True) or with the annotations removed (False)
STATE_ADMIN_POLICIES = {"admin-policies": True, "admin-policies-unlogged": False}
#: states with ovn-kubernetes observability (ACL sampling) enabled
STATE_SAMPLING = {"observability"}


def pods_in(namespace: str) -> list[Pod]:
    return [p for p in PODS if p.namespace == namespace]


def pod(ref: str) -> Pod:
    """``"ns/name"`` → Pod."""
    ns, name = ref.split("/", 1)
    for p in PODS:
        if p.namespace == ns and p.name == name:
            return p
    raise KeyError(ref)


def node(name: str) -> Node:
    return _node_by_name[name]


def select_pods(namespace: str, selector: dict) -> list[Pod]:
    return [p for p in pods_in(namespace) if all(p.labels.get(k) == v for k, v in selector.items())]


def select_namespaces(selector: dict) -> list[Namespace]:
    return [ns for ns in NAMESPACES if all(ns.labels.get(k) == v for k, v in selector.items())]


def namespace(name: str) -> Namespace:
    for ns in NAMESPACES:
        if ns.name == name:
            return ns
    raise KeyError(name)


# --------------------------------------------------------------------------
# derived names
# --------------------------------------------------------------------------
def ns_address_set_ids(ns: str, family: str) -> dict:
    return {
        "k8s.ovn.org/owner-controller": CONTROLLER,
        "k8s.ovn.org/owner-type": "Namespace",
        "k8s.ovn.org/name": ns,
        "ip-family": family,
        "k8s.ovn.org/id": f"{CONTROLLER}:Namespace:{ns}:{family}",
    }


def ns_address_set_name(ns: str, family: str) -> str:
    return hash_for_ovn(ns_address_set_ids(ns, family)["k8s.ovn.org/id"])


def owner_ids(owner_type: str, *values: str, keys: dict | None = None) -> dict:
    """ovn-kubernetes DbObjectIDs.GetExternalIDs(): owner keys, the object's own
    keys and k8s.ovn.org/id = controller:type:value:value..."""
    ids = {"k8s.ovn.org/owner-controller": CONTROLLER, "k8s.ovn.org/owner-type": owner_type}
    ids.update(keys or {})
    ids["k8s.ovn.org/id"] = ":".join([CONTROLLER, owner_type, *values])
    return ids


def default_deny_pg_ids(ns: str, direction: str) -> dict:
    return owner_ids("NetpolNamespace", ns, direction,
                     keys={"k8s.ovn.org/name": ns, "direction": direction})


def default_deny_pg(ns: str, direction: str) -> str:
    if tiered():
        return hash_for_ovn(default_deny_pg_ids(ns, direction)["k8s.ovn.org/id"])
    suffix = {"Ingress": "ingressDefaultDeny", "Egress": "egressDefaultDeny"}[direction]
    return f"{hash_for_ovn(ns)}_{suffix}"


def policy_pg_ids(ns: str, policy: str) -> dict:
    return owner_ids("NetworkPolicy", f"{ns}:{policy}", keys={"k8s.ovn.org/name": f"{ns}:{policy}"})


def policy_pg(ns: str, policy: str) -> str:
    if tiered():
        return hash_for_ovn(policy_pg_ids(ns, policy)["k8s.ovn.org/id"])
    return hash_for_ovn(f"{ns}_{policy}")


def cluster_pg_ids(base: str) -> dict:
    return owner_ids("Cluster", base, keys={"k8s.ovn.org/name": base})


def cluster_pg(base: str) -> str:
    """clusterPortGroup / clusterRtrPortGroup (hashed names on current ovn-kubernetes)."""
    if tiered():
        return hash_for_ovn(cluster_pg_ids(base)["k8s.ovn.org/id"])
    return base


def admin_kind(banp: bool) -> str:
    return "BaselineAdminNetworkPolicy" if banp else "AdminNetworkPolicy"


def admin_pg_ids(name: str, banp: bool) -> dict:
    return owner_ids(admin_kind(banp), name, keys={"k8s.ovn.org/name": name})


def admin_pg(name: str, banp: bool = False) -> str:
    return hash_for_ovn(admin_pg_ids(name, banp)["k8s.ovn.org/id"])


def admin_address_set_ids(name: str, banp: bool, direction: str, gidx: int, family: str) -> dict:
    return owner_ids(admin_kind(banp), name, direction, str(gidx), family,
                     keys={"k8s.ovn.org/name": name, "direction": direction,
                           "gress-index": str(gidx), "ip-family": family})


def admin_address_set(name: str, banp: bool, direction: str, gidx: int, family: str) -> str:
    return hash_for_ovn(admin_address_set_ids(name, banp, direction, gidx, family)["k8s.ovn.org/id"])


def namespace_pg_ids(ns: str) -> dict:
    return {
        "k8s.ovn.org/owner-controller": CONTROLLER,
        "k8s.ovn.org/owner-type": "Namespace",
        "k8s.ovn.org/name": ns,
        "k8s.ovn.org/id": f"{CONTROLLER}:Namespace:{ns}",
    }


def namespace_pg(ns: str) -> str:
    return hash_for_ovn(namespace_pg_ids(ns)["k8s.ovn.org/id"])


def acl_log(ns: str, action: str) -> dict:
    """log/severity columns from the namespace's acl-logging annotation."""
    return log_columns(namespace(ns).acl_logging, action)


def log_columns(levels: dict, action: str) -> dict:
    """log/severity/meter of an ACL with *action* under acl-logging *levels*
    (ovn-kubernetes getLogSeverity: allow*, drop/reject, pass)."""
    key = ("allow" if action.startswith("allow") else "pass" if action == "pass" else "deny")
    sev = levels.get(key)
    if not sev:
        return {}
    return {"log": "true", "severity": sev, "meter": "acl-logging"}


# --------------------------------------------------------------------------
# the builder
# --------------------------------------------------------------------------
class Batch:
    """Collects ovn-nbctl commands and runs them in one invocation."""

    def __init__(self):
        self.cmds: list[list[str]] = []

    def add(self, *cmd: str) -> "Batch":
        self.cmds.append(list(cmd))
        return self

    def argv(self) -> list[str]:
        out: list[str] = []
        for c in self.cmds:
            out += ["--", *c]
        return out

    def run(self, sb) -> str:
        if not self.cmds:
            return ""
        out = sb.nbctl(*self.argv())
        self.cmds = []
        return out


def _uuid_of(sb, table: str, name: str) -> str:
    out = sb.nbctl("--bare", "--columns=_uuid", "find", table, f"name={_q(name)}").split()
    if len(out) != 1:
        raise LookupError(f"{table} {name!r}: {out}")
    return out[0]


def _acl_cmd(batch: Batch, var: str, *, name: str, direction: str, priority: int, match: str,
             action: str, external_ids: dict, options: dict | None = None, log: dict | None = None,
             tier: int | None = None):
    cols = [f"name={_q(name)}", f"direction={direction}", f"priority={priority}",
            f"match={_q(match)}", f"action={action}"]
    if tiered():
        # ovn-kubernetes' BuildACL: DefaultACLTier unless an (B)ANP says otherwise,
        # and the acl-logging meter on every ACL, logged or not
        cols.append(f"tier={TIER_DEFAULT if tier is None else tier}")
        if not log:
            cols.append('meter="acl-logging"')
    cols += _map("external_ids", external_ids)
    cols += _map("options", options or {})
    for k, v in (log or {}).items():
        cols.append(f"{k}={_q(v) if k != 'log' else v}")
    batch.add(f"--id=@{var}", "create", "ACL", *cols)


def build_infrastructure(sb) -> None:
    """Routers, switches, join/external networks, management ports, LB groups, meters."""
    b = Batch()
    b.add("set", "NB_Global", ".", "name=ovn-kubernetes",
          'options:mac_prefix="0a:58:0a"', "options:max_tunid=16711680",
          'options:northd_probe_interval="10000"', 'options:svc_monitor_mac="0a:58:0a:f4:00:01"')
    b.add("meter-add", "acl-logging", "drop", "20", "pktps")
    # load balancer groups
    for g in ("clusterLBGroup", "clusterSwitchLBGroup", "clusterRouterLBGroup"):
        b.add("create", "Load_Balancer_Group", f"name={g}")
    # distributed router
    b.add("lr-add", "ovn_cluster_router")
    b.add("set", "Logical_Router", "ovn_cluster_router",
          'external_ids:k8s-cluster-router="yes"', 'external_ids:k8s-ovn-topo-version="8"',
          'options:mcast_relay="true"')
    # join switch
    b.add("ls-add", "join")
    b.add("lrp-add", "ovn_cluster_router", "rtoj-ovn_cluster_router", ip_to_mac("100.64.0.1"),
          "100.64.0.1/16", "fd98::1/64")
    b.add("lsp-add", "join", "jtor-ovn_cluster_router")
    b.add("lsp-set-type", "jtor-ovn_cluster_router", "router")
    b.add("lsp-set-addresses", "jtor-ovn_cluster_router", "router")
    b.add("lsp-set-options", "jtor-ovn_cluster_router", "router-port=rtoj-ovn_cluster_router")
    # cluster port groups (management ports / router ports of every node)
    for base in ("clusterPortGroup", "clusterRtrPortGroup"):
        b.add("pg-add", cluster_pg(base))
        if tiered():
            b.add("set", "Port_Group", cluster_pg(base), *_map("external_ids", cluster_pg_ids(base)))
        else:
            b.add("set", "Port_Group", base, f'external_ids:name="{base}"')
    b.run(sb)
    lbg = {g: _uuid_of(sb, "Load_Balancer_Group", g)
           for g in ("clusterLBGroup", "clusterSwitchLBGroup", "clusterRouterLBGroup")}

    for n in NODES:
        b = Batch()
        sw = n.name
        b.add("ls-add", sw)
        b.add("set", "Logical_Switch", sw,
              f'other_config:subnet="{n.subnet4}"', f'other_config:exclude_ips="{n.mgmt4}"',
              f'other_config:ipv6_prefix="fd00:10:244:{n.index}::"',
              'other_config:mcast_snoop="true"', 'other_config:mcast_querier="true"',
              f'other_config:mcast_eth_src="{n.rtos_mac}"', f'other_config:mcast_ip4_src="{n.gw4}"')
        b.add("add", "Logical_Switch", sw, "load_balancer_group",
              lbg["clusterLBGroup"], lbg["clusterSwitchLBGroup"])
        rtos, stor = f"rtos-{sw}", f"stor-{sw}"
        b.add("lrp-add", "ovn_cluster_router", rtos, n.rtos_mac,
              f"{n.gw4}/24", f"{n.gw6}/64")
        b.add("lsp-add", sw, stor)
        b.add("lsp-set-type", stor, "router")
        b.add("lsp-set-addresses", stor, "router")
        b.add("lsp-set-options", stor, f"router-port={rtos}")
        # management port (ovn-k8s-mp0 on the host)
        mgmt = f"k8s-{sw}"
        mgmt_mac = "0a:58:" + ":".join(f"{o:02x}" for o in ipaddress.IPv4Address(n.mgmt4).packed)
        b.add("lsp-add", sw, mgmt)
        b.add("lsp-set-addresses", mgmt, f"{mgmt_mac} {n.mgmt4} {n.mgmt6}")
        b.add("pg-set-ports", cluster_pg("clusterPortGroup"),
              *[f"k8s-{m.name}" for m in NODES if m.index <= n.index])
        # allow traffic from the node's management port (ACLNetpolNode)
        _acl_cmd(b, f"nodeacl{n.index}", name="", direction="to-lport", priority=1001,
                 match=f"ip4.src=={n.mgmt4}", action="allow-related",
                 external_ids={"k8s.ovn.org/owner-controller": CONTROLLER,
                               "k8s.ovn.org/owner-type": "NetpolNode",
                               "k8s.ovn.org/name": sw, "ip": n.mgmt4,
                               "k8s.ovn.org/id": f"{CONTROLLER}:NetpolNode:{sw}:{n.mgmt4}"})
        b.add("add", "Logical_Switch", sw, "acls", f"@nodeacl{n.index}")
        # ovn_cluster_router: reroute traffic to the node IP through the management port
        b.add("lr-policy-add", "ovn_cluster_router", "1004",
              f'inport == "{rtos}" && ip4.dst == {n.node_ip4} /* {sw} */', "reroute", n.mgmt4)
        b.run(sb)
    # pod-to-pod / pod-to-join traffic is never rerouted (egress IP policies)
    b = Batch()
    b.add("lr-policy-add", "ovn_cluster_router", "102",
          f"ip4.src == {CLUSTER_V4} && ip4.dst == {CLUSTER_V4}", "allow")
    b.add("lr-policy-add", "ovn_cluster_router", "102",
          f"ip4.src == {CLUSTER_V4} && ip4.dst == {JOIN_V4}", "allow")
    b.add("lr-policy-add", "ovn_cluster_router", "102",
          f"ip6.src == {CLUSTER_V6} && ip6.dst == {CLUSTER_V6}", "allow")
    b.run(sb)

    for n in NODES:
        if not n.gateway:
            continue
        b = Batch()
        gr = n.gr
        b.add("lr-add", gr)
        b.add("set", "Logical_Router", gr,
              f'options:chassis="{n.chassis}"', 'options:always_learn_from_arp_request="false"',
              'options:dynamic_neigh_routers="true"', 'options:lb_force_snat_ip="router_ip"',
              'options:snat-ct-zone="0"',
              f'external_ids:physical_ip="{n.node_ip4}"',
              f'external_ids:physical_ips="{n.node_ip4},{n.node_ip6}"')
        b.add("add", "Logical_Router", gr, "load_balancer_group",
              lbg["clusterLBGroup"], lbg["clusterRouterLBGroup"])
        # join side
        rtoj, jtor = f"rtoj-{gr}", f"jtor-{gr}"
        b.add("lrp-add", gr, rtoj, ip_to_mac(n.join4), f"{n.join4}/16", f"{n.join6}/64")
        b.add("lsp-add", "join", jtor)
        b.add("lsp-set-type", jtor, "router")
        b.add("lsp-set-addresses", jtor, "router")
        b.add("lsp-set-options", jtor, f"router-port={rtoj}")
        # external side
        rtoe, etor = f"rtoe-{gr}", f"etor-{gr}"
        b.add("lrp-add", gr, rtoe, n.host_mac, f"{n.node_ip4}/16", f"{n.node_ip6}/64")
        b.add("ls-add", n.ext_switch)
        b.add("lsp-add", n.ext_switch, etor)
        b.add("lsp-set-type", etor, "router")
        b.add("lsp-set-addresses", etor, n.host_mac)
        b.add("lsp-set-options", etor, f"router-port={rtoe}", "nat-addresses=router",
              "exclude-lb-vips-from-garp=true")
        b.add("lsp-add", n.ext_switch, n.localnet_port)
        b.add("lsp-set-type", n.localnet_port, "localnet")
        b.add("lsp-set-addresses", n.localnet_port, "unknown")
        b.add("lsp-set-options", n.localnet_port, "network_name=physnet")
        # GR routes: cluster subnet back to ovn_cluster_router, default route out
        b.add("lr-route-add", gr, CLUSTER_V4, "100.64.0.1")
        b.add("lr-route-add", gr, CLUSTER_V6, "fd98::1")
        b.add("lr-route-add", gr, "0.0.0.0/0", "172.18.0.1", rtoe)
        b.add("lr-route-add", gr, "::/0", "fc00:f853:ccd:e793::1", rtoe)
        # SNAT of the cluster subnet to the node IP (shared gateway mode)
        b.add("lr-nat-add", gr, "snat", n.node_ip4, CLUSTER_V4)
        b.add("lr-nat-add", gr, "snat", n.node_ip6, CLUSTER_V6)
        # ovn_cluster_router: the node's pods leave through its GR
        b.add("--policy=src-ip", "lr-route-add", "ovn_cluster_router", n.subnet4, n.join4)
        b.add("--policy=src-ip", "lr-route-add", "ovn_cluster_router", n.subnet6, n.join6)
        b.add("lr-route-add", "ovn_cluster_router", n.join4, n.join4)
        b.add("lr-route-add", "ovn_cluster_router", n.join6, n.join6)
        b.run(sb)
    b = Batch()
    b.add("pg-set-ports", cluster_pg("clusterRtrPortGroup"), *[f"stor-{n.name}" for n in NODES])
    # multicast default deny on every pod (ACLMulticastCluster)
    mcast = ("(ip4.mcast || mldv1 || mldv2 || (ip6.dst[120..127] == 0xff && ip6.dst[116] == 1))"
             if tiered() else "(ip4.mcast || mld || igmp || ip6.mcast)")
    for direction, pipe, lport in (("Egress", "from-lport", "inport"), ("Ingress", "to-lport", "outport")):
        var = f"mcast{direction}"
        _acl_cmd(b, var, name="", direction=pipe, priority=1011,
                 match=mcast, action="drop",
                 options={"apply-after-lb": "true"} if pipe == "from-lport" else None,
                 external_ids={"k8s.ovn.org/owner-controller": CONTROLLER,
                               "k8s.ovn.org/owner-type": "MulticastCluster",
                               "type": "DefaultDeny", "direction": direction,
                               "k8s.ovn.org/id": f"{CONTROLLER}:MulticastCluster:DefaultDeny:{direction}"})
        b.add("add", "Port_Group", cluster_pg("clusterPortGroup"), "acls", f"@{var}")
    if tiered():
        # addHairpinAllowACL: the service hairpin masquerade IPs may reach any pod
        for direction, pipe in (("Ingress", "to-lport"), ("Egress", "from-lport")):
            var = f"hairpin{direction}"
            _acl_cmd(b, var, name="", direction=pipe, priority=1001,
                     match="(ip4.src == 169.254.169.5 || ip6.src == fd69::5)",
                     action="allow-related",
                     options={"apply-after-lb": "true"} if pipe == "from-lport" else None,
                     external_ids=owner_ids("NetpolDefault", "allow-hairpinning", direction,
                                            keys={"k8s.ovn.org/name": "allow-hairpinning",
                                                  "direction": direction}))
            b.add("add", "Port_Group", cluster_pg("clusterPortGroup"), "acls", f"@{var}")
    b.run(sb)


def build_pods(sb) -> None:
    """Pods as logical switch ports; namespace address sets and port groups."""
    b = Batch()
    for p in PODS:
        addr = f"{p.mac} {p.ip4} {p.ip6}"
        b.add("lsp-add", p.node, p.lsp)
        b.add("lsp-set-addresses", p.lsp, addr)
        b.add("lsp-set-port-security", p.lsp, addr)
        b.add("set", "Logical_Switch_Port", p.lsp,
              f'external_ids:namespace="{p.namespace}"', 'external_ids:pod="true"',
              f'options:requested-chassis="{p.node}"', f'options:iface-id-ver="{p.uid}"')
    for ns in NAMESPACES:
        for fam, ips in (("v4", [p.ip4 for p in pods_in(ns.name)]),
                         ("v6", [p.ip6 for p in pods_in(ns.name)])):
            b.add("create", "Address_Set", f"name={ns_address_set_name(ns.name, fam)}",
                  f"addresses={_set(ips)}", *_map("external_ids", ns_address_set_ids(ns.name, fam)))
    b.run(sb)


def build_services(sb) -> None:
    b = Batch()
    group = _uuid_of(sb, "Load_Balancer_Group", "clusterLBGroup")
    for i, svc in enumerate(SERVICES):
        backends4, backends6 = [], []
        for ep in svc.endpoints:
            p = pod(ep if "/" in ep else f"{svc.namespace}/{ep}")
            backends4.append(f"{p.ip4}:{svc.target_port}")
            backends6.append(f"[{p.ip6}]:{svc.target_port}")
        vips = {f"{svc.vip4}:{svc.port}": ",".join(backends4),
                f"[{svc.vip6}]:{svc.port}": ",".join(backends6)}
        b.add(f"--id=@lb{i}", "create", "Load_Balancer", f"name={_q(svc.lb_name)}",
              f"protocol={svc.protocol.lower()}", *_map("vips", vips),
              *_map("external_ids", {"k8s.ovn.org/kind": "Service",
                                     "k8s.ovn.org/owner": f"{svc.namespace}/{svc.name}"}),
              *_map("options", {"event": "false", "reject": "true", "skip_snat": "false",
                                "neighbor_responder": "none", "hairpin_snat_ip": HAIRPIN_SNAT}))
        b.add("add", "Load_Balancer_Group", group, "load_balancer", f"@lb{i}")
    b.run(sb)


def _ensure_default_deny(b: Batch, ns: str, created: set) -> None:
    if ns in created:
        return
    created.add(ns)
    for direction, pipe, lport in (("Ingress", "to-lport", "outport"), ("Egress", "from-lport", "inport")):
        pg = default_deny_pg(ns, direction)
        opts = {"apply-after-lb": "true"} if pipe == "from-lport" else None
        ids = lambda t: {"k8s.ovn.org/owner-controller": CONTROLLER,
                         "k8s.ovn.org/owner-type": "NetpolNamespace",
                         "k8s.ovn.org/name": ns, "direction": direction, "type": t,
                         "k8s.ovn.org/id": f"{CONTROLLER}:NetpolNamespace:{ns}:{direction}:{t}"}
        dvar, avar = f"deny{direction}{len(created)}", f"arp{direction}{len(created)}"
        _acl_cmd(b, dvar, name=f"NP:{ns}:{direction}", direction=pipe, priority=1000,
                 match=f"{lport} == @{pg}", action="drop", external_ids=ids("defaultDeny"),
                 options=opts, log=acl_log(ns, "drop"))
        _acl_cmd(b, avar, name=f"NP:{ns}:{direction}", direction=pipe, priority=1001,
                 match=f"{lport} == @{pg} && (arp || nd)", action="allow",
                 external_ids=ids("arpAllow"), options=opts)
        b.add("pg-add", pg)
        if tiered():
            b.add("set", "Port_Group", pg, *_map("external_ids", default_deny_pg_ids(ns, direction)))
        else:
            b.add("set", "Port_Group", pg,
                  f"external_ids:name={_q(f'{ns}_{pg.split(chr(95), 1)[1]}')}")
        b.add("add", "Port_Group", pg, "acls", f"@{dvar}", f"@{avar}")


def build_network_policies(sb, names, existing=()) -> None:
    """NetworkPolicies *names*; *existing* policies were built before (their
    namespaces' default-deny port groups exist already)."""
    b = Batch()
    made: set = {NETWORK_POLICIES[p]["namespace"] for p in existing}
    for pname in names:
        _ensure_default_deny(b, NETWORK_POLICIES[pname]["namespace"], made)
    # a pod selected by any policy of a type is in that type's default-deny group
    deny_ports: dict = {}
    for pname in [*existing, *names]:
        np = NETWORK_POLICIES[pname]
        selected = select_pods(np["namespace"], np["pod_selector"])
        for direction in np["policy_types"]:
            deny_ports.setdefault(default_deny_pg(np["namespace"], direction), set()).update(
                p.lsp for p in selected)
    for pname in names:
        np = NETWORK_POLICIES[pname]
        ns = np["namespace"]
        pg = policy_pg(ns, pname)
        b.add("pg-add", pg, *[p.lsp for p in select_pods(ns, np["pod_selector"])])
        if tiered():
            b.add("set", "Port_Group", pg, *_map("external_ids", policy_pg_ids(ns, pname)))
        else:
            b.add("set", "Port_Group", pg, f"external_ids:name={_q(f'{ns}_{pname}')}")
        action = "allow-stateless" if pname in STATELESS_POLICIES else "allow-related"
        for direction in ("Ingress", "Egress"):
            for gidx, rule in enumerate(np["ingress" if direction == "Ingress" else "egress"]):
                for acl in _policy_acls(ns, pname, pg, direction, gidx, rule):
                    _acl_cmd(b, acl["var"], name=acl["name"], direction=acl["direction"],
                             priority=1001, match=acl["match"], action=action,
                             external_ids=acl["ids"], options=acl["options"],
                             log=acl_log(ns, action))
                    b.add("add", "Port_Group", pg, "acls", f"@{acl['var']}")
    for pg, ports in deny_ports.items():
        b.add("pg-set-ports", pg, *sorted(ports))
    b.run(sb)


def _policy_acls(ns, pname, pg, direction, gidx, rule) -> list[dict]:
    """The allow ACLs of one ingress/egress rule (namespaceSelector peers only)."""
    pipe, lport, l3dir = (("to-lport", "outport", "src") if direction == "Ingress"
                          else ("from-lport", "inport", "dst"))
    peers = select_namespaces(rule["namespace_selector"])
    v4 = ", ".join(f"${ns_address_set_name(p.name, 'v4')}" for p in peers)
    v6 = ", ".join(f"${ns_address_set_name(p.name, 'v6')}" for p in peers)
    l3 = f"(ip4.{l3dir} == {{{v4}}} || ip6.{l3dir} == {{{v6}}})"
    out = []
    for pidx, pp in enumerate(rule["ports"] or [None]):
        if pp is None:
            match, pidx = f"{l3} && {lport} == @{pg}", -1
        else:
            proto = pp[0].lower()
            match = f"{l3} && {proto} && {proto}.dst=={pp[1]} && {lport} == @{pg}"
        if tiered():
            # ACLNetworkPolicy: the ACLs of a rule are keyed by protocol now
            proto = "None" if pp is None else pp[0].lower()
            ids = owner_ids("NetworkPolicy", f"{ns}:{pname}", direction, str(gidx), proto, "-1",
                            keys={"k8s.ovn.org/name": f"{ns}:{pname}", "direction": direction,
                                  "gress-index": str(gidx), "port-policy-protocol": proto,
                                  "ip-block-index": "-1"})
        else:
            ids = {"k8s.ovn.org/owner-controller": CONTROLLER,
                   "k8s.ovn.org/owner-type": "NetworkPolicy",
                   "k8s.ovn.org/name": f"{ns}:{pname}", "direction": direction,
                   "gress-index": str(gidx), "port-policy-index": str(pidx),
                   "ip-block-index": "-1",
                   "k8s.ovn.org/id": f"{CONTROLLER}:NetworkPolicy:{ns}:{pname}:{direction}:{gidx}:{pidx}:-1"}
        out.append({"var": f"np_{pname.replace('-', '_')}_{direction}_{gidx}_{pidx + 1}",
                    "name": f"NP:{ns}:{pname}:{direction}:{gidx}", "direction": pipe,
                    "match": match, "ids": ids,
                    "options": {"apply-after-lb": "true"} if pipe == "from-lport" else None})
    return out


def build_egress_firewalls(sb) -> None:
    b = Batch()
    for ns, rules in EGRESS_FIREWALLS.items():
        pg = namespace_pg(ns)
        b.add("pg-add", pg, *[p.lsp for p in pods_in(ns)])
        b.add("set", "Port_Group", pg, *_map("external_ids", namespace_pg_ids(ns)))
        for idx, (access, cidr) in enumerate(rules):
            fam = "ip6" if ":" in cidr else "ip4"
            match = f"({fam}.dst == {cidr}) && inport == @{pg}"
            action = "allow" if access == "Allow" else "drop"
            var = f"ef{idx}"
            _acl_cmd(b, var, name=f"EF:{ns}:{idx}", direction="to-lport", priority=10000 - idx,
                     match=match, action=action,
                     external_ids={"k8s.ovn.org/owner-controller": CONTROLLER,
                                   "k8s.ovn.org/owner-type": "EgressFirewall",
                                   "k8s.ovn.org/name": ns, "rule-index": str(idx),
                                   "k8s.ovn.org/id": f"{CONTROLLER}:EgressFirewall:{ns}:{idx}"},
                     log=acl_log(ns, action))
            b.add("add", "Port_Group", pg, "acls", f"@{var}")
    b.run(sb)


def select_pods_in_namespaces(selector: dict) -> list[Pod]:
    names = {ns.name for ns in select_namespaces(selector)}
    return [p for p in PODS if p.namespace in names]


_ADMIN_ACTIONS = {"Allow": "allow-related", "Deny": "drop", "Pass": "pass"}


def admin_policies() -> list[tuple[str, dict, bool]]:
    """(name, spec, is_banp) of every AdminNetworkPolicy and the BANP."""
    return [*((n, p, False) for n, p in ADMIN_NETWORK_POLICIES.items()),
            (BASELINE_ADMIN_NETWORK_POLICY["name"], BASELINE_ADMIN_NETWORK_POLICY, True)]


def admin_acls(name: str, pol: dict, banp: bool, logged: bool = True) -> list[dict]:
    """The ACLs ovn-kubernetes writes for one (B)ANP (convertANPRuleToACL)."""
    kind = admin_kind(banp)
    prefix = "BANP" if banp else "ANP"
    top = BANP_FLOW_PRIORITY if banp else ANP_FLOW_START_PRIORITY - pol["priority"] * ANP_MAX_RULES
    pg = admin_pg(name, banp)
    out = []
    for direction in ("Ingress", "Egress"):
        lport, l3dir = (("outport", "src") if direction == "Ingress" else ("inport", "dst"))
        for gidx, (verb, peers, ports) in enumerate(pol[direction.lower()]):
            action = _ADMIN_ACTIONS[verb]
            as4 = admin_address_set(name, banp, direction, gidx, "v4")
            as6 = admin_address_set(name, banp, direction, gidx, "v6")
            l3 = f"((ip4.{l3dir} == ${as4} || ip6.{l3dir} == ${as6}))"
            by_proto: dict = {}
            for proto, port in ports:
                by_proto.setdefault(proto.lower(), []).append(str(port))
            for proto, plist in (by_proto or {"None": None}).items():
                match = f"{lport} == @{pg} && {l3}"
                if plist:
                    dst = f"{proto}.dst=={plist[0]}" if len(plist) == 1 else \
                        f"{proto}.dst=={{{','.join(plist)}}}"
                    match += f" && {proto} && {dst}"
                out.append({
                    "var": f"{prefix.lower()}_{name.replace('-', '_')}_{direction}_{gidx}_{proto}",
                    "name": f"{prefix}:{name}:{direction}:{gidx}",
                    "direction": "to-lport" if direction == "Ingress" else "from-lport",
                    "priority": top - gidx, "match": match, "action": action,
                    "tier": TIER_BANP if banp else TIER_ANP,
                    "options": {"apply-after-lb": "true"} if direction == "Egress" else None,
                    "log": log_columns(pol["acl_logging"] if logged else {}, action),
                    "ids": owner_ids(kind, name, direction, str(gidx), proto,
                                     keys={"k8s.ovn.org/name": name, "direction": direction,
                                           "gress-index": str(gidx),
                                           "port-policy-protocol": proto}),
                    "peers": [p.lsp for p in select_pods_in_namespaces(peers)],
                })
    return out


def build_admin_policies(sb, logged: bool = True) -> None:
    """AdminNetworkPolicies (tier 1) and the BaselineAdminNetworkPolicy (tier 3)."""
    b = Batch()
    for name, pol, banp in admin_policies():
        pg = admin_pg(name, banp)
        subject = select_pods_in_namespaces(pol["subject"])
        b.add("pg-add", pg, *[p.lsp for p in subject])
        b.add("set", "Port_Group", pg, *_map("external_ids", admin_pg_ids(name, banp)))
        for direction in ("Ingress", "Egress"):
            for gidx, (_verb, peers, _ports) in enumerate(pol[direction.lower()]):
                pods = select_pods_in_namespaces(peers)
                for fam, ips in (("v4", [p.ip4 for p in pods]), ("v6", [p.ip6 for p in pods])):
                    b.add("create", "Address_Set",
                          f"name={admin_address_set(name, banp, direction, gidx, fam)}",
                          f"addresses={_set(ips)}",
                          *_map("external_ids",
                                admin_address_set_ids(name, banp, direction, gidx, fam)))
        for acl in admin_acls(name, pol, banp, logged):
            _acl_cmd(b, acl["var"], name=acl["name"], direction=acl["direction"],
                     priority=acl["priority"], match=acl["match"], action=acl["action"],
                     external_ids=acl["ids"], options=acl["options"], log=acl["log"],
                     tier=acl["tier"])
            b.add("add", "Port_Group", pg, "acls", f"@{acl['var']}")
    b.run(sb)


def set_admin_policy_logging(sb, logged: bool) -> None:
    """What ovn-kubernetes does when the (B)ANPs' acl-logging annotations change
    (UpdateACLLogging: log and severity; the meter stays)."""
    b = Batch()
    for name, pol, banp in admin_policies():
        for acl in admin_acls(name, pol, banp, logged):
            acl_uuid = sb.nbctl("--bare", "--columns=_uuid", "find", "ACL",
                                f'external_ids:"k8s.ovn.org/id"={_q(acl["ids"]["k8s.ovn.org/id"])}'
                                ).strip()
            log = acl["log"]
            b.add("set", "ACL", acl_uuid, f"log={'true' if log else 'false'}",
                  f"severity={_q(log['severity']) if log else '[]'}")
    b.run(sb)


def remove_admin_policies(sb) -> None:
    """Delete the (B)ANPs' port groups (their ACLs go with them) and address sets."""
    b = Batch()
    for name, pol, banp in admin_policies():
        b.add("pg-del", admin_pg(name, banp))
        for direction in ("Ingress", "Egress"):
            for gidx in range(len(pol[direction.lower()])):
                for fam in ("v4", "v6"):
                    b.add("destroy", "Address_Set",
                          admin_address_set(name, banp, direction, gidx, fam))
    b.run(sb)


# ovn-kubernetes observability (pkg/observability, pkg/libovsdb/ops/sample.go)
SAMPLING_APPS = {"drop": 1, "acl-new": 2, "acl-est": 3}
SAMPLE_COLLECTOR_SET_ID = 42
SAMPLE_FEATURES = {"AdminNetworkPolicy": "AdminNetworkPolicy",
                   "BaselineAdminNetworkPolicy": "AdminNetworkPolicy",
                   "MulticastNS": "Multicast", "MulticastCluster": "Multicast",
                   "NetpolNode": "NetworkPolicy", "NetworkPolicy": "NetworkPolicy",
                   "NetpolNamespace": "NetworkPolicy", "EgressFirewall": "EgressFirewall",
                   "UDNIsolation": "UDNIsolation"}


def acl_sample_id(acl: dict) -> int:
    """GetACLSampleID: FNV-1a 32 of the ACL's k8s.ovn.org/id + match + action."""
    return fnv1a32(acl["external_ids"].get("k8s.ovn.org/id", "") + acl["match"] + acl["action"])


def enable_sampling(sb) -> None:
    """Observability on: the sampling apps, one collector for every feature at
    100 % and one Sample (sample_new = sample_est) per ACL of those features."""
    b = Batch()
    for app, ident in SAMPLING_APPS.items():
        b.add("create", "Sampling_App", f"type={app}", f"id={ident}")
    features = sorted(set(SAMPLE_FEATURES.values()))
    b.add("--id=@coll", "create", "Sample_Collector", "id=1", f"set_id={SAMPLE_COLLECTOR_SET_ID}",
          "probability=65535", f'external_ids:sample-features="{",".join(features)}"')
    acls = json.loads(sb.nbctl("--format=json", "--columns=_uuid,external_ids,match,action",
                               "list", "ACL"))["data"]
    for i, (row_uuid, ids, match, action) in enumerate(acls):
        ids = dict(ids[1])
        if ids.get("k8s.ovn.org/owner-type") not in SAMPLE_FEATURES:
            continue
        meta = acl_sample_id({"external_ids": ids, "match": match, "action": action})
        b.add(f"--id=@s{i}", "create", "Sample", "collectors=@coll", f"metadata={meta}")
        b.add("set", "ACL", row_uuid[1], f"sample_new=@s{i}", f"sample_est=@s{i}")
    b.run(sb)
    # ovn-controller writes sample() into OpenFlow only for a collector set
    # configured on br-int: the one ovnkube-observ creates (local sampling to
    # psample group 123, which the dummy datapath cannot do)
    sb.vsctl("--", "--id=@br", "get", "Bridge", "br-int",
             "--", "create", "Flow_Sample_Collector_Set", f"id={SAMPLE_COLLECTOR_SET_ID}",
             "bridge=@br", "local_group_id=123", 'external_ids:owner="ovnk-debug"')


UPSTREAM_ROUTER = ("172.18.0.1", "02:42:d4:4e:5a:01")


def setup_underlay(sb) -> None:
    """breth0 carries the node IP (the underlay for geneve) and is the
    ``physnet`` bridge of the localnet port, as in ovn-kubernetes' shared
    gateway mode; eth0 is its physical port."""
    local = [n for n in NODES if n.local][0]
    neighbors = {n.node_ip4: n.host_mac for n in NODES if not n.local}
    neighbors[UPSTREAM_ROUTER[0]] = UPSTREAM_ROUTER[1]
    sb.add_underlay("breth0", f"{local.node_ip4}/16", neighbors=neighbors, ports=["eth0"])
    sb.vsctl("set", "Open_vSwitch", ".", 'external_ids:ovn-bridge-mappings="physnet:breth0"')


def setup_fake_chassis(sb) -> None:
    """The sandbox's own chassis is node ovn-worker; the other nodes are fake chassis."""
    for n in NODES:
        if not n.local:
            sb.add_fake_chassis(n.chassis, n.encap_ip, hostname=n.name)


def add_breth0_fdb(sb) -> None:
    """Static MAC entries on breth0 (what NORMAL would have learnt), so that
    its NORMAL action outputs to one port instead of flooding."""
    local = [n for n in NODES if n.local][0]
    patch = f"patch-{local.localnet_port}-to-br-int"
    sb.ofport(patch)
    sb.appctl("ovs-vswitchd", "fdb/add", "breth0", "eth0", "0", UPSTREAM_ROUTER[1])
    sb.appctl("ovs-vswitchd", "fdb/add", "breth0", patch, "0", local.host_mac)


def bind_local_pods(sb) -> dict:
    """Real (dummy) OVS interfaces on br-int for the pods of the local node → {lsp: ofport}."""
    ofports = {}
    for p in PODS:
        if not node(p.node).local:
            continue
        ofports[p.lsp] = sb.add_vif(p.iface, p.lsp, ofport=p.ofport, mac=p.mac,
                                    external_ids={"iface-id-ver": p.uid,
                                                  "sandbox": p.uid[:12]})
    mgmt = [n for n in NODES if n.local][0]
    ofports[f"k8s-{mgmt.name}"] = sb.add_vif("ovn-k8s-mp0", f"k8s-{mgmt.name}", ofport=10)
    return ofports


def bind_remote_ports(sb) -> None:
    """Port_Binding.chassis of the fake nodes' pods and management ports."""
    for p in PODS:
        n = node(p.node)
        if not n.local:
            sb.sbctl("lsp-bind", p.lsp, n.chassis)
    for n in NODES:
        if not n.local:
            sb.sbctl("lsp-bind", f"k8s-{n.name}", n.chassis)


def build(sb, state: str = "base") -> dict:
    """Create the whole topology for *state*; returns {lsp: ofport} of local ports.

    The local VIFs are plugged first so that they get the OpenFlow port
    numbers they ask for (tunnel and patch ports come later).
    """
    setup_underlay(sb)
    ofports = bind_local_pods(sb)
    build_infrastructure(sb)
    build_pods(sb)
    build_services(sb)
    build_network_policies(sb, STATE_POLICIES[state])
    build_egress_firewalls(sb)
    if state in STATE_ADMIN_POLICIES:
        build_admin_policies(sb, STATE_ADMIN_POLICIES[state])
    if state in STATE_SAMPLING:
        enable_sampling(sb)
    setup_fake_chassis(sb)
    sb.wait_northd()
    bind_remote_ports(sb)
    add_mac_bindings(sb)
    sb.wait_controller()
    add_breth0_fdb(sb)
    for lsp, port in ofports.items():
        assert sb.ofport(port_iface(lsp)) == port, (lsp, port)
    return ofports


def port_iface(lsp: str) -> str:
    for p in PODS:
        if p.lsp == lsp:
            return p.iface
    return "ovn-k8s-mp0"


def apply_state(sb, state: str, previous: str = "base") -> None:
    """Move a topology built for *previous* to *state*: adds the policies it
    lacks (and, for the 25.03 states, removes those it has too many of, turns
    the (B)ANPs' logging on or off, enables sampling)."""
    have = STATE_POLICIES[previous]
    gone = [p for p in have if p not in STATE_POLICIES[state]]
    if gone:
        remove_network_policies(sb, gone, keep=[p for p in have if p not in gone])
        have = [p for p in have if p not in gone]
    todo = [p for p in STATE_POLICIES[state] if p not in have]
    if todo:
        build_network_policies(sb, todo, existing=have)
    admin_before, admin_after = (STATE_ADMIN_POLICIES.get(previous),
                                 STATE_ADMIN_POLICIES.get(state))
    if admin_before is None and admin_after is not None:
        build_admin_policies(sb, admin_after)
    elif admin_before is not None and admin_after is None:
        remove_admin_policies(sb)
    elif admin_before != admin_after:
        set_admin_policy_logging(sb, admin_after)
    if previous in STATE_SAMPLING and state not in STATE_SAMPLING:
        raise ValueError(f"state {state} after {previous}: sampling is never turned off")
    if state in STATE_SAMPLING and previous not in STATE_SAMPLING:
        enable_sampling(sb)
    sb.wait_northd()
    sb.wait_controller()


def remove_network_policies(sb, names, keep) -> None:
    """Delete NetworkPolicies *names* (their port groups, and with them their
    ACLs); the default-deny groups keep the pods the policies *keep* select."""
    b = Batch()
    for pname in names:
        b.add("pg-del", policy_pg(NETWORK_POLICIES[pname]["namespace"], pname))
    deny_ports: dict = {}
    for pname in [*names, *keep]:
        np = NETWORK_POLICIES[pname]
        for direction in np["policy_types"]:
            deny_ports.setdefault(default_deny_pg(np["namespace"], direction), set())
    for pname in keep:
        np = NETWORK_POLICIES[pname]
        for direction in np["policy_types"]:
            deny_ports[default_deny_pg(np["namespace"], direction)].update(
                p.lsp for p in select_pods(np["namespace"], np["pod_selector"]))
    for pg, ports in deny_ports.items():
        if ports:
            b.add("pg-set-ports", pg, *sorted(ports))
        else:
            # the namespace's last policy of that type is gone: ovn-kubernetes
            # deletes its default-deny port group (and ACLs)
            b.add("pg-del", pg)
    b.run(sb)


def add_mac_bindings(sb) -> None:
    """What the gateway routers would have learnt about the upstream router 172.18.0.1.

    Only IPv4: the IPv6 next hop stays unresolved on purpose (see the
    north-south-ipv6-nd-resolve scenario).
    """
    for n in NODES:
        if not n.gateway:
            continue
        dp = sb.sbctl("--bare", "--columns=_uuid", "find", "Datapath_Binding",
                      f"external_ids:name={_q(n.gr)}").strip()
        sb.sbctl("create", "MAC_Binding", f"logical_port={_q('rtoe-' + n.gr)}",
                 f'ip="{UPSTREAM_ROUTER[0]}"', f'mac="{UPSTREAM_ROUTER[1]}"', f"datapath={dp}")
