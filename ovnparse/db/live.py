"""A live OVSDB server as a :class:`~ovnparse.db.source.DatabaseSource`: read-only JSON-RPC.

:class:`LiveSource` connects to ``unix:PATH``, ``tcp:HOST:PORT`` or
``ssl:HOST:PORT`` remotes (or a comma-separated list of them, as OVN's tools
take), checks, for a clustered database, that the server it reached is the
cluster's leader (``_Server`` database, ``Database`` table; ``leader_only=False``
accepts any member, like ovn-detrace's ``--no-leader-only``), and reads rows with
JSON-RPC ``transact`` requests made of ``select`` operations only.

Nothing here can write (RFC 7047 §4.1): every request goes through one method,
:meth:`_Connection.request`, which sends only ``list_dbs``, ``get_schema``,
``echo`` and ``transact`` whose operations are all ``select`` — anything else
raises :class:`ReadOnlyViolation` before a byte is sent.  The only other thing
ever sent is the reply to a server's ``echo`` (its inactivity probe).

No IDL and no monitor: a table is fetched with one ``select`` of the columns
asked for, and :meth:`LiveSource.rows_by_uuid_prefix` fetches the few rows a
trace's cookies name (``_uuid`` column first, then one ``_uuid ==`` select a
row), so resolving a trace never transfers the whole Logical_Flow table.

*timeout* bounds a whole read, not each wait: opening a source (connect, the
checks, ``get_schema``, the tables asked for) is one read, and so is each later
call that asks the server (or every call inside ``with source.read_within():``);
one monotonic deadline is carried to every connect, send and receive, so a
server that drips a byte a second, or keeps answering with other ids, is given up
on in time.  One reply may be at most *max_reply* bytes (1 GiB): the framer stops
buffering past it.  Every reply is checked before use (a list of names, a
schema whose name is the database's, rows that are objects with the columns
asked for...): anything else is a :class:`LiveProtocolError` naming the server
and what was wrong.  Every error is a :class:`~ovnparse.errors.DatabaseError`
(see :mod:`ovnparse.db.errors`).

The transport is the standard library's ``socket``/``ssl``; replies are framed
by a scanner that skips strings and counts braces (possessive regular
expressions: C speed) and parsed by :mod:`ovnparse.db._json` (``orjson`` when
installed, else ``json``), not by ``ovs.jsonrpc``, whose pure-Python parser
(``ovs.json.PARSER == "PYTHON"`` with the PyPI ``ovs``) is several times slower
on a large ``select``.  Remote syntax is OVS's: ``tcp:[::1]:6641``, ``ssl:host``
(port 6640 by default), ``unix:/path``.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from typing import Any, cast

from . import _json
from ._json import gc_paused
from .errors import (
    DatabaseError,
    LiveDisconnected,
    LiveProtocolError,
    LiveSourceError,
    LiveTimeoutError,
    LiveWrongSchema,
    WrongSchemaError,
)
from .keys import prefix_keys
from .schema import Schema, SchemaError, decode_generic, missing_from
from .source import DatabaseSource, PrefixSource

__all__ = ["LiveSource", "LiveSourceError", "LiveTimeoutError", "LiveDisconnected",
           "LiveProtocolError", "LiveWrongSchema", "ReadOnlyViolation", "open_database",
           "is_remote", "split_remotes", "READ_ONLY_METHODS", "check_read_only",
           "DEFAULT_MAX_REPLY"]

#: the only JSON-RPC methods a LiveSource sends (``transact`` with ``select`` ops only)
READ_ONLY_METHODS = frozenset({"list_dbs", "get_schema", "transact", "echo"})
#: OVSDB's default port (``OVSDB_PORT``), used when a tcp:/ssl: remote names none
DEFAULT_PORT = 6640
#: uuids asked for in one transact by :meth:`LiveSource.rows_by_uuid_prefix`
UUID_BATCH = 500
#: the largest reply accepted (a 100k-flow Southbound's whole select is ~60 MB)
DEFAULT_MAX_REPLY = 1 << 30

_REMOTE_RE = re.compile(r"^\s*(unix|tcp|ssl):\S")
_PASSIVE_RE = re.compile(r"^\s*(punix|ptcp|pssl):")


class ReadOnlyViolation(AssertionError):
    """Something tried to send a request that is not read-only (a bug, never sent)."""


def split_remotes(spec: str) -> list[str]:
    """``"unix:a,ssl:b:6641"`` → ``["unix:a", "ssl:b:6641"]`` (blanks dropped)."""
    return [r.strip() for r in spec.split(",") if r.strip()]


def is_remote(spec: Any) -> bool:
    """True for an active OVSDB remote or a comma list of them (``unix:``, ``tcp:``, ``ssl:``)."""
    if not isinstance(spec, str):
        return False
    parts = split_remotes(spec)
    return bool(parts) and all(_REMOTE_RE.match(p) for p in parts)


def check_read_only(method: str, params: Any) -> None:
    """Raise :class:`ReadOnlyViolation` unless this request only reads."""
    if method not in READ_ONLY_METHODS:
        raise ReadOnlyViolation(f"refusing to send JSON-RPC method {method!r}: "
                                f"only {sorted(READ_ONLY_METHODS)} are read-only")
    if method == "transact":
        if (not isinstance(params, list) or len(params) < 2 or not isinstance(params[0], str)):
            raise ReadOnlyViolation("refusing a transact without operations")
        for op in params[1:]:
            if not isinstance(op, dict) or op.get("op") != "select":
                raise ReadOnlyViolation(f"refusing to send a non-select operation: {op!r}")


def _brief(v: Any) -> str:
    """A short, safe rendering of what a server sent (any depth, any size)."""
    if isinstance(v, str):
        return v if len(v) <= 200 else v[:200] + "..."
    return _REPR.repr(v)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 80, 80


def _kind(v: Any) -> str:
    """What JSON value *v* is, in words."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(v), "a value")


