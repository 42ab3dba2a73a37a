"""The rotation test every language runs against a real receiver process (issue 13).

    python3 tests/rotation/rotation.py --name LANG --kompliant PATH -- RECEIVER COMMAND...

It starts `kompliant sim` on loopback, creates and activates a first key whose secret goes into
a keyring file F (`kompliant keys create --keyring F`), then starts the receiver command with
KOMPLIANT_KEYRING_FILE=F in its environment. The receiver watches F (`Keyring.watch`). A steady
stream of webhooks is triggered while another process rotates the key twice through the API
client, writing F (`kompliant keys rotate --keyring F`: create, store in F, probe, activate).
The receiver is never restarted nor signalled.

The receiver's contract (stdout, one line each, flushed):
    listening on http://127.0.0.1:<port>      first line; it serves POST /webhooks
    webhook <webhook_id> ... key=<key_id> ...  per webhook processed (2xx answered)
    refused <ERROR_CODE> ...                   per webhook refused

Checked: every webhook triggered is processed (0 lost), no delivery was answered UNKNOWN_KEY
(the receiver's lines and the simulator's log agree), three keys were used, no delivery was
given up. One summary line: `rotation(LANG): PASS - ...` (exit 0) or `rotation(LANG): FAIL - ...`.
Python standard library only: it drives receivers of every language.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

EVENT_TYPES = [
    "WORKFLOW_CREATED",
    "WORKFLOW_STARTED",
    "WORKFLOW_COMPLETED",
    "SUBJECT_RECORD_DATA_UPDATED",
    "DOCUMENT_UPLOADED",
]


class Lines:
    """Collects a process's stdout lines on a thread (and echoes them to a log file)."""

    def __init__(self, stream: Any, log_path: Path) -> None:
        self.lock = threading.Lock()
        self.lines: List[str] = []
        self._log = log_path.open("w")
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._log.write(line)
            self._log.flush()
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self) -> List[str]:
        with self.lock:
            return list(self.lines)

    def first(self, prefix: str) -> Optional[str]:
        return next((line for line in self.snapshot() if line.startswith(prefix)), None)


