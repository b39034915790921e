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
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from . import _json
from ._json import gc_paused
from .keys import cookie_key
from .schema import Schema, decode_generic
from .source import DatabaseSource

__all__ = ["LiveSource", "LiveSourceError", "LiveTimeoutError", "LiveDisconnected",
           "ReadOnlyViolation", "open_database",
           "is_remote", "split_remotes", "READ_ONLY_METHODS", "check_read_only"]

#: the only JSON-RPC methods a LiveSource sends (``transact`` with ``select`` ops only)
READ_ONLY_METHODS = frozenset({"list_dbs", "get_schema", "transact", "echo"})
#: OVSDB's default port (``OVSDB_PORT``), used when a tcp:/ssl: remote names none
DEFAULT_PORT = 6640
#: uuids asked for in one transact by :meth:`LiveSource.rows_by_uuid_prefix`
UUID_BATCH = 500

_REMOTE_RE = re.compile(r"^\s*(unix|tcp|ssl):\S")
_PASSIVE_RE = re.compile(r"^\s*(punix|ptcp|pssl):")
_HEX = frozenset("0123456789abcdef")


class LiveSourceError(ConnectionError):
    """No usable server among the remotes, or a server refused or broke a request."""


class LiveTimeoutError(LiveSourceError, TimeoutError):
    """A server did not answer (connect, handshake or a reply) within the timeout."""


class LiveDisconnected(LiveSourceError):
    """The server closed the connection (or it broke) while a request was under way."""


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


# ---------------------------------------------------------------------------- transport
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

    def feed(self, data: bytes) -> None:
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
                raise LiveSourceError(f"not a JSON-RPC message: {bytes(buf[start:start + 60])!r}")
            self.start = start
            self.pos = start + 1
            self.depth = 1
        pos = self.pos
        match = _SKIP.match
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


#: every byte but the quote and the braces (what depth tracking looks at)
_DELETE = bytes(c for c in range(256) if c not in b'"{}')
_STRING = re.compile(rb'"[^"]*"')


