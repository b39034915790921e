"""How analysis objects show themselves in Jupyter without importing the views
above them: views/html.py registers a card maker per class when it is loaded
(the face, ``import ovnparse``, loads it) and ``_repr_html_`` asks here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_CARDS: dict[type, Callable[[Any], str]] = {}


def register_card(cls: type, make: Callable[[Any], str]) -> None:
    _CARDS[cls] = make


def card(obj: Any) -> str | None:
    """The HTML card of *obj*, or None (Jupyter then shows its repr)."""
    for cls in type(obj).__mro__:
        make = _CARDS.get(cls)
        if make is not None:
            return make(obj)
    return None
