"""The README's `explain --json` section documents every key the code emits.

Every sample (and every ovnkube-trace fixture) is explained, with and without
the databases it was recorded against and an OpenFlow dump, and every key of
every object in the JSON is looked for among the README's quoted keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ovnparse import api
from ovnparse.db.databases import open_databases

from conftest import ROOT, SAMPLES

# values that are data, not keys of the contract
_DATA = {"external_ids"}


def _readme_keys() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("### `explain --json`", 1)[1].split("```", 2)[1]
    return set(re.findall(r'"([a-z_]+)"', section))


def _keys(obj, out: set[str]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            if k not in _DATA:
                _keys(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _keys(v, out)


def test_every_emitted_key_is_documented(tmp_path):
    manifest = json.loads((SAMPLES / "manifest.json").read_text())
    flows = tmp_path / "flows.txt"
    flows.write_text(" cookie=0x0, duration=1s, table=0, n_packets=0, n_bytes=0, "
                     "priority=0 actions=drop\n")
    emitted: set[str] = set()
    databases = {}
    for s in manifest["scenarios"]:
        state = s["db_state"]
        if state not in databases:
            d = SAMPLES / "db" / state
            databases[state] = open_databases(d / "nb.db", d / "sb.db", dump_flows=flows)
        for c in s["commands"]:
            for trace in api.parse(SAMPLES / c["file"]):
                _keys(trace.explain().to_dict(), emitted)
                _keys(trace.explain(databases[state]).to_dict(), emitted)
    for path in sorted((ROOT / "tests" / "fixtures" / "ovnkube").glob("*.txt")):
        for trace in api.parse(path):
            _keys(trace.explain().to_dict(), emitted)
    documented = _readme_keys()
    assert {"acl", "owner", "checks", "warnings", "lflow_match", "tier"} <= emitted
    assert emitted - documented == set()


def test_the_documented_keys_are_read_from_the_readme():
    keys = _readme_keys()
    assert {"format", "verdict", "drop", "reason_code", "owner", "legacy", "expected"} <= keys
    assert len(keys) > 40 and Path(ROOT / "README.md").exists()


def _parse_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("### `parse` JSON", 1)[1].split("\n## ", 1)[0]


def _node_keys(node: dict, out: dict[str, set[str]]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        out.setdefault(n["kind"], set()).update(n)
        stack.extend(n.get("children") or ())
        stack.extend(a for a in n.get("annotations") or () if isinstance(a, dict))


def test_every_node_kind_and_key_of_parse_is_documented():
    """`ovnparse parse` over every sample and ovnkube fixture: each node kind
    is a row of the README's table and each of its keys is named there (or is
    one every node has)."""
    section = _parse_section()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_-]+)`.*$", section, re.M)}
    kinds: dict[str, set[str]] = {}
    paths = sorted(p for p in SAMPLES.glob("**/*.txt") if "db" not in p.parts) + sorted(
        (ROOT / "tests" / "fixtures" / "ovnkube").glob("*.txt"))
    for path in paths:
        for trace in api.parse(path):
            model = trace.to_dict()
            assert set(model) <= set(re.findall(r'"([a-z_]+)"', section)), path
            for root in model["roots"]:
                _node_keys(root, kinds)
    assert {"pipeline", "stage", "openflow_pass", "openflow_table", "ovnkube-check"} <= set(kinds)
    common = {"kind", "text", "line", "children", "annotations"}
    for kind, keys in kinds.items():
        row = next((r for k, r in rows.items() if f"`{kind}`" in r), None)
        assert row is not None, f"node kind {kind} is not in the README's table"
        missing = {k for k in keys - common if f"`{k}`" not in row and f"`{k}_" not in row}
        missing -= {k for k in keys if k.endswith("_line") and f"`{k[:-5]}`" in row}
        assert not missing, (kind, missing)
