"""The exception tree: one class per stable code, the attributes users read, pickling."""

from __future__ import annotations

import pickle

import pytest

import kompliant_webhooks as kw
from kompliant_webhooks import errors
from kompliant_webhooks.errors import API_ERROR_CLASSES, WEBHOOK_ERROR_CLASSES

RECEIVE_CODES = {
    "MALFORMED_ENVELOPE",
    "UNKNOWN_KEY",
    "INVALID_KEY",
    "DECRYPTION_FAILED",
    "PAYLOAD_NOT_JSON",
    "BODY_TOO_LARGE",
    "TIMESTAMP_OUT_OF_RANGE",
    "PAYLOAD_SCHEMA_MISMATCH",
    "IO_ERROR",
}


def test_every_core_code_has_its_class() -> None:
    # INTERNAL is raised as the family's base class; INVALID_CONFIGURATION has one class for
    # both families; every other code has a subclass of its family.
    mapped = set(WEBHOOK_ERROR_CLASSES) | set(API_ERROR_CLASSES)
    assert mapped | {"INTERNAL", "INVALID_CONFIGURATION"} == set(kw.ERROR_CODES)
    assert not mapped & {"INTERNAL", "INVALID_CONFIGURATION"}
    assert set(WEBHOOK_ERROR_CLASSES) == RECEIVE_CODES
    assert not set(WEBHOOK_ERROR_CLASSES) & set(API_ERROR_CLASSES)
    for code, cls in WEBHOOK_ERROR_CLASSES.items():
        assert issubclass(cls, kw.WebhookError) and cls.default_code == code
        assert cls("x").code == code
        assert cls.__doc__ and code in cls.__doc__
    for code, cls in API_ERROR_CLASSES.items():
        assert issubclass(cls, kw.ApiError) and cls.default_code == code
        assert cls("x").code == code
        assert cls.__doc__ and code in cls.__doc__
    for name in errors.__all__:
        if name.endswith("Error"):  # every exception class is importable from the package
            assert getattr(kw, name) is getattr(errors, name)
            assert name in kw.__all__


def test_invalid_configuration_is_one_class_for_both_families() -> None:
    cls = kw.InvalidConfigurationError
    assert cls.default_code == "INVALID_CONFIGURATION" and cls("x").code == "INVALID_CONFIGURATION"
    assert issubclass(cls, kw.KompliantError) and issubclass(cls, ValueError)
    assert not issubclass(cls, kw.WebhookError) and not issubclass(cls, kw.ApiError)
    # Raised by the client (ApiError's factory) and by the receive path (WebhookError's).
    with pytest.raises(cls):
        kw.KompliantClient("ak", "not base64!", "token")
    with pytest.raises(cls):
        kw.WireProfile.by_name("nope")
    back = pickle.loads(pickle.dumps(cls("max_body_bytes must be at least 1")))
    assert type(back) is cls and str(back) == "max_body_bytes must be at least 1"
    assert back.code == "INVALID_CONFIGURATION"


def test_a_panic_in_native_code_is_an_internal_error_not_a_base_exception() -> None:
    # `_panic_for_tests` exists only in builds with the `test-hooks` cargo feature, which
    # scripts/suites/python.sh turns on; it panics inside the same guard every entry point
    # runs through.
    native = kw._native
    assert hasattr(native, "_panic_for_tests"), "the module was built without --features test-hooks"
    panic = getattr(native, "_panic_for_tests")
    for detached in (False, True):
        try:
            panic("receive", detached)
        except Exception as caught:  # noqa: BLE001 - the point: `except Exception` catches it
            error: BaseException = caught
        else:  # pragma: no cover
            pytest.fail("no exception")
        assert type(error) is kw.WebhookError, type(error)
        assert (error.code, error.http_status, error.public_message) == (
            "INTERNAL",
            500,
            "webhook receiver error",
        )
        assert "panicked" in str(error) and "deliberate" not in str(error)
        with pytest.raises(kw.ApiError) as api:
            panic("client", detached)
        assert type(api.value) is kw.ApiError and api.value.code == "INTERNAL"
        assert "panicked" in str(api.value)
    # The module keeps working after a caught panic.
    assert kw.http_answer("UNKNOWN_KEY")[0] == 503


