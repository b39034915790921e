"""Kubernetes names in, OVN microflows out (ovnparse trace --src ...).

cluster.py  pods, nodes and Services as ovn-kubernetes writes them in the Northbound
plan.py     the ovn-trace runs ovnkube-trace makes of them, with its MACs, ports and
            directions
"""

from .cluster import Cluster, Endpoint, ResolveError, Service
from .plan import Leg, Plan, Request, plan

__all__ = ["Cluster", "Endpoint", "Leg", "Plan", "Request", "ResolveError", "Service", "plan"]
