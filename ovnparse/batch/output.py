"""The forms a many-input run writes, each record as it comes (streaming).

`text` (for people), `json` (one array, streamed), `jsonl` (an object a
line), `csv` and `parquet` (the flat columns of records.FLAT_COLUMNS),
`table` (a line a trace, sorted by verdict then file: it keeps one small row
per trace until the end).  Parquet: `-o x.parquet` one file; `-o DIR` a
partitioned dataset (`DIR/part-00000.parquet`, ROWS_PER_PART rows each, cut
by row count so the files do not depend on the parallelism).
"""

from __future__ import annotations

import csv
import os
import sys
from typing import IO, Any

from .. import jsonout
from ..errors import InputError, Problem
from .records import FLAT_COLUMNS, FLAT_INTS, flat

FORMS = ("text", "table", "json", "jsonl", "csv", "parquet")
ROWS_PER_PART = 100_000
_VERDICT_ORDER = {v: n for n, v in enumerate(
    ("dropped", "error", "incomplete", "controller", "flooded", "delivered"))}


def public(record: dict) -> dict:
    """The record without the writers' private keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


class Writer:
    def write(self, record: dict) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class TextWriter(Writer):
    """explain's text; `== trace N ==` above each once there are two (the first
    is held back until then)."""

    def __init__(self, out: IO[str]):
        self.out = out
        self.n = 0
        self.first: str | None = None

    def write(self, record: dict) -> None:
        text = record.get("_text")
        if text is None:
            return  # (an error entry: said on stderr)
        self.n += 1
        if self.n == 1:
            self.first = text
            return
        if self.n == 2:
            self.out.write(f"== trace 1 ==\n{self.first}")
            self.first = None
        self.out.write(f"== trace {self.n} ==\n{text}")

    def close(self) -> None:
        if self.first is not None:
            self.out.write(self.first)


class JsonWriter(Writer):
    """One JSON array, an object at a time (the layout of json.dump(indent=2))."""

    def __init__(self, out: IO[str], indent: int = 2):
        self.out, self.indent, self.n = out, indent, 0

    def write(self, record: dict) -> None:
        text = jsonout.dumps([public(record)], indent=self.indent)[2:-2]
        self.out.write((",\n" if self.n else "[\n") + text)
        self.n += 1

    def close(self) -> None:
        self.out.write("\n]\n" if self.n else "[]\n")


class JsonlWriter(Writer):
    def __init__(self, out: IO[str]):
        self.out = out

    def write(self, record: dict) -> None:
        self.out.write(jsonout.dumps_line(public(record)) + "\n")


class CsvWriter(Writer):
    def __init__(self, out: IO[str]):
        self.w = csv.DictWriter(out, FLAT_COLUMNS, lineterminator="\n")
        self.w.writeheader()

    def write(self, record: dict) -> None:
        self.w.writerow(flat(record))


class TableWriter(Writer):
    """A line a trace: verdict, source, lines, format, where it dropped."""

    def __init__(self, out: IO[str]):
        self.out = out
        self.rows: list[tuple] = []

    def write(self, record: dict) -> None:
        f = flat(record)
        verdict = f["verdict"] or "unread"
        where = f["error"] or " ".join(str(x) for x in (
            f["drop_datapath"], f["drop_stage"], f["acl_name"]) if x) or (f["outputs"] or "")
        lines = f"{f['first_line']}-{f['last_line']}" if f["first_line"] is not None else ""
        self.rows.append((_VERDICT_ORDER.get(verdict, 9), f["source"], f["first_line"] or 0,
                          verdict, lines, f["format"] or "", where))

    def close(self) -> None:
        self.rows.sort(key=lambda r: (r[0], r[1], r[2]))
        head = ("VERDICT", "SOURCE", "LINES", "FORMAT", "WHERE")
        body = [r[3:4] + r[1:2] + r[4:] for r in self.rows]
        widths = [max([len(head[i])] + [len(str(r[i])) for r in body]) for i in range(4)]
        for row in [head, *body]:
            cells = [str(c).ljust(widths[i]) if i < 4 else str(c) for i, c in enumerate(row)]
            self.out.write("  ".join(cells).rstrip() + "\n")


def _arrow_schema():
    import pyarrow as pa
    return pa.schema([(c, pa.int64() if c in FLAT_INTS else pa.string())
                      for c in FLAT_COLUMNS])


class ParquetWriter(Writer):
    """Flat rows, written a row group at a time (memory: one group)."""

    GROUP = 10_000

    def __init__(self, path: str):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError(Problem("--output parquet", 0, "needs pyarrow",
                                     "pip install 'ovnparse[parquet]'")) from None
        self.path = path
        self.dataset = not path.endswith(".parquet")
        self.part = 0
        self.rows_in_part = 0
        self.buffer: list[dict] = []
        self.writer: Any = None
        if self.dataset:
            os.makedirs(path, exist_ok=True)
            for old in os.listdir(path):  # (a rerun replaces the parts it wrote)
                if old.startswith("part-") and old.endswith(".parquet"):
                    os.unlink(os.path.join(path, old))

    def write(self, record: dict) -> None:
        self.buffer.append(flat(record))
        if len(self.buffer) >= self.GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        while self.buffer:
            room = ROWS_PER_PART - self.rows_in_part if self.dataset else len(self.buffer)
            chunk, self.buffer = self.buffer[:room], self.buffer[room:]
            if self.writer is None:
                target = (os.path.join(self.path, f"part-{self.part:05d}.parquet")
                          if self.dataset else self.path)
                self.writer = pq.ParquetWriter(target, _arrow_schema())
            self.writer.write_table(pa.Table.from_pylist(chunk, schema=_arrow_schema()))
            self.rows_in_part += len(chunk)
            if self.dataset and self.rows_in_part >= ROWS_PER_PART:
                self.writer.close()
                self.writer, self.rows_in_part = None, 0
                self.part += 1

    def close(self) -> None:
        self._flush()
        if self.writer is None and self.part == 0:  # (no rows: an empty file, with the schema)
            import pyarrow.parquet as pq
            target = (os.path.join(self.path, "part-00000.parquet") if self.dataset
                      else self.path)
            pq.write_table(_arrow_schema().empty_table(), target)
        elif self.writer is not None:
            self.writer.close()


def writer(form: str, out: IO[str] | None, path: str | None) -> Writer:
    if form == "parquet":
        if not path:
            raise InputError(Problem("--output parquet", 0, "needs -o/--out",
                                     "-o FILE.parquet or -o DIR"))
        return ParquetWriter(path)
    stream = out if out is not None else sys.stdout
    return {"text": TextWriter, "table": TableWriter, "json": JsonWriter,
            "jsonl": JsonlWriter, "csv": CsvWriter}[form](stream)
