"""The OpenFlow side replayed from a node's dumps: a private dummy ovs-vswitchd
loaded with what ``ovs-ofctl dump-flows/dump-groups/dump-meters/dump-tlv-map``
printed, then ``ofproto/trace`` for a packet.

What it takes to load the dumps (each found by trying, on OVS 3.1 and 3.5):

* the bridges and ports come from the saved conf.db (or ``ovs-vsctl show`` text
  with the ofports of ``ovs-ofctl show`` / ``dpif/show``); every port gets its
  saved ofport as ``ofport_request``, so ``in_port=`` and ``output:`` numbers
  mean the same ports; the dummy datapath numbers its ports from their names,
  as the live (dummy) switch of the samples did, and a number that still
  differs from ``dpif/show``'s is set with ``dpif-dummy/change-port-number``;
  br-int is ``fail_mode=secure``, no controller, in-band off;
* the ``OFPST_*`` reply headers (one per reply page) are dropped, and the
  counters (``duration=``, ``n_packets=``, ...) that ``add-flows`` would refuse;
* the TLV map first (Geneve option ``tun_metadata0``), else no flow naming
  ``tun_metadata0`` loads (without a dump: OVN's
  ``{class=0x102,type=0x80,len=4}->tun_metadata0``); then the meters the flows
  name (else ``sample(...meter...)`` disappears), the groups, the flows;
* OVN writes ``dec_ttl`` with an empty controller-id list
  (NXAST_DEC_TTL_CNT_IDS, printed ``dec_ttl()``); the text parser makes that a
  plain NXAST_DEC_TTL (printed ``dec_ttl``).  The flows holding ``dec_ttl()``
  are sent through a relay between ovs-ofctl and the bridge's management socket
  that rewrites those actions in the flow-mods (same 16 bytes, subtype 18 ->
  21, zero ids);
* afterwards ``dump-flows`` must list what the dump listed (counters aside), or
  the replay stops with the first difference.

Recirculation ids are a per-process counter: two switches print different ones
for the same trace.  :func:`number_recirculations` numbers them in order of
appearance, for comparing.  Real conntrack state and ``learn()``-ed flows are
not in a dump: ``ofproto/trace`` resumes conntrack with the ``--ct-next``
states given (ovnkube-trace gives none).
"""

from __future__ import annotations

import os
import re
import selectors
import socket
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .logical import TraceError

if TYPE_CHECKING:
    from ..sandbox import OvnSandbox

OVN_TLV = "{class=0x102,type=0x80,len=4}->tun_metadata0"
_COUNTERS = re.compile(r"\b(?:duration|n_packets|n_bytes|idle_age|hard_age)=[^,\s]*,?\s*")
_RECIRC = re.compile(r"(recirc(?:_id)?[(=])(0x[0-9a-f]+|\d+)\b")
# NXAST_DEC_TTL_CNT_IDS with no ids (Nicira experimenter action, subtype 21)
_DEC_TTL_CNT_IDS = bytes.fromhex("ffff0010000023200015000000000000")
_OFPAT_DEC_NW_TTL = 24  # what ovs-ofctl -O OpenFlow15 makes of dec_ttl / dec_ttl()
_OFPT_FLOW_MOD = 14
_OFPIT_WRITE_ACTIONS, _OFPIT_APPLY_ACTIONS = 3, 4
_FLOW_MOD_FIXED = 48  # OpenFlow 1.5 ofp_flow_mod up to its ofp_match


@dataclass
class Dumps:
    """A node's saved OpenFlow state (file paths; only ``flows`` is required)."""

    flows: str
    groups: str | None = None
    meters: str | None = None
    tlv: str | None = None
    conf_db: str | None = None
    vsctl_show: str | None = None
    ofctl_show: str | None = None
    dpif_show: str | None = None
    bridge: str = "br-int"
    #: other bridges' dump-flows (e.g. breth0, where br-int's patch port leads)
    other_flows: dict[str, str] = field(default_factory=dict)


@dataclass
class _Iface:
    name: str
    type: str = ""
    options: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)
    ofport: int | None = None


@dataclass
class _Bridge:
    name: str
    fail_mode: str | None = None
    ports: list[_Iface] = field(default_factory=list)


# ------------------------------------------------------------------ reading dumps
def flow_lines(text: str) -> list[str]:
    """The flows of a dump-flows printout, counters and reply headers left out, and
    the 128-bit register writes that OpenFlow 1.0 prints as two halves re-joined."""
    out = []
    for line in text.splitlines():
        if not line.startswith(" ") or not line.strip():
            continue  # OFPST_FLOW reply / NXST_FLOW reply headers, one per page
        out.append(_rejoin(_COUNTERS.sub("", line.strip())))
    return out


