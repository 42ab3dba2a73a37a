"""One receiver process of the soak run (scripts/soak): a Starlette app served by uvicorn on a
listening socket it inherits (file descriptor), sharing it with the other receiver process,
so the kernel spreads Kompliant's deliveries over both, as a load balancer would.

What it runs is what the docs tell users to run: ``webhook_endpoint(receiver, guard=...)``
with a ``RedisGuard`` shared by the two processes. Around it, test scaffolding only:

- the receiver's keyring follows the keyring file (``Keyring.watch``, as the docs say): the
  driver rotates by storing the new key in the file and activating it at once, and the first
  webhook sealed with it makes each receiver load it (refusals are counted by code, so the
  driver checks that none was ``UNKNOWN_KEY``);
- 20% of the requests fail on purpose (``--fail-500`` answer 500, ``--fail-timeout`` answer
  after the simulator's delivery timeout). A failing request that reaches the handler fails
  inside it (an exception, or processing followed by a late answer), so the guard's release
  and duplicate paths are exercised; one that does not (a duplicate, a forgery) has its
  answer replaced by 500 or delayed;
- each processed webhook id is appended to ``<state>/<name>.processed``; counters (claims,
  refusals by code, failures injected) are written to ``<state>/<name>.stats.json``.
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
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional

import redis
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from kompliant_webhooks import Keyring, Webhook, WebhookError, WebhookReceiver
from kompliant_webhooks.redis import RedisGuard
from kompliant_webhooks.starlette import webhook_endpoint

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Stats:
    """Counters shared by the event loop and the threads the adapter runs the guard in."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._counts: Dict[str, int] = collections.Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def write(self) -> None:
        with self._lock:
            text = json.dumps(dict(self._counts), sort_keys=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self._path)


class CountingReceiver:
    """A ``WebhookReceiver`` over the watched keyring file that counts refusals by error code."""

    def __init__(self, keyring_file: Path, stats: Stats) -> None:
        self._receiver = WebhookReceiver(Keyring.watch(keyring_file))
        self._stats = stats

    @property
    def max_body_bytes(self) -> int:
        return self._receiver.max_body_bytes

    def decrypt(self, body: bytes) -> Webhook:
        try:
            return self._receiver.decrypt(body)
        except WebhookError as error:
            self._stats.add(f"refused.{error.code}")
            raise


class CountingGuard:
    """Delegates to the shared ``RedisGuard`` and counts what its claims answer."""

    def __init__(self, inner: RedisGuard, stats: Stats) -> None:
        self._inner = inner
        self._stats = stats

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        claim = self._inner.claim(webhook_id, token, lease)
        self._stats.add(f"claim.{claim}")
        return claim

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        held = self._inner.renew(webhook_id, token, lease)
        self._stats.add(f"renew.{held}")
        return held

    def complete(self, webhook_id: str, token: str, /) -> str:
        held = self._inner.complete(webhook_id, token)
        self._stats.add("completed" if held == "HELD" else "complete.LOST")
        return held

    def release(self, webhook_id: str, token: str, /) -> str:
        held = self._inner.release(webhook_id, token)
        self._stats.add("released" if held == "HELD" else "release.LOST")
        return held


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
    parser.add_argument("--redis", required=True, help="redis:// URL of the shared guard")
    parser.add_argument("--prefix", required=True, help="RedisGuard key prefix of this run")
    parser.add_argument("--fail-500", type=float, default=0.10)
    parser.add_argument("--fail-timeout", type=float, default=0.10)
    parser.add_argument("--late", type=float, required=True, help="seconds a timed-out answer is late")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    # The SDK's log lines (refusals, injected handler failures with tracebacks, keyring file
    # reloads) go to a file the driver keeps when the run fails.
    logging.basicConfig(filename=args.state / f"{args.name}.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stats = Stats(args.state / f"{args.name}.stats.json")
    receiver = CountingReceiver(args.keyring, stats)
    guard = CountingGuard(RedisGuard(redis.Redis.from_url(args.redis), prefix=args.prefix), stats)
    processed = open(args.state / f"{args.name}.processed", "a", buffering=1)  # noqa: SIM115
    rng = random.Random(args.seed)

    @webhook_endpoint(receiver, guard=guard)
    async def on_webhook(webhook: Webhook) -> None:
        failure = FAILURE.get()
        if failure.mode == "500":
            failure.applied = True
            raise RuntimeError("injected failure")
        webhook.event()  # the typed event parses, as a real handler would use it
        processed.write(f"{webhook.id} {webhook.event_type} {webhook.key_id}\n")
        stats.add("processed")
        if failure.mode == "timeout":
            failure.applied = True
            await asyncio.sleep(args.late)  # processed, but the answer comes too late

    app = failing(
        Starlette(routes=[Route("/webhooks", on_webhook, methods=["POST"])]),
        rng,
        args.fail_500,
        args.fail_timeout,
        args.late,
        stats,
    )

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
        processed.close()


if __name__ == "__main__":
    main()
