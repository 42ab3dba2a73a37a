"""Shared fixtures: sealed webhooks for the receive-path tests, and a fresh `kompliant sim`
(the local Kompliant simulator) per test for the client and integration tests."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from kompliant_webhooks import (
    Keyring,
    KompliantClient,
    RetryPolicy,
    WebhookReceiver,
    generate_secret,
    seal_webhook,
)

REPO = Path(__file__).resolve().parents[2]

WORKFLOW_PAYLOAD: Dict[str, Any] = {
    "version": "1.0",
    "subject_record_id": "sr_NaOPeu4Futqb9Q76zXuodi",
    "user_context": {"user_id": "usr_CxSiRY6A99n0jjnE", "user_type": "USER"},
    "workflow_id": "w_5Wp6DGVYSdGGQewThZ8OFY",
    "workflow_type": "BUSINESS_APPLICATION",
}

METADATA: Dict[str, str] = {
    "id": "wh_2x8mKq9vNcR4tLpW7yJhBd",
    "event_type": "WORKFLOW_CREATED",
    "timestamp": "2025-11-21T14:30:22.123Z",
    "account_id": "sb_123",
    "schema_version": "2025-11-21",
    "key_id": "whk_20251121_01",
}


@dataclass
class Sealer:
    """Seals test webhooks for one key."""

    key_id: str = "whk_20251121_01"
    secret: str = field(default_factory=generate_secret)

    def body(self, payload: Any = None, retry_count: int = 0, **metadata: str) -> bytes:
        fields = dict(METADATA, key_id=self.key_id)
        fields.update(metadata)
        return seal_webhook(
            payload=WORKFLOW_PAYLOAD if payload is None else payload,
            secret=self.secret,
            retry_count=retry_count,
            **fields,
        )


@pytest.fixture
def sealer() -> Sealer:
    return Sealer()


def receiver_for(sealer: Sealer, **options: Any) -> WebhookReceiver:
    """A receiver holding the sealer's key."""
    keyring = Keyring()
    keyring.add(sealer.key_id, sealer.secret)
    return WebhookReceiver(keyring, **options)


def kompliant_bin() -> Path:
    """The `kompliant` CLI (built by scripts/suites/python.sh; KOMPLIANT_BIN overrides)."""
    path = Path(os.environ.get("KOMPLIANT_BIN", REPO / "target" / "debug" / "kompliant"))
    if not path.is_file():
        pytest.fail(
            f"the simulator binary {path} is missing: run `cargo build --locked -p kompliant-cli` "
            "(scripts/test python does it)"
        )
    return path