# `ovs-ofctl dump-flows` without -O (OpenFlow 1.0 + NXM, what sosreport saves) prints
# OVN's `set_field:<128 bits>->xxregN` as two 64-bit loads; loaded like that they
# stay two actions (and a trace prints them so)
_XXREG_HALVES = re.compile(r"load:(0x[0-9a-f]+|\d+)->NXM_NX_XXREG(\d)\[0\.\.63\],"
                           r"load:(0x[0-9a-f]+|\d+)->NXM_NX_XXREG\2\[64\.\.127\]")


def _rejoin(flow: str) -> str:
    def whole(m: re.Match) -> str:
        return f"load:{hex(int(m[3], 0) << 64 | int(m[1], 0))}->NXM_NX_XXREG{m[2]}[]"
    return _XXREG_HALVES.sub(whole, flow) if "XXREG" in flow else flow


def dump_protocol(text: str) -> str | None:
    """The -O option the dump was printed with: OpenFlow15 for an `OFPST_FLOW reply
    (OF1.5)` header, None (ovs-ofctl's default, OpenFlow 1.0 + NXM) otherwise."""
    m = re.search(r"^OFPST_FLOW reply \(OF1\.(\d)\)", text, re.M)
    return f"OpenFlow1{m[1]}" if m else None


def group_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.startswith(" ") and ln.strip()]


def meter_specs(text: str) -> list[str]:
    """``meter=1 pktps stats bands=`` + ``type=drop rate=20`` -> add-meter's
    ``meter=1,pktps,stats,bands=type=drop,rate=20``."""
    specs: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith(("OFPST_", "NXST_")):
            continue
        if s.startswith("meter="):
            specs.append(",".join(s.split()))
        elif specs:
            specs[-1] += ("" if specs[-1].endswith("=") else ",") + ",".join(s.split())
    return specs


def tlv_specs(text: str) -> list[str]:
    """dump-tlv-map's mapping table -> add-tlv-map's ``{class=..,type=..,len=..}->field``."""
    out = []
    for line in text.splitlines():
        m = re.match(r"\s*(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\d+)\s+(tun_metadata\d+)\s*$", line)
        if m:
            out.append(f"{{class={m[1]},type={m[2]},len={m[3]}}}->{m[4]}")
    return out


def number_recirculations(text: str) -> str:
    """Recirculation ids numbered 1, 2, ... in order of appearance (hex where the
    text prints hex, ``recirc(0x22)``; decimal where it prints decimal, a
    controller action's ``recirc_id=127``); 0 (no recirculation) stays."""
    seen: dict[int, int] = {}

    def sub(m: re.Match) -> str:
        value = int(m[2], 0)
        if value == 0:
            return m[0]
        n = seen.setdefault(value, len(seen) + 1)
        return m[1] + (hex(n) if m[2].startswith("0x") else str(n))
    return _RECIRC.sub(sub, text)


def _bridges_from_conf(path: str) -> list[_Bridge]:
    from ..db.ovsdb_file import read_ovsdb_file
    db = read_ovsdb_file(path, ["Bridge", "Port", "Interface"])
    t = db.tables
    out = []
    for br in sorted(t.get("Bridge", {}).values(), key=lambda b: b["name"]):
        fm = br.get("fail_mode")
        bridge = _Bridge(br["name"], (fm[0] if isinstance(fm, list) and fm else fm) or None)
        for pu in br.get("ports", []):
            port = t["Port"].get(pu)
            if port is None:
                continue
            for iu in port.get("interfaces", []):
                i = t["Interface"].get(iu)
                if i is None or i["name"] == br["name"]:
                    continue
                of = i.get("ofport")
                of = of[0] if isinstance(of, list) and of else (of if of else None)
                bridge.ports.append(_Iface(i["name"], i.get("type", ""),
                                           dict(i.get("options") or {}),
                                           dict(i.get("external_ids") or {}),
                                           int(of) if of and int(of) > 0 else None))
        out.append(bridge)
    return out


