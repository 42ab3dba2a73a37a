"""Secrets, case by case: every object that holds or handles a secret, rendered every way a
user could (repr, str, format, f-strings, %-formatting, public attributes, vars(), pickle,
an exception's args and tracebacks, the ``kompliant_webhooks`` log), never shows the secret
in any spelling (see secret_forms.py: latin-1, base64 with and without padding, URL-safe
base64, hex in both cases)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import pickle
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from flask import Flask

import kompliant_webhooks as kw
from kompliant_webhooks import (
    AsyncKompliantClient,
    GuardedReceiver,
    Keyring,
    KompliantClient,
    MemoryGuard,
    WebhookReceiver,
    add_to_keyring_file,
    seal_webhook,
)
from kompliant_webhooks.flask import webhook_view

from conftest import METADATA, DictGuard, Sim
from secret_forms import (
    CLIENT_AUTH_TOKEN,
    CLIENT_SECRET_KEY,
    WEBHOOK_SECRET_A,
    WEBHOOK_SECRET_B,
    WEBHOOK_SECRET_ENV,
    WEBHOOK_SECRET_FILE,
    Secret,
    all_forms,
    assert_no_leak,
    b64,
    forms,
    leaks,
    text_forms,
)

KEY_A = "whk_20251121_01"
KEY_B = "whk_20251121_02"
LOOPBACK = "http://127.0.0.1:9"


def renderings(obj: Any) -> Dict[str, str]:
    """Every text a user could get out of ``obj`` without asking for a secret explicitly
    (``reveal_secret()`` is a method, so it is never called here)."""
    out = {
        "repr": repr(obj),
        "str": str(obj),
        "format": format(obj, ""),
        "f-string": f"{obj}",
        "f-string !r": f"{obj!r}",
        "%s": "%s" % (obj,),
        "%r": "%r" % (obj,),
        "logging %s": logging.LogRecord("t", logging.INFO, __file__, 1, "%s %r", (obj, obj), None).getMessage(),
    }
    if hasattr(obj, "__dict__"):
        out["vars"] = repr(vars(obj))
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception as error:  # a property that refuses (e.g. a finished rotation)
            value = error
        if not callable(value):
            out[f".{name}"] = f"{value!r} {value}"
    try:
        out["pickle"] = pickle.dumps(obj).decode("latin-1")
    except Exception as error:
        out["pickle refusal"] = f"{type(error).__name__}: {error}"
    if isinstance(obj, BaseException):
        out["args"] = repr(obj.args)
        out["format_exception_only"] = "".join(traceback.format_exception_only(type(obj), obj))
        out["traceback without cause"] = "".join(
            traceback.format_exception(type(obj), obj, obj.__traceback__, chain=False)
        )
        if "pickle" in out:
            out["unpickled repr"] = repr(pickle.loads(pickle.dumps(obj)))
    return out


def assert_refuses_pickle(obj: Any, secrets: List[Secret]) -> None:
    """A secret holder refuses to pickle, and the refusal quotes nothing."""
    with pytest.raises(TypeError) as refused:
        pickle.dumps(obj)
    assert_no_leak({"pickle refusal": str(refused.value)}, secrets)


def raised(call: Any) -> BaseException:
    """The exception ``call()`` raises (it must raise)."""
    with pytest.raises(Exception) as info:
        call()
    return info.value


def sealed_with(raw: bytes, key_id: str) -> bytes:
    return seal_webhook(payload={"version": "1.0"}, secret=b64(raw), **dict(METADATA, key_id=key_id))


# --- the checker itself ---------------------------------------------------------------------


def test_the_checker_finds_every_form_of_a_secret() -> None:
    # Without this, a checker that never matches would make every test below pass.
    for secret in (WEBHOOK_SECRET_A, CLIENT_SECRET_KEY, CLIENT_AUTH_TOKEN):
        spelled = forms(secret) if isinstance(secret, bytes) else text_forms(secret)
        for name, form in spelled.items():
            assert leaks(f"log line: {form} (end)", [secret]), name
            assert leaks(f"cut: {form[3:3 + 16]}…", [secret]), f"a 16-character piece of the {name} form"
            with pytest.raises(AssertionError, match="secret shown"):
                assert_no_leak({"planted": f"x{form}x"}, [secret])
        assert not leaks("Keyring({'whk_20251121_01': [REDACTED]})", [secret])
    a = forms(WEBHOOK_SECRET_A)
    assert a["base64"] != a["url-safe base64"], "URL-safe base64 is a distinct spelling"
    assert a["base64"].endswith("=") and a["hex"] != a["HEX"]
    assert any(ord(c) > 127 for c in a["latin-1"]), "the latin-1 spelling holds non-ASCII"
    assert len({form for _, form in all_forms([WEBHOOK_SECRET_A, WEBHOOK_SECRET_B])}) == 14


# --- keyrings -------------------------------------------------------------------------------


def test_keyrings_from_add_json_env_and_file_never_show_their_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = Keyring()
    added.add(KEY_A, b64(WEBHOOK_SECRET_A))
    added.add(KEY_B, b64(WEBHOOK_SECRET_B))
    added.retire(KEY_B)

    from_json = Keyring.from_json(json.dumps({KEY_A: b64(WEBHOOK_SECRET_A), KEY_B: b64(WEBHOOK_SECRET_B)}))

    for name in [n for n in list(os.environ) if n.startswith("KOMPLIANT_WEBHOOK_SECRET_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KOMPLIANT_WEBHOOK_SECRET_20251121_03", b64(WEBHOOK_SECRET_ENV))
    from_env = Keyring.from_env()

    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"whk_20251121_04": b64(WEBHOOK_SECRET_FILE)}))
    from_file = Keyring.from_file(path)

    everything = [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B, WEBHOOK_SECRET_ENV, WEBHOOK_SECRET_FILE]
    for keyring, key_id, secret in [
        (added, KEY_A, WEBHOOK_SECRET_A),
        (added, KEY_B, WEBHOOK_SECRET_B),
        (from_json, KEY_B, WEBHOOK_SECRET_B),
        (from_env, "whk_20251121_03", WEBHOOK_SECRET_ENV),
        (from_file, "whk_20251121_04", WEBHOOK_SECRET_FILE),
    ]:
        # The keyring really holds the secret: it opens a webhook sealed with it.
        assert WebhookReceiver(keyring).decrypt(sealed_with(secret, key_id)).key_id == key_id
        shown = renderings(keyring)
        assert key_id in shown["repr"] and "[REDACTED]" in shown["repr"]
        assert_no_leak(shown, everything)
        assert_refuses_pickle(keyring, everything)


# --- receivers ------------------------------------------------------------------------------


def test_webhook_receivers_and_guarded_receivers_never_show_their_secrets() -> None:
    keyring = Keyring()
    keyring.add(KEY_A, b64(WEBHOOK_SECRET_A))
    receiver = WebhookReceiver(keyring, max_body_bytes=4096)
    secrets: List[Secret] = [WEBHOOK_SECRET_A]
    for guard in (MemoryGuard(), DictGuard()):
        guarded = GuardedReceiver(receiver, guard)
        delivery = guarded.begin(sealed_with(WEBHOOK_SECRET_A, KEY_A))
        assert delivery.should_process
        for obj in (receiver, guarded, delivery):
            assert_no_leak(renderings(obj), secrets)
        assert delivery.finish(True).name == "PROCESSED"
        assert_no_leak(renderings(delivery), secrets)
        assert_refuses_pickle(guarded, secrets)
    assert KEY_A in repr(receiver)
    assert_refuses_pickle(receiver, secrets)


# --- API clients ----------------------------------------------------------------------------


def test_clients_from_credentials_and_from_env_never_show_the_secret_key_or_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets: List[Secret] = [CLIENT_SECRET_KEY, CLIENT_AUTH_TOKEN]
    monkeypatch.setenv("KOMPLIANT_API_KEY", "ak_test_public")
    monkeypatch.setenv("KOMPLIANT_SECRET_KEY", b64(CLIENT_SECRET_KEY))
    monkeypatch.setenv("KOMPLIANT_AUTH_TOKEN", CLIENT_AUTH_TOKEN)
    monkeypatch.setenv("KOMPLIANT_BASE_URL", LOOPBACK)
    clients = [
        KompliantClient("ak_test_public", b64(CLIENT_SECRET_KEY), CLIENT_AUTH_TOKEN, base_url=LOOPBACK),
        KompliantClient.from_env(),
        AsyncKompliantClient("ak_test_public", b64(CLIENT_SECRET_KEY), CLIENT_AUTH_TOKEN, base_url=LOOPBACK),
        AsyncKompliantClient.from_env(),
    ]
    for client in clients:
        shown = renderings(client)
        assert "ak_test_public" in shown["repr"] and shown["repr"].count("[REDACTED]") == 2
        assert_no_leak(shown, secrets)
        assert_refuses_pickle(client, secrets)


def test_created_keys_and_pending_rotations_never_show_the_new_secret(sim: Sim) -> None:
    client = sim.client()
    credentials: List[Secret] = [base64.b64decode(sim.env["KOMPLIANT_SECRET_KEY"]), sim.env["KOMPLIANT_AUTH_TOKEN"]]
    assert_no_leak(renderings(client), credentials)

    created = client.create_webhook_key(sim.account_id)
    created_secret = base64.b64decode(created.reveal_secret())
    assert len(created_secret) == 32
    assert "[REDACTED]" in repr(created) and created.key_id in repr(created)
    assert_no_leak(renderings(created), [created_secret, *credentials])
    assert_refuses_pickle(created, [created_secret])

    pending = client.start_rotation(sim.account_id)
    pending_secret = base64.b64decode(pending.reveal_secret())
    assert_no_leak(renderings(pending), [pending_secret, *credentials])
    assert_refuses_pickle(pending, [pending_secret])
    rotation = pending.finish()
    assert_no_leak(renderings(pending), [pending_secret, *credentials])  # state "done"
    assert_no_leak(renderings(rotation), [pending_secret, *credentials])


# --- a failed rotation store ----------------------------------------------------------------


def echoing_store(secret_key: str, token: str, seen: Dict[str, str]) -> Any:
    """A store whose error quotes the new secret in every spelling the core masks (base64 and
    URL-safe base64, padded or not, hex in both cases: docs/security.md "Secrets") and the
    client's credentials, as a chatty secret manager might."""

    def store(key_id: str, secret: str) -> None:
        seen[key_id] = secret
        raw = base64.b64decode(secret)
        spelled = forms(raw)
        raise OSError(
            f"vault refused {spelled['base64']} / {spelled['base64 unpadded']} / "
            f"{spelled['url-safe base64']} / {spelled['url-safe base64 unpadded']} / "
            f"{spelled['hex']} / {spelled['HEX']} (secret key {secret_key}, token {token})"
        )

    return store


