"""What the framework adapters share: the receiver protocol, bounded body reading, the log
lines for a refused webhook and a failed handler, the answer to a failed handler, and the end
of a guarded delivery (the core's handler-failure rule, the guard's errors and lost claims
logged)."""

from __future__ import annotations

import logging
from typing import Any, AsyncIterable, Callable, List, Optional, Protocol, TypeVar, Union

from ._native import (
    HANDLER_FAILED_FROM_STATUS,
    HANDLER_FAILURE_STATUS,
    GuardedDelivery,
    GuardedReceiver,
    MemoryGuard,
    ReceiveOutcome,
    Webhook,
    handler_failure_answer,
    handler_succeeded,
)
from .errors import WebhookError
from .guard import Guard

logger = logging.getLogger("kompliant_webhooks")


class SupportsDecrypt(Protocol):
    """What an adapter needs from a receiver: a :class:`~kompliant_webhooks.WebhookReceiver`,
    or your own object wrapping one (for example one that counts refusals; to follow a keyring
    file, use ``Keyring.watch``, not a wrapper)."""

    @property
    def max_body_bytes(self) -> int:
        """Largest body accepted, in bytes: adapters read at most one byte more."""
        ...

    def decrypt(self, body: bytes) -> Webhook:
        """Verifies and decrypts one raw body; raises a ``WebhookError`` on failure."""
        ...


def read_at_most(read: Callable[[int], bytes], limit: int) -> bytes:
    """Reads a body from ``read(n)`` until EOF or until more than ``limit`` bytes arrived
    (then stops: the receiver refuses the body with ``BODY_TOO_LARGE`` without the rest of it
    ever being read into memory)."""
    chunks: List[bytes] = []
    total = 0
    while total <= limit:
        chunk = read(min(64 * 1024, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


async def read_at_most_async(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """As :func:`read_at_most`, from an async iterator of chunks."""
    parts: List[bytes] = []
    total = 0
    async for chunk in chunks:
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            break
    return b"".join(parts)


def log_refusal(error: WebhookError, remote: Optional[str] = None) -> None:
    """Logs why a webhook was refused on the ``kompliant_webhooks`` logger: the code and the
    detailed reason (never a secret or payload content). A warning, or an error for a 500
    (a receiver-side problem an operator must fix: a bad key, a file, the configuration)."""
    source = f" from {remote}" if remote else ""
    level = logging.ERROR if error.http_status == 500 else logging.WARNING
    logger.log(
        level,
        "webhook refused%s: %s: %s (answered %d)",
        source,
        error.code,
        error,
        error.http_status,
    )


#: The public text sent with ``HANDLER_FAILURE_STATUS`` (from the core).
HANDLER_FAILURE_MESSAGE: str = handler_failure_answer()[1]


def log_handler_failure(webhook: Webhook, remote: Optional[str] = None) -> None:
    """Logs, from inside an ``except`` block, that the user's handler raised: an error on the
    ``kompliant_webhooks`` logger naming the webhook, with the exception's traceback."""
    source = f" from {remote}" if remote else ""
    logger.exception(
        "webhook handler failed for %s (%s)%s; answered %d so Kompliant redelivers it",
        webhook.id,
        webhook.event_type,
        source,
        HANDLER_FAILURE_STATUS,
    )


#: A guard argument of the adapters: a ``MemoryGuard`` or any object following ``Guard``.
AnyGuard = Union[MemoryGuard, Guard]


def guarded_receiver(guard: Optional[AnyGuard], lease: Optional[float], renew: bool = True) -> Optional[GuardedReceiver]:
    """The core's guarded flow for an adapter's ``guard=`` (``None`` without a guard). The
    adapter decrypts with its own receiver, then ``admit``s the webhook."""
    if guard is None:
        return None
    return GuardedReceiver(None, guard, lease=lease, renew=renew)


def blocks(guard: Optional[AnyGuard]) -> bool:
    """Whether the guard may block on I/O (anything but the in-process ``MemoryGuard``): async
    adapters then call it from a worker thread."""
    return guard is not None and not isinstance(guard, MemoryGuard)


def log_not_processed(webhook: Webhook, outcome: ReceiveOutcome, remote: Optional[str] = None) -> None:
    """Logs (info) a delivery the guard kept from the handler: a duplicate or a full guard."""
    source = f" from {remote}" if remote else ""
    logger.info(
        "webhook %s (%s)%s not processed: %s (answered %d)",
        webhook.id,
        webhook.event_type,
        source,
        outcome.name,
        outcome.http_status,
    )


def log_renewal_error(delivery: GuardedDelivery) -> None:
    """Logs (warning) a background renewal of a finished delivery's claim that failed (its
    store was unreachable) with no later success: the claim may have lapsed while the handler
    ran."""
    error = delivery.renewal_error
    if error is not None:
        logger.warning(
            "duplicate guard could not renew the claim on webhook %s while its handler ran: %s: %s",
            delivery.webhook.id,
            error.code,
            error,
        )


def settle(delivery: GuardedDelivery, raised: bool, response_status: Optional[int] = None) -> ReceiveOutcome:
    """Finishes a guarded delivery once the handler ran (or was kept from running) and returns
    the outcome: the handler succeeded by the core's rule (``handler_succeeded``: it did not
    raise and its response, if any, is below 400), so the claim is completed, or it failed
    and the claim is released. Logs (error) a guard that could not record it, and a claim
    found lost (the webhook may have been processed twice); logs (warning) a background
    renewal that failed while the handler ran; the answer stands either way."""
    outcome = delivery.finish(handler_succeeded(raised, response_status))
    error = delivery.guard_error
    if error is not None:
        logger.error(
            "duplicate guard could not record webhook %s: %s: %s (the answer is unchanged)",
            delivery.webhook.id,
            error.code,
            error,
        )
    log_renewal_error(delivery)
    lost = delivery.claim_lost_message
    if lost is not None:
        logger.error("duplicate guard: %s", lost)
    return outcome


R = TypeVar("R")


def check_transactional(guard: Optional[AnyGuard], transactional: bool) -> None:
    """Refuses ``transactional=True`` without a guard that runs handlers in its transaction
    (a :class:`~kompliant_webhooks.postgres.PostgresGuard`)."""
    if transactional and not callable(getattr(guard, "process_in_transaction", None)):
        raise TypeError("transactional=True needs guard= a kompliant_webhooks.postgres.PostgresGuard")


def in_transaction(
    guard: Any,
    delivery: GuardedDelivery,
    call: Callable[[Webhook, Any], R],
    status_of: Callable[[R], int],
    failure_response: Callable[[], R],
    outcome_response: Callable[[ReceiveOutcome], R],
) -> R:
    """An adapter's transactional delivery (``transactional=True``): runs ``call(webhook,
    conn)`` (the handler, its result made the framework's response) in the guard's
    transaction and returns the answer: the handler's own response when its transaction
    committed, or when it failed the handler by its status (400 or more: rolled back, claim
    released); otherwise the failure answer after a raise, or the outcome's (503 for a claim
    lost before the commit, 500 for a transaction that failed)."""
    responses: List[R] = []

    def run(webhook: Webhook, conn: Any) -> R:
        response = call(webhook, conn)
        responses.append(response)
        return response

    outcome: ReceiveOutcome = guard.process_in_transaction(delivery, run, response_status=status_of)
    if responses and (outcome.name == "PROCESSED" or status_of(responses[0]) >= HANDLER_FAILED_FROM_STATUS):
        return responses[0]
    if outcome.name == "HANDLER_FAILED":
        return failure_response()
    return outcome_response(outcome)
