"""The bundled samples as the notebook-facing tests read them: each release's
manifest, a scenario's traces, its databases, and where a drop is reported."""

from __future__ import annotations

import ovnparse

from conftest import sample_manifests

MANIFESTS = sample_manifests()
RELEASES = [r for r in ("23.03", "25.03") if r in MANIFESTS]
SEED = "acl-ingress-default-deny"


def scenario(release: str, name: str) -> dict:
    return next(s for s in MANIFESTS[release][1]["scenarios"] if s["name"] == name)


def drop_point(drop: dict) -> dict:
    """Where the manifest's drop is reported: an ACL tier's _eval flow, else the drop."""
    return drop.get("acl_flow") or drop


def sample(release: str, name: str, file: str, **kw) -> list:
    return ovnparse.read(MANIFESTS[release][0] / name / file, **kw)


def databases(release: str, state: str):
    d = MANIFESTS[release][0] / "db" / state
    return ovnparse.open_databases(nb=d / "nb.db", sb=d / "sb.db")
