"""The duplicate guard: MemoryGuard, GuardedReceiver, a guard written in Python, key
retirement, and the Flask and Starlette adapters' ``guard=`` (Django's is in
test_adapter_django.py)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Optional

import pytest
from flask import Flask, Response
from starlette.applications import Starlette
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from kompliant_webhooks import (
    DEFAULT_CLAIM_LEASE,
    Claim,
    DEFAULT_RETENTION,
    Guard,
    GuardedReceiver,
    Held,
    Keyring,
    MemoryGuard,
    ReceiveOutcome,
    UnknownKeyError,
    Webhook,
    WebhookError,
    WebhookReceiver,
    handler_succeeded,
    new_claim_token,
)
from kompliant_webhooks import _native
from kompliant_webhooks.flask import webhook_view
from kompliant_webhooks.starlette import webhook_endpoint

from conftest import METADATA, DictGuard, Sealer, receiver_for

WEBHOOK_ID = METADATA["id"]


# --- the values from the core ---------------------------------------------------------


def test_claims_are_the_cores_and_map_to_the_cores_answers() -> None:
    assert tuple(c.value for c in Claim) == _native.CLAIMS
    assert ReceiveOutcome.for_claim("ACQUIRED") is None
    done = ReceiveOutcome.for_claim(Claim.ALREADY_COMPLETED)
    busy = ReceiveOutcome.for_claim("IN_PROGRESS")
    full = ReceiveOutcome.for_claim("AT_CAPACITY")
    assert done is not None and busy is not None and full is not None
    assert (done.name, done.http_status, done.is_duplicate, done.will_be_redelivered) == (
        "ALREADY_PROCESSED", 200, True, False)
    assert (busy.name, busy.http_status, busy.is_duplicate, busy.will_be_redelivered) == (
        "IN_PROGRESS", 503, True, True)
    assert (full.name, full.http_status, full.is_duplicate) == ("AT_CAPACITY", 503, False)
    assert ReceiveOutcome.after_handler(True).http_status == 200
    assert ReceiveOutcome.after_handler(False).name == "HANDLER_FAILED"
    assert ReceiveOutcome.after_handler(False).http_status == 500
    assert ReceiveOutcome.after_handler(True) == ReceiveOutcome.after_handler(True)
    with pytest.raises(ValueError):
        ReceiveOutcome.for_claim("acquired")
    assert DEFAULT_CLAIM_LEASE == 300.0 and DEFAULT_RETENTION == 7 * 24 * 3600.0


def test_the_handler_failure_rule_is_the_cores() -> None:
    assert handler_succeeded(False) and handler_succeeded(False, 204) and handler_succeeded(False, 399)
    assert not handler_succeeded(False, _native.HANDLER_FAILED_FROM_STATUS)
    assert not handler_succeeded(False, 503)
    assert not handler_succeeded(True) and not handler_succeeded(True, 200)
    assert tuple(h.value for h in Held) == _native.HELDS == ("HELD", "LOST")


def test_memory_guard_claims_once_completes_releases_and_is_bounded() -> None:
    guard = MemoryGuard(max_entries=2, retention=timedelta(hours=1))
    a, b = new_claim_token(), new_claim_token()
    assert a != b and len(a) == 22 and a.isalnum()
    assert (guard.max_entries, guard.retention) == (2, 3600.0)
    assert guard.claim("wh_a", a) == "ACQUIRED"
    assert guard.claim("wh_a", b) == "IN_PROGRESS"
    assert guard.release("wh_a", a) == "HELD"
    assert guard.claim("wh_a", b, 60) == "ACQUIRED"
    assert guard.complete("wh_a", b) == "HELD"
    assert guard.release("wh_a", b) == "LOST"  # never forgets a completed id
    assert guard.claim("wh_a", a) == "ALREADY_COMPLETED"
    assert guard.claim("wh_b", a) == "ACQUIRED"
    assert guard.claim("wh_c", a) == "AT_CAPACITY"
    assert len(guard) == 2
    assert "max_entries=2" in repr(guard)
    with pytest.raises(ValueError):
        MemoryGuard(max_entries=0)
    with pytest.raises(ValueError):
        MemoryGuard(retention=-1)
    with pytest.raises(ValueError, match="claim token"):
        guard.claim("wh_d", "not a token")


def test_memory_guard_leases_lapse_and_renewals_extend_them() -> None:
    guard = MemoryGuard()
    a, b = new_claim_token(), new_claim_token()
    assert guard.claim("wh_a", a, 0.4) == "ACQUIRED"
    assert guard.claim("wh_a", b, 0.4) == "IN_PROGRESS"
    threading.Event().wait(0.25)
    assert guard.renew("wh_a", a, 0.4) == "HELD"
    threading.Event().wait(0.25)  # past the first lease, within the renewed one
    assert guard.claim("wh_a", b, 0.4) == "IN_PROGRESS"
    threading.Event().wait(0.5)
    assert guard.claim("wh_a", b, 0.4) == "ACQUIRED"


def test_memory_guard_fences_a_stale_holder() -> None:
    """The issue: a holder whose lease lapsed, and whose webhook was claimed again, changes
    nothing of the new claim (its renew, release and complete are LOST)."""
    guard = MemoryGuard()
    stale, current = new_claim_token(), new_claim_token()
    assert guard.claim("wh_a", stale, 0.05) == "ACQUIRED"
    threading.Event().wait(0.1)
    assert guard.claim("wh_a", current, 60) == "ACQUIRED"
    assert guard.renew("wh_a", stale, 60) == "LOST"
    assert guard.release("wh_a", stale) == "LOST"
    assert guard.complete("wh_a", stale) == "LOST"
    assert guard.claim("wh_a", new_claim_token()) == "IN_PROGRESS"  # still the current holder's
    assert guard.renew("wh_a", current, 60) == "HELD"
    assert guard.complete("wh_a", current) == "HELD"
    assert guard.renew("wh_a", current, 60) == "LOST"  # completed


# --- GuardedReceiver ------------------------------------------------------------------


@pytest.mark.parametrize("make_guard", [MemoryGuard, DictGuard], ids=["memory", "python"])
def test_guarded_receiver_runs_the_core_flow(sealer: Sealer, make_guard: type) -> None:
    guarded = GuardedReceiver(receiver_for(sealer), make_guard(), lease=30)
    assert guarded.lease == 30.0 and guarded.renews
    first = guarded.begin(sealer.body())
    assert first.should_process and first.claim == "ACQUIRED" and first.webhook.id == WEBHOOK_ID
    assert first.holds_claim and first.renew() == "HELD" and len(first.token) == 22
    concurrent = guarded.begin(sealer.body(retry_count=1))
    assert not concurrent.should_process and not concurrent.holds_claim
    assert concurrent.token != first.token and concurrent.renew() == "LOST"
    assert concurrent.finish(True).http_status == 503  # in progress: Kompliant retries
    failed = first.finish(False)
    assert (failed.name, failed.http_status) == ("HANDLER_FAILED", 500)
    assert first.guard_error is None and not first.claim_lost and first.claim_lost_message is None
    assert not first.holds_claim and first.renew() == "LOST"
    with pytest.raises(RuntimeError):
        first.finish(True)

    retry = guarded.begin(sealer.body(retry_count=2))
    assert retry.should_process  # the failure released the claim
    assert retry.finish(True).name == "PROCESSED"
    again = guarded.begin(sealer.body(retry_count=3))
    assert again.claim == "ALREADY_COMPLETED"
    outcome = again.finish(False)
    assert (outcome.name, outcome.http_status, outcome.public_message) == (
        "ALREADY_PROCESSED", 200, "webhook already processed")


def test_a_refused_body_never_reaches_the_guard(sealer: Sealer) -> None:
    guard = DictGuard()
    guarded = GuardedReceiver(receiver_for(sealer), guard)
    body = bytearray(sealer.body())
    body[-40] ^= 1
    with pytest.raises(WebhookError) as refused:
        guarded.begin(bytes(body))
    assert refused.value.http_status == 400
    with pytest.raises(UnknownKeyError):
        guarded.begin(Sealer(key_id="whk_20251121_09").body())
    assert guard.calls == []


def test_an_unfinished_delivery_releases_its_claim_when_dropped(sealer: Sealer) -> None:
    guard = MemoryGuard()
    guarded = GuardedReceiver(receiver_for(sealer), guard)
    delivery = guarded.begin(sealer.body())
    assert delivery.should_process
    del delivery
    assert len(guard) == 0
    assert guarded.begin(sealer.body()).should_process


def test_a_python_guard_gets_the_lease_and_a_bad_answer_is_an_internal_error(sealer: Sealer) -> None:
    guard = DictGuard()
    guarded = GuardedReceiver(None, guard, lease=timedelta(seconds=90))
    webhook = receiver_for(sealer).decrypt(sealer.body())
    guarded.admit(webhook).finish(True)
    assert guard.calls == [f"claim {WEBHOOK_ID} 90.0", f"complete {WEBHOOK_ID}"]

    class Confused(DictGuard):
        def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
            return "acquired"

    with pytest.raises(WebhookError) as error:
        GuardedReceiver(None, Confused()).admit(webhook)
    assert (error.value.code, error.value.http_status) == ("INTERNAL", 500)
    assert "'acquired'" in str(error.value)

    class Vague(DictGuard):
        def release(self, webhook_id: str, token: str, /) -> str:
            return "released"

    delivery = GuardedReceiver(None, Vague()).admit(webhook)
    assert delivery.finish(False).http_status == 500  # the answer stands
    assert delivery.guard_error is not None and "'released'" in str(delivery.guard_error)
    assert "HELD, LOST" in str(delivery.guard_error)
    with pytest.raises(TypeError, match="claim"):
        GuardedReceiver(None, object())  # type: ignore[arg-type]
    assert isinstance(guard, Guard) and not isinstance(object(), Guard)


class OldGuard:
    """A guard written for the protocol before fenced claims (no token, no renew)."""

    def claim(self, webhook_id: str, lease: float) -> str:
        return "ACQUIRED"

    def complete(self, webhook_id: str) -> None: ...

    def release(self, webhook_id: str) -> None: ...


def test_a_guard_of_the_old_protocol_is_refused_naming_what_is_missing(sealer: Sealer) -> None:
    with pytest.raises(TypeError, match=r"OldGuard has no renew\(webhook_id, token, lease_seconds\)"):
        GuardedReceiver(None, OldGuard())  # type: ignore[arg-type]

    class NoToken(OldGuard):
        def renew(self, webhook_id: str, lease: float) -> str:
            return "HELD"

    with pytest.raises(TypeError, match=r"NoToken has claim\(webhook_id.*lease.*\).*, which does not take \(webhook_id, token, lease_seconds\)"):
        GuardedReceiver(None, NoToken())  # type: ignore[arg-type]

    class OldRelease(DictGuard):
        def release(self, webhook_id: str) -> None:  # type: ignore[override]
            pass

    with pytest.raises(TypeError, match=r"OldRelease has release\(webhook_id[^,]*\).*, which does not take \(webhook_id, token\)"):
        GuardedReceiver(None, OldRelease())
    # The adapters refuse it when the view is made, not at the first webhook.
    with pytest.raises(TypeError, match="renew"):
        webhook_view(receiver_for(sealer), guard=OldGuard())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="renew"):
        webhook_endpoint(receiver_for(sealer), guard=OldGuard())  # type: ignore[arg-type]


def test_a_python_guard_that_raises_is_reported_without_its_text(
    sealer: Sealer, caplog: pytest.LogCaptureFixture
) -> None:
    class Down(DictGuard):
        def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
            raise ConnectionError("redis://:hunter2@10.0.0.1 refused")

    webhook = receiver_for(sealer).decrypt(sealer.body())
    with caplog.at_level(logging.ERROR, logger="kompliant_webhooks"):
        with pytest.raises(WebhookError) as error:
            GuardedReceiver(None, Down()).admit(webhook)
    assert error.value.code == "INTERNAL" and error.value.http_status == 500
    assert "ConnectionError" in str(error.value) and "hunter2" not in str(error.value)
    assert any("claim() raised ConnectionError" in r.getMessage() for r in caplog.records)
    # The exception's text (and traceback) only at DEBUG: a store's message may quote its URL.
    assert all(r.exc_info is None and "hunter2" not in r.getMessage() for r in caplog.records)

    flaky = DictGuard()
    flaky.fail_release = True
    delivery = GuardedReceiver(None, flaky).admit(webhook)
    outcome = delivery.finish(False)
    assert outcome.http_status == 500  # the handler's answer stands
    assert delivery.guard_error is not None and delivery.guard_error.code == "INTERNAL"
    assert "hunter2" not in str(delivery.guard_error)


# --- key retirement -------------------------------------------------------------------


def test_a_retired_key_keeps_decrypting_until_it_expires(sealer: Sealer) -> None:
    keyring = Keyring()
    keyring.add(sealer.key_id, sealer.secret)
    receiver = WebhookReceiver(keyring)
    before = datetime.now(timezone.utc)
    assert keyring.retire(sealer.key_id)  # default: the 7-day retry horizon
    (key_id, expires_at), = keyring.retired_keys()
    assert key_id == sealer.key_id
    assert timedelta(days=7) - timedelta(minutes=1) < expires_at - before <= timedelta(days=7, minutes=1)
    assert receiver.decrypt(sealer.body()).id == WEBHOOK_ID
    assert not keyring.retire("whk_20990101_01")

    assert keyring.retire(sealer.key_id, keep_for=0.05)
    threading.Event().wait(0.15)
    with pytest.raises(UnknownKeyError):
        receiver.decrypt(sealer.body())
    assert keyring.retired_keys() == [] and sealer.key_id not in keyring


# --- the Flask and Starlette adapters -------------------------------------------------


def flask_app(sealer: Sealer, guard: object, handled: List[str], fail: List[bool]) -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=guard, lease=60)  # type: ignore[arg-type]
    def on_webhook(webhook: Webhook) -> Optional[Response]:
        handled.append(webhook.id)
        if fail and fail.pop(0):
            raise RuntimeError("handler bug")
        return None

    return app


@pytest.mark.parametrize("make_guard", [MemoryGuard, DictGuard], ids=["memory", "python"])
def test_flask_duplicates_skip_the_handler_and_failures_are_retried(
    sealer: Sealer, make_guard: type
) -> None:
    guard, handled, fail = make_guard(), [], [True]
    client = flask_app(sealer, guard, handled, fail).test_client()
    post = lambda n: client.post("/webhooks", data=sealer.body(retry_count=n))  # noqa: E731
    assert post(0).status_code == 500  # the handler failed: released
    assert post(1).status_code == 200  # the retry is processed
    duplicate = post(2)
    assert (duplicate.status_code, duplicate.get_data(as_text=True)) == (200, "webhook already processed")
    assert handled == [WEBHOOK_ID, WEBHOOK_ID]


def test_flask_in_progress_duplicate_gets_503(sealer: Sealer) -> None:
    guard = MemoryGuard()
    handled: List[str] = []
    app = flask_app(sealer, guard, handled, [])
    nested: List[int] = []

    @app.post("/slow")
    @webhook_view(receiver_for(sealer), guard=guard)
    def slow(webhook: Webhook) -> None:
        # Kompliant redelivers while this one is still running.
        nested.append(app.test_client().post("/webhooks", data=sealer.body(retry_count=1)).status_code)

    assert app.test_client().post("/slow", data=sealer.body()).status_code == 200
    assert nested == [503] and handled == []
    assert app.test_client().post("/webhooks", data=sealer.body(retry_count=2)).status_code == 200
    assert handled == []  # completed by /slow: a duplicate now


def test_flask_handler_error_response_releases_the_claim(sealer: Sealer) -> None:
    guard = MemoryGuard()
    app = Flask(__name__)
    answers = [("bad", 400), ("not yet", 502), ("ok", 202)]

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=guard)
    def on_webhook(webhook: Webhook) -> tuple:
        return answers.pop(0)

    client = app.test_client()
    assert client.post("/webhooks", data=sealer.body()).status_code == 400  # the core's rule: failed
    assert client.post("/webhooks", data=sealer.body()).status_code == 502
    assert client.post("/webhooks", data=sealer.body()).status_code == 202
    assert client.post("/webhooks", data=sealer.body()).status_code == 200
    assert answers == []


@pytest.mark.parametrize("make_guard", [MemoryGuard, DictGuard], ids=["memory", "python"])
@pytest.mark.parametrize("is_async", [True, False], ids=["async", "sync"])
def test_starlette_duplicates_skip_the_handler_and_failures_are_retried(
    sealer: Sealer, make_guard: type, is_async: bool
) -> None:
    guard = make_guard()
    handled: List[str] = []
    fail = [True]

    def work(webhook: Webhook) -> None:
        handled.append(webhook.id)
        if fail.pop(0) if fail else False:
            raise RuntimeError("handler bug")

    if is_async:
        async def on_webhook(webhook: Webhook) -> None:
            work(webhook)
        endpoint = webhook_endpoint(receiver_for(sealer), guard=guard)(on_webhook)
    else:
        endpoint = webhook_endpoint(receiver_for(sealer), guard=guard)(work)
    client = TestClient(Starlette(routes=[Route("/webhooks", endpoint, methods=["POST"])]))
    assert client.post("/webhooks", content=sealer.body()).status_code == 500
    assert client.post("/webhooks", content=sealer.body(retry_count=1)).status_code == 200
    duplicate = client.post("/webhooks", content=sealer.body(retry_count=2))
    assert (duplicate.status_code, duplicate.text) == (200, "webhook already processed")
    assert handled == [WEBHOOK_ID, WEBHOOK_ID]


def test_starlette_in_progress_duplicate_gets_503_and_a_full_guard_503(sealer: Sealer) -> None:
    guard = MemoryGuard(max_entries=1)
    handled: List[str] = []

    async def on_webhook(webhook: Webhook) -> None:
        handled.append(webhook.id)

    endpoint = webhook_endpoint(receiver_for(sealer), guard=guard)(on_webhook)
    client = TestClient(Starlette(routes=[Route("/webhooks", endpoint, methods=["POST"])]))
    other = new_claim_token()
    assert guard.claim(WEBHOOK_ID, other) == "ACQUIRED"  # another worker is processing it
    busy = client.post("/webhooks", content=sealer.body(retry_count=1))
    assert (busy.status_code, busy.text) == (503, "webhook is being processed; retry later")
    full = client.post("/webhooks", content=sealer.body(id="wh_other"))
    assert full.status_code == 503 and handled == []
    assert guard.release(WEBHOOK_ID, other) == "HELD"  # that worker failed
    assert client.post("/webhooks", content=sealer.body(retry_count=2)).status_code == 200
    assert handled == [WEBHOOK_ID]


def test_starlette_handler_error_response_releases_the_claim(sealer: Sealer) -> None:
    guard = MemoryGuard()
    statuses = [400, 204]

    async def on_webhook(webhook: Webhook) -> StarletteResponse:
        return StarletteResponse(status_code=statuses.pop(0))

    endpoint = webhook_endpoint(receiver_for(sealer), guard=guard)(on_webhook)
    client = TestClient(Starlette(routes=[Route("/webhooks", endpoint, methods=["POST"])]))
    assert client.post("/webhooks", content=sealer.body()).status_code == 400  # released
    assert client.post("/webhooks", content=sealer.body()).status_code == 204
    duplicate = client.post("/webhooks", content=sealer.body())
    assert duplicate.status_code == 200 and statuses == []


class LosingGuard(DictGuard):
    """A guard whose claim another delivery took while the handler ran (as after a lapsed
    lease): complete and release answer LOST."""

    def complete(self, webhook_id: str, token: str, /) -> str:
        return "LOST"

    def release(self, webhook_id: str, token: str, /) -> str:
        return "LOST"


@pytest.mark.parametrize("fails", [False, True], ids=["succeeded", "failed"])
def test_adapters_log_a_lost_claim_and_keep_their_answer(
    sealer: Sealer, caplog: pytest.LogCaptureFixture, fails: bool
) -> None:
    app = Flask(__name__)

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=LosingGuard(), lease=60)
    def on_webhook(webhook: Webhook) -> None:
        if fails:
            raise RuntimeError("handler bug")

    async def on_webhook_async(webhook: Webhook) -> None:
        if fails:
            raise RuntimeError("handler bug")

    endpoint = webhook_endpoint(receiver_for(sealer), guard=LosingGuard(), lease=60)(on_webhook_async)
    starlette = TestClient(Starlette(routes=[Route("/webhooks", endpoint, methods=["POST"])]))
    for post in (lambda: app.test_client().post("/webhooks", data=sealer.body()).status_code,
                 lambda: starlette.post("/webhooks", content=sealer.body()).status_code):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="kompliant_webhooks"):
            assert post() == (500 if fails else 200)
        lost = [r for r in caplog.records if "was lost while its handler ran" in r.getMessage()]
        assert len(lost) == 1 and lost[0].levelno == logging.ERROR
        assert WEBHOOK_ID in lost[0].getMessage()
        assert ("processed twice" in lost[0].getMessage()) == (not fails)


_EXIT_WHILE_RENEWING = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
from conftest import DictGuard, Sealer, receiver_for
from kompliant_webhooks import GuardedReceiver

class Slow(DictGuard):
    def renew(self, webhook_id, token, lease, /):
        time.sleep(0.02)  # lets go of the GIL: the interpreter may start exiting meanwhile
        return super().renew(webhook_id, token, lease)

sealer = Sealer()
guard = Slow()
guarded = GuardedReceiver(receiver_for(sealer), guard, lease=0.03)
held = []
threading.Thread(target=lambda: (held.append(guarded.begin(sealer.body())), time.sleep(10)), daemon=True).start()
time.sleep(0.3)
assert sum(c.startswith("renew") for c in guard.calls) > 3, guard.calls
"""


