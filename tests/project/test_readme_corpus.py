"""The README's corpus table says what the parsers really do."""

from __future__ import annotations

import re

from ovnparse import api

from conftest import CORPUS, ROOT, corpus_entries


def _readme_table() -> dict[str, tuple[int, int, int]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Corpus", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\S+) \| (\d+) \| (\d+) \| (\d+) \|$", section, re.M)
    return {tool: (int(a), int(b), int(c)) for tool, a, b, c in rows}


def test_readme_corpus_counts(corpus_dir):
    table = _readme_table()
    assert set(table) == {"ovn-trace", "ofproto/trace", "ovn-detrace", "ovnkube-trace"}
    for tool, (total, unfiltered, clean) in table.items():
        entries = corpus_entries(tool)
        counted_clean = 0
        for e in entries:
            if e["filtered"]:
                continue
            form = "ovn-trace/" + e["format"].split()[0] if tool == "ovn-trace" else None
            traces = list(api.parse(CORPUS / e["file"], form))
            counted_clean += not any(t.problems for t in traces)
        assert (len(entries), sum(not e["filtered"] for e in entries), counted_clean) \
            == (total, unfiltered, clean), tool
