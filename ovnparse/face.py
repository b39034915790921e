"""`ovnparse.Trace`: a parsed trace for scripts and notebooks.

It is the model's Trace (plain data: roots, format, lines, problems...) with
what a person asks of it: `explain()`, and `verdict`, `drop`, `outputs`,
`datapaths` as shortcuts.  It keeps the databases it was read with (`db`),
if any.  Explaining never changes the trace: with databases, the analysis
runs on an enriched copy, cached per databases object, so the same call
always gives the same answer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from . import model
from .analysis import Explanation
from .analysis import explain as analyse
from .enrich import enrich
from .views import html as _cards  # noqa: F401 - registers the analysis objects' cards
from .views.notebook import NotebookViews

if TYPE_CHECKING:
    from .db.databases import Databases


_MODEL_FIELDS = tuple(f.name for f in fields(model.Trace))


@dataclass(slots=True, eq=False)
class Trace(NotebookViews, model.Trace):
    db: Databases | None = field(default=None, repr=False)
    # id(db) -> (the trace analysed: self, or an enriched copy; its Explanation)
    _explained: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, trace: model.Trace, db: Databases | None = None) -> Trace:
        """The face of a parsed model trace (its nodes are shared, not copied)."""
        if isinstance(trace, cls) and trace.db is db:
            return trace
        out = cls(**{name: getattr(trace, name) for name in _MODEL_FIELDS})
        out.db = db
        return out

    def explain(self, db: Databases | None = None) -> Explanation:
        """What happened to the packet; with databases (given here or when the
        trace was read), the logical flow, ACL and owner behind a drop."""
        return self.explained(db)[1]

    def explained(self, db: Databases | None = None) -> tuple[model.Trace, Explanation]:
        """(the trace as analysed: this one, or with databases its enriched copy;
        its Explanation), computed once per databases object."""
        db = db if db is not None else self.db
        key = id(db) if db is not None else None
        found = self._explained.get(key)
        if found is None:
            used = self if db is None else enrich(self.plain(deep=True), db)
            ex = analyse(used)
            ex.trace = used  # (for the notebook card's stages and graph)
            found = self._explained[key] = (used, ex)
        return found

    def plain(self, deep: bool = False) -> model.Trace:
        """The plain model trace (`deep`: a copy of its nodes too)."""
        values = {name: getattr(self, name) for name in _MODEL_FIELDS}
        if deep:
            values = copy.deepcopy(values)
        return model.Trace(**values)

    @property
    def verdict(self) -> str:
        return self.explain().verdict

    @property
    def drop(self):
        return self.explain().drop

    @property
    def outputs(self) -> list[str] | None:
        return self.explain().outputs

    @property
    def datapaths(self) -> list[str] | None:
        return self.explain().datapaths

    def __repr__(self) -> str:
        ex = self.explain()
        path = " -> ".join(ex.datapaths or ()) or None
        text = (f"<Trace {self.format} {ex.verdict} lines {self.first_line}-{self.last_line}"
                f" of {self.source}" + (f" path {path}" if path else "") + ">")
        return text if len(text) <= 200 else text[:196] + "...>"

    def __getstate__(self) -> dict[str, Any]:
        # (the databases may hold sockets: a pickled trace travels without them)
        return {f.name: getattr(self, f.name) for f in fields(model.Trace)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.db = None
        self._explained = {}
