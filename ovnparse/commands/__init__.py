"""Subcommands that live in modules of their own.

Each module has `add_arguments(parser)` and `run(args) -> int` (the exit
status); cli.py registers the ones in COMMANDS that exist.
"""

COMMANDS = {
    "detrace": "print what ovn-detrace prints for an ofproto/trace, from live or saved databases",
    "trace": "run the real ovn-trace against a saved Southbound file and explain the result",
}
