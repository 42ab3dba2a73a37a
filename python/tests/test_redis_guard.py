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

from kompliant_webhooks import GuardedReceiver, Webhook, new_claim_token
from kompliant_webhooks.flask import webhook_view
from kompliant_webhooks.redis import DONE, IN_PROGRESS_PREFIX, RedisGuard

from conftest import METADATA, Sealer, assert_a_slow_handler_runs_once, receiver_for

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
    a, b = new_claim_token(), new_claim_token()
    assert guard.claim("wh_a", a, 60) == "ACQUIRED"
    assert 59_000 < client.pttl(prefix + "wh_a") <= 60_000
    assert text(client.get(prefix + "wh_a")) == IN_PROGRESS_PREFIX + a == f"in-progress:{a}"
    assert guard.claim("wh_a", b, 60) == "IN_PROGRESS"
    assert guard.release("wh_a", a) == "HELD"
    assert client.exists(prefix + "wh_a") == 0
    assert guard.claim("wh_a", b, 60) == "ACQUIRED"
    assert guard.complete("wh_a", b) == "HELD"
    assert text(client.get(prefix + "wh_a")) == DONE == "done"
    assert 3_590_000 < client.pttl(prefix + "wh_a") <= 3_600_000
    assert guard.release("wh_a", b) == "LOST"  # a completed id is never released
    assert guard.claim("wh_a", a, 60) == "ALREADY_COMPLETED"
    assert guard.release("wh_never_claimed", a) == "LOST"  # nothing to do
    assert client.exists(prefix + "wh_never_claimed") == 0
    assert "hunter2" not in repr(guard) and prefix in repr(guard)


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def test_a_lease_lapses_renewals_extend_it_and_the_guard_lease_overrides(
    client: "redis.Redis[bytes]", prefix: str
) -> None:
    guard = RedisGuard(client, prefix=prefix)
    a, b = new_claim_token(), new_claim_token()
    assert guard.claim("wh_a", a, 0.1) == "ACQUIRED"
    time.sleep(0.3)
    assert guard.claim("wh_a", b, 60) == "ACQUIRED"  # the first claimer died: lease over
    assert guard.renew("wh_a", b, 120) == "HELD"
    assert 119_000 < client.pttl(prefix + "wh_a") <= 120_000
    fixed = RedisGuard(client, prefix=prefix, lease=30)
    assert fixed.claim("wh_b", a, 600) == "ACQUIRED"
    assert 29_000 < client.pttl(prefix + "wh_b") <= 30_000
    assert fixed.renew("wh_b", a, 600) == "HELD"
    assert 29_000 < client.pttl(prefix + "wh_b") <= 30_000
    with pytest.raises(ValueError):
        RedisGuard(client, retention=0)
    with pytest.raises(TypeError):
        RedisGuard(object())


def test_a_stale_holder_changes_nothing_in_redis(client: "redis.Redis[bytes]", prefix: str) -> None:
    """Fencing: once a lapsed claim is claimed again, the first holder's renew, release and
    complete answer LOST and leave the new holder's key as it was."""
    guard = RedisGuard(client, prefix=prefix, retention=3600)
    stale, current = new_claim_token(), new_claim_token()
    assert guard.claim("wh_a", stale, 0.05) == "ACQUIRED"
    time.sleep(0.15)
    assert guard.claim("wh_a", current, 60) == "ACQUIRED"
    for attempt in (lambda: guard.renew("wh_a", stale, 600), lambda: guard.release("wh_a", stale),
                    lambda: guard.complete("wh_a", stale)):
        assert attempt() == "LOST"
        assert text(client.get(prefix + "wh_a")) == IN_PROGRESS_PREFIX + current
        assert 59_000 < client.pttl(prefix + "wh_a") <= 60_000
    # A lapsed claim nobody took since may still be completed by its holder.
    assert guard.claim("wh_b", stale, 0.05) == "ACQUIRED"
    time.sleep(0.15)
    assert guard.complete("wh_b", stale) == "HELD"
    assert guard.claim("wh_b", current, 60) == "ALREADY_COMPLETED"
    # A key of the protocol before tokens ("in-progress") is another holder's claim.
    client.set(prefix + "wh_c", "in-progress", px=60_000)
    assert guard.claim("wh_c", current, 60) == "IN_PROGRESS"
    assert guard.release("wh_c", current) == "LOST" and client.exists(prefix + "wh_c") == 1


def test_concurrent_claims_acquire_once(client: "redis.Redis[bytes]", prefix: str) -> None:
    guard = RedisGuard(client, prefix=prefix)
    barrier = threading.Barrier(16)
    results: List[str] = []

    def claim() -> None:
        barrier.wait()
        results.append(guard.claim("wh_race", new_claim_token(), 60))

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
    RedisGuard(client, prefix=prefix).claim("wh_busy", new_claim_token(), 60)
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


# --- the issue: a 1 s lease and a 3 s handler -------------------------------------------


def test_a_handler_slower_than_its_lease_runs_once_while_its_claim_is_renewed(
    prefix: str, sealer: Sealer
) -> None:
    """A redelivery arriving at 1.5 s, while the first attempt's 3 s handler runs past its 1 s
    lease, is answered 503 IN_PROGRESS: the core's renewal thread kept the claim (through the
    Python RedisGuard) and the handler runs once."""
    assert_a_slow_handler_runs_once(RedisGuard(redis.Redis.from_url(URL or ""), prefix=prefix), sealer)


def test_a_guards_own_lease_sets_the_renewal_interval(prefix: str, sealer: Sealer) -> None:
    """RedisGuard(lease=1) under an adapter with the default 5-minute lease: renewals come
    every third of the 1 s the store keeps (they came every 100 s, and the handler ran twice)."""
    guard = RedisGuard(redis.Redis.from_url(URL or ""), prefix=prefix, lease=1)
    assert GuardedReceiver(None, guard).lease == 1.0
    assert_a_slow_handler_runs_once(guard, sealer, lease=None)


def test_without_renewal_a_stale_failure_does_not_free_the_second_claim(
    client: "redis.Redis[bytes]", prefix: str, sealer: Sealer
) -> None:
    """renew=False and a handler slower than its 1 s lease: a redelivery at 1.5 s acquires the
    lapsed claim (the webhook runs twice, which renewal prevents), but when the first attempt
    then fails, its release is LOST (claim_lost) and leaves the second's claim: a third
    delivery is IN_PROGRESS, not a third run."""
    guard = RedisGuard(client, prefix=prefix)
    guarded = GuardedReceiver(receiver_for(sealer), guard, lease=1, renew=False)
    assert not guarded.renews
    first = guarded.begin(sealer.body())
    assert first.should_process
    time.sleep(1.5)
    assert first.holds_claim and first.renew() == "LOST"  # it cannot know before asking
    second = guarded.begin(sealer.body(retry_count=1))
    assert second.should_process and second.claim == "ACQUIRED"
    failed = first.finish(False)
    assert failed.http_status == 500 and first.claim_lost and first.guard_error is None
    assert first.claim_lost_message is not None and METADATA["id"] in first.claim_lost_message
    assert text(client.get(prefix + METADATA["id"])) == IN_PROGRESS_PREFIX + second.token
    third = guarded.begin(sealer.body(retry_count=2))
    assert (third.should_process, third.finish(True).http_status) == (False, 503)
    assert second.finish(True).name == "PROCESSED" and not second.claim_lost
    assert guarded.begin(sealer.body(retry_count=3)).claim == "ALREADY_COMPLETED"
