"""What the store-backed guards (``redis.RedisGuard``, ``postgres.PostgresGuard``) share: how
their durations are given and turned into the whole milliseconds their stores keep."""

from __future__ import annotations

from datetime import timedelta
from typing import Union

from ._native import redis_millis

#: A duration: seconds, or a ``timedelta``.
Seconds = Union[float, timedelta]


def millis(value: Seconds, what: str) -> int:
    """``value`` in whole milliseconds as the core rounds them (at least 1); ``ValueError``
    naming ``what`` unless it is a finite, positive duration."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{what} must be a finite, positive number of seconds (got {seconds})")
    return redis_millis(seconds)