def wait_for(what: str, check: Any, timeout: float, procs: Dict[str, "subprocess.Popen[str]"]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        dead = [name for name, p in procs.items() if p.poll() is not None]
        if dead:
            raise Failed(f"{', '.join(dead)} exited (status {procs[dead[0]].returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.02)


class Failed(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="the receiver's language, for the summary line")
    parser.add_argument("--kompliant", default=os.environ.get("KOMPLIANT_BIN", "kompliant"))
    parser.add_argument("--webhooks", type=int, default=240)
    parser.add_argument("--interval-ms", type=float, default=15, help="pause between two triggers")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--start-timeout", type=float, default=120, help="time the receiver may take to listen")
    parser.add_argument("receiver", nargs=argparse.REMAINDER, help="-- RECEIVER COMMAND...")
    args = parser.parse_args()
    command = args.receiver[1:] if args.receiver[:1] == ["--"] else args.receiver
    if not command:
        parser.error("the receiver command is missing (after --)")
    name = args.name
    work = Path(tempfile.mkdtemp(prefix=f"kompliant-rotation-{name}."))
    procs: Dict[str, "subprocess.Popen[str]"] = {}
    try:
        summary = run(args, command, work, procs)
        print(f"rotation({name}): PASS - {summary}", flush=True)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    except Failed as e:
        print(f"rotation({name}): FAIL - {e}; logs kept in {work}", flush=True)
        return 1
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def run(args: argparse.Namespace, command: List[str], work: Path, procs: Dict[str, "subprocess.Popen[str]"]) -> str:
    started = time.monotonic()
    keyring = work / "keys.json"
    env_file = work / "sim.env"
    sim = subprocess.Popen(
        [args.kompliant, "sim", "--listen", "127.0.0.1:0", "--retry-base-ms", "100", "--retry-cap-ms", "800",
         "--env-file", str(env_file), "--log-format", "json"],
        stdout=subprocess.PIPE, stderr=(work / "sim.stderr").open("w"), text=True,
    )
    procs["the simulator"] = sim
    sim_lines = Lines(sim.stdout, work / "sim.log")
    wait_for("the simulator", lambda: env_file.exists() and "KOMPLIANT_ACCOUNT_ID" in env_file.read_text(), 30, procs)
    env = dict(os.environ)
    env.update(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)

    def cli(*argv: str) -> str:
        out = subprocess.run([args.kompliant, *argv], env=env, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise Failed(f"`kompliant {' '.join(argv)}` failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout

    cli("keys", "create", "--keyring", str(keyring))
    first_key = next(iter(json.loads(keyring.read_text())))
    cli("keys", "activate", first_key)

    receiver_env = dict(os.environ, KOMPLIANT_KEYRING_FILE=str(keyring))
    receiver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=(work / "receiver.stderr").open("w"),
                                text=True, env=receiver_env)
    procs["the receiver"] = receiver
    receiver_lines = Lines(receiver.stdout, work / "receiver.log")
    url_line = wait_for("the receiver's 'listening on' line", lambda: receiver_lines.first("listening on "),
                        args.start_timeout, procs)
    url = url_line.split()[-1].rstrip("/")
    cli("endpoints", "create", f"{url}/webhooks")

    n = args.webhooks
    triggered: List[str] = []
    rotations: List[Dict[str, Any]] = []
    marks = [n // 3, 2 * n // 3]
    for i in range(n):
        if marks and i == marks[0]:
            marks.pop(0)
            rotations.append(json.loads(cli("keys", "rotate", "--keyring", str(keyring))))
        answer = json.loads(cli("trigger", EVENT_TYPES[i % len(EVENT_TYPES)]))
        triggered.append(answer["webhook_id"])
        time.sleep(args.interval_ms / 1000)

    def records() -> List[Dict[str, Any]]:
        return [json.loads(line) for line in sim_lines.snapshot() if line.startswith("{")]

    def processed_ids() -> "collections.Counter[str]":
        return collections.Counter(line.split()[1] for line in receiver_lines.snapshot()
                                   if line.startswith("webhook ") and len(line.split()) > 1)

    def all_processed() -> bool:
        done = processed_ids()
        return all(done[w] for w in triggered)

    try:
        wait_for(f"the receiver to process all {n} webhooks", all_processed, args.timeout, procs)
    except Failed as e:
        done = processed_ids()
        lost = [w for w in triggered if not done[w]]
        raise Failed(f"{e}: {len(lost)} of {n} not processed (first: {lost[:3]})") from None
    time.sleep(0.3)  # the simulator logs deliveries as they end

    lines = receiver_lines.snapshot()
    refused = collections.Counter(line.split()[1] for line in lines if line.startswith("refused ") and len(line.split()) > 1)
    sim_records = [r for r in records() if r.get("webhook_id") in set(triggered)]
    sim_503 = sum(1 for r in sim_records if r["outcome"].get("status") == 503)
    gave_up = sum(1 for r in sim_records if r["outcome"]["result"] == "GAVE_UP")
    keys_used = sorted({r["key_id"] for r in sim_records})
    processed = processed_ids()
    lost = sum(1 for w in triggered if not processed[w])
    problems = []
    if refused["UNKNOWN_KEY"] or sim_503:
        problems.append(f"{refused['UNKNOWN_KEY']} UNKNOWN_KEY answers ({sim_503} deliveries answered 503)")
    if lost:
        problems.append(f"{lost} lost")
    if gave_up:
        problems.append(f"{gave_up} deliveries given up")
    if len(rotations) != 2 or len(keys_used) != 3:
        problems.append(f"{len(rotations)} rotations, {len(keys_used)} keys used (expected 2 and 3)")
    other = {code: count for code, count in refused.items() if code != "UNKNOWN_KEY"}
    if other:
        problems.append(f"other refusals: {other}")
    retries = sum(1 for r in sim_records if r["attempt"] > 1)
    summary = (f"{n} webhooks, 2 rotations ({' -> '.join(keys_used)}), {refused['UNKNOWN_KEY']} UNKNOWN_KEY, "
               f"{lost} lost, {sum(1 for w in triggered if processed[w])} processed, {retries} retries, "
               f"in {time.monotonic() - started:.1f}s")
    if problems:
        raise Failed(f"{'; '.join(problems)} ({summary})")
    return summary


if __name__ == "__main__":
    sys.exit(main())
