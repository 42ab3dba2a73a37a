"""The Flask adapter, through Flask's own test client."""

from __future__ import annotations

import io
import json
import logging
from typing import List, Optional

import pytest
from flask import Flask, Response, request

from kompliant_webhooks import HANDLER_FAILURE_STATUS, PayloadSchemaMismatchError, Webhook, WebhookError, WorkflowEvent
from kompliant_webhooks.flask import read_webhook, refusal_response, webhook_view

from conftest import METADATA, Sealer, receiver_for


@pytest.fixture
def app_and_log(sealer: Sealer) -> tuple:
    receiver = receiver_for(sealer, max_body_bytes=4096)
    app = Flask(__name__)
    received: List[Webhook] = []

    @app.post("/webhooks")
    @webhook_view(receiver)
    def on_webhook(webhook: Webhook) -> None:
        received.append(webhook)
        if webhook.event_type.startswith("WORKFLOW_"):
            assert isinstance(webhook.event(), WorkflowEvent)  # may raise PayloadSchemaMismatch
        if webhook.event_type == "EXPLODE":
            raise RuntimeError("handler bug")

    @app.post("/tenants/<tenant>/webhooks")
    @webhook_view(receiver)
    def per_tenant(webhook: Webhook, tenant: str) -> Response:
        return Response(f"{tenant}:{webhook.id}", status=202)

    @app.post("/manual")
    def manual() -> Response:
        try:
            webhook = read_webhook(receiver)
        except WebhookError as error:
            return refusal_response(error)
        return Response(webhook.key_id)

    return app, received


def test_a_valid_webhook_reaches_the_handler_and_gets_200(app_and_log: tuple, sealer: Sealer) -> None:
    app, received = app_and_log
    body = sealer.body()
    answer = app.test_client().post("/webhooks", data=body, content_type="application/json")
    assert answer.status_code == 200
    (webhook,) = received
    assert webhook.id == METADATA["id"] and webhook.payload["workflow_id"].startswith("w_")


def test_failures_get_the_suggested_status(app_and_log: tuple, sealer: Sealer, caplog: pytest.LogCaptureFixture) -> None:
    app, received = app_and_log
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="kompliant_webhooks"):
        unknown = client.post("/webhooks", data=Sealer(key_id="whk_20300101_01").body())
    assert unknown.status_code == 503
    assert unknown.get_data(as_text=True) == "webhook cannot be processed yet; retry later"
    assert "UNKNOWN_KEY" in caplog.text and "whk_20300101_01" in caplog.text

    tampered = json.loads(sealer.body())
    tampered["event_type"] = "WORKFLOW_COMPLETED"
    forged = client.post("/webhooks", data=json.dumps(tampered))
    assert (forged.status_code, forged.get_data(as_text=True)) == (400, "webhook rejected")

    too_large = client.post("/webhooks", data=b"{" + b" " * 5000 + b"}")
    assert (too_large.status_code, too_large.get_data(as_text=True)) == (413, "webhook body too large")

    not_json = client.post("/webhooks", data=b"id=1&event_type=x", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 400
    assert received == []
    assert sealer.secret not in caplog.text


def test_a_webhook_error_from_the_handler_is_a_handler_failure(
    app_and_log: tuple, sealer: Sealer, caplog: pytest.LogCaptureFixture
) -> None:
    # webhook.event() raises PayloadSchemaMismatchError (a WebhookError) inside the handler:
    # the webhook itself was fine, so it is the handler that failed: 500, Kompliant retries.
    app, received = app_and_log
    bad_view = sealer.body({"version": "1.0"})  # a WORKFLOW_* payload without its fields
    with caplog.at_level(logging.ERROR, logger="kompliant_webhooks"):
        answer = app.test_client().post("/webhooks", data=bad_view)
    assert answer.status_code == HANDLER_FAILURE_STATUS == 500 and len(received) == 1
    assert answer.get_data(as_text=True) == "webhook receiver error"
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "handler failed" in record.getMessage() and METADATA["id"] in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], PayloadSchemaMismatchError)


def test_other_handler_exceptions_become_500(app_and_log: tuple, sealer: Sealer, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = app_and_log
    with caplog.at_level(logging.ERROR, logger="kompliant_webhooks"):
        answer = app.test_client().post("/webhooks", data=sealer.body({"version": "1.0"}, event_type="EXPLODE"))
    assert answer.status_code == HANDLER_FAILURE_STATUS
    assert "handler bug" in caplog.text  # the traceback is logged


def test_a_body_read_by_a_before_request_hook_is_still_verified(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    app = Flask(__name__)
    peeked: List[object] = []

    @app.before_request
    def peek() -> None:
        peeked.append(request.get_json(silent=True))  # reads and caches the body

    @app.post("/webhooks")
    @webhook_view(receiver)
    def on_webhook(webhook: Webhook) -> Response:
        return Response(webhook.id)

    answer = app.test_client().post("/webhooks", data=sealer.body(), content_type="application/json")
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, METADATA["id"])
    assert isinstance(peeked[0], dict) and "data" in peeked[0]


def test_a_body_consumed_without_caching_is_a_500_not_a_silent_400(sealer: Sealer, caplog: pytest.LogCaptureFixture) -> None:
    receiver = receiver_for(sealer)
    app = Flask(__name__)
    calls: List[Webhook] = []

    @app.before_request
    def swallow() -> None:
        if request.path == "/webhooks":
            request.get_data(cache=False)  # reads the stream and keeps nothing

    @app.post("/webhooks")
    @webhook_view(receiver)
    def on_webhook(webhook: Webhook) -> None:
        calls.append(webhook)

    @app.post("/empty")
    @webhook_view(receiver)
    def on_empty(webhook: Webhook) -> None:
        calls.append(webhook)

    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="kompliant_webhooks"):
        answer = client.post("/webhooks", data=sealer.body(), content_type="application/json")
    assert (answer.status_code, answer.get_data(as_text=True)) == (500, "webhook receiver error")
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "before the webhook view" in record.getMessage() and "get_data" in record.getMessage()
    # A body that really is empty is still refused as malformed (400, not retried).
    assert client.post("/empty", data=b"").status_code == 400
    assert calls == []


def test_url_variables_custom_responses_and_manual_reading(app_and_log: tuple, sealer: Sealer) -> None:
    app, _ = app_and_log
    client = app.test_client()
    answer = client.post("/tenants/acme/webhooks", data=sealer.body())
    assert (answer.status_code, answer.get_data(as_text=True)) == (202, f"acme:{METADATA['id']}")
    assert client.post("/manual", data=sealer.body()).get_data(as_text=True) == sealer.key_id
    assert client.post("/manual", data=b"nope").status_code == 400
    assert client.get("/webhooks").status_code == 405


def test_short_reads_are_assembled(app_and_log: tuple, sealer: Sealer) -> None:
    app, received = app_and_log
    body = sealer.body()

    class Trickle(io.BytesIO):
        """A WSGI input that hands out at most 7 bytes per read, as slow sockets do."""

        def read(self, size: Optional[int] = -1) -> bytes:
            return super().read(7 if size is None or size < 0 else min(size, 7))

    answer = app.test_client().post(
        "/webhooks", input_stream=Trickle(body), content_length=len(body), content_type="application/json"
    )
    assert answer.status_code == 200
    assert received[0].id == METADATA["id"]
