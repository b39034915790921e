"""One model for every trace format: plain data, nothing that parses text.

- base      Node (a tree with source lines), Step (a table lookup: logical
            stage or OpenFlow table), Trace
- logical   ovn-trace: Pipeline, Stage, Action, Modify, Fork, Log, Output, Error
- openflow  ofproto/trace: OfPass, OfBridge, OfTable, OfAction and its kinds
- detrace   ovn-detrace's notes: DetraceNote, NOTE_KINDS
- ovnkube   ovnkube-trace: OvnkubeCheck, OvnkubeOutput, OvnkubeMessage
- resolution  what the databases say of a node (enrich/ fills Trace.resolved)

Every node keeps the text the tool printed and its line; `to_dict()` gives
JSON-ready data.
"""

from .base import EMPTY, Command, Node, Step, Trace, renumber
from .detrace import NOTE_KINDS, DetraceNote, NoteKind, note_kind
from .logical import Action, Error, Fork, Log, Modify, Output, Pipeline, Stage
from .openflow import (
                       OfAction,
                       OfBridge,
                       OfBucket,
                       OfDetail,
                       OfError,
                       OfPass,
                       OfReply,
                       OfTable,
                       OfThaw,
                       OfWarning,
)
from .ovnkube import OvnkubeCheck, OvnkubeMessage, OvnkubeOutput
from .resolution import (
                       BY_CONTENT,
                       BY_NAME,
                       EXACT,
                       NARROWED,
                       Acl,
                       AddressSetRef,
                       Owner,
                       PortGroupRef,
                       References,
                       Resolution,
)

__all__ = ["EMPTY", "Command", "Node", "Step", "Trace", "renumber", "NOTE_KINDS", "NoteKind",
           "note_kind",
           "DetraceNote", "Action", "Error", "Fork", "Log", "Modify", "Output", "Pipeline",
           "Stage", "OfAction", "OfBridge", "OfBucket", "OfDetail", "OfError", "OfPass", "OfReply",
           "OfTable", "OfThaw", "OfWarning", "OvnkubeCheck", "OvnkubeMessage", "OvnkubeOutput",
           "Acl", "Owner", "Resolution", "References", "PortGroupRef", "AddressSetRef", "EXACT",
           "NARROWED", "BY_CONTENT", "BY_NAME"]
