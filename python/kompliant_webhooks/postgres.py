"""A duplicate guard in PostgreSQL (psycopg 3), for receivers running as several processes or
on several machines that share a database, with a **transactional mode** in which the
handler's own writes and the webhook's "processed" mark commit together or not at all.

.. code-block:: python

    from kompliant_webhooks import GuardedReceiver
    from kompliant_webhooks.postgres import PostgresGuard

    guard = PostgresGuard("postgresql://app@db/app")   # or a factory, or a psycopg_pool pool
    guard.create_table()                                # once, or run the documented DDL

You supply the connection (a conninfo string, a function returning a new
``psycopg.Connection``, or a ``psycopg_pool.ConnectionPool``); the package does not depend on
psycopg. Every guard call uses a connection of its own for one statement and commits it:
calls come from request threads and from the core's renewal thread at once, and one shared
connection would serialize them (and a renewal could land in a handler's transaction).

The table and the statements are the core's (``kompliant_webhooks::postgres`` in Rust; the
Node guard runs the same): one row per webhook id, ``in-progress`` with the holder's token and
a lease, or ``done`` until the retention ends; each operation is one atomic statement on
the server's clock answering the core's ``Claim``/``Held`` strings. ``cleanup()`` deletes
rows whose lease or retention ended: run it now and then (hourly, say).

Transactional mode (:meth:`PostgresGuard.process_in_transaction`): claim (its own
connection, committed) → open a transaction → ``handler(webhook, conn)`` writes through
``conn`` → the ``complete`` statement runs in that same transaction → COMMIT only if it
answered ``HELD`` (this delivery still held the claim), else ROLLBACK and answer 503
(``IN_PROGRESS``: another delivery holds it; Kompliant retries). Once ``complete`` has run,
the transaction holds the claim row's lock until it ends, so no delivery can claim the id in
between.
A handler that raises has its transaction rolled back and the claim released (500). The
lease is renewed meanwhile on separate connections.
"""

from __future__ import annotations

import importlib
import logging
import threading
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Union

from ._native import (
    CLAIMS,
    DEFAULT_RETENTION,
    HELDS,
    POSTGRES_DEFAULT_TABLE,
    GuardedDelivery,
    ReceiveOutcome,
    Webhook,
    finish_in_transaction,
    handler_succeeded,
    postgres_statements,
)
from ._adapter import log_renewal_error
from ._store import Seconds as _Seconds, millis as _millis

__all__ = ["PostgresGuard", "DEFAULT_TABLE", "create_table_sql"]

logger = logging.getLogger("kompliant_webhooks")

#: The default table name.
DEFAULT_TABLE: str = POSTGRES_DEFAULT_TABLE

#: What ``PostgresGuard`` connects with: a conninfo string, a function returning a new
#: ``psycopg.Connection``, or a ``psycopg_pool.ConnectionPool``.
Connect = Union[str, Callable[[], Any], Any]


def create_table_sql(table: str = DEFAULT_TABLE) -> str:
    """The DDL :meth:`PostgresGuard.create_table` runs (two statements, one transaction), for
    your migrations. Raises ``InvalidConfigurationError`` (a ``ValueError``, code
    ``INVALID_CONFIGURATION``) for a table name
    that is not ``name`` or ``schema.name`` in lower-case letters, digits and ``_``."""
    return postgres_statements(table)["create_table"]


def _column(row: Any, column: str) -> Any:
    """The one column of a statement's one row, whatever the connection's row factory."""
    if row is None:
        raise RuntimeError(f"the guard's statement answered no row (expected column {column!r})")
    if isinstance(row, dict):
        return row[column]
    if hasattr(row, column) and not isinstance(row, (tuple, list)):
        return getattr(row, column)
    return row[0]


def _answer(row: Any, statement: str, allowed: Tuple[str, ...]) -> str:
    value = _column(row, "answer")
    if isinstance(value, str) and value in allowed:
        return value
    raise RuntimeError(f"the {statement} statement answered {value!r}, not one of {', '.join(allowed)}")


