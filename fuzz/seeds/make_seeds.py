#!/usr/bin/env python3
"""Writes the committed seed corpus of each fuzz target (deterministic; re-run to refresh).

decrypt_body takes webhook bodies from tests/vectors/webhooks.json (the one case whose key
is the fuzz keyring's opens; the others are refused at each check in turn). The structured
targets (decrypt_mutated, keyring_env, api_response) read their input through `arbitrary`,
so their seeds are the texts they work on, wrapped in a few bytes that select cases;
libFuzzer mutates from there.
"""
import base64
import hashlib
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE.parent.parent / "tests" / "vectors" / "webhooks.json"

BODY_CASES = [
    "ok_workflow_created",
    "ok_subject_record_data_updated",
    "ok_unicode_metadata_written_as_escapes",
    "ok_pretty_printed_envelope",
    "duplicate_id_different_values",
    "body_not_json",
    "unknown_key_id",
    "flipped_tag_bit",
    "data_base64_noncanonical_trailing_bits_one_pad",
    "retry_count_float_1_0",
]


def write(target, name, data):
    directory = HERE / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main():
    cases = {c["name"]: c for c in json.loads(VECTORS.read_text())["cases"]}
    found = 0
    for name in BODY_CASES:
        case = cases.get(name)
        if case is None:
            continue
        write("decrypt_body", name, base64.b64decode(case["body_b64"]))
        found += 1
    assert found == len(BODY_CASES), "a vector case is gone: update BODY_CASES"

    for n in range(4):
        write("decrypt_mutated", f"random_{n}", hashlib.sha256(f"mutated:{n}".encode()).digest() * (n + 1))

    ok = cases["ok_workflow_created"]["keyring"]
    secret = next(iter(ok.values()))
    short = base64.b64encode(b"\x01" * 31).decode()
    for name, text in {
        "two_keys": json.dumps({"whk_20251021_01": secret, "whk_20251121_100": secret}),
        "short_secret": json.dumps({"whk_20251021_01": short}),
        "duplicate_id": '{"whk_1":"%s","whk_1":"%s"}' % (secret, secret),
        "not_an_object": json.dumps([secret]),
        "secret_as_key_id": json.dumps({secret: "whk_20251021_01"}),
    }.items():
        write("keyring_json", name, text.encode())

    prefix = b"KOMPLIANT_WEBHOOK_SECRET_"
    for name, data in {
        "one_var": b"\x01" + prefix + b"20251021_01\x00" + secret.encode() + b"\x02",
        "bad_suffix": b"\x01" + prefix + b"2025102_1\x00" + secret.encode() + b"\x02",
        "other_vars": b"\x03PATH\x00/usr/bin\x00HOME\x00/root" + prefix + b"20251121_100",
    }.items():
        write("keyring_env", name, data)

    success = {"meta": {"status": "SUCCESS", "trace_id": "trc_1", "version": "2025-03-24"},
               "data": {"key_id": "whk_20251121_01", "shared_secret": secret,
                        "status": "INACTIVE", "created_at": "2025-11-21T14:30:22Z"}}
    error = {"meta": {"status": "ERROR", "trace_id": "trc_2"},
             "errors": [{"code": "SYSTEM_RULE_VIOLATION", "message": "Maximum daily key creation limit reached",
                         "entity_type": "Webhook Key", "sub_code": "DAILY_KEY_LIMIT"}]}
    configs = {"meta": {"status": "SUCCESS"},
               "data": {"configs": [{"config_id": "whc_1", "url": "https://example.test/hook",
                                     "created_at": "2025-11-21T14:30:22Z"}]}}
    # Leading bytes: method selector, status (u16 little-endian), no location, no echo.
    for name, (method, status, body) in {
        "key_create_ok": (0, 200, json.dumps(success).encode()),
        "daily_limit": (0, 400, json.dumps(error).encode()),
        "config_list_ok": (5, 200, json.dumps(configs).encode()),
        "proxy_html": (2, 502, b"<html><body>Bad Gateway</body></html>"),
    }.items():
        write("api_response", name, bytes([method]) + status.to_bytes(2, "little") + b"\x00\x00" + body)


if __name__ == "__main__":
    main()