def test_a_failed_store_never_shows_the_secret_in_the_error_or_the_log(
    sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="kompliant_webhooks")
    client = sim.client()
    secret_key, token = sim.env["KOMPLIANT_SECRET_KEY"], sim.env["KOMPLIANT_AUTH_TOKEN"]
    credentials: List[Secret] = [base64.b64decode(secret_key), token]
    seen: Dict[str, str] = {}

    with pytest.raises(kw.StoreFailedError) as sync_info:
        client.rotate_webhook_key(sim.account_id, echoing_store(secret_key, token, seen))

    async def rotate_async() -> None:
        store = echoing_store(secret_key, token, seen)

        async def async_store(key_id: str, secret: str) -> None:
            store(key_id, secret)

        await AsyncKompliantClient.from_client(client).rotate_webhook_key(sim.account_id, async_store)

    with pytest.raises(kw.StoreFailedError) as async_info:
        asyncio.run(rotate_async())

    pending = client.start_rotation(sim.account_id)
    pending_secret = pending.reveal_secret()
    seen[pending.key_id] = pending_secret
    by_hand = pending.store_failed(OSError(f"vault refused {pending_secret} token {token}"))

    assert len(seen) == 3
    new_secrets: List[Secret] = [base64.b64decode(s) for s in seen.values()]
    for error in (sync_info.value, async_info.value, by_hand):
        assert error.code == "STORE_FAILED"
        assert "[REDACTED]" in str(error)  # the quoted store error is there, masked
        assert any(key_id in str(error) for key_id in seen)
        assert_no_leak(renderings(error), [*new_secrets, *credentials])
        # The cause is the store's own exception, unmasked (docs/python.md "Secrets").
        assert isinstance(error.__cause__, OSError)
    for key_id in seen:
        assert client.get_webhook_key(key_id).status == "INACTIVE"

    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    logged = {f"log #{i}": formatter.format(record) for i, record in enumerate(caplog.records)}
    assert_no_leak({"all log lines": "\n".join(logged.values()), **logged}, [*new_secrets, *credentials])


