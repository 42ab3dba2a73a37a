"""The duplicate guard: each webhook's handler runs once although Kompliant delivers at least
once (up to 95 attempts over 7 days, sometimes concurrently).

The flow (the core's, in every language): decrypt → ``claim(id, token, lease)`` with a fresh
token → run the handler only on ``ACQUIRED``, renewing the lease every lease/3 in the
background while it runs → ``complete(id, token)`` after success (the id is remembered for
the retention window) or ``release(id, token)`` after failure (so Kompliant's retry is
processed). The token fences the claim: renew, complete and release act only for the holder,
so a delivery whose lease lapsed and was claimed again changes nothing of the new claim
(``LOST``). The framework adapters run it when given ``guard=``;
:class:`~kompliant_webhooks.GuardedReceiver` runs it for your own code.

Guards: :class:`~kompliant_webhooks.MemoryGuard` (one process, from the core),
``kompliant_webhooks.redis.RedisGuard`` (several processes or machines sharing a Redis),
``kompliant_webhooks.postgres.PostgresGuard`` (sharing a PostgreSQL; with a transactional
mode in which the handler's writes commit together with the processed mark), or
your own object following :class:`Guard`.
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

from ._native import (
    CLAIMS,
    DEFAULT_CLAIM_LEASE,
    DEFAULT_RETENTION,
    HELDS,
    GuardedDelivery,
    GuardedReceiver,
    MemoryGuard,
    ReceiveOutcome,
    handler_succeeded,
    new_claim_token,
)

__all__ = [
    "Claim",
    "Held",
    "Guard",
    "MemoryGuard",
    "GuardedReceiver",
    "GuardedDelivery",
    "ReceiveOutcome",
    "DEFAULT_CLAIM_LEASE",
    "DEFAULT_RETENTION",
    "handler_succeeded",
    "new_claim_token",
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


class Held(str, enum.Enum):
    """What a guard's ``renew``, ``complete`` and ``release`` answer (the core's ``Held``)."""

    #: The caller's token held the claim (for ``complete``: or the lapsed claim was still
    #: free): the action was done.
    HELD = "HELD"
    #: The claim is no longer the caller's (its lease lapsed and another delivery claimed the
    #: id, or it was completed or released): nothing was changed.
    LOST = "LOST"


assert tuple(h.value for h in Held) == HELDS, "Held is out of step with the core"


@runtime_checkable
class Guard(Protocol):
    """A duplicate guard written in Python (or wrapping a store), pluggable wherever a guard
    is accepted. ``claim``, ``complete`` and ``release`` are called from the thread handling
    the request; ``renew`` from the core's renewal thread while the handler runs.

    Every claim carries a ``token`` (a fresh string of letters and digits per delivery): the
    guard stores it as the claim's holder, and ``renew``, ``complete`` and ``release`` act only
    for that holder (fencing). Without it, a delivery whose lease lapsed (and whose webhook
    was claimed by a redelivery) would release or complete the redelivery's claim.

    - ``claim(webhook_id, token, lease)`` (``lease`` in seconds) must be ATOMIC: of any number
      of concurrent claims of one id, at most one returns ``ACQUIRED`` (and records ``token``
      as the holder). Return a :class:`Claim` (or its string). An id in progress stays
      claimed for ``lease`` seconds at most unless renewed.
    - ``renew(webhook_id, token, lease)``: if ``token`` holds the claim, extend it to
      ``lease`` seconds from now and return ``HELD``; otherwise change nothing and return
      ``LOST``.
    - ``complete(webhook_id, token)``: if ``token`` holds the claim, or the claim lapsed and
      nobody claimed the id since, remember the id as processed for the retention window
      (7 days, the retry horizon, by default) and return ``HELD``; otherwise (another holder,
      or completed already) change nothing and return ``LOST``.
    - ``release(webhook_id, token)``: if ``token`` holds the claim, forget it after a failed
      attempt and return ``HELD``; otherwise (never a completed id, never another holder's
      claim) change nothing and return ``LOST``.

    ``renew``, ``complete`` and ``release`` return a :class:`Held` (or its string). Raising
    from any method is reported as an ``INTERNAL`` ``WebhookError`` naming the exception type
    (the exception is logged with its traceback on the ``kompliant_webhooks`` logger): a
    failed ``claim`` is answered 500 (Kompliant retries); a failed ``renew`` is tried again
    at the next interval; a failed ``complete`` or ``release`` does not change the answer.

    A guard written for the protocol before fenced claims (``claim(webhook_id, lease)``, no
    ``renew``) is refused with a ``TypeError`` when it is passed as ``guard=``.
    """

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        """Claims ``webhook_id`` for ``token`` for ``lease`` seconds; returns a :class:`Claim`
        value."""
        ...

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        """Extends ``token``'s claim to ``lease`` seconds from now; returns a :class:`Held`
        value."""
        ...

    def complete(self, webhook_id: str, token: str, /) -> str:
        """Records ``webhook_id`` as processed if ``token`` may; returns a :class:`Held`
        value."""
        ...

    def release(self, webhook_id: str, token: str, /) -> str:
        """Gives up ``token``'s claim on ``webhook_id`` (never a completed one, never another
        holder's); returns a :class:`Held` value."""
        ...
