"""Flask adapter: receive Kompliant webhooks in a Flask view.

.. code-block:: python

    from flask import Flask
    from kompliant_webhooks import Keyring, Webhook, WebhookReceiver
    from kompliant_webhooks.flask import webhook_view

    app = Flask(__name__)
    receiver = WebhookReceiver(Keyring.watch("keys.json"))  # or Keyring.from_env()

    @app.post("/webhooks")
    @webhook_view(receiver)
    def on_webhook(webhook: Webhook) -> None:
        print(webhook.id, webhook.event_type, webhook.payload)

The view reads the RAW request body (never ``request.json``), at most
``receiver.max_body_bytes + 1`` bytes of it, and hands the handler a verified
:class:`~kompliant_webhooks.Webhook`. It answers 200 when the handler returns ``None`` (or
the handler's own response otherwise). When decryption raises a ``WebhookError`` it answers
the error's suggested status and public message: 503 for an unknown key, so Kompliant
redelivers later; 400 for a malformed or forged body; 413 for one too large. When the
handler raises, whatever the exception (a ``WebhookError`` from ``webhook.event()``
included), it answers ``HANDLER_FAILURE_STATUS`` (500), so Kompliant redelivers: a bug in
your handler never drops a webhook. Both are logged on the ``kompliant_webhooks`` logger
(a failed handler with its traceback).

A ``before_request`` hook (or middleware) may read the body first with ``request.get_json()``
or ``request.get_data()``: the view then uses Flask's cached copy. If something consumed
the stream WITHOUT caching it (``request.stream.read()``, ``get_data(cache=False)``,
``request.form``), the body is gone: the view answers 500 (so Kompliant redelivers once
the configuration is fixed) and logs the reason as an error, instead of refusing the
webhook as malformed.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue

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

#: A webhook handler: called with the verified webhook (and the route's URL variables as
#: keyword arguments); returns ``None`` for a 200 or a Flask response of its own.
Handler = Callable[..., Optional[ResponseReturnValue]]

_BODY_ALREADY_CONSUMED = (
    "the request body was read before the webhook view and not cached (by a before_request "
    "hook or a middleware calling request.stream.read(), request.get_data(cache=False) or "
    "request.form); Content-Length is {length} but no byte is left to verify. Read it with "
    "request.get_data() or request.get_json() (which cache it) or leave it unread"
)


def read_webhook(receiver: SupportsDecrypt) -> Webhook:
    """Reads the current request's raw body and decrypts it with ``receiver``.

    If an earlier hook read the body with ``request.get_data()`` / ``request.get_json()``,
    Flask's cached copy is used. For views that handle failures themselves; raises a
    ``WebhookError`` subclass, or a ``WebhookError`` with code ``INTERNAL`` (status 500)
    when the body was consumed without being cached (see the module documentation).
    """
    body = read_at_most(request.stream.read, receiver.max_body_bytes)
    if not body:
        # The stream is empty: either the body is, or an earlier reader took it. Flask keeps
        # what get_data()/get_json() read (cache=True, their default); this returns that copy
        # without reading anything new, or b"" if nothing was cached.
        body = request.get_data(cache=True)
        length = request.content_length or 0
        if not body and length > 0:
            raise WebhookError(_BODY_ALREADY_CONSUMED.format(length=length), code="INTERNAL")
    return receiver.decrypt(body)


def refusal_response(error: WebhookError) -> Response:
    """The answer to a refused webhook: ``error.http_status`` with its public message."""
    return Response(error.public_message, status=error.http_status, mimetype="text/plain")


def handler_failure_response() -> Response:
    """The answer when the handler raised: ``HANDLER_FAILURE_STATUS`` (500, so Kompliant
    redelivers) with the core's public text for a receiver-side failure."""
    return Response(HANDLER_FAILURE_MESSAGE, status=HANDLER_FAILURE_STATUS, mimetype="text/plain")


def outcome_response(outcome: ReceiveOutcome) -> Response:
    """The answer to a delivery the guard kept from the handler (``outcome.http_status``: 200
    for a duplicate of a processed webhook, 503 for one in progress or a full guard)."""
    return Response(outcome.public_message, status=outcome.http_status, mimetype="text/plain")


def webhook_view(
    receiver: SupportsDecrypt,
    *,
    guard: Optional[AnyGuard] = None,
    lease: Optional[float] = None,
    renew: bool = True,
    transactional: bool = False,
) -> Callable[[Handler], Callable[..., ResponseReturnValue]]:
    """Decorator turning ``handler(webhook, **url_variables)`` into a Flask view that
    verifies the webhook first (see the module documentation for the answers).

    With ``guard`` (a ``MemoryGuard``, a ``RedisGuard`` or any ``Guard``), each webhook id is
    claimed (for ``lease`` seconds, default 5 minutes; with ``renew``, the default, the claim is
    renewed every lease/3 while the handler runs) before the handler runs: a duplicate of
    a processed webhook is answered 200 and one still in progress 503, without calling the
    handler; the id is completed when the handler succeeds (returns ``None`` or a response
    with a status below 400) and released otherwise, so Kompliant's retry is processed. A
    claim found lost (another delivery holds it) is logged as an error; the answer stands.

    With ``transactional=True`` (``guard`` must be a
    :class:`~kompliant_webhooks.postgres.PostgresGuard`), the handler is called as
    ``handler(webhook, conn, **url_variables)`` inside a transaction on ``conn`` that also
    marks the webhook processed (``PostgresGuard.process_in_transaction``): its writes through
    ``conn`` commit only with the mark and only while the delivery holds the claim; a claim
    lost before the commit rolls them back and answers 503, a failure (a raise, or a response
    of 400 or more) rolls them back and releases the claim."""
    check_transactional(guard, transactional)
    guarded = guarded_receiver(guard, lease, renew)

    def decorate(handler: Handler) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(handler)
        def view(**url_variables: Any) -> ResponseReturnValue:
            try:
                webhook = read_webhook(receiver)
                delivery = guarded.admit(webhook) if guarded is not None else None
            except WebhookError as error:
                log_refusal(error, request.remote_addr)
                return refusal_response(error)
            if delivery is not None and not delivery.should_process:
                outcome = settle(delivery, raised=False)
                log_not_processed(webhook, outcome, request.remote_addr)
                return outcome_response(outcome)
            if transactional and delivery is not None:

                def call(webhook: Webhook, conn: Any) -> Response:
                    result = handler(webhook, conn, **url_variables)
                    return Response(status=200) if result is None else current_app.make_response(result)

                return in_transaction(
                    guard, delivery, call, lambda r: r.status_code, handler_failure_response, outcome_response
                )
            try:
                result = handler(webhook, **url_variables)
                response = Response(status=200) if result is None else current_app.make_response(result)
            except Exception:  # whatever the handler raised: 500, so Kompliant redelivers
                log_handler_failure(webhook, request.remote_addr)
                if delivery is not None:
                    settle(delivery, raised=True)
                return handler_failure_response()
            if delivery is not None:
                settle(delivery, raised=False, response_status=response.status_code)
            return response

        return view

    return decorate
