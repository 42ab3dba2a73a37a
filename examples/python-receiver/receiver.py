#!/usr/bin/env python3
"""A small FastAPI receiver for Kompliant webhooks that logs every decrypted event.

    pip install ./python fastapi uvicorn
    python examples/python-receiver/receiver.py --keys keys.json --port 8080
    # listening on http://127.0.0.1:8080      (POST webhooks to /webhooks)

It loads its keys from a keyring file (``{"whk_20251121_01": "<base64 secret>", ...}``, as
written by ``add_to_keyring_file``, ``rotate_webhook_key(store=...)`` or ``kompliant keys
create --keyring``) and reloads the file when it changes, so a rotated key is used without a
restart. Each decrypted webhook is logged as one line on stdout::

    webhook wh_... WORKFLOW_CREATED key=whk_20251121_01 retry=0 account=sb_... workflow_id=w_...

Refused webhooks are answered with the SDK's suggested status (503 for an unknown key, so
Kompliant redelivers; 400 forged or malformed) and logged by the ``kompliant_webhooks``
logger. Redeliveries of a webhook already handled are acknowledged and logged as
``duplicate``: delivery is at-least-once, so receivers deduplicate by id (here in memory;
use your database in production).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import uvicorn
from fastapi import Depends, FastAPI, Response

from kompliant_webhooks import (
    Keyring,
    PayloadSchemaMismatchError,
    SubjectRecordDataUpdated,
    Webhook,
    WebhookError,
    WebhookReceiver,
    WorkflowEvent,
)
from kompliant_webhooks.starlette import WebhookDependency

log = logging.getLogger("python-receiver")


class KeyringFileReceiver:
    """A :class:`WebhookReceiver` over a keyring file, rebuilt whenever the file changes
    (a rotation writes the new key there before activating it). A file that became
    unreadable or invalid keeps the previous keys, with a warning."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._receiver = WebhookReceiver(Keyring.from_file(path))

    def _file_stamp(self) -> Optional[Tuple[int, int, int]]:
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    @property
    def key_ids(self) -> List[str]:
        """The key ids currently loaded."""
        return self._receiver.keyring.key_ids()

    @property
    def max_body_bytes(self) -> int:
        """The receiver's body limit (the adapter reads at most one byte more)."""
        return self._receiver.max_body_bytes

    def decrypt(self, body: bytes) -> Webhook:
        """Reloads the keyring file if it changed, then verifies and decrypts ``body``."""
        self._refresh()
        return self._receiver.decrypt(body)

    def _refresh(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                self._receiver = WebhookReceiver(Keyring.from_file(self._path))
            except WebhookError as error:
                log.warning("keeping the previous keys: %s: %s", error.code, error)
            else:
                log.info("keys reloaded: %s", ", ".join(self.key_ids))
            self._stamp = stamp


class RecentIds:
    """The ids of the last ``capacity`` webhooks handled (thread-safe)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._ids: "OrderedDict[str, None]" = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, webhook_id: str) -> bool:
        """Records ``webhook_id``; False if it was already there."""
        with self._lock:
            if webhook_id in self._ids:
                return False
            self._ids[webhook_id] = None
            if len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return True


def describe(webhook: Webhook) -> str:
    """One log line for a decrypted webhook: metadata and the typed view's main fields
    (never the whole payload: it may hold personal data)."""
    line = (
        f"webhook {webhook.id} {webhook.event_type} key={webhook.key_id} "
        f"retry={webhook.retry_count} account={webhook.account_id}"
    )
    try:
        event = webhook.event()
    except PayloadSchemaMismatchError as error:
        # Authentic but not the documented shape: redelivering would not help, so it is
        # acknowledged and flagged for a look.
        return f"{line} unexpected-payload ({error})"
    if isinstance(event, WorkflowEvent):
        return f"{line} workflow_id={event.workflow_id} workflow_type={event.workflow_type}"
    if isinstance(event, SubjectRecordDataUpdated):
        kinds = {
            "business": event.entities.business,
            "persons": event.entities.persons,
            "bank_accounts": event.entities.bank_accounts,
            "sales_info": event.entities.sales_info,
        }
        changed = ",".join(f"{kind}:{len(items)}" for kind, items in kinds.items() if items)
        return f"{line} subject_record_id={event.subject_record_id} entities={changed or '-'}"
    return f"{line} payload_fields={','.join(sorted(webhook.payload)) or '-'}"


def create_app(keys: Path) -> FastAPI:
    """The receiver application: ``POST /webhooks`` and ``GET /health``."""
    receiver = KeyringFileReceiver(keys)
    seen = RecentIds()
    verified_webhook = WebhookDependency(receiver)
    app = FastAPI(title="Kompliant webhook receiver (example)")

    @app.post("/webhooks")
    async def on_webhook(webhook: Webhook = Depends(verified_webhook)) -> Response:
        if seen.add(webhook.id):
            log.info(describe(webhook))
        else:
            log.info("duplicate %s retry=%d: already handled", webhook.id, webhook.retry_count)
        return Response(status_code=200)

    @app.get("/health")
    async def health() -> Dict[str, object]:
        return {"status": "ok", "key_ids": receiver.key_ids}

    log.info("keys: %s", ", ".join(receiver.key_ids) or "(none)")
    return app


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the receiver until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keys",
        type=Path,
        default=Path(os.environ.get("KOMPLIANT_KEYRING_FILE", "keys.json")),
        help="keyring file (default: $KOMPLIANT_KEYRING_FILE or keys.json)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port; default 8080)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    app = create_app(args.keys)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
