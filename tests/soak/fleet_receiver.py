"""One receiver process of the soak run (scripts/soak): a Starlette app served by uvicorn on a
listening socket it inherits (file descriptor), sharing it with the other receiver processes,
so the kernel spreads Kompliant's deliveries over them, as a load balancer would.

What it runs is what the docs tell users to run: ``webhook_endpoint(receiver, guard=...,
lease=...)`` with one guard shared by every receiver process of the run (``--store``):

- ``redis``: a ``RedisGuard``; ``postgres``: a ``PostgresGuard`` over a ``psycopg_pool`` pool;
  the handler's effect is a line appended (``O_APPEND``, one ``write``) to the shared
  ``--effects`` file BEFORE the handler returns success, so it survives the process being
  killed right after;
- ``postgres-tx``: the same ``PostgresGuard`` in its transactional mode
  (``transactional=True``): the effect is an INSERT into ``--effects-table`` through the
  handler's connection, committed with the processed mark or rolled back with it.

Around it, test scaffolding only:

- the receiver's keyring follows the keyring file (``Keyring.watch``, as the docs say): the
  driver rotates by storing the new key in the file and activating it at once (refusals are
  counted by code, so the driver checks that none was ``UNKNOWN_KEY``);
- 20% of the requests fail on purpose (``--fail-500`` answer 500, ``--fail-timeout`` answer
  after the simulator's delivery timeout). A failing request that reaches the handler fails
  inside it (an exception before the effect, or the effect followed by a late answer), so the
  guard's release and duplicate paths are exercised; one that does not (a duplicate, a
  forgery) has its answer replaced by 500 or delayed;
- ``--slow`` of the handler runs (5% by default) record their effect, then take
  ``--slow-seconds`` (longer than the lease) before returning: the lease must be renewed, and
  a kill in that window leaves an effect without a completion;
- a journal (``<state>/<name>.journal``, ``O_APPEND``) records ``A id`` when a claim is
  acquired, ``E id`` once the effect is written (for ``postgres-tx``: written, not yet
  committed) and ``F id`` when ``complete``/``release`` returned (``X id`` when it raised: the
  store did not answer), so the driver reads which handlers were in flight when it killed a
  receiver or the store; and ``D claim``
  for a duplicate kept from the handler, ``R code`` for a refusal (exact counts, even for a
  receiver killed before its last counters were written);
- counters (claims, refusals by code, guard errors by operation, lost claims, the SDK's
  error and warning log lines by kind, failures injected) are written to
  ``<state>/<name>.stats.json`` every 50 ms and at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextvars
import json
import logging
import os
import random
import socket
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Union

import anyio.to_thread
import redis
import uvicorn
from psycopg_pool import ConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.applications import Starlette
from starlette.routing import Route

from kompliant_webhooks import Keyring, Webhook, WebhookError, WebhookReceiver
from kompliant_webhooks.postgres import PostgresGuard
from kompliant_webhooks.redis import RedisGuard
from kompliant_webhooks.starlette import webhook_endpoint

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Threads for guard calls and transactional handlers (Starlette's thread pool).
THREADS = 60

#: The soak's guard stores (``--store``).
STORES = ("redis", "postgres", "postgres-tx")


class Stats:
    """Counters shared by the event loop and the threads the adapter runs the guard in."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._counts: Dict[str, int] = collections.Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def max(self, name: str, value: int) -> None:
        with self._lock:
            self._counts[name] = max(self._counts[name], value)

    def write(self) -> None:
        with self._lock:
            text = json.dumps(dict(self._counts), sort_keys=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self._path)


