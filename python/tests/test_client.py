"""The blocking API client against `kompliant sim` (and a small fake server for what the
simulator cannot show: slow answers, 429s, the user agent)."""

from __future__ import annotations

import base64
import functools
import pickle
import threading
import time
import warnings
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import kompliant_webhooks as kw
from kompliant_webhooks import KompliantClient, RetryPolicy

from conftest import METADATA, SUCCESS, FakeKompliant, Sim


def test_key_lifecycle(sim: Sim) -> None:
    client = sim.client()
    created = client.create_webhook_key(sim.account_id)
    assert created.status == "INACTIVE"
    assert created.key_id.startswith("whk_") and created.key_id.endswith("_01")
    secret = created.reveal_secret()
    assert len(base64.b64decode(secret)) == 32
    assert secret not in repr(created) and "[REDACTED]" in repr(created)

    info = client.get_webhook_key(created.key_id)
    assert (info.key_id, info.status, info.activated_at, info.deleted_at) == (created.key_id, "INACTIVE", None, None)
    assert info.created_at == created.created_at

    first = client.activate_webhook_key(created.key_id)
    assert (first.key_id, first.status, first.previous_key_id) == (created.key_id, "ACTIVE", None)
    again = client.activate_webhook_key(created.key_id)  # idempotent
    assert again.status == "ACTIVE"

    second = client.create_webhook_key(sim.account_id)
    activated = client.activate_webhook_key(second.key_id)
    assert activated.previous_key_id == created.key_id
    old = client.get_webhook_key(created.key_id)
    assert old.status == "DELETED" and old.deleted_at == activated.activated_at

    with pytest.raises(kw.KeyDeletedError) as info_deleted:
        client.activate_webhook_key(created.key_id)
    error = info_deleted.value
    assert isinstance(error, kw.SystemRuleViolationError)
    assert error.code == "KEY_DELETED"
    assert (error.server_code, error.sub_code, error.http_status) == ("SYSTEM_RULE_VIOLATION", "KEY_DELETED", 400)
    assert error.method == "webhook.key.activate"
    assert error.trace_id is not None and error.trace_id.startswith("trc_")
    assert error.attempts == 1
    assert "KEY_DELETED" in str(error) and error.message

    with pytest.raises(kw.EntityNotFoundError) as missing:
        client.get_webhook_key("whk_20200101_01")
    assert missing.value.code == "ENTITY_NOT_FOUND"
    with pytest.raises(kw.BadRequestError):
        client.get_webhook_key("not a key id")


def test_daily_key_limit(sim: Sim) -> None:
    client = sim.client()
    for _ in range(100):
        last = client.create_webhook_key(sim.account_id)
    assert last.key_id.endswith("_100")
    with pytest.raises(kw.DailyKeyLimitError) as info:
        client.create_webhook_key(sim.account_id)
    error = info.value
    assert (error.code, error.sub_code, error.entity_type, error.http_status) == (
        "DAILY_KEY_LIMIT",
        "DAILY_KEY_LIMIT",
        "Webhook Key",
        400,
    )
    assert error.message == "Maximum daily key creation limit reached"


def test_endpoint_configs(sim: Sim) -> None:
    client = sim.client()
    account = sim.account_id
    config_id = client.create_webhook_config(account, "https://example.com/webhooks")
    assert config_id.startswith("whc_")
    config = client.get_webhook_config(account, config_id)
    assert (config.config_id, config.url, config.updated_at) == (config_id, "https://example.com/webhooks", None)
    assert client.list_webhook_configs(account) == [config]
    client.update_webhook_config(account, config_id, "https://example.com/v2")
    updated = client.get_webhook_config(account, config_id)
    assert updated.url == "https://example.com/v2" and updated.updated_at is not None
    with pytest.raises(kw.UrlAlreadyExistsError):
        client.create_webhook_config(account, "https://example.com/v2")
    with pytest.raises(kw.BadRequestError):
        client.create_webhook_config(account, "http://example.com/plain")
    client.delete_webhook_config(account, config_id)
    assert client.list_webhook_configs(account) == []
    with pytest.raises(kw.EntityNotFoundError) as gone:
        client.delete_webhook_config(account, config_id)
    assert gone.value.http_status == 404
    with pytest.raises(kw.ForbiddenError):
        client.list_webhook_configs("sb_someone_else")


