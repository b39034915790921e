"""The command line: parse, explain, --json, --expect, stdin."""

from __future__ import annotations

import json
import subprocess
import sys

from ovnparse.cli import main

DELIVERED = "docs/ovn-org_ovn/ovn-openstack.rst-L1622.detailed.txt"
KEYS = {"format", "microflow", "lines", "verdict", "outputs", "datapaths",
        "transforms", "drop", "warnings", "recirculations", "checks", "command",
        "source", "packet", "error"}  # (0.3: source, packet, error: README "Changes")


def test_explain_json_keeps_its_keys(corpus_dir, capsys):
    assert main(["explain", "--json", str(corpus_dir / DELIVERED)]) == 0
    [obj] = json.loads(capsys.readouterr().out)
    assert set(obj) == KEYS
    assert obj["verdict"] == "delivered"
    assert obj["datapaths"] == ["n1", "r", "n2"]
    assert obj["outputs"] == ["cp"]


def test_expect_sets_the_exit_status(corpus_dir, capsys):
    path = str(corpus_dir / DELIVERED)
    assert main(["explain", "--expect", "delivered", path]) == 0
    assert main(["explain", "--expect", "dropped", path]) == 1


def test_parse_prints_a_json_array_of_traces(corpus_dir, capsys):
    assert main(["parse", str(corpus_dir / DELIVERED)]) == 0
    [trace] = json.loads(capsys.readouterr().out)
    assert trace["format"] == "ovn-trace/detailed"
    assert trace["roots"][0]["kind"] == "pipeline"
    assert trace["roots"][0]["datapath"] == "n1"


def test_console_script_reads_stdin(corpus_dir):
    text = (corpus_dir / DELIVERED).read_text()
    done = subprocess.run([sys.executable, "-m", "ovnparse.cli", "explain", "-"],
                          input=text, capture_output=True, text=True, check=True)
    assert "DELIVERED to cp" in done.stdout
    assert "n1 -> r -> n2" in done.stdout
