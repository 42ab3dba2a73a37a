"""The fault and load run (scripts/soak), once per guard store (``--store``, default all):

- ``redis``: a ``RedisGuard``; ``postgres``: a ``PostgresGuard``; ``postgres-tx``: the
  ``PostgresGuard``'s transactional mode, the handler's effect written in the transaction that
  marks the webhook processed.

For each, `kompliant sim` delivers N webhooks of mixed types to two receiver processes
(tests/soak/fleet_receiver.py: the Starlette adapter with one guard shared by both, a claim
lease of ``--lease`` seconds renewed every lease/3) that fail 20% of requests with 500 or by
answering too late, while the simulator injects duplicates, reordering and forged copies, the
key is rotated twice mid-stream through the SDK's two-phase rotation (the receivers follow
their keyring file, ``Keyring.watch``), and the faults of ``--faults`` strike:

- ``slow``: 5% of handler runs write their effect, then take 2.5 s, longer than the 1 s lease
  (and the simulator's 300 ms delivery timeout, so redeliveries arrive while they run): the
  renewal must keep their claim;
- ``store-kill``: the store's server (private, started by this driver: tests/soak/stores.py)
  is SIGKILLed while handlers run and restarted on the same port and data 1.5 s later;
- ``receiver-kill``: a receiver process is SIGKILLed while it has a handler in flight whose
  effect is written, and a replacement is started on the same socket.

Double-processed is measured from the durable effects, not from logs: every handler run that
succeeds writes one effect before it returns (redis, postgres: a line appended to a shared
file; postgres-tx: a row inserted in its transaction). At the end, for every triggered id:
exactly once = 1 effect, double-processed = more than one, lost = none.

The bound, enforced: a non-transactional guard cannot tie the effect to the completion, so a
handler in flight when its receiver or the store is killed may have written its effect
without its completion reaching the store, and its redelivery runs it again (its claim
lapses after the lease). Each receiver process writes a journal (claim acquired, effect
written, claim finished); at each kill the driver counts the handlers in flight (acquired,
not finished) from those journals. The run fails unless, for every id, effects ≤ 1 + the
number of kills it was in flight at (so double-processed ≤ the handlers in flight at
kills, and none at all without kills or outside them), and, for postgres-tx, double-processed
is 0 whatever was killed. Lost must be 0 for every store (the simulator's retries, 50 ms
doubling to 800 ms, 95 attempts, outlast every outage), no delivery may be given up, every
forged copy is refused and no delivery is refused for an unknown key; and at least one kill
of each kind must have found handlers in flight (a kill that hits nothing tests nothing).
``--no-renew`` turns the receivers' lease renewal off: with slow handlers the check must then
fail (it did: 36 of 600 ids run twice with Redis).

Prints progress, a table per store and one summary line; exit status 0 only if every check
of every store holds. The receivers and the kills are in tests/soak/fleet.py, the servers in
tests/soak/stores.py.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from kompliant_webhooks import KompliantClient, RetryPolicy, add_to_keyring_file
from kompliant_webhooks.postgres import PostgresGuard

from fleet import EFFECTS_TABLE, Counts, Faults, Fleet, log
from stores import PostgresServer, RedisServer, StoreServer

STORES = ("redis", "postgres", "postgres-tx")
FAULTS = ("slow", "store-kill", "receiver-kill")
EVENT_TYPES = [
    "WORKFLOW_CREATED",
    "WORKFLOW_STARTED",
    "WORKFLOW_COMPLETED",
    "SUBJECT_RECORD_DATA_UPDATED",
    "DOCUMENT_UPLOADED",
]
#: Share of events given each simulator fault (drawn independently per event).
FAULT_RATES = {"duplicate": 0.05, "reorder": 0.03, "forge": 0.05}
#: Delivery timeout of the simulator (a receiver's "timeout" failure answers later: fleet.LATE_S).
DELIVERY_TIMEOUT_MS = 300


class SimLog:
    """Reads the simulator's JSON delivery log (one record per line) from its stdout."""

    def __init__(self, stream: Any) -> None:
        self.lock = threading.Lock()
        self.records: List[Dict[str, Any]] = []
        self.base_url: Optional[str] = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            line = line.strip()
            if line.startswith("listening on "):
                self.base_url = line.split()[-1]
            elif line.startswith("credentials of "):
                self.ready.set()
            elif line.startswith("{"):
                record = json.loads(line)
                with self.lock:
                    self.records.append(record)
        self.ready.set()

    def snapshot(self) -> List[Dict[str, Any]]:
        with self.lock:
            return list(self.records)


