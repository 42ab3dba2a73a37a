"""End to end against `kompliant sim`: create → store → activate → trigger → receive through
the example receiver (examples/python-receiver, run as a subprocess), then key rotations with
deliveries in flight, none lost."""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest

import kompliant_webhooks as kw
from kompliant_webhooks import AsyncKompliantClient, KompliantClient, RetryPolicy

from conftest import REPO, Sim, start_sim

EXAMPLE = REPO / "examples" / "python-receiver" / "receiver.py"
EVENT_TYPES = [
    "WORKFLOW_CREATED",
    "WORKFLOW_STARTED",
    "WORKFLOW_COMPLETED",
    "SUBJECT_RECORD_DATA_UPDATED",
    "DOCUMENT_UPLOADED",
]
LINE = re.compile(r"^webhook (?P<id>wh_\S+) (?P<type>\S+) key=(?P<key>\S+) retry=(?P<retry>\d+) account=(?P<account>\S+)(?P<rest>.*)$")


class ExampleReceiver:
    """examples/python-receiver/receiver.py in a subprocess; its stdout lines collected."""

    def __init__(self, keys: Path, port: int = 0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(EXAMPLE), "--keys", str(keys), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.log: List[str] = []
        self.webhooks: Dict[str, "re.Match[str]"] = {}
        self.duplicates: List[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self._wait_for_url()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def _next(self, deadline: float) -> Optional[str]:
        try:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None
        self.log.append(line)
        match = LINE.match(line)
        if match:
            assert match["id"] not in self.webhooks, f"logged twice: {line}"
            self.webhooks[match["id"]] = match
        elif line.startswith("duplicate "):
            self.duplicates.append(line.split()[1])
        return line

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._next(deadline)
            if line is None:
                break
            if line.startswith("listening on "):
                return line[len("listening on "):]
        raise AssertionError(f"the example receiver did not start: {self.log}")

    def wait_for(self, ids: Set[str], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not ids <= set(self.webhooks):
            if self._next(deadline) is None:
                missing = ids - set(self.webhooks)
                raise AssertionError(f"never received {sorted(missing)}; receiver log: {self.log}")

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._next(deadline) is not None:
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def fast_sim(tmp_path: Path) -> Iterator[Sim]:
    """A simulator redelivering every 20-200 ms (so deliveries in flight land quickly)."""
    running = start_sim(tmp_path, "--retry-cap-ms", "200")
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)


def trigger(sim: Sim, client: KompliantClient, event_type: str, deliveries: int = 1) -> str:
    answer = sim.trigger(client, event_type)
    assert answer["deliveries"] == deliveries
    webhook_id: str = answer["webhook_id"]
    return webhook_id


def attempts(client: KompliantClient, ids: Set[str]) -> List[Dict[str, Any]]:
    """The simulator's delivery log for these webhooks (one entry per attempt)."""
    deliveries = client.call("sim.deliveries.list", retry=RetryPolicy.SAFE).data["deliveries"]
    return [d for d in deliveries if d["webhook_id"] in ids]


def test_create_store_activate_trigger_receive_then_rotate_with_deliveries_in_flight(fast_sim: Sim, tmp_path: Path) -> None:
    sim = fast_sim
    client = sim.client()
    keys = tmp_path / "keys.json"

    # 1. create → store → activate.
    created = client.create_webhook_key(sim.account_id)
    kw.add_to_keyring_file(keys, created.key_id, created.reveal_secret())
    first_key = client.activate_webhook_key(created.key_id).key_id

    receiver = ExampleReceiver(keys)
    try:
        port = int(receiver.url.rsplit(":", 1)[1])
        config_id = client.create_webhook_config(sim.account_id, receiver.url + "/webhooks")
        assert [c.config_id for c in client.list_webhook_configs(sim.account_id)] == [config_id]

        # 2. one event of each type, decrypted by the example.
        first_batch = {trigger(sim, client, t): t for t in EVENT_TYPES}
        receiver.wait_for(set(first_batch))
        for webhook_id, event_type in first_batch.items():
            line = receiver.webhooks[webhook_id]
            assert (line["type"], line["key"], line["account"]) == (event_type, first_key, sim.account_id)
        assert "workflow_id=w_" in receiver.webhooks[next(i for i, t in first_batch.items() if t == "WORKFLOW_CREATED")]["rest"]
        assert "entities=" in receiver.webhooks[next(i for i, t in first_batch.items() if t == "SUBJECT_RECORD_DATA_UPDATED")]["rest"]

        # 3. A duplicate delivery is acknowledged once and not handled twice.
        client.call("sim.faults.set", {"duplicate": 1}, retry=RetryPolicy.SAFE)
        duplicated = trigger(sim, client, "WORKFLOW_CREATED", deliveries=2)
        receiver.wait_for({duplicated})
        deadline = time.monotonic() + 10
        while duplicated not in receiver.duplicates and time.monotonic() < deadline:
            receiver.drain(0.1)
        assert receiver.duplicates == [duplicated]

        # 4. Rotation with deliveries in flight: the receiver goes away, events sealed with the
        # old key are queued and retried, the key rotates, more events come sealed with the new
        # key, and only then does the receiver come back.
        receiver.stop()
        before_restart = receiver
        in_flight = {trigger(sim, client, t) for t in EVENT_TYPES[:3]}
        rotation = client.rotate_webhook_key(
            sim.account_id, lambda key_id, secret: kw.add_to_keyring_file(keys, key_id, secret)
        )
        assert rotation.previous_key_id == first_key
        assert client.get_webhook_key(first_key).status == "DELETED"
        after = {trigger(sim, client, t) for t in EVENT_TYPES[3:]}
        time.sleep(0.3)
        tried = attempts(client, in_flight)
        # Really in flight: attempted, refused by the closed port, waiting for a redelivery.
        assert {d["webhook_id"] for d in tried} == in_flight
        assert {d["outcome"]["result"] for d in tried} == {"FAILED"}
        receiver = ExampleReceiver(keys, port=port)
        receiver.wait_for(in_flight | after)
        assert {receiver.webhooks[i]["key"] for i in in_flight} == {first_key}
        assert {receiver.webhooks[i]["key"] for i in after} == {rotation.new_key_id}
        assert all(int(receiver.webhooks[i]["retry"]) >= 1 for i in in_flight)

        # 5. An asyncio rotation while the receiver runs: it reloads its keyring file.
        async_client = AsyncKompliantClient.from_client(client)

        async def store(key_id: str, secret: str) -> None:
            await asyncio.to_thread(kw.add_to_keyring_file, keys, key_id, secret)

        third = asyncio.run(async_client.rotate_webhook_key(sim.account_id, store))
        assert third.previous_key_id == rotation.new_key_id
        last = {trigger(sim, client, t) for t in ("WORKFLOW_COMPLETED", "DOCUMENT_UPLOADED")}
        receiver.wait_for(last)
        assert {receiver.webhooks[i]["key"] for i in last} == {third.new_key_id}

        # None lost: every webhook triggered was decrypted exactly once.
        everything = set(first_batch) | {duplicated} | in_flight | after | last
        assert everything <= set(before_restart.webhooks) | set(receiver.webhooks)
        assert not set(before_restart.webhooks) & set(receiver.webhooks)
        assert set(kw.Keyring.from_file(keys).key_ids()) == {first_key, rotation.new_key_id, third.new_key_id}
        assert not any("refused" in line for line in receiver.log), receiver.log
        # ...and the simulator agrees: each one has a DELIVERED attempt.
        deadline = time.monotonic() + 10
        while True:
            delivered = {d["webhook_id"] for d in attempts(client, everything) if d["outcome"]["result"] == "DELIVERED"}
            if delivered == everything or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert delivered == everything
    finally:
        receiver.stop()
