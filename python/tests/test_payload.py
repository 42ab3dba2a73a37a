"""`Webhook.payload`, built by the binding from the core's JSON parser (no `json.loads`): while
it checks the payload, in one pass (bodies under 64 KiB), or from the tape it recorded without
the GIL (larger bodies). Either way it must be exactly what `json.loads` gives for every
payload the core accepts, and every payload the core refuses keeps its error code."""

from __future__ import annotations

import base64
import gc
import json
import random
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from kompliant_webhooks import (
    GuardedReceiver,
    Keyring,
    MemoryGuard,
    PayloadNotJsonError,
    WebhookReceiver,
    seal_webhook,
)

from conftest import METADATA, REPO, Sealer, assert_same_json, receiver_for

# The core's nesting limit (core/src/decided.rs MAX_PAYLOAD_DEPTH; docs/decided.md).
MAX_DEPTH = 127

# Leading whitespace (allowed around the object) that takes a payload's body over the size
# from which the payload is parsed without the GIL into a tape (bindings/python/src/
# receiver.rs TAPE_MIN_BODY_BYTES, 64 KiB): each case runs through both ways of building.
PADS = [0, 70_000]


def decrypt_text(sealer: Sealer, text: str, receiver: Optional[WebhookReceiver] = None) -> Any:
    """The payload the SDK builds for the payload text `text`, checked against json.loads."""
    webhook = (receiver or receiver_for(sealer)).decrypt(sealer.body(text.encode()))
    assert webhook.payload_text == text
    assert_same_json(webhook.payload, json.loads(text))
    return webhook.payload


@pytest.mark.parametrize(
    "text",
    [
        # Numbers: exact integers of any size, floats as Python's float() rounds them.
        '{"n": [0, -0, 1, -1, 42, 255, 256, 257, -5, -6, 999999999999999999, -999999999999999999]}',
        '{"n": [1000000000000000000, -1000000000000000000, 9223372036854775807, 9223372036854775808]}',
        '{"n": [-9223372036854775808, -9223372036854775809, 18446744073709551616]}',
        '{"n": [%d, %d, %d]}' % (2**70, -(2**70), 10**200),
        '{"f": [0.0, -0.0, 0.1, -0.1, 1.5, 1E+2, 1e2, 1E-2, 2.5e-3, -1.25e+3, 1.7976931348623157e308]}',
        '{"f": [1e400, -1e400, 1e-400, -1e-400, 4.9e-324, 2.2250738585072014e-308]}',
        '{"f": [0.30000000000000004, 123456789012345678901234567890.5, 1.00000000000000011102230246251565404236316680908203125]}',
        '{"f": [%s]}' % ("0." + "1" * 800),
        # Strings: escapes, unicode, surrogate pairs, NUL, long and short.
        r'{"s": ["", "a", "\"", "\\", "\/", "\b\f\n\r\t", "\u0000", "\u001f", "\u00e9", "\u20ac"]}',
        r'{"s": ["\ud83d\ude80", "a\ud83d\ude80b", "\uD834\uDD1E", "\uffff", "\u0800"]}',
        '{"s": ["Zürich", "São Paulo", "Nguyễn", "日本語", "🚀 rocket", "mixed ascii and é"]}',
        '{"s": ["%s", "%s", "%s"]}' % ("x" * 15, "y" * 16, "z" * 17),
        '{"s": ["%s", "%s"]}' % ("é" * 8, "€" * 6),
        '{"long": "%s"}' % ("0123456789abcdef" * 4096),
        # Keys: escapes (the same key spelt two ways is one key), long keys, empty key.
        r'{"ab": 1, "a\u0062": 2, "": 3, "\u00e9": 4, "é": 5, "k\"q": 6}',
        '{"%s": 1, "%s": 2, "%s": 3}' % ("k" * 63, "k" * 64, "k" * 65),
        # Duplicate keys: the last value wins, at the first key's position.
        '{"a": 1, "b": 2, "a": 3}',
        '{"a": {"x": 1}, "a": [1, 2], "c": null, "c": true}',
        # Empty and nested containers, literals.
        '{}',
        '{"o": {}, "a": [], "aa": [[]], "oo": [{}], "nested": [[1, [2, [3, []]]], {"k": [{}]}]}',
        '{"t": true, "f": false, "n": null, "mix": [true, false, null, 0, 0.0, "", [], {}]}',
        # Whitespace around everything.
        ' \n\t{ "a" : [ 1 , 2 ] , "b" : { } }\r\n ',
    ],
)
@pytest.mark.parametrize("pad", PADS)
def test_payload_is_exactly_what_json_loads_gives(sealer: Sealer, text: str, pad: int) -> None:
    decrypt_text(sealer, " " * pad + text)


