#!/usr/bin/env python3
"""An independent client and receiver, written from the spec alone (stdlib + `cryptography`),
driven against a running `kompliant sim`. They share no code with the Rust core: if they
agree with the simulator, the simulator speaks the documented protocol.

Usage: independent.py  (reads KOMPLIANT_BASE_URL, KOMPLIANT_API_KEY, KOMPLIANT_SECRET_KEY,
KOMPLIANT_AUTH_TOKEN, KOMPLIANT_ACCOUNT_ID from the environment, as written by
`kompliant sim --env-file`). Exits 1 on the first disagreement.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import queue
import re
import sys
import threading
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BASE = os.environ["KOMPLIANT_BASE_URL"].rstrip("/")
API_KEY = os.environ["KOMPLIANT_API_KEY"]
SECRET_KEY = os.environ["KOMPLIANT_SECRET_KEY"]
AUTH_TOKEN = os.environ["KOMPLIANT_AUTH_TOKEN"]
ACCOUNT = os.environ["KOMPLIANT_ACCOUNT_ID"]
META_FIELDS = ("id", "event_type", "timestamp", "account_id", "schema_version", "key_id")
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"interop: FAIL - {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1


def signature(api_key, secret_key_b64):
    """Spec §5: base64(HMAC-SHA256(key=b64decode(secret_key), msg=api_key))."""
    mac = hmac.new(base64.b64decode(secret_key_b64), api_key.encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def call(method, body, sig=None):
    req = urllib.request.Request(
        f"{BASE}/{method}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-API-Key": API_KEY,
            "X-API-Auth-Token": AUTH_TOKEN,
            "X-API-Signed-Elements": "API-Key",
            "X-API-Version": "2025-03-24",
            "Authorization": "KSig1-HMAC-SHA256 " + (sig or signature(API_KEY, SECRET_KEY)),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def ok(method, body):
    status, doc = call(method, body)
    check(status == 200 and doc["meta"]["status"] == "SUCCESS", f"{method}: {status} {doc}")
    check(doc["meta"]["trace_id"].startswith("trc_"), f"{method}: trace id")
    return doc["data"]


def open_webhook(body, keys):
    """Spec §2: decrypt an envelope with nothing but the documented construction."""
    env = json.loads(body)
    raw = base64.b64decode(env["data"], validate=True)
    aad = "|".join(env[f] for f in META_FIELDS).encode("utf-8")
    plaintext = AESGCM(keys[env["key_id"]]).decrypt(raw[:12], raw[12:], aad)
    return env, json.loads(plaintext)


deliveries = queue.Queue()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        deliveries.put(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"

    status, doc = call("webhook.key.get", {"key_id": "whk_20250101_01"}, sig=signature(API_KEY, base64.b64encode(b"x" * 32).decode()))
    check(status == 401, f"a wrong signature is refused with 401, got {status}")

    check(ok("meta.checkVersion", {})["current_version"] == "2025-03-24", "checkVersion")
    keys = {}
    first = ok("webhook.key.create", {"account_id": ACCOUNT})
    check(re.fullmatch(r"whk_\d{8}_\d{2,}", first["key_id"]) is not None, f"key id format {first['key_id']}")
    check(first["status"] == "INACTIVE", "a new key is INACTIVE")
    keys[first["key_id"]] = base64.b64decode(first["shared_secret"])
    check(len(keys[first["key_id"]]) == 32, "the shared secret is 32 bytes")
    check(ok("webhook.key.activate", {"key_id": first["key_id"]})["status"] == "ACTIVE", "activate")
    got = ok("webhook.key.get", {"key_id": first["key_id"]})
    check("shared_secret" not in got and got["status"] == "ACTIVE", "get never returns the secret")
    config_id = ok("webhook.config.create", {"account_id": ACCOUNT, "config": {"url": url}})["config_id"]
    check(config_id.startswith("whc_"), "config id")

    def trigger_and_open(event_type):
        webhook_id = ok("sim.event.trigger", {"event_type": event_type})["webhook_id"]
        body = deliveries.get(timeout=15)
        env, payload = open_webhook(body, keys)
        check(env["id"] == webhook_id and env["event_type"] == event_type, "delivered the triggered event")
        check(env["account_id"] == ACCOUNT and env["retry_count"] == 0, "metadata")
        check(payload["version"] == "1.0" and payload["subject_record_id"].startswith("sr_"), "payload 1.0")
        return env, payload

    env, payload = trigger_and_open("WORKFLOW_CREATED")
    check(env["key_id"] == first["key_id"] and payload["workflow_id"].startswith("w_"), "workflow payload")
    _, payload = trigger_and_open("SUBJECT_RECORD_DATA_UPDATED")
    check(set(payload["entities"]) >= {"business", "persons", "bank_accounts", "sales_info"}, "entities")

    second = ok("webhook.key.create", {"account_id": ACCOUNT})
    keys[second["key_id"]] = base64.b64decode(second["shared_secret"])
    activated = ok("webhook.key.activate", {"key_id": second["key_id"]})
    old = ok("webhook.key.get", {"key_id": first["key_id"]})
    check(old["status"] == "DELETED" and old["deleted_at"] == activated["activated_at"], "rotation deletes the old key atomically")
    env, _ = trigger_and_open("WORKFLOW_COMPLETED")
    check(env["key_id"] == second["key_id"], "new events use the new key")
    status, doc = call("webhook.key.activate", {"key_id": first["key_id"]})
    check(status == 400 and doc["errors"][0]["code"] == "SYSTEM_RULE_VIOLATION", "a DELETED key never comes back")

    server.shutdown()
    print(f"interop: PASS - {checks} checks (independent client and receiver agree with the simulator)")


if __name__ == "__main__":
    main()
