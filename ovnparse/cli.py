"""`ovnparse` command line: parse and explain trace printouts.

Exit status (one mapping, in `main`):
  0    done
  1    a verdict did not match --expect, or compare/diff found a difference (as diff(1))
  2    the input or the command line was wrong
  3    a database could not be read (missing, damaged, wrong schema, unreachable...)
  4    an internal error (one line; --debug or OVNPARSE_DEBUG=1 for the traceback)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import traceback

from ._version import __version__
from .analysis import Verdict
from .batch.command import PARSE_FORMS, add_run_options, add_sources
from .commands import COMMANDS, database_kwargs, database_options
from .errors import ExitStatus, InputError, OvnparseError, Problem, status_of
from .formats.registry import PARSERS

VERDICTS = tuple(str(v) for v in Verdict)
EXIT_INTERNAL = ExitStatus.INTERNAL  # (kept for callers of 0.2)


class Terminated(BaseException):
    """SIGTERM arrived: unwind through the finally blocks (which stop what a
    command started), then exit 143."""


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit status (errors.ExitStatus), every exception
    mapped here and nowhere else."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv or os.environ.get("OVNPARSE_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]  # (accepted before or after the subcommand)
    old_debug = os.environ.get("OVNPARSE_DEBUG")
    if debug:  # (also for the workers of a run over many inputs, which read it there)
        os.environ["OVNPARSE_DEBUG"] = "1"

    def on_term(signum, frame):
        raise Terminated()

    try:
        old_term = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        old_term = None
    try:
        args = _parser().parse_args(argv)  # (argparse exits 2 itself on a bad argument)
        return args.func(args)
    except OvnparseError as exc:
        print(f"ovnparse: {exc}", file=sys.stderr)
        return status_of(exc)
    except BrokenPipeError:  # (the reader went away: `ovnparse ... | head`)
        _quiet_stdout()
        return ExitStatus.OK
    except KeyboardInterrupt:
        print("ovnparse: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except Terminated:
        print("ovnparse: terminated", file=sys.stderr)
        return ExitStatus.TERMINATED
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            print(f"ovnparse: internal error: {type(exc).__name__}: {_one_line(exc)} (a bug: "
                  "run again with --debug or OVNPARSE_DEBUG=1 for the traceback, and report "
                  "it)", file=sys.stderr)
        return ExitStatus.INTERNAL
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
        if old_debug is None:
            os.environ.pop("OVNPARSE_DEBUG", None)
        else:
            os.environ["OVNPARSE_DEBUG"] = old_debug


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null, so that the interpreter's
    flush at exit does not print an error of its own."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ovnparse", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"ovnparse {__version__}")
    top.add_argument("--debug", action="store_true",
                     help="show the traceback of an internal error")
    sub = top.add_subparsers(required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        add_sources(p)
        p.add_argument("--format", choices=sorted(PARSERS),
                       help="skip detection and read the text as this format")

    p = sub.add_parser("parse", help="print the parsed model as JSON")
    common(p)
    add_run_options(p, PARSE_FORMS)
    p.set_defaults(func=_cmd_parse)

    p = sub.add_parser("explain", help="say what happened to the packet")
    common(p)
    p.add_argument("--json", action="store_true", help="print JSON for scripts "
                   "(--output json)")
    p.add_argument("--expect", choices=VERDICTS,
                   help="exit 1 unless every trace has this verdict")
    p.add_argument("--nb", metavar="DB", help="Northbound database: a saved nb.db file or "
                   "a live remote (unix:PATH, tcp:IP:PORT, ssl:IP:PORT, or a comma list)")
    p.add_argument("--sb", metavar="DB", help="Southbound database: a saved sb.db file, the "
                   "JSON of ovsdb-client dump, ovn-sbctl [--uuid] lflow-list text, or a live "
                   "remote (with --nb: name the dropping ACL and its Kubernetes owner)")
    p.add_argument("--dump-flows", metavar="FILE",
                   help="ovs-ofctl dump-flows br-int text: list the OpenFlow flows of the "
                   "logical flow that dropped (what ovn-trace --ovs shows, offline); auto: "
                   "a sosreport's")
    database_options(p)
    add_run_options(p)
    _replay_options(p)
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("compare", help="two traces of one packet: same verdict, or why not")
    p.add_argument("first", metavar="FILE1", help="e.g. ovn-trace output")
    p.add_argument("second", metavar="FILE2", help="e.g. ofproto/trace or ovn-detrace output")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=_cmd_compare)

    for name, summary in COMMANDS.items():
        module = importlib.import_module(f".commands.{name}", __package__)
        p = sub.add_parser(name, help=summary)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return top


def _cmd_parse(args) -> int:
    from .batch.command import run
    from .batch.run import Work
    return run(args, Work("parse", args.format), args.output or "json", None)


def _cmd_explain(args) -> int:
    from .batch.command import open_run_databases, run
    from .batch.run import Work
    if args.replay:
        return _explain_replayed(args)
    form = args.output or ("json" if args.json else "text")
    spec, dbs = open_run_databases(args, args.nb, args.sb, args.dump_flows,
                                   database_kwargs(args))
    work = Work("explain", args.format, text=form == "text", databases=spec)
    try:
        return run(args, work, form, dbs, args.expect)
    finally:
        if dbs is not None:
            dbs.close()


def _replay_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("--replay (starts ovsdb-server and ovn-trace; replay/whole.py)")
    g.add_argument("--replay", action="store_true",
                   help="replay --minimal/--summary traces with ovn-trace --detailed against "
                   "the saved --sb file: the drop point, flow, ACL and owner they cannot show")
    g.add_argument("--ct", action="append", default=[], metavar="FLAGS",
                   help="with --replay: ovn-trace --ct the trace was made with (its saved "
                   "command's win), repeatable")
    g.add_argument("--lb-dst", metavar="IP[:PORT]",
                   help="with --replay: ovn-trace --lb-dst the trace was made with")
    g.add_argument("--ovn-trace", dest="ovn_trace", default="ovn-trace", metavar="PROGRAM",
                   help="with --replay: the ovn-trace to run")
    g.add_argument("-v", "--verbose", action="store_true",
                   help="with --replay: say on stderr what is started and stopped (pids)")


def _explain_replayed(args) -> int:
    """explain --replay: the short forms made whole (replay/whole.py); one file."""
    import shutil

    from .api import explain, open_databases, parse_text
    from .replay.whole import make_whole, mark
    from .views import text as text_view
    if len(args.files) != 1:
        raise InputError(Problem("--replay", 0, f"{len(args.files)} sources given",
                                 "one trace file (or -) with --replay"))
    args.file = args.files[0]
    if not args.sb or os.path.isdir(args.sb) or not os.path.exists(args.sb):
        raise InputError(Problem(args.sb or "--sb", 0, "--replay needs --sb",
                                 "a saved Southbound database file"))
    if shutil.which(args.ovn_trace) is None:
        print(f"ovnparse: warning: {args.ovn_trace} is not installed: not replayed",
              file=sys.stderr)
        args.replay = False
        return _cmd_explain(args)
    db = None
    if args.sb or args.nb or args.dump_flows:
        db = open_databases(args.nb, args.sb, dump_flows=args.dump_flows,
                            **database_kwargs(args))
    source = "<stdin>" if args.file == "-" else args.file
    text = sys.stdin.read() if args.file == "-" else open(args.file, errors="replace").read()
    traces = parse_text(text, source, args.format)
    explanations = [explain(t, db) for t in traces]
    lines = text.splitlines()
    spans = [lines[max(0, e.lines[0] - 1):e.lines[1]] if e.lines else None
             for e in explanations]
    infos = make_whole(explanations, spans, args.sb, db, ct=args.ct, lb_dst=args.lb_dst,
                       ovn_trace=args.ovn_trace, verbose=args.verbose)
    if args.json:
        json.dump([mark(e.to_dict(), i) for e, i in zip(explanations, infos, strict=True)],
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text_view.render(explanations))
        for e, i in zip(explanations, infos, strict=True):
            if i is not None:
                sys.stdout.write(f"replayed: lines {e.lines[0]}-{e.lines[1]} with "
                                 f"ovn-trace --detailed: {i['microflow']}\n")
    if args.expect and any(e.verdict != args.expect for e in explanations):
        return 1
    return 0


def _cmd_compare(args) -> int:
    """Compares the first trace of each file; exit 1 when the verdicts differ."""
    from .api import compare, parse
    from .views import text as text_view
    firsts = []
    for path in (args.first, args.second):
        trace = next(iter(parse(path)), None)
        if trace is None:
            raise InputError(Problem(path, 0, "no trace", "one trace"))
        firsts.append(trace)
    result = compare(*firsts)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text_view.render_comparison(result))
    return 0 if result.same else 1


if __name__ == "__main__":
    sys.exit(main())
