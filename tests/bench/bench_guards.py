"""What each duplicate guard costs a receiver (scripts/bench guards): the Python SDK's
``GuardedReceiver`` over no guard, ``MemoryGuard``, ``RedisGuard`` (a private redis-server),
``PostgresGuard`` (a private PostgreSQL, through a ``psycopg_pool`` pool) and PostgreSQL's
transactional mode, for the same sealed ~1 KiB webhooks, each id new to the guard.

Per guard it measures one webhook at a time (decrypt + claim + handler + complete: median and
90th percentile) and the throughput of ``--threads`` threads sharing the receiver. The handler
does nothing, except in the two "+ a row" rows where it writes one row to PostgreSQL: through
its own pooled connection (autocommit) beside the plain PostgreSQL guard, and in the claim's
transaction in the transactional mode, so those two rows compare the same effect.

Everything runs on loopback on one machine, so the stores' round trips are the shortest they
can be: with a store across a network, add its round trip per claim and per completion.
Figures go to stdout (a table) and ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional

from kompliant_webhooks import GuardedReceiver, Keyring, MemoryGuard, WebhookReceiver, generate_secret, seal_webhook

KEY_ID = "whk_20261205_01"
PAYLOAD = {
    "version": "1.0",
    "subject_record_id": "sr_NaOPeu4Futqb9Q76zXuodi",
    "workflow_id": "w_5Wp6DGVYSdGGQewThZ8OFY",
    "workflow_type": "BUSINESS_APPLICATION",
    "user_context": {"user_id": "usr_CxSiRY6A99n0jjnE", "user_type": "USER"},
    "note": "x" * 700,
}


class Bodies:
    """Sealed bodies with ids never used before in this run."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.next = 0
        self.run = f"{os.getpid()}_{int(time.time())}"

    def take(self, count: int) -> List[bytes]:
        bodies = []
        for _ in range(count):
            self.next += 1
            bodies.append(
                seal_webhook(
                    id=f"wh_bench_{self.run}_{self.next}",
                    event_type="WORKFLOW_CREATED",
                    timestamp="2026-12-05T08:00:00Z",
                    account_id="sb_bench",
                    schema_version="2025-11-21",
                    key_id=KEY_ID,
                    payload=PAYLOAD,
                    secret=self.secret,
                )
            )
        return bodies


Process = Callable[[bytes], int]


def plain(receiver: WebhookReceiver) -> Process:
    def process(body: bytes) -> int:
        receiver.decrypt(body)
        return 200

    return process


def guarded(receiver: WebhookReceiver, guard: Any, effect: Optional[Callable[[Any], None]] = None) -> Process:
    flow = GuardedReceiver(receiver, guard)

    def process(body: bytes) -> int:
        delivery = flow.begin(body)
        if delivery.should_process and effect is not None:
            effect(delivery.webhook)
        return delivery.finish(True).http_status

    return process


def transactional(receiver: WebhookReceiver, guard: Any) -> Process:
    flow = GuardedReceiver(receiver, guard)

    def handler(webhook: Any, conn: Any) -> None:
        conn.execute("INSERT INTO bench_effects (webhook_id) VALUES (%s)", (webhook.id,))

    def process(body: bytes) -> int:
        return int(guard.process_in_transaction(flow.begin(body), handler).http_status)

    return process


def measure(name: str, process: Process, bodies: Bodies, count: int, threads: int) -> Dict[str, Any]:
    # Warm-up: connections opened, scripts loaded, code paths hot.
    for body in bodies.take(max(20, count // 20)):
        process(body)
    latencies = []
    for body in bodies.take(count):
        start = time.perf_counter()
        status = process(body)
        latencies.append(time.perf_counter() - start)
        if status != 200:
            raise SystemExit(f"bench guards: {name} answered {status} for a new webhook")
    latencies.sort()
    batch = bodies.take(count * 2)
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(process, batch))
    wall = time.perf_counter() - start
    if any(s != 200 for s in statuses):
        raise SystemExit(f"bench guards: {name} answered {set(statuses)} under {threads} threads")
    row = {
        "guard": name,
        "median_us": statistics.median(latencies) * 1e6,
        "p90_us": latencies[int(len(latencies) * 0.9)] * 1e6,
        "threads": threads,
        "per_second": len(batch) / wall,
    }
    print(
        f"  {name:<36} {row['median_us']:>10.1f} µs {row['p90_us']:>10.1f} µs {row['per_second']:>12,.0f}/s",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhooks", type=int, default=2000, help="per guard, one at a time (twice that threaded)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()

    redis_url = os.environ.get("KOMPLIANT_TEST_REDIS_URL")
    postgres_url = os.environ.get("KOMPLIANT_TEST_POSTGRES_URL")
    if not redis_url or not postgres_url:
        print("bench guards: needs KOMPLIANT_TEST_REDIS_URL and KOMPLIANT_TEST_POSTGRES_URL (scripts/bench guards starts both)", file=sys.stderr)
        return 2

    import psycopg_pool
    import redis

    from kompliant_webhooks.postgres import PostgresGuard
    from kompliant_webhooks.redis import RedisGuard

    secret = generate_secret()
    keyring = Keyring()
    keyring.add(KEY_ID, secret)
    receiver = WebhookReceiver(keyring)
    bodies = Bodies(secret)

    pool = psycopg_pool.ConnectionPool(postgres_url, min_size=args.threads + 2, max_size=args.threads + 2, open=True)
    effects = psycopg_pool.ConnectionPool(
        postgres_url, min_size=args.threads, max_size=args.threads, open=True, kwargs={"autocommit": True}
    )
    postgres = PostgresGuard(pool)
    postgres.create_table()
    with pool.connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_effects (webhook_id text NOT NULL)")

    def effect_row(webhook: Any) -> None:
        with effects.connection() as conn:
            conn.execute("INSERT INTO bench_effects (webhook_id) VALUES (%s)", (webhook.id,))

    client = redis.Redis.from_url(redis_url)
    print(
        f"bench guards: {args.webhooks} new ~1 KiB webhooks one at a time, {2 * args.webhooks} on {args.threads} threads "
        f"(loopback stores; Python {sys.version.split()[0]})",
        flush=True,
    )
    print(f"  {'guard':<36} {'median':>13} {'p90':>13} {'throughput':>14}", flush=True)
    rows = [
        measure("none (decrypt only)", plain(receiver), bodies, args.webhooks, args.threads),
        measure("MemoryGuard", guarded(receiver, MemoryGuard()), bodies, args.webhooks, args.threads),
        measure("RedisGuard", guarded(receiver, RedisGuard(client)), bodies, args.webhooks, args.threads),
        measure("PostgresGuard", guarded(receiver, postgres), bodies, args.webhooks, args.threads),
        measure("PostgresGuard + a row (autocommit)", guarded(receiver, postgres, effect_row), bodies, args.webhooks, args.threads),
        measure("PostgresGuard transactional + a row", transactional(receiver, postgres), bodies, args.webhooks, args.threads),
    ]
    pool.close()
    effects.close()
    if args.out:
        with open(args.out, "w") as out:
            json.dump({"python": sys.version.split()[0], "rows": rows}, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
