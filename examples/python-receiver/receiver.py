#!/usr/bin/env python3
"""A small FastAPI receiver for Kompliant webhooks that logs every decrypted event.

    pip install ./python fastapi uvicorn
    python examples/python-receiver/receiver.py --keys keys.json --port 8080
    # listening on http://127.0.0.1:8080      (POST webhooks to /webhooks)

It follows a keyring file (``Keyring.watch``): the file ``add_to_keyring_file``,
``rotate_webhook_key(store=...)`` or ``kompliant keys rotate --keyring`` write, so a key
rotated by another process is used without a restart (reloads and a file that became invalid
are logged by the ``kompliant_webhooks`` logger). Each decrypted webhook is logged as one
line on stdout::

    webhook wh_... WORKFLOW_CREATED key=whk_20251121_01 retry=0 account=sb_... workflow_id=w_...

A refused webhook is answered with the SDK's suggested status (503 for an unknown key, so
Kompliant redelivers; 400 forged or malformed) and logged as ``refused <CODE> <reason>``.
Redeliveries of a webhook already handled are acknowledged and logged as ``duplicate``:
delivery is at-least-once, so receivers deduplicate by id (here in memory; use your database
in production).
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
from typing import Dict, List, Optional

import uvicorn
from fastapi import FastAPI, Request, Response

from kompliant_webhooks import (
    Keyring,
    PayloadSchemaMismatchError,
    SubjectRecordDataUpdated,
    Webhook,
    WebhookError,
    WebhookReceiver,
    WorkflowEvent,
)
from kompliant_webhooks.starlette import read_webhook, refusal_response

log = logging.getLogger("python-receiver")


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


def create_app(keyring: Keyring) -> FastAPI:
    """The receiver application: ``POST /webhooks`` and ``GET /health``."""
    receiver = WebhookReceiver(keyring)
    seen = RecentIds()
    app = FastAPI(title="Kompliant webhook receiver (example)")

    @app.post("/webhooks")
    async def on_webhook(request: Request) -> Response:
        try:
            webhook = await read_webhook(request, receiver)  # the raw body, as received
        except WebhookError as error:
            log.warning("refused %s %s (answered %d)", error.code, error, error.http_status)
            return refusal_response(error)
        if seen.add(webhook.id):
            log.info(describe(webhook))
        else:
            log.info("duplicate %s retry=%d: already handled", webhook.id, webhook.retry_count)
        return Response(status_code=200)

    @app.get("/health")
    async def health() -> Dict[str, object]:
        return {"status": "ok", "key_ids": receiver.keyring.key_ids()}

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
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8080")),
        help="port (0: any free port; default: $PORT or 8080)",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    # Follows the file: a key another process adds (a rotation) is used at once, no restart.
    keyring = Keyring.watch(args.keys)
    app = create_app(keyring)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)  # connections wait in the backlog until the server accepts them
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    log.info("keys: %s (following %s)", ", ".join(keyring.key_ids()), args.keys)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
