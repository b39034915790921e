"""Subcommands that live in modules of their own.

Each module has `add_arguments(parser)` and `run(args) -> int` (the exit
status); cli.py registers the ones in COMMANDS that exist.
"""

COMMANDS = {
    "detrace": "print what ovn-detrace prints for an ofproto/trace, from live or saved databases",
    "trace": "run the real ovn-trace against a saved Southbound file and explain the result",
    "diff": "two traces step by step: the first divergence, the flows, the verdicts, why",
    "graph": "draw the path of the packet(s): datapath hops or every step, the drop marked",
    "report": "many traces -> one self-contained HTML page: counts, ACLs, paths, every trace",
}


def database_options(p, *, remotes: bool = True) -> None:
    """The options of reading databases, as every command that opens them takes
    them (`remotes`: also those of live servers, spelled as OVN's tools do)."""
    g = p.add_argument_group("databases")
    g.add_argument("--db-timeout", type=_seconds, default=10.0, metavar="SECONDS",
                   help="give up on a database whose whole read takes longer (default 10)")
    g.add_argument("--db-salvage", action="store_true",
                   help="read a damaged database file up to its damage (and say what was "
                        "skipped) instead of refusing it")
    g.add_argument("--db-max-reply", type=_size, default=None, metavar="SIZE",
                   help="refuse a server reply larger than SIZE bytes (K, M, G suffixes; "
                        "default 1G)")
    if remotes:
        g.add_argument("--no-leader-only", dest="leader_only", action="store_false",
                       help="read any member of a clustered database, not only the leader")
        g.add_argument("-p", "--private-key", metavar="FILE", help="SSL private key")
        g.add_argument("-c", "--certificate", metavar="FILE",
                       help="SSL certificate for the key")
        g.add_argument("-C", "--ca-cert", metavar="FILE", help="SSL CA certificate")


def database_kwargs(args) -> dict:
    """open_databases()'s options from the parsed command line."""
    return {"timeout": args.db_timeout, "salvage": args.db_salvage,
            "max_reply": args.db_max_reply,
            "leader_only": getattr(args, "leader_only", True),
            "private_key": getattr(args, "private_key", None),
            "certificate": getattr(args, "certificate", None),
            "ca_cert": getattr(args, "ca_cert", None)}


def _seconds(text: str) -> float:
    import argparse
    import math
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):  # (NaN fails both)
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def _size(text: str) -> int:
    import argparse
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    number, unit = (text[:-1], text[-1].upper()) if text[-1:].upper() in units else (text, "")
    try:
        value = int(float(number) * units.get(unit, 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 512M)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 512M)")
    return value