def _bridges_from_text(vsctl_show: str, ofctl_show: str | None,
                       dpif_show: str | None) -> list[_Bridge]:
    """`ovs-vsctl show` text (ports, types, options), ofports from `ovs-ofctl show`
    or `dpif/show`."""
    bridges: list[_Bridge] = []
    iface: _Iface | None = None
    for line in vsctl_show.splitlines():
        s = line.strip()
        if m := re.match(r'Bridge "?([^"]+)"?$', s):
            bridges.append(_Bridge(m[1]))
            iface = None
        elif bridges and (m := re.match(r'Interface "?([^"]+)"?$', s)):
            iface = None
            if m[1] != bridges[-1].name:
                iface = _Iface(m[1])
                bridges[-1].ports.append(iface)
        elif bridges and (m := re.match(r"fail_mode: (\S+)", s)):
            bridges[-1].fail_mode = m[1]
        elif iface is not None and (m := re.match(r"type: (\S+)", s)):
            iface.type = m[1]
        elif iface is not None and (m := re.match(r"options: \{(.*)\}", s)):
            for k, v in re.findall(r'([\w-]+)=("[^"]*"|[^,\s]+)', m[1]):
                iface.options[k] = v.strip('"')
    ofports: dict[str, int] = {}
    for line in (ofctl_show or "").splitlines():
        if m := re.match(r"\s*(\d+)\(([^)]+)\):", line):
            ofports[m[2]] = int(m[1])
    for line in (dpif_show or "").splitlines():
        if m := re.match(r"\s+(\S+) (\d+)/(\S+):", line):
            ofports.setdefault(m[1], int(m[2]))
    for b in bridges:
        for i in b.ports:
            i.ofport = ofports.get(i.name)
    return bridges


def _dp_numbers(dpif_show: str) -> dict[str, int]:
    out = {}
    for line in dpif_show.splitlines():
        if m := re.match(r"\s+(\S+) \d+/(\d+):", line):
            out[m[1]] = int(m[2])
    return out


