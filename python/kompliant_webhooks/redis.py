"""A duplicate guard in Redis, for receivers running as several processes or on several
machines: every receiver of the account shares one Redis, so a webhook delivered to two of
them at once is processed by one.

.. code-block:: python

    import redis
    from kompliant_webhooks.redis import RedisGuard
    from kompliant_webhooks.flask import webhook_view

    guard = RedisGuard(redis.Redis.from_url("redis://localhost:6379/0"))

    @app.post("/webhooks")
    @webhook_view(receiver, guard=guard)
    def on_webhook(webhook): ...

You supply the client (``redis.Redis``, or a ``redis.RedisCluster``: each webhook is one key),
configured as you need (TLS, authentication, timeouts, ``decode_responses`` either way); this
module imports nothing from ``redis`` and the package does not depend on it.

Each webhook id is one key, ``prefix + id``:

- ``claim``: ``SET key in-progress NX PX lease``, atomic in Redis: of any number of
  concurrent claims at most one is ``ACQUIRED``; otherwise the key's value says
  ``ALREADY_COMPLETED`` or ``IN_PROGRESS``. A process that dies mid-handler loses its claim
  when the lease ends.
- ``complete``: ``SET key done PX retention`` (recorded even if the lease lapsed).
- ``release``: a Lua script deleting the key only while it holds ``in-progress``, so a
  completed id is never forgotten.

Redis errors (connection refused, timeouts) propagate: a failed claim is answered 500 and
Kompliant retries; a failed complete or release leaves the answer unchanged and is logged.
Redis must keep the keys: do not run it with an eviction policy that may drop them early
(``maxmemory-policy noeviction`` or a ``volatile-*`` policy with room to spare), and size it
for the peak rate times the retention (about 100 bytes per id).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional, Union

from ._native import DEFAULT_RETENTION
from .guard import Claim

__all__ = ["RedisGuard", "DEFAULT_PREFIX"]

#: The default key prefix.
DEFAULT_PREFIX = "kompliant:webhook:"

_IN_PROGRESS = "in-progress"
_DONE = "done"

# Deletes the key only while it is still in progress: a completed id is never released.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_Seconds = Union[float, timedelta]


def _millis(value: _Seconds, what: str) -> int:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError(f"{what} must be a finite, positive number of seconds (got {seconds})")
    return max(1, round(seconds * 1000))


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


class RedisGuard:
    """A :class:`~kompliant_webhooks.Guard` over a user-supplied redis-py client (see the
    module documentation).

    ``prefix`` namespaces the keys (use one per account if receivers of several accounts
    share a Redis: webhook ids are unique within an account). ``retention`` (seconds or
    ``timedelta``, default 7 days, the retry horizon) is how long a processed id is
    remembered. ``lease``, when given, replaces the lease the receiver asks for in every
    claim (so every process sharing the guard uses the same one); by default the receiver's
    (5 minutes) applies.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = DEFAULT_PREFIX,
        retention: _Seconds = DEFAULT_RETENTION,
        lease: Optional[_Seconds] = None,
    ) -> None:
        for method in ("set", "get", "register_script"):
            if not callable(getattr(client, method, None)):
                raise TypeError(f"client must be a redis-py client (redis.Redis); it has no {method}()")
        self.client = client
        self.prefix = prefix
        self.retention_ms = _millis(retention, "retention")
        self.lease_ms = None if lease is None else _millis(lease, "lease")
        self._release = client.register_script(_RELEASE)

    def key(self, webhook_id: str) -> str:
        """The Redis key of ``webhook_id``."""
        return self.prefix + webhook_id

    def claim(self, webhook_id: str, lease: float, /) -> str:
        """Claims ``webhook_id`` for ``lease`` seconds (or the guard's own ``lease``):
        ``SET NX PX``; returns a :class:`~kompliant_webhooks.Claim` value."""
        key = self.key(webhook_id)
        lease_ms = self.lease_ms if self.lease_ms is not None else _millis(lease, "lease")
        # A key that expires between SET NX and GET is free again: try once more.
        for _ in range(3):
            if self.client.set(key, _IN_PROGRESS, nx=True, px=lease_ms):
                return Claim.ACQUIRED.value
            current = _text(self.client.get(key))
            if current == _DONE:
                return Claim.ALREADY_COMPLETED.value
            if current is not None:
                return Claim.IN_PROGRESS.value
        return Claim.IN_PROGRESS.value

    def complete(self, webhook_id: str, /) -> None:
        """Records ``webhook_id`` as processed for the retention window."""
        self.client.set(self.key(webhook_id), _DONE, px=self.retention_ms)

    def release(self, webhook_id: str, /) -> None:
        """Deletes ``webhook_id``'s claim if it is still in progress (never a completed id)."""
        self._release(keys=[self.key(webhook_id)], args=[_IN_PROGRESS])

    def __repr__(self) -> str:
        # The client's repr may name its host; never its password, but keep it out anyway.
        return (
            f"RedisGuard(prefix={self.prefix!r}, retention={self.retention_ms / 1000!r}, "
            f"lease={None if self.lease_ms is None else self.lease_ms / 1000!r})"
        )
