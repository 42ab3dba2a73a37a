"""The fault and load run (scripts/soak): `kompliant sim` delivers N webhooks of mixed types to
two receiver processes (tests/soak/fleet_receiver.py: the Starlette adapter with one shared
RedisGuard) that fail 20% of requests with 500 or by answering too late, while the
simulator injects duplicates, reordering and forged copies, and the key is rotated twice
mid-stream through the SDK's two-phase rotation: the new key is stored in the keyring file the
receivers follow (``Keyring.watch``) and activated at once. Everything runs on loopback.

It checks what a user relies on: every webhook triggered is processed exactly once (no
webhook lost, none processed twice), every forged copy is refused, no delivery is given up,
no delivery is refused for an unknown key (the receivers pick each rotated key up by
themselves); and prints the figures and one summary line. Exit status 0 only if every check
holds.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from kompliant_webhooks import KompliantClient, RetryPolicy, add_to_keyring_file

HERE = Path(__file__).resolve().parent
EVENT_TYPES = [
    "WORKFLOW_CREATED",
    "WORKFLOW_STARTED",
    "WORKFLOW_COMPLETED",
    "SUBJECT_RECORD_DATA_UPDATED",
    "DOCUMENT_UPLOADED",
]
#: Share of events given each simulator fault (drawn independently per event).
FAULT_RATES = {"duplicate": 0.05, "reorder": 0.03, "forge": 0.05}
#: Delivery timeout of the simulator, and how late a "timeout" failure answers.
DELIVERY_TIMEOUT_MS = 300
LATE_S = 0.45


def log(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


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


def wait_for(what: str, check: Any, timeout: float, procs: List["subprocess.Popen[Any]"]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        dead = [p.args[1] if isinstance(p.args, list) else p.args for p in procs if p.poll() is not None]
        if dead:
            raise SystemExit(f"soak: FAIL - a process exited while waiting for {what}: {dead}")
        if time.monotonic() > deadline:
            raise SystemExit(f"soak: FAIL - timed out waiting for {what}")
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--kompliant", default=os.environ.get("KOMPLIANT_BIN", "kompliant"))
    parser.add_argument("--redis", default=os.environ.get("KOMPLIANT_TEST_REDIS_URL"))
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds")
    args = parser.parse_args()
    if not args.redis:
        parser.error("--redis (or KOMPLIANT_TEST_REDIS_URL) is required")
    n = args.webhooks
    rng = random.Random(args.seed)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kompliant-soak."))
    keyring = work / "keyring.json"
    env_file = work / "sim.env"
    procs: List[subprocess.Popen[Any]] = []
    try:
        sim = subprocess.Popen(
            [args.kompliant, "sim", "--listen", "127.0.0.1:0", "--retry-base-ms", "50", "--retry-cap-ms", "800",
             "--delivery-timeout-ms", str(DELIVERY_TIMEOUT_MS), "--workers", "32", "--env-file", str(env_file),
             "--log-format", "json"],
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
            log(f"rotated to {done.new_key_id} (previous {done.previous_key_id})")

        # The first key, before the receivers start: they refuse a keyring file with no key.
        rotate()

        # Two receiver processes serving one listening socket.
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        port = listener.getsockname()[1]
        names = ["receiver-a", "receiver-b"]
        prefix = f"kompliant:soak:{os.getpid()}:{time.time_ns()}:"
        for i, name in enumerate(names):
            procs.append(subprocess.Popen(
                [sys.executable, str(HERE / "fleet_receiver.py"), "--name", name, "--fd", str(listener.fileno()),
                 "--keyring", str(keyring), "--state", str(work), "--redis", args.redis, "--prefix", prefix,
                 "--late", str(LATE_S), "--seed", str(args.seed + i)],
                pass_fds=[listener.fileno()],
            ))
        listener.close()
        wait_for("the receivers", lambda: all((work / f"{m}.ready").exists() for m in names), 60, procs)

        client.create_webhook_config(account, f"http://127.0.0.1:{port}/webhooks")

        # Trigger from a thread; each event draws its faults. Rotations happen at 1/3 and 2/3
        # while the triggering goes on.
        triggered: Dict[str, int] = {}
        forged_events: Set[str] = set()
        lock = threading.Lock()
        plan = [(rng.choice(EVENT_TYPES), {f: 1 for f, p in FAULT_RATES.items() if rng.random() < p}) for _ in range(n)]
        for i in range(max(0, n - 50), n):  # no reorder at the end: it would wait for a next event
            plan[i][1].pop("reorder", None)

        def trigger(i: int) -> None:
            # One triggering thread: an armed fault switch applies to the account's next event.
            event_type, faults = plan[i]
            if faults:
                client.call("sim.faults.set", faults, retry=RetryPolicy.SAFE)
            answer = client.call("sim.event.trigger", {"event_type": event_type},
                                 retry=RetryPolicy.ONLY_IF_NOT_SENT).data
            with lock:
                triggered[answer["webhook_id"]] = answer["deliveries"]
                if "forge" in faults:
                    forged_events.add(answer["webhook_id"])

        log(f"triggering {n} webhooks to 2 receivers on 127.0.0.1:{port} (sim {sim_log.base_url}, workdir {work})")
        marks = [n // 3, 2 * n // 3]
        with ThreadPoolExecutor(max_workers=1) as pool:
            futures = [pool.submit(trigger, i) for i in range(n)]
            last_report = time.monotonic()
            while marks or not all(f.done() for f in futures):
                with lock:
                    count = len(triggered)
                if marks and count >= marks[0]:
                    marks.pop(0)
                    rotate()
                if time.monotonic() - last_report > 5:
                    last_report = time.monotonic()
                    log(f"{count}/{n} triggered, {len(sim_log.snapshot())} delivery attempts so far")
                time.sleep(0.01)
            for f in futures:
                f.result()
        expected = sum(triggered.values())
        log(f"{n} triggered; waiting for the {expected} deliveries to end")

        deadline = started + args.timeout
        while True:
            records = sim_log.snapshot()
            ended = sum(1 for r in records if final(r))
            if ended >= expected:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"soak: FAIL - {ended}/{expected} deliveries ended after {args.timeout:.0f}s")
            if time.monotonic() - last_report > 5:
                last_report = time.monotonic()
                log(f"{ended}/{expected} deliveries ended, {len(records)} attempts")
            time.sleep(0.1)
        elapsed = time.monotonic() - started

        for p in procs[1:]:
            p.send_signal(signal.SIGTERM)
        for p in procs[1:]:
            p.wait(30)
        stats: collections.Counter[str] = collections.Counter()
        processed: collections.Counter[str] = collections.Counter()
        per_receiver: Dict[str, int] = {}
        for m in names:
            stats.update(json.loads((work / f"{m}.stats.json").read_text()))
            lines = (work / f"{m}.processed").read_text().split("\n")
            ids = [line.split()[0] for line in lines if line]
            per_receiver[m] = len(ids)
            processed.update(ids)

        records = sim_log.snapshot()
        real = [r for r in records if not r.get("forged")]
        forged_records = [r for r in records if r.get("forged")]
        gave_up = sum(1 for r in real if r["outcome"]["result"] == "GAVE_UP")
        attempts = sum(1 for r in records if r["outcome"]["result"] != "GAVE_UP")
        once = sum(1 for w in triggered if processed[w] == 1)
        twice = sum(1 for w in triggered if processed[w] > 1)
        lost = sum(1 for w in triggered if processed[w] == 0)
        unknown = sum(1 for w in processed if w not in triggered)
        forged_accepted = sum(1 for r in forged_records if r["outcome"].get("status") == 200)
        keys_used = sorted({r["key_id"] for r in real})
        duplicates = stats["claim.ALREADY_COMPLETED"] + stats["claim.IN_PROGRESS"]

        figures = {
            "webhooks triggered": n,
            "delivery attempts": attempts,
            "  real deliveries (first attempts)": sum(1 for r in real if r["attempt"] == 1),
            "  retries": sum(1 for r in real if r["attempt"] > 1 and r["outcome"]["result"] != "GAVE_UP"),
            "  forged copies sent": len(forged_records),
            "simulator faults (events: duplicate / reorder / forge)": " / ".join(
                str(sum(1 for _, f in plan if name in f)) for name in ("duplicate", "reorder", "forge")),
            "failures injected by the receivers (500 / late)": f"{stats['injected.500']} / {stats['injected.timeout']}",
            "duplicates seen by the guard (completed / in progress)":
                f"{duplicates} ({stats['claim.ALREADY_COMPLETED']} / {stats['claim.IN_PROGRESS']})",
            "forged rejected (DECRYPTION_FAILED)": stats["refused.DECRYPTION_FAILED"],
            "other refusals": ", ".join(f"{k[8:]} {v}" for k, v in sorted(stats.items())
                                        if k.startswith("refused.") and k != "refused.DECRYPTION_FAILED") or "none",
            "processed exactly once": once,
            "processed more than once": twice,
            "lost (never processed)": lost,
            "deliveries given up": gave_up,
            "processed per receiver": ", ".join(f"{m} {c}" for m, c in per_receiver.items()),
            "keys used": f"{len(keys_used)} ({' '.join(keys_used)})",
            "time taken": f"{elapsed:.1f}s",
        }
        width = max(len(k) for k in figures)
        for k, v in figures.items():
            print(f"  {k:<{width}}  {v}")

        problems = []
        if once != n:
            problems.append(f"{once} of {n} processed exactly once")
        if twice:
            problems.append(f"{twice} processed more than once")
        if lost:
            problems.append(f"{lost} lost")
        if unknown:
            problems.append(f"{unknown} processed ids never triggered")
        if gave_up:
            problems.append(f"{gave_up} deliveries given up")
        if len(forged_records) != len(forged_events) or forged_accepted:
            problems.append(f"{len(forged_records)} forged copies for {len(forged_events)} forged events, {forged_accepted} accepted")
        if stats["refused.DECRYPTION_FAILED"] != len(forged_records):
            problems.append(f"{stats['refused.DECRYPTION_FAILED']} DECRYPTION_FAILED for {len(forged_records)} forged copies")
        if len(rotations) != 3 or len(keys_used) != 3:
            problems.append(f"{len(rotations)} rotations, {len(keys_used)} keys used (expected 3)")
        if stats["refused.UNKNOWN_KEY"]:
            problems.append(f"{stats['refused.UNKNOWN_KEY']} deliveries refused UNKNOWN_KEY (a rotated key not picked up)")
        if min(per_receiver.values()) == 0:
            problems.append("a receiver processed nothing")
        summary = (f"{n} triggered, {attempts} deliveries, {duplicates} duplicates, "
                   f"{stats['refused.DECRYPTION_FAILED']} forged rejected, {once} exactly once, {lost} lost, "
                   f"2 rotations, {stats['refused.UNKNOWN_KEY']} UNKNOWN_KEY, in {elapsed:.0f}s")
        if problems:
            print(f"soak: FAIL - {'; '.join(problems)} ({summary}); files kept in {work}")
            return 1
        print(f"soak: PASS - {summary}")
        shutil.rmtree(work, ignore_errors=True)
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    sys.exit(main())