def final(record: Dict[str, Any]) -> bool:
    """Whether a record ends a delivery: delivered, given up, or a forged copy's one attempt."""
    result = record["outcome"]["result"]
    return result in ("DELIVERED", "GAVE_UP") or bool(record.get("forged"))


def read_env(path: Path) -> Dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def read_effects(store: str, work: Path, url: str) -> List[Tuple[str, str]]:
    """Every committed effect, as (webhook id, receiver)."""
    if store == "postgres-tx":
        import psycopg

        with psycopg.connect(url) as conn:
            rows = conn.execute(f"SELECT webhook_id, receiver FROM {EFFECTS_TABLE}").fetchall()
        return [(str(w), str(r)) for w, r in rows]
    path = work / "effects.log"
    lines = path.read_text().split("\n")[:-1] if path.exists() else []
    return [(line.split()[0], line.split()[1]) for line in lines if line]


def prepare_store(store: str, server: StoreServer) -> str:
    """The guard's namespace of this store's run (Redis key prefix, or table: created now)."""
    if store == "redis":
        return f"kompliant:soak:{os.getpid()}:{time.time_ns()}:"
    import psycopg

    table = "soak_claims_" + store.replace("-", "_")
    PostgresGuard(server_url(server), table=table).create_table()
    if store == "postgres-tx":
        with psycopg.connect(server_url(server), autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {EFFECTS_TABLE}")
            # No unique constraint: a second committed run of one id must show as a second row.
            conn.execute(f"CREATE TABLE {EFFECTS_TABLE} (webhook_id text NOT NULL, receiver text NOT NULL, "
                         "at timestamptz NOT NULL DEFAULT now())")
    return table


def server_url(server: StoreServer) -> str:
    url: str = getattr(server, "url")
    return url


def run_store(store: str, server: StoreServer, args: argparse.Namespace, faults: Set[str],
              procs: List["subprocess.Popen[Any]"], fleets: List[Fleet]) -> Tuple[Dict[str, Any], List[str], str, Path]:
    """One store's run; returns (figures, problems, summary, workdir)."""
    n = args.webhooks
    rng = random.Random(args.seed)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=f"kompliant-soak-{store}."))
    keyring = work / "keyring.json"
    env_file = work / "sim.env"
    kills_before = server.kills
    namespace = prepare_store(store, server)
    sim = subprocess.Popen(
        [args.kompliant, "sim", "--listen", "127.0.0.1:0", "--retry-base-ms", "50", "--retry-cap-ms", "800",
         "--max-attempts", "95", "--delivery-timeout-ms", str(DELIVERY_TIMEOUT_MS), "--workers", "32",
         "--env-file", str(env_file), "--log-format", "json"],
        stdout=subprocess.PIPE, text=True,
    )
    procs.append(sim)
    sim_log = SimLog(sim.stdout)
    if not sim_log.ready.wait(30) or sim_log.base_url is None:
        raise SystemExit("soak: FAIL - the simulator did not start")
    env = read_env(env_file)
    account = env["KOMPLIANT_ACCOUNT_ID"]
    client = KompliantClient(env["KOMPLIANT_API_KEY"], env["KOMPLIANT_SECRET_KEY"], env["KOMPLIANT_AUTH_TOKEN"],
                             base_url=env["KOMPLIANT_BASE_URL"])
    rotations: List[str] = []

    def rotate() -> None:
        # The documented two-phase rotation: create, store in the file every receiver
        # watches, activate (the previous key stays in the file, retired).
        pending = client.start_rotation(account)
        add_to_keyring_file(keyring, pending.key_id, pending.reveal_secret())
        done = pending.finish()
        rotations.append(done.new_key_id)
        log(f"{store}: rotated to {done.new_key_id} (previous {done.previous_key_id})")

    rotate()  # the first key, before the receivers start: they refuse a keyring file with no key

    fleet = Fleet(work, keyring, store, server_url(server), namespace, args, "slow" in faults)
    fleets.append(fleet)
    for name in ("receiver-a", "receiver-b"):
        fleet.spawn(name)
    fleet.wait_ready(["receiver-a", "receiver-b"])
    kills = Faults(fleet, server, args.outage)
    client.create_webhook_config(account, f"http://127.0.0.1:{fleet.port}/webhooks")

    triggered: Dict[str, int] = {}
    forged_events: Set[str] = set()
    lock = threading.Lock()
    plan = [(rng.choice(EVENT_TYPES), {f: 1 for f, p in FAULT_RATES.items() if rng.random() < p}) for _ in range(n)]
    for i in range(max(0, n - 50), n):  # no reorder at the end: it would wait for a next event
        plan[i][1].pop("reorder", None)

    def trigger(i: int) -> None:
        # One triggering thread: an armed fault switch applies to the account's next event.
        event_type, event_faults = plan[i]
        if args.rate:
            time.sleep(max(0.0, started_trigger + i / args.rate - time.monotonic()))
        if event_faults:
            client.call("sim.faults.set", event_faults, retry=RetryPolicy.SAFE)
        answer = client.call("sim.event.trigger", {"event_type": event_type},
                             retry=RetryPolicy.ONLY_IF_NOT_SENT).data
        with lock:
            triggered[answer["webhook_id"]] = answer["deliveries"]
            if "forge" in event_faults:
                forged_events.add(answer["webhook_id"])

    # What happens at which share of the triggering: rotations at 1/3 and 2/3, the kills
    # spread between them.
    actions: List[Tuple[float, str, Callable[[], None]]] = [(1 / 3, "rotate", rotate), (2 / 3, "rotate", rotate)]
    if "store-kill" in faults:
        actions += [(0.2 + 0.7 * i / args.store_kills, "store-kill", kills.kill_store) for i in range(args.store_kills)]
    if "receiver-kill" in faults:
        actions += [(0.35 + 0.6 * i / args.receiver_kills, "receiver-kill", kills.kill_receiver)
                    for i in range(args.receiver_kills)]
    actions.sort(key=lambda a: a[0])

    rotations_due = [a for a in actions if a[1] == "rotate"]
    kills_due = [a for a in actions if a[1] != "rotate"]

    def triggered_count() -> int:
        with lock:
            return len(triggered)

    strike_errors: List[BaseException] = []
    strike_done = threading.Event()
    stopping = threading.Event()

    def strike() -> None:
        # The kills, in their own thread: a store outage must not hold back the rotations,
        # and webhooks keep being triggered meanwhile, as Kompliant would. Each waits for its
        # share of the triggering and for the fleet to recover from the previous one (a
        # lease): two outages back to back would be one long outage.
        try:
            ready_at = 0.0
            for mark, _, action in kills_due:
                while triggered_count() < mark * n or time.monotonic() < ready_at:
                    if stopping.wait(0.01):
                        return
                action()
                ready_at = time.monotonic() + args.lease
        except BaseException as error:  # reported by the main thread
            strike_errors.append(error)
        finally:
            strike_done.set()

    log(f"{store}: triggering {n} webhooks to 2 receivers on 127.0.0.1:{fleet.port} "
        f"(sim {sim_log.base_url}, workdir {work}, faults {','.join(sorted(faults)) or 'none'})")
    started_trigger = time.monotonic()
    last_report = time.monotonic()
    # Not `with`: on a failure or Ctrl-C, the queued triggers are cancelled and the kills
    # stopped instead of waited for.
    pool = ThreadPoolExecutor(max_workers=1)
    threading.Thread(target=strike, daemon=True).start()
    try:
        futures = [pool.submit(trigger, i) for i in range(n)]
        while rotations_due or not all(f.done() for f in futures) or not strike_done.is_set():
            count = triggered_count()
            if rotations_due and count >= rotations_due[0][0] * n:
                rotations_due.pop(0)[2]()
            if time.monotonic() - last_report > 5:
                last_report = time.monotonic()
                log(f"{store}: {count}/{n} triggered, {len(sim_log.snapshot())} delivery attempts so far")
            if strike_errors or any(f.done() and f.exception() is not None for f in futures):
                break
            time.sleep(0.01)
        if strike_errors:
            raise strike_errors[0]
        for f in futures:
            f.result()
    finally:
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
    expected = sum(triggered.values())
    log(f"{store}: {n} triggered; waiting for the {expected} deliveries to end")

    deadline = started + args.timeout
    while True:
        records = sim_log.snapshot()
        ended = sum(1 for r in records if final(r))
        if ended >= expected:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"soak: FAIL - {store}: {ended}/{expected} deliveries ended after {args.timeout:.0f}s; "
                             f"files kept in {work}")
        if time.monotonic() - last_report > 5:
            last_report = time.monotonic()
            log(f"{store}: {ended}/{expected} deliveries ended, {len(records)} attempts")
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    fleet.stop()
    sim.kill()
    sim.wait()

    stats: collections.Counter[str] = collections.Counter()
    for m in fleet.procs:
        path = work / f"{m}.stats.json"
        if path.exists():
            stats.update(json.loads(path.read_text()))
    journal: Counts = {kind: collections.Counter() for kind in "AEFXDR"}
    for m in fleet.procs:
        for kind, counter in fleet.journal(m).items():
            journal[kind].update(counter)
    refused = journal["R"]
    effects = read_effects(store, work, server_url(server))
    runs: collections.Counter[str] = collections.Counter(w for w, _ in effects)
    per_receiver: collections.Counter[str] = collections.Counter(r for _, r in effects)

    records = sim_log.snapshot()
    real = [r for r in records if not r.get("forged")]
    forged_records = [r for r in records if r.get("forged")]
    gave_up = sum(1 for r in real if r["outcome"]["result"] == "GAVE_UP")
    attempts = sum(1 for r in records if r["outcome"]["result"] != "GAVE_UP")
    once = sum(1 for w in triggered if runs[w] == 1)
    double_ids = [w for w in triggered if runs[w] > 1]
    double = len(double_ids)
    extra_runs = sum(runs[w] - 1 for w in double_ids)
    lost = sum(1 for w in triggered if runs[w] == 0)
    unknown = sum(1 for w in runs if w not in triggered)
    forged_accepted = sum(1 for r in forged_records if r["outcome"].get("status") == 200)
    keys_used = sorted({r["key_id"] for r in real})
    duplicates = journal["D"]["ALREADY_COMPLETED"] + journal["D"]["IN_PROGRESS"]
    forged_unanswered = sum(1 for r in forged_records if r["outcome"].get("status") is None)
    transactional = store == "postgres-tx"
    bound = 0 if transactional else sum(kills.at_risk.values())
    over_bound = [w for w in triggered if runs[w] > 1 + (0 if transactional else kills.at_risk[w])]
    guard_errors = {op: stats[f"{op}.error"] for op in ("claim", "renew", "complete", "release")}
    store_kills = server.kills - kills_before

    figures = {
        "webhooks triggered": n,
        "delivery attempts": attempts,
        "  first attempts / retries / forged copies": " / ".join(str(x) for x in (
            sum(1 for r in real if r["attempt"] == 1),
            sum(1 for r in real if r["attempt"] > 1 and r["outcome"]["result"] != "GAVE_UP"),
            len(forged_records))),
        "simulator faults (events: duplicate / reorder / forge)": " / ".join(
            str(sum(1 for _, f in plan if name in f)) for name in ("duplicate", "reorder", "forge")),
        "failures injected by the receivers (500 / late)": f"{stats['injected.500']} / {stats['injected.timeout']}",
        "slow handler runs (longer than the lease)": f"{stats['slow']} ({args.slow_seconds:g}s, lease {args.lease:g}s)"
        if "slow" in faults else "off",
        "duplicates stopped (completed / in progress)":
            f"{duplicates} ({journal['D']['ALREADY_COMPLETED']} / {journal['D']['IN_PROGRESS']})",
        "forged rejected (DECRYPTION_FAILED)": refused["DECRYPTION_FAILED"],
        "other refusals": ", ".join(f"{k} {v}" for k, v in sorted(refused.items()) if k != "DECRYPTION_FAILED") or "none",
        "processed exactly once": once,
        "double-processed (bound)": f"{double} ({extra_runs} extra runs; bound {bound}"
                                    + (", transactional" if transactional else ": handlers in flight at kills") + ")",
        "lost (no effect)": lost,
        "deliveries given up": gave_up,
        "guard errors (claim / renew / complete / release)": " / ".join(str(v) for v in guard_errors.values()),
        "logged: guard errors / not recorded / renewal warnings / claims lost": " / ".join(str(stats[k]) for k in (
            "logged.guard_error", "logged.not_recorded", "logged.renewal_warning", "logged.claim_lost")),
        "store kills (handlers in flight at each)":
            f"{store_kills} ({', '.join(map(str, kills.store_kills)) or '-'})" if "store-kill" in faults else "off",
        "receiver kills (in flight / with effect written)":
            f"{len(kills.receiver_kills)} ({', '.join(f'{a}/{b}' for a, b in kills.receiver_kills) or '-'})"
            if "receiver-kill" in faults else "off",
        "processed per receiver": ", ".join(f"{m} {per_receiver[m]}" for m in fleet.procs),
        "keys used": f"{len(keys_used)} ({' '.join(keys_used)})",
        "time taken": f"{elapsed:.1f}s",
    }

    problems = []
    if once + double + lost != n:
        problems.append(f"{once} + {double} + {lost} != {n} triggered")
    if over_bound:
        why = "transactional: none may run twice" if transactional else "more runs than 1 + kills it was in flight at"
        problems.append(f"{len(over_bound)} ids over the bound ({why}), e.g. {over_bound[:3]}")
    if lost:
        problems.append(f"{lost} lost")
    if unknown:
        problems.append(f"{unknown} processed ids never triggered")
    if gave_up:
        problems.append(f"{gave_up} deliveries given up")
    if len(forged_records) != len(forged_events) or forged_accepted:
        problems.append(f"{len(forged_records)} forged copies for {len(forged_events)} forged events, {forged_accepted} accepted")
    # Every forged copy is refused, except one whose receiver was killed before it answered.
    if not (len(forged_records) - (forged_unanswered if kills.receiver_kills else 0)
            <= refused["DECRYPTION_FAILED"] <= len(forged_records)):
        problems.append(f"{refused['DECRYPTION_FAILED']} DECRYPTION_FAILED for {len(forged_records)} forged copies")
    if len(rotations) != 3 or len(keys_used) != 3:
        problems.append(f"{len(rotations)} rotations, {len(keys_used)} keys used (expected 3)")
    if refused["UNKNOWN_KEY"]:
        problems.append(f"{refused['UNKNOWN_KEY']} deliveries refused UNKNOWN_KEY (a rotated key not picked up)")
    if min(per_receiver["receiver-a"], per_receiver["receiver-b"]) == 0:
        problems.append("a receiver processed nothing")
    if "store-kill" in faults and store_kills != args.store_kills:
        problems.append(f"{store_kills} store kills of {args.store_kills}")
    if "receiver-kill" in faults and len(kills.receiver_kills) != args.receiver_kills:
        problems.append(f"{len(kills.receiver_kills)} receiver kills of {args.receiver_kills}")
    # A kill that found nothing in flight tests nothing: at least one of each must have.
    if "store-kill" in faults and args.store_kills and not any(kills.store_kills):
        problems.append("no store kill found a handler in flight")
    if "receiver-kill" in faults and args.receiver_kills and not any(e for _, e in kills.receiver_kills):
        problems.append("no receiver kill found a handler in flight with its effect written")
    summary = (f"{store}: {n} triggered, {attempts} deliveries, {duplicates} duplicates stopped, {once} exactly once, "
               f"{double} double (bound {bound}), {lost} lost, kills {store_kills} store / {len(kills.receiver_kills)} receiver")
    return figures, problems, summary, work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", type=int, default=10_000, help="webhooks per store")
    parser.add_argument("--store", choices=(*STORES, "all"), default="all")
    parser.add_argument("--faults", default=",".join(FAULTS),
                        help=f"comma-separated, of {', '.join(FAULTS)}; 'none' for none")
    parser.add_argument("--lease", type=float, default=1.0, help="the receivers' claim lease, seconds")
    parser.add_argument("--no-renew", action="store_true",
                        help="turn the receivers' lease renewal off: the check must then FAIL with slow handlers")
    parser.add_argument("--slow", type=float, default=0.05, help="share of handler runs that are slow")
    parser.add_argument("--slow-seconds", type=float, default=2.5, help="how long a slow handler takes")
    parser.add_argument("--store-kills", type=int, default=2, help="store kills per store run")
    parser.add_argument("--receiver-kills", type=int, default=2, help="receiver kills per store run")
    parser.add_argument("--outage", type=float, default=1.5, help="seconds the killed store stays down")
    parser.add_argument("--rate", type=float, default=200, help="webhooks triggered per second (0: unpaced)")
    parser.add_argument("--kompliant", default=os.environ.get("KOMPLIANT_BIN", "kompliant"))
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--timeout", type=float, default=900, help="give up a store's run after this many seconds")
    args = parser.parse_args()
    faults = set() if args.faults == "none" else set(args.faults.split(","))
    if faults - set(FAULTS):
        parser.error(f"unknown faults: {', '.join(sorted(faults - set(FAULTS)))}")
    stores = list(STORES) if args.store == "all" else [args.store]

    # A kill of the driver (scripts/test interrupted) stops the servers and receivers too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    servers: Dict[str, StoreServer] = {}
    procs: List[subprocess.Popen[Any]] = []
    fleets: List[Fleet] = []
    results: List[Tuple[str, Dict[str, Any], List[str], str, Path]] = []
    try:
        if "redis" in stores:
            redis_server = RedisServer()
            servers["redis"] = redis_server
            redis_server.start()
            log(f"redis-server {redis_server.version()} on 127.0.0.1:{redis_server.port} "
                "(private, appendonly yes, appendfsync always)")
        if set(stores) & {"postgres", "postgres-tx"}:
            pg_server = PostgresServer()
            servers["postgres"] = pg_server
            pg_server.start()
            log(f"postgres {pg_server.version()} on 127.0.0.1:{pg_server.port} "
                "(private, synchronous_commit on, fsync off: durable across a process kill)")
        for store in stores:
            server = servers["redis" if store == "redis" else "postgres"]
            figures, problems, summary, work = run_store(store, server, args, faults, procs, fleets)
            results.append((store, figures, problems, summary, work))
            print(f"soak: {store}")
            width = max(len(k) for k in figures)
            for k, v in figures.items():
                print(f"  {k:<{width}}  {v}", flush=True)
    finally:
        for fleet in fleets:
            fleet.kill_all()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for server in servers.values():
            server.stop()

    elapsed = time.monotonic() - started
    problems = [f"{store}: {p}" for store, _, ps, _, _ in results for p in ps]
    forged = sum(int(f["forged rejected (DECRYPTION_FAILED)"]) for _, f, _, _, _ in results)
    tail = (f"faults {','.join(f for f in FAULTS if f in faults) or 'none'}; 2 rotations per store, 0 UNKNOWN_KEY, "
            f"{forged} forged rejected; in {elapsed:.0f}s")
    summaries = "; ".join(s for _, _, _, s, _ in results)
    for _, _, ps, _, work in results:
        if not ps:  # a failing store's files are kept for reading
            shutil.rmtree(work, ignore_errors=True)
    if problems:
        kept = ", ".join(str(w) for store, _, ps, _, w in results if ps)
        print(f"soak: FAIL - {'; '.join(problems)} ({summaries}); files kept in {kept}")
        return 1
    print(f"soak: PASS - {summaries}; {tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
