"""A private, throw-away OVN + Open vSwitch stack on one machine.

This is the Python counterpart of the ``tutorial/ovs-sandbox`` scripts that
ship with Open vSwitch and OVN: every daemon runs from a private directory,
talks over unix sockets only, and uses the *dummy* (userspace) datapath, so no
kernel module, no root-owned paths and no TCP listener is involved.

Layout of the private directory::

    <workdir>/run   sockets, pidfiles, unixctl control sockets, br-int.mgmt
    <workdir>/db    conf.db (Open_vSwitch), nb.db, sb.db
    <workdir>/log   one log file per daemon
    <workdir>/etc   OVS_SYSCONFDIR / OVN_SYSCONFDIR (normally empty)

Typical use::

    with OvnSandbox() as sb:
        sb.nbctl("ls-add", "sw0")
        sb.wait_controller()
        print(sb.run(["ovn-trace", "--db", sb.sb_remote, "sw0", "inport == ..."]))

Only the standard library is used.  Daemons are stopped by the pids found in
the sandbox's own pidfiles (never by process name) and the sandbox waits for
each of them to exit.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "OvnSandbox",
    "SandboxError",
    "SandboxCommandError",
    "missing_tools",
    "REQUIRED_TOOLS",
]

OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema"
SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema"

REQUIRED_TOOLS = (
    "ovsdb-tool",
    "ovsdb-server",
    "ovsdb-client",
    "ovs-vsctl",
    "ovs-appctl",
    "ovs-vswitchd",
    "ovn-nbctl",
    "ovn-sbctl",
    "ovn-northd",
    "ovn-controller",
    "ovn-trace",
)

#: feature flags a 23.03 ovn-controller writes into Chassis:other_config; a
#: fake chassis has to advertise them too or northd disables the features
FAKE_CHASSIS_FEATURES = ("ct-no-masked-label", "ovn-ct-lb-related",
                         "mac-binding-timestamp", "port-up-notif")

#: default timeout (seconds) of one command run through the sandbox
DEFAULT_TIMEOUT = 60.0


# daemons without a --unixctl option (ovn-controller 23.03): their control
# socket is found from the pid, the way ovs-appctl/ovn-appctl -t NAME do.
_NO_UNIXCTL_OPTION = frozenset({"ovn-controller"})


class SandboxError(RuntimeError):
    """The sandbox could not be set up, or a daemon misbehaved."""


class SandboxCommandError(SandboxError):
    """A command run inside the sandbox failed; carries argv, status and stderr."""

    def __init__(self, argv: Sequence[str], returncode: int | None,
                 stdout: bytes = b"", stderr: bytes = b"", note: str = ""):
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        err = stderr.decode("utf-8", "replace").strip()
        status = "timed out" if returncode is None else f"exited with status {returncode}"
        msg = f"command {self.argv!r} {status}"
        if note:
            msg += f" ({note})"
        if err:
            msg += ":\n" + err
        super().__init__(msg)


def missing_tools(tools: Iterable[str] = REQUIRED_TOOLS) -> list[str]:
    """Names of the OVS/OVN programs (and schema files) that cannot be found."""
    missing = [t for t in tools if shutil.which(t) is None]
    for schema in (OVS_SCHEMA, NB_SCHEMA, SB_SCHEMA):
        if not os.path.exists(schema):
            missing.append(schema)
    return missing


def _pid_alive(pid: int) -> bool:
    """True while *pid* exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        # state is the first field after the ")" closing the command name
        state = stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3]
        return state not in (b"Z", b"X")
    except (OSError, ValueError):
        return True


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


class _Daemon:
    """Book-keeping for one daemon the sandbox started."""

    def __init__(self, name: str, program: str, pidfile: Path, ctl: Path, log: Path):
        self.name = name
        self.program = program
        self.pidfile = pidfile
        self.ctl = ctl
        self.log = log
        self.pid: int | None = None

    def read_pid(self) -> int | None:
        try:
            text = self.pidfile.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def is_ours(self, pid: int) -> bool:
        """The process *pid* is our daemon (guards against pid reuse)."""
        argv = _cmdline(pid)
        if not argv:
            return _pid_alive(pid)
        prog = os.path.basename(argv[0])
        # ovs daemons rewrite argv[0] to e.g. "ovs-vswitchd: monitoring pid ..."
        # only with --monitor, which the sandbox never uses.
        return prog.startswith(self.program) and any(str(self.pidfile) in a for a in argv)


