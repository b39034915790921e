"""--jobs, --dask (a LocalCluster), Parquet datasets read back by DuckDB and pandas, the
progress bar's silence when piped, frame(stages=True) and Trace sources."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys

import pytest
from batch_trees import DENY, OFPROTO, ROOT, SAME_NODE, SAMPLES

import ovnparse
from ovnparse.cli import main


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    top = tmp_path_factory.mktemp("many")
    for n in range(12):
        for path in (DENY, OFPROTO, SAME_NODE):
            shutil.copy(SAMPLES / path, top / f"{n:02d}-{path.replace('/', '-')}")
    return top


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c, distributed.Client(c) as client:
        yield c, client


def test_dataset_byte_identical_for_jobs_and_dask(many, tmp_path, cluster):
    pytest.importorskip("pyarrow")
    c, _ = cluster
    outs = {}
    for name, extra in (("one", ["--jobs", "1"]), ("two", ["--jobs", "2"]),
                        ("dask", ["--dask", c.scheduler_address])):
        out = tmp_path / name
        assert main(["explain", "--quiet", "--output", "parquet", "-o", str(out),
                     "--nb", str(SAMPLES / "db/base/nb.db"),
                     "--sb", str(SAMPLES / "db/base/sb.db"), *extra, str(many)]) == 0
        outs[name] = out
    names = sorted(p.name for p in outs["one"].iterdir())
    for other in ("two", "dask"):
        match, mismatch, errors = filecmp.cmpfiles(outs["one"], outs[other], names,
                                                   shallow=False)
        assert mismatch == [] and errors == [] and match == names
    duckdb = pytest.importorskip("duckdb")
    got = duckdb.sql(f"select verdict, count(*) from '{outs['one']}/*.parquet' "
                     "group by 1 order by 1").fetchall()
    assert got == [("delivered", 12), ("dropped", 24)]


def test_frame_on_a_client(many, cluster):
    _, client = cluster
    local = ovnparse.frame(many, progress=False)
    remote = ovnparse.frame(many, client=client, progress=False)
    assert remote.equals(local) and len(local) == 36


def test_no_progress_bar_when_piped(many):
    proc = subprocess.run([sys.executable, "-m", "ovnparse.cli", "explain", "--output",
                           "jsonl", str(many)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 36


def test_frame_stages_and_trace_sources():
    traces = ovnparse.read(SAMPLES / DENY)
    steps = ovnparse.frame(traces, stages=True, progress=False)
    # the trace's own frame, with the source in front
    own = traces[0].to_frame()
    assert list(steps.columns) == ["source", "first_line", *own.columns, "error"]
    assert steps[own.columns].reset_index(drop=True).equals(own)
    assert set(steps["source"]) == {str(SAMPLES / DENY)}
    assert traces[0].resolved == {}  # (the caller's trace is not changed)


def test_a_progress_bar_on_a_terminal(many):
    import pty
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                             "from ovnparse.batch import progress\n"
                             "progress.Progress.DELAY = progress.Progress.EVERY = 0\n"
                             "from ovnparse.cli import main\n"
                             f"sys.exit(main(['explain', '--output', 'jsonl', {str(many)!r}]))"],
                            stdout=subprocess.DEVNULL, stderr=slave, cwd=ROOT)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(master)
    assert b"traces" in seen and b"dropped" in seen  # (the bar: counts and verdicts)
