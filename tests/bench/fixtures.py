"""Writes the benchmark fixtures every language's benchmark reads: realistic sealed webhooks
of about 1 KiB, 16 KiB, 256 KiB and 4 MiB of payload, and the key that opens them.

The payloads are SUBJECT_RECORD_DATA_UPDATED events as documented (``version``,
``subject_record_id``, ``user_context``, ``entities`` with ``business``, ``persons``,
``bank_accounts``, ``sales_info``), with each entity change carrying its changed values:
nested objects, strings (some non-ASCII, some with escapes), integers, floats, booleans and
nulls, so JSON parsing costs what it costs on real traffic. Deterministic (seeded), and
sealed with Python ``cryptography``'s AESGCM under the default wire profile, independently of
the SDK.

    python tests/bench/fixtures.py OUT_DIR

writes ``OUT_DIR/{1k,16k,256k,4m}.body.json`` (the request bodies), ``OUT_DIR/{…}.payload.json``
(the plaintexts) and ``OUT_DIR/key.json`` (``{"key_id", "secret"}``, base64 secret).

A second shape, in ``OUT_DIR/people/`` with the same file names and key: the same event
listing many SMALL person objects (short strings, integers, booleans, small nested objects,
about 150 bytes each), the shape where building the payload object costs most per byte
(issue 16).
"""

