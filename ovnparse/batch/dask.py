"""Runs on a dask.distributed cluster (the optional extra `[dask]`)."""

from __future__ import annotations

from typing import Any

from ..errors import InputError, Problem


def connect(address: str) -> Any:
    """A Client of the scheduler at `address` (InputError when dask is missing)."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(Problem("--dask", 0, "needs dask.distributed",
                                 "pip install 'ovnparse[dask]'")) from None
    try:
        return Client(address, timeout=30)
    except OSError as exc:
        raise InputError(Problem("--dask", 0, f"cannot reach {address}: {exc}")) from None
