"""Paths of the real samples the batch tests copy into trees (never edited)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
#: three samples (one trace each: read in the files)
DENY = "acl-ingress-default-deny/ovn-trace.detailed.txt"
OFPROTO = "acl-ingress-default-deny/ofproto-trace.ct-new.txt"
SAME_NODE = "pod-to-pod-same-node/ovn-trace.detailed.txt"


@pytest.fixture(name="tree")
def tree_fixture(tmp_path: Path) -> Path:
    """A folder of saved traces: two in a sub-folder, a YAML file that is no trace."""
    top = tmp_path / "incident"
    (top / "b-node").mkdir(parents=True)
    (top / "a-node").mkdir()
    shutil.copy(SAMPLES / DENY, top / "b-node" / "deny.txt")
    shutil.copy(SAMPLES / SAME_NODE, top / "a-node" / "same.txt")
    shutil.copy(SAMPLES / OFPROTO, top / "a-node" / "ofproto.txt")
    (top / "a-node" / "pods.yaml").write_text("apiVersion: v1\nkind: Pod\n")
    return top