# ------------------------------------------------------------------ the switch
class OpenFlowReplay:
    """``with OpenFlowReplay(dumps, root=...) as sw: sw.trace(flow, ct_next)``."""

    def __init__(self, dumps: Dumps, *, root: str | os.PathLike | None = None,
                 verbose: bool = False):
        self.dumps = dumps
        self.root = root
        self.verbose = verbose
        self.box: OvnSandbox | None = None
        self.pids: dict[str, int] = {}
        self.warnings: list[str] = []
        self.loaded = 0
        self.ports: list[_Iface] = []  # the bridge's interfaces, as saved

    def __enter__(self) -> OpenFlowReplay:
        from ..sandbox import OvnSandbox, SandboxError
        d = self.dumps
        if d.conf_db is None and d.vsctl_show is None:
            raise TraceError("the OpenFlow replay needs the node's bridges: --ovsdb conf.db, "
                             "or --vsctl-show FILE (with --ofctl-show or --dpif-show)")
        bridges = (_bridges_from_conf(d.conf_db) if d.conf_db else
                   _bridges_from_text(_read(d.vsctl_show), _read_opt(d.ofctl_show),
                                      _read_opt(d.dpif_show)))
        self.ports = [i for b in bridges if b.name == d.bridge for i in b.ports]
        if not any(b.name == d.bridge for b in bridges):
            raise TraceError(f"the saved bridges ({', '.join(b.name for b in bridges)}) "
                             f"have no {d.bridge}")
        box = OvnSandbox(None, northd=False, controller=False, vswitchd=True,
                         root=self.root, timeout=30.0)
        self.box = box
        try:
            try:
                box.start()
            except SandboxError as exc:
                raise TraceError(f"a private ovs-vswitchd could not start: "
                                 f"{str(exc).splitlines()[0]}") from None
            finally:
                self.pids = dict(box.started_pids)
            if self.verbose:
                import sys
                print(f"ovnparse: private directory {box.workdir}", file=sys.stderr)
                for name, pid in self.pids.items():
                    print(f"ovnparse: started {name} pid {pid}", file=sys.stderr)
            self._build(bridges)
            self._load()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.box is None:
            return
        import signal

        from ..sandbox import SandboxError
        from .logical import _ignore, _restore
        old_int, old_term = _ignore(signal.SIGINT), _ignore(signal.SIGTERM)
        try:
            try:
                self.box.stop()
            except SandboxError as exc:
                self.warnings.append(str(exc))
        finally:
            _restore(signal.SIGINT, old_int)
            _restore(signal.SIGTERM, old_term)
            self.box = None

    # -------------------------------------------------------------- building
    def _vsctl(self, *args: str) -> str:
        assert self.box is not None
        return self.box.vsctl(*args)

    def _build(self, bridges: list[_Bridge]) -> None:
        box = self.box
        assert box is not None
        for b in bridges:
            args = ["--", "--may-exist", "add-br", b.name, "--", "set", "Bridge", b.name,
                    "other-config:disable-in-band=true"]
            fail = "secure" if b.name == self.dumps.bridge else b.fail_mode
            args += [f"fail-mode={fail}"] if fail else ["--", "clear", "Bridge", b.name,
                                                         "fail_mode"]
            self._vsctl(*args)
        for b in bridges:
            for i in b.ports:
                args = ["--", "add-port", b.name, i.name, "--", "set", "Interface", i.name]
                if i.type:
                    args.append(f"type={i.type}")
                for k, v in i.options.items():
                    args.append(f'options:{k}="{v}"')
                for k, v in i.external_ids.items():
                    args.append(f'external_ids:{k}="{v}"')
                if i.ofport is not None:
                    args.append(f"ofport_request={i.ofport}")
                self._vsctl(*args)
        # the datapath's port numbers, as the saved dpif/show has them
        if self.dumps.dpif_show:
            want = _dp_numbers(_read(self.dumps.dpif_show))
            have = _dp_numbers(box.appctl("ovs-vswitchd", "dpif/show"))
            for name, number in want.items():
                if name in have and have[name] != number:
                    box.appctl("ovs-vswitchd", "dpif-dummy/change-port-number",
                               "ovs-system", name, str(number))

    def _ofctl(self, *args: str) -> str:
        assert self.box is not None
        try:
            return self.box.run(["ovs-ofctl", "-O", "OpenFlow15", *args], timeout=300)
        except Exception as exc:
            raise TraceError(f"loading the dumps: {str(exc).splitlines()[-1]}") from None

    def _file(self, name: str, lines: list[str]) -> str:
        assert self.box is not None and self.box.workdir is not None
        path = self.box.workdir / name
        path.write_text("\n".join(lines) + "\n")
        return self.box.inside(path)

    def _load(self) -> None:
        d, br = self.dumps, self.dumps.bridge
        flows = flow_lines(_read(d.flows))
        tlvs = tlv_specs(_read(d.tlv)) if d.tlv else []
        if not tlvs and any("tun_metadata" in f for f in flows):
            tlvs = [OVN_TLV]
            if any(re.search(r"tun_metadata[1-9]", f) for f in flows):
                self.warnings.append("the flows use Geneve options besides tun_metadata0 "
                                     "and no --tlv map was given")
        assert self.box is not None
        for spec in tlvs:
            self.box.run(["ovs-ofctl", "add-tlv-map", br, spec])
        for spec in (meter_specs(_read(d.meters)) if d.meters else []):
            self._ofctl("add-meter", br, spec)
        if d.groups:
            groups = group_lines(_read(d.groups))
            if groups:
                self._ofctl("add-groups", br, self._file("groups.txt", groups))
        plain = [f for f in flows if "dec_ttl()" not in f]
        patched = [f for f in flows if "dec_ttl()" in f]
        if plain:
            self._ofctl("add-flows", br, self._file("flows.txt", plain))
        if patched:
            self._add_through_relay(br, patched)
        self.loaded = len(flows)
        self._check_loaded(flows, br, dump_protocol(_read(d.flows)))
        for other, path in d.other_flows.items():
            lines = flow_lines(_read(path))
            self._ofctl("del-flows", other)
            if lines:
                self._ofctl("add-flows", other, self._file(f"flows-{other}.txt", lines))
            self._check_loaded(lines, other, dump_protocol(_read(path)))

    def _add_through_relay(self, br: str, flows: list[str]) -> None:
        box = self.box
        assert box is not None and box.workdir is not None
        target = box.workdir / "run" / f"{br}.mgmt"  # (the host's path of it)
        relay_path = box.workdir / "run" / "dec-ttl.sock"
        relay = _DecTtlRelay(relay_path, target)
        try:
            box.run(["ovs-ofctl", "-O", "OpenFlow15", "add-flows",
                     f"unix:{box.inside(relay_path)}",
                     self._file("flows-dec-ttl.txt", flows)], timeout=300)
        except Exception as exc:
            raise TraceError(f"loading the dumps: {str(exc).splitlines()[-1]}") from None
        finally:
            relay.close()
        if relay.patched < len(flows):
            raise TraceError(f"dec_ttl(): {relay.patched} of {len(flows)} flows rewritten")

    def _check_loaded(self, flows: list[str], bridge: str,
                      protocol: str | None = None) -> None:
        """dump-flows, printed as the dump was, must list the dump's flows."""
        assert self.box is not None
        argv = ["ovs-ofctl", *(["-O", protocol] if protocol else []), "dump-flows", bridge]
        try:
            printed = self.box.run(argv, timeout=300)
        except Exception as exc:
            raise TraceError(f"checking the load: {str(exc).splitlines()[-1]}") from None
        now = flow_lines(printed)
        if sorted(now) != sorted(flows):
            missing = sorted(set(flows) - set(now))
            extra = sorted(set(now) - set(flows))
            first = (f"missing {missing[0]!r}" if missing else f"unexpected {extra[0]!r}")
            raise TraceError(f"{bridge} holds {len(now)} flows, the dump {len(flows)}; "
                             f"{len(missing)} differ, first {first}")

    # -------------------------------------------------------------- tracing
    def iface_of(self, lsp: str) -> _Iface | None:
        """The bridge's interface bound to logical port *lsp* (external_ids:iface-id)."""
        return next((i for i in self.ports if i.external_ids.get("iface-id") == lsp), None)

    def tunnel_ofports(self) -> list[int]:
        return [i.ofport for i in self.ports
                if i.type in ("geneve", "vxlan", "stt") and i.ofport is not None]

    def trace(self, flow: str, ct_next: list[str] | tuple[str, ...] = (),
              bridge: str | None = None) -> str:
        assert self.box is not None
        argv = ["ovs-appctl", "-t", str(self.box.ctl_path("ovs-vswitchd")), "ofproto/trace",
                bridge or self.dumps.bridge, flow]
        for c in ct_next:
            argv += ["--ct-next", c]
        try:
            return self.box.run(argv, timeout=60)
        except Exception as exc:
            raise TraceError(f"ofproto/trace failed: {str(exc).splitlines()[-1]}") from None


