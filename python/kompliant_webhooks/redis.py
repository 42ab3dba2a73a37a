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

The protocol is the core's (``kompliant_webhooks::redis`` in Rust; the Node guard runs the
same): each webhook id is one key, ``prefix + id``, holding ``in-progress:<token>`` while a
delivery holds the claim (expiring with the lease, renewed while the handler runs) or
``done`` once processed (expiring after the retention). Each operation is one Lua script run
with ``EVALSHA`` (``register_script``), reading and writing that one key, so it is atomic:

- ``claim``: sets ``in-progress:<token>`` with the lease if the key is free (``ACQUIRED``);
  otherwise answers ``ALREADY_COMPLETED`` (``done``) or ``IN_PROGRESS``.
- ``renew``: extends the lease if the key still holds this token (``HELD``), else ``LOST``.
- ``complete``: sets ``done`` with the retention if the key holds this token or is gone (the
  lease lapsed and nobody claimed the id since): ``HELD``; else ``LOST``, nothing changed.
- ``release``: deletes the key if it holds this token (``HELD``); a completed id or another
  delivery's claim is left alone (``LOST``).

Redis errors (connection refused, timeouts) propagate: a failed claim is answered 500 and
Kompliant retries; a failed renewal is tried again at the next interval; a failed complete
or release leaves the answer unchanged and is logged. Redis must keep the keys: do not run
it with an eviction policy that may drop them early (``maxmemory-policy noeviction`` or a
``volatile-*`` policy with room to spare), and size it for the peak rate times the retention
(about 130 bytes per id).

A key written by an earlier version of this package (``in-progress`` without a token) is
another holder's claim: it is answered ``IN_PROGRESS`` until its lease lapses.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

from ._native import (
    CLAIMS,
    DEFAULT_RETENTION,
    HELDS,
    REDIS_CLAIM_SCRIPT,
    REDIS_COMPLETE_SCRIPT,
    REDIS_DEFAULT_PREFIX,
    REDIS_DONE,
    REDIS_IN_PROGRESS_PREFIX,
    REDIS_RELEASE_SCRIPT,
    REDIS_RENEW_SCRIPT,
)
from ._store import Seconds as _Seconds, millis as _millis

__all__ = ["RedisGuard", "DEFAULT_PREFIX", "DONE", "IN_PROGRESS_PREFIX"]

#: The default key prefix.
DEFAULT_PREFIX: str = REDIS_DEFAULT_PREFIX
#: The value of a processed id's key.
DONE: str = REDIS_DONE
#: The value of a claimed id's key is this followed by the holder's token.
IN_PROGRESS_PREFIX: str = REDIS_IN_PROGRESS_PREFIX

def _answer(reply: Any, script: str, allowed: Tuple[str, ...]) -> str:
    """A script's reply as the string the core parses (replies arrive as bytes unless the
    client decodes them); anything else is the store misbehaving."""
    text = bytes(reply).decode("utf-8", "replace") if isinstance(reply, (bytes, bytearray)) else reply
    if isinstance(text, str) and text in allowed:
        return text
    raise RuntimeError(f"the {script} script answered {reply!r}, not one of {', '.join(allowed)}")


class RedisGuard:
    """A :class:`~kompliant_webhooks.Guard` over a user-supplied redis-py client (see the
    module documentation).

    ``prefix`` namespaces the keys (use one per account if receivers of several accounts
    share a Redis: webhook ids are unique within an account). ``retention`` (seconds or
    ``timedelta``, default 7 days, the retry horizon) is how long a processed id is
    remembered. ``lease``, when given, replaces the lease the receiver asks for in every
    claim and renewal (so every process sharing the guard uses the same one); by default the
    receiver's (5 minutes) applies.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = DEFAULT_PREFIX,
        retention: _Seconds = DEFAULT_RETENTION,
        lease: Optional[_Seconds] = None,
    ) -> None:
        if not callable(getattr(client, "register_script", None)):
            raise TypeError("client must be a redis-py client (redis.Redis); it has no register_script()")
        self.client = client
        self.prefix = prefix
        self.retention_ms = _millis(retention, "retention")
        self.lease_ms = None if lease is None else _millis(lease, "lease")
        self._claim: Callable[..., Any] = client.register_script(REDIS_CLAIM_SCRIPT)
        self._renew: Callable[..., Any] = client.register_script(REDIS_RENEW_SCRIPT)
        self._complete: Callable[..., Any] = client.register_script(REDIS_COMPLETE_SCRIPT)
        self._release: Callable[..., Any] = client.register_script(REDIS_RELEASE_SCRIPT)

    def key(self, webhook_id: str) -> str:
        """The Redis key of ``webhook_id``."""
        return self.prefix + webhook_id

    def _lease_ms(self, lease: float) -> int:
        return self.lease_ms if self.lease_ms is not None else _millis(lease, "lease")

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        """Claims ``webhook_id`` for ``token`` for ``lease`` seconds (or the guard's own
        ``lease``); returns a :class:`~kompliant_webhooks.Claim` value."""
        reply = self._claim(keys=[self.key(webhook_id)], args=[token, self._lease_ms(lease)])
        return _answer(reply, "claim", CLAIMS)

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        """Extends ``token``'s claim to ``lease`` seconds (or the guard's own ``lease``) from
        now; returns ``"HELD"``, or ``"LOST"`` when ``token`` no longer holds it."""
        reply = self._renew(keys=[self.key(webhook_id)], args=[token, self._lease_ms(lease)])
        return _answer(reply, "renew", HELDS)

    def complete(self, webhook_id: str, token: str, /) -> str:
        """Records ``webhook_id`` as processed for the retention window if ``token`` holds the
        claim (or it lapsed unclaimed); returns ``"HELD"``, or ``"LOST"`` (nothing changed)."""
        reply = self._complete(keys=[self.key(webhook_id)], args=[token, self.retention_ms])
        return _answer(reply, "complete", HELDS)

    def release(self, webhook_id: str, token: str, /) -> str:
        """Deletes ``webhook_id``'s claim if ``token`` holds it (never a completed id, never
        another holder's claim); returns ``"HELD"``, or ``"LOST"`` (nothing changed)."""
        reply = self._release(keys=[self.key(webhook_id)], args=[token])
        return _answer(reply, "release", HELDS)

    def __repr__(self) -> str:
        # The client's repr may name its host; never its password, but keep it out anyway.
        return (
            f"RedisGuard(prefix={self.prefix!r}, retention={self.retention_ms / 1000!r}, "
            f"lease={None if self.lease_ms is None else self.lease_ms / 1000!r})"
        )
