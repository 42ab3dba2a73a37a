"""PostgresGuard against a real PostgreSQL server (scripts/suites/python.sh starts a private
one from Debian's package on a loopback port and sets KOMPLIANT_TEST_POSTGRES_URL; the suite
fails without it), including the transactional mode's guarantee: the handler's writes and the
processed mark commit together or not at all."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any, Iterator, List

import psycopg
import pytest
from flask import Flask
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from kompliant_webhooks import GuardedReceiver, InvalidConfigurationError, MemoryGuard, Webhook, new_claim_token
from kompliant_webhooks.flask import webhook_view
from kompliant_webhooks.postgres import DEFAULT_TABLE, PostgresGuard, create_table_sql

from conftest import METADATA, Sealer, assert_a_slow_handler_runs_once, receiver_for

URL = os.environ.get("KOMPLIANT_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="no PostgreSQL server: run through scripts/test python")


@pytest.fixture
def db() -> Iterator["psycopg.Connection[Any]"]:
    assert URL
    with psycopg.connect(URL, autocommit=True) as conn:
        yield conn


@pytest.fixture
def table() -> str:
    return f"claims_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def guard(table: str) -> PostgresGuard:
    assert URL
    g = PostgresGuard(URL, table=table, retention=3600)
    g.create_table()
    return g


def row(db: "psycopg.Connection[Any]", table: str, webhook_id: str) -> Any:
    return db.execute(
        f"SELECT state, token, extract(epoch FROM expires_at - clock_timestamp()) FROM {table} WHERE webhook_id = %s",
        (webhook_id,),
    ).fetchone()


def test_claim_complete_release(guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str) -> None:
    a, b = new_claim_token(), new_claim_token()
    assert guard.claim("wh_a", a, 60) == "ACQUIRED"
    state, token, left = row(db, table, "wh_a")
    assert (state, token) == ("in-progress", a) and 58 < left <= 60
    assert guard.claim("wh_a", b, 60) == "IN_PROGRESS"
    assert guard.release("wh_a", a) == "HELD"
    assert row(db, table, "wh_a") is None
    assert guard.claim("wh_a", b, 60) == "ACQUIRED"
    assert guard.renew("wh_a", b, 120) == "HELD" and row(db, table, "wh_a")[2] > 118
    assert guard.complete("wh_a", b) == "HELD"
    state, token, left = row(db, table, "wh_a")
    assert (state, token) == ("done", None) and 3590 < left <= 3600
    assert guard.release("wh_a", b) == "LOST"  # a completed id is never released
    assert guard.claim("wh_a", a, 60) == "ALREADY_COMPLETED"
    assert guard.release("wh_never_claimed", a) == "LOST"
    assert "postgres@" not in repr(guard) and table in repr(guard)


def test_a_stale_holder_changes_nothing_and_a_lapsed_lease_is_taken_over(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str
) -> None:
    stale, fresh = new_claim_token(), new_claim_token()
    assert guard.claim("wh_s", stale, 0.3) == "ACQUIRED"
    assert guard.claim("wh_s", fresh, 60) == "IN_PROGRESS"
    time.sleep(0.5)
    assert guard.renew("wh_s", stale, 60) == "LOST"  # lapsed: not renewed back to life
    assert guard.claim("wh_s", fresh, 60) == "ACQUIRED"  # taken over
    before = row(db, table, "wh_s")
    for method in (guard.renew, guard.complete, guard.release):
        args = ("wh_s", stale, 60) if method == guard.renew else ("wh_s", stale)
        assert method(*args) == "LOST"
        assert row(db, table, "wh_s")[:2] == before[:2] == ("in-progress", fresh)
    assert guard.complete("wh_s", fresh) == "HELD"
    # A lease that lapsed unclaimed may still be completed by its holder (nobody else ran it).
    assert guard.claim("wh_l", stale, 0.2) == "ACQUIRED"
    time.sleep(0.4)
    assert guard.complete("wh_l", stale) == "HELD" and row(db, table, "wh_l")[0] == "done"


def test_concurrent_claims_acquire_once(guard: PostgresGuard) -> None:
    barrier = threading.Barrier(16)
    answers: List[str] = []

    def claim() -> None:
        barrier.wait()
        answers.append(guard.claim("wh_race", new_claim_token(), 60))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == ["ACQUIRED"] + ["IN_PROGRESS"] * 15


def test_retention_cleanup_deletes_only_what_ended(table: str, db: "psycopg.Connection[Any]") -> None:
    assert URL
    guard = PostgresGuard(URL, table=table, retention=0.2)
    guard.create_table()
    for i in range(5):
        token = new_claim_token()
        assert guard.claim(f"wh_{i}", token, 60) == "ACQUIRED"
        assert guard.complete(f"wh_{i}", token) == "HELD"
    assert guard.claim("wh_lapsed", new_claim_token(), 0.2) == "ACQUIRED"
    assert guard.claim("wh_live", new_claim_token(), 60) == "ACQUIRED"
    time.sleep(0.4)
    remaining_before = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert remaining_before is not None
    deleted = guard.cleanup(batch=2)  # statements deleting 2, 2, 2, then 0
    assert deleted + 1 == remaining_before[0] and deleted == 6
    assert [r[0] for r in db.execute(f"SELECT webhook_id FROM {table}")] == ["wh_live"]
    assert guard.cleanup() == 0
    with pytest.raises(ValueError):
        guard.cleanup(batch=0)


def test_create_table_is_idempotent_and_is_the_documented_ddl(guard: PostgresGuard, table: str) -> None:
    guard.create_table()
    guard.create_table()
    ddl = create_table_sql(table)
    assert ddl.startswith(f"CREATE TABLE IF NOT EXISTS {table} (") and f"{table}_expires_at" in ddl
    assert create_table_sql() == create_table_sql(DEFAULT_TABLE)


def test_a_schema_qualified_table_works(db: "psycopg.Connection[Any]") -> None:
    assert URL
    schema = f"s_{uuid.uuid4().hex[:8]}"
    db.execute(f"CREATE SCHEMA {schema}")
    guard = PostgresGuard(URL, table=f"{schema}.claims")
    guard.create_table()
    token = new_claim_token()
    assert guard.claim("wh_1", token, 60) == "ACQUIRED" and guard.complete("wh_1", token) == "HELD"


@pytest.mark.parametrize("bad", ["", "Claims", "1t", "a.b.c", "t; DROP TABLE x", 't"', "t" * 64, "s."])
def test_bad_table_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidConfigurationError) as raised:
        PostgresGuard("postgresql://unused", table=bad)
    assert raised.value.code == "INVALID_CONFIGURATION"
    with pytest.raises(ValueError):
        create_table_sql(bad)


def test_a_pool_and_a_factory_with_dict_rows_work(table: str) -> None:
    assert URL
    url = URL
    with ConnectionPool(url, min_size=1, max_size=4, open=True) as pool:
        pooled = PostgresGuard(pool, table=table)
        pooled.create_table()
        token = new_claim_token()
        assert pooled.claim("wh_p", token, 60) == "ACQUIRED" and pooled.complete("wh_p", token) == "HELD"
        assert pooled.cleanup() == 0
    factory = PostgresGuard(lambda: psycopg.connect(url, row_factory=dict_row), table=table)
    assert factory.claim("wh_p", new_claim_token(), 60) == "ALREADY_COMPLETED"
    with pytest.raises(TypeError):
        PostgresGuard(42)


def test_an_unreachable_server_answers_500_and_never_runs_the_handler(sealer: Sealer) -> None:
    guard = PostgresGuard("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2")
    app = Flask(__name__)
    ran: List[str] = []

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=guard)
    def on_webhook(webhook: Webhook) -> None:
        ran.append(webhook.id)

    assert app.test_client().post("/webhooks", data=sealer.body()).status_code == 500 and ran == []


# --- the issue: a 1 s lease and a 3 s handler -------------------------------------------


def test_a_handler_slower_than_its_lease_runs_once_while_its_claim_is_renewed(
    guard: PostgresGuard, sealer: Sealer
) -> None:
    """A redelivery at 1.5 s, while the first attempt's 3 s handler runs past its 1 s lease,
    is answered 503: the core's renewal thread kept the claim through PostgresGuard."""
    assert_a_slow_handler_runs_once(guard, sealer)