def test_integers_beyond_64_bits_are_exact(sealer: Sealer) -> None:
    payload = decrypt_text(sealer, '{"big": %d, "neg": %d}' % (2**70, -(2**70)))
    assert payload["big"] == 2**70 and payload["neg"] == -(2**70)
    assert type(payload["big"]) is int


def test_float_edge_cases_match_python(sealer: Sealer) -> None:
    payload = decrypt_text(sealer, '{"inf": 1e400, "ninf": -1e400, "z": -0.0, "i": -0}')
    assert payload["inf"] == float("inf") and payload["ninf"] == float("-inf")
    assert str(payload["z"]) == "-0.0"
    assert payload["i"] == 0 and type(payload["i"]) is int


def test_nesting_up_to_the_core_limit(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    # The top-level object counts as one level.
    deepest_arrays = '{"a":' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    decrypt_text(sealer, deepest_arrays, receiver)
    deepest_objects = '{"k":' * (MAX_DEPTH - 1) + "{}" + "}" * (MAX_DEPTH - 1)
    decrypt_text(sealer, deepest_objects, receiver)
    mixed = '{"a":[' * ((MAX_DEPTH - 1) // 2) + "1" + "]}" * ((MAX_DEPTH - 1) // 2)
    decrypt_text(sealer, mixed, receiver)
    too_deep = '{"a":' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"
    with pytest.raises(PayloadNotJsonError) as caught:
        receiver.decrypt(sealer.body(too_deep.encode()))
    assert caught.value.code == "PAYLOAD_NOT_JSON"


def test_records_of_repeated_shapes(sealer: Sealer) -> None:
    """Objects of one shape (the same keys in the same order) are built from a template of
    that shape when they have six members or more: shapes that share a first key and differ
    later, repeated keys, 5 to 8 members, nested records; each dict is its own object."""
    rng = random.Random(5)
    members = ["id", "first", "last", "age", "owner", "pct", "addr", "flags"]
    records: List[Any] = []
    for i in range(1000):
        n = rng.choice([5, 6, 6, 7, 8, 8, 8])
        keys = members[:n] if rng.random() < 0.8 else ["id"] + rng.sample(members[1:], n - 1)
        records.append({k: (i if k == "id" else {"v": rng.randrange(9), "w": [k] * 6 + [i]} if k == "addr" else f"{k}{rng.randrange(50)}") for k in keys})
    texts = [json.dumps(r) for r in records]
    # Repeated keys: the same key sequence (with a repeat) twice, then once more differing.
    texts += ['{"a":1,"b":2,"a":3,"c":4,"d":5,"e":6}', '{"a":7,"b":8,"a":9,"c":10,"d":11,"e":12}']
    texts += ['{"a":1,"b":2,"c":3,"a":4,"d":5,"e":6}']
    text = '{"records": [%s]}' % ",".join(texts)
    assert len(text) > 64 * 1024  # built from the tape (see PADS)
    payload = decrypt_text(sealer, text)
    built = payload["records"]
    assert len({id(r) for r in built}) == len(built)
    built[0]["id"] = "changed"
    assert all(r["id"] != "changed" for r in built[1:-3])
    assert list(built[-3]) == ["a", "b", "c", "d", "e"] and built[-3]["a"] == 3
    assert list(built[-1]) == ["a", "b", "c", "d", "e"] and built[-1]["a"] == 4


def test_many_distinct_keys_and_short_values(sealer: Sealer) -> None:
    """More distinct keys and short strings than the binding caches, repeated: every one
    comes back right after the caches evicted and refilled."""
    rng = random.Random(7)
    receiver = receiver_for(sealer)
    for _ in range(3):
        doc = {f"key_{rng.randrange(10**6)}_{i}": [f"v{rng.randrange(5000)}", i] for i in range(3000)}
        decrypt_text(sealer, json.dumps(doc), receiver)


def test_big_records_payload(sealer: Sealer) -> None:
    rng = random.Random(11)

    def value(depth: int) -> Any:
        kind = rng.randrange(9 if depth < 4 else 6)
        if kind == 0:
            return rng.randrange(-(10**6), 10**6)
        if kind == 1:
            return rng.uniform(-1e6, 1e6)
        if kind == 2:
            return rng.choice(["US", "CA", "München", "", "a\nb", "x" * rng.randrange(40)])
        if kind == 3:
            return rng.choice([True, False, None])
        if kind == 4:
            return rng.randrange(-(2**80), 2**80)
        if kind == 5:
            return f"id_{rng.randrange(10**12):012d}"
        if kind in (6, 7):
            return {rng.choice(["a", "b", "name", "id", "é", f"k{rng.randrange(99)}"]): value(depth + 1) for _ in range(rng.randrange(6))}
        return [value(depth + 1) for _ in range(rng.randrange(6))]

    doc = {f"r{i}": value(0) for i in range(400)}
    decrypt_text(sealer, json.dumps(doc), receiver_for(sealer))
    decrypt_text(sealer, json.dumps(doc, ensure_ascii=False, indent=2), receiver_for(sealer))


def test_bench_fixtures_decrypt_to_their_payloads(tmp_path: Path) -> None:
    """The benchmark's fixtures (tests/bench/fixtures.py, sealed with Python `cryptography`,
    independently of the SDK) decrypt to exactly json.loads of their payloads. The 4 MiB one
    is left out: generating it takes too long for a unit test (the benchmark checks it)."""
    pytest.importorskip("cryptography")
    sys.path.insert(0, str(REPO / "tests" / "bench"))
    try:
        import fixtures  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    keyring = Keyring()
    keyring.add(fixtures.KEY_ID, base64.b64encode(fixtures.SECRET).decode())
    receiver = WebhookReceiver(keyring)
    rng = random.Random(20251121)  # the same sequence as fixtures.main, in the same order
    for name in ("1k", "16k", "256k"):
        plaintext = fixtures.payload(fixtures.SIZES[name], rng)
        body = fixtures.seal(plaintext, rng, name)
        webhook = receiver.decrypt(body)
        assert webhook.payload_bytes == plaintext
        assert_same_json(webhook.payload, json.loads(plaintext))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1,}',
        '{"a": [1, 2,]}',
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": 01}',
        '{"a": 1.}',
        '{"a": .5}',
        '{"a": "\\ud800"}',
        '{"a": "\\udc00"}',
        '{"a": "\\x"}',
        '{"a": "tab\there"}',
        '{"a": 1} trailing',
        '{"a": 1}{"b": 2}',
        '[1, 2]',
        '"text"',
        '{"a": [1, 2}',
        '{"a": {"b": 1]}',
        '{"a": tru}',
        '{"a" 1}',
        '{1: 2}',
        '',
    ],
)
@pytest.mark.parametrize("pad", PADS)
def test_refused_payloads_keep_their_code(sealer: Sealer, text: str, pad: int) -> None:
    with pytest.raises(PayloadNotJsonError) as caught:
        receiver_for(sealer).decrypt(sealer.body((" " * pad + text).encode()))
    assert caught.value.code == "PAYLOAD_NOT_JSON"
    assert caught.value.http_status == 400