# --- errors about bad secrets and bad keyrings ----------------------------------------------


def test_errors_for_a_bad_secret_never_quote_it(tmp_path: Path) -> None:
    a = b64(WEBHOOK_SECRET_A)
    short = WEBHOOK_SECRET_A[:31]
    long = WEBHOOK_SECRET_A + b"\xfe"
    cases: List[tuple] = [
        ("not base64", a[:20] + "!" + a[21:], [WEBHOOK_SECRET_A, a[:20] + "!" + a[21:]]),
        ("URL-safe instead of standard base64", forms(WEBHOOK_SECRET_A)["url-safe base64"], [WEBHOOK_SECRET_A]),
        ("unpadded base64", a.rstrip("="), [WEBHOOK_SECRET_A]),
        ("hex instead of base64", WEBHOOK_SECRET_A.hex(), [WEBHOOK_SECRET_A]),
        ("31 bytes", b64(short), [short]),
        ("33 bytes", b64(long), [long]),
        ("with a space inside", a[:22] + " " + a[22:], [WEBHOOK_SECRET_A]),
    ]
    for label, secret, look_for in cases:
        error = raised(lambda: Keyring().add(KEY_A, secret))
        assert isinstance(error, kw.InvalidKeyError), label
        assert error.code == "INVALID_KEY" and error.key_id == KEY_A, label
        assert_no_leak(renderings(error), look_for)
        # The same secret reaching a keyring file is refused the same way.
        error = raised(lambda: add_to_keyring_file(tmp_path / "keys.json", KEY_A, secret))
        assert isinstance(error, kw.InvalidKeyError), label
        assert_no_leak(renderings(error), look_for)
    assert not (tmp_path / "keys.json").exists()

    # A keyring file that already holds the key id with another secret.
    add_to_keyring_file(tmp_path / "keys.json", KEY_A, a)
    conflict = raised(lambda: add_to_keyring_file(tmp_path / "keys.json", KEY_A, b64(WEBHOOK_SECRET_B)))
    assert isinstance(conflict, kw.InvalidKeyError)
    assert_no_leak(renderings(conflict), [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B])

    # A body sealed with another secret than the keyring's.
    keyring = Keyring()
    keyring.add(KEY_A, a)
    forged = raised(lambda: WebhookReceiver(keyring).decrypt(sealed_with(WEBHOOK_SECRET_B, KEY_A)))
    assert isinstance(forged, kw.DecryptionError)
    assert_no_leak(renderings(forged), [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B])


