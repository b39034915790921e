"""Reading a Southbound database file: time and peak memory.  Run by hand:

    python3 benchmarks/db_read.py [SB.DB ...] [--synthetic-flows N] [--repeat 3]

For each file (default: samples/db/base/sb.db) it measures, each case in a
fresh child process (peak RSS is the child's VmHWM; the time is the best of
--repeat reads in that child):

  * ``json.loads`` of the file's records alone, garbage collector on (what
    ``../shared/notes/ovsdb-at-scale.md`` calls "stdlib json: 1.5 s" on 58 MB);
  * ovnparse's reader, every table;
  * ovnparse's reader, only Logical_Flow + Datapath_Binding;
  * ovnparse's reader, the ten Southbound tables ``DbIndex`` reads;
  * both again with the standard library's ``json`` instead of ``orjson``.

``--checks`` measures instead what the reader's checks cost (the cases taken in
turn, one read per child, --repeat rounds): every table and the
ten DbIndex tables, each with every check, without the records' SHA-1 check
(``verify_checksums=False``), without the nesting guard that an ``orjson`` older
than 3.9.15 needs (``ovnparse.db._json``), and with neither; and the reading of the
few rows a trace names (``FileSource.rows_by_uuid_prefix``, what ``ovnparse
detrace`` does), with and without the checks.

``--synthetic-flows N`` also builds, in a temporary directory, a Southbound of N
logical flows (the sample's rows cloned with new uuids, Port_Binding and
Address_Set grown alongside, to about --mb megabytes) and reads it as three
files: compacted standalone (rewritten by ``ovsdb-tool compact``), uncompacted
standalone (the same rows inserted by one transaction per --batch rows, a
synthetic log; OVS's record format) and clustered (``ovsdb-tool
create-cluster`` of the compacted file: the snapshot sits in the raft header).
There is no real 100k-flow database in the repository yet; these are stand-ins
of the same size and shape.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INDEX_TABLES = ["Logical_Flow", "Port_Binding", "MAC_Binding", "Static_MAC_Binding",
                "Multicast_Group", "Chassis", "Load_Balancer", "FDB", "Datapath_Binding",
                "Logical_DP_Group"]
CASES = {
    "json.loads of the records (GC on)": ("json", None),
    "ovnparse, all tables": ("read", None),
    "ovnparse, Logical_Flow + Datapath_Binding": ("read", ["Logical_Flow", "Datapath_Binding"]),
    "ovnparse, the 10 tables DbIndex reads": ("read", INDEX_TABLES),
    "ovnparse, all tables, stdlib json": ("read-stdlib", None),
    "ovnparse, LF + DB, stdlib json": ("read-stdlib", ["Logical_Flow", "Datapath_Binding"]),
}
CHECK_CASES = {
    "all tables, every check": ("read", None),
    "all tables, no SHA-1 check": ("read-nosha", None),
    "all tables, no nesting guard": ("read-noguard", None),
    "all tables, neither": ("read-nochecks", None),
    "10 DbIndex tables, every check": ("read", INDEX_TABLES),
    "10 DbIndex tables, neither": ("read-nochecks", INDEX_TABLES),
    "100 rows by uuid prefix, every check": ("prefix", None),
    "100 rows by uuid prefix, neither": ("prefix-nochecks", None),
}


def child(path: str, kind: str, tables, repeat: int) -> dict:
    """Runs in the child process: best time of *repeat* reads and the peak RSS."""
    best = float("inf")
    info: dict = {}
    for _ in range(repeat):
        if kind == "json":
            start = time.perf_counter()
            data = Path(path).read_bytes()
            pos = n = 0
            while pos < len(data):  # the OVSDB record framing, then json.loads
                nl = data.index(b"\n", pos)
                length = int(data[pos:nl].split()[2])
                json.loads(data[nl + 1:nl + 1 + length])
                pos = nl + 1 + length
                n += 1
            best = min(best, time.perf_counter() - start)
            info = {"records": n}
            del data
        elif kind.startswith("prefix"):
            from ovnparse.db import FileSource, _json
            _json.ORJSON_LIMITS_DEPTH |= kind.endswith("nochecks")
            if not info:  # (the uuids asked for: 100 of the file's, found before timing)
                uuids = sorted(FileSource(path).rows("Logical_Flow", ["priority"]))[::997][:100]
                info = {"rows": len(uuids), "lflows": len(uuids), "json": _json.JSON_LIBRARY}
            start = time.perf_counter()
            src = FileSource(path, verify_checksums=not kind.endswith("nochecks"))
            with src.hold():
                got = src.rows_by_uuid_prefix("Logical_Flow", [u[:8] for u in uuids])
            best = min(best, time.perf_counter() - start)
            assert len(got) >= len(uuids)
            del src, got
        else:
            from ovnparse.db import _json, read_ovsdb_file
            _json.use_stdlib_json(kind == "read-stdlib")
            # (a guard that orjson >= 3.9.15 does not need, and forced off here)
            _json.ORJSON_LIMITS_DEPTH |= kind in ("read-noguard", "read-nochecks")
            start = time.perf_counter()
            db = read_ovsdb_file(path, tables,
                                 verify_checksums=kind not in ("read-nosha", "read-nochecks"))
            best = min(best, time.perf_counter() - start)
            info = {"rows": sum(map(len, db.tables.values())),
                    "lflows": len(db.tables.get("Logical_Flow", {})), "json": db.info["json"],
                    "format": db.format}
            del db
    return {"seconds": best, "peak_rss_mib": _vmhwm_kib() / 1024, **info}


def _vmhwm_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run_case(path: Path, kind: str, tables, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(path), kind,
                          json.dumps(tables), str(repeat)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


# ------------------------------------------------------------------ synthetic
def _record(obj) -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    return b"OVSDB JSON %d %s\n" % (len(body), hashlib.sha1(body).hexdigest().encode()) + body


def synthesize(sample: Path, flows: int, ports: int, mb: float, out: Path, batch: int,
               seed: int = 1) -> dict[str, Path]:
    """Compacted, uncompacted and clustered Southbound files of *flows* logical flows."""
    rnd = random.Random(seed)

    def new_uuid() -> str:
        return str(uuidlib.UUID(int=rnd.getrandbits(128), version=4))

    lines = sample.read_bytes().split(b"\n")
    schema, base = json.loads(lines[1]), json.loads(lines[3])
    lfs = list(base["Logical_Flow"].values())
    data = {t: dict(v) for t, v in base.items() if isinstance(v, dict)}
    data["Logical_Flow"] = {new_uuid(): lfs[i % len(lfs)] for i in range(flows)}
    pbs = [r for r in base["Port_Binding"].values()
           if r.get("type", "") == "" and "chassis" not in r] or list(
        base["Port_Binding"].values())
    dps = sorted({r["datapath"][1] for r in pbs})
    grown = dict(data["Port_Binding"])
    for i in range(ports):
        r = dict(pbs[i % len(pbs)])
        r["logical_port"] = f"synthetic-pod-{i}"
        r["tunnel_key"] = 1000 + i
        r["datapath"] = ["uuid", dps[i % len(dps)]]
        r.pop("chassis", None)
        r.pop("requested_chassis", None)
        grown[new_uuid()] = r
    data["Port_Binding"] = grown
    size = len(json.dumps(data, separators=(",", ":")))
    sets = dict(data.get("Address_Set", {}))
    i = 0
    while size < mb * 1e6:
        addrs = sorted(f"10.{(i >> 8) & 255}.{i & 255}.{k}" for k in range(60))
        row = {"name": f"synthetic_set_{i}", "addresses": ["set", addrs]}
        sets[new_uuid()] = row
        size += len(json.dumps(row)) + 40
        i += 1
    data["Address_Set"] = sets

    out.mkdir(parents=True, exist_ok=True)
    raw = out / "raw.db"
    raw.write_bytes(_record(schema) + _record(data))
    compacted = out / "sb-compacted.db"
    subprocess.run(["ovsdb-tool", "compact", str(raw), str(compacted)], check=True)
    uncompacted = out / "sb-uncompacted.db"
    with open(uncompacted, "wb") as f:
        f.write(_record(schema))
        items = [(t, u, r) for t, rows in data.items() for u, r in rows.items()]
        # referenced rows first (Datapath_Binding, groups...), as the server wrote them
        order = {"Logical_Flow": 2, "Port_Binding": 1}
        items.sort(key=lambda x: order.get(x[0], 0))
        for k in range(0, len(items), batch):
            txn: dict = {"_date": 0, "_is_diff": True}
            for t, u, r in items[k:k + batch]:
                txn.setdefault(t, {})[u] = r
            f.write(_record(txn))
    check = subprocess.run(["ovsdb-tool", "db-is-standalone", str(uncompacted)])
    assert check.returncode == 0
    clustered = out / "sb-clustered.db"
    subprocess.run(["ovsdb-tool", "create-cluster", str(clustered), str(compacted),
                    f"unix:{out}/raft.sock"], check=True, capture_output=True)
    raw.unlink()
    return {"compacted": compacted, "uncompacted": uncompacted, "clustered": clustered}


def report(label: str, path: Path, repeat: int, cases: dict = CASES,
           interleave: bool = False) -> None:
    """Each case's best time; *interleave*: one read per child, the cases taken in turn
    *repeat* times (what a busy machine's drift does then hits every case alike)."""
    size = path.stat().st_size / 1e6
    print(f"\n{label}: {path} ({size:.1f} MB)")
    results: dict = {}
    if interleave:
        for _ in range(repeat):
            for name, (kind, tables) in cases.items():
                r = run_case(path, kind, tables, 1)
                if name not in results or r["seconds"] < results[name]["seconds"]:
                    results[name] = {**r, "peak_rss_mib": max(
                        r["peak_rss_mib"], results.get(name, r)["peak_rss_mib"])}
    for name, (kind, tables) in cases.items():
        r = results.get(name) or run_case(path, kind, tables, repeat)
        extra = (f"{r['records']} records" if "records" in r else
                 f"{r['rows']} rows, {r['lflows']} lflows, {r['json']}")
        print(f"  {name:44s} {r['seconds']:6.3f} s  peak RSS {r['peak_rss_mib']:6.1f} MiB"
              f"  ({extra})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--checks", action="store_true",
                    help="measure the cost of the SHA-1 checks and the nesting guard")
    ap.add_argument("--synthetic-flows", type=int, default=0, metavar="N")
    ap.add_argument("--ports", type=int, default=24000,
                    help="Port_Binding rows of the synthetic database (default 24000)")
    ap.add_argument("--mb", type=float, default=58.0,
                    help="size of the synthetic database (default 58, as the notes' one)")
    ap.add_argument("--batch", type=int, default=100,
                    help="rows per transaction of the uncompacted synthetic file")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="build the synthetic files in DIR and keep them (reused when there)")
    args = ap.parse_args(argv)
    files = args.files or ([] if args.synthetic_flows else
                           [ROOT / "samples" / "db" / "base" / "sb.db"])
    from ovnparse.db import _json
    print(f"Python {sys.version.split()[0]}, JSON library available: {_json.JSON_LIBRARY}, "
          f"{os.cpu_count()} CPUs; best of {args.repeat}, each case in a fresh process")
    print(f"orjson limits its own nesting (>= 3.9.15): {_json.ORJSON_LIMITS_DEPTH}")
    for f in files:
        if args.checks:
            report("file", f, args.repeat, CHECK_CASES, interleave=True)
        else:
            report("file", f, args.repeat)
    if args.synthetic_flows:
        tmp = args.keep or Path(tempfile.mkdtemp(prefix="dbread-"))
        try:
            names = ("compacted", "uncompacted", "clustered")
            made = {n: tmp / f"sb-{n}.db" for n in names}
            if not all(p.exists() for p in made.values()):
                start = time.perf_counter()
                made = synthesize(ROOT / "samples" / "db" / "base" / "sb.db",
                                  args.synthetic_flows, args.ports, args.mb, tmp, args.batch)
                print(f"\n(synthetic databases built in {time.perf_counter() - start:.0f} s)")
            for label, path in made.items():
                report(f"{label} (synthetic, {args.synthetic_flows} flows)", path, args.repeat)
        finally:
            if args.keep is None:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, path, kind, tables, repeat = sys.argv
        print(json.dumps(child(path, kind, json.loads(tables), int(repeat))))
    else:
        sys.exit(main())