def test_check_version_and_generic_calls(sim: Sim) -> None:
    client = sim.client()
    version = client.check_version()
    assert version.current_version == KompliantClient.API_VERSION == "2025-03-24"
    assert version.latest_version
    with pytest.raises(kw.SystemRuleViolationError) as no_key:
        sim.trigger(client, "WORKFLOW_CREATED")
    assert no_key.value.sub_code == "NO_ACTIVE_KEY"
    response = client.call("sim.deliveries.list", retry=RetryPolicy.SAFE)
    assert response.data == {"deliveries": []}
    assert response.trace_id is not None and response.warnings == []
    assert "deliveries" in repr(response)
    with pytest.raises(kw.InvalidConfigurationError):
        client.call("bad method!", {}, retry=RetryPolicy.SAFE)
    with pytest.raises(TypeError):
        client.call("sim.deliveries.list", {"x": object()}, retry=RetryPolicy.SAFE)
    with pytest.raises(ValueError):
        client.call("sim.deliveries.list", {"x": float("nan")}, retry=RetryPolicy.SAFE)
    assert RetryPolicy.SAFE != RetryPolicy.ONLY_IF_NOT_SENT


def test_wrong_credentials_are_unauthorized(sim: Sim) -> None:
    client = KompliantClient(
        sim.env["KOMPLIANT_API_KEY"],
        base64.b64encode(b"wrong secret key").decode(),
        sim.env["KOMPLIANT_AUTH_TOKEN"],
        base_url=sim.base_url,
    )
    with pytest.raises(kw.UnauthorizedError) as info:
        client.check_version()
    assert info.value.http_status == 401
    assert sim.env["KOMPLIANT_AUTH_TOKEN"] not in str(info.value)


def test_rotation_stores_then_activates(sim: Sim, tmp_path: Path) -> None:
    client = sim.client()
    first = client.create_webhook_key(sim.account_id)
    client.activate_webhook_key(first.key_id)
    stored: List[Tuple[str, str]] = []
    keys = tmp_path / "keys.json"

    def store(key_id: str, secret: str) -> None:
        # Not active yet while the secret is being stored.
        assert client.get_webhook_key(key_id).status == "INACTIVE"
        stored.append((key_id, secret))
        kw.add_to_keyring_file(keys, key_id, secret)

    rotation = client.rotate_webhook_key(sim.account_id, store)
    assert [k for k, _ in stored] == [rotation.new_key_id]
    assert rotation.previous_key_id == first.key_id
    assert client.get_webhook_key(rotation.new_key_id).status == "ACTIVE"
    assert client.get_webhook_key(first.key_id).status == "DELETED"
    # The stored secret is the one Kompliant now encrypts with.
    sim.trigger(client, "WORKFLOW_CREATED")
    assert kw.Keyring.from_file(keys).key_ids() == [rotation.new_key_id]
    body = kw.seal_webhook(payload={"version": "1.0"}, secret=stored[0][1], **dict(METADATA, key_id=rotation.new_key_id))
    assert kw.WebhookReceiver(kw.Keyring.from_file(keys)).decrypt(body).key_id == rotation.new_key_id
    assert "Rotation(" in repr(rotation)


def test_a_failing_store_never_activates_and_never_leaks_the_secret(sim: Sim) -> None:
    client = sim.client()
    seen: Dict[str, str] = {}
    token = sim.env["KOMPLIANT_AUTH_TOKEN"]

    def store(key_id: str, secret: str) -> None:
        seen[key_id] = secret
        raw = base64.b64decode(secret)
        # A secret manager echoing its input, in several spellings, and the credentials.
        raise OSError(
            f"vault refused {secret} (url-safe {base64.urlsafe_b64encode(raw).decode().rstrip('=')})"
            f" with token {token}"
        )

    with pytest.raises(kw.StoreFailedError) as info:
        client.rotate_webhook_key(sim.account_id, store)
    error = info.value
    (key_id, secret), = seen.items()
    url_safe = base64.urlsafe_b64encode(base64.b64decode(secret)).decode().rstrip("=")
    assert error.code == "STORE_FAILED"
    assert key_id in str(error) and "NOT activated" in str(error)
    assert "vault refused [REDACTED]" in str(error)  # masked by the core
    for leaked in (secret, secret.rstrip("="), url_safe, token):
        assert leaked not in str(error) and leaked not in repr(error)
    # The cause is the store's own exception, unmasked (as docs/python.md says).
    assert isinstance(error.__cause__, OSError) and secret in str(error.__cause__)
    assert client.get_webhook_key(key_id).status == "INACTIVE"