class _FastFramer:
    """Finds where a message ends with a few C-speed passes a chunk, then parses it.

    :class:`_Framer`'s scan costs about as much as parsing on a 40 MB ``select``
    reply (one regular-expression step a string).  Here each chunk is reduced to
    its quotes and braces (escaped backslashes and quotes removed first, a
    backslash run at a chunk's end held back for the next), its strings dropped
    (``""`` pairs by ``bytes.replace``: an empty string or two strings with
    nothing between them), and the braces left are counted.  When the count is
    back to zero the buffer is parsed; if it holds more than one message (a
    server's ``echo`` probe beside the reply), :class:`_Framer` cuts it.
    """

    def __init__(self) -> None:
        self.buf = bytearray()
        self.depth = 0
        self.in_string = False
        self.carry = b""
        self.pending: list = []

    def feed(self, data: bytes) -> None:
        self.buf += data
        seg = self.carry + data
        stripped = seg.rstrip(b"\\")
        self.carry = seg[len(stripped):]
        red = stripped.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DELETE)
        if self.in_string:
            red = b'"' + red
        red = red.replace(b'""', b"")
        self.in_string = False
        if b'"' in red:
            red = _STRING.sub(b"", red)
            q = red.find(b'"')
            if q >= 0:  # an unfinished string: what follows is inside it
                red = red[:q]
                self.in_string = True
        self.depth += red.count(b"{") - red.count(b"}")
        if self.depth < 0:
            raise LiveSourceError("not a JSON-RPC stream (unbalanced braces)")

    def next_object(self) -> Any | None:
        """The next whole message, parsed; ``None`` until one has fully arrived."""
        if self.pending:
            return self.pending.pop(0)
        if self.depth or self.in_string or self.carry or not self.buf:
            return None
        buf, self.buf = self.buf, bytearray()
        end = len(buf)
        while end and buf[end - 1] in _WS:
            end -= 1
        if not end:
            return None
        try:
            with gc_paused():
                return _json.loads(buf)
        except ValueError:  # several messages in one buffer: cut them one by one
            framer = _Framer()
            framer.feed(buf)
            while (raw := framer.next_message()) is not None:
                with gc_paused():
                    self.pending.append(_json.loads(raw))
            if framer.depth or framer.buf[framer.pos:].strip():
                raise LiveSourceError(f"not a JSON-RPC message: {bytes(buf[:60])!r}") \
                    from None
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
    """One JSON-RPC connection to one remote; blocking, one request at a time."""

    def __init__(self, remote: str, timeout: float, tls: Mapping[str, str | None],
                 stats: dict):
        self.remote = remote
        self.timeout = timeout
        self.stats = stats
        self._next_id = 0
        self._framer = _FastFramer()
        kind, _, rest = remote.partition(":")
        deadline = time.monotonic() + timeout
        try:
            if kind == "unix":
                sock = self._unix(rest)
            elif kind in ("tcp", "ssl"):
                host, port = _parse_address(rest, remote)
                sock = socket.create_connection((host, port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if kind == "ssl":
                    sock = self._tls(sock, tls, max(0.001, deadline - time.monotonic()))
            else:
                raise ValueError(f"{remote}: not an active OVSDB remote (unix:, tcp:, ssl:)")
        except TimeoutError:
            raise LiveTimeoutError(f"{remote}: no connection within {timeout:g} s") from None
        except OSError as exc:
            raise LiveSourceError(f"{remote}: cannot connect: {exc.strerror or exc}") from None
        sock.settimeout(timeout)
        self.sock = sock

    def _unix(self, path: str) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
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

    @staticmethod
    def _tls(sock: socket.socket, tls: Mapping[str, str | None], timeout: float) -> socket.socket:
        import ssl  # noqa: PLC0415 - only for ssl: remotes (a few ms to import)
        missing = [k for k in ("private_key", "certificate", "ca_cert") if not tls.get(k)]
        if missing:
            sock.close()
            raise LiveSourceError("ssl: remotes need a private key, a certificate and a CA "
                                  "certificate (missing: " + ", ".join(missing) + ")")
        # as OVS's SSL streams: the server's certificate is checked against the CA,
        # not against a host name; TLS 1.2 or later
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_verify_locations(tls["ca_cert"])
            ctx.load_cert_chain(tls["certificate"], tls["private_key"])
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise LiveSourceError(f"cannot load the TLS key, certificate or CA: {exc}") from None
        sock.settimeout(timeout)
        try:
            return ctx.wrap_socket(sock)
        except ssl.SSLError as exc:
            sock.close()
            raise LiveSourceError(f"TLS handshake failed: {exc}") from None
        except BaseException:
            sock.close()
            raise

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:  # pragma: no cover
            pass

    # -- messages
    def _send(self, obj: dict) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode()
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise LiveTimeoutError(f"{self.remote}: could not send within {self.timeout:g} s") \
                from None
        except OSError as exc:
            raise LiveDisconnected(f"{self.remote}: connection lost: {exc}") from None
        self.stats["bytes_sent"] += len(data)

    def _recv_message(self, what: str) -> Any:
        framer = self._framer
        while True:
            msg = framer.next_object()
            if msg is not None:
                return msg
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                raise LiveTimeoutError(f"{self.remote}: no answer to {what} within "
                                       f"{self.timeout:g} s") from None
            except OSError as exc:
                raise LiveDisconnected(f"{self.remote}: connection lost: {exc}") from None
            if not data:
                raise LiveDisconnected(f"{self.remote}: connection closed by the server "
                                      f"(waiting for the reply to {what})")
            self.stats["bytes_received"] += len(data)
            framer.feed(data)

    def request(self, method: str, params: list) -> Any:
        """Send one read-only request, wait for its reply; the result (errors raised)."""
        check_read_only(method, params)  # the one door out: nothing else is sent
        self._next_id += 1
        rid = self._next_id
        self._send({"method": method, "params": params, "id": rid})
        self.stats["requests"] += 1
        while True:
            msg = self._recv_message(method)
            if not isinstance(msg, dict):
                raise LiveSourceError(f"{self.remote}: not a JSON-RPC message: {msg!r:.60}")
            if msg.get("method") == "echo" and "id" in msg:  # the server's inactivity probe
                self._send({"result": msg.get("params", []), "error": None, "id": msg["id"]})
                continue
            if msg.get("id") != rid or "method" in msg:
                continue  # a notification, or an old reply
            if msg.get("error") is not None:
                raise LiveSourceError(f"{self.remote}: {method} failed: {msg['error']}")
            return msg.get("result")

    def transact(self, database: str, ops: list[dict]) -> list:
        result = self.request("transact", [database, *ops])
        if not isinstance(result, list):
            raise LiveSourceError(f"{self.remote}: bad transact reply")
        for op, res in zip(ops, result):
            if isinstance(res, dict) and "error" in res:
                raise LiveSourceError(f"{self.remote}: select of {database}.{op.get('table')} "
                                      f"failed: {res.get('error')}: {res.get('details', '')}")
        if len(result) < len(ops):
            raise LiveSourceError(f"{self.remote}: transact reply has {len(result)} results "
                                  f"for {len(ops)} operations")
        return result


# ------------------------------------------------------------------------------ source
class LiveSource(DatabaseSource):
    """Rows of one database of a live ``ovsdb-server``, read with ``select`` only.

    *remote*: ``unix:PATH``, ``tcp:HOST[:PORT]``, ``ssl:HOST[:PORT]`` or a comma
    list of them, tried in order.  *leader_only*: for a clustered database, use
    only the cluster's leader (other members are skipped; while no member is
    leader, e.g. during an election, the remotes are tried again until the
    timeout).  *timeout*: seconds to connect to a remote and, afterwards, the
    longest silence waited for while a reply is due (a long reply that keeps
    coming never times out).  *private_key*, *certificate*, *ca_cert*: PEM files
    for ``ssl:`` remotes (as ``-p``, ``-c``, ``-C`` of OVN's tools).
    *database*: the database to read (``OVN_Southbound``...); by default the
    server's only one (an error when it serves several).

    Connects at once (errors: :class:`LiveSourceError`, :class:`LiveTimeoutError`).
    ``rows()`` results are cached per table; :meth:`prefetch` gets several tables
    in one transaction (one consistent snapshot).  A connection the server closed
    meanwhile (an idle client misses its inactivity probes) is opened again once.
    """

    def __init__(self, remote: str, *, leader_only: bool = True, timeout: float = 10.0,
                 private_key: str | os.PathLike | None = None,
                 certificate: str | os.PathLike | None = None,
                 ca_cert: str | os.PathLike | None = None,
                 database: str | None = None):
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
        if timeout is None or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.remote_spec = remote
        self.remotes = remotes
        self.leader_only = leader_only
        self.timeout = float(timeout)
        self._tls = {"private_key": _path(private_key), "certificate": _path(certificate),
                     "ca_cert": _path(ca_cert)}
        self._database_arg = database
        self.database: str | None = None
        self.remote: str | None = None  # the remote connected to
        self.server: dict = {}  # its _Server.Database row (model, leader...), if any
        self.stats = {"requests": 0, "bytes_sent": 0, "bytes_received": 0, "rows_received": 0}
        #: one entry per request sent: (method, database, [(table, columns, where?)...])
        self.requests: list[tuple] = []
        self._conn: _Connection | None = None
        self._schema: Schema | None = None
        self._rows: dict[str, dict[str, dict]] = {}
        self._columns: dict[str, frozenset] = {}
        self._uuids: dict[str, list[str]] = {}
        self._connect()

    # ------------------------------------------------------------ connection
    def _connect(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            reasons = []
            transient = False
            for remote in self.remotes:
                try:
                    conn = _Connection(remote, self.timeout, self._tls, self.stats)
                except LiveSourceError as exc:
                    reasons.append(str(exc))
                    continue
                try:
                    why = self._usable(conn)
                except LiveSourceError as exc:
                    conn.close()
                    reasons.append(str(exc))
                    continue
                if why is None:
                    self._conn = conn
                    self.remote = remote
                    return
                conn.close()
                reasons.append(f"{remote}: {why}")
                transient = True
            if not transient or time.monotonic() + 0.2 > deadline:
                break
            time.sleep(0.2)  # an election, or a member catching up: try again
        timed_out = all("within" in r for r in reasons)
        cls = LiveTimeoutError if timed_out else LiveSourceError
        raise cls("no usable OVSDB server: " + "; ".join(reasons))

    def _usable(self, conn: _Connection) -> str | None:
        """Why this server will not do (``None``: it will); sets database and schema."""
        dbs = self._request(conn, "list_dbs", [])
        if not isinstance(dbs, list):
            raise LiveSourceError(f"{conn.remote}: bad list_dbs reply")
        if self._database_arg is not None:
            if self._database_arg not in dbs:
                raise LiveSourceError(f"{conn.remote}: serves no database "
                                      f"{self._database_arg!r} (it serves {', '.join(dbs)})")
            name = self._database_arg
        else:
            mine = [d for d in dbs if not d.startswith("_")]
            if len(mine) != 1:
                raise LiveSourceError(f"{conn.remote}: serves {len(mine)} databases "
                                      f"({', '.join(mine) or 'none'}): say which")
            name = mine[0]
        server: dict = {}
        if "_Server" in dbs:
            res = self._transact(conn, "_Server", [{
                "op": "select", "table": "Database", "where": [["name", "==", name]],
                "columns": ["name", "model", "connected", "leader", "index"]}])
            rows = res[0].get("rows", [])
            if rows:
                server = {k: decode_generic(v) for k, v in rows[0].items()}
        if server.get("model") == "clustered":
            if server.get("connected") is False:
                return "not connected to its cluster"
            if self.leader_only and server.get("leader") is not True:
                return "not the cluster leader (leader_only; --no-leader-only reads any member)"
        if self._schema is None or self.database != name:
            schema = Schema.from_json(self._request(conn, "get_schema", [name]))
            if self._schema is not None and (schema.name, schema.version) != \
                    (self._schema.name, self._schema.version):
                raise LiveSourceError(f"{conn.remote}: schema {schema.name} {schema.version}, "
                                      f"not {self._schema.name} {self._schema.version} as before")
            self._schema = schema
        self.database = name
        self.server = server
        return None

    def _request(self, conn: _Connection, method: str, params: list) -> Any:
        self.requests.append((method, params[0] if params else None, None))
        return conn.request(method, params)

    def _transact(self, conn: _Connection, database: str, ops: list[dict]) -> list:
        self.requests.append(("transact", database,
                              [(o["table"], o.get("columns"), o.get("where")) for o in ops]))
        return conn.transact(database, ops)

    def _select(self, ops: list[dict]) -> list:
        """A transact of selects on this source's database; opens the connection again
        once if the server closed it."""
        if self._conn is None:
            raise LiveSourceError("this LiveSource is closed")
        try:
            return self._transact(self._conn, self.database, ops)  # type: ignore[arg-type]
        except LiveDisconnected:
            self._conn.close()
            self._conn = None
            self._connect()
            return self._transact(self._conn, self.database, ops)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -------------------------------------------------------------- decoding
    def _columns_of(self, table: str, columns: Iterable[str] | None) -> frozenset:
        ts = self._schema.tables.get(table)  # type: ignore[union-attr]
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
        ts = self._schema.tables[table]  # type: ignore[union-attr]
        decs = [(c, ts.columns[c].decoder()) for c in columns if c in ts.columns]
        out: dict[str, dict] = {}
        for rj in rows:
            for c, d in decs:
                if d is not None:
                    rj[c] = d(rj[c])
            uuid = rj["_uuid"][1]
            rj["_uuid"] = uuid
            if "_version" in rj:
                rj["_version"] = rj["_version"][1]
            out[uuid] = rj
        self.stats["rows_received"] += len(rows)
        return out

    @staticmethod
    def _op(table: str, columns: frozenset, where: list | None = None) -> dict:
        return {"op": "select", "table": table, "where": where or [],
                "columns": ["_uuid", *sorted(columns)]}

    # ------------------------------------------------------------ interface
    @property
    def schema(self) -> Schema:
        return self._schema  # type: ignore[return-value]

    @property
    def schema_name(self) -> str:
        return self._schema.name  # type: ignore[union-attr]

    @property
    def schema_version(self) -> str:
        return self._schema.version  # type: ignore[union-attr]

    def tables(self) -> list[str]:
        return sorted(self._schema.tables)  # type: ignore[union-attr]

    def _need(self, table: str, columns: frozenset) -> frozenset | None:
        have = self._columns.get(table)
        if have is not None and columns <= have:
            return None
        return columns if have is None else columns | have

    def prefetch(self, tables) -> None:
        from .ovsdb_file import _normalize_tables  # noqa: PLC0415
        spec = _normalize_tables(tables)
        if spec is None:
            spec = {t: None for t in self._schema.tables}  # type: ignore[union-attr]
        todo = {}
        for t, cols in spec.items():
            if t not in self._schema.tables:  # type: ignore[union-attr]
                continue
            need = self._need(t, self._columns_of(t, cols))
            if need is not None:
                todo[t] = need
        if todo:
            self._fetch(todo)

    def _fetch(self, todo: dict[str, frozenset]) -> None:
        names = list(todo)
        result = self._select([self._op(t, todo[t]) for t in names])
        with gc_paused():
            for t, res in zip(names, result):
                self._rows[t] = self._decode(t, todo[t], res.get("rows", []))
                self._columns[t] = todo[t]

    def rows(self, table: str, columns: Iterable[str] | None = None) -> Mapping[str, dict]:
        cols = self._columns_of(table, columns)
        need = self._need(table, cols)
        if need is not None:
            self._fetch({table: need})
        return self._rows[table]

    def uuids(self, table: str) -> list[str]:
        """Every uuid of *table* (one select of the ``_uuid`` column; cached)."""
        self._columns_of(table, ())
        if table in self._rows:
            return list(self._rows[table])
        if table not in self._uuids:
            res = self._select([{"op": "select", "table": table, "where": [],
                                 "columns": ["_uuid"]}])[0].get("rows", [])
            self.stats["rows_received"] += len(res)
            self._uuids[table] = [r["_uuid"][1] for r in res]
        return self._uuids[table]

    def rows_by_uuid_prefix(self, table: str, prefixes: Iterable[str | int],
                            columns: Iterable[str] | None = None) -> dict[str, dict]:
        """``{uuid: row}`` of the rows of *table* whose uuid starts with one of *prefixes*.

        A prefix is a uuid's start (``"4dfc3efb"``, any length, dashes allowed) or an
        OpenFlow cookie (an ``int`` or ``"0x…"``: its 8 hex digits).  The uuids come
        from one select of the ``_uuid`` column (:meth:`uuids`), then only the
        matching rows are fetched, one ``_uuid ==`` select each, in batches.  Every
        row a prefix matches is returned (collisions included).  Served from the
        cache when the whole table has been read already.
        """
        cols = self._columns_of(table, columns)
        keys = set()
        for p in prefixes:
            if isinstance(p, int) or (isinstance(p, str) and p.strip().lower().startswith("0x")):
                key = cookie_key(p)
                if key is not None:
                    keys.add(key)
                continue
            text = str(p).strip().lower()
            if not text or not set(text) <= _HEX | {"-"}:
                raise ValueError(f"not a uuid prefix or cookie: {p!r}")
            keys.add(text)
        if not keys:
            return {}
        if table in self._rows and self._need(table, cols) is None:
            rows = self._rows[table]
            return {u: rows[u] for u in rows if u.startswith(tuple(keys))}
        wanted = [u for u in self.uuids(table) if u.startswith(tuple(keys))]
        out: dict[str, dict] = {}
        for i in range(0, len(wanted), UUID_BATCH):
            batch = wanted[i:i + UUID_BATCH]
            result = self._select([self._op(table, cols, [["_uuid", "==", ["uuid", u]]])
                                   for u in batch])
            rows = [r for res in result for r in res.get("rows", [])]
            out.update(self._decode(table, cols, rows))
        return out

    def __repr__(self) -> str:
        return f"<LiveSource {self.database} at {self.remote}>"


def _path(p) -> str | None:
    return None if p is None else os.fspath(p)


def open_database(spec: str | os.PathLike, *, leader_only: bool = True, timeout: float = 10.0,
                  private_key: str | os.PathLike | None = None,
                  certificate: str | os.PathLike | None = None,
                  ca_cert: str | os.PathLike | None = None,
                  database: str | None = None, tables=None, table: str | None = None,
                  schema=None) -> DatabaseSource:
    """A database source for *spec*: a saved file's path, or an OVSDB remote.

    - a path that exists → :func:`~ovnparse.db.source.open_source` (database file,
      ``ovsdb-client dump`` or ``ovn-*ctl list`` JSON; *tables*, *table*, *schema*
      are its options);
    - ``unix:…``, ``tcp:…``, ``ssl:…`` or a comma list of them → :class:`LiveSource`
      (*leader_only*, *timeout*, the TLS files and *database*; *tables* is prefetched).

    *database* (``OVN_Northbound``, ``OVN_Southbound``), when given, is also checked
    against a file's schema name (``ValueError`` if another); for a remote, a
    *schema* given by name stands for *database*.  A spec that is
    neither raises ``FileNotFoundError`` (or ``ValueError`` for a passive remote).
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
            src = LiveSource(text, leader_only=leader_only, timeout=timeout,
                             private_key=private_key, certificate=certificate, ca_cert=ca_cert,
                             database=database)
            if tables is not None:
                src.prefetch(tables)
            return src
    src = open_source(spec, table=table, schema=schema, tables=tables)
    if database is not None and src.schema_name and src.schema_name != database:
        raise ValueError(f"{text}: holds {src.schema_name}, not {database}")
    return src
