"""The Southbound as `ovn-sbctl lflow-list` prints it, for when that is all there is.

A sosreport or a ticket often carries `ovn-sbctl lflow-list` text rather than
the database.  It lists, per datapath and pipeline, every logical flow that
applies there (a flow shared by a datapath group is listed under each of its
datapaths):

    Datapath: "ovn-worker" (7c21e25c-964d-4208-b119-fffede5c6b42)  Pipeline: ingress
      uuid=0x4dfc3efb, table=4 (ls_out_acl         ), priority=2000 , match=(...), action=(...)

With `--uuid` each flow carries the first 32 bits of its uuid, the key ovn-trace
and OpenFlow cookies use; without it, flows can only be found by their stage,
priority and match.  The text has no full uuids, no tunnel keys and no
external_ids but the stage name, so the rows built here are partial: a flow's
uuid is its 8 hex digits (or `lflow-list:<line>` without `--uuid`), and a
Datapath_Binding's tunnel key is unknown.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .ovsdb_file import Database
from .schema import installed_schema

_DATAPATH = re.compile(r'Datapath: "(?P<name>[^"]*)" \((?P<uuid>[0-9a-f-]{36})\)\s+'
                       r"Pipeline: (?P<pipeline>ingress|egress)\s*\Z")
_FLOW = re.compile(
    r"\s+(?:uuid=0x(?P<uuid>[0-9a-f]+), )?table=(?P<table>\d+) ?\((?P<stage>[^)]*?)\s*\), "
    r"priority=(?P<priority>\d+)\s*, match=\((?P<match>.*)\), action=\((?P<actions>.*)\)\Z")


class LflowListError(ValueError):
    """The text is not `ovn-sbctl lflow-list` output."""


def read_lflow_list(src: str | os.PathLike) -> Database:
    """Logical_Flow and Datapath_Binding rows from `ovn-sbctl [--uuid] lflow-list` text."""
    if isinstance(src, os.PathLike) or (isinstance(src, str) and "\n" not in src
                                         and os.path.exists(src)):
        name, text = str(src), Path(src).read_text()
    else:
        name, text = "<text>", str(src)
    flows: dict[str, dict] = {}
    datapaths: dict[str, dict] = {}
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _DATAPATH.match(line)
        if m:
            current = m
            datapaths.setdefault(m["uuid"], {"_uuid": m["uuid"],
                                             "external_ids": {"name": m["name"]}})
            continue
        m = _FLOW.match(line)
        if not m or current is None:
            raise LflowListError(f"{name}:{number}: not a line of ovn-sbctl lflow-list "
                                 f"(expected 'Datapath: \"name\" (uuid)  Pipeline: ...' "
                                 f"or '  [uuid=0x..., ]table=N (stage), priority=P, "
                                 f"match=(...), action=(...)')")
        key = f"{int(m['uuid'], 16):08x}" if m["uuid"] else f"lflow-list:{number}"
        row = flows.get(key)
        if row is None:
            flows[key] = {
                "_uuid": key, "table_id": int(m["table"]), "pipeline": current["pipeline"],
                "priority": int(m["priority"]), "match": m["match"], "actions": m["actions"],
                "external_ids": {"stage-name": m["stage"]}, "logical_datapath": [current["uuid"]],
            }
        elif current["uuid"] not in row["logical_datapath"]:
            row["logical_datapath"].append(current["uuid"])  # a datapath group's flow
    schema = installed_schema("OVN_Southbound")
    if schema is None:
        raise LflowListError("the OVN Southbound schema is not installed (ovn-common)")
    return Database(schema=schema,
                    tables={"Logical_Flow": flows, "Datapath_Binding": datapaths},
                    columns={"Logical_Flow": None, "Datapath_Binding": None},
                    format="ovn-sbctl lflow-list", path=name,
                    info={"partial": True, "uuids": bool(flows)
                          and not next(iter(flows)).startswith("lflow-list:")})