def _size(n: int) -> str:
    return f"{n / (1 << 30):g} GiB" if n >= 1 << 30 else \
        f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"


# ---------------------------------------------------------------------------- transport
class _BadStream(Exception):
    """The bytes from a server are not JSON-RPC messages (a LiveProtocolError once the
    connection names the server)."""
#: skips everything up to the next brace outside a JSON string; stops before an
#: unfinished string (possessive: no backtracking, C speed)
_SKIP = re.compile(rb'(?:[^"{}]++|"(?:[^"\\]++|\\.)*+")*+', re.S)
_LBRACE, _RBRACE, _QUOTE = ord("{"), ord("}"), ord('"')
_WS = b" \t\r\n"


class _Framer:
    """Cuts a byte stream into JSON-RPC messages (JSON objects one after another).

    Each byte is scanned once (an unfinished string at a chunk's end is scanned
    again when the rest arrives).
    """

    def __init__(self) -> None:
        self.buf = bytearray()
        self.start = 0  # where the message being scanned starts
        self.pos = 0  # scanned up to
        self.depth = 0

    def feed(self, data: bytes | bytearray) -> None:
        self.buf += data

    def next_message(self) -> bytes | None:
        buf = self.buf
        n = len(buf)
        if self.depth == 0:
            start = self.pos
            while start < n and buf[start] in _WS:
                start += 1
            if start == n:
                del buf[:]
                self.start = self.pos = 0
                return None
            if buf[start] != _LBRACE:
                raise _BadStream(f"not a JSON-RPC message: {bytes(buf[start:start + 60])!r}")
            self.start = start
            self.pos = start + 1
            self.depth = 1
        pos = self.pos
        # (the pattern matches the empty string: never None)
        match = cast(Callable[[bytearray, int], re.Match[bytes]], _SKIP.match)
        while True:
            pos = match(buf, pos).end()
            if pos == n:
                break
            c = buf[pos]
            if c == _LBRACE:
                self.depth += 1
            elif c == _RBRACE:
                self.depth -= 1
                if self.depth == 0:
                    msg = bytes(buf[self.start:pos + 1])
                    del buf[:pos + 1]
                    self.start = self.pos = 0
                    return msg
            else:  # an unfinished string: wait for its end
                break
            pos += 1
        self.pos = pos
        return None


class _FastFramer:
    """Finds where a message ends with a few C-speed passes a chunk, then parses it.

    :class:`_Framer`'s scan costs about as much as parsing on a 40 MB ``select``
    reply (one regular-expression step a string).  Here each chunk is reduced to
    its structure by :class:`~ovnparse.db._json.NestingGauge` (its quotes, braces
    and brackets, strings dropped) and the braces left are counted.  When the count
    is back to zero the buffer is parsed; if it holds more than one message (a
    server's ``echo`` probe beside the reply), :class:`_Framer` cuts it.

    At most *max_size* bytes are buffered (what has arrived of the messages not
    yet parsed): past it, :class:`_BadStream`, before buffering more.  The gauge
    bounds the nesting: deeper than ``_json.MAX_DEPTH`` is a :class:`_BadStream`
    before the parser sees it (an ``orjson`` older than 3.9.15 would overflow its
    stack on it).
    """

    def __init__(self, max_size: int = DEFAULT_MAX_REPLY) -> None:
        self.buf = bytearray()
        self.depth = 0
        self.gauge = _json.NestingGauge()
        self.pending: list = []
        self.max_size = max_size

    def feed(self, data: bytes) -> None:
        if len(self.buf) + len(data) > self.max_size:
            raise _BadStream(f"a reply larger than {_size(self.max_size)} (max_reply), "
                             f"not read further")
        self.buf += data
        try:
            red = self.gauge.feed(data)
        except ValueError:
            raise _BadStream(f"JSON nested deeper than {_json.MAX_DEPTH} levels (which OVS's "
                             f"own parser refuses)") from None
        self.depth += red.count(b"{") - red.count(b"}")
        if self.depth < 0:
            raise _BadStream("not a JSON-RPC stream (a '}' closes nothing)")

    def next_object(self) -> Any | None:
        """The next whole message, parsed; ``None`` until one has fully arrived."""
        if self.pending:
            return self.pending.pop(0)
        gauge = self.gauge
        if self.depth or gauge.in_string or gauge.carry or not self.buf:
            return None
        buf, self.buf = self.buf, bytearray()
        end = len(buf)
        while end and buf[end - 1] in _WS:
            end -= 1
        if not end:
            return None
        gauge.nesting = 0
        try:
            with gc_paused():
                return _json.loads_checked(buf)  # (its nesting bounded as it was fed)
        except (ValueError, RecursionError):  # several messages in one buffer? cut them
            pass
        framer = _Framer()
        framer.feed(buf)
        while (raw := framer.next_message()) is not None:
            try:
                with gc_paused():
                    self.pending.append(_json.loads_checked(raw))
            except (ValueError, RecursionError) as e:
                raise _BadStream(f"not valid JSON ({_brief(str(e))}): "
                                 f"{bytes(raw[:60])!r}") from None
        if framer.depth or framer.buf[framer.pos:].strip():
            raise _BadStream(f"not a JSON-RPC message: {bytes(buf[:60])!r}")
        return self.pending.pop(0) if self.pending else None