def test_the_interpreter_exits_cleanly_while_the_core_renews_through_a_python_guard() -> None:
    """The renewal thread is no Python thread: attaching (or coming back from a call that let
    go of the GIL) after finalization began aborted the process in 3 runs of 5 before the
    atexit hook that stops and waits for guard calls."""
    for _ in range(5):
        run = subprocess.run(
            [sys.executable, "-c", _EXIT_WHILE_RENEWING, str(Path(__file__).parent)],
            capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("renew", [True, False], ids=["renewed", "not-renewed"])
def test_flask_renews_a_slow_handlers_claim_unless_told_not_to(sealer: Sealer, renew: bool) -> None:
    """A 0.3 s lease, a 0.9 s handler, a redelivery at 0.5 s: 503 while the claim is renewed;
    with renew=False the lapsed claim is taken and the handler runs again."""
    app = Flask(__name__)
    runs: List[int] = []
    started = threading.Event()

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=MemoryGuard(), lease=0.3, renew=renew)
    def on_webhook(webhook: Webhook) -> None:
        runs.append(webhook.retry_count)
        started.set()
        threading.Event().wait(0.9 if webhook.retry_count == 0 else 0)

    first = threading.Thread(target=lambda: app.test_client().post("/webhooks", data=sealer.body()))
    first.start()
    assert started.wait(5)
    threading.Event().wait(0.5)
    redelivery = app.test_client().post("/webhooks", data=sealer.body(retry_count=1)).status_code
    first.join(5)
    assert (redelivery, runs) == ((503, [0]) if renew else (200, [0, 1]))


