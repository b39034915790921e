"""The databases of a many-input run: opened once, chosen per trace, found in trees.

`DbSpec` names them (picklable: a dask worker opens them itself, once);
`DbSpec.open()` gives a `DbChoice`, whose `choose(trace, input)` says which
pair a trace resolves against and how it is named in `source.databases`.

`--nb auto --sb auto` (`find(roots)`) looks in the directories of the run's
sources for the files these collectors save (README, "Many traces"):

- OpenShift's network must-gather: `leader_nbdb`, `leader_sbdb` (gzip'd or
  not, `.gz` or not): one pair.  In OVN-Kubernetes' interconnect mode every
  node has its own databases, saved as `<ovnkube-node pod>_nbdb` /
  `<pod>_sbdb` (gzip'd): one pair per pod, named by the pod.
- sosreport: the database files at their system paths, `var/lib/ovn/etc/`,
  `var/lib/openvswitch/ovn/`, `etc/openvswitch/`, `etc/ovn/`, `var/lib/ovn/`,
  `var/lib/openvswitch/` (`ovnnb_db.db`, `ovnsb_db.db`); without a
  Southbound file, `sos_commands/ovn_central/*lflow-list*` (ovn-sbctl's text:
  flows, no ACLs); `--dump-flows auto`: `sos_commands/openvswitch/
  ovs-ofctl*dump-flows_br-int` (the OpenFlow 1.3 one first).

With several pairs, a trace takes the pair named by its path (the pod's or
node's name in a folder or file name), else the one that knows most of its
logical flows, cookies and datapaths (none if no pair knows any of them).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from typing import Any

from ..errors import DatabaseError

SOS_DB_DIRS = ("var/lib/ovn/etc", "var/lib/openvswitch/ovn", "etc/openvswitch", "etc/ovn",
               "var/lib/ovn", "var/lib/openvswitch")
SOS_LFLOW_LIST = "sos_commands/ovn_central"
SOS_OPENFLOW = "sos_commands/openvswitch"
_PAIR_FILE = re.compile(r"^(?P<label>.+)_(?P<role>nb|sb)db(?:\.gz)?$")


@dataclass(frozen=True)
class DbSpec:
    """Databases by name: `pairs` ((label, nb, sb), ...), the opening options."""

    pairs: tuple[tuple[str, str | None, str | None], ...]
    dump_flows: str | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def open(self) -> DbChoice:
        from ..api import open_databases
        opened = []
        for label, nb, sb in self.pairs:
            db = open_databases(nb, sb, dump_flows=self.dump_flows, **dict(self.options))
            opened.append((label, db))
        return DbChoice(opened)

    @property
    def live(self) -> bool:
        return any(":" in (x or "") and not os.path.exists(x or "")
                   for _, nb, sb in self.pairs for x in (nb, sb))


class DbChoice:
    """Opened databases: one pair, or one per node (interconnect)."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        self.pairs = pairs
        self._known: dict[str, tuple[set, set]] = {}

    @property
    def warnings(self) -> list[str]:
        return [w for _, db in self.pairs for w in db.warnings]

    @property
    def forkable(self) -> bool:
        """Whether forked workers may share these (not sockets to live servers)."""
        from ..db.live import LiveSource
        return not any(isinstance(s, LiveSource) for _, db in self.pairs
                       for s in (db.sb, db.nb))

    def prepare(self) -> None:
        """Build every index now (before a fork, so that workers share them)."""
        for _, db in self.pairs:
            db.index  # noqa: B018 - (built on first access)

    def close(self) -> None:
        for _, db in self.pairs:
            db.close()

    def choose(self, trace, inp) -> tuple[Any, dict | None]:
        if len(self.pairs) == 1:
            label, db = self.pairs[0]
            return db, _names(db)
        path = inp.name
        for label, db in self.pairs:
            if label and label in path:
                return db, _names(db)
        best, score = None, 0
        keys, datapaths = _trace_keys(trace)
        for label, db in self.pairs:
            flows, dps = self._known_of(label, db)
            s = len(keys & flows) * 2 + len(datapaths & dps)
            if s > score:
                best, score = db, s
        return (best, _names(best)) if best is not None else (None, None)

    def _known_of(self, label: str, db) -> tuple[set, set]:
        known = self._known.get(label)
        if known is None:
            flows: set[str] = set()
            dps: set[str] = set()
            index = db.index
            if index is not None:
                flows = {u[:8] for u in index.table("Logical_Flow")}
                try:
                    dps = {n for r in index.table("Datapath_Binding").values()
                           if (n := (r.get("external_ids") or {}).get("name"))}
                except Exception:
                    dps = set()
            known = self._known[label] = (flows, dps)
        return known


