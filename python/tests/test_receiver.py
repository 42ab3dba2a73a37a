"""The receive path through the Python API: Keyring, WebhookReceiver, Webhook, event
views, WireProfile, seal_webhook, and the secret-safety promises (repr, messages, pickle)."""

from __future__ import annotations

import json
import os
import pickle
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kompliant_webhooks import (
    BodyTooLargeError,
    DecryptionError,
    InvalidConfigurationError,
    InvalidKeyError,
    KeyringFileError,
    Keyring,
    KompliantError,
    MalformedEnvelopeError,
    OtherEvent,
    PayloadNotJsonError,
    PayloadSchemaMismatchError,
    SubjectRecordDataUpdated,
    TimestampOutOfRangeError,
    UnknownKeyError,
    WebhookError,
    WebhookReceiver,
    WireProfile,
    WorkflowEvent,
    add_to_keyring_file,
    generate_secret,
    seal_webhook,
)

from conftest import METADATA, WORKFLOW_PAYLOAD, Sealer, receiver_for


def test_decrypt_exposes_verified_metadata_and_the_exact_payload(sealer: Sealer) -> None:
    payload_text = '{"version":"1.0", "b": [1, 2.5, null],"a":"é"}'
    webhook = receiver_for(sealer).decrypt(sealer.body(payload_text, retry_count=3))
    assert webhook.id == METADATA["id"]
    assert webhook.event_type == "WORKFLOW_CREATED"
    assert webhook.timestamp == METADATA["timestamp"]
    assert webhook.account_id == "sb_123"
    assert webhook.schema_version == "2025-11-21"
    assert webhook.key_id == sealer.key_id
    assert webhook.retry_count == 3
    assert webhook.metadata == dict(METADATA, key_id=sealer.key_id)
    assert webhook.payload_text == payload_text
    assert webhook.payload_bytes == payload_text.encode()
    assert webhook.payload == {"version": "1.0", "b": [1, 2.5, None], "a": "é"}
    assert list(webhook.payload) == ["version", "b", "a"]  # key order kept
    assert webhook.payload is webhook.payload  # parsed once