class RenewalsFail(DictGuard):
    """A guard whose store goes away while handlers run: every renewal raises."""

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        raise ConnectionError("redis://:hunter2@10.0.0.1 refused")


def test_a_failing_background_renewal_is_reported_and_logged(
    sealer: Sealer, caplog: pytest.LogCaptureFixture
) -> None:
    """The core's renewer reports its last failure at finish (before, Python never saw it:
    only a lost claim showed); the adapters log it as a warning, without the error's text."""
    webhook = receiver_for(sealer).decrypt(sealer.body())
    delivery = GuardedReceiver(None, RenewalsFail(), lease=0.06).admit(webhook)
    threading.Event().wait(0.15)
    assert delivery.finish(True).http_status == 200
    error = delivery.renewal_error
    assert error is not None and error.code == "INTERNAL" and "ConnectionError" in str(error)
    assert "hunter2" not in str(error) and not delivery.claim_lost

    quiet = GuardedReceiver(None, RenewalsFail(), lease=0.06, renew=False).admit(webhook)
    threading.Event().wait(0.15)
    quiet.finish(True)
    assert quiet.renewal_error is None

    app = Flask(__name__)

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=RenewalsFail(), lease=0.06)
    def on_webhook(webhook: Webhook) -> None:
        threading.Event().wait(0.15)

    with caplog.at_level(logging.WARNING, logger="kompliant_webhooks"):
        assert app.test_client().post("/webhooks", data=sealer.body()).status_code == 200
    warned = [r for r in caplog.records if "could not renew" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert WEBHOOK_ID in warned[0].getMessage() and "hunter2" not in warned[0].getMessage()
