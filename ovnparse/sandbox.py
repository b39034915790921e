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

Another release of OVN/OVS can run from a Debian root built by
``tools/build-debian-root`` (e.g. Debian 13's OVN 25.03): ``OvnSandbox(root=
debian_root("trixie"))`` runs every daemon and every command of :meth:`run`
through ``chroot`` (which needs root).  The private directory is then made
under the root's ``/tmp``; the paths and remotes the sandbox hands out for
commands (``*_remote``, :meth:`ctl_path`, :meth:`bridge_mgmt`, :attr:`env`)
are as seen from inside the root, the directories Python reads
(:attr:`workdir`, :attr:`rundir`, ``*_db_path``...) are host paths, and
:meth:`outside` / :meth:`inside` convert between the two.
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
from typing import Literal, overload

__all__ = [
    "OvnSandbox",
    "SandboxError",
    "SandboxCommandError",
    "missing_tools",
    "debian_root",
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

#: ... and those of later releases (controller/chassis.c, chassis_build_other_config
#: at v25.03.0).  ovn-sample-with-registers and ct-label-flush are "true" only
#: when OVS supports them: a fake chassis copies the real chassis' value.
CHASSIS_FEATURES_BY_RELEASE = {
    "23.03": FAKE_CHASSIS_FEATURES,
    "25.03": FAKE_CHASSIS_FEATURES + ("fdb-timestamp", "ls-dpg-column", "ct-commit-nat-v2",
                                      "ct-commit-to-zone", "ovn-sample-with-registers",
                                      "ct-next-zone", "ct-label-flush"),
}
# v26.03.0 adds ct-state-save
CHASSIS_FEATURES_BY_RELEASE["26.03"] = CHASSIS_FEATURES_BY_RELEASE["25.03"] + ("ct-state-save",)

#: where tools/build-debian-root keeps its roots, and the file it writes last
DEBIAN_ROOTS = Path(os.environ.get("OVNPARSE_ROOTS") or "/var/cache/ovnparse")
DEBIAN_ROOT_STAMP = ".ovnparse-root-complete"

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


def missing_tools(tools: Iterable[str] = REQUIRED_TOOLS,
                  root: str | os.PathLike | None = None) -> list[str]:
    """Names of the OVS/OVN programs (and schema files) that cannot be found
    (on the host, or in the Debian root *root*)."""
    if root is None:
        missing = [t for t in tools if shutil.which(t) is None]
    else:
        path = os.pathsep.join(str(Path(root) / d.lstrip("/")) for d in _ROOT_PATH.split(":"))
        missing = [t for t in tools if shutil.which(t, path=path) is None]
    for schema in (OVS_SCHEMA, NB_SCHEMA, SB_SCHEMA):
        if not os.path.exists(schema if root is None else Path(root) / schema.lstrip("/")):
            missing.append(schema)
    return missing


def debian_root(suite: str = "trixie") -> Path | None:
    """The complete Debian root *suite* built by ``tools/build-debian-root``, or None.

    A root counts only once its stamp file (written last) exists.
    """
    root = DEBIAN_ROOTS / suite
    return root if (root / DEBIAN_ROOT_STAMP).is_file() else None


def debian_root_packages(root: str | os.PathLike) -> dict[str, str]:
    """{package: version} of the OVN/OVS packages in *root*, from its stamp file."""
    out = {}
    for line in (Path(root) / DEBIAN_ROOT_STAMP).read_text().splitlines()[1:]:
        name, _, version = line.partition("\t")
        if version:
            out[name] = version
    return out


#: PATH of commands run inside a Debian root
_ROOT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


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

    def __init__(self, name: str, program: str, pidfile: Path, ctl: Path, log: Path,
                 pidfile_arg: str | None = None):
        self.name = name
        self.program = program
        self.pidfile = pidfile      # host paths: read and written by Python
        self.ctl = ctl
        self.log = log
        # the pidfile as the daemon's own argv names it (inside a Debian root)
        self.pidfile_arg = pidfile_arg or str(pidfile)
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
        return prog.startswith(self.program) and any(self.pidfile_arg in a for a in argv)


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
    nb_db, sb_db, conf_db:
        Optional existing database files served (as private copies) instead
        of fresh, empty ones (``conf_db``: an Open_vSwitch database, served
        as it is: the sandbox writes nothing into it).
    root:
        A Debian root (:func:`debian_root`) whose OVN/OVS runs instead of the
        host's, through ``chroot``; ``None`` runs the host's binaries.  An
        explicit *workdir* must then lie inside the root.
    """

    def __init__(self, workdir: str | os.PathLike | None = None, *,
                 northd: bool = True, controller: bool = True, vswitchd: bool = True,
                 ovs_db: bool = True,
                 system_id: str = "chassis-1", hostname: str = "sandbox",
                 encap_ip: str = "127.0.0.1", encap_type: str = "geneve",
                 nb_db: str | os.PathLike | None = None,
                 sb_db: str | os.PathLike | None = None,
                 conf_db: str | os.PathLike | None = None,
                 root: str | os.PathLike | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        if controller and not vswitchd:
            raise ValueError("ovn-controller needs ovs-vswitchd (vswitchd=True)")
        if vswitchd and not ovs_db:
            raise ValueError("ovs-vswitchd needs the Open_vSwitch database (ovs_db=True)")
        self.root = Path(root).resolve() if root is not None else None
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
        self._conf_source = Path(conf_db) if conf_db else None
        if self._conf_source is not None and (vswitchd or not ovs_db):
            raise ValueError("conf_db is served as it is: ovs_db=True, vswitchd=False")
        self._daemons: dict[str, _Daemon] = {}
        self._started: list[_Daemon] = []
        self._history: dict[str, int] = {}
        self._running = False
        self._atexit_registered = False

    # ------------------------------------------------------------------ paths
    @classmethod
    def serve_files(cls, nb: str | os.PathLike | None = None,
                    sb: str | os.PathLike | None = None,
                    workdir: str | os.PathLike | None = None, *,
                    conf: str | os.PathLike | None = None, **kwargs) -> OvnSandbox:
        """A started sandbox serving private copies of existing NB/SB database files.

        Only the ovsdb-servers run (no northd, vswitchd or controller), so the
        copies keep exactly the content of the files: use ``nb_remote`` /
        ``sb_remote`` with ovn-trace, ovn-nbctl, ovn-detrace, ovsdbapp...
        Writes go to the copies, never to the original files.  Clustered
        databases are converted to standalone copies first.  *conf*, an
        Open_vSwitch database (conf.db), is served too (``ovs_remote``: e.g.
        for ``ovn-detrace --ovs``).
        """
        kwargs.setdefault("northd", False)
        kwargs.setdefault("controller", False)
        kwargs.setdefault("vswitchd", False)
        kwargs.setdefault("ovs_db", conf is not None)
        box = cls(workdir, nb_db=nb, sb_db=sb, conf_db=conf, **kwargs)
        box.start()
        return box

    def _p(self, *parts: str) -> Path:
        """A path of the private directory, on the host."""
        if self.workdir is None:
            raise SandboxError("sandbox not started")
        return self.workdir.joinpath(*parts)

    def _c(self, *parts: str) -> str:
        """A path of the private directory, as the sandbox's commands see it."""
        return self.inside(self._p(*parts))

    def inside(self, path: str | os.PathLike) -> str:
        """A host path (or ``unix:`` remote) as seen from inside the root."""
        text = os.fspath(path)
        if self.root is None:
            return text
        prefix, p = _split_remote(text)
        try:
            rel = Path(p).relative_to(self.root)
        except ValueError:
            raise SandboxError(f"{p} is outside the sandbox's root {self.root}") from None
        return prefix + "/" + ("" if rel == Path(".") else str(rel))

    def outside(self, path: str | os.PathLike) -> str:
        """A path (or ``unix:`` remote) seen from inside the root, as a host path:
        e.g. to reach a root's ovsdb-server from Python on the host."""
        text = os.fspath(path)
        if self.root is None:
            return text
        prefix, p = _split_remote(text)
        return prefix + str(self.root / p.lstrip("/"))

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
        return f"unix:{self._c('run', 'db.sock')}"

    @property
    def nb_remote(self) -> str:
        return f"unix:{self._c('run', 'nb.sock')}"

    @property
    def sb_remote(self) -> str:
        return f"unix:{self._c('run', 'sb.sock')}"

    def bridge_mgmt(self, bridge: str = "br-int") -> str:
        """OpenFlow management socket of *bridge*, as a remote (``ovn-trace --ovs=``)."""
        return f"unix:{self._c('run', bridge + '.mgmt')}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses: every OVS/OVN directory points into the sandbox."""
        if self.root is None:
            env = dict(os.environ)
            for var in list(env):
                if var.startswith(("OVS_", "OVN_")):
                    del env[var]
        else:
            # nothing of the host's (PYTHONPATH, virtualenvs...) leaks into the root
            env = {"PATH": _ROOT_PATH, "LANG": "C.UTF-8"}
        run, db, log, etc = (self._c(d) for d in ("run", "db", "log", "etc"))
        env.update({
            "OVS_RUNDIR": run, "OVS_DBDIR": db, "OVS_LOGDIR": log, "OVS_SYSCONFDIR": etc,
            "OVN_RUNDIR": run, "OVN_DBDIR": db, "OVN_LOGDIR": log, "OVN_SYSCONFDIR": etc,
            "OVN_NB_DB": self.nb_remote, "OVN_SB_DB": self.sb_remote,
        })
        if self.ovs_db:
            env["DB_SOCK"] = self._c("run", "db.sock")
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
    @overload
    def run(self, argv: Sequence[str], input: str | bytes | None = None, *,
            check: bool = True, timeout: float | None = None,
            binary: Literal[False] = False) -> str: ...

    @overload
    def run(self, argv: Sequence[str], input: str | bytes | None = None, *,
            check: bool = True, timeout: float | None = None,
            binary: Literal[True]) -> bytes: ...

    def run(self, argv: Sequence[str], input: str | bytes | None = None, *,
            check: bool = True, timeout: float | None = None,
            binary: bool = False) -> str | bytes:
        """Run *argv* (a list, never a shell) with the sandbox environment.

        Returns stdout (``str``, decoded without newline translation, or
        ``bytes`` with ``binary=True``).  Raises :class:`SandboxCommandError`
        with the command's stderr when it fails and *check* is true.  With a
        root, *argv* runs inside it (its paths are the root's).
        """
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv must be a sequence of arguments, not a string")
        argv = [os.fspath(a) for a in argv]
        shown = argv
        if self.root is not None:
            argv = [_chroot(), str(self.root), *argv]
        if isinstance(input, str):
            input = input.encode()
        timeout = self.timeout if timeout is None else timeout
        try:
            proc = subprocess.run(argv, input=input, capture_output=True, env=self.env,
                                  cwd=str(self.workdir) if self.workdir and self.workdir.is_dir()
                                  else None,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as e:
            raise SandboxCommandError(shown, None, e.stdout or b"", e.stderr or b"",
                                      note=f"after {timeout}s") from None
        except FileNotFoundError as e:
            raise SandboxCommandError(shown, 127, b"", str(e).encode(),
                                      note="program not found") from None
        self.last_stderr = proc.stderr
        if check and proc.returncode != 0:
            raise SandboxCommandError(shown, proc.returncode, proc.stdout, proc.stderr)
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
            return Path(self.inside(self._daemons[name].ctl))
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
                raise SandboxError(f"interface {iface} has ofport {out}, "
                                   f"expected {expect or 'one'}")
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
                     *(f'other_config:{k}="{v}"' for k, v in self.chassis_features().items())]
        self.sbctl(*args)

    def chassis_features(self) -> dict[str, str]:
        """The feature flags a real ovn-controller of this release advertises.

        Copied from the sandbox's own chassis when its ovn-controller runs
        (some depend on what OVS supports), otherwise all "true".
        """
        release = ".".join(self.ovn_version().split(".")[:2])
        keys = CHASSIS_FEATURES_BY_RELEASE.get(release)
        if keys is None:   # an unlisted release: the nearest older one's list
            older = [r for r in CHASSIS_FEATURES_BY_RELEASE
                     if tuple(map(int, r.split("."))) <= tuple(map(int, release.split(".")))]
            keys = CHASSIS_FEATURES_BY_RELEASE[max(older or ["23.03"],
                                                   key=lambda r: tuple(map(int, r.split("."))))]
        real: dict[str, str] = {}
        if self.controller and self._running:
            out = self.sbctl("--bare", "--columns=other_config", "find", "Chassis",
                             f'name="{self.system_id}"').strip()
            real = dict(kv.split("=", 1) for kv in out.split() if "=" in kv)
        return {k: real.get(k, "true") for k in keys}

    def ovn_version(self) -> str:
        """The OVN release the sandbox runs, e.g. ``25.03.0`` (from ``ovn-nbctl --version``)."""
        if getattr(self, "_ovn_version", None) is None:
            first = self.run(["ovn-nbctl", "--version"]).splitlines()[0]
            self._ovn_version = first.split()[-1]
        return self._ovn_version

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
                self.run(["ovsdb-tool", "compact", self.inside(tmp)])
                self.run(["ovsdb-tool", "db-is-standalone", self.inside(tmp)])
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
        if self.root is not None:
            if os.geteuid() != 0:
                raise SandboxError(f"running the OVN of {self.root} needs root (chroot)")
            _chroot()
        missing = missing_tools([t for t in REQUIRED_TOOLS if self._needs_tool(t)], self.root)
        if missing:
            where = f" in {self.root}" if self.root is not None else ""
            raise SandboxError(f"missing OVS/OVN programs or schemas{where}: " + ", ".join(missing))
        if self._workdir_arg is None:  # (self._own_workdir)
            # keep it short: unix socket paths are limited to ~107 bytes; with
            # a root, the commands must reach it: under the root's /tmp
            tmp = None if self.root is None else self.root / "tmp"
            self.workdir = Path(tempfile.mkdtemp(prefix="ovnsb-", dir=tmp))
        else:
            self.workdir = Path(self._workdir_arg).resolve()
            if self.root is not None:
                self.inside(self.workdir)   # raises unless inside the root
            self.workdir.mkdir(parents=True, exist_ok=True)
        for d in ("run", "db", "log", "etc"):
            self._p(d).mkdir(exist_ok=True)
        for d in ("ovsdb-server", "nb", "sb", "ovs-vswitchd", "ovn-northd", "ovn-controller"):
            prog = "ovsdb-server" if d in ("nb", "sb") else d
            base = {"nb": "ovsdb-server-nb", "sb": "ovsdb-server-sb"}.get(d, d)
            self._daemons[d] = _Daemon(d, prog, self._p("run", base + ".pid"),
                                       self._p("run", base + ".ctl"),
                                       self._p("log", base + ".log"),
                                       pidfile_arg=self._c("run", base + ".pid"))
        self._running = True
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self._start_databases()
            if self.ovs_db and self._conf_source is None:
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
        args = ["--detach", "--no-chdir", f"--pidfile={d.pidfile_arg}",
                f"--log-file={self.inside(d.log)}", "-vconsole:off", "-vsyslog:off",
                "-vfile:info"]
        if d.name not in _NO_UNIXCTL_OPTION:
            args.append(f"--unixctl={self.inside(d.ctl)}")
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
            self.run(["ovsdb-tool", "create", self.inside(target), schema])
            return
        if not source.exists():
            raise SandboxError(f"database file {source} does not exist")
        shutil.copyfile(source, target)
        try:
            self.run(["ovsdb-tool", "db-is-standalone", self.inside(target)])
        except SandboxCommandError:
            conv = target.with_suffix(".standalone")
            self.run(["ovsdb-tool", "cluster-to-standalone", self.inside(conv),
                      self.inside(target)])
            os.replace(conv, target)

    def _start_databases(self) -> None:
        if self.ovs_db:
            self._prepare_db(self.ovs_db_path, OVS_SCHEMA, self._conf_source)
            self._start_daemon("ovsdb-server", [
                self._c("db", "conf.db"), f"--remote=punix:{self._c('run', 'db.sock')}"])
        self._prepare_db(self.nb_db_path, NB_SCHEMA, self._nb_source)
        self._start_daemon("nb", [self._c("db", "nb.db"),
                                  f"--remote=punix:{self._c('run', 'nb.sock')}"])
        self._prepare_db(self.sb_db_path, SB_SCHEMA, self._sb_source)
        self._start_daemon("sb", [self._c("db", "sb.db"),
                                  f"--remote=punix:{self._c('run', 'sb.sock')}"])

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


def _split_remote(text: str) -> tuple[str, str]:
    """``unix:/a/b`` → (``unix:``, ``/a/b``); a plain path → ("", path)."""
    for prefix in ("unix:", "punix:"):
        if text.startswith(prefix):
            return prefix, text[len(prefix):]
    return "", text


def _chroot() -> str:
    """The chroot(8) program (in /usr/sbin, which a non-root PATH may lack)."""
    found = shutil.which("chroot", path=os.environ.get("PATH", "") + os.pathsep + _ROOT_PATH)
    if found is None:
        raise SandboxError("chroot(8) not found: it runs the daemons of a Debian root")
    return found


def _network_of(ip_cidr: str) -> str:
    """``192.168.0.1/24`` → ``192.168.0.0/24``."""
    return str(ipaddress.ip_interface(ip_cidr).network)
