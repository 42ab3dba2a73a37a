"""The receiver fleet of one soak run (tests/soak/soak.py) and the kills that strike it: the
receiver processes (tests/soak/fleet_receiver.py) on one listening socket the driver keeps
open, their journals (which handlers are in flight), and the store and receiver kills with
the handlers each put at risk: the bound the driver enforces on double-processed ids.
"""

from __future__ import annotations

import argparse
import collections
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

from stores import StoreServer

HERE = Path(__file__).resolve().parent
#: How late a receiver's "timeout" failure answers (the simulator's delivery timeout is 300 ms).
LATE_S = 0.45
#: The effects table of the postgres-tx store.
EFFECTS_TABLE = "soak_effects"

Counts = Dict[str, "collections.Counter[str]"]


def log(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


def read_journal(path: Path) -> Counts:
    """A receiver's journal as counters by line kind: A (claim acquired), E (effect written),
    F (claim completed or released: the store answered), X (complete or release raised)
    count webhook ids, D (duplicate kept from the handler) claim answers, R (refused) error
    codes. A line still being written is left for the next read."""
    counts: Counts = {kind: collections.Counter() for kind in "AEFXDR"}
    try:
        text = path.read_text()
    except FileNotFoundError:
        return counts
    for line in text.split("\n")[:-1]:
        kind, _, webhook_id = line.partition(" ")
        if kind in counts:
            counts[kind][webhook_id] += 1
    return counts


def in_flight(acquired: "collections.Counter[str]", finished: "collections.Counter[str]") -> "collections.Counter[str]":
    """Handlers claimed and not finished, by id."""
    return collections.Counter({w: a - finished[w] for w, a in acquired.items() if a > finished[w]})


class Fleet:
    """The receiver processes of one store's run, on one listening socket the driver keeps
    open (so a replacement can serve it)."""

    def __init__(self, work: Path, keyring: Path, store: str, url: str, namespace: str, args: argparse.Namespace,
                 slow: bool) -> None:
        self.work = work
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port: int = self.listener.getsockname()[1]
        self.common = [
            "--fd", str(self.listener.fileno()), "--keyring", str(keyring), "--state", str(work), "--store", store,
            "--url", url, "--namespace", namespace, "--lease", str(args.lease), "--late", str(LATE_S),
            "--slow", str(args.slow if slow else 0.0), "--slow-seconds", str(args.slow_seconds),
        ]
        if args.no_renew:
            self.common.append("--no-renew")
        if store == "postgres-tx":
            self.common += ["--effects-table", EFFECTS_TABLE]
        else:
            self.common += ["--effects", str(work / "effects.log")]
        self.seed = args.seed
        self.procs: Dict[str, "subprocess.Popen[bytes]"] = {}
        self.killed: List[str] = []

    def spawn(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(
            [sys.executable, str(HERE / "fleet_receiver.py"), "--name", name, "--seed",
             str(self.seed + len(self.procs)), *self.common],
            pass_fds=[self.listener.fileno()],
        )

    def wait_ready(self, names: List[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not all((self.work / f"{m}.ready").exists() for m in names):
            dead = [m for m in names if self.procs[m].poll() is not None]
            if dead:
                raise SystemExit(f"soak: FAIL - receiver {dead} exited before it was ready")
            if time.monotonic() > deadline:
                raise SystemExit("soak: FAIL - timed out waiting for the receivers")
            time.sleep(0.02)

    def alive(self) -> List[str]:
        return [m for m, p in self.procs.items() if p.poll() is None]

    def mark(self, line: str) -> None:
        """Appends a line to every receiver's journal (where a kill falls, for the reader)."""
        for m in self.alive():
            with open(self.work / f"{m}.journal", "a") as f:
                f.write(f"{line} {time.time():.3f}\n")

    def journal(self, name: str) -> Counts:
        return read_journal(self.work / f"{name}.journal")

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.listener.close()

    def kill_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        self.listener.close()


class Faults:
    """The kills of one store's run and the handlers each put at risk (by id: how many kills
    found it in flight)."""

    def __init__(self, fleet: Fleet, server: StoreServer, outage: float) -> None:
        self.fleet = fleet
        self.server = server
        self.outage = outage
        self.at_risk: "collections.Counter[str]" = collections.Counter()
        self.store_kills: List[int] = []  # handlers in flight at each
        self.receiver_kills: List[Tuple[int, int]] = []  # (in flight, of which effect written)
        self.replacements = 0

    def _wait_in_flight(self, names: List[str], need_effect: bool, timeout: float = 5) -> str:
        """Waits (at most ``timeout``) until one of ``names`` has a handler in flight (with its
        effect written, if ``need_effect``), so the kill lands mid-handler; returns that one
        (or the first, if none had by then)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in names:
                j = self.fleet.journal(m)
                running = in_flight(j["A"], j["F"] + j["X"])
                if any(not need_effect or j["E"][w] >= j["A"][w] for w in running):
                    return m
            time.sleep(0.01)
        return names[0]

    def kill_store(self) -> None:
        names = list(self.fleet.procs)
        self._wait_in_flight(self.fleet.alive(), need_effect=False)
        self.server.kill()
        self.fleet.mark("K store")
        # Finished = completed or released with the store's answer, so before the kill (an
        # X line, written once the store is gone, is no finish).
        finished = {m: self.fleet.journal(m)["F"] for m in names}
        time.sleep(self.outage)
        # No claim succeeds while the store is down: every handler acquired by now was
        # acquired before the kill; in flight at the kill = acquired, not finished by then.
        acquired = {m: self.fleet.journal(m)["A"] for m in names}
        risk: "collections.Counter[str]" = collections.Counter()
        for m in names:
            risk.update(in_flight(acquired[m], finished[m]))
        self.server.start()
        self.fleet.mark("S store")
        self.at_risk.update(risk)
        self.store_kills.append(sum(risk.values()))
        log(f"killed the {self.server.name} server (SIGKILL) with {sum(risk.values())} handlers in flight; "
            f"restarted it after {self.outage:.1f}s")

    def kill_receiver(self) -> None:
        alive = self.fleet.alive()
        if not alive:
            raise RuntimeError("no receiver left alive to kill (interrupted?)")
        # The first receiver found with a handler in flight whose effect is written.
        victim = self._wait_in_flight(alive, need_effect=True)
        self.fleet.procs[victim].kill()
        self.fleet.procs[victim].wait()
        self.fleet.killed.append(victim)
        j = self.fleet.journal(victim)
        risk = in_flight(j["A"], j["F"] + j["X"])
        with_effect = sum(1 for w in risk if j["E"][w] >= j["A"][w])
        self.at_risk.update(risk)
        self.receiver_kills.append((sum(risk.values()), with_effect))
        self.replacements += 1
        replacement = f"receiver-{chr(ord('b') + self.replacements)}"
        self.fleet.spawn(replacement)
        log(f"killed {victim} (SIGKILL) with {sum(risk.values())} handlers in flight "
            f"({with_effect} with their effect written); started {replacement}")
