"""Django adapter: receive Kompliant webhooks in a Django view.

.. code-block:: python

    # views.py
    from kompliant_webhooks import Keyring, Webhook, WebhookReceiver
    from kompliant_webhooks.django import webhook_view

    receiver = WebhookReceiver(Keyring.watch("keys.json"))  # or Keyring.from_env()

    @webhook_view(receiver)
    def on_webhook(webhook: Webhook) -> None:
        print(webhook.id, webhook.event_type)

    # urls.py
    urlpatterns = [path("webhooks", views.on_webhook)]

The view is CSRF-exempt (Kompliant cannot send a CSRF token; the AES-GCM tag authenticates
the body instead) and POST-only (405 otherwise). It reads the RAW body from the request
stream (never ``request.POST``), at most ``receiver.max_body_bytes + 1`` bytes, so Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not apply: the receiver's limit does. It answers 200 when
the handler returns ``None`` (or the handler's own response), and a refused webhook with the
error's suggested status (503 unknown key, 400 malformed or forged, 413 too large) and
public message. When the handler raises, whatever the exception (a ``WebhookError`` from
``webhook.event()`` included), it answers ``HANDLER_FAILURE_STATUS`` (500), so Kompliant
redelivers: a bug in your handler never drops a webhook. Both are logged on the
``kompliant_webhooks`` logger (a failed handler with its traceback).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ._adapter import (
    HANDLER_FAILURE_MESSAGE,
    AnyGuard,
    SupportsDecrypt,
    check_transactional,
    guarded_receiver,
    in_transaction,
    log_handler_failure,
    log_not_processed,
    log_refusal,
    read_at_most,
    settle,
)
from ._native import HANDLER_FAILURE_STATUS, ReceiveOutcome, Webhook
from .errors import WebhookError

__all__ = [
    "read_webhook",
    "refusal_response",
    "handler_failure_response",
    "outcome_response",
    "webhook_view",
    "Handler",
]

#: A webhook handler: called with the verified webhook (and the URL pattern's arguments);
#: returns ``None`` for a 200 or a response of its own.
Handler = Callable[..., Optional[HttpResponseBase]]


def read_webhook(request: HttpRequest, receiver: SupportsDecrypt) -> Webhook:
    """Reads the request's raw body and decrypts it with ``receiver``.

    For views that handle failures themselves; raises a ``WebhookError`` subclass.
    """
    body = read_at_most(request.read, receiver.max_body_bytes)
    return receiver.decrypt(body)


def refusal_response(error: WebhookError) -> HttpResponse:
    """The answer to a refused webhook: ``error.http_status`` with its public message."""
    return HttpResponse(
        error.public_message, status=error.http_status, content_type="text/plain; charset=utf-8"
    )


def handler_failure_response() -> HttpResponse:
    """The answer when the handler raised: ``HANDLER_FAILURE_STATUS`` (500, so Kompliant
    redelivers) with the core's public text for a receiver-side failure."""
    return HttpResponse(
        HANDLER_FAILURE_MESSAGE,
        status=HANDLER_FAILURE_STATUS,
        content_type="text/plain; charset=utf-8",
    )


def outcome_response(outcome: ReceiveOutcome) -> HttpResponse:
    """The answer to a delivery the guard kept from the handler (``outcome.http_status``: 200
    for a duplicate of a processed webhook, 503 for one in progress or a full guard)."""
    return HttpResponse(
        outcome.public_message, status=outcome.http_status, content_type="text/plain; charset=utf-8"
    )


def webhook_view(
    receiver: SupportsDecrypt,
    *,
    guard: Optional[AnyGuard] = None,
    lease: Optional[float] = None,
    renew: bool = True,
    transactional: bool = False,
) -> Callable[[Handler], Callable[..., HttpResponseBase]]:
    """Decorator turning ``handler(webhook, *args, **kwargs)`` into a CSRF-exempt, POST-only
    Django view that verifies the webhook first (see the module documentation).

    With ``guard`` (a ``MemoryGuard``, a ``RedisGuard`` or any ``Guard``), each webhook id is
    claimed (for ``lease`` seconds, default 5 minutes; with ``renew``, the default, the claim is
    renewed every lease/3 while the handler runs) before the handler runs: a duplicate of
    a processed webhook is answered 200 and one still in progress 503, without calling the
    handler; the id is completed when the handler succeeds (returns ``None`` or a response
    with a status below 400) and released otherwise, so Kompliant's retry is processed. A
    claim found lost (another delivery holds it) is logged as an error; the answer stands.

    With ``transactional=True`` (``guard`` must be a
    :class:`~kompliant_webhooks.postgres.PostgresGuard`), the handler is called as
    ``handler(webhook, conn, *args, **kwargs)`` inside a transaction on ``conn`` (a psycopg
    connection of the guard's, not Django's ``connection``) that also marks the webhook
    processed (``PostgresGuard.process_in_transaction``): its writes through ``conn`` commit
    only with the mark and only while the delivery holds the claim; a claim lost before the
    commit rolls them back and answers 503, a failure (a raise, or a response of 400 or more)
    rolls them back and releases the claim."""
    check_transactional(guard, transactional)
    guarded = guarded_receiver(guard, lease, renew)

    def decorate(handler: Handler) -> Callable[..., HttpResponseBase]:
        @functools.wraps(handler)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            remote = request.META.get("REMOTE_ADDR")
            try:
                webhook = read_webhook(request, receiver)
                delivery = guarded.admit(webhook) if guarded is not None else None
            except WebhookError as error:
                log_refusal(error, remote)
                return refusal_response(error)
            if delivery is not None and not delivery.should_process:
                outcome = settle(delivery, raised=False)
                log_not_processed(webhook, outcome, remote)
                return outcome_response(outcome)
            if transactional and delivery is not None:

                def call(webhook: Webhook, conn: Any) -> HttpResponseBase:
                    result = handler(webhook, conn, *args, **kwargs)
                    return HttpResponse(status=200) if result is None else result

                return in_transaction(
                    guard, delivery, call, lambda r: r.status_code, handler_failure_response, outcome_response
                )
            try:
                result = handler(webhook, *args, **kwargs)
            except Exception:  # whatever the handler raised: 500, so Kompliant redelivers
                log_handler_failure(webhook, remote)
                if delivery is not None:
                    settle(delivery, raised=True)
                return handler_failure_response()
            response = HttpResponse(status=200) if result is None else result
            if delivery is not None:
                settle(delivery, raised=False, response_status=response.status_code)
            return response

        return csrf_exempt(require_POST(view))

    return decorate