class OvnSandbox:
    """Run ovsdb-server (OVS, NB, SB), ovn-northd, ovs-vswitchd and ovn-controller privately.

    Parameters
    ----------
    workdir:
        Directory to run in.  ``None`` creates a temporary directory which is
        removed again by :meth:`stop`; an explicit directory is kept.
    northd, controller, vswitchd:
        Which daemons to start besides the three ovsdb-servers.
        ``controller=True`` needs ``vswitchd=True``.
    system_id, hostname, encap_ip, encap_type:
        The identity of the sandbox's chassis (``external_ids`` of the
        ``Open_vSwitch`` row read by ovn-controller).
    nb_db, sb_db:
        Optional existing database files served (as private copies) instead
        of fresh, empty ones.
    """

    def __init__(self, workdir: str | os.PathLike | None = None, *,
                 northd: bool = True, controller: bool = True, vswitchd: bool = True,
                 ovs_db: bool = True,
                 system_id: str = "chassis-1", hostname: str = "sandbox",
                 encap_ip: str = "127.0.0.1", encap_type: str = "geneve",
                 nb_db: str | os.PathLike | None = None,
                 sb_db: str | os.PathLike | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        if controller and not vswitchd:
            raise ValueError("ovn-controller needs ovs-vswitchd (vswitchd=True)")
        if vswitchd and not ovs_db:
            raise ValueError("ovs-vswitchd needs the Open_vSwitch database (ovs_db=True)")
        self._own_workdir = workdir is None
        self._workdir_arg = workdir
        self.workdir: Path | None = None
        self.northd = northd
        self.controller = controller
        self.vswitchd = vswitchd
        self.ovs_db = ovs_db
        self.system_id = system_id
        self.hostname = hostname
        self.encap_ip = encap_ip
        self.encap_type = encap_type
        self.timeout = timeout
        self._nb_source = Path(nb_db) if nb_db else None
        self._sb_source = Path(sb_db) if sb_db else None
        self._daemons: dict[str, _Daemon] = {}
        self._started: list[_Daemon] = []
        self._history: dict[str, int] = {}
        self._running = False
        self._atexit_registered = False

    # ------------------------------------------------------------------ paths
    @classmethod
    def serve_files(cls, nb: str | os.PathLike | None = None,
                    sb: str | os.PathLike | None = None,
                    workdir: str | os.PathLike | None = None, **kwargs) -> OvnSandbox:
        """A started sandbox serving private copies of existing NB/SB database files.

        Only the ovsdb-servers run (no northd, vswitchd or controller), so the
        copies keep exactly the content of the files: use ``nb_remote`` /
        ``sb_remote`` with ovn-trace, ovn-nbctl, ovn-detrace, ovsdbapp...
        Writes go to the copies, never to the original files.  Clustered
        databases are converted to standalone copies first.
        """
        kwargs.setdefault("northd", False)
        kwargs.setdefault("controller", False)
        kwargs.setdefault("vswitchd", False)
        kwargs.setdefault("ovs_db", False)
        box = cls(workdir, nb_db=nb, sb_db=sb, **kwargs)
        box.start()
        return box

    def _p(self, *parts: str) -> Path:
        if self.workdir is None:
            raise SandboxError("sandbox not started")
        return self.workdir.joinpath(*parts)

    @property
    def rundir(self) -> Path:
        return self._p("run")

    @property
    def dbdir(self) -> Path:
        return self._p("db")

    @property
    def logdir(self) -> Path:
        return self._p("log")

    @property
    def ovs_db_path(self) -> Path:
        return self._p("db", "conf.db")

    @property
    def nb_db_path(self) -> Path:
        return self._p("db", "nb.db")

    @property
    def sb_db_path(self) -> Path:
        return self._p("db", "sb.db")

    @property
    def ovs_sock(self) -> Path:
        return self._p("run", "db.sock")

    @property
    def ovs_remote(self) -> str:
        return f"unix:{self.ovs_sock}"

    @property
    def nb_remote(self) -> str:
        return f"unix:{self._p('run', 'nb.sock')}"

    @property
    def sb_remote(self) -> str:
        return f"unix:{self._p('run', 'sb.sock')}"

    def bridge_mgmt(self, bridge: str = "br-int") -> str:
        """OpenFlow management socket of *bridge*, as a remote (``ovn-trace --ovs=``)."""
        return f"unix:{self._p('run', bridge + '.mgmt')}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses: every OVS/OVN directory points into the sandbox."""
        env = dict(os.environ)
        for var in list(env):
            if var.startswith(("OVS_", "OVN_")):
                del env[var]
        run, db, log, etc = (str(self._p(d)) for d in ("run", "db", "log", "etc"))
        env.update({
            "OVS_RUNDIR": run, "OVS_DBDIR": db, "OVS_LOGDIR": log, "OVS_SYSCONFDIR": etc,
            "OVN_RUNDIR": run, "OVN_DBDIR": db, "OVN_LOGDIR": log, "OVN_SYSCONFDIR": etc,
            "OVN_NB_DB": self.nb_remote, "OVN_SB_DB": self.sb_remote,
        })
        if self.ovs_db:
            env["DB_SOCK"] = str(self.ovs_sock)
        return env

    @property
    def pids(self) -> dict[str, int]:
        """Pids of the daemons this sandbox runs, by daemon name (empty once stopped)."""
        return {d.name: d.pid for d in self._started if d.pid is not None}

    @property
    def started_pids(self) -> dict[str, int]:
        """Every daemon pid this sandbox ever started (kept after :meth:`stop`)."""
        return dict(self._history)

    @property
    def running(self) -> bool:
        return self._running

    # ------------------------------------------------------------- commands
    def run(self, argv: Sequence[str], input: str | bytes | None = None, *,
            check: bool = True, timeout: float | None = None,
            binary: bool = False) -> str | bytes:
        """Run *argv* (a list, never a shell) with the sandbox environment.

        Returns stdout (``str``, decoded without newline translation, or
        ``bytes`` with ``binary=True``).  Raises :class:`SandboxCommandError`
        with the command's stderr when it fails and *check* is true.
        """
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv must be a sequence of arguments, not a string")
        argv = [os.fspath(a) for a in argv]
        if isinstance(input, str):
            input = input.encode()
        timeout = self.timeout if timeout is None else timeout
        try:
            proc = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=self.env,
                                  cwd=str(self.workdir) if self.workdir and self.workdir.is_dir()
                                  else None,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as e:
            raise SandboxCommandError(argv, None, e.stdout or b"", e.stderr or b"",
                                      note=f"after {timeout}s") from None
        except FileNotFoundError as e:
            raise SandboxCommandError(argv, 127, b"", str(e).encode(),
                                      note="program not found") from None
        self.last_stderr = proc.stderr
        if check and proc.returncode != 0:
            raise SandboxCommandError(argv, proc.returncode, proc.stdout, proc.stderr)
        if binary:
            return proc.stdout
        return proc.stdout.decode("utf-8", "surrogateescape")

    def nbctl(self, *args: str, timeout: float | None = None) -> str:
        """``ovn-nbctl --db=<nb> ARGS`` → stdout."""
        return self.run(["ovn-nbctl", f"--db={self.nb_remote}",
                         f"--timeout={int(timeout or self.timeout)}", *args], timeout=timeout)

    def sbctl(self, *args: str, timeout: float | None = None) -> str:
        """``ovn-sbctl --db=<sb> ARGS`` → stdout."""
        return self.run(["ovn-sbctl", f"--db={self.sb_remote}",
                         f"--timeout={int(timeout or self.timeout)}", *args], timeout=timeout)

    def vsctl(self, *args: str, timeout: float | None = None) -> str:
        """``ovs-vsctl --db=<conf.db socket> ARGS`` → stdout.

        Without a running ovs-vswitchd pass ``--no-wait`` yourself.
        """
        self._need_ovs_db()
        return self.run(["ovs-vsctl", f"--db={self.ovs_remote}",
                         f"--timeout={int(timeout or self.timeout)}", *args], timeout=timeout)

    def ofctl(self, *args: str, timeout: float | None = None) -> str:
        """``ovs-ofctl ARGS`` (bridges are reached through their .mgmt sockets)."""
        return self.run(["ovs-ofctl", *args], timeout=timeout)

    def ctl_path(self, target: str) -> Path:
        """The unixctl socket of a daemon started by the sandbox.

        *target* is a daemon name (``ovs-vswitchd``, ``ovn-controller``,
        ``ovn-northd``, ``ovsdb-server`` (Open_vSwitch), ``nb``, ``sb``) or a path.
        """
        aliases = {"ovsdb-server-nb": "nb", "ovsdb-server-sb": "sb",
                   "ovsdb-server-ovs": "ovsdb-server", "ovs": "ovsdb-server",
                   "northd": "ovn-northd", "controller": "ovn-controller",
                   "vswitchd": "ovs-vswitchd"}
        name = aliases.get(target, target)
        if name in self._daemons:
            return self._daemons[name].ctl
        if "/" in target:
            return Path(target)
        raise SandboxError(f"unknown appctl target {target!r}; known: {sorted(self._daemons)}")

    def appctl(self, target: str, *args: str, timeout: float | None = None) -> str:
        """``ovs-appctl -t <target's control socket> ARGS`` → stdout."""
        return self.run(["ovs-appctl", "-t", str(self.ctl_path(target)),
                         f"--timeout={int(timeout or self.timeout)}", *args], timeout=timeout)

    def wait_northd(self, timeout: float | None = None) -> None:
        """Block until ovn-northd has written the current NB contents into the SB."""
        self.nbctl("--wait=sb", "sync", timeout=timeout)

    def wait_controller(self, timeout: float | None = None) -> None:
        """Block until every (real) ovn-controller has caught up with the NB contents."""
        self.nbctl("--wait=hv", "sync", timeout=timeout)

    # ------------------------------------------------------- chassis helpers
    def add_vif(self, iface: str, iface_id: str, *, ofport: int | None = None,
                bridge: str = "br-int", mac: str | None = None,
                external_ids: Mapping[str, str] | None = None) -> int:
        """Plug a (dummy) interface into *bridge* bound to logical port *iface_id*.

        Returns the interface's OpenFlow port number.
        """
        args = ["--may-exist", "add-port", bridge, iface, "--", "set", "Interface", iface,
                f'external_ids:iface-id="{iface_id}"']
        for k, v in (external_ids or {}).items():
            args.append(f'external_ids:{k}="{v}"')
        if ofport is not None:
            args.append(f"ofport_request={ofport}")
        if mac is not None:
            args.append(f'external_ids:attached-mac="{mac}"')
        self.vsctl(*args)
        return self.ofport(iface, expect=ofport)

    def ofport(self, iface: str, *, expect: int | None = None, timeout: float = 5.0) -> int:
        """OpenFlow port number of *iface* once ovs-vswitchd assigned it (*expect* if given)."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.vsctl("get", "Interface", iface, "ofport").strip()
            value = int(out) if out.lstrip("-").isdigit() else -1
            if value > 0 and (expect is None or value == expect):
                return value
            if time.monotonic() > deadline:
                raise SandboxError(f"interface {iface} has ofport {out}, expected {expect or 'one'}")
            time.sleep(0.02)

    def add_underlay(self, bridge: str, ip_cidr: str, *,
                     neighbors: Mapping[str, str] | None = None,
                     ports: Sequence[str] = ()) -> None:
        """Give the dummy datapath an underlay for tunnels: bridge + IP + route + neighbours.

        ``ovs-vswitchd`` runs with ``--disable-system-route``, so geneve output
        (userspace "native" tunnelling) needs a route and neighbour entries.
        """
        self.vsctl("--may-exist", "add-br", bridge)
        for port in ports:
            self.vsctl("--may-exist", "add-port", bridge, port)
        family = "6" if ":" in ip_cidr else "4"
        self.appctl("ovs-vswitchd", f"netdev-dummy/ip{family}addr", bridge, ip_cidr)
        net = _network_of(ip_cidr)
        self.appctl("ovs-vswitchd", "ovs/route/add", net, bridge)
        for ip, mac in (neighbors or {}).items():
            self.appctl("ovs-vswitchd", "tnl/neigh/set", bridge, ip, mac)

    def add_fake_chassis(self, name: str, encap_ip: str, *, hostname: str | None = None,
                         encap_type: str = "geneve", features: bool = True) -> None:
        """Register a chassis in the SB that no ovn-controller runs for (as OVN's tests do).

        With *features* the chassis advertises the same feature flags as a
        real ovn-controller of this version; without them ovn-northd falls
        back to the old ``ct_lb``/``ct_label`` flows for the whole cluster.
        """
        args = ["--", "chassis-add", name, encap_type, encap_ip]
        if hostname:
            args += ["--", "set", "Chassis", name, f'hostname="{hostname}"']
        if features:
            args += ["--", "set", "Chassis", name,
                     *(f'other_config:{k}="true"' for k in FAKE_CHASSIS_FEATURES)]
        self.sbctl(*args)

    # ------------------------------------------------------------ snapshots
    def snapshot(self, dest_dir: str | os.PathLike, *, ovs: bool = False) -> dict[str, Path]:
        """Write consistent, compacted, standalone copies of nb.db and sb.db to *dest_dir*.

        Uses ``ovsdb-client backup`` (one transaction-consistent record per
        database) and checks each file with ``ovsdb-tool db-is-standalone``.
        With ``ovs=True`` the Open_vSwitch ``conf.db`` is saved too.
        """
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        todo = [("nb", self.nb_remote, "OVN_Northbound"), ("sb", self.sb_remote, "OVN_Southbound")]
        if ovs:
            self._need_ovs_db()
            todo.append(("conf", self.ovs_remote, "Open_vSwitch"))
        out: dict[str, Path] = {}
        scratch = Path(tempfile.mkdtemp(prefix="snap-", dir=self._p("db")))
        try:
            for name, remote, dbname in todo:
                data = self.run(["ovsdb-client", "backup", remote, dbname], binary=True)
                tmp = scratch / f"{name}.db"
                tmp.write_bytes(data)
                # normalise: a compacted standalone file, exactly one record
                self.run(["ovsdb-tool", "compact", str(tmp)])
                self.run(["ovsdb-tool", "db-is-standalone", str(tmp)])
                final = dest / f"{name}.db"
                shutil.copyfile(tmp, final)
                out[name] = final
        finally:
            # ovsdb-tool leaves lock files beside the files it touched
            shutil.rmtree(scratch, ignore_errors=True)
        return out

    # ----------------------------------------------------------- lifecycle
    def __enter__(self) -> OvnSandbox:
        if not self._running:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> OvnSandbox:
        """Create the databases and start the daemons; returns self."""
        if self._running:
            raise SandboxError("sandbox already started")
        missing = missing_tools([t for t in REQUIRED_TOOLS
                                 if self._needs_tool(t)])
        if missing:
            raise SandboxError("missing OVS/OVN programs or schemas: " + ", ".join(missing))
        if self._own_workdir:
            # keep it short: unix socket paths are limited to ~107 bytes
            self.workdir = Path(tempfile.mkdtemp(prefix="ovnsb-"))
        else:
            self.workdir = Path(self._workdir_arg).resolve()
            self.workdir.mkdir(parents=True, exist_ok=True)
        for d in ("run", "db", "log", "etc"):
            self._p(d).mkdir(exist_ok=True)
        for d in ("ovsdb-server", "nb", "sb", "ovs-vswitchd", "ovn-northd", "ovn-controller"):
            prog = "ovsdb-server" if d in ("nb", "sb") else d
            base = {"nb": "ovsdb-server-nb", "sb": "ovsdb-server-sb"}.get(d, d)
            self._daemons[d] = _Daemon(d, prog, self._p("run", base + ".pid"),
                                       self._p("run", base + ".ctl"),
                                       self._p("log", base + ".log"))
        self._running = True
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self._start_databases()
            if self.ovs_db:
                self._init_ovs()
            self.nbctl("init")
            self.sbctl("init")
            if self.vswitchd:
                self._start_vswitchd()
            if self.northd:
                self._start_daemon("ovn-northd", [
                    f"--ovnnb-db={self.nb_remote}", f"--ovnsb-db={self.sb_remote}"])
            if self.controller:
                self._start_daemon("ovn-controller", [self.ovs_remote])
                self._wait_chassis()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every daemon this sandbox started (by its pidfile's pid) and wait for it.

        Safe to call more than once.  A temporary workdir is removed afterwards.
        """
        if self._atexit_registered:
            try:
                atexit.unregister(self.stop)
            except Exception:  # pragma: no cover
                pass
            self._atexit_registered = False
        errors = []
        for d in reversed(self._started):
            try:
                self._stop_daemon(d, timeout)
            except SandboxError as e:
                errors.append(str(e))
        self._started = []
        was_running, self._running = self._running, False
        if was_running and self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise SandboxError("; ".join(errors))

    # ------------------------------------------------------------- helpers
    def _needs_tool(self, tool: str) -> bool:
        if tool in ("ovs-vsctl",):
            return self.ovs_db
        if tool == "ovs-vswitchd":
            return self.vswitchd
        if tool == "ovn-northd":
            return self.northd
        if tool == "ovn-controller":
            return self.controller
        return True

    def _need_ovs_db(self) -> None:
        if not self.ovs_db:
            raise SandboxError("this sandbox runs no Open_vSwitch database")

    def _daemon_args(self, d: _Daemon) -> list[str]:
        args = ["--detach", "--no-chdir", f"--pidfile={d.pidfile}",
                f"--log-file={d.log}", "-vconsole:off", "-vsyslog:off", "-vfile:info"]
        if d.name not in _NO_UNIXCTL_OPTION:
            args.append(f"--unixctl={d.ctl}")
        return args

    def _start_daemon(self, name: str, extra: list[str]) -> int:
        d = self._daemons[name]
        argv = [d.program, *self._daemon_args(d), *extra]
        try:
            self.run(argv, timeout=30)
        except SandboxCommandError as e:
            # --detach returns only once the daemon is ready; show its log on failure
            raise SandboxError(f"{name} failed to start: {e}\n{self._log_tail(d)}") from None
        pid = d.read_pid()
        if pid is None:
            raise SandboxError(f"{name} started but wrote no pidfile {d.pidfile}")
        d.pid = pid
        if d.name in _NO_UNIXCTL_OPTION:
            # the daemon's default: $OVN_RUNDIR/<program>.<pid>.ctl
            d.ctl = self._p("run", f"{d.program}.{pid}.ctl")
        self._started.append(d)
        self._history[name] = pid
        return pid

    def _log_tail(self, d: _Daemon, lines: int = 15) -> str:
        try:
            return "".join(d.log.read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""

    def _prepare_db(self, target: Path, schema: str, source: Path | None) -> None:
        if source is None:
            self.run(["ovsdb-tool", "create", str(target), schema])
            return
        if not source.exists():
            raise SandboxError(f"database file {source} does not exist")
        shutil.copyfile(source, target)
        standalone = subprocess.run(["ovsdb-tool", "db-is-standalone", str(target)],
                                    capture_output=True).returncode == 0
        if not standalone:
            conv = target.with_suffix(".standalone")
            self.run(["ovsdb-tool", "cluster-to-standalone", str(conv), str(target)])
            os.replace(conv, target)

    def _start_databases(self) -> None:
        if self.ovs_db:
            self._prepare_db(self.ovs_db_path, OVS_SCHEMA, None)
            self._start_daemon("ovsdb-server", [
                str(self.ovs_db_path), f"--remote=punix:{self.ovs_sock}"])
        self._prepare_db(self.nb_db_path, NB_SCHEMA, self._nb_source)
        self._start_daemon("nb", [str(self.nb_db_path),
                                  f"--remote=punix:{self._p('run', 'nb.sock')}"])
        self._prepare_db(self.sb_db_path, SB_SCHEMA, self._sb_source)
        self._start_daemon("sb", [str(self.sb_db_path),
                                  f"--remote=punix:{self._p('run', 'sb.sock')}"])

    def _init_ovs(self) -> None:
        ext = {
            "system-id": self.system_id,
            "hostname": self.hostname,
            "ovn-remote": self.sb_remote,
            "ovn-encap-type": self.encap_type,
            "ovn-encap-ip": self.encap_ip,
            "ovn-bridge": "br-int",
        }
        args = ["--no-wait", "--", "init"]
        for k, v in ext.items():
            args += ["--", "set", "Open_vSwitch", ".", f'external_ids:{k}="{v}"']
        if self.vswitchd:
            args += ["--", "--may-exist", "add-br", "br-int",
                     "--", "set", "Bridge", "br-int", "fail-mode=secure",
                     "other-config:disable-in-band=true"]
        self.vsctl(*args)

    def _start_vswitchd(self) -> None:
        self._start_daemon("ovs-vswitchd", [
            self.ovs_remote, "--enable-dummy=override", "--disable-system",
            "--disable-system-route"])

    def _wait_chassis(self, timeout: float = 30.0) -> None:
        """Wait until ovn-controller registered its chassis and caught up with the NB."""
        self.sbctl(f"--timeout={int(timeout)}", "wait-until", "Chassis", self.system_id,
                   timeout=timeout + 5)
        if self.northd:
            self.wait_controller(timeout=timeout)

    def _stop_daemon(self, d: _Daemon, timeout: float) -> None:
        pid = d.pid if d.pid is not None else d.read_pid()
        if pid is None or not _pid_alive(pid):
            return
        if not d.is_ours(pid):
            # pid recycled by an unrelated process: never signal it
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.02)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.02)
        raise SandboxError(f"{d.name} (pid {pid}) did not exit")

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<OvnSandbox {self.workdir} {state} pids={self.pids}>"


def _network_of(ip_cidr: str) -> str:
    """``192.168.0.1/24`` → ``192.168.0.0/24``."""
    return str(ipaddress.ip_interface(ip_cidr).network)
