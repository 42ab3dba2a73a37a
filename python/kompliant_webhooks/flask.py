"""Flask adapter: receive Kompliant webhooks in a Flask view.

.. code-block:: python

    from flask import Flask
    from kompliant_webhooks import Keyring, Webhook, WebhookReceiver
    from kompliant_webhooks.flask import webhook_view

    app = Flask(__name__)
    receiver = WebhookReceiver(Keyring.from_env())

    @app.post("/webhooks")
    @webhook_view(receiver)
    def on_webhook(webhook: Webhook) -> None:
        print(webhook.id, webhook.event_type, webhook.payload)

The view reads the RAW request body (never ``request.json``), at most
``receiver.max_body_bytes + 1`` bytes of it, and hands the handler a verified
:class:`~kompliant_webhooks.Webhook`. It answers 200 when the handler returns ``None`` (or
the handler's own response otherwise), and the error's suggested status and public message
when decryption (or the handler) raises a ``WebhookError``: 503 for an unknown key, so
Kompliant redelivers later; 400 for a malformed or forged body; 413 for one too large. The
reason is logged on the ``kompliant_webhooks`` logger. Any other exception from the handler
propagates (Flask answers 500 and Kompliant redelivers).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from flask import Response, request
from flask.typing import ResponseReturnValue

from ._adapter import SupportsDecrypt, log_refusal, read_at_most
from ._native import Webhook
from .errors import WebhookError

__all__ = ["read_webhook", "refusal_response", "webhook_view", "Handler"]

#: A webhook handler: called with the verified webhook (and the route's URL variables as
#: keyword arguments); returns ``None`` for a 200 or a Flask response of its own.
Handler = Callable[..., Optional[ResponseReturnValue]]


def read_webhook(receiver: SupportsDecrypt) -> Webhook:
    """Reads the current request's raw body and decrypts it with ``receiver``.

    For views that handle failures themselves; raises a ``WebhookError`` subclass.
    """
    body = read_at_most(request.stream.read, receiver.max_body_bytes)
    return receiver.decrypt(body)


def refusal_response(error: WebhookError) -> Response:
    """The answer to a refused webhook: ``error.http_status`` with its public message."""
    return Response(error.public_message, status=error.http_status, mimetype="text/plain")


def webhook_view(receiver: SupportsDecrypt) -> Callable[[Handler], Callable[..., ResponseReturnValue]]:
    """Decorator turning ``handler(webhook, **url_variables)`` into a Flask view that
    verifies the webhook first (see the module documentation for the answers)."""

    def decorate(handler: Handler) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(handler)
        def view(**url_variables: Any) -> ResponseReturnValue:
            try:
                webhook = read_webhook(receiver)
                result = handler(webhook, **url_variables)
            except WebhookError as error:
                log_refusal(error, request.remote_addr)
                return refusal_response(error)
            if result is None:
                return Response(status=200)
            return result

        return view

    return decorate
