"""Starlette and FastAPI adapter: receive Kompliant webhooks in an endpoint or a dependency.

Starlette (or FastAPI's ``app.add_route``):

.. code-block:: python

    from starlette.applications import Starlette
    from starlette.routing import Route
    from kompliant_webhooks import Keyring, Webhook, WebhookReceiver
    from kompliant_webhooks.starlette import webhook_endpoint

    receiver = WebhookReceiver(Keyring.watch("keys.json"))  # or Keyring.from_env()

    @webhook_endpoint(receiver)
    async def on_webhook(webhook: Webhook) -> None:
        print(webhook.id, webhook.event_type)

    app = Starlette(routes=[Route("/webhooks", on_webhook, methods=["POST"])])

FastAPI, as a dependency:

.. code-block:: python

    from fastapi import Depends, FastAPI
    from kompliant_webhooks.starlette import WebhookDependency

    app = FastAPI()
    verified_webhook = WebhookDependency(receiver)

    @app.post("/webhooks")
    async def on_webhook(webhook: Webhook = Depends(verified_webhook)) -> None:
        ...

Both read the RAW request body as it streams in (never a parsed JSON), at most
``receiver.max_body_bytes + 1`` bytes of it. A refused webhook is answered with the error's
suggested status (503 for an unknown key, so Kompliant redelivers; 400 malformed or forged;
413 too large) and its public message, and logged on the ``kompliant_webhooks`` logger.
When the handler of ``webhook_endpoint`` raises, whatever the exception (a
``WebhookError`` from ``webhook.event()`` included), the endpoint answers
``HANDLER_FAILURE_STATUS`` (500), so Kompliant redelivers, and logs the traceback. With the
FastAPI dependency the handler is your endpoint, whose exceptions FastAPI answers (500 for
an unhandled one, a ``WebhookError`` included).
Decryption runs on the event loop: it is fast (AES-NI), and releases the GIL for large
bodies.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Awaitable, Callable, Optional, Union

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ._adapter import (
    HANDLER_FAILURE_MESSAGE,
    AnyGuard,
    SupportsDecrypt,
    blocks,
    check_transactional,
    guarded_receiver,
    in_transaction,
    log_handler_failure,
    log_not_processed,
    log_refusal,
    read_at_most_async,
    settle,
)
from ._native import HANDLER_FAILURE_STATUS, GuardedDelivery, ReceiveOutcome, Webhook
from .errors import WebhookError

__all__ = [
    "read_webhook",
    "refusal_response",
    "handler_failure_response",
    "outcome_response",
    "webhook_endpoint",
    "WebhookDependency",
    "Handler",
]

#: A webhook handler: sync (run in Starlette's thread pool) or async; returns ``None`` for
#: a 200, or a response of its own.
Handler = Callable[..., Union[Optional[Response], Awaitable[Optional[Response]]]]


async def read_webhook(request: Request, receiver: SupportsDecrypt) -> Webhook:
    """Reads the request's raw body and decrypts it with ``receiver``.

    For endpoints that handle failures themselves; raises a ``WebhookError`` subclass.
    """
    body = await read_at_most_async(request.stream(), receiver.max_body_bytes)
    return receiver.decrypt(body)


def refusal_response(error: WebhookError) -> Response:
    """The answer to a refused webhook: ``error.http_status`` with its public message."""
    return PlainTextResponse(error.public_message, status_code=error.http_status)


def handler_failure_response() -> Response:
    """The answer when the handler raised: ``HANDLER_FAILURE_STATUS`` (500, so Kompliant
    redelivers) with the core's public text for a receiver-side failure."""
    return PlainTextResponse(HANDLER_FAILURE_MESSAGE, status_code=HANDLER_FAILURE_STATUS)


def _client(request: Request) -> Optional[str]:
    return request.client.host if request.client else None


def outcome_response(outcome: ReceiveOutcome) -> Response:
    """The answer to a delivery the guard kept from the handler (``outcome.http_status``: 200
    for a duplicate of a processed webhook, 503 for one in progress or a full guard)."""
    return PlainTextResponse(outcome.public_message, status_code=outcome.http_status)


