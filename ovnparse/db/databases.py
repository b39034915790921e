"""The databases a run reads, opened once for any number of traces.

`open_databases(nb=..., sb=...)` takes saved files (standalone or clustered
OVSDB files, `ovsdb-client dump` / `ovn-*ctl --format=json list` JSON,
`ovn-sbctl lflow-list` text) or live remotes (`unix:`, `tcp:`, `ssl:`), and
an `ovs-ofctl dump-flows` text; each is checked to be the database asked for.
The index (DbIndex) and ovn-detrace's note resolver are built on first use.
Only ever read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import DatabaseError
from .dump_flows import DumpFlowsError, read_dump_flows
from .index import DbIndex
from .open import open_database_for
from .source import DatabaseSource

NB, SB, OVS = "OVN_Northbound", "OVN_Southbound", "Open_vSwitch"


class Databases:
    """A Southbound and (optionally) a Northbound, an OpenFlow dump; a context manager."""

    def __init__(self, sb: DatabaseSource | None = None, nb: DatabaseSource | None = None,
                 openflow: Mapping[str, list] | None = None, *, names: Mapping[str, str] = {}):
        self.sb = sb
        self.nb = nb
        self.openflow = openflow  # cookie key -> OpenFlow flows (dump_flows.read_dump_flows)
        self.names = dict(names)  # "sb"/"nb"/"openflow" -> the file or remote as given
        self._index: DbIndex | None = None
        #: what the layers above build from the index once for every trace
        #: (enrich/: ovn-detrace's note resolver, with its cache)
        self.cache: dict[str, Any] = {}

    @property
    def index(self) -> DbIndex | None:
        """Cookies and uuid prefixes -> rows (None without a Southbound)."""
        if self._index is None and self.sb is not None:
            self._index = DbIndex(self.sb, self.nb)
        return self._index

    @property
    def warnings(self) -> list[str]:
        """What the sources had to say (a torn last record, what salvage skipped)."""
        return [f"{self.names.get(role, role)}: {w}" for role, src in (("sb", self.sb),
                                                                      ("nb", self.nb))
                for w in getattr(src, "warnings", ()) or ()]

    def close(self) -> None:
        for src in (self.sb, self.nb):
            close = getattr(src, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> Databases:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Databases {', '.join(f'{k}={v}' for k, v in self.names.items()) or 'none'}>"


def open_databases(nb: str | os.PathLike | None = None, sb: str | os.PathLike | None = None,
                   *, dump_flows: str | os.PathLike | None = None, timeout: float = 10.0,
                   leader_only: bool = True, private_key: str | None = None,
                   certificate: str | None = None, ca_cert: str | None = None,
                   max_reply: int | None = None, salvage: bool = False) -> Databases:
    """Open the databases a run reads (db/open.py: saved files, tools' output or
    live remotes); DatabaseError (one line) when one cannot be read or is not
    the database asked for.  What a salvaged or torn file lost is in `warnings`."""
    names = {}
    sources = {}
    for role, spec, schema in (("sb", sb, SB), ("nb", nb, NB)):
        if spec is not None:
            names[role] = os.fspath(spec)
            sources[role] = open_database_for(
                spec, schema, timeout=timeout, leader_only=leader_only, private_key=private_key,
                certificate=certificate, ca_cert=ca_cert, max_reply=max_reply, salvage=salvage)
    openflow = None
    if dump_flows is not None:
        names["openflow"] = os.fspath(dump_flows)
        try:
            # (a path, never text: a missing file is said so, not read as flows)
            openflow = read_dump_flows(Path(dump_flows))
        except OSError as exc:
            raise DatabaseError(os.fspath(dump_flows), f"cannot read the OpenFlow flows: "
                                f"{exc.strerror or exc}") from None
        except DumpFlowsError as exc:
            raise DatabaseError(os.fspath(dump_flows),
                                f"cannot read the OpenFlow flows: {exc}") from None
    return Databases(sources.get("sb"), sources.get("nb"), openflow, names=names)
