"""Keys that name rows: a 32-bit OpenFlow cookie, an ovn-trace uuid prefix.

ovn-controller sets an OpenFlow flow's cookie to the first 32 bits of the
uuid of the row it came from (a logical flow, a port binding...); ovn-trace
prints a logical flow's uuid by its first 8 hex digits: the same key.
"""

from __future__ import annotations

HEX_DIGITS = frozenset("0123456789abcdef")
HEX_DASH = HEX_DIGITS | {"-"}  # a uuid or a prefix of one


def cookie_key(cookie: int | str) -> str | None:
    """The 8-hex key of an OpenFlow cookie (``0x8ff93663``, ``"8ff93663"``, an int).

    ``None`` for a cookie wider than 32 bits (not one ovn-controller derives from a uuid).
    """
    if isinstance(cookie, str):
        text = cookie.strip().lower()
        if text.startswith("0x"):
            text = text[2:]
        if not text or not set(text) <= HEX_DIGITS:
            raise ValueError(f"not a hexadecimal cookie: {cookie!r}")
        value = int(text, 16)
    else:
        value = int(cookie)
    if value < 0 or value > 0xFFFFFFFF:
        return None
    return f"{value:08x}"


def prefix_keys(prefixes) -> tuple[str, ...]:
    """uuid prefixes (any length, dashes allowed) and cookies (ints or "0x...": their
    8 hex digits) as lower-case uuid prefixes, once each; ValueError for others."""
    keys: dict[str, None] = {}
    for p in prefixes:
        if isinstance(p, int) or (isinstance(p, str) and p.strip().lower().startswith("0x")):
            key = cookie_key(p)
            if key is not None:
                keys[key] = None
            continue
        text = str(p).strip().lower()
        if not text or not set(text) <= HEX_DASH:
            raise ValueError(f"not a uuid prefix or cookie: {p!r}")
        keys[text] = None
    return tuple(keys)
