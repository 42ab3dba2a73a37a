"""The cross-language conformance vectors (tests/vectors/webhooks.json), every case, run
through the Python API exactly as tests/vectors/README.md prescribes."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Dict

import pytest

from kompliant_webhooks import (
    ERROR_CODES,
    Keyring,
    KompliantError,
    WebhookError,
    WebhookReceiver,
    WireProfile,
)

from conftest import assert_same_json, vectors

CASES = vectors()["cases"]


def run_case(case: Dict[str, Any]) -> Dict[str, Any]:
    """Runs one case; returns {"error": code} or the opened webhook's fields."""
    options = case.get("options") or {}
    try:
        keyring = Keyring()
        for key_id, secret in case["keyring"].items():
            keyring.add(key_id, secret)
        kwargs: Dict[str, Any] = {}
        if "max_body_bytes" in options:
            kwargs["max_body_bytes"] = options["max_body_bytes"]
        if options.get("aad") == "none":
            kwargs["profile"] = WireProfile.by_name("kompliant-2025-11-21-no-aad")
        if "max_age_seconds" in options:
            kwargs["max_age"] = options["max_age_seconds"]
        if "max_future_skew_seconds" in options:
            kwargs["max_future_skew"] = options["max_future_skew_seconds"]
        receiver = WebhookReceiver(keyring, **kwargs)
        now = None
        if "now" in options:
            now = datetime.fromisoformat(options["now"].replace("Z", "+00:00"))
        webhook = receiver.decrypt(base64.b64decode(case["body_b64"]), now=now)
    except KompliantError as error:
        assert isinstance(error, WebhookError), type(error)
        return {"error": error.code}
    return {
        "metadata": webhook.metadata,
        "retry_count": webhook.retry_count,
        "payload": webhook.payload_bytes,
        "parsed": webhook.payload,
    }


def test_the_vector_file_is_the_one_documented() -> None:
    assert vectors()["profile"] == "kompliant-2025-11-21"
    assert len(CASES) >= 150
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    got = run_case(case)
    if "error" in expect:
        assert expect["error"] in ERROR_CODES
        assert got == {"error": expect["error"]}, case["description"]
    else:
        assert "error" not in got, f"{case['description']}: refused with {got}"
        assert got["metadata"] == expect["metadata"]
        assert got["retry_count"] == expect["retry_count"]
        # Byte for byte: never a re-serialised JSON.
        assert got["payload"] == base64.b64decode(expect["payload_b64"])
        # Built by the binding while the core checks it: exactly what json.loads gives.
        assert_same_json(got["parsed"], json.loads(got["payload"]))
