"""The Django adapter, through Django's own test client (CSRF checks enforced)."""

from __future__ import annotations

import json
import logging
from typing import List

import django
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from kompliant_webhooks import (
    HANDLER_FAILURE_STATUS,
    MemoryGuard,
    PayloadSchemaMismatchError,
    Webhook,
    WebhookError,
    new_claim_token,
)
from kompliant_webhooks.django import read_webhook, refusal_response, webhook_view

from conftest import METADATA, Sealer, receiver_for

SEALER = Sealer()
RECEIVER = receiver_for(SEALER, max_body_bytes=8192)
received: List[str] = []


@webhook_view(RECEIVER)
def on_webhook(webhook: Webhook) -> None:
    received.append(webhook.id)
    webhook.event()  # PayloadSchemaMismatchError for a bad WORKFLOW_* payload


@webhook_view(RECEIVER)
def per_tenant(webhook: Webhook, tenant: str) -> HttpResponse:
    return HttpResponse(f"{tenant}:{webhook.id}", status=202)


@webhook_view(RECEIVER)
def crash(webhook: Webhook) -> None:
    1 / 0


def manual(request: HttpRequest) -> HttpResponse:
    try:
        webhook = read_webhook(request, RECEIVER)
    except WebhookError as error:
        return refusal_response(error)
    return HttpResponse(webhook.key_id)


GUARD = MemoryGuard()
guarded_runs: List[str] = []
guarded_failures: List[bool] = []


@webhook_view(RECEIVER, guard=GUARD, lease=60)
def guarded(webhook: Webhook) -> None:
    guarded_runs.append(webhook.id)
    if guarded_failures and guarded_failures.pop(0):
        raise RuntimeError("handler bug")


urlpatterns = [
    path("guarded", guarded),
    path("webhooks", on_webhook),
    path("tenants/<str:tenant>/webhooks", per_tenant),
    path("manual", manual),
    path("crash", crash),
]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-only",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["testserver"],
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        # Far below the 8 KiB test bodies: the adapter reads the stream, so Django's own
        # request.body limit does not apply; the receiver's max_body_bytes does.
        DATA_UPLOAD_MAX_MEMORY_SIZE=100,
    )
    django.setup()


@pytest.fixture
def client() -> Client:
    received.clear()
    return Client(enforce_csrf_checks=True)


def test_a_valid_webhook_gets_200_without_a_csrf_token(client: Client) -> None:
    answer = client.post("/webhooks", data=SEALER.body(), content_type="application/json")
    assert answer.status_code == 200
    assert received == [METADATA["id"]]


def test_failures_get_the_suggested_status(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kompliant_webhooks"):
        unknown = client.post("/webhooks", data=Sealer(key_id="whk_20300101_01").body(), content_type="application/json")
    assert (unknown.status_code, unknown.content) == (503, b"webhook cannot be processed yet; retry later")
    assert "UNKNOWN_KEY" in caplog.text
    envelope = json.loads(SEALER.body())
    envelope["timestamp"] = "2030-01-01T00:00:00Z"
    forged = client.post("/webhooks", data=json.dumps(envelope), content_type="application/json")
    assert (forged.status_code, forged.content) == (400, b"webhook rejected")
    too_large = client.post("/webhooks", data=b"{" + b" " * 9000 + b"}", content_type="application/json")
    assert too_large.status_code == 413
    assert received == []


def test_whatever_the_handler_raises_is_answered_500(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    # The body was fine; the handler's webhook.event() failed: 500, so Kompliant redelivers.
    with caplog.at_level(logging.ERROR, logger="kompliant_webhooks"):
        schema = client.post("/webhooks", data=SEALER.body({"version": "1.0"}), content_type="application/json")
        crash = client.post("/crash", data=SEALER.body(), content_type="application/json")
    assert (schema.status_code, schema.content) == (HANDLER_FAILURE_STATUS, b"webhook receiver error")
    assert crash.status_code == HANDLER_FAILURE_STATUS
    assert received == [METADATA["id"]]
    failures = [r for r in caplog.records if "handler failed" in r.getMessage()]
    assert len(failures) == 2
    assert failures[0].exc_info and isinstance(failures[0].exc_info[1], PayloadSchemaMismatchError)
    assert failures[1].exc_info and isinstance(failures[1].exc_info[1], ZeroDivisionError)


def test_post_only_url_arguments_and_manual_reading(client: Client) -> None:
    assert client.get("/webhooks").status_code == 405
    routed = client.post("/tenants/acme/webhooks", data=SEALER.body(), content_type="application/json")
    assert (routed.status_code, routed.content.decode()) == (202, f"acme:{METADATA['id']}")
    plain = Client()  # no CSRF exemption on this plain view: use the non-enforcing client
    assert plain.post("/manual", data=SEALER.body(), content_type="application/json").content.decode() == SEALER.key_id
    assert plain.post("/manual", data=b"{}", content_type="application/json").status_code == 400


def test_the_guard_skips_duplicates_and_a_failure_lets_the_retry_through(client: Client) -> None:
    guarded_runs.clear()
    guarded_failures[:] = [True]
    webhook_id = "wh_django_guarded"
    post = lambda n: client.post("/guarded", data=SEALER.body(id=webhook_id, retry_count=n), content_type="application/json")  # noqa: E731
    assert post(0).status_code == HANDLER_FAILURE_STATUS  # released
    assert post(1).status_code == 200  # the retry is processed
    duplicate = post(2)
    assert (duplicate.status_code, duplicate.content) == (200, b"webhook already processed")
    assert guarded_runs == [webhook_id, webhook_id]


def test_the_guard_answers_503_to_a_duplicate_in_progress(client: Client) -> None:
    guarded_runs.clear()
    webhook_id = "wh_django_busy"
    other = new_claim_token()
    assert GUARD.claim(webhook_id, other) == "ACQUIRED"  # another worker is processing it
    busy = client.post("/guarded", data=SEALER.body(id=webhook_id), content_type="application/json")
    assert busy.status_code == 503 and guarded_runs == []
    assert GUARD.release(webhook_id, other) == "HELD"
    assert client.post("/guarded", data=SEALER.body(id=webhook_id), content_type="application/json").status_code == 200
    assert guarded_runs == [webhook_id]