from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path
from typing import Any, Dict, List

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SIZES = {"1k": 1024, "16k": 16 * 1024, "256k": 256 * 1024, "4m": 4 * 1024 * 1024}
KEY_ID = "whk_20251121_01"
SECRET = bytes(range(32))
FIRST = ["Ana", "Björn", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiroshi", "Ines", "José"]
LAST = ["Okafor", "Müller", "García", "Nakamura", "O'Brien", "Søren", "Nguyễn", "Smith", "Kowalski"]
CITIES = ["San Francisco", "München", "São Paulo", "Zürich", "Kraków", "Austin", "Toronto"]


def person(rng: random.Random, n: int) -> Dict[str, Any]:
    return {
        "person_id": f"p_{n:020d}",
        "fields": ["first_name", "last_name", "date_of_birth", "address", "ownership_percentage"],
        "changes": {
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "date_of_birth": f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "address": {
                "line1": f"{rng.randint(1, 9999)} Market St, Suite {rng.randint(1, 999)}",
                "line2": None,
                "city": rng.choice(CITIES),
                "postal_code": f"{rng.randint(10000, 99999)}",
                "country": "US",
            },
            "ownership_percentage": round(rng.uniform(0, 100), 2),
            "is_beneficial_owner": rng.random() < 0.5,
            "notes": "Reviewed by \"compliance\" team\nTab:\tend",
        },
    }


def business(rng: random.Random, n: int) -> Dict[str, Any]:
    return {
        "business_id": f"b_{n:020d}",
        "fields": ["legal_name", "address.line1", "address.city", "annual_revenue"],
        "changes": {
            "legal_name": f"{rng.choice(LAST)} Holdings {n} LLC",
            "address": {"line1": f"{rng.randint(1, 500)} Broadway", "city": rng.choice(CITIES), "country": "US"},
            "annual_revenue": rng.randint(10_000, 50_000_000),
            "employees": rng.randint(1, 5000),
            "verified": rng.random() < 0.8,
        },
    }


def bank_account(rng: random.Random, n: int) -> Dict[str, Any]:
    return {
        "bank_account_id": f"ba_{n:020d}",
        "fields": ["routing_number", "account_number"],
        "changes": {"routing_number": f"{rng.randint(0, 999999999):09d}", "last4": f"{rng.randint(0, 9999):04d}",
                    "balance": round(rng.uniform(-1000, 1e6), 2)},
    }


def small_person(rng: random.Random, n: int) -> Dict[str, Any]:
    return {
        "id": f"p_{n:08d}",
        "first": rng.choice(FIRST),
        "last": rng.choice(LAST),
        "age": rng.randint(18, 90),
        "owner": rng.random() < 0.5,
        "pct": rng.randint(0, 100),
        "addr": {"city": rng.choice(CITIES), "cc": "US", "zip": f"{rng.randint(10000, 99999)}"},
        "flags": {"pep": rng.random() < 0.1, "kyc": rng.random() < 0.9},
    }


def people_payload(target: int, rng: random.Random) -> bytes:
    persons: List[Dict[str, Any]] = []
    doc: Dict[str, Any] = {
        "version": "1.0",
        "subject_record_id": "sr_00000000000000000002",
        "user_context": {"user_id": "u_00000000000000000001", "user_type": "USER"},
        "entities": {"persons": persons},
    }
    size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    n = 0
    while True:
        candidate = small_person(rng, n)
        grow = len(json.dumps(candidate, ensure_ascii=False, separators=(",", ":")).encode()) + 1
        if size + grow > target:
            break
        persons.append(candidate)
        size += grow
        n += 1
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def payload(target: int, rng: random.Random) -> bytes:
    entities: Dict[str, List[Dict[str, Any]]] = {"business": [], "persons": [], "bank_accounts": [], "sales_info": []}
    doc: Dict[str, Any] = {
        "version": "1.0",
        "subject_record_id": "sr_00000000000000000001",
        "user_context": {"user_id": "u_00000000000000000001", "user_type": "USER"},
        "entities": entities,
    }
    n = 0
    makers = [("persons", person), ("business", business), ("bank_accounts", bank_account)]
    # The document's size grows by each entity's compact JSON and a comma: tracked as it grows
    # (serialising the whole document per entity would be quadratic).
    size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    tail = len(',{"sales_info_id":"si_00000000000000000001","fields":["annual_revenue"]}')
    while True:
        kind, make = makers[n % len(makers)]
        candidate = make(rng, n)
        grow = len(json.dumps(candidate, ensure_ascii=False, separators=(",", ":")).encode()) + 1
        if size + grow + tail > target:
            break
        entities[kind].append(candidate)
        size += grow
        n += 1
    entities["sales_info"].append({"sales_info_id": "si_00000000000000000001", "fields": ["annual_revenue"]})
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def seal(plaintext: bytes, rng: random.Random, name: str) -> bytes:
    meta = {
        "id": f"wh_bench{name:0>18}",
        "event_type": "SUBJECT_RECORD_DATA_UPDATED",
        "timestamp": "2025-11-21T10:00:00.000Z",
        "account_id": "sb_bench000000000001",
        "schema_version": "2025-11-21",
        "key_id": KEY_ID,
    }
    aad = "|".join(meta[k] for k in ("id", "event_type", "timestamp", "account_id", "schema_version", "key_id"))
    nonce = bytes(rng.randrange(256) for _ in range(12))
    sealed = AESGCM(SECRET).encrypt(nonce, plaintext, aad.encode())
    body = dict(meta, data=base64.b64encode(nonce + sealed).decode(), retry_count=0)
    return json.dumps(body, separators=(",", ":")).encode()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20251121)
    for name, size in SIZES.items():
        plaintext = payload(size, rng)
        (out / f"{name}.payload.json").write_bytes(plaintext)
        (out / f"{name}.body.json").write_bytes(seal(plaintext, rng, name))
    key = json.dumps({"key_id": KEY_ID, "secret": base64.b64encode(SECRET).decode()})
    (out / "key.json").write_text(key)
    people = out / "people"
    people.mkdir(exist_ok=True)
    rng = random.Random(20261205)
    for name, size in SIZES.items():
        plaintext = people_payload(size, rng)
        (people / f"{name}.payload.json").write_bytes(plaintext)
        (people / f"{name}.body.json").write_bytes(seal(plaintext, rng, name))
    (people / "key.json").write_text(key)


if __name__ == "__main__":
    main()
