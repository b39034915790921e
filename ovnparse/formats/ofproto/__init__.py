"""Parser for `ovs-appctl ofproto/trace` output (and the ofproto/trace text
inside ovn-detrace's, see formats/ovn_detrace.py).

How ofproto/trace prints (ofproto/ofproto-dpif-trace.c, OVS 2.7 to 3.x)
decides how it must be read:

* `Flow: <flow>`, then the tree of trace nodes, then `Final flow:`,
  `Megaflow:`, `Datapath actions:` -- one *pass*.  Each recirculation the
  pass queued (conntrack, ...) is traced after it as another pass, under a
  header framed by two rows of 79 `=`: `recirc(0x28) - resume conntrack with
  ct_state=new|trk`, and, when the ct action NATs, `Replacing src/dst IP/ports
  to simulate NAT:` with the initial and modified flow.  (outputs.py)
* The tree (ofproto-dpif-xlate.c) has bridge, table, thaw nodes (which hold
  others) and action, detail (` -> `), warning (` >> `), error (` >>>> ...
  <<<<`) and bucket nodes.  A `resubmit`/`goto_table` appends the next table
  to the list the action is in, *after* the action.  Its indentation follows
  one rule (indented.printed_depth), the same tail elision as ovn-trace's:
  a table that is the last thing the table before it did prints at that
  table's own depth, and is listed after it, flat.  (indented.py, tree.py)
* Table lines are `%2d. ` (one-digit tables get a leading space), then the
  match, `priority N` and `, cookie 0x...` (only when the cookie is not zero,
  without leading zeros), or `No match.` and its variants.  A bridge title
  comes after a blank line and over a row of dashes as long as it.  (nodes.py)
* Before OVS 2.7 it printed `Rule:` lines instead of a tree.  (legacy.py)

ovn-detrace (before OVN 25.09) strips every line it copies: for that text
stripped.py rebuilds the nesting from what the lines mean (a table line
follows the action that led to it) instead of indentation.  ovn-detrace's
parser is told of every line through a NoteHandler (notes.py).

Modules: outputs (a text into outputs, an output into passes), indented (a
pass's tree from indentation), stripped (from what the lines mean), legacy
(`Rule:` traces), tree (open lists, attaching a node), nodes (a line's kind
and its node), notes (the NoteHandler), ovs_flow (flows and actions read with
ovs.flow).
"""

from .nodes import leaf_node, table_node
from .notes import NoteHandler
from .outputs import FORMAT, parse, parse_output, parse_outputs
from .stripped import finish_semantic, lift_tails

__all__ = ["FORMAT", "parse", "parse_outputs", "parse_output", "table_node", "leaf_node",
           "NoteHandler", "finish_semantic", "lift_tails"]