def test_a_wrong_store_is_refused_before_any_key_is_created(fake: FakeKompliant) -> None:
    # Nothing is scripted: a request reaching the fake server would fail the call with a
    # server error instead of the TypeError, and be recorded in fake.requests.
    client = fake.client(max_retries=0)

    async def async_store(key_id: str, secret: str) -> None:  # pragma: no cover - never called
        raise AssertionError("not reached")

    class AsyncCallable:
        async def __call__(self, key_id: str, secret: str) -> None:  # pragma: no cover
            raise AssertionError("not reached")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited": it is never called
        for store, reason in [
            (None, "must be a function"),
            ("keys.json", "must be a function"),
            (async_store, "AsyncKompliantClient"),
            (functools.partial(async_store, "whk_x"), "AsyncKompliantClient"),
            (AsyncCallable(), "AsyncKompliantClient"),
        ]:
            with pytest.raises(TypeError, match=reason) as info:
                client.rotate_webhook_key("sb_123", store)  # type: ignore[arg-type]
            assert "no key was created" in str(info.value)
    assert fake.requests == []


def test_a_store_returning_an_awaitable_is_a_store_failure(sim: Sim) -> None:
    # A plain function cannot be told apart from its signature; what it returns can.
    client = sim.client()
    created: List[str] = []

    async def really_store(key_id: str) -> None:  # pragma: no cover - never awaited
        raise AssertionError("not reached")

    def store(key_id: str, secret: str) -> object:
        created.append(key_id)
        return really_store(key_id)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the coroutine is closed: no "never awaited"
        with pytest.raises(kw.StoreFailedError) as info:
            client.rotate_webhook_key(sim.account_id, store)
    assert isinstance(info.value.__cause__, TypeError)
    assert "AsyncKompliantClient" in str(info.value)
    assert client.get_webhook_key(created[0]).status == "INACTIVE"


def test_keyboard_interrupt_in_store_propagates_as_is(sim: Sim) -> None:
    client = sim.client()
    created: List[str] = []

    def store(key_id: str, secret: str) -> None:
        created.append(key_id)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.rotate_webhook_key(sim.account_id, store)
    assert client.get_webhook_key(created[0]).status == "INACTIVE"


def test_two_phase_rotation(sim: Sim) -> None:
    client = sim.client()
    pending = client.start_rotation(sim.account_id)
    secret = pending.reveal_secret()
    assert secret not in repr(pending) and pending.key_id in repr(pending)
    assert client.get_webhook_key(pending.key_id).status == "INACTIVE"
    rotation = pending.finish()
    assert rotation.new_key_id == pending.key_id
    assert client.get_webhook_key(pending.key_id).status == "ACTIVE"
    with pytest.raises(RuntimeError):
        pending.finish()
    with pytest.raises(RuntimeError):
        pending.reveal_secret()
    for holder in (pending, client.create_webhook_key(sim.account_id)):
        with pytest.raises(TypeError):
            pickle.dumps(holder)  # nothing holding a secret pickles

    abandoned = client.start_rotation(sim.account_id)
    failure = abandoned.store_failed(ValueError("disk full"))
    assert isinstance(failure, kw.StoreFailedError)
    assert isinstance(failure.__cause__, ValueError)
    assert "disk full" in str(failure) and abandoned.key_id in str(failure)
    assert client.get_webhook_key(abandoned.key_id).status == "INACTIVE"
    with pytest.raises(RuntimeError):
        abandoned.finish()
    text_failure = client.start_rotation(sim.account_id).store_failed("no vault")
    assert "no vault" in str(text_failure) and text_failure.__cause__ is None