def test_a_guards_own_lease_sets_the_renewal_interval(table: str, sealer: Sealer) -> None:
    """PostgresGuard(lease=1) under an adapter with the default 5-minute lease: renewals come
    every third of the 1 s the store keeps (they came every 100 s, and the handler ran twice)."""
    assert URL
    guard = PostgresGuard(URL, table=table, lease=1)
    guard.create_table()
    assert GuardedReceiver(None, guard).lease == 1.0
    assert_a_slow_handler_runs_once(guard, sealer, lease=None)


# --- transactional mode -------------------------------------------------------------------


@pytest.fixture
def effects(db: "psycopg.Connection[Any]") -> str:
    name = f"effects_{uuid.uuid4().hex[:12]}"
    db.execute(f"CREATE TABLE {name} (webhook_id text NOT NULL, attempt int NOT NULL)")
    return name


def effect_rows(db: "psycopg.Connection[Any]", effects: str) -> List[Any]:
    return list(db.execute(f"SELECT webhook_id, attempt FROM {effects} ORDER BY attempt"))


def insert(conn: "psycopg.Connection[Any]", effects: str, webhook: Webhook) -> None:
    conn.execute(f"INSERT INTO {effects} VALUES (%s, %s)", (webhook.id, webhook.retry_count))


def test_transactional_success_commits_the_handler_writes_with_the_mark(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer
) -> None:
    guarded = GuardedReceiver(receiver_for(sealer), guard)
    delivery = guarded.begin(sealer.body())
    seen: List[Any] = []

    def handler(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        insert(conn, effects, webhook)
        seen.append(row(db, table, webhook.id)[0])  # the claim is committed, the write not yet
        seen.append(effect_rows(db, effects))

    outcome = guard.process_in_transaction(delivery, handler)
    assert (outcome.name, outcome.http_status) == ("PROCESSED", 200) and not delivery.claim_lost
    assert seen == ["in-progress", []]
    assert row(db, table, METADATA["id"])[0] == "done"
    assert effect_rows(db, effects) == [(METADATA["id"], 0)]
    duplicate = guarded.begin(sealer.body(retry_count=1))
    assert guard.process_in_transaction(duplicate, handler).name == "ALREADY_PROCESSED"
    assert effect_rows(db, effects) == [(METADATA["id"], 0)]


def test_transactional_failure_commits_nothing_and_the_retry_runs(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer
) -> None:
    guarded = GuardedReceiver(receiver_for(sealer), guard)

    def failing(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        insert(conn, effects, webhook)
        raise RuntimeError("the handler failed after its write")

    outcome = guard.process_in_transaction(guarded.begin(sealer.body()), failing)
    assert outcome.http_status == 500
    assert effect_rows(db, effects) == [] and row(db, table, METADATA["id"]) is None  # released
    retry = guard.process_in_transaction(
        guarded.begin(sealer.body(retry_count=1)), lambda w, c: insert(c, effects, w)
    )
    assert retry.http_status == 200 and effect_rows(db, effects) == [(METADATA["id"], 1)]


def test_transactional_a_claim_lost_before_commit_rolls_the_writes_back_and_answers_503(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer
) -> None:
    """Renewal off, lease 1 s: the handler is still running at 1.5 s when a redelivery claims
    the lapsed id; the first attempt's complete answers LOST in its transaction, which rolls
    back (its row never appears) and is answered 503; the second's commits once."""
    guarded = GuardedReceiver(receiver_for(sealer), guard, lease=1, renew=False)
    second: List[Any] = []

    def slow(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        insert(conn, effects, webhook)
        time.sleep(1.5)
        second.append(guarded.begin(sealer.body(retry_count=1)))
        assert second[0].claim == "ACQUIRED"

    outcome = guard.process_in_transaction(guarded.begin(sealer.body()), slow)
    assert (outcome.name, outcome.http_status) == ("IN_PROGRESS", 503)
    assert effect_rows(db, effects) == []
    assert row(db, table, METADATA["id"])[:2] == ("in-progress", second[0].token)
    done = guard.process_in_transaction(second[0], lambda w, c: insert(c, effects, w))
    assert done.http_status == 200 and effect_rows(db, effects) == [(METADATA["id"], 1)]


def test_transactional_a_handler_slower_than_its_lease_keeps_its_claim(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", effects: str, sealer: Sealer
) -> None:
    """Renewal on (separate connections) while the handler's transaction is open: a
    redelivery at 1.5 s of a 3 s handler with a 1 s lease gets 503; one row, committed."""
    guarded = GuardedReceiver(receiver_for(sealer), guard, lease=1)
    started = threading.Event()
    answers: List[int] = []

    def slow(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        insert(conn, effects, webhook)
        started.set()
        time.sleep(3)

    first = threading.Thread(
        target=lambda: answers.append(guard.process_in_transaction(guarded.begin(sealer.body()), slow).http_status)
    )
    first.start()
    assert started.wait(5)
    time.sleep(1.5)
    redelivery = guarded.begin(sealer.body(retry_count=1))
    assert guard.process_in_transaction(redelivery, slow).http_status == 503
    first.join(10)
    assert answers == [200] and effect_rows(db, effects) == [(METADATA["id"], 0)]


@pytest.mark.parametrize("notices", [True, False], ids=["handler-notices", "complete-fails"])
def test_transactional_a_killed_connection_commits_nothing_and_a_redelivery_runs_once(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer, notices: bool
) -> None:
    """The handler's connection is terminated mid-handler (pg_terminate_backend from another
    connection): nothing is committed and the answer is 500. If the handler noticed (its next
    statement raised), the claim is released and the redelivery runs at once; if only the
    complete statement failed, the claim lapses with its lease (1 s) and the redelivery after
    it runs."""
    guarded = GuardedReceiver(receiver_for(sealer), guard, lease=1)

    def killed(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        insert(conn, effects, webhook)
        db.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        if notices:
            insert(conn, effects, webhook)

    outcome = guard.process_in_transaction(guarded.begin(sealer.body()), killed)
    assert outcome.http_status == 500 and effect_rows(db, effects) == []
    if not notices:
        assert row(db, table, METADATA["id"])[0] == "in-progress"
        time.sleep(1.2)
    runs: List[int] = []

    def once(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        runs.append(webhook.retry_count)
        insert(conn, effects, webhook)

    again = guard.process_in_transaction(guarded.begin(sealer.body(retry_count=1)), once)
    assert again.http_status == 200 and runs == [1]
    assert effect_rows(db, effects) == [(METADATA["id"], 1)]
    later = guard.process_in_transaction(guarded.begin(sealer.body(retry_count=2)), once)
    assert later.name == "ALREADY_PROCESSED" and runs == [1]


def test_the_flask_adapter_runs_a_transactional_handler(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer
) -> None:
    """webhook_view(..., transactional=True): the handler gets the transaction's connection;
    its response is the answer when it committed; a 400+ response or a raise rolls its writes
    back and releases the claim (the retry runs); a duplicate skips it."""
    app = Flask(__name__)
    answers = iter([("refused", 422), None, None])

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=guard, transactional=True)
    def on_webhook(webhook: Webhook, conn: "psycopg.Connection[Any]") -> Any:
        insert(conn, effects, webhook)
        return next(answers)

    client = app.test_client()
    refused = client.post("/webhooks", data=sealer.body())
    assert (refused.status_code, refused.get_data(as_text=True)) == (422, "refused")
    assert effect_rows(db, effects) == [] and row(db, table, METADATA["id"]) is None
    assert client.post("/webhooks", data=sealer.body(retry_count=1)).status_code == 200
    assert effect_rows(db, effects) == [(METADATA["id"], 1)] and row(db, table, METADATA["id"])[0] == "done"
    duplicate = client.post("/webhooks", data=sealer.body(retry_count=2))
    assert duplicate.status_code == 200 and effect_rows(db, effects) == [(METADATA["id"], 1)]
    with pytest.raises(TypeError):
        webhook_view(receiver_for(sealer), guard=None, transactional=True)


def _django_poster(view: Any) -> Any:
    import django
    from django.conf import settings
    from django.test import RequestFactory

    if not settings.configured:  # alone; with test_adapter_django.py, its settings apply
        settings.configure(DEBUG=False, SECRET_KEY="test-only", ALLOWED_HOSTS=["testserver"])
        django.setup()

    def post(body: bytes) -> Any:
        answer = view(RequestFactory().post("/webhooks", data=body, content_type="application/json"))
        return answer.status_code, answer.content.decode()

    return post


def _starlette_poster(endpoint: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    client = TestClient(Starlette(routes=[Route("/webhooks", endpoint, methods=["POST"])]))

    def post(body: bytes) -> Any:
        answer = client.post("/webhooks", content=body)
        return answer.status_code, answer.text

    return post


@pytest.mark.parametrize("framework", ["django", "starlette"])
def test_django_and_starlette_run_a_transactional_handler(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer, framework: str
) -> None:
    """transactional=True in Django and Starlette, as in Flask: the handler gets the
    transaction's connection; a 400+ response or a raise rolls its writes back and releases
    the claim (the retry runs); a success commits the writes with the mark; a duplicate skips
    the handler."""
    answers: List[Any] = ["raise", 422, None]

    if framework == "django":
        from django.http import HttpResponse
        from kompliant_webhooks.django import webhook_view as django_view

        def respond(status: int) -> Any:
            return HttpResponse("refused", status=status)

        def on_webhook(webhook: Webhook, conn: "psycopg.Connection[Any]") -> Any:
            insert(conn, effects, webhook)
            answer = answers.pop(0)
            if answer == "raise":
                raise RuntimeError("handler bug")
            return None if answer is None else respond(answer)

        post = _django_poster(django_view(receiver_for(sealer), guard=guard, transactional=True)(on_webhook))
    else:
        from starlette.responses import PlainTextResponse
        from kompliant_webhooks.starlette import webhook_endpoint

        def on_webhook(webhook: Webhook, conn: "psycopg.Connection[Any]") -> Any:
            insert(conn, effects, webhook)
            answer = answers.pop(0)
            if answer == "raise":
                raise RuntimeError("handler bug")
            return None if answer is None else PlainTextResponse("refused", status_code=answer)

        post = _starlette_poster(webhook_endpoint(receiver_for(sealer), guard=guard, transactional=True)(on_webhook))

        async def on_webhook_async(webhook: Webhook, conn: Any) -> None: ...

        with pytest.raises(TypeError, match="sync handler"):
            webhook_endpoint(receiver_for(sealer), guard=guard, transactional=True)(on_webhook_async)

    assert post(sealer.body())[0] == 500
    assert effect_rows(db, effects) == [] and row(db, table, METADATA["id"]) is None
    assert post(sealer.body(retry_count=1)) == (422, "refused")
    assert effect_rows(db, effects) == [] and row(db, table, METADATA["id"]) is None
    assert post(sealer.body(retry_count=2))[0] == 200
    assert effect_rows(db, effects) == [(METADATA["id"], 2)] and row(db, table, METADATA["id"])[0] == "done"
    assert post(sealer.body(retry_count=3))[0] == 200  # a duplicate: the handler does not run
    assert effect_rows(db, effects) == [(METADATA["id"], 2)] and answers == []


def test_every_adapter_refuses_transactional_without_a_postgres_guard(sealer: Sealer) -> None:
    from kompliant_webhooks.django import webhook_view as django_view
    from kompliant_webhooks.starlette import webhook_endpoint

    for decorator in (webhook_view, django_view, webhook_endpoint):
        with pytest.raises(TypeError, match="PostgresGuard"):
            decorator(receiver_for(sealer), guard=MemoryGuard(), transactional=True)


# --- review fixes: pools, foreign deliveries, conninfo, failed completes ------------------


def test_a_failing_transactional_handler_releases_on_its_own_connection(
    table: str, db: "psycopg.Connection[Any]", effects: str, sealer: Sealer
) -> None:
    """A pool of one connection, held by the failing handler's transaction: its release runs
    on that connection (it waited for a second one until the pool's timeout, and the claim
    stayed held), so the 500 comes at once and the retry runs."""
    assert URL
    with ConnectionPool(URL, min_size=1, max_size=1, timeout=3, open=True) as pool:
        guard = PostgresGuard(pool, table=table)
        guard.create_table()
        guarded = GuardedReceiver(receiver_for(sealer), guard, renew=False)

        def failing(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
            insert(conn, effects, webhook)
            raise RuntimeError("handler bug")

        start = time.monotonic()
        assert guard.process_in_transaction(guarded.begin(sealer.body()), failing).http_status == 500
        assert time.monotonic() - start < 2
        assert row(db, table, METADATA["id"]) is None
        retry = guard.process_in_transaction(guarded.begin(sealer.body(retry_count=1)), lambda w, c: insert(c, effects, w))
        assert retry.http_status == 200 and effect_rows(db, effects) == [(METADATA["id"], 1)]


def test_a_transaction_that_cannot_complete_releases_the_claim(
    guard: PostgresGuard, db: "psycopg.Connection[Any]", table: str, effects: str, sealer: Sealer
) -> None:
    """A handler that swallowed an SQL error leaves its transaction aborted: complete fails,
    nothing is committed (500), and the claim is released so the retry runs at once instead
    of answering 503 until the lease ends."""
    guarded = GuardedReceiver(receiver_for(sealer), guard)

    def swallows(webhook: Webhook, conn: "psycopg.Connection[Any]") -> None:
        insert(conn, effects, webhook)
        try:
            conn.execute("SELECT 1/0")
        except psycopg.Error:
            pass

    delivery = guarded.begin(sealer.body())
    assert guard.process_in_transaction(delivery, swallows).http_status == 500
    assert delivery.guard_error is not None and effect_rows(db, effects) == []
    assert row(db, table, METADATA["id"]) is None
    retry = guard.process_in_transaction(guarded.begin(sealer.body(retry_count=1)), lambda w, c: insert(c, effects, w))
    assert retry.http_status == 200 and effect_rows(db, effects) == [(METADATA["id"], 1)]


def test_a_delivery_begun_over_another_guard_is_refused(guard: PostgresGuard, table: str, sealer: Sealer) -> None:
    """Its complete would commit the mark through the other guard while the handler's writes
    roll back: the webhook would be marked processed without its effect."""
    assert URL
    other = PostgresGuard(URL, table=table)
    delivery = GuardedReceiver(receiver_for(sealer), other).begin(sealer.body())
    assert delivery.guard is other
    with pytest.raises(ValueError, match="another guard"):
        guard.process_in_transaction(delivery, lambda w, c: None)


def test_a_pools_autocommit_connection_goes_back_as_it_came(table: str, sealer: Sealer) -> None:
    assert URL
    with ConnectionPool(URL, min_size=1, max_size=1, open=True, kwargs={"autocommit": True}) as pool:
        guard = PostgresGuard(pool, table=table)
        guard.create_table()
        delivery = GuardedReceiver(receiver_for(sealer), guard).begin(sealer.body())
        assert guard.process_in_transaction(delivery, lambda w, c: None).http_status == 200
        with pool.connection() as conn:
            assert conn.autocommit


def test_a_bad_conninfo_is_refused_without_showing_it(caplog: pytest.LogCaptureFixture) -> None:
    """libpq's parse error quotes the conninfo (a password included): refused at once with
    a ValueError that does not."""
    with pytest.raises(ValueError) as error:
        PostgresGuard("postgresql://app:Sup3r%Secret@db.internal/app")
    assert "Sup3r" not in str(error.value) and error.value.__cause__ is None
    assert not any("Sup3r" in r.getMessage() for r in caplog.records)
