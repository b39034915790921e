"""Many saved traces in one run: inputs (files, trees, globs, archives), the
databases read once and chosen per trace, records with `source` and `packet`,
the output forms, parallel and distributed runs, `ovnparse.frame()`.

  inputs.py     SOURCES -> Inputs (files, directories, globs, .gz/.xz, archives)
  records.py    source, packet, error entries, flat rows
  databases.py  DbSpec / DbChoice: opened once; --nb/--sb auto (must-gather, sosreport)
  run.py        per-input work; one process, a forked pool, or dask; input order
  output.py     text, table, json, jsonl, csv, parquet writers (streaming)
  command.py    the command-line loop (explain, parse, report)
  frame.py      ovnparse.frame()
"""
