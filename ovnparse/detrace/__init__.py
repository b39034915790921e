"""`ovnparse detrace`: what ovn-detrace prints, from saved (or live) databases.

- :mod:`.records`: a :class:`~.records.Resolver` turns a cookie or an OpenFlow
  port into ovn-detrace's note lines, through a :class:`~ovnparse.db.DbIndex`
  built once;
- :mod:`.run`: ovn-detrace's line loop (:func:`~.run.detrace_text`) and the same
  notes on the parsed model (:func:`~.run.annotate`).
"""

from .records import Resolver, bridge_interfaces, read_interfaces
from .run import annotate, detrace_lines, detrace_text

__all__ = ["Resolver", "bridge_interfaces", "read_interfaces", "annotate", "detrace_lines",
           "detrace_text"]
