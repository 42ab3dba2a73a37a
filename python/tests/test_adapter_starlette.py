"""The Starlette endpoint and the FastAPI dependency, through their own test clients."""

from __future__ import annotations

import json
import logging
import threading
from typing import Iterator, List, Optional

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient as FastAPIClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from kompliant_webhooks import HANDLER_FAILURE_STATUS, PayloadSchemaMismatchError, Webhook, WebhookError
from kompliant_webhooks.starlette import WebhookDependency, read_webhook, refusal_response, webhook_endpoint

from conftest import METADATA, Sealer, receiver_for


def test_async_and_sync_handlers_get_the_verified_webhook(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    received: List[str] = []
    threads: List[str] = []

    @webhook_endpoint(receiver)
    async def on_async(webhook: Webhook) -> None:
        received.append("async:" + webhook.id)

    @webhook_endpoint(receiver)
    def on_sync(webhook: Webhook) -> Optional[Response]:
        threads.append(threading.current_thread().name)
        received.append("sync:" + webhook.id)
        return PlainTextResponse("custom", status_code=202)

    app = Starlette(
        routes=[
            Route("/async", on_async, methods=["POST"]),
            Route("/sync", on_sync, methods=["POST"]),
        ]
    )
    with TestClient(app) as client:
        first = client.post("/async", content=sealer.body())
        second = client.post("/sync", content=sealer.body())
        wrong_method = client.get("/async")
    assert first.status_code == 200 and first.content == b""
    assert (second.status_code, second.text) == (202, "custom")
    assert received == [f"async:{METADATA['id']}", f"sync:{METADATA['id']}"]
    assert threads[0] != threading.main_thread().name  # sync handlers run in the thread pool
    assert wrong_method.status_code == 405


def test_failures_get_the_suggested_status(sealer: Sealer, caplog: pytest.LogCaptureFixture) -> None:
    receiver = receiver_for(sealer, max_body_bytes=4096)
    calls: List[Webhook] = []

    @webhook_endpoint(receiver)
    async def on_webhook(webhook: Webhook) -> None:
        calls.append(webhook)
        webhook.event()  # raises PayloadSchemaMismatchError for a bad WORKFLOW_* payload

    app = Starlette(routes=[Route("/webhooks", on_webhook, methods=["POST"])])
    client = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="kompliant_webhooks"):
        unknown = client.post("/webhooks", content=Sealer(key_id="whk_20300101_01").body())
    assert (unknown.status_code, unknown.text) == (503, "webhook cannot be processed yet; retry later")
    assert "UNKNOWN_KEY" in caplog.text
    envelope = json.loads(sealer.body())
    envelope["id"] = "wh_forged"
    assert client.post("/webhooks", content=json.dumps(envelope)).status_code == 400
    assert client.post("/webhooks", content=b"[" * 5000).status_code == 413
    assert calls == []
    # The body was fine; the handler's webhook.event() failed: 500, so Kompliant redelivers.
    schema = client.post("/webhooks", content=sealer.body({"version": "1.0"}))
    assert (schema.status_code, schema.text) == (HANDLER_FAILURE_STATUS, "webhook receiver error")
    assert len(calls) == 1


def test_whatever_the_handler_raises_is_answered_500(sealer: Sealer, caplog: pytest.LogCaptureFixture) -> None:
    receiver = receiver_for(sealer)

    @webhook_endpoint(receiver)
    async def failing_async(webhook: Webhook) -> None:
        raise RuntimeError("database down")

    @webhook_endpoint(receiver)
    def failing_sync(webhook: Webhook) -> None:
        webhook.event()  # PayloadSchemaMismatchError
        raise AssertionError("not reached")

    app = Starlette(
        routes=[
            Route("/async", failing_async, methods=["POST"]),
            Route("/sync", failing_sync, methods=["POST"]),
        ]
    )
    client = TestClient(app)  # raise_server_exceptions stays on: the endpoint answers itself
    with caplog.at_level(logging.ERROR, logger="kompliant_webhooks"):
        first = client.post("/async", content=sealer.body())
        second = client.post("/sync", content=sealer.body({"version": "1.0"}))
    assert (first.status_code, first.text) == (500, "webhook receiver error")
    assert second.status_code == HANDLER_FAILURE_STATUS
    failures = [r for r in caplog.records if "handler failed" in r.getMessage()]
    assert len(failures) == 2 and all(METADATA["id"] in r.getMessage() for r in failures)
    assert failures[0].exc_info and isinstance(failures[0].exc_info[1], RuntimeError)
    assert failures[1].exc_info and isinstance(failures[1].exc_info[1], PayloadSchemaMismatchError)
    # A receive-check failure keeps its own status.
    assert client.post("/async", content=Sealer(key_id="whk_20300101_01").body()).status_code == 503


def test_a_streamed_body_is_read_raw(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    got: List[bytes] = []

    @webhook_endpoint(receiver)
    async def on_webhook(webhook: Webhook) -> None:
        got.append(webhook.payload_bytes)

    app = Starlette(routes=[Route("/webhooks", on_webhook, methods=["POST"])])
    body = sealer.body()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 33):
            yield body[i : i + 33]

    answer = TestClient(app).post("/webhooks", content=chunks())
    assert answer.status_code == 200 and len(got) == 1


def test_manual_reading_and_refusal_response(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)

    async def endpoint(request: Request) -> Response:
        try:
            webhook = await read_webhook(request, receiver)
        except WebhookError as error:
            return refusal_response(error)
        return PlainTextResponse(webhook.key_id)

    client = TestClient(Starlette(routes=[Route("/w", endpoint, methods=["POST"])]))
    assert client.post("/w", content=sealer.body()).text == sealer.key_id
    assert client.post("/w", content=b"{}").status_code == 400


def test_a_handler_returning_something_else_is_a_bug(sealer: Sealer) -> None:
    @webhook_endpoint(receiver_for(sealer))
    async def on_webhook(webhook: Webhook) -> str:
        return "not a response"

    client = TestClient(Starlette(routes=[Route("/w", on_webhook, methods=["POST"])]))
    assert client.post("/w", content=sealer.body()).status_code == HANDLER_FAILURE_STATUS


def test_fastapi_dependency_and_route(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    app = FastAPI()
    verified = WebhookDependency(receiver)
    seen: List[str] = []

    @app.post("/webhooks")
    async def on_webhook(webhook: Webhook = Depends(verified)) -> dict:
        seen.append(webhook.id)
        return {"ok": True}

    @webhook_endpoint(receiver)
    def plain(webhook: Webhook) -> None:
        seen.append("route:" + webhook.id)

    app.add_route("/plain", plain, methods=["POST"])

    with FastAPIClient(app) as client:
        ok = client.post("/webhooks", content=sealer.body())
        refused = client.post("/webhooks", content=Sealer(key_id="whk_20300101_01").body())
        forged = client.post("/webhooks", content=b'{"id":"x"}')
        routed = client.post("/plain", content=sealer.body())
    assert (ok.status_code, ok.json()) == (200, {"ok": True})
    assert (refused.status_code, refused.json()) == (503, {"detail": "webhook cannot be processed yet; retry later"})
    assert forged.status_code == 400
    assert routed.status_code == 200
    assert seen == [METADATA["id"], f"route:{METADATA['id']}"]