def _parse_address(rest: str, remote: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port``, ``host`` → (host, port), as OVS's inet_parse_active."""
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ValueError(f"{remote}: bad IPv6 address (no closing ']')")
        host, tail = rest[1:end], rest[end + 1:]
        port = tail[1:] if tail.startswith(":") else ""
    elif rest.count(":") > 1:  # a bare IPv6 address: no port
        host, port = rest, ""
    else:
        host, _, port = rest.partition(":")
    if not host:
        raise ValueError(f"{remote}: no host")
    try:
        return host, int(port) if port else DEFAULT_PORT
    except ValueError:
        raise ValueError(f"{remote}: bad port {port!r}") from None


class _Connection:
    """One JSON-RPC connection to one remote; blocking, one request at a time.

    Every step (connect, TLS handshake, send, each receive) waits at most until the
    monotonic *deadline* it is given: the deadline of the read under way.
    """

    def __init__(self, remote: str, timeout: float, deadline: float,
                 tls: Mapping[str, str | None], stats: dict,
                 max_reply: int = DEFAULT_MAX_REPLY, share: float | None = None):
        self.remote = remote
        self.timeout = timeout  # (for messages: the read's whole timeout)
        self.share = share  # (for messages: this remote's part of it, if less)
        self.stats = stats
        self._next_id = 0
        self._framer = _FastFramer(max_reply)
        kind, _, rest = remote.partition(":")
        try:
            if kind == "unix":
                sock = self._unix(rest, self._left(deadline, "no connection"))
            elif kind in ("tcp", "ssl"):
                host, port = _parse_address(rest, remote)
                sock = socket.create_connection(
                    (host, port), timeout=self._left(deadline, "no connection"))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if kind == "ssl":
                    sock = self._tls(sock, tls, self._left(deadline, "no TLS handshake"))
            else:
                raise ValueError(f"{remote}: not an active OVSDB remote (unix:, tcp:, ssl:)")
        except LiveSourceError:
            raise
        except TimeoutError:
            raise LiveTimeoutError(remote, self._late("no connection")) from None
        except OSError as exc:
            raise LiveSourceError(remote, f"cannot connect: {exc.strerror or exc}") from None
        self.sock = sock

    def _left(self, deadline: float, what: str) -> float:
        """Seconds left until *deadline*; LiveTimeoutError if none."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise LiveTimeoutError(self.remote, self._late(what))
        return left

    def _late(self, what: str) -> str:
        within = (f"within {self.timeout:g} s" if self.share is None else
                  f"within its {self.share:.2g} s share of the {self.timeout:g} s timeout")
        return what.replace("{within}", within) if "{within}" in what else f"{what} {within}"

    @staticmethod
    def _unix(path: str, timeout: float) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            if len(os.fsencode(path)) < 100:
                sock.connect(path)
            else:  # longer than sun_path allows: go through the directory's fd (as OVS does)
                dirfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY)
                try:
                    sock.connect(f"/proc/self/fd/{dirfd}/{os.path.basename(path)}")
                finally:
                    os.close(dirfd)
        except BaseException:
            sock.close()
            raise
        return sock

    def _tls(self, sock: socket.socket, tls: Mapping[str, str | None],
             timeout: float) -> socket.socket:
        import ssl  # noqa: PLC0415 - only for ssl: remotes (a few ms to import)
        missing = [k for k in ("private_key", "certificate", "ca_cert") if not tls.get(k)]
        if missing:
            sock.close()
            raise LiveSourceError(self.remote, "ssl: remotes need a private key, a certificate "
                                  "and a CA certificate (missing: " + ", ".join(missing) + ")")
        # as OVS's SSL streams: the server's certificate is checked against the CA,
        # not against a host name; TLS 1.2 or later
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ca_cert, certificate, private_key = tls["ca_cert"], tls["certificate"], tls["private_key"]
        assert ca_cert and certificate and private_key  # (none is missing)
        try:
            ctx.load_verify_locations(ca_cert)
            ctx.load_cert_chain(certificate, private_key)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise LiveSourceError(self.remote, f"cannot load the TLS key, certificate or CA: "
                                  f"{exc}") from None
        sock.settimeout(timeout)  # (the handshake's whole duration, since Python 3.5)
        try:
            return ctx.wrap_socket(sock)
        except ssl.SSLError as exc:
            sock.close()
            raise LiveSourceError(self.remote, f"TLS handshake failed: {exc}") from None
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:  # pragma: no cover
            pass

    # -- messages
    def _send(self, obj: dict, deadline: float, what: str) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode()
        try:
            # (sendall: the timeout bounds the whole call, since Python 3.5)
            self.sock.settimeout(self._left(deadline, f"could not send {what}"))
            self.sock.sendall(data)
        except LiveTimeoutError:
            raise
        except TimeoutError:
            raise LiveTimeoutError(self.remote, f"could not send {what} within "
                                   f"{self.timeout:g} s") from None
        except OSError as exc:
            raise LiveDisconnected(self.remote, f"connection lost: {exc.strerror or exc}") \
                from None
        self.stats["bytes_sent"] += len(data)

    def _recv_message(self, what: str, deadline: float, ignored: int) -> Any:
        framer = self._framer
        while True:
            try:
                msg = framer.next_object()
            except _BadStream as exc:
                raise LiveProtocolError(self.remote, f"reply to {what}: {exc}") from None
            if msg is not None:
                return msg
            try:
                self.sock.settimeout(self._left(deadline, self._silence(what, ignored)))
                data = self.sock.recv(1 << 20)
            except LiveTimeoutError:
                raise
            except TimeoutError:
                raise LiveTimeoutError(self.remote, self._late(self._silence(what, ignored))) \
                    from None
            except OSError as exc:
                raise LiveDisconnected(self.remote, f"connection lost: {exc.strerror or exc}") \
                    from None
            if not data:
                raise LiveDisconnected(self.remote, f"connection closed by the server "
                                       f"(waiting for the reply to {what})")
            self.stats["bytes_received"] += len(data)
            try:
                framer.feed(data)
            except _BadStream as exc:
                raise LiveProtocolError(self.remote, f"reply to {what}: {exc}") from None

    def _silence(self, what: str, ignored: int) -> str:
        """What the server did not do, for a timeout's message."""
        got = len(self._framer.buf)
        text = (f"reply to {what} not complete {{within}} ({got} bytes of it received)" if got
                else f"no answer to {what} {{within}}")
        if ignored:
            text += f" ({ignored} messages with other ids ignored)"
        return text

    def request(self, method: str, params: list, deadline: float | None = None) -> Any:
        """Send one read-only request, wait for its reply until *deadline* (default: the
        timeout from now); the result."""
        check_read_only(method, params)  # the one door out: nothing else is sent
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        self._next_id += 1
        rid = self._next_id
        self._send({"method": method, "params": params, "id": rid}, deadline, method)
        self.stats["requests"] += 1
        ignored = 0
        while True:
            msg = self._recv_message(method, deadline, ignored)
            if type(msg) is not dict:
                raise LiveProtocolError(self.remote, f"reply to {method}: {_kind(msg)}, not a "
                                        f"JSON-RPC message (an object)")
            if msg.get("method") == "echo" and "id" in msg:  # the server's inactivity probe
                self._send({"result": msg.get("params", []), "error": None, "id": msg["id"]},
                           deadline, "an echo reply")
                continue
            mid = msg.get("id")
            if type(mid) is not int or mid != rid or "method" in msg:
                ignored += 1
                continue  # a notification, or an old reply
            if msg.get("error") is not None:
                raise LiveSourceError(self.remote, f"{method} failed: {_brief(msg['error'])}")
            if "result" not in msg:
                raise LiveProtocolError(self.remote, f"reply to {method}: no result")
            return msg["result"]

    def transact(self, database: str, ops: list[dict], deadline: float) -> list[list[dict]]:
        """The rows of each select of *ops*: a list of objects each (checked)."""
        result = self.request("transact", [database, *ops], deadline)
        what = f"transact on {database}"
        if type(result) is not list:
            raise LiveProtocolError(self.remote, f"reply to {what}: the result is "
                                    f"{_kind(result)}, not an array")
        out = []
        for i, res in enumerate(result):
            table = ops[i].get("table") if i < len(ops) else None
            if type(res) is not dict:
                raise LiveProtocolError(self.remote, f"reply to {what}: result {i} ({table}) "
                                        f"is {_kind(res)}, not an object")
            if "error" in res:
                where = f"select of {database}.{table}" if table else what
                raise LiveSourceError(self.remote, f"{where} failed: {_brief(res.get('error'))}"
                                      f": {_brief(res.get('details', ''))}")
            if i >= len(ops):
                continue
            rows = res.get("rows")
            if type(rows) is not list:
                raise LiveProtocolError(self.remote, f"reply to the select of "
                                        f"{database}.{table}: 'rows' is {_kind(rows)}, "
                                        f"not an array")
            for r in rows:
                if type(r) is not dict:
                    raise LiveProtocolError(self.remote, f"reply to the select of "
                                            f"{database}.{table}: a row is {_kind(r)}, "
                                            f"not an object")
            out.append(rows)
        if len(result) < len(ops):
            raise LiveProtocolError(self.remote, f"reply to {what}: {len(result)} results for "
                                    f"{len(ops)} operations")
        return out


# ------------------------------------------------------------------------------ source
class LiveSource(PrefixSource):
    """Rows of one database of a live ``ovsdb-server``, read with ``select`` only.

    *remote*: ``unix:PATH``, ``tcp:HOST[:PORT]``, ``ssl:HOST[:PORT]`` or a comma
    list of them, tried in order.  *leader_only*: for a clustered database, use
    only the cluster's leader (other members are skipped; while no member is
    leader, e.g. during an election, the remotes are tried again until the
    timeout).  *timeout*: seconds a read may take, all of it (connecting, the
    checks, the schema and the selects): the source's opening is one read, each
    later call that asks the server another (``with source.read_within():``
    makes several calls one read).  *max_reply*: the largest reply accepted, in
    bytes.  *private_key*, *certificate*, *ca_cert*: PEM files for ``ssl:``
    remotes (as ``-p``, ``-c``, ``-C`` of OVN's tools).  *database*: the database
    to read (``OVN_Southbound``...); by default the server's only one (an error
    when it serves several); the schema the server gives for it must bear its
    name.  *require*: tables (or ``{table: columns}``) the schema must have, checked
    before anything is read (:class:`~ovnparse.db.errors.LiveWrongSchema`).
    *tables*: read these (:meth:`prefetch`) as part of the opening read.

    Connects at once.  Errors: :class:`~ovnparse.db.errors.LiveSourceError` and
    its subclasses (timeout, disconnection, a malformed reply, another schema).
    ``rows()`` results are cached per table; :meth:`prefetch` gets several tables
    in one transaction (one consistent snapshot).  A connection the server closed
    meanwhile (an idle client misses its inactivity probes), or that a timeout or
    a malformed reply left unusable, is opened again at the next read.
    """

    def __init__(self, remote: str, *, leader_only: bool = True, timeout: float = 10.0,
                 private_key: str | os.PathLike | None = None,
                 certificate: str | os.PathLike | None = None,
                 ca_cert: str | os.PathLike | None = None,
                 database: str | None = None, max_reply: int = DEFAULT_MAX_REPLY,
                 tables=None, require=None):
        remotes = split_remotes(remote) if isinstance(remote, str) else []
        if not remotes:
            raise ValueError(f"no OVSDB remote in {remote!r}")
        for r in remotes:
            if _PASSIVE_RE.match(r):
                raise ValueError(f"{r}: a passive remote; ovnparse connects to a server "
                                 "(use unix:, tcp: or ssl:)")
            if not _REMOTE_RE.match(r):
                raise ValueError(f"{r}: not an OVSDB remote (unix:PATH, tcp:HOST:PORT, "
                                 "ssl:HOST:PORT)")
        if timeout is None or not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if not isinstance(max_reply, int) or max_reply <= 0:
            raise ValueError("max_reply must be a positive number of bytes")
        self.remote_spec = remote
        self.remotes = remotes
        self.leader_only = leader_only
        self.timeout = float(timeout)
        self.max_reply = max_reply
        self._tls = {"private_key": _path(private_key), "certificate": _path(certificate),
                     "ca_cert": _path(ca_cert)}
        self._database_arg = database
        self.database: str | None = None
        self.remote: str | None = None  # the remote connected to
        self.server: dict = {}  # its _Server.Database row (model, leader...), if any
        self.warnings: list[str] = []
        self.stats = {"requests": 0, "bytes_sent": 0, "bytes_received": 0, "rows_received": 0}
        #: one entry per request sent: (method, database, [(table, columns, where?)...])
        self.requests: list[tuple] = []
        self._conn: _Connection | None = None
        self._closed = False
        self._deadline: float | None = None  # of the read under way
        self._schema: Schema | None = None
        self._rows: dict[str, dict[str, dict]] = {}
        self._columns: dict[str, frozenset] = {}
        self._uuids: dict[str, list[str]] = {}
        with self.read_within():
            self._connect()
            try:
                lacks = missing_from(self.schema, require)
                if lacks:
                    raise LiveWrongSchema(self.remote or self.remote_spec,
                                          f"its {self.schema_name} schema "
                                          f"{self.schema_version} has no {', '.join(lacks)}",
                                          found=self.schema_name, expected=self.schema_name)
                if tables is not None:
                    self.prefetch(tables)
            except BaseException:
                self.close()
                raise

    @contextmanager
    def read_within(self, timeout: float | None = None):
        """Every request made inside is one read: one deadline, *timeout* (default: the
        source's) seconds from now.  Inside another read, the outer deadline holds."""
        if self._deadline is not None:
            yield self
            return
        self._deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            yield self
        finally:
            self._deadline = None

    # ------------------------------------------------------------ connection
    def _connect(self) -> None:
        deadline = self._deadline
        assert deadline is not None
        while True:
            errors: list[DatabaseError] = []
            transient = False
            for n, remote in enumerate(self.remotes):
                # each remote left gets its share of the time left: a member that hangs
                # does not use up the time of the others
                share = (deadline - time.monotonic()) / (len(self.remotes) - n)
                until = deadline if n == len(self.remotes) - 1 else time.monotonic() + share
                try:
                    conn = _Connection(remote, self.timeout, until, self._tls, self.stats,
                                       self.max_reply, None if until == deadline else share)
                except LiveSourceError as exc:
                    errors.append(exc)
                    continue
                try:
                    why = self._usable(conn, until)
                except DatabaseError as exc:
                    conn.close()
                    errors.append(exc)
                    continue
                except BaseException:
                    conn.close()
                    raise
                if why is None:
                    conn.share = None
                    self._conn = conn
                    self.remote = remote
                    return
                conn.close()
                errors.append(LiveSourceError(remote, f"{why} (tried for {self.timeout:g} s)"))
                transient = True
            left = deadline - time.monotonic()
            if not transient or left < 0.2:
                break
            time.sleep(0.2)  # an election, or a member catching up: try again
        if len(errors) == 1:
            raise errors[0]
        text = "no usable OVSDB server: " + "; ".join(str(e) for e in errors)
        if all(isinstance(e, LiveTimeoutError) for e in errors):
            raise LiveTimeoutError(self.remote_spec, text)
        if all(isinstance(e, WrongSchemaError) for e in errors):
            raise LiveWrongSchema(self.remote_spec, text, expected=self._database_arg or "")
        raise LiveSourceError(self.remote_spec, text)

    def _usable(self, conn: _Connection, deadline: float) -> str | None:
        """Why this server will not do (``None``: it will); sets database and schema."""
        dbs = self._request(conn, "list_dbs", [], deadline)
        if type(dbs) is not list or not all(type(d) is str for d in dbs):
            raise LiveProtocolError(conn.remote, f"reply to list_dbs: {_brief(dbs)}, not a "
                                    f"list of database names")
        if self._database_arg is not None:
            if self._database_arg not in dbs:
                raise LiveWrongSchema(conn.remote, f"serves no database "
                                      f"{self._database_arg!r} (it serves {', '.join(dbs)})",
                                      found=", ".join(d for d in dbs if d[:1] != "_"),
                                      expected=self._database_arg)
            name = self._database_arg
        else:
            mine = [d for d in dbs if not d.startswith("_")]
            if len(mine) != 1:
                raise LiveSourceError(conn.remote, f"serves {len(mine)} databases "
                                      f"({', '.join(mine) or 'none'}): say which")
            name = mine[0]
        server: dict = {}
        if "_Server" in dbs:
            rows = self._transact(conn, "_Server", [{
                "op": "select", "table": "Database", "where": [["name", "==", name]],
                "columns": ["name", "model", "connected", "leader", "index"]}], deadline)[0]
            if rows:
                try:
                    server = {k: decode_generic(v) for k, v in rows[0].items()}
                except (TypeError, ValueError, RecursionError):
                    raise LiveProtocolError(conn.remote, f"reply to the select of "
                                            f"_Server.Database: a malformed row "
                                            f"{_brief(rows[0])}") from None
        if server.get("model") == "clustered":
            if server.get("connected") is False:
                return "not connected to its cluster"
            if self.leader_only and server.get("leader") is not True:
                return "not the cluster leader (leader_only; --no-leader-only reads any member)"
        if self._schema is None or self.database != name:
            reply = self._request(conn, "get_schema", [name], deadline)
            try:
                schema = Schema.from_json(reply)
            except (SchemaError, RecursionError) as e:
                raise LiveProtocolError(conn.remote, f"reply to get_schema {name}: not an "
                                        f"OVSDB schema ({_brief(str(e))})") from None
            if schema.name != name:
                # (ovsdb-server names a database after its schema: never so)
                raise LiveWrongSchema(conn.remote, f"asked for the schema of {name}, it gave "
                                      f"a {schema.name!r} schema", found=schema.name,
                                      expected=name)
            if self._schema is not None and (schema.name, schema.version) != \
                    (self._schema.name, self._schema.version):
                raise LiveWrongSchema(conn.remote, f"schema {schema.name} {schema.version}, "
                                      f"not {self._schema.name} {self._schema.version} as "
                                      f"before", found=schema.name, expected=self._schema.name)
            self._schema = schema
        self.database = name
        self.server = server
        return None

    def _request(self, conn: _Connection, method: str, params: list, deadline: float) -> Any:
        self.requests.append((method, params[0] if params else None, None))
        return conn.request(method, params, deadline)

    def _transact(self, conn: _Connection, database: str, ops: list[dict],
                  deadline: float) -> list[list[dict]]:
        self.requests.append(("transact", database,
                              [(o["table"], o.get("columns"), o.get("where")) for o in ops]))
        return conn.transact(database, ops, deadline)

    def _select(self, ops: list[dict]) -> list[list[dict]]:
        """The rows of a transact of selects on this source's database.

        Opens the connection again (once) if the server closed it, or if an earlier
        read left it unusable.  A timeout or a malformed reply leaves the connection
        in an unknown state: it is closed (the next read opens a new one).
        """
        if self._closed:
            raise LiveSourceError(self.remote_spec, "this LiveSource is closed")
        deadline = self._deadline
        assert deadline is not None
        conn, database = self._connection()
        try:
            return self._transact(conn, database, ops, deadline)
        except LiveDisconnected:
            self._drop()
            conn, database = self._connection()
            try:
                return self._transact(conn, database, ops, deadline)
            except LiveSourceError:
                self._drop()
                raise
        except LiveSourceError:
            self._drop()
            raise

    def _connection(self) -> tuple[_Connection, str]:
        """The connection (opened first if there is none) and the database's name."""
        if self._conn is None:
            self._connect()
        assert self._conn is not None and self.database is not None  # (_connect sets both)
        return self._conn, self.database

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        self._closed = True
        self._drop()

    # -------------------------------------------------------------- decoding
    def _columns_of(self, table: str, columns: Iterable[str] | None) -> frozenset:
        ts = self.schema.tables.get(table)
        if ts is None:
            raise KeyError(f"no table {table!r} in {self.schema_name} at {self.remote}")
        if columns is None:
            return frozenset(ts.columns)
        cols = frozenset(c for c in columns if c != "_uuid")
        unknown = [c for c in cols if c not in ts.columns and c != "_version"]
        if unknown:
            raise KeyError(f"no column {', '.join(sorted(unknown))} in table {table!r}")
        return cols

    def _decode(self, table: str, columns: frozenset, rows: list[dict]) -> dict[str, dict]:
        """The rows of a select, decoded in place; a row that is not what the schema says
        (a column missing, a value of another shape) is a LiveProtocolError."""
        ts = self.schema.tables[table]
        decoders = [(c, ts.columns[c].decoder()) for c in columns if c in ts.columns]
        # columns kept as they come (string, integer, boolean): their type checked
        plain = [(c, _ATOM_TYPES[ts.columns[c].key]) for c, d in decoders if d is None]
        decs = [(c, d) for c, d in decoders if d is not None]
        out: dict[str, dict] = {}
        c = "_uuid"
        try:
            for rj in rows:
                for c, t in plain:
                    if type(rj[c]) is not t:
                        raise TypeError(f"{_kind(rj[c])}, not {_ATOM_WORDS[t]}")
                for c, d in decs:
                    rj[c] = d(rj[c])
                c = "_uuid"
                u = rj["_uuid"]
                if type(u) is not list or len(u) != 2 or u[0] != "uuid" or type(u[1]) is not str:
                    raise TypeError(f"{_brief(u)}, not [\"uuid\", \"...\"]")
                uuid = u[1]
                rj["_uuid"] = uuid
                if "_version" in rj:
                    c = "_version"
                    rj["_version"] = rj["_version"][1]
                out[uuid] = rj
        except KeyError:
            raise LiveProtocolError(self.remote or self.remote_spec, f"reply to the select of "
                                    f"{self.database}.{table}: a row without column {c!r}") \
                from None
        except (TypeError, ValueError, IndexError, AttributeError, RecursionError) as e:
            raise LiveProtocolError(self.remote or self.remote_spec, f"reply to the select of "
                                    f"{self.database}.{table}: column {c!r} of a row is "
                                    f"malformed ({_brief(str(e))})") from None
        self.stats["rows_received"] += len(rows)
        return out

    @staticmethod
    def _op(table: str, columns: frozenset, where: list | None = None) -> dict:
        return {"op": "select", "table": table, "where": where or [],
                "columns": ["_uuid", *sorted(columns)]}

    # ------------------------------------------------------------ interface
    @property
    def schema(self) -> Schema:
        schema = self._schema
        assert schema is not None  # (read when connecting, before __init__ returns)
        return schema

    @property
    def schema_name(self) -> str:
        return self.schema.name

    @property
    def schema_version(self) -> str:
        return self.schema.version

    def tables(self) -> list[str]:
        return sorted(self.schema.tables)

    def _need(self, table: str, columns: frozenset) -> frozenset | None:
        have = self._columns.get(table)
        if have is not None and columns <= have:
            return None
        return columns if have is None else columns | have

    def prefetch(self, tables) -> None:
        from .ovsdb_file import _normalize_tables  # noqa: PLC0415
        spec = _normalize_tables(tables)
        if spec is None:
            spec = {t: None for t in self.schema.tables}
        todo = {}
        for t, cols in spec.items():
            if t not in self.schema.tables:
                continue
            need = self._need(t, self._columns_of(t, cols))
            if need is not None:
                todo[t] = need
        if todo:
            with self.read_within():
                self._fetch(todo)

    def _fetch(self, todo: dict[str, frozenset]) -> None:
        names = list(todo)
        result = self._select([self._op(t, todo[t]) for t in names])
        with gc_paused():
            decoded = {t: self._decode(t, todo[t], rows)
                       for t, rows in zip(names, result, strict=True)}
        for t, rows in decoded.items():  # (all or nothing)
            self._rows[t] = rows
            self._columns[t] = todo[t]

    def rows(self, table: str, columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        cols = self._columns_of(table, columns)
        need = self._need(table, cols)
        if need is not None:
            with self.read_within():
                self._fetch({table: need})
        return self._rows[table]

    def uuids(self, table: str) -> list[str]:
        """Every uuid of *table* (one select of the ``_uuid`` column; cached)."""
        self._columns_of(table, ())
        if table in self._rows:
            return list(self._rows[table])
        if table not in self._uuids:
            with self.read_within():
                rows = self._select([{"op": "select", "table": table, "where": [],
                                      "columns": ["_uuid"]}])[0]
            self._uuids[table] = list(self._decode(table, frozenset(), rows))
        return self._uuids[table]

    def rows_by_uuid_prefix(self, table: str, prefixes: Iterable[str | int],
                            columns: Iterable[str] | None = None) -> dict[str, dict]:
        """``{uuid: row}`` of the rows of *table* whose uuid starts with one of *prefixes*.

        A prefix is a uuid's start (``"4dfc3efb"``, any length, dashes allowed) or an
        OpenFlow cookie (an ``int`` or ``"0x…"``: its 8 hex digits).  The uuids come
        from one select of the ``_uuid`` column (:meth:`uuids`), then only the
        matching rows are fetched, one ``_uuid ==`` select each, in batches.  Every
        row a prefix matches is returned (collisions included).  Served from the
        cache when the whole table has been read already.  One read (one deadline).
        """
        cols = self._columns_of(table, columns)
        keys = set(prefix_keys(prefixes))
        if not keys:
            return {}
        if table in self._rows and self._need(table, cols) is None:
            cached = self._rows[table]
            return {u: cached[u] for u in cached if u.startswith(tuple(keys))}
        out: dict[str, dict] = {}
        with self.read_within():
            wanted = [u for u in self.uuids(table) if u.startswith(tuple(keys))]
            for i in range(0, len(wanted), UUID_BATCH):
                batch = wanted[i:i + UUID_BATCH]
                result = self._select([self._op(table, cols, [["_uuid", "==", ["uuid", u]]])
                                       for u in batch])
                rows = [r for res in result for r in res]
                out.update(self._decode(table, cols, rows))
        return out

    def __repr__(self) -> str:
        return f"<LiveSource {self.database} at {self.remote}>"


#: the Python type of each atomic type kept as it comes
_ATOM_TYPES = {"string": str, "integer": int, "boolean": bool, "real": float, "uuid": list}
_ATOM_WORDS = {str: "a string", int: "an integer", bool: "a boolean", float: "a real",
               list: "a uuid"}


def _path(p) -> str | None:
    return None if p is None else os.fspath(p)


def open_database(spec: str | os.PathLike, *, leader_only: bool = True, timeout: float = 10.0,
                  private_key: str | os.PathLike | None = None,
                  certificate: str | os.PathLike | None = None,
                  ca_cert: str | os.PathLike | None = None,
                  database: str | None = None, tables=None, table: str | None = None,
                  schema=None, max_reply: int = DEFAULT_MAX_REPLY,
                  salvage: bool = False) -> DatabaseSource:
    """A database source for *spec*: a saved file's path, or an OVSDB remote.

    - a path that exists → :func:`~ovnparse.db.source.open_source` (database file,
      ``ovsdb-client dump`` or ``ovn-*ctl list`` JSON; *tables*, *table*, *schema*,
      *salvage* are its options);
    - ``unix:…``, ``tcp:…``, ``ssl:…`` or a comma list of them → :class:`LiveSource`
      (*leader_only*, *timeout*, *max_reply*, the TLS files and *database*; *tables*
      is read within the opening read).

    *database* (``OVN_Northbound``, ``OVN_Southbound``), when given, is also checked
    against a file's schema name (:class:`~ovnparse.db.errors.WrongSchemaError`, a
    ``ValueError``, if another); for a remote, a *schema* given by name stands for
    *database*.  A spec that is neither raises ``FileNotFoundError`` (or
    ``ValueError`` for a passive remote).  :func:`ovnparse.db.open.open_database_for`
    is the stricter opener for a role.
    """
    from .source import open_source  # noqa: PLC0415
    text = os.fspath(spec)
    if isinstance(text, str) and not os.path.exists(text):
        if _PASSIVE_RE.match(text):
            raise ValueError(f"{text}: a passive remote; ovnparse connects to a server "
                             "(use unix:, tcp: or ssl:)")
        if is_remote(text):
            if database is None and isinstance(schema, str) and "/" not in schema \
                    and not schema.endswith(".ovsschema"):
                database = schema  # a schema name (OVN_Southbound) names the database
            return LiveSource(text, leader_only=leader_only, timeout=timeout,
                              private_key=private_key, certificate=certificate,
                              ca_cert=ca_cert, database=database, max_reply=max_reply,
                              tables=tables)
    src = open_source(spec, table=table, schema=schema, tables=tables, salvage=salvage)
    if database is not None and src.schema_name and src.schema_name != database:
        raise WrongSchemaError(text, f"holds {src.schema_name}, not {database}",
                               found=src.schema_name, expected=database)
    return src