def test_an_error_late_in_a_big_payload_frees_what_was_built(sealer: Sealer) -> None:
    """The payload is refused even after much of it was built (and what was built is
    dropped: nothing of it is reachable)."""
    good = json.dumps({f"k{i}": [i, str(i), {"x": i}] for i in range(5000)})
    receiver = receiver_for(sealer)
    for bad in (good[:-1] + ",}", good[:-1] + ', "z": [1, 2', good + "x"):
        with pytest.raises(PayloadNotJsonError):
            receiver.decrypt(sealer.body(bad.encode()))
    decrypt_text(sealer, good, receiver)


def test_invalid_utf8_is_not_json(sealer: Sealer) -> None:
    with pytest.raises(PayloadNotJsonError):
        receiver_for(sealer).decrypt(sealer.body(b'{"a": "\xff"}'))


@pytest.mark.parametrize("pad", PADS)
def test_integers_beyond_pythons_digit_limit_behave_as_in_json_loads(sealer: Sealer, pad: int) -> None:
    """Python refuses to convert integers of more than `sys.get_int_max_str_digits()` digits
    (4,300 by default, CPython 3.11+ and security releases before it): `json.loads` raises
    ValueError. The webhook still decrypts (the payload is valid JSON, the tag verified), and
    reading `payload` raises the same ValueError, as `json.loads` would."""
    text = " " * pad + '{"n": %s, "after": [1, 2, 3]}' % ("7" * 6000)
    try:
        expected: Any = json.loads(text)
    except ValueError as error:
        expected = error
    webhook = receiver_for(sealer).decrypt(sealer.body(text.encode()))
    assert webhook.payload_text == text
    if isinstance(expected, ValueError):
        with pytest.raises(ValueError):
            webhook.payload
        if hasattr(sys, "set_int_max_str_digits"):
            previous = sys.get_int_max_str_digits()
            sys.set_int_max_str_digits(0)
            try:
                decrypt_text(sealer, text)
            finally:
                sys.set_int_max_str_digits(previous)
    else:
        assert_same_json(webhook.payload, expected)