def _names(db) -> dict | None:
    names = {k: v for k, v in db.names.items() if k in ("nb", "sb")}
    return names or None


def _trace_keys(trace) -> tuple[set, set]:
    from ..analysis.steps import step_rows
    keys: set[str] = set()
    dps: set[str] = set()
    for r in step_rows(trace):
        if r.lflow:
            keys.add(r.lflow[:8])
        if r.cookie:
            keys.add(r.cookie[2:].rjust(8, "0")[-8:])
        if r.datapath:
            dps.add(r.datapath)
    return keys, dps


def spec_from(nb: str | None, sb: str | None, sources: list[str], *, dump_flows=None,
              options: dict | None = None) -> DbSpec | None:
    """The run's DbSpec from --nb/--sb ("auto": found in the sources' trees)."""
    opts = tuple(sorted((options or {}).items()))
    if nb is None and sb is None and dump_flows is None:
        return None
    if dump_flows == "auto":
        dump_flows = find_dump_flows(_roots(sources))
        if dump_flows is None:
            raise DatabaseError("--dump-flows auto", "no ovs-ofctl dump-flows br-int text "
                                f"found under {SOS_OPENFLOW}/ in " + ", ".join(_roots(sources)))
    if "auto" not in (nb, sb):
        return DbSpec((("", nb, sb),), dump_flows, opts)
    pairs = find(_roots(sources))
    if not pairs:
        raise DatabaseError("auto", "no databases found in " + ", ".join(_roots(sources))
                            + " (looked for must-gather leader_nbdb/leader_sbdb, "
                            "<pod>_nbdb/_sbdb, sosreport ovnnb_db.db/ovnsb_db.db, lflow-list)")
    chosen = tuple((label, p_nb if nb == "auto" else nb, p_sb if sb == "auto" else sb)
                   for label, p_nb, p_sb in pairs)
    return DbSpec(chosen, dump_flows, opts)


def _roots(sources: list[str]) -> list[str]:
    roots = []
    for s in sources:
        if os.path.isdir(s):
            roots.append(s)
        elif os.path.exists(s):
            roots.append(os.path.dirname(s) or ".")
    return list(dict.fromkeys(roots))


def find(roots: list[str]) -> list[tuple[str, str | None, str | None]]:
    """(label, nb, sb) of every database pair in the trees, sorted by label."""
    found: dict[str, dict[str, str]] = {}
    lflow_lists: list[str] = []
    for top in roots:
        for root, dirs, files in os.walk(top):
            dirs.sort()
            rel = os.path.relpath(root, top).replace(os.sep, "/")
            for name in sorted(files):
                path = os.path.join(root, name)
                m = _PAIR_FILE.match(name)
                if m:
                    label = "" if m["label"] == "leader" else m["label"]
                    found.setdefault(label, {}).setdefault(m["role"], path)
                elif name in ("ovnnb_db.db", "ovnsb_db.db") and any(
                        rel == d or rel.endswith("/" + d) for d in SOS_DB_DIRS):
                    found.setdefault("", {}).setdefault(name[3:5], path)
                elif (rel == SOS_LFLOW_LIST or rel.endswith("/" + SOS_LFLOW_LIST)) and \
                        fnmatch.fnmatch(name, "*lflow-list*"):
                    lflow_lists.append(path)
    if lflow_lists and "sb" not in found.get("", {}):
        found.setdefault("", {})["sb"] = sorted(lflow_lists)[0]
    return [(label, p.get("nb"), p.get("sb")) for label, p in sorted(found.items())
            if p.get("sb") or p.get("nb")]


def find_dump_flows(roots: list[str]) -> str | None:
    """A sosreport's `ovs-ofctl dump-flows br-int` text (sos_commands/openvswitch/
    `ovs-ofctl*dump-flows_br-int`, the OpenFlow 1.3 one first), or None."""
    found = []
    for top in roots:
        for root, dirs, files in os.walk(top):
            dirs.sort()
            rel = os.path.relpath(root, top).replace(os.sep, "/")
            if rel == SOS_OPENFLOW or rel.endswith("/" + SOS_OPENFLOW):
                found += [os.path.join(root, n) for n in sorted(files)
                          if fnmatch.fnmatch(n, "ovs-ofctl*dump-flows_br-int")]
    found.sort(key=lambda p: ("OpenFlow13" not in p, p))
    return found[0] if found else None