class Journal:
    """Lines appended with one ``write`` each on an ``O_APPEND`` descriptor: on disk (in the
    page cache) as soon as the call returns, whatever happens to the process next."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, line: str) -> None:
        os.write(self._fd, (line + "\n").encode())


class SdkLogCounter(logging.Handler):
    """Counts the SDK's warning and error log lines by kind (what an operator would see)."""

    KINDS = (
        ("duplicate guard could not renew", "logged.renewal_warning"),
        ("duplicate guard could not", "logged.not_recorded"),  # complete/release failed, or the commit
        ("duplicate guard: no connection", "logged.guard_error"),
        ("duplicate guard: the claim on webhook", "logged.claim_lost"),
        ("duplicate guard: webhook", "logged.claim_lost"),  # transactional: lost before the commit
        ("duplicate guard:", "logged.guard_error"),  # "<operation>() raised …", with its traceback
        ("webhook refused", "logged.refused"),
        ("webhook handler failed", "logged.handler_failed"),
    )

    def __init__(self, stats: Stats) -> None:
        super().__init__(logging.WARNING)
        self._stats = stats

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self._stats.add(next((k for prefix, k in self.KINDS if message.startswith(prefix)), "logged.other"))


class CountingReceiver:
    """A ``WebhookReceiver`` over the watched keyring file that counts refusals by error code."""

    def __init__(self, keyring_file: Path, stats: Stats, journal: Journal) -> None:
        self._receiver = WebhookReceiver(Keyring.watch(keyring_file))
        self._stats = stats
        self._journal = journal

    @property
    def max_body_bytes(self) -> int:
        return self._receiver.max_body_bytes

    def decrypt(self, body: bytes) -> Webhook:
        try:
            return self._receiver.decrypt(body)
        except WebhookError as error:
            self._stats.add(f"refused.{error.code}")
            self._journal.write(f"R {error.code}")
            raise


class Counting:
    """What the guards below count and journal around each call of the shared store."""

    def __init__(self, stats: Stats, journal: Journal) -> None:
        self.stats = stats
        self.journal = journal

    def call(self, op: str, fn: Callable[[], str]) -> str:
        try:
            return fn()
        except Exception:
            self.stats.add(f"{op}.error")
            raise

    def claim(self, webhook_id: str, fn: Callable[[], str]) -> str:
        claim = self.call("claim", fn)
        self.stats.add(f"claim.{claim}")
        self.journal.write(f"A {webhook_id}" if claim == "ACQUIRED" else f"D {claim}")
        return claim

    def renew(self, webhook_id: str, lease: float, fn: Callable[[], str]) -> str:
        began = time.monotonic()
        try:
            held = self.call("renew", fn)
        finally:
            # The core renews every claim of the process from one thread: a slow call delays
            # the others.
            took = time.monotonic() - began
            self.stats.max("renew.max_ms", int(took * 1000))
            if took > lease / 3:
                self.stats.add("renew.slower_than_interval")
        self.stats.add(f"renew.{held}")
        return held

    def finish(self, op: str, webhook_id: str, fn: Callable[[], str]) -> str:
        try:
            held = self.call(op, fn)
        except BaseException:
            self.journal.write(f"X {webhook_id}")  # finished, but the store did not answer
            raise
        self.journal.write(f"F {webhook_id}")
        self.stats.add(f"{op}.{held}")
        return held


class CountingRedisGuard(RedisGuard):
    """The shared ``RedisGuard``, counted and journaled (a subclass, so the adapter takes it
    as the guard it is)."""

    def __init__(self, client: Any, counting: Counting, *, prefix: str) -> None:
        super().__init__(client, prefix=prefix)
        self.counting = counting

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        return self.counting.claim(webhook_id, lambda: super(CountingRedisGuard, self).claim(webhook_id, token, lease))

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        return self.counting.renew(webhook_id, lease, lambda: super(CountingRedisGuard, self).renew(webhook_id, token, lease))

    def complete(self, webhook_id: str, token: str, /) -> str:
        return self.counting.finish("complete", webhook_id, lambda: super(CountingRedisGuard, self).complete(webhook_id, token))

    def release(self, webhook_id: str, token: str, /) -> str:
        return self.counting.finish("release", webhook_id, lambda: super(CountingRedisGuard, self).release(webhook_id, token))