@pytest.mark.parametrize("pad", PADS)
def test_an_unbuildable_payload_is_still_checked_in_full(sealer: Sealer, pad: int) -> None:
    """A syntax error after a value Python cannot build is still PAYLOAD_NOT_JSON."""
    text = " " * pad + '{"n": %s, "after": [1, 2,]}' % ("7" * 6000)
    with pytest.raises(PayloadNotJsonError):
        receiver_for(sealer).decrypt(sealer.body(text.encode()))


def test_the_payload_is_built_once_and_not_shared_between_webhooks(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    body = sealer.body({"version": "1.0", "items": [1, 2], "name": "US"})
    first, second = receiver.decrypt(body), receiver.decrypt(body)
    assert first.payload is first.payload
    assert first.payload == second.payload and first.payload is not second.payload
    first.payload["items"].append(3)
    assert second.payload["items"] == [1, 2]


def test_guarded_delivery_keeps_the_decrypted_webhook(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    webhook = receiver.decrypt(sealer.body())
    delivery = GuardedReceiver(None, MemoryGuard()).admit(webhook)
    assert delivery.webhook is webhook
    begun = GuardedReceiver(receiver, MemoryGuard()).begin(sealer.body({"version": "1.0", "a": [1]}))
    assert begun.webhook.payload == {"version": "1.0", "a": [1]}
    delivery.finish(True)
    begun.finish(True)


def test_decrypting_from_many_threads(sealer: Sealer) -> None:
    receiver = receiver_for(sealer)
    docs = [{f"key{i % 7}": [i, f"v{i % 3}", {"k": "x" * (i % 40)}], "version": "1.0"} for i in range(64)]
    bodies = [sealer.body(doc) for doc in docs]
    errors: List[BaseException] = []

    def work(offset: int) -> None:
        try:
            for round_ in range(30):
                i = (offset + round_) % len(docs)
                assert receiver.decrypt(bodies[i]).payload == docs[i]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_decrypt_inside_a_garbage_collection_during_a_decrypt(sealer: Sealer) -> None:
    """A finaliser the garbage collector runs while a payload is being built may decrypt too
    (the binding's string caches are then skipped, never waited for). CPython before 3.12
    collects during the allocations of the build itself; later versions at the next
    bytecode, after `decrypt` returned."""
    receiver = receiver_for(sealer)
    inner_body = sealer.body({"inner": ["a", "b"], "version": "1.0"})
    results: List[Any] = []
    outer_running = [False]

    class Finalised:
        def __init__(self) -> None:
            self.cycle = self

        def __del__(self) -> None:
            results.append((outer_running[0], receiver.decrypt(inner_body).payload))

    outer = {f"k{i}": [{"a": i}, [i, "US"]] for i in range(3000)}
    outer_body = sealer.body(outer)
    thresholds = gc.get_threshold()
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            Finalised()
        gc.set_threshold(50)
        gc.enable()
        outer_running[0] = True
        payload = receiver.decrypt(outer_body).payload
        outer_running[0] = False
    finally:
        gc.set_threshold(*thresholds)
        gc.enable()
    gc.collect()
    assert payload == outer
    assert len(results) == 20
    assert all(r == {"inner": ["a", "b"], "version": "1.0"} for _, r in results)
    if sys.version_info < (3, 12):
        assert any(during for during, _ in results)


def test_seal_webhook_round_trip_of_unusual_values(sealer: Sealer) -> None:
    payload = {"big": 2**100, "f": 0.1, "neg": -0.0, "u": "\u0000é🚀", "nested": [[[]], {}]}
    got = receiver_for(sealer).decrypt(
        seal_webhook(payload=payload, secret=sealer.secret, **dict(METADATA, key_id=sealer.key_id))
    ).payload
    assert_same_json(got, json.loads(json.dumps(payload)))
