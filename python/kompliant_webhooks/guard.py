"""The duplicate guard: each webhook's handler runs once although Kompliant delivers at least
once (up to 95 attempts over 7 days, sometimes concurrently).

The flow (the core's, in every language): decrypt → ``claim(id, lease)`` → run the handler
only on ``ACQUIRED`` → ``complete(id)`` after success (the id is remembered for the retention
window) or ``release(id)`` after failure (so Kompliant's retry is processed). The framework
adapters run it when given ``guard=``; :class:`~kompliant_webhooks.GuardedReceiver` runs it
for your own code.

Guards: :class:`~kompliant_webhooks.MemoryGuard` (one process, from the core),
``kompliant_webhooks.redis.RedisGuard`` (several processes or machines sharing a Redis), or
your own object following :class:`Guard`.
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

from ._native import CLAIMS, DEFAULT_CLAIM_LEASE, DEFAULT_RETENTION, GuardedDelivery, GuardedReceiver, MemoryGuard, ReceiveOutcome

__all__ = [
    "Claim",
    "Guard",
    "MemoryGuard",
    "GuardedReceiver",
    "GuardedDelivery",
    "ReceiveOutcome",
    "DEFAULT_CLAIM_LEASE",
    "DEFAULT_RETENTION",
]


class Claim(str, enum.Enum):
    """What a guard's ``claim`` answers (the core's ``Claim``; a guard returns one of these or
    its string value, which the core parses)."""

    #: This caller holds the claim: process the webhook, then complete or release it.
    ACQUIRED = "ACQUIRED"
    #: A duplicate of a webhook already processed: answered 200 without running the handler.
    ALREADY_COMPLETED = "ALREADY_COMPLETED"
    #: A duplicate of a webhook being processed right now: answered 503 (Kompliant retries).
    IN_PROGRESS = "IN_PROGRESS"
    #: The guard is full and takes no new id: answered 503 (Kompliant retries later).
    AT_CAPACITY = "AT_CAPACITY"


assert tuple(c.value for c in Claim) == CLAIMS, "Claim is out of step with the core"


@runtime_checkable
class Guard(Protocol):
    """A duplicate guard written in Python (or wrapping a store), pluggable wherever a guard
    is accepted. Its methods are called from the thread handling the request.

    - ``claim(webhook_id, lease)`` (``lease`` in seconds) must be ATOMIC: of any number of
      concurrent claims of one id, at most one returns ``ACQUIRED``. Return a :class:`Claim`
      (or its string). An id in progress stays claimed for ``lease`` seconds at most.
    - ``complete(webhook_id)``: remember the id as processed for the retention window
      (7 days, the retry horizon, by default), even if its lease lapsed.
    - ``release(webhook_id)``: forget an id in progress after a failed attempt; never forget a
      completed one; releasing an id not claimed does nothing.

    Raising from any of them is reported as an ``INTERNAL`` ``WebhookError`` naming the
    exception type (the exception is logged with its traceback on the ``kompliant_webhooks``
    logger): a failed ``claim`` is answered 500 (Kompliant retries); a failed ``complete`` or
    ``release`` does not change the answer.
    """

    def claim(self, webhook_id: str, lease: float, /) -> str:
        """Claims ``webhook_id`` for ``lease`` seconds; returns a :class:`Claim` value."""
        ...

    def complete(self, webhook_id: str, /) -> None:
        """Records ``webhook_id`` as processed."""
        ...

    def release(self, webhook_id: str, /) -> None:
        """Gives up the claim on ``webhook_id`` (never a completed one)."""
        ...