def webhook_endpoint(
    receiver: SupportsDecrypt,
    *,
    guard: Optional[AnyGuard] = None,
    lease: Optional[float] = None,
    renew: bool = True,
    transactional: bool = False,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Decorator turning ``handler(webhook)`` (sync or async) into a Starlette endpoint that
    verifies the webhook first. Whatever the handler raises (a ``WebhookError`` from
    ``webhook.event()`` included), and a handler returning something other than ``None`` or
    a ``Response``, is answered ``HANDLER_FAILURE_STATUS`` (500: Kompliant redelivers) and
    logged with its traceback.

    With ``guard`` (a ``MemoryGuard``, a ``RedisGuard`` or any ``Guard``), each webhook id is
    claimed (for ``lease`` seconds, default 5 minutes; with ``renew``, the default, the claim is
    renewed every lease/3 while the handler runs) before the handler runs: a duplicate of
    a processed webhook is answered 200 and one still in progress 503, without calling the
    handler; the id is completed when the handler succeeds (returns ``None`` or a response
    with a status below 400) and released otherwise, so Kompliant's retry is processed. A
    claim found lost (another delivery holds it) is logged as an error; the answer stands. A
    guard other than ``MemoryGuard`` (whose calls may block on I/O) is called from
    Starlette's thread pool.

    With ``transactional=True`` (``guard`` must be a
    :class:`~kompliant_webhooks.postgres.PostgresGuard`), the handler must be sync: it is
    called as ``handler(webhook, conn)`` in Starlette's thread pool, inside a transaction on
    ``conn`` (a psycopg connection, which is synchronous) that also marks the webhook
    processed (``PostgresGuard.process_in_transaction``): its writes through ``conn`` commit
    only with the mark and only while the delivery holds the claim; a claim lost before the
    commit rolls them back and answers 503, a failure (a raise, or a response of 400 or more)
    rolls them back and releases the claim. An async handler is refused (``TypeError``)."""
    check_transactional(guard, transactional)
    guarded = guarded_receiver(guard, lease, renew)
    threaded = blocks(guard)

    async def finish(delivery: GuardedDelivery, raised: bool, status: Optional[int] = None) -> ReceiveOutcome:
        if threaded:
            return await run_in_threadpool(settle, delivery, raised, status)
        return settle(delivery, raised, status)

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        is_async = inspect.iscoroutinefunction(handler)
        if transactional and is_async:
            raise TypeError(
                "transactional=True takes a sync handler(webhook, conn): it runs in the thread "
                "pool, in a transaction on a synchronous psycopg connection"
            )

        def call(webhook: Webhook, conn: Any) -> Response:
            result = handler(webhook, conn)
            if result is not None and not isinstance(result, Response):
                raise TypeError(f"a webhook handler returns None or a Response, not {type(result).__name__}")
            return Response(status_code=200) if result is None else result

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            delivery: Optional[GuardedDelivery] = None
            try:
                webhook = await read_webhook(request, receiver)
                if guarded is not None:
                    if threaded:
                        delivery = await run_in_threadpool(guarded.admit, webhook)
                    else:
                        delivery = guarded.admit(webhook)
            except WebhookError as error:
                log_refusal(error, _client(request))
                return refusal_response(error)
            if delivery is not None and not delivery.should_process:
                outcome = await finish(delivery, False)
                log_not_processed(webhook, outcome, _client(request))
                return outcome_response(outcome)
            if transactional and delivery is not None:
                return await run_in_threadpool(
                    in_transaction,
                    guard,
                    delivery,
                    call,
                    lambda r: r.status_code,
                    handler_failure_response,
                    outcome_response,
                )
            try:
                if is_async:
                    result = await handler(webhook)  # type: ignore[misc]
                else:
                    result = await run_in_threadpool(handler, webhook)
                    if inspect.isawaitable(result):
                        result = await result
                if result is not None and not isinstance(result, Response):
                    raise TypeError(
                        "a webhook handler returns None or a Response, "
                        f"not {type(result).__name__}"
                    )
            except Exception:  # whatever the handler raised: 500, so Kompliant redelivers
                log_handler_failure(webhook, _client(request))
                if delivery is not None:
                    await finish(delivery, True)
                return handler_failure_response()
            response = Response(status_code=200) if result is None else result
            if delivery is not None:
                await finish(delivery, False, response.status_code)
            return response

        return endpoint

    return decorate


class WebhookDependency:
    """A FastAPI dependency giving the endpoint the verified
    :class:`~kompliant_webhooks.Webhook`: ``webhook: Webhook = Depends(WebhookDependency(receiver))``.

    A refused webhook raises ``HTTPException(error.http_status, error.public_message)``
    (FastAPI answers it as JSON ``{"detail": ...}``), chained to the ``WebhookError``.
    """

    def __init__(self, receiver: SupportsDecrypt) -> None:
        self.receiver = receiver

    async def __call__(self, request: Request) -> Webhook:
        try:
            return await read_webhook(request, self.receiver)
        except WebhookError as error:
            log_refusal(error, _client(request))
            raise HTTPException(status_code=error.http_status, detail=error.public_message) from error