@dataclass
class Sim:
    """A running `kompliant sim` and the credentials of its sandbox account."""

    env: Dict[str, str]
    process: "subprocess.Popen[bytes]"

    @property
    def base_url(self) -> str:
        return self.env["KOMPLIANT_BASE_URL"]

    @property
    def account_id(self) -> str:
        return self.env["KOMPLIANT_ACCOUNT_ID"]

    def client(self, **options: Any) -> KompliantClient:
        return KompliantClient(
            self.env["KOMPLIANT_API_KEY"],
            self.env["KOMPLIANT_SECRET_KEY"],
            self.env["KOMPLIANT_AUTH_TOKEN"],
            base_url=self.base_url,
            **options,
        )

    def trigger(self, client: KompliantClient, event_type: str, data: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Triggers one event (simulator-only method); returns {webhook_id, key_id, deliveries}."""
        body: Dict[str, Any] = {"event_type": event_type}
        if data is not None:
            body["data"] = data
        return client.call("sim.event.trigger", body, retry=RetryPolicy.ONLY_IF_NOT_SENT).data


def start_sim(directory: Path, *extra: str) -> Sim:
    env_file = directory / "sim.env"
    process = subprocess.Popen(
        [str(kompliant_bin()), "sim", "--listen", "127.0.0.1:0", "--retry-base-ms", "20",
         "--env-file", str(env_file), "--quiet", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if env_file.exists():
            lines = env_file.read_text().splitlines()
            env = dict(line.split("=", 1) for line in lines if "=" in line)
            if "KOMPLIANT_AUTH_TOKEN" in env:
                return Sim(env=env, process=process)
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    raise RuntimeError("kompliant sim did not start (no credentials written)")


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    """A fresh simulator per test: its own account, keys and endpoints."""
    running = start_sim(tmp_path)
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)


def assert_same_json(got: Any, want: Any, path: str = "payload") -> None:
    """Asserts ``got`` is exactly ``want`` as ``json.loads`` builds it: same types (``1``,
    ``1.0`` and ``True`` are equal in Python, not the same), same key order, same sign of
    zero."""
    assert type(got) is type(want), f"{path}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        assert list(got) == list(want), f"{path}: keys {list(got)[:8]} != {list(want)[:8]}"
        for key in want:
            assert_same_json(got[key], want[key], f"{path}[{key!r}]")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_json(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        assert repr(got) == repr(want), f"{path}: {got!r} != {want!r}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def vectors() -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((REPO / "tests" / "vectors" / "webhooks.json").read_text())
    return data


class FakeKompliant:
    """A tiny in-process HTTP server answering every POST with a scripted answer, served by a
    Python thread: if a client call held the GIL while waiting, it could never answer."""

    def __init__(self) -> None:
        self.answers: List[Tuple[int, Dict[str, str], Dict[str, Any], float]] = []
        self.requests: List[Dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                fake.requests.append({k.lower(): v for k, v in self.headers.items()})
                status, headers, body, delay = fake.answers.pop(0)
                time.sleep(delay)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def client(self, **options: Any) -> KompliantClient:
        return KompliantClient("ak_fake", base64.b64encode(b"k" * 32).decode(), "tok_fake", base_url=self.url, **options)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SUCCESS = {"meta": {"status": "SUCCESS", "trace_id": "trc_fake"}, "data": {"current_version": "2025-03-24", "latest_version": "2026-01-01"}}


@pytest.fixture
def fake() -> Iterator[FakeKompliant]:
    server = FakeKompliant()
    try:
        yield server
    finally:
        server.close()


class DictGuard:
    """A guard written in Python (what a user plugs in for their own store), following the
    fenced ``Guard`` protocol: the value of an id is ``"done"`` or the holder's token (leases
    are not kept: nothing lapses here)."""

    def __init__(self) -> None:
        self.state: Dict[str, str] = {}
        self.calls: List[str] = []
        self.lock = threading.Lock()
        self.fail_release = False

    def claim(self, webhook_id: str, token: str, lease: float, /) -> str:
        with self.lock:
            self.calls.append(f"claim {webhook_id} {lease}")
            current = self.state.get(webhook_id)
            if current == "done":
                return "ALREADY_COMPLETED"
            if current is not None:
                return "IN_PROGRESS"
            self.state[webhook_id] = token
            return "ACQUIRED"

    def renew(self, webhook_id: str, token: str, lease: float, /) -> str:
        with self.lock:
            self.calls.append(f"renew {webhook_id}")
            return "HELD" if self.state.get(webhook_id) == token else "LOST"

    def complete(self, webhook_id: str, token: str, /) -> str:
        with self.lock:
            self.calls.append(f"complete {webhook_id}")
            if self.state.get(webhook_id, token) != token:
                return "LOST"
            self.state[webhook_id] = "done"
            return "HELD"

    def release(self, webhook_id: str, token: str, /) -> str:
        with self.lock:
            self.calls.append(f"release {webhook_id}")
            if self.fail_release:
                raise ConnectionError("store at redis://:hunter2@10.0.0.1 unreachable")
            if self.state.get(webhook_id) != token:
                return "LOST"
            del self.state[webhook_id]
            return "HELD"


def assert_a_slow_handler_runs_once(guard: Any, sealer: Sealer, lease: Optional[float] = 1) -> None:
    """The issue's run, for any shared guard, through the Flask adapter: a redelivery arriving
    at 1.5 s, while the first attempt's 3 s handler runs past its 1 s lease, is answered 503
    IN_PROGRESS (the core's renewal thread kept the claim through the Python guard), the
    handler runs once, and a later redelivery is answered 200 without running it. ``lease``
    is the adapter's (``None``: the default 5 minutes, for a guard with its own 1 s lease)."""
    from flask import Flask

    from kompliant_webhooks import Webhook
    from kompliant_webhooks.flask import webhook_view

    handled: List[str] = []
    started = threading.Event()
    app = Flask(__name__)

    @app.post("/webhooks")
    @webhook_view(receiver_for(sealer), guard=guard, lease=lease)
    def on_webhook(webhook: Webhook) -> None:
        handled.append(webhook.id)
        started.set()
        time.sleep(3)

    answers: List[int] = []
    first = threading.Thread(
        target=lambda: answers.append(app.test_client().post("/webhooks", data=sealer.body()).status_code)
    )
    first.start()
    assert started.wait(5)
    time.sleep(1.5)
    redelivery = app.test_client().post("/webhooks", data=sealer.body(retry_count=1))
    assert (redelivery.status_code, redelivery.get_data(as_text=True)) == (
        503, "webhook is being processed; retry later")
    first.join(10)
    assert answers == [200] and handled == [METADATA["id"]]
    later = app.test_client().post("/webhooks", data=sealer.body(retry_count=2))
    assert later.status_code == 200 and handled == [METADATA["id"]]