class _Transaction:
    """A handler's open transaction, found by ``complete``/``release`` through its claim."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.open = True
        #: What the complete statement answered once the transaction ended ("HELD":
        #: committed, "LOST": rolled back), None if it failed or did not run.
        self.recorded: Optional[str] = None

    def rollback(self) -> None:
        if self.open:
            self.open = False
            try:
                self.conn.rollback()
            except Exception:  # a broken connection: the server rolled it back already
                logger.debug("rollback of a handler's transaction failed", exc_info=True)


class PostgresGuard:
    """A :class:`~kompliant_webhooks.Guard` over PostgreSQL (see the module documentation).

    ``connect``: a conninfo string (``psycopg.connect`` per call), a function returning a new
    ``psycopg.Connection`` (closed after each call), or a ``psycopg_pool.ConnectionPool``
    (borrowed per call; size it for your request threads plus one for renewals). ``table``
    (default ``kompliant_webhook_claims``, optionally ``schema.name``) is checked by the core.
    ``retention`` (seconds or ``timedelta``, default 7 days, the retry horizon) is how long a
    processed id is remembered. ``lease``, when given, replaces the lease the receiver asks
    for in every claim and renewal.
    """

    def __init__(
        self,
        connect: Connect,
        *,
        table: str = DEFAULT_TABLE,
        retention: _Seconds = DEFAULT_RETENTION,
        lease: Optional[_Seconds] = None,
    ) -> None:
        self._statements: Dict[str, str] = postgres_statements(table)
        self.table = table
        self.retention_ms = _millis(retention, "retention")
        self.lease_ms = None if lease is None else _millis(lease, "lease")
        self._pool: Any = None
        self._factory: Callable[[], Any]
        if isinstance(connect, str):
            conninfo = connect
            psycopg: Any = importlib.import_module("psycopg")
            try:
                psycopg.conninfo.conninfo_to_dict(conninfo)
            except psycopg.Error:
                # libpq's message quotes the conninfo, password included: never shown.
                raise ValueError("connect is not a valid PostgreSQL conninfo or URL (its text is not shown: it may hold a password)") from None
            self._factory = lambda: psycopg.connect(conninfo)
        elif callable(getattr(connect, "connection", None)) and callable(getattr(connect, "getconn", None)):
            self._pool = connect
        elif callable(connect):
            self._factory = connect
        else:
            raise TypeError("connect must be a conninfo string, a function returning a psycopg connection, or a psycopg_pool pool")
        # The handlers' open transactions, by (webhook id, token) (transactional mode).
        self._open: Dict[Tuple[str, str], _Transaction] = {}
        self._open_lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection of its own, committed (and closed, or returned to the pool) on exit."""
        if self._pool is not None:
            with self._pool.connection() as conn:
                yield conn
        else:
            with self._factory() as conn:
                yield conn

    def _run(self, statement: str, params: Dict[str, Any]) -> Any:
        with self._connection() as conn:
            return conn.execute(self._statements[statement], params).fetchone()

    def _lease_ms(self, lease: float) -> int:
        return self.lease_ms if self.lease_ms is not None else _millis(lease, "lease")

    def create_table(self) -> None:
        """Creates the table and its index if missing (:func:`create_table_sql`)."""
        with self._connection() as conn:
            with conn.transaction():
                conn.execute(self._statements["create_table"])

    def cleanup(self, batch: int = 1000) -> int:
        """Deletes the rows whose lease or retention ended, ``batch`` per statement (each its
        own transaction) until fewer than ``batch`` were deleted; returns how many."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        total = 0
        while True:
            deleted = int(_column(self._run("cleanup", {"p1": batch}), "deleted"))
            total += deleted
            if deleted < batch:
                return total

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        """Claims ``webhook_id`` for ``token`` for ``lease`` seconds (or the guard's own
        ``lease``); returns a :class:`~kompliant_webhooks.Claim` value."""
        row = self._run("claim", {"p1": webhook_id, "p2": token, "p3": self._lease_ms(lease)})
        return _answer(row, "claim", CLAIMS)

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        """Extends ``token``'s claim to ``lease`` seconds from now; ``"HELD"`` or ``"LOST"``."""
        row = self._run("renew", {"p1": webhook_id, "p2": token, "p3": self._lease_ms(lease)})
        return _answer(row, "renew", HELDS)

    def complete(self, webhook_id: str, token: str, /) -> str:
        """Records ``webhook_id`` as processed if ``token`` holds the claim (or it lapsed
        unclaimed); ``"HELD"``, or ``"LOST"`` (nothing changed). For a delivery in
        :meth:`process_in_transaction`, runs in the handler's transaction and commits it only
        on ``"HELD"`` (else rolls it back)."""
        with self._open_lock:
            tx = self._open.get((webhook_id, token))
        params = {"p1": webhook_id, "p2": token, "p3": self.retention_ms}
        if tx is None:
            return _answer(self._run("complete", params), "complete", HELDS)
        try:
            answer = _answer(tx.conn.execute(self._statements["complete"], params).fetchone(), "complete", HELDS)
            if answer == "HELD":
                tx.open = False
                tx.conn.commit()
            else:
                tx.rollback()
        except BaseException:
            # Nothing committed (or, if the connection died during COMMIT, perhaps everything:
            # the retry then finds the id done). Free the claim so the retry runs at once.
            tx.rollback()
            self._release_on(tx, webhook_id, token)
            raise
        tx.recorded = answer
        return answer

    def release(self, webhook_id: str, token: str, /) -> str:
        """Deletes ``webhook_id``'s claim if ``token`` holds it; ``"HELD"`` or ``"LOST"``. A
        handler's open transaction (transactional mode) is rolled back first."""
        with self._open_lock:
            tx = self._open.get((webhook_id, token))
        if tx is not None:
            tx.rollback()
            answer = self._release_on(tx, webhook_id, token)
            if answer is not None:
                return answer
        return _answer(self._run("release", {"p1": webhook_id, "p2": token}), "release", HELDS)

    def _release_on(self, tx: _Transaction, webhook_id: str, token: str) -> Optional[str]:
        """Releases the claim on the handler's own (rolled back) connection, so a failing
        handler never waits for a second connection of the pool while it holds one (with
        every connection in a handler's transaction, that wait ran into the pool's timeout and
        left the claim held until its lease ended). ``None`` if the connection is broken."""
        try:
            answer = _answer(
                tx.conn.execute(self._statements["release"], {"p1": webhook_id, "p2": token}).fetchone(), "release", HELDS
            )
            tx.conn.commit()
            return answer
        except Exception:
            logger.debug("releasing on the handler's connection failed", exc_info=True)
            try:
                tx.conn.rollback()
            except Exception:
                pass
            return None

    def process_in_transaction(
        self,
        delivery: GuardedDelivery,
        handler: Callable[[Webhook, Any], object],
        *,
        response_status: Optional[Callable[[Any], Optional[int]]] = None,
    ) -> ReceiveOutcome:
        """Runs ``handler(webhook, conn)`` for a delivery begun by a
        :class:`~kompliant_webhooks.GuardedReceiver` over this guard, in a transaction on
        ``conn`` (a connection of its own) that also records the webhook as processed: the
        handler's writes through ``conn`` and the processed mark commit together, and only
        while this delivery holds the claim. Returns the answer: 200 (committed), 503
        (``IN_PROGRESS``: the claim was lost before the commit, everything rolled back), 500
        (the handler raised, or the transaction failed: rolled back) or the duplicate's answer
        (the handler did not run). The handler must not commit or roll back ``conn`` itself.
        ``response_status``, when given, maps what the handler returned to its HTTP status
        (``None``: no response of its own): a status of 400 or more fails the handler (the
        core's rule), rolling its transaction back and releasing the claim, as a raise does.
        A delivery begun over another guard is a ``ValueError`` (its mark would be committed
        outside the handler's transaction).
        """
        if delivery.guard is not self:
            # Its complete would commit the mark through the other guard, outside the
            # handler's transaction, which is then rolled back: the effect would be lost.
            raise ValueError(
                "process_in_transaction needs a delivery begun by a GuardedReceiver over this PostgresGuard "
                "(this one was begun over another guard)"
            )
        webhook = delivery.webhook
        if not delivery.should_process:
            return delivery.finish(False)
        key = (webhook.id, delivery.token)
        raised = False
        succeeded = False
        outcome: Optional[ReceiveOutcome] = None
        tx: Optional[_Transaction] = None
        try:
            with self._connection() as conn:
                autocommit = conn.autocommit
                if autocommit:
                    conn.autocommit = False
                tx = _Transaction(conn)
                with self._open_lock:
                    self._open[key] = tx
                try:
                    status: Optional[int] = None
                    try:
                        result = handler(webhook, conn)
                        status = response_status(result) if response_status is not None else None
                    except Exception:
                        raised = True
                        logger.exception(
                            "webhook handler failed for %s (%s) in its transaction; rolled back", webhook.id, webhook.event_type
                        )
                    succeeded = handler_succeeded(raised, status)
                    outcome = delivery.finish(succeeded)
                finally:
                    with self._open_lock:
                        self._open.pop(key, None)
                    tx.rollback()
                    if autocommit:  # a pool's connection goes back as it came
                        conn.autocommit = True
        except Exception:
            if outcome is not None:
                # Closing the connection failed once the transaction had ended (a broken
                # connection): the answer already decided stands.
                logger.debug("closing a handler's connection failed", exc_info=True)
            elif tx is None:  # no connection: the handler did not run; release the claim (500)
                logger.exception("duplicate guard: no connection for webhook %s's transaction", webhook.id)
                return delivery.finish(False)
            else:
                raise
        assert outcome is not None
        log_renewal_error(delivery)
        if not succeeded:
            return outcome
        assert tx is not None
        outcome, lost = finish_in_transaction(webhook.id, True, tx.recorded)
        error = delivery.guard_error
        if error is not None:
            logger.error("duplicate guard could not commit webhook %s: %s: %s (rolled back)", webhook.id, error.code, error)
        if lost:
            logger.error(
                "duplicate guard: webhook %s's claim was lost before its transaction committed: "
                "its writes were rolled back and it was answered %d (another delivery holds it)",
                webhook.id,
                outcome.http_status,
            )
        return outcome

    def __repr__(self) -> str:
        # The conninfo may hold a password: never shown.
        return (
            f"PostgresGuard(table={self.table!r}, retention={self.retention_ms / 1000!r}, "
            f"lease={None if self.lease_ms is None else self.lease_ms / 1000!r})"
        )
