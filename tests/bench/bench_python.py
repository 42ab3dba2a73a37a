"""Times the Python SDK's ``WebhookReceiver.decrypt(body).payload`` against two hand-written
receivers, side by side in one process, and checks decrypting does not leak.

    python tests/bench/bench_python.py --fixtures DIR --json OUT [--quick] [--leak-iterations N]

``DIR`` holds the fixtures of ``tests/bench/fixtures.py`` (``{1k,16k,256k,4m}.body.json``,
``.payload.json``, ``key.json``). The implementations, each returning the payload as a ``dict``
from the body as ``bytes``:

- ``sdk``: ``receiver.decrypt(body).payload`` (the Rust core through the pyo3 binding);
- ``cryptography``: ``json.loads(body)``, ``base64.b64decode(env["data"])``, a cached
  ``cryptography`` ``AESGCM(key).decrypt(nonce, ciphertext_and_tag, aad)`` with the six
  metadata fields joined by ``|`` as AAD, then ``json.loads(plaintext)``;
- ``orjson``: the same with ``orjson.loads`` for both parses.

For each size, the three first decrypt the fixture and must return equal dicts (equal to
``json.loads`` of the fixture's payload). Then they are timed INTERLEAVED: in each round each
implementation runs a batch of calls sized to about 3 ms, in an order that rotates from round
to round, and the round's per-call time is the batch time divided by the batch size. Medians
and the 10th/90th percentiles are over the rounds. The garbage collector stays on (the cost
of the objects a payload creates is part of receiving it), but each batch starts after a full
collection, untimed: otherwise which implementation meets a full collection depends on the
previous one's allocations, and at 4 MiB that alone moves a median by half.

The leak check decrypts the 1k fixture N times (default 1,000,000; ``--quick`` 100,000) and
reads the resident set (``VmRSS`` of ``/proc/self/status``) after a warm-up of a tenth of
them and at the end.

Progress goes to stderr, a table to stdout, the figures to ``OUT`` (JSON).
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple, Union

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kompliant_webhooks import Keyring, WebhookReceiver

SIZES = ["1k", "16k", "256k", "4m"]
IMPLEMENTATIONS = ["sdk", "cryptography", "orjson"]
DESCRIPTIONS = {
    "sdk": "kompliant_webhooks: WebhookReceiver(keyring).decrypt(body).payload",
    "cryptography": (
        "hand-written: json.loads(body); base64.b64decode(env['data']); cached "
        "cryptography AESGCM(key).decrypt(nonce, ciphertext+tag, aad of the six metadata "
        "fields joined by '|'); json.loads(plaintext)"
    ),
    "orjson": "hand-written as 'cryptography', with orjson.loads for both parses",
}
TARGETS = {
    "cryptography/sdk": {"1k": 2.5, "16k": 2.5, "256k": 1.5, "4m": 1.0},
    "orjson/sdk": {"1k": 1.0, "16k": 1.0, "256k": 1.0, "4m": 1.0},
}
AAD_FIELDS = ("id", "event_type", "timestamp", "account_id", "schema_version", "key_id")

# Seconds of interleaved timing per size (all three implementations together), and the
# round bounds.
BUDGET_S = {"1k": 12.0, "16k": 12.0, "256k": 15.0, "4m": 22.0}
QUICK_BUDGET_S = {"1k": 2.5, "16k": 2.5, "256k": 3.0, "4m": 4.0}
MIN_ROUNDS = {"1k": 30, "16k": 30, "256k": 30, "4m": 10}
MAX_ROUNDS = 2000
BATCH_TARGET_S = 0.003

Decrypt = Callable[[bytes], Dict[str, Any]]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def hand_written_receiver(key_id: str, secret: bytes, loads: Callable[[Union[bytes, str]], Any]) -> Decrypt:
    """The receiver a Python developer writes with ``cryptography`` and a JSON library's
    ``loads`` (the standard library's ``json.loads``, or ``orjson.loads``) for both parses."""
    ciphers = {key_id: AESGCM(secret)}

    def decrypt(body: bytes) -> Dict[str, Any]:
        env = loads(body)
        raw = base64.b64decode(env["data"])
        aad = "|".join([env[f] for f in AAD_FIELDS]).encode()
        plaintext = ciphers[env["key_id"]].decrypt(raw[:12], raw[12:], aad)
        payload: Dict[str, Any] = loads(plaintext)
        return payload

    return decrypt


def sdk_receiver(key_id: str, secret_b64: str) -> Decrypt:
    keyring = Keyring()
    keyring.add(key_id, secret_b64)
    receiver = WebhookReceiver(keyring)

    def decrypt(body: bytes) -> Dict[str, Any]:
        return receiver.decrypt(body).payload

    return decrypt


def time_batch(fn: Decrypt, body: bytes, n: int) -> float:
    """Seconds per call over a batch of ``n`` calls."""
    clock = time.perf_counter
    start = clock()
    for _ in range(n):
        fn(body)
    return (clock() - start) / n


def batch_size(fn: Decrypt, body: bytes) -> int:
    """Calls making a batch of about ``BATCH_TARGET_S`` (after a warm-up; the fastest of three
    timings, so one slow moment of a busy machine does not shrink the batches)."""
    for _ in range(3):
        fn(body)
    n = 1
    while True:
        per_call = min(time_batch(fn, body, n) for _ in range(3))
        if per_call * n >= BATCH_TARGET_S / 4 or n >= 1 << 20:
            return max(1, round(BATCH_TARGET_S / per_call))
        n *= 2


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    at = q * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def measure(
    impls: Dict[str, Decrypt], body: bytes, budget_s: float, min_rounds: int
) -> Dict[str, List[float]]:
    """Per-call seconds of each implementation, one value per round, interleaved. Each batch
    starts after a full collection (untimed), so each implementation pays for the
    collections its own allocations trigger, not for those the previous batch primed."""
    names = list(impls)
    sizes = {name: batch_size(impls[name], body) for name in names}
    log(f"  batches of {sizes} calls, at least {min_rounds} rounds, about {budget_s:.0f} s")
    samples: Dict[str, List[float]] = {name: [] for name in names}
    start = time.perf_counter()
    rounds = 0
    while rounds < MAX_ROUNDS and (rounds < min_rounds or time.perf_counter() - start < budget_s):
        order = names[rounds % len(names):] + names[: rounds % len(names)]
        for name in order:
            gc.collect()
            samples[name].append(time_batch(impls[name], body, sizes[name]))
        rounds += 1
    log(f"  {rounds} rounds in {time.perf_counter() - start:.1f} s")
    return samples


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def leak_check(fn: Decrypt, body: bytes, iterations: int) -> Dict[str, Any]:
    warmup = max(1, iterations // 10)
    log(f"leak check: {iterations:,} decrypts of the 1k fixture (RSS after {warmup:,})")
    for _ in range(warmup):
        fn(body)
    gc.collect()
    after_warmup = rss_mb()
    for _ in range(iterations - warmup):
        fn(body)
    gc.collect()
    end = rss_mb()
    return {
        "iterations": iterations,
        "rss_mb_after_warmup": round(after_warmup, 2),
        "rss_mb_end": round(end, 2),
        "growth_mb": round(end - after_warmup, 2),
    }


def load_fixtures(directory: Path) -> Tuple[str, str, Dict[str, bytes], Dict[str, Any]]:
    key = json.loads((directory / "key.json").read_text())
    bodies = {size: (directory / f"{size}.body.json").read_bytes() for size in SIZES}
    payloads = {size: json.loads((directory / f"{size}.payload.json").read_bytes()) for size in SIZES}
    return key["key_id"], key["secret"], bodies, payloads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, required=True, help="tests/bench/fixtures.py output")
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument("--quick", action="store_true", help="about 15 s instead of 1-2 min")
    parser.add_argument("--leak-iterations", type=int, default=None, help="default 1,000,000 (--quick 100,000)")
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated subset (default: all)")
    args = parser.parse_args()
    sizes = [s for s in SIZES if s in args.sizes.split(",")]

    key_id, secret_b64, bodies, payloads = load_fixtures(args.fixtures)
    secret = base64.b64decode(secret_b64)
    impls: Dict[str, Decrypt] = {
        "sdk": sdk_receiver(key_id, secret_b64),
        "cryptography": hand_written_receiver(key_id, secret, json.loads),
        "orjson": hand_written_receiver(key_id, secret, orjson.loads),
    }
    budgets = QUICK_BUDGET_S if args.quick else BUDGET_S
    leak_iterations = args.leak_iterations or (100_000 if args.quick else 1_000_000)

    for size in sizes:
        for name, fn in impls.items():
            if fn(bodies[size]) != payloads[size]:
                raise SystemExit(f"{name} decrypted the {size} fixture into a different payload")
    # Not kept alive during the timing: a heap of expected payloads would only make every
    # full collection of the garbage collector longer.
    del payloads
    gc.collect()

    median: Dict[str, Dict[str, float]] = {n: {} for n in IMPLEMENTATIONS}
    p10: Dict[str, Dict[str, float]] = {n: {} for n in IMPLEMENTATIONS}
    p90: Dict[str, Dict[str, float]] = {n: {} for n in IMPLEMENTATIONS}
    for size in sizes:
        log(f"{size}: {len(bodies[size]):,}-byte body")
        samples = measure(impls, bodies[size], budgets[size], MIN_ROUNDS[size])
        for name, values in samples.items():
            us = [v * 1e6 for v in values]
            median[name][size] = round(statistics.median(us), 3)
            p10[name][size] = round(percentile(us, 0.10), 3)
            p90[name][size] = round(percentile(us, 0.90), 3)
        log(f"  sdk {median['sdk'][size]:.1f} us, cryptography {median['cryptography'][size]:.1f} us, "
            f"orjson {median['orjson'][size]:.1f} us")
    ratios = {
        f"{other}/sdk": {s: round(median[other][s] / median["sdk"][s], 3) for s in sizes}
        for other in ("cryptography", "orjson")
    }
    leak = leak_check(impls["sdk"], bodies["1k"], leak_iterations)

    def cell(name: str, size: str) -> str:
        return f"{median[name][size]:,.1f} ({p10[name][size]:,.1f}-{p90[name][size]:,.1f})"

    header = ("size", "sdk median us (p10-p90)", "cryptography", "ratio", "orjson", "ratio")
    rows = [
        (size, cell("sdk", size), cell("cryptography", size),
         f"{ratios['cryptography/sdk'][size]:.2f}x (>= {TARGETS['cryptography/sdk'][size]})",
         cell("orjson", size), f"{ratios['orjson/sdk'][size]:.2f}x (>= {TARGETS['orjson/sdk'][size]})")
        for size in sizes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print(f"leak: {leak['iterations']:,} decrypts, RSS {leak['rss_mb_after_warmup']:.1f} MB after warm-up, "
          f"{leak['rss_mb_end']:.1f} MB at the end ({leak['growth_mb']:+.2f} MB)")

    result = {
        "language": f"Python {platform.python_version()}",
        "implementations": DESCRIPTIONS,
        "sizes": sizes,
        "median_us": median,
        "p10_us": p10,
        "p90_us": p90,
        "ratios": ratios,
        "targets": TARGETS,
        "leak": leak,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
