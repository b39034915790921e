"""Two traces of the same packet: the same verdict, or why not (`ovnparse compare`).

Kept for its callers and its JSON (`same`: the same verdict, `reasons`,
`first`, `second`); the work is diff.py's: `reasons` are the causes a diff
finds, said also when the verdicts agree but the traces took other flows
(an ovn-trace and an ovn-detrace of one packet that dropped in different
flows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Trace
from .diff import OVN_TRACE_DEFAULT_CT, TraceDiff, conntrack_states, diff
from .explanation import Explanation

__all__ = ["Comparison", "compare", "conntrack_states", "OVN_TRACE_DEFAULT_CT"]


@dataclass
class Comparison:
    first: Explanation
    second: Explanation
    same: bool  # the same verdict
    reasons: list[str] = field(default_factory=list)
    diff: TraceDiff | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {"same": self.same, "reasons": self.reasons,
                "first": self.first.to_dict(), "second": self.second.to_dict()}


def compare(first: Trace, second: Trace) -> Comparison:
    d = diff(first, second)
    same = not d.verdict_changed
    reasons = [c["text"] for c in d.causes if c["kind"] != "uuid"]
    return Comparison(d.first, d.second, same, reasons, d)