def test_retry_count_is_not_authenticated(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    first = sealer.body()
    # A redelivery changes only retry_count; the same sealed data still opens.
    envelope = json.loads(first)
    envelope["retry_count"] = 41
    webhook = receiver.decrypt(json.dumps(envelope).encode())
    assert webhook.retry_count == 41
    assert webhook.payload == WORKFLOW_PAYLOAD


def test_bytes_like_bodies_are_accepted_and_text_is_refused(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    body = sealer.body()
    assert receiver.decrypt(bytearray(body)).id == METADATA["id"]
    assert receiver.decrypt(memoryview(body)).id == METADATA["id"]
    with pytest.raises(TypeError, match="raw request body"):
        receiver.decrypt(body.decode())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        receiver.decrypt(json.loads(body))  # type: ignore[arg-type]


def test_large_bodies_decrypt_with_the_gil_released(sealer: Sealer) -> None:
    payload = {"version": "1.0", "blob": "x" * 300_000}
    webhook = receiver_for(sealer).decrypt(sealer.body(payload))
    assert webhook.payload["blob"] == "x" * 300_000


def test_unknown_key_asks_for_a_redelivery(sealer: Sealer) -> None:
    other = Keyring()
    other.add("whk_20200101_01", generate_secret())
    with pytest.raises(UnknownKeyError) as info:
        WebhookReceiver(other).decrypt(sealer.body())
    error = info.value
    assert isinstance(error, WebhookError) and isinstance(error, KompliantError)
    assert error.code == "UNKNOWN_KEY"
    assert error.http_status == 503
    assert error.public_message == "webhook cannot be processed yet; retry later"
    assert error.key_id == sealer.key_id
    assert sealer.key_id in str(error)


def test_a_tampered_body_is_refused_without_leaking_the_secret(sealer: Sealer) -> None:
    envelope = json.loads(sealer.body())
    envelope["account_id"] = "sb_999"  # metadata is authenticated by the tag
    with pytest.raises(DecryptionError) as info:
        receiver_for(sealer).decrypt(json.dumps(envelope).encode())
    error = info.value
    assert (error.code, error.http_status, error.public_message) == (
        "DECRYPTION_FAILED",
        400,
        "webhook rejected",
    )
    for text in (str(error), repr(error), error.public_message):
        assert sealer.secret not in text
        assert "sb_999" not in error.public_message


def test_wrong_secret_for_the_key_id_is_a_decryption_failure(sealer: Sealer) -> None:
    keyring = Keyring()
    keyring.add(sealer.key_id, generate_secret())
    with pytest.raises(DecryptionError):
        WebhookReceiver(keyring).decrypt(sealer.body())


def test_malformed_envelopes_and_non_json_payloads(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    for body in (b"", b"[]", b'{"id": 1}', b"\xff"):
        with pytest.raises(MalformedEnvelopeError) as info:
            receiver.decrypt(body)
        assert info.value.http_status == 400
    with pytest.raises(PayloadNotJsonError):
        receiver.decrypt(sealer.body("not json, maybe personal data"))
    with pytest.raises(PayloadNotJsonError) as not_object:
        receiver.decrypt(sealer.body('["an array"]'))
    assert "an array" not in str(not_object.value)


def test_body_limit(sealer: Sealer) -> None:
    body = sealer.body()
    receiver = receiver_for(sealer, max_body_bytes=len(body) - 1)
    assert receiver.max_body_bytes == len(body) - 1
    with pytest.raises(BodyTooLargeError) as info:
        receiver.decrypt(body)
    assert (info.value.http_status, info.value.public_message) == (413, "webhook body too large")
    assert receiver_for(sealer, max_body_bytes=len(body)).decrypt(body).id == METADATA["id"]
    assert receiver_for(sealer).max_body_bytes == 8 * 1024 * 1024


def test_a_zero_body_limit_is_refused_by_the_core(sealer: Sealer) -> None:
    # Every webhook would be refused: the core's ReceiverOptions::check says so up front.
    with pytest.raises(InvalidConfigurationError, match="max_body_bytes") as info:
        receiver_for(sealer, max_body_bytes=0)
    assert info.value.code == "INVALID_CONFIGURATION"
    assert isinstance(info.value, ValueError) and isinstance(info.value, KompliantError)
    assert not isinstance(info.value, WebhookError)
    assert receiver_for(sealer, max_body_bytes=1).max_body_bytes == 1


def test_time_window_is_opt_in(sealer: Sealer) -> None:
    body = sealer.body(timestamp="2025-11-21T14:30:22Z")
    sent = datetime(2025, 11, 21, 14, 30, 22, tzinfo=timezone.utc)
    # Off by default: a redelivery days later still opens.
    assert receiver_for(sealer).decrypt(body).id == METADATA["id"]
    windowed = receiver_for(sealer, max_age=timedelta(minutes=5), max_future_skew=60)
    assert windowed.max_age == 300.0 and windowed.max_future_skew == 60.0
    assert windowed.decrypt(body, now=sent + timedelta(minutes=5)).id == METADATA["id"]
    assert windowed.decrypt(body, now=sent.timestamp() - 60).id == METADATA["id"]
    with pytest.raises(TimestampOutOfRangeError) as too_old:
        windowed.decrypt(body, now=sent + timedelta(minutes=5, seconds=1))
    assert too_old.value.http_status == 400
    with pytest.raises(TimestampOutOfRangeError):
        windowed.decrypt(body, now=sent - timedelta(seconds=61))
    with pytest.raises(TimestampOutOfRangeError):
        windowed.decrypt(body)  # the real clock: far later than 5 minutes


def test_bad_option_values_are_python_errors(sealer: Sealer) -> None:
    with pytest.raises(ValueError, match="max_age"):
        receiver_for(sealer, max_age=-1)
    with pytest.raises(TypeError, match="max_future_skew"):
        receiver_for(sealer, max_future_skew="5 minutes")
    with pytest.raises(InvalidConfigurationError, match="unknown wire profile"):
        receiver_for(sealer, profile="kompliant-1999")
    with pytest.raises(TypeError, match="now"):
        receiver_for(sealer).decrypt(sealer.body(), now="yesterday")  # type: ignore[arg-type]


def test_event_views(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    workflow = receiver.decrypt(sealer.body(event_type="WORKFLOW_COMPLETED")).event()
    assert isinstance(workflow, WorkflowEvent)
    assert workflow.event_type == "WORKFLOW_COMPLETED"
    assert workflow.workflow_id == WORKFLOW_PAYLOAD["workflow_id"]
    assert workflow.workflow_type == "BUSINESS_APPLICATION"
    assert workflow.subject_record_id == WORKFLOW_PAYLOAD["subject_record_id"]
    assert workflow.user_context.user_type == "USER"
    assert workflow == receiver.decrypt(sealer.body(event_type="WORKFLOW_COMPLETED")).event()

    updated_payload = {
        "version": "1.1",
        "subject_record_id": "sr_1",
        "user_context": {"user_id": "u_1", "user_type": "ROBOT"},
        "entities": {
            "business": [{"business_id": "b_1", "fields": ["legal_name", "address.city"]}],
            "persons": [{"person_id": "p_1", "fields": []}],
        },
        "something_new": True,
    }
    updated = receiver.decrypt(
        sealer.body(updated_payload, event_type="SUBJECT_RECORD_DATA_UPDATED")
    ).event()
    assert isinstance(updated, SubjectRecordDataUpdated)
    assert updated.event_type == "SUBJECT_RECORD_DATA_UPDATED"
    assert updated.user_context.user_type == "ROBOT"  # unknown values pass through
    assert updated.entities.business[0].id_field == "business_id"
    assert updated.entities.business[0].id == "b_1"
    assert updated.entities.business[0].fields == ["legal_name", "address.city"]
    assert updated.entities.persons[0].id == "p_1"
    assert updated.entities.bank_accounts == [] and updated.entities.sales_info == []
    assert "b_1" in repr(updated)

    other = receiver.decrypt(sealer.body({"any": "thing"}, event_type="DOCUMENT_UPLOADED"))
    view = other.event()
    assert isinstance(view, OtherEvent) and view.event_type == "DOCUMENT_UPLOADED"
    assert other.payload == {"any": "thing"}


def test_schema_mismatch_is_raised_by_event_not_decrypt(sealer: Sealer) -> None:
    payload = dict(WORKFLOW_PAYLOAD, workflow_id=["private value"])
    webhook = receiver_for(sealer).decrypt(sealer.body(payload))
    assert webhook.payload["workflow_id"] == ["private value"]
    with pytest.raises(PayloadSchemaMismatchError) as info:
        webhook.event()
    assert info.value.code == "PAYLOAD_SCHEMA_MISMATCH"
    assert "private value" not in str(info.value)
    v2 = receiver_for(sealer).decrypt(sealer.body(dict(WORKFLOW_PAYLOAD, version="2.0")))
    with pytest.raises(PayloadSchemaMismatchError, match="2.0"):
        v2.event()


def test_keyring_api() -> None:
    keyring = Keyring()
    first, second = generate_secret(), generate_secret()
    keyring.add("whk_20251121_02", second)
    keyring.add("whk_20251021_01", first + "\n")  # whitespace from a file is ignored
    assert keyring.key_ids() == ["whk_20251021_01", "whk_20251121_02"]
    assert "whk_20251021_01" in keyring and 42 not in keyring
    assert len(keyring) == 2
    assert keyring.remove("whk_20251021_01") is True
    assert keyring.remove("whk_20251021_01") is False
    assert keyring.key_ids() == ["whk_20251121_02"]


def test_keyring_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = generate_secret(), generate_secret()
    text = json.dumps({"whk_20251021_01": a, "whk_20251121_01": b})
    assert Keyring.from_json(text).key_ids() == ["whk_20251021_01", "whk_20251121_01"]
    path = tmp_path / "keys.json"
    path.write_text(text)
    assert Keyring.from_file(path).key_ids() == ["whk_20251021_01", "whk_20251121_01"]
    assert Keyring.from_file(str(path)).key_ids() == ["whk_20251021_01", "whk_20251121_01"]
    monkeypatch.setenv("KOMPLIANT_WEBHOOK_SECRET_20251121_07", a)
    assert "whk_20251121_07" in Keyring.from_env()
    monkeypatch.setenv("KOMPLIANT_WEBHOOK_SECRET_2025112_07", a)
    with pytest.raises(InvalidKeyError):
        Keyring.from_env()  # a typo must not silently drop a key
    with pytest.raises(KeyringFileError) as missing:
        Keyring.from_file(tmp_path / "nope.json")
    assert missing.value.code == "IO_ERROR"


def test_invalid_secrets_never_appear_in_messages() -> None:
    doc_example = "bm90LWEtcmVhbC0zMi1ieXRlLXNlY3JldA=="  # decodes to 25 bytes
    with pytest.raises(InvalidKeyError) as info:
        Keyring().add("whk_20251021_01", doc_example)
    assert "25 bytes" in str(info.value)
    assert info.value.key_id == "whk_20251021_01"
    assert doc_example not in str(info.value)
    with pytest.raises(InvalidKeyError) as bad:
        Keyring.from_json(json.dumps({"whk_1": "s3cr3t#s3cr3t"}))
    assert "s3cr3t" not in str(bad.value) and "s3cr3t" not in repr(bad.value)
    with pytest.raises(InvalidKeyError):
        Keyring().add("has space", generate_secret())


def test_nothing_holding_a_secret_shows_or_pickles_it(sealer: Sealer) -> None:
    keyring = Keyring()
    keyring.add(sealer.key_id, sealer.secret)
    receiver = WebhookReceiver(keyring)
    for obj in (keyring, receiver):
        assert sealer.secret not in repr(obj)
        assert sealer.key_id in repr(obj)
        with pytest.raises(TypeError):
            pickle.dumps(obj)
    assert "[REDACTED]" in repr(keyring)
    webhook = receiver.decrypt(sealer.body({"ssn": "123-45-6789"}))
    assert "123-45-6789" not in repr(webhook)
    assert "bytes>" in repr(webhook)


def test_a_receiver_sees_keys_added_to_its_keyring_later(sealer: Sealer) -> None:
    keyring = Keyring()
    receiver = WebhookReceiver(keyring)
    with pytest.raises(UnknownKeyError):
        receiver.decrypt(sealer.body())
    receiver.keyring.add(sealer.key_id, sealer.secret)  # the same, shared keyring
    assert sealer.key_id in keyring
    assert receiver.decrypt(sealer.body()).key_id == sealer.key_id


def test_add_to_keyring_file_writes_a_private_loadable_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first, second = generate_secret(), generate_secret()
    add_to_keyring_file(path, "whk_20251021_01", first)
    add_to_keyring_file(str(path), "whk_20251121_01", second)
    assert Keyring.from_file(path).key_ids() == ["whk_20251021_01", "whk_20251121_01"]
    written = json.loads(path.read_text())
    assert written["whk_20251121_01"] == second  # the key in use
    assert written["whk_20251021_01"]["secret"] == first  # rotated out, with its retired_at
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(KeyringFileError):
        add_to_keyring_file(tmp_path / "missing-dir" / "keys.json", "whk_20251021_01", first)
    with pytest.raises(InvalidKeyError):
        add_to_keyring_file(path, "whk_20251021_02", "tooshort")


def test_wire_profiles(sealer: Sealer) -> None:
    default = WireProfile.default()
    assert default == WireProfile.by_name("kompliant-2025-11-21")
    assert default.aad_fields == ["id", "event_type", "timestamp", "account_id", "schema_version", "key_id"]
    assert default.separator == "|" and default.tag_position == "after_ciphertext"
    assert WireProfile.BUILT_IN_NAMES == ("kompliant-2025-11-21", "kompliant-2025-11-21-no-aad")
    no_aad = WireProfile.by_name("kompliant-2025-11-21-no-aad")
    assert no_aad.aad_fields == [] and no_aad.separator is None

    custom = WireProfile.custom(
        "mine", tag_position="before_ciphertext", aad_fields=["id", "key_id"], separator="/"
    )
    assert custom.name == "mine" and custom.aad_fields == ["id", "key_id"]
    body = seal_webhook(payload={"version": "1.0"}, secret=sealer.secret, profile=custom, **dict(METADATA, key_id=sealer.key_id))
    assert receiver_for(sealer, profile=custom).decrypt(body).payload == {"version": "1.0"}
    assert receiver_for(sealer, profile=custom).profile == custom
    with pytest.raises(DecryptionError):
        receiver_for(sealer).decrypt(body)  # the default profile reads another layout



def test_custom_profiles_are_built_by_the_core(sealer: Sealer) -> None:
    # Options left out keep the core's defaults: the documented six fields, after, "|".
    plain = WireProfile.custom("plain")
    default = WireProfile.default()
    assert (plain.name, plain.tag_position, plain.aad_fields, plain.separator) == (
        "plain",
        default.tag_position,
        default.aad_fields,
        default.separator,
    )
    body = sealer.body()
    assert receiver_for(sealer, profile=plain).decrypt(body).id == METADATA["id"]
    none = WireProfile.custom("none", aad_fields=[])
    assert none.aad_fields == [] and none.separator is None
    # Unusable settings: the core's INVALID_CONFIGURATION, one class, also a ValueError.
    for bad, reason in [
        (lambda: WireProfile.custom("x", aad_fields=["nope"]), "AAD field"),
        (lambda: WireProfile.custom("x", tag_position="middle"), "tag position"),
        (lambda: WireProfile.custom("x", separator=""), "separator"),
        (lambda: WireProfile.by_name("kompliant-1999"), "unknown wire profile"),
    ]:
        with pytest.raises(InvalidConfigurationError, match=reason) as info:
            bad()
        assert info.value.code == "INVALID_CONFIGURATION" and isinstance(info.value, ValueError)
    assert WireProfile.custom("x", aad_fields=[], separator="").aad_fields == []  # no AAD, no separator
    with pytest.raises(TypeError):
        WireProfile.custom("x", aad_fields="id")  # type: ignore[arg-type]  # a str is not a list of names


def test_seal_webhook_inputs(sealer: Sealer) -> None:
    nonce = bytes(range(12))
    fields = dict(METADATA, key_id=sealer.key_id)
    as_bytes = seal_webhook(payload=b'{"a":1}', secret=sealer.secret, nonce=nonce, **fields)
    as_text = seal_webhook(payload='{"a":1}', secret=sealer.secret, nonce=nonce, **fields)
    as_dict = seal_webhook(payload={"a": 1}, secret=sealer.secret, nonce=nonce, **fields)
    assert as_bytes == as_text == as_dict  # reproducible with a fixed nonce, compact JSON
    redelivered = seal_webhook(payload={"a": 1}, secret=sealer.secret, nonce=nonce, retry_count=2, **fields)
    assert json.loads(redelivered)["data"] == json.loads(as_bytes)["data"]
    assert json.loads(redelivered)["retry_count"] == 2
    assert seal_webhook(payload={"a": 1}, secret=sealer.secret, **fields) != as_bytes  # fresh nonce
    with pytest.raises(ValueError, match="12 bytes"):
        seal_webhook(payload={}, secret=sealer.secret, nonce=b"short", **fields)
    with pytest.raises(InvalidKeyError):
        seal_webhook(payload={}, secret="not base64!", **fields)
    with pytest.raises(MalformedEnvelopeError):
        seal_webhook(payload={}, secret=sealer.secret, **dict(fields, event_type="A|B"))


def test_receivers_are_safe_to_share_between_threads(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    bodies = [sealer.body({"version": "1.0", "n": n}, id=f"wh_{n:022d}") for n in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(receiver.decrypt, bodies))
    assert [w.payload["n"] for w in results] == list(range(200))
    assert [w.id for w in results] == [f"wh_{n:022d}" for n in range(200)]


def test_arbitrary_bytes_only_ever_raise_webhook_errors(sealer: Sealer) -> None:
    import random

    rng = random.Random(20251121)
    receiver = receiver_for(sealer, max_body_bytes=4096)
    valid = sealer.body()
    outcomes = set()
    for _ in range(3000):
        body = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            choice = rng.random()
            if choice < 0.5 and body:
                body[rng.randrange(len(body))] = rng.randrange(256)
            elif choice < 0.75 and body:
                del body[rng.randrange(len(body)) :]
            else:
                body[rng.randrange(len(body) + 1) : 0] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        try:
            receiver.decrypt(bytes(body))
            outcomes.add("ok")
        except WebhookError as error:
            outcomes.add(error.code)
    # Mutations land in every check; none escapes as another exception type.
    assert {"MALFORMED_ENVELOPE", "DECRYPTION_FAILED"} <= outcomes