def test_a_keyring_with_a_bad_entry_is_refused_without_quoting_any_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = b64(WEBHOOK_SECRET_A), b64(WEBHOOK_SECRET_B[:30])
    secrets: List[Secret] = [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B[:30]]
    texts = {
        "wrong length entry": json.dumps({KEY_A: good, KEY_B: bad}),
        "not base64 entry": json.dumps({KEY_A: good, KEY_B: "!" + bad}),
        "syntax error after a secret": '{"%s": "%s", oops}' % (KEY_A, good),
        "unquoted secret": '{"%s": %s}' % (KEY_A, good),
        "truncated": '{"%s": "%s' % (KEY_A, good),
        "secret as a list": json.dumps({KEY_A: [good]}),
        "secret swapped into the key id": json.dumps({good: KEY_A}),
        "bare secret": good,
        "duplicate key id": '{"%s": "%s", "%s": "%s"}' % (KEY_A, good, KEY_A, bad),
    }
    for label, text in texts.items():
        error = raised(lambda: Keyring.from_json(text))
        assert isinstance(error, kw.InvalidKeyError), label
        assert_no_leak({f"{label}: {k}": v for k, v in renderings(error).items()}, secrets)

        path = tmp_path / "keys.json"
        path.write_text(text)
        error = raised(lambda: Keyring.from_file(path))
        assert isinstance(error, kw.InvalidKeyError), label
        assert_no_leak({f"{label} (file): {k}": v for k, v in renderings(error).items()}, secrets)
        # Extending such a file is refused too, quoting no secret.
        error = raised(lambda: add_to_keyring_file(path, "whk_20251121_09", b64(WEBHOOK_SECRET_ENV)))
        assert isinstance(error, kw.InvalidKeyError), label
        assert_no_leak({f"{label} (add): {k}": v for k, v in renderings(error).items()}, [*secrets, WEBHOOK_SECRET_ENV])

    for name in [n for n in list(os.environ) if n.startswith("KOMPLIANT_WEBHOOK_SECRET_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KOMPLIANT_WEBHOOK_SECRET_20251121_01", good)
    monkeypatch.setenv("KOMPLIANT_WEBHOOK_SECRET_20251121_02", bad)
    error = raised(Keyring.from_env)
    assert isinstance(error, kw.InvalidKeyError)
    assert_no_leak(renderings(error), secrets)


def test_client_configuration_errors_never_quote_the_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    key = b64(CLIENT_SECRET_KEY)
    secrets: List[Secret] = [CLIENT_SECRET_KEY, CLIENT_AUTH_TOKEN]
    for label, secret_key, token in [
        ("secret key not base64", "!" + key, CLIENT_AUTH_TOKEN),
        ("secret key URL-safe", forms(CLIENT_SECRET_KEY)["url-safe base64"], CLIENT_AUTH_TOKEN),
        ("token with a newline", key, CLIENT_AUTH_TOKEN + "\n" + CLIENT_AUTH_TOKEN),
        ("token with a space", key, CLIENT_AUTH_TOKEN + " x"),
    ]:
        error = raised(lambda: KompliantClient("ak", secret_key, token, base_url=LOOPBACK))
        assert isinstance(error, kw.InvalidConfigurationError), label
        assert_no_leak({f"{label}: {k}": v for k, v in renderings(error).items()}, secrets)

        monkeypatch.setenv("KOMPLIANT_API_KEY", "ak")
        monkeypatch.setenv("KOMPLIANT_SECRET_KEY", secret_key)
        monkeypatch.setenv("KOMPLIANT_AUTH_TOKEN", token)
        monkeypatch.setenv("KOMPLIANT_BASE_URL", LOOPBACK)
        error = raised(KompliantClient.from_env)
        assert isinstance(error, kw.InvalidConfigurationError), label
        assert_no_leak({f"{label} (env): {k}": v for k, v in renderings(error).items()}, secrets)


# --- what the package logs ------------------------------------------------------------------


class FailingGuard(DictGuard):
    """A guard whose store is down; its errors quote the store's URL with a password."""

    PASSWORD = "redis-pw-Kw7Test9Secret4Guard"

    def __init__(self, fail: str) -> None:
        super().__init__()
        self.fail = fail

    def _maybe_fail(self, method: str) -> None:
        if method == self.fail:
            raise ConnectionError(f"redis://:{self.PASSWORD}@10.0.0.7:6379 refused {method}")

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        self._maybe_fail("claim")
        return super().claim(webhook_id, token, lease)

    def complete(self, webhook_id: str, token: str, /) -> str:
        self._maybe_fail("complete")
        return super().complete(webhook_id, token)


def test_guard_failures_and_refusals_log_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kompliant_webhooks")
    keyring = Keyring()
    keyring.add(KEY_A, b64(WEBHOOK_SECRET_A))
    receiver = WebhookReceiver(keyring)
    body = sealed_with(WEBHOOK_SECRET_A, KEY_A)
    webhook_secrets: List[Secret] = [WEBHOOK_SECRET_A, WEBHOOK_SECRET_B]
    password: List[Secret] = [FailingGuard.PASSWORD]

    # A failing claim: begin() raises INTERNAL naming the exception's type only.
    claim_error = raised(lambda: GuardedReceiver(receiver, FailingGuard("claim")).begin(body))
    assert isinstance(claim_error, kw.WebhookError) and claim_error.code == "INTERNAL"
    assert "ConnectionError" in str(claim_error)
    assert_no_leak(renderings(claim_error), [*webhook_secrets, *password])

    # A failing complete: the answer stands, the error is kept for the logs.
    delivery = GuardedReceiver(receiver, FailingGuard("complete")).begin(body)
    assert delivery.finish(True).name == "PROCESSED"
    guard_error: Optional[kw.WebhookError] = delivery.guard_error
    assert guard_error is not None and guard_error.code == "INTERNAL"
    assert_no_leak(renderings(guard_error), [*webhook_secrets, *password])

    # The Flask adapter: a forged body (sealed with another secret), a failing guard.
    app = Flask(__name__)

    @app.post("/plain")
    @webhook_view(receiver)
    def plain(webhook: kw.Webhook) -> None:
        pass

    @app.post("/guarded")
    @webhook_view(receiver, guard=FailingGuard("claim"))
    def guarded(webhook: kw.Webhook) -> None:
        pass

    http = app.test_client()
    assert http.post("/plain", data=sealed_with(WEBHOOK_SECRET_B, KEY_A)).status_code == 400
    assert http.post("/guarded", data=body).status_code == 500

    records = [r for r in caplog.records if r.name.startswith("kompliant_webhooks")]
    messages = [r.getMessage() for r in records]
    assert any("DECRYPTION_FAILED" in m for m in messages), messages
    assert any("claim() raised ConnectionError" in m for m in messages), messages
    # The messages name the failure, never a webhook secret nor the store's password.
    assert_no_leak({f"message #{i}": m for i, m in enumerate(messages)}, [*webhook_secrets, *password])
    # Formatted with their tracebacks (the guard's own exception is logged as raised, see
    # kompliant_webhooks.guard.Guard), they still never show a webhook secret.
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    assert_no_leak({f"record #{i}": formatter.format(r) for i, r in enumerate(records)}, webhook_secrets)
