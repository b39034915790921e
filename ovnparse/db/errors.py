"""Every exception the database layer raises on purpose: all are ``DatabaseError``s.

Each is raised with the file or remote it is about (``.source``) and a one-line
``.message``; ``str()`` is ``"<source>: <message>"``.  The older classes keep
their former standard bases (``ValueError``, ``ConnectionError``,
``TimeoutError``) so that callers that caught those still catch them::

  DatabaseError (ovnparse.errors, exit status 3)
  ├── OvsdbFileError        ValueError       not an OVSDB file; schema or raft header unreadable
  │   └── DamagedFileError                   a record cut, mis-hashed, not JSON, or refused
  │                                          (.offset: the byte offset in the file)
  ├── WrongSchemaError      ValueError       another database than the one asked for
  ├── SavedOutputError      ValueError       a tool's JSON or lflow-list text is unreadable
  └── LiveSourceError       ConnectionError  no usable server, or a request refused
      ├── LiveTimeoutError  TimeoutError     the read did not finish within its timeout
      ├── LiveDisconnected                   the server closed the connection mid-read
      └── LiveProtocolError                  a reply that is not what OVSDB sends:
          └── LiveWrongSchema  WrongSchemaError  not JSON-RPC, malformed, too large,
                                                 or the schema of another database

Not ``DatabaseError``s, because they are a caller's mistake rather than the
database's: ``ReadOnlyViolation`` (an ``AssertionError``: something tried to send
a write), ``KeyError`` for a table or column the schema does not have, and
``ValueError`` for a malformed remote, a passive remote, a bad timeout or a uuid
prefix that is not hex.
"""

from __future__ import annotations

from ..errors import DatabaseError

__all__ = ["DatabaseError", "OvsdbFileError", "DamagedFileError", "WrongSchemaError",
           "SavedOutputError", "LiveSourceError", "LiveTimeoutError", "LiveDisconnected",
           "LiveProtocolError", "LiveWrongSchema"]


class OvsdbFileError(DatabaseError, ValueError):
    """The file is not an OVSDB database file, or its schema or raft header is unreadable."""


class DamagedFileError(OvsdbFileError):
    """A record of the file is cut, does not hash right, is not JSON, or would be refused.

    ``offset``: where in the (uncompressed) file the damage starts.
    """

    def __init__(self, source: str, offset: int, message: str):
        super().__init__(source, message)
        self.offset = offset


class WrongSchemaError(DatabaseError, ValueError):
    """The database holds another schema than the one asked for (the NB given as the SB...)."""

    def __init__(self, source: str, message: str, *, found: str = "", expected: str = ""):
        super().__init__(source, message)
        self.found = found
        self.expected = expected


class SavedOutputError(DatabaseError, ValueError):
    """A saved tool output (``ovsdb-client dump`` or ``ovn-*ctl`` JSON, ``lflow-list``
    text) cannot be read as one."""


class LiveSourceError(DatabaseError, ConnectionError):
    """No usable server among the remotes, or a server refused or broke a request."""


class LiveTimeoutError(LiveSourceError, TimeoutError):
    """The read (connect, schema, every select) did not finish within its timeout."""


class LiveDisconnected(LiveSourceError):
    """The server closed the connection (or it broke) while a request was under way."""


class LiveProtocolError(LiveSourceError):
    """A server's reply is not what OVSDB sends: not JSON-RPC, malformed, or too large."""


class LiveWrongSchema(LiveProtocolError, WrongSchemaError):
    """The server serves, under the database name asked for, another schema."""

    def __init__(self, source: str, message: str, *, found: str = "", expected: str = ""):
        LiveProtocolError.__init__(self, source, message)
        self.found = found
        self.expected = expected