class CountingPostgresGuard(PostgresGuard):
    """The shared ``PostgresGuard``, counted and journaled (a subclass: its transactional
    mode takes only deliveries begun over itself)."""

    def __init__(self, connect: Any, counting: Counting, *, table: str) -> None:
        super().__init__(connect, table=table)
        self.counting = counting

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        return self.counting.claim(webhook_id, lambda: super(CountingPostgresGuard, self).claim(webhook_id, token, lease))

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        return self.counting.renew(webhook_id, lease, lambda: super(CountingPostgresGuard, self).renew(webhook_id, token, lease))

    def complete(self, webhook_id: str, token: str, /) -> str:
        return self.counting.finish("complete", webhook_id, lambda: super(CountingPostgresGuard, self).complete(webhook_id, token))

    def release(self, webhook_id: str, token: str, /) -> str:
        return self.counting.finish("release", webhook_id, lambda: super(CountingPostgresGuard, self).release(webhook_id, token))


class Failure:
    """The failure drawn for one request, and whether the handler already applied it."""

    def __init__(self, mode: Optional[str]) -> None:
        self.mode = mode
        self.applied = False


FAILURE: contextvars.ContextVar[Failure] = contextvars.ContextVar("soak_failure")


def failing(app: ASGIApp, rng: random.Random, fail_500: float, fail_timeout: float, late: float, stats: Stats) -> ASGIApp:
    """ASGI middleware drawing each request's failure; applies it itself when the handler did
    not run (buffering the inner answer to replace or delay it)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        draw = rng.random()
        mode = "500" if draw < fail_500 else "timeout" if draw < fail_500 + fail_timeout else None
        failure = Failure(mode)
        FAILURE.set(failure)
        if mode is None:
            await app(scope, receive, send)
            return
        stats.add(f"injected.{mode}")
        held: List[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await app(scope, receive, hold)
        if not failure.applied and mode == "500":
            await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"injected failure"})
            return
        if not failure.applied and mode == "timeout":
            await asyncio.sleep(late)
        for message in held:
            await send(message)

    return middleware


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--fd", type=int, required=True, help="listening socket to serve")
    parser.add_argument("--keyring", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True, help="directory for the output files")
    parser.add_argument("--store", choices=STORES, required=True)
    parser.add_argument("--url", required=True, help="redis:// URL or PostgreSQL conninfo of the shared guard")
    parser.add_argument("--namespace", required=True, help="RedisGuard key prefix or PostgresGuard table of this run")
    parser.add_argument("--effects", type=Path, help="file of the handler's effects (redis, postgres)")
    parser.add_argument("--effects-table", help="table of the handler's effects (postgres-tx)")
    parser.add_argument("--lease", type=float, required=True, help="claim lease, seconds (renewed every lease/3)")
    parser.add_argument("--no-renew", action="store_true", help="renew=False (to see the driver catch doubles)")
    parser.add_argument("--slow", type=float, default=0.0, help="share of handler runs slower than the lease")
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    parser.add_argument("--fail-500", type=float, default=0.10)
    parser.add_argument("--fail-timeout", type=float, default=0.10)
    parser.add_argument("--late", type=float, required=True, help="seconds a timed-out answer is late")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    # The SDK's log lines (refusals, injected handler failures with tracebacks, guard errors,
    # lost claims, keyring file reloads) go to a file the driver keeps when the run fails,
    # and its warnings and errors are counted by kind.
    logging.basicConfig(filename=args.state / f"{args.name}.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stats = Stats(args.state / f"{args.name}.stats.json")
    logging.getLogger("kompliant_webhooks").addHandler(SdkLogCounter(stats))
    journal = Journal(args.state / f"{args.name}.journal")
    receiver = CountingReceiver(args.keyring, stats, journal)
    counting = Counting(stats, journal)
    # Store clients time out in under a third of the lease (docs/decided.md): the core renews
    # every claim of the process from one thread, so one hanging call would delay them all.
    timeout = args.lease / 4
    guard: Union[CountingRedisGuard, CountingPostgresGuard]
    if args.store == "redis":
        # Fail fast while the store is down (one reconnection attempt, no backoff): the
        # delivery is answered 500 and Kompliant retries; a renewal is tried again a third
        # of a lease later.
        client = redis.Redis.from_url(args.url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                      retry=Retry(NoBackoff(), 1))
        guard = CountingRedisGuard(client, counting, prefix=args.namespace)
    else:
        # A pool, as docs/python.md recommends under load: a new connection per call (~100 ms
        # on a loaded 2-core machine) made the one renewal thread fall behind and 1 s leases
        # lapse. Sized as the docs say, for every request thread plus the renewals: with 60
        # connections for 200 threads, renewals timed out waiting for one and leases lapsed
        # with the store up. Connections are checked when borrowed (the store's kill breaks
        # them all), and a borrow waits at most `timeout` (the pool reconnects meanwhile).
        pool: ConnectionPool[Any] = ConnectionPool(
            args.url, min_size=4, max_size=THREADS + 4, timeout=timeout, check=ConnectionPool.check_connection,
            kwargs={"connect_timeout": 2}, open=True,
        )
        guard = CountingPostgresGuard(pool, counting, table=args.namespace)
    effects_fd = os.open(args.effects, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if args.effects else -1
    rng = random.Random(args.seed)
    slow_rng = random.Random(args.seed + 1000)

    def draw_slow() -> bool:
        if slow_rng.random() < args.slow:
            stats.add("slow")
            return True
        return False

    endpoint: Callable[[Any], Awaitable[Any]]
    if args.store == "postgres-tx":
        insert = f"INSERT INTO {args.effects_table} (webhook_id, receiver) VALUES (%s, %s)"

        @webhook_endpoint(receiver, guard=guard, lease=args.lease, renew=not args.no_renew, transactional=True)
        def on_webhook_tx(webhook: Webhook, conn: Any) -> None:
            failure = FAILURE.get()
            if failure.mode == "500":
                failure.applied = True
                raise RuntimeError("injected failure")
            webhook.event()  # the typed event parses, as a real handler would use it
            conn.execute(insert, (webhook.id, args.name))  # commits with the processed mark, or not at all
            journal.write(f"E {webhook.id}")
            stats.add("processed")
            if draw_slow():
                time.sleep(args.slow_seconds)
            if failure.mode == "timeout":
                failure.applied = True
                time.sleep(args.late)  # processed, but the answer comes too late

        endpoint = on_webhook_tx
    else:
        @webhook_endpoint(receiver, guard=guard, lease=args.lease, renew=not args.no_renew)
        async def on_webhook(webhook: Webhook) -> None:
            failure = FAILURE.get()
            if failure.mode == "500":
                failure.applied = True
                raise RuntimeError("injected failure")
            webhook.event()  # the typed event parses, as a real handler would use it
            os.write(effects_fd, f"{webhook.id} {args.name}\n".encode())  # the effect, before success
            journal.write(f"E {webhook.id}")
            stats.add("processed")
            if draw_slow():
                await asyncio.sleep(args.slow_seconds)
            if failure.mode == "timeout":
                failure.applied = True
                await asyncio.sleep(args.late)  # processed, but the answer comes too late

        endpoint = on_webhook

    inner_app = failing(
        Starlette(routes=[Route("/webhooks", endpoint, methods=["POST"])]),
        rng,
        args.fail_500,
        args.fail_timeout,
        args.late,
        stats,
    )
    widened = False

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal widened
        if not widened:
            # Guard calls (and postgres-tx handlers, slow ones included) run in the thread
            # pool; the PostgreSQL pool has a connection for each thread, plus renewals.
            anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
            widened = True
        await inner_app(scope, receive, send)

    stop = threading.Event()

    def publish_stats() -> None:
        while not stop.wait(0.05):
            stats.write()

    threading.Thread(target=publish_stats, daemon=True).start()
    sock = socket.socket(fileno=args.fd)
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    (args.state / f"{args.name}.ready").write_text(str(os.getpid()))
    started = time.monotonic()
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        stats.add("uptime_ms", int((time.monotonic() - started) * 1000))
        stats.write()


if __name__ == "__main__":
    main()