def test_handler_failures_answer_the_core_status() -> None:
    assert kw.HANDLER_FAILURE_STATUS == 500
    assert kw.handler_failure_answer() == (500, kw.http_answer("INTERNAL")[1])


def test_rule_violations_share_a_parent() -> None:
    for cls in (kw.KeyDeletedError, kw.DailyKeyLimitError, kw.UrlAlreadyExistsError, kw.MaxWebhookUrlLimitError):
        assert issubclass(cls, kw.SystemRuleViolationError)
    assert issubclass(kw.ApiError, kw.KompliantError) and issubclass(kw.WebhookError, kw.KompliantError)
    # No builtin is shadowed: the timeout and connection errors carry an Api prefix.
    assert not issubclass(kw.ApiTimeoutError, TimeoutError)
    assert not issubclass(kw.ApiConnectionError, ConnectionError)


def test_webhook_error_defaults_come_from_the_core() -> None:
    assert kw.http_answer("UNKNOWN_KEY") == (503, "webhook cannot be processed yet; retry later")
    assert kw.http_answer("BODY_TOO_LARGE") == (413, "webhook body too large")
    assert kw.http_answer("DECRYPTION_FAILED") == (400, "webhook rejected")
    assert kw.http_answer("IO_ERROR") == (500, "webhook receiver error")
    with pytest.raises(ValueError):
        kw.http_answer("NOT_A_CODE")
    error = kw.UnknownKeyError("unknown key id", key_id="whk_1")
    assert (error.http_status, error.public_message, error.key_id) == (
        503,
        "webhook cannot be processed yet; retry later",
        "whk_1",
    )
    assert str(error) == "unknown key id"


def test_webhook_errors_pickle_with_every_attribute() -> None:
    for cls in WEBHOOK_ERROR_CLASSES.values():
        error = cls("detail", http_status=499, public_message="custom", key_id="whk_20251121_01")
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is cls
        assert (str(back), back.code, back.http_status, back.public_message, back.key_id) == (
            "detail",
            cls.default_code,
            499,
            "custom",
            "whk_20251121_01",
        )


def test_api_errors_pickle_with_every_attribute() -> None:
    for cls in list(API_ERROR_CLASSES.values()) + [kw.ApiError]:
        error = cls(
            "webhook.key.create: DAILY_KEY_LIMIT: limit (HTTP 400)",
            message="limit",
            method="webhook.key.create",
            http_status=400,
            server_code="SYSTEM_RULE_VIOLATION",
            sub_code="DAILY_KEY_LIMIT",
            entity_type="Webhook Key",
            trace_id="trc_1",
            retry_after=2.5,
            attempts=3,
        )
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is cls
        assert vars(back) == vars(error)
        assert str(back) == str(error)
        assert back.retry_after == 2.5 and back.trace_id == "trc_1" and back.attempts == 3


def test_raised_errors_pickle_too(sealer: object) -> None:
    keyring = kw.Keyring()
    with pytest.raises(kw.UnknownKeyError) as info:
        kw.WebhookReceiver(keyring).decrypt(sealer.body())  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(info.value))
    assert (back.code, back.http_status, back.key_id, str(back)) == (
        "UNKNOWN_KEY",
        503,
        info.value.key_id,
        str(info.value),
    )
    with pytest.raises(kw.InvalidConfigurationError) as config:
        kw.KompliantClient("ak", "not base64!", "token")
    again = pickle.loads(pickle.dumps(config.value))
    assert type(again) is kw.InvalidConfigurationError and vars(again) == vars(config.value)
