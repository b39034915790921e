"""What `ovnparse.Trace` shows in a notebook: frame, graph, DOT, SVG, its card.

A mixin of the face's Trace (face.py), so that the face stays about reading
and explaining.  Each method takes the databases as `explain()` does (the
ones the trace was read with by default) and works on the trace as analysed
(with databases: its enriched copy).  pandas, networkx and Graphviz are
reached only when a method needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from ..analysis.diff import TraceDiff
    from ..db.databases import Databases


class NotebookViews:
    __slots__ = ()

    def to_frame(self, db: Databases | None = None) -> pd.DataFrame:
        """One row per step, the same columns for every format (views/frame.py)."""
        from ..analysis.steps import step_rows
        from .frame import rows_frame
        used, ex = self.explained(db)  # type: ignore[attr-defined]
        return rows_frame(step_rows(used), ex)

    def graph(self, level: str = "datapath", db: Databases | None = None) -> nx.DiGraph:
        """The path as a networkx DiGraph: `level` "datapath" or "stage" (views/graph.py)."""
        return self._path(level, db).to_networkx()

    def to_dot(self, level: str = "datapath", db: Databases | None = None) -> str:
        """The path graph as Graphviz DOT text (no Graphviz needed)."""
        from .dot import to_dot
        return to_dot(self._path(level, db))

    def to_svg(self, level: str = "datapath", db: Databases | None = None) -> str:
        """The path graph drawn by Graphviz's dot, as SVG text (GraphvizMissing without it)."""
        from .dot import render
        return render(self.to_dot(level, db), "svg").decode()

    def diff(self, other: Any, db: Databases | None = None) -> TraceDiff:
        """This trace against another of the same packet (analysis/diff.py)."""
        from ..analysis.diff import diff
        return diff(self, other, db=db)  # type: ignore[arg-type]

    def _path(self, level: str, db: Databases | None):
        from .graph import build_path
        used, ex = self.explained(db)  # type: ignore[attr-defined]
        return build_path(used, ex, level)

    def _repr_html_(self) -> str:
        from .html import explanation_card
        return explanation_card(self.explain())  # type: ignore[attr-defined]