class _DecTtlRelay:
    """A unix socket relayed to the bridge's management socket, rewriting plain
    NXAST_DEC_TTL actions in the flow-mods sent to it to NXAST_DEC_TTL_CNT_IDS with
    no ids (what OVN's ``dec_ttl()`` is)."""

    def __init__(self, path: Path, target: Path):
        self.path, self.target = path, target
        self.patched = 0
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(4)
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop = True
        try:
            self.listener.close()
        finally:
            self.thread.join(timeout=10)
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(str(self.target))
                self._relay(client, upstream)
            except OSError:
                pass
            finally:
                client.close()
                upstream.close()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, "c")
        sel.register(upstream, selectors.EVENT_READ, "u")
        pending = b""
        while True:
            for key, _ in sel.select(timeout=1.0):
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                if key.data == "u":
                    client.sendall(data)
                    continue
                pending += data
                while len(pending) >= 8:
                    length = struct.unpack("!H", pending[2:4])[0]
                    if length < 8 or len(pending) < length:
                        break
                    msg, pending = pending[:length], pending[length:]
                    if msg[0] == 6 and msg[1] == _OFPT_FLOW_MOD:
                        msg, n = patch_dec_ttl(msg)
                        self.patched += bool(n)
                    upstream.sendall(msg)


def patch_dec_ttl(msg: bytes) -> tuple[bytes, int]:
    """An OpenFlow 1.5 flow-mod with each top-level OFPAT_DEC_NW_TTL of its
    apply/write-actions instructions made NXAST_DEC_TTL_CNT_IDS with no ids
    (8 bytes longer each; instruction and message lengths follow)."""
    match_len = struct.unpack("!H", msg[_FLOW_MOD_FIXED + 2:_FLOW_MOD_FIXED + 4])[0]
    pos = _FLOW_MOD_FIXED + (match_len + 7) // 8 * 8
    out, count = bytearray(msg[:pos]), 0
    while pos + 4 <= len(msg):
        itype, ilen = struct.unpack("!HH", msg[pos:pos + 4])
        if ilen < 4 or pos + ilen > len(msg):
            return msg, 0  # not what it should be: leave it alone
        inst = msg[pos:pos + ilen]
        if itype in (_OFPIT_WRITE_ACTIONS, _OFPIT_APPLY_ACTIONS):
            acts, a = bytearray(), 8
            while a + 4 <= len(inst):
                atype, alen = struct.unpack("!HH", inst[a:a + 4])
                if alen < 4:
                    return msg, 0
                if atype == _OFPAT_DEC_NW_TTL and alen == 8:
                    acts += _DEC_TTL_CNT_IDS
                    count += 1
                else:
                    acts += inst[a:a + alen]
                a += alen
            inst = struct.pack("!HH", itype, 8 + len(acts)) + inst[4:8] + bytes(acts)
        out += inst
        pos += ilen
    struct.pack_into("!H", out, 2, len(out))
    return bytes(out), count


def _read(path: str | None) -> str:
    assert path is not None
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError as exc:
        raise TraceError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_opt(path: str | None) -> str | None:
    return _read(path) if path else None


__all__ = ["Dumps", "OpenFlowReplay", "flow_lines", "number_recirculations"]
