"""RedisGuard against a real redis-server (scripts/suites/python.sh starts a private one on
loopback and sets KOMPLIANT_TEST_REDIS_URL)."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from typing import Iterator, List

import pytest
import redis
from flask import Flask

from kompliant_webhooks import GuardedReceiver, Webhook
from kompliant_webhooks.flask import webhook_view
from kompliant_webhooks.redis import RedisGuard

from conftest import METADATA, Sealer, receiver_for

URL = os.environ.get("KOMPLIANT_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not URL, reason="no redis-server: run through scripts/test python")


@pytest.fixture(params=[False, True], ids=["bytes", "decoded"])
def client(request: pytest.FixtureRequest) -> Iterator["redis.Redis[bytes]"]:
    assert URL
    c = redis.Redis.from_url(URL, decode_responses=request.param, socket_timeout=5)
    yield c
    c.close()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}:"


def test_claim_complete_release_in_redis(client: "redis.Redis[bytes]", prefix: str) -> None:
    guard = RedisGuard(client, prefix=prefix, retention=3600)
    assert guard.claim("wh_a", 60) == "ACQUIRED"
    assert 59_000 < client.pttl(prefix + "wh_a") <= 60_000
    assert guard.claim("wh_a", 60) == "IN_PROGRESS"
    guard.release("wh_a")
    assert client.exists(prefix + "wh_a") == 0
    assert guard.claim("wh_a", 60) == "ACQUIRED"
    guard.complete("wh_a")
    assert 3_590_000 < client.pttl(prefix + "wh_a") <= 3_600_000
    guard.release("wh_a")  # a completed id is never released
    assert guard.claim("wh_a", 60) == "ALREADY_COMPLETED"
    guard.release("wh_never_claimed")  # nothing to do
    assert client.exists(prefix + "wh_never_claimed") == 0
    assert "hunter2" not in repr(guard) and prefix in repr(guard)


def test_a_lease_lapses_and_the_guard_lease_overrides(client: "redis.Redis[bytes]", prefix: str) -> None:
    guard = RedisGuard(client, prefix=prefix)
    assert guard.claim("wh_a", 0.1) == "ACQUIRED"
    time.sleep(0.3)
    assert guard.claim("wh_a", 60) == "ACQUIRED"  # the first claimer died: lease over
    fixed = RedisGuard(client, prefix=prefix, lease=30)
    assert fixed.claim("wh_b", 600) == "ACQUIRED"
    assert 29_000 < client.pttl(prefix + "wh_b") <= 30_000
    with pytest.raises(ValueError):
        RedisGuard(client, retention=0)
    with pytest.raises(TypeError):
        RedisGuard(object())


def test_concurrent_claims_acquire_once(client: "redis.Redis[bytes]", prefix: str) -> None:
    guard = RedisGuard(client, prefix=prefix)
    barrier = threading.Barrier(16)
    results: List[str] = []

    def claim() -> None:
        barrier.wait()
        results.append(guard.claim("wh_race", 60))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ACQUIRED"] + ["IN_PROGRESS"] * 15


def test_two_receivers_sharing_redis_process_each_webhook_once(
    client: "redis.Redis[bytes]", prefix: str, sealer: Sealer
) -> None:
    handled: List[str] = []
    fail = [True]
    apps = []
    for name in ("a", "b"):  # two receiver processes, two clients, one Redis
        guard = RedisGuard(redis.Redis.from_url(URL or ""), prefix=prefix)
        app = Flask(name)

        @app.post("/webhooks")
        @webhook_view(receiver_for(sealer), guard=guard)
        def on_webhook(webhook: Webhook, _name: str = name) -> None:
            handled.append(f"{_name}:{webhook.id}")
            if fail and fail.pop(0):
                raise RuntimeError("handler bug")

        apps.append(app.test_client())
    a, b = apps
    assert a.post("/webhooks", data=sealer.body()).status_code == 500  # released
    assert b.post("/webhooks", data=sealer.body(retry_count=1)).status_code == 200
    assert a.post("/webhooks", data=sealer.body(retry_count=2)).status_code == 200
    assert b.post("/webhooks", data=sealer.body(retry_count=3)).status_code == 200
    assert handled == [f"a:{METADATA['id']}", f"b:{METADATA['id']}"]

    # A webhook still being processed elsewhere gets 503, without the handler.
    RedisGuard(client, prefix=prefix).claim("wh_busy", 60)
    busy = a.post("/webhooks", data=sealer.body(id="wh_busy"))
    assert busy.status_code == 503 and len(handled) == 2


def test_redis_unreachable_answers_500_and_never_runs_the_handler(sealer: Sealer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    guard = RedisGuard(redis.Redis(host="127.0.0.1", port=port, password="hunter2", socket_connect_timeout=1))
    with pytest.raises(Exception) as error:
        GuardedReceiver(None, guard).admit(receiver_for(sealer).decrypt(sealer.body()))
    assert "hunter2" not in str(error.value)
    handled: List[str] = []
    app = Flask(__name__)

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=guard)
    def on_webhook(webhook: Webhook) -> None:
        handled.append(webhook.id)

    answer = app.test_client().post("/webhooks", data=sealer.body())
    assert answer.status_code == 500 and handled == []
