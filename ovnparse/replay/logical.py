"""Replaying a packet with the real ovn-trace against a saved Southbound file.

Starts a private ovsdb-server on a private file holding the part of the
database the packet's trace needs (ovnparse.db.prune: the datapaths the trace
runs in, grown and served again each time the trace leaves them; the output is
ovn-trace's on the whole database), or with ``whole_db`` on a private copy of
the file (a clustered file is converted to a standalone copy first: a lone
cluster member would wait for its peers), runs the real ``ovn-trace --db
unix:<its socket>`` and stops what it started, by pid, also on errors, Ctrl-C
and SIGTERM.  Every program gets an argv list, never a shell.

One :class:`OvnTraceReplay` serves any number of packets (``ovnparse trace``
by names runs four or five): the saved file is checked and read once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DatabaseError, OvnparseError

if TYPE_CHECKING:
    from ..db.prune import Pruner

FORMS = ("detailed", "summary", "minimal", "all")
SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema"
DEFAULT_TIMEOUT = 60.0

#: what the last replay started, for tests and debugging: {"pids": {name: pid},
#: "workdir": path, "argv": the last ovn-trace argv}
LAST_RUN: dict = {}


class TraceError(OvnparseError):
    """Something the user gave was wrong, or a tool failed: one line for stderr."""

    exit_status = 2


@dataclass(frozen=True)
class Packet:
    """One ovn-trace run: its operands and the options that shape the trace."""

    datapath: str | None
    microflow: str
    form: str = "detailed"
    ct: tuple[str, ...] = ()
    lb_dst: str | None = None
    select_id: str | None = None


@dataclass
class Options:
    """How ovn-trace is run, the same for every packet of one replay."""

    sb: str
    ovn_trace: str = "ovn-trace"
    whole_db: bool = False
    timeout: float = DEFAULT_TIMEOUT
    verbose: bool = False
    no_friendly_names: bool = False


@dataclass
class Result:
    stdout: bytes
    stderr: bytes
    warnings: list[str] = field(default_factory=list)  # ovn-trace's, and version mismatches
    argv: list[str] = field(default_factory=list)


class OvnTraceReplay:
    """``with OvnTraceReplay(Options(sb=...)) as r: r.run(Packet(...))``.

    Entering checks the programs and the file (TraceError, DatabaseError) and
    makes the private directory; leaving removes it.  Each run starts and stops
    its own ovsdb-server(s)."""

    def __init__(self, opts: Options):
        self.opts = opts
        self.workdir: Path | None = None
        self._served: _Served | None = None
        self._pruner: Pruner | None = None

    def __enter__(self) -> OvnTraceReplay:
        check_tools(self.opts.ovn_trace)
        check_db(self.opts.sb, "OVN_Southbound", "--sb")
        tool = tool_version(self.opts.ovn_trace)
        LAST_RUN.clear()
        # our own short workdir (unix socket paths are limited to ~107 bytes), so
        # that a daemon started but not yet recorded when a signal arrives is still
        # found by its pidfile and stopped
        self.workdir = Path(tempfile.mkdtemp(prefix="ovntr-"))
        LAST_RUN["workdir"] = str(self.workdir)
        self._served = _Served(self.opts, self.workdir, tool)
        return self

    def __exit__(self, *exc) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def run(self, packet: Packet) -> Result:
        assert self._served is not None, "use OvnTraceReplay as a context manager"
        served = self._served
        tail = trace_options(packet, self.opts)
        if self.opts.whole_db:
            stdout, stderr = served.trace(self.opts.sb, [f"--{packet.form}"], tail)
        else:
            stdout, stderr = self._pruned(packet, tail)
        warnings = list(served.warnings or [])
        # (on a part of the database ovn-trace parses only the flows of the datapaths
        # the trace ran in: so many of their matches it could not parse)
        warnings += stderr_warnings(stderr, "" if self.opts.whole_db
                                    else " of the datapaths the trace ran in")
        return Result(stdout, stderr, warnings, list(LAST_RUN.get("argv", [])))

    def _pruned(self, packet: Packet, tail: list[str]) -> tuple[bytes, bytes]:
        """ovn-trace on private copies holding only the datapaths the trace runs in
        (ovnparse.db.prune); the same output as on the whole database."""
        from ..db import OvsdbFileError
        from ..db.prune import Pruner, replay
        opts, served = self.opts, self._served
        assert served is not None and self.workdir is not None
        t0 = time.monotonic()
        if self._pruner is None:
            try:
                self._pruner = Pruner.from_file(opts.sb,
                                                friendly_names=not opts.no_friendly_names)
            except OvsdbFileError as exc:  # (a database that cannot be read: exit status 3)
                raise DatabaseError(exc.source, f"{exc.message} (--whole-db serves the file "
                                    "as it is)") from None
            except (OSError, ValueError) as exc:
                raise DatabaseError(opts.sb, f"cannot read: {exc} (--whole-db serves the file "
                                    "as it is)") from None
            if opts.verbose:
                print(f"ovnparse: read {opts.sb} ({time.monotonic() - t0:.2f} s)",
                      file=sys.stderr)
        pruner = self._pruner
        workdir = self.workdir

        def run(subset, forms):
            path = workdir / f"sb-part{served.runs + 1}.db"
            size = pruner.write(subset, path, opts.sb)
            if opts.verbose:
                names = sorted(pruner.friendly_name(d) for d in subset.datapaths)
                print(f"ovnparse: serving {len(subset.datapaths)} of {len(pruner.dps)} "
                      f"datapaths ({', '.join(names)}): "
                      f"{subset.counts.get('Logical_Flow', 0)} of {len(pruner.flows)} "
                      f"logical flows, {size / 1e6:.1f} MB ({time.monotonic() - t0:.2f} s)",
                      file=sys.stderr)
            # (every empty Logical_Flow row of the copy makes ovn-trace warn; to syslog
            # too, by default, which costs a second per 100k rows)
            try:
                out = served.trace(path, forms, tail, ("-vsyslog:off",))
            finally:
                path.unlink()  # (the server served a copy of it)
            if opts.verbose:
                print(f"ovnparse: ovn-trace done ({time.monotonic() - t0:.2f} s)",
                      file=sys.stderr)
            return out

        result = replay(pruner, packet.datapath, packet.microflow, packet.form, run,
                        packet.lb_dst)
        return result.stdout, result.stderr


def trace_options(packet: Packet, opts: Options) -> list[str]:
    """ovn-trace's options and operands, each one argv item (values joined with '='),
    the form first."""
    tail = [f"--{packet.form}"]
    tail += [f"--ct={c}" for c in packet.ct]
    if packet.lb_dst is not None:
        tail.append(f"--lb-dst={packet.lb_dst}")
    if packet.select_id is not None:
        tail.append(f"--select-id={packet.select_id}")
    if opts.no_friendly_names:
        tail.append("--no-friendly-names")
    tail.append("--")  # a datapath or microflow starting with '-' is not an option
    if packet.datapath is not None:
        tail.append(packet.datapath)
    tail.append(packet.microflow)
    return tail





class _Served:
    """Serves a database file with a private ovsdb-server, runs ovn-trace on it, stops
    the server (by pid, also on errors and signals); once per file."""

    def __init__(self, opts: Options, workdir: Path, tool: dict):
        self.opts = opts
        self.workdir = workdir
        self.tool = tool
        self.warnings: list[str] | None = None
        self.runs = 0
        LAST_RUN["pids"] = {}
        if opts.verbose:
            print(f"ovnparse: private directory {workdir}", file=sys.stderr)

    def trace(self, sb_file, forms: list[str], argv_tail: list[str],
              extra: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        """ovn-trace with *forms*, then *argv_tail* without its own form (its first item)."""
        from ..sandbox import OvnSandbox, SandboxError  # late: only replays need it
        opts = self.opts
        self.runs += 1
        tag = "" if self.runs == 1 else str(self.runs)
        boxdir = self.workdir / f"s{self.runs}"
        what = "a copy of it" if sb_file == opts.sb else "a part of it"
        box = OvnSandbox(boxdir, sb_db=sb_file, northd=False, controller=False,
                         vswitchd=False, ovs_db=False, timeout=30.0)
        try:
            try:
                box.start()
            except SandboxError as exc:
                raise TraceError(f"{opts.sb}: ovsdb-server could not serve {what}: "
                                 f"{_first_line(exc)}") from None
            finally:
                LAST_RUN["pids"].update({f"{n}{tag}": p for n, p in box.started_pids.items()})
            if opts.verbose:
                for name, pid in box.started_pids.items():
                    print(f"ovnparse: started ovsdb-server ({name}) pid {pid}",
                          file=sys.stderr)
            if self.warnings is None:
                self.warnings = _version_warnings(self.tool, _served_version(box), opts.sb)
                for w in self.warnings:
                    print(f"ovnparse: warning: {w}", file=sys.stderr)
            argv = [opts.ovn_trace, f"--db={box.sb_remote}", *extra, *forms, *argv_tail[1:]]
            LAST_RUN["argv"] = argv
            stdout, stderr = _run_trace(argv, box.env, opts.timeout)
            _check_output(stdout, stderr, opts, box)
        finally:
            _stop(box, boxdir, opts.verbose)
        return stdout, stderr


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _unblock_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _run_trace(argv: list[str], env: dict, timeout: float) -> tuple[bytes, bytes]:
    """Run *argv* to its end; killed (and waited for) whatever interrupts us.

    Ctrl-C and SIGTERM are held back while the child is being started: one
    arriving after the fork but before Popen returned would leave a child nobody
    knows of (subprocess.run kills its child only once it has it).  The child
    starts with them unblocked."""
    proc = None
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env,
                                    preexec_fn=_unblock_stop_signals)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)  # (a held signal fires here)
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TraceError(f"{argv[0]} did not finish within {timeout:g} s "
                         "(raise --timeout)") from None
    except OSError as exc:
        raise TraceError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise TraceError(_failure(argv[0], proc.returncode, stderr))
    return stdout, stderr


def _failure(program: str, status: int, stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    own = [ln for ln in lines if not _LOG_LINE.match(ln)]
    warns = [m.group(2) for ln in lines if (m := _LOG_LINE.match(ln))]
    warns = [w for w in warns if "parsing expression failed" not in w]
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        what = f"{program} crashed ({name})"
    else:
        what = f"{program} exited with status {status}"
    detail = own[-1] if own else ""
    if detail.startswith(os.path.basename(program) + ": "):
        detail = detail[len(os.path.basename(program)) + 2:]
    msg = what + (f": {detail}" if detail else "")
    if warns:
        msg += " (it warned: " + "; ".join(warns[-3:]) + ")"
    return msg


# "2026-11-26T11:37:01Z|00013|ovntrace|WARN|nosuch: unknown logical port"
_LOG_LINE = re.compile(r"^\S+\|\d+\|\S+\|(EMER|ERR|WARN|INFO|DBG)\|(.*)$")


def _check_output(stdout: bytes, stderr: bytes, opts: Options, box) -> None:
    """ovn-trace exits 0 after a wrong datapath or microflow: read its one line."""
    text = stdout.decode("utf-8", "replace")
    first = text.split("\n", 1)[0].strip()
    if not text.strip():
        warns = [m.group(2) for m in map(_LOG_LINE.match, stderr.decode("utf-8", "replace")
                                         .splitlines()) if m]
        warns = [w for w in warns if "parsing expression failed" not in w]
        raise TraceError("ovn-trace printed nothing" + (f": {warns[-1]}" if warns else ""))
    if first.startswith("unknown datapath"):
        known = _datapath_names(box)
        raise TraceError(f"{first} in {opts.sb}"
                         + (f" (it has: {', '.join(known)})" if known else ""))
    if first.startswith("error parsing flow:"):
        reason = first[len("error parsing flow:"):].strip()
        raise TraceError(f"ovn-trace rejected the microflow: {reason}")


def _datapath_names(box) -> list[str]:
    try:
        out = box.sbctl("--bare", "--columns=external_ids", "list", "Datapath_Binding")
    except Exception:
        return []
    names = re.findall(r'(?:^|[ ,{])name="?([^",}\s]+)', out)
    return sorted(set(names))


def stderr_warnings(stderr: bytes, scope: str = "") -> list[str]:
    """What ovn-trace logged on a successful run: the logical flows it left out because
    it cannot parse their match (counted), and any other warning or error (as is)."""
    bad, other = [], []
    for ln in stderr.decode("utf-8", "replace").splitlines():
        m = _LOG_LINE.match(ln)
        if m is None:
            if ln.strip():
                other.append(ln.strip())
        elif "parsing expression failed" in m.group(2):
            bad.append(m.group(2))
        elif m.group(1) in ("EMER", "ERR", "WARN"):
            other.append(m.group(2))
    out = []
    if bad:
        out.append(f"ovn-trace could not parse {len(bad)} logical flow match(es){scope} and "
                   f"left them out of the trace (first: {bad[0][:160]})")
    out += [f"ovn-trace: {w}" for w in dict.fromkeys(other)]
    return out


# ------------------------------------------------------------ tools and versions
def check_tools(program: str) -> None:
    from ..sandbox import REQUIRED_TOOLS, missing_tools
    needed = [t for t in REQUIRED_TOOLS
              if t not in ("ovs-vsctl", "ovs-vswitchd", "ovn-northd", "ovn-controller",
                           "ovn-trace")]
    missing = missing_tools(needed)
    if shutil.which(program) is None:
        missing.insert(0, program)
    if missing:
        raise TraceError("missing OVN/OVS programs or schemas: " + ", ".join(missing)
                         + " (Debian: tools/install-ovn-packages)")


def check_db(path: str, want: str, option: str) -> None:
    """The file exists and ovsdb-tool reads a *want* database from it (read-only)."""
    if not os.path.exists(path):
        hint = ""
        if re.match(r"^(unix|tcp|ssl):", path):
            hint = "; for a live database run ovn-trace --db itself, then ovnparse explain"
        raise DatabaseError(path, f"no such file ({option} wants a saved database file{hint})")
    if os.path.isdir(path):
        raise DatabaseError(path, f"is a directory ({option} wants a saved database file)")
    try:
        proc = subprocess.run(["ovsdb-tool", "db-name", path], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatabaseError(path, f"ovsdb-tool db-name failed: {exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = err[-1] if err else f"status {proc.returncode}"
        detail = re.sub(r"^ovsdb-tool: ", "", detail)
        raise DatabaseError(path, f"not a readable OVSDB database file ({detail})")
    name = proc.stdout.decode("utf-8", "replace").strip()
    if name != want:
        raise DatabaseError(path, f"holds the {name or 'unnamed'} database, not {want} "
                                  f"({option})")


def tool_version(program: str) -> dict:
    """{"ovn": "23.03.1", "schema": "20.27.0", "schema_from": where} of the ovn-trace to run."""
    info: dict[str, str | None] = {"ovn": None, "schema": None, "schema_from": None}
    try:
        out = subprocess.run([program, "--version"], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=30).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    m = re.search(r"^ovn-trace\s+\(?\S*?\)?\s*(\d[\w.+~-]*)", out, re.M)
    if m:
        info["ovn"] = m.group(1)
    m = re.search(r"^(?:SB )?DB Schema\s+(\d+\.\d+\.\d+)", out, re.M)
    if m:
        info["schema"], info["schema_from"] = m.group(1), f"{program} --version"
    else:
        try:
            with open(SB_SCHEMA) as f:
                info["schema"] = json.load(f).get("version")
            info["schema_from"] = SB_SCHEMA
        except (OSError, ValueError):
            pass
    return info


def _served_version(box) -> str | None:
    try:
        return box.run(["ovsdb-client", "get-schema-version", box.sb_remote,
                        "OVN_Southbound"]).strip() or None
    except Exception:
        return None


def _vtuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def _version_warnings(tool: dict, db_version: str | None, path: str) -> list[str]:
    if not db_version or not tool["schema"]:
        return []
    if _vtuple(db_version) > _vtuple(tool["schema"]):
        who = f"ovn-trace {tool['ovn']}" if tool["ovn"] else "the local ovn-trace"
        return [f"{path} has Southbound schema {db_version}, newer than the "
                f"{tool['schema']} of {who} ({tool['schema_from']}): it may not know "
                "newer columns, actions and stages, so the trace can differ from what "
                "the cluster does"]
    return []


# ---------------------------------------------------------------------- stopping
def _stop(box, workdir: Path, verbose: bool) -> None:
    """Stop the sandbox's daemons, then any daemon whose pidfile is in *workdir*
    (one started while a signal arrived, before the sandbox recorded it)."""
    from ..sandbox import SandboxError, _cmdline, _pid_alive
    # a second Ctrl-C must not leave daemons behind
    old_int = _ignore(signal.SIGINT)
    old_term = _ignore(signal.SIGTERM)
    try:
        try:
            box.stop()
        except SandboxError as exc:
            print(f"ovnparse: warning: {exc}", file=sys.stderr)
        for pidfile in sorted((workdir / "run").glob("*.pid")):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            if _pid_alive(pid) and any(str(pidfile) in a for a in _cmdline(pid)):
                _kill(pid)
        if verbose:
            for name, pid in box.started_pids.items():
                state = "still running!" if _pid_alive(pid) else "stopped"
                print(f"ovnparse: {state} ovsdb-server ({name}) pid {pid}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    finally:
        _restore(signal.SIGINT, old_int)
        _restore(signal.SIGTERM, old_term)


def _kill(pid: int) -> None:
    from ..sandbox import _pid_alive
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.02)


def _ignore(sig):
    try:
        return signal.signal(sig, signal.SIG_IGN)
    except ValueError:
        return None


def _restore(sig, old) -> None:
    if old is not None:
        try:
            signal.signal(sig, old)
        except ValueError:
            pass


def _first_line(exc: Exception) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    # the sandbox puts the daemon's log tail after its own message: the most
    # telling line is the last error the daemon or tool printed
    errs = [ln for ln in lines[1:] if "|ERR|" in ln or "|EMER|" in ln or "error" in ln.lower()]
    text = lines[0] if lines else "unknown error"
    if errs:
        m = _LOG_LINE.match(errs[-1])
        text += ": " + (m.group(2) if m else errs[-1])
    return text