def test_configuration_errors_and_redacted_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    secret_key = base64.b64encode(b"k" * 32).decode()
    client = KompliantClient("ak_live_1", secret_key, "tok_secret", base_url="http://127.0.0.1:9/")
    assert client.base_url == "http://127.0.0.1:9" and client.api_key == "ak_live_1"
    text = repr(client)
    assert "ak_live_1" in text and secret_key not in text and "tok_secret" not in text
    assert text.count("[REDACTED]") == 2
    with pytest.raises(TypeError):
        pickle.dumps(client)

    with pytest.raises(kw.InvalidConfigurationError) as clear_text:
        KompliantClient("ak", secret_key, "tok", base_url="http://api.kompliant.com")
    assert "loopback" in str(clear_text.value)
    with pytest.raises(kw.InvalidConfigurationError) as userinfo:
        KompliantClient("ak", secret_key, "tok", base_url="https://me:hunter2@x.example")
    assert "hunter2" not in str(userinfo.value)
    with pytest.raises(kw.InvalidConfigurationError):
        KompliantClient("ak", "not base64!", "tok")
    with pytest.raises(ValueError, match="timeout"):
        KompliantClient("ak", secret_key, "tok", timeout=-1)

    for name in ("KOMPLIANT_API_KEY", "KOMPLIANT_SECRET_KEY", "KOMPLIANT_AUTH_TOKEN", "KOMPLIANT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(kw.InvalidConfigurationError) as missing:
        KompliantClient.from_env()
    assert "KOMPLIANT_API_KEY" in str(missing.value) and "KOMPLIANT_AUTH_TOKEN" in str(missing.value)
    monkeypatch.setenv("KOMPLIANT_API_KEY", "ak_env")
    monkeypatch.setenv("KOMPLIANT_SECRET_KEY", secret_key)
    monkeypatch.setenv("KOMPLIANT_AUTH_TOKEN", "tok_env")
    assert KompliantClient.from_env().base_url == "https://api.kompliant.com"
    monkeypatch.setenv("KOMPLIANT_BASE_URL", "http://localhost:1234")
    from_env = KompliantClient.from_env(timeout=2)
    assert (from_env.base_url, from_env.api_key) == ("http://localhost:1234", "ak_env")


def test_unreachable_server_is_a_connection_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    client = KompliantClient("ak", base64.b64encode(b"k" * 32).decode(), "tok", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(kw.ApiConnectionError) as info:
        client.check_version()
    assert info.value.code == "CONNECTION_FAILED" and info.value.http_status is None


def test_calls_release_the_gil(fake: FakeKompliant) -> None:
    # The fake server is Python code in this process: it can only answer while the client
    # call waits with the GIL released. A held GIL would end in a TIMEOUT.
    fake.answers.append((200, {}, SUCCESS, 0.3))
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.01)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        started = time.monotonic()
        version = fake.client(timeout=5, max_retries=0).check_version()
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
    assert version.latest_version == "2026-01-01"
    assert elapsed < 4
    assert ticks >= 5  # the other Python thread kept running during the call (~30 expected)
    assert fake.requests[0]["user-agent"].startswith("kompliant-webhooks-python/")
    assert fake.requests[0]["x-api-version"] == "2025-03-24"


def test_rate_limit_reports_retry_after(fake: FakeKompliant) -> None:
    fake.answers.append((429, {"Retry-After": "7"}, {"meta": {"status": "ERROR"}, "errors": [{"code": "RATE_LIMITED", "message": "slow down"}]}, 0))
    with pytest.raises(kw.RateLimitedError) as info:
        fake.client(max_retries=0).check_version()
    assert info.value.retry_after == 7.0 and info.value.http_status == 429


def test_timeouts_are_typed(fake: FakeKompliant) -> None:
    fake.answers.append((200, {}, SUCCESS, 1.0))
    with pytest.raises(kw.ApiTimeoutError) as info:
        fake.client(timeout=0.2, max_retries=0).check_version()
    assert info.value.code == "TIMEOUT"


def test_a_proxy_page_is_an_invalid_response_or_server_error(fake: FakeKompliant) -> None:
    fake.answers.append((200, {}, {"unexpected": "shape"}, 0))  # type: ignore[dict-item]
    with pytest.raises(kw.InvalidResponseError):
        fake.client(max_retries=0).check_version()
    fake.answers.append((502, {}, {"html": "bad gateway"}, 0))  # type: ignore[dict-item]
    with pytest.raises(kw.ServerError) as info:
        fake.client(max_retries=0).check_version()
    assert info.value.http_status == 502
