"""How the SDK's Python decrypt scales from 1 to 2 threads sharing one receiver, on one
fixture directory (tests/bench/fixtures.py; ``DIR/people`` is the many-small-objects shape).

    python tests/bench/threads_python.py DIR [SIZE ...]

Prints, per size, the speedup of 2 threads over 1 (same total work; 2.0 is perfect).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from kompliant_webhooks import Keyring, WebhookReceiver


def run(receiver: WebhookReceiver, body: bytes, calls: int, threads: int) -> float:
    def work() -> None:
        for _ in range(calls // threads):
            receiver.decrypt(body).payload

    pool = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    directory = Path(sys.argv[1])
    sizes = sys.argv[2:] or ["16k", "256k", "4m"]
    key = json.loads((directory / "key.json").read_text())
    keyring = Keyring()
    keyring.add(key["key_id"], key["secret"])
    receiver = WebhookReceiver(keyring)
    for size in sizes:
        body = (directory / f"{size}.body.json").read_bytes()
        run(receiver, body, 4, 1)  # warm-up (caches, allocator)
        probe = 8
        while (elapsed := run(receiver, body, probe, 1)) < 0.05:
            probe *= 4
        # About 0.5 s per timed run, an even count.
        calls = max(2, 2 * round(0.25 * probe / elapsed))
        best = {1: float("inf"), 2: float("inf")}
        for _ in range(5):  # interleaved rounds, best of five each
            for threads in (1, 2):
                best[threads] = min(best[threads], run(receiver, body, calls, threads))
        print(f"{directory.name}/{size}: {calls} decrypts, 1 thread {best[1]:.3f} s, "
              f"2 threads {best[2]:.3f} s, scaling {best[1] / best[2]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
