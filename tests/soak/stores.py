"""The soak run's private stores (scripts/soak): a redis-server and a PostgreSQL server the
driver starts itself on free loopback ports, so that it can SIGKILL them mid-run and restart
them on the same port and data, and always stops them (also on a failure or Ctrl-C).

Both are configured to keep every write they acknowledged across a SIGKILL of the server, as
a production store must for the guard's figures to hold:

- redis-server with ``appendonly yes`` and ``appendfsync always`` (each write reaches the
  append-only file before it is answered). Without persistence a restart forgets every
  processed id, and any redelivery still pending runs its handler again: no bound smaller
  than "every webhook completed before the restart" holds then (docs/security.md).
- PostgreSQL 15 with ``synchronous_commit=on`` (the default: a commit is answered once its
  WAL is written) and ``fsync=off``: the soak kills processes, not the machine, and what a
  process wrote reaches the kernel's page cache, which a SIGKILL does not lose; only a power
  loss would. A kill is a crash: the postmaster and every backend are killed at once (their
  own process group), and the restart runs crash recovery.

The binaries are the ones the suites use (``redis-server`` on PATH, the newest
``/usr/lib/postgresql/*/bin``); scripts/soak installs them. PostgreSQL never runs as root:
as root, its cluster belongs to the package's ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class StoreServer:
    """One private server: ``start`` (first start or restart on the same port and data),
    ``kill`` (SIGKILL, a crash), ``stop`` (at the end; removes the data)."""

    name = "store"
    #: The signal of a clean stop (PostgreSQL: SIGINT, its fast shutdown).
    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: Optional["subprocess.Popen[bytes]"] = None
        self.dir = Path(tempfile.mkdtemp(prefix=f"kompliant-soak-server-{self.name}."))
        self.kills = 0

    def _spawn(self) -> "subprocess.Popen[bytes]":
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    def log_tail(self) -> str:
        return ""

    def start(self, timeout: float = 60) -> None:
        """Starts the server (again) and waits until it answers; raises RuntimeError if not."""
        for _ in range(3):  # a restart may race the killed server's last exit
            self.proc = self._spawn()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self._ready():
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            self._kill_group()
            time.sleep(0.5)
        raise RuntimeError(f"could not start the private {self.name} server:\n{self.log_tail()}")

    def _kill_group(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the server and its children
            except ProcessLookupError:
                pass
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the server (and, for PostgreSQL, every backend): a crash, nothing flushed."""
        self._kill_group()
        self.kills += 1

    def stop(self) -> None:
        """Stops the server if it runs and removes its data."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self._kill_group()
            else:
                self._kill_group()  # backends left behind, if any
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer(StoreServer):
    """redis-server with an append-only file fsynced at every write (see the module docs)."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self) -> "subprocess.Popen[bytes]":
        return subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.dir),
             "--daemonize", "no", "--logfile", str(self.dir / "redis.log")],
            start_new_session=True, stdin=subprocess.DEVNULL,
        )

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                # While it loads the append-only file it answers -LOADING.
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def log_tail(self) -> str:
        try:
            return "\n".join((self.dir / "redis.log").read_text().splitlines()[-20:])
        except OSError:
            return ""

    def version(self) -> str:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
        return next((w[2:] for w in out.split() if w.startswith("v=")), "?")


def postgres_bindir() -> str:
    """The newest installed PostgreSQL server's binaries."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    for d in reversed(dirs):
        if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/postgres", os.X_OK):
            return d
    raise RuntimeError("no PostgreSQL server found under /usr/lib/postgresql (scripts/soak installs it)")


class PostgresServer(StoreServer):
    """A throwaway PostgreSQL cluster, durable against a process crash (see the module docs)."""

    name = "postgres"
    stop_signal = signal.SIGINT

    def __init__(self) -> None:
        super().__init__()
        self.bin = postgres_bindir()
        self.owner: Dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self.owner = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            os.chmod(self.dir, 0o755)
        (self.dir / "data").mkdir()
        (self.dir / "socket").mkdir()
        if self.owner:
            for p in (self.dir / "data", self.dir / "socket"):
                os.chown(p, self.owner["user"], self.owner["group"])
        with open(self.dir / "initdb.log", "wb") as out:
            done = subprocess.run([f"{self.bin}/initdb", "-D", str(self.dir / "data"), "-U", "postgres",
                                   "--auth=trust", "-E", "UTF8", "--no-instructions"],
                                  stdout=out, stderr=subprocess.STDOUT, **self.owner)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{(self.dir / 'initdb.log').read_text()[-2000:]}")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _spawn(self) -> "subprocess.Popen[bytes]":
        log = open(self.dir / "postgres.log", "ab")  # noqa: SIM115 (the child keeps it)
        try:
            return subprocess.Popen(
                [f"{self.bin}/postgres", "-D", str(self.dir / "data"), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir / 'socket'}",
                 "-c", "fsync=off", "-c", "synchronous_commit=on", "-c", "max_connections=300"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                **self.owner,
            )
        finally:
            log.close()

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=1) as conn:
                conn.execute("SELECT 1")
                return True
        except psycopg.Error:
            return False

    def log_tail(self) -> str:
        try:
            return "\n".join((self.dir / "postgres.log").read_text().splitlines()[-20:])
        except OSError:
            return ""

    def version(self) -> str:
        out = subprocess.run([f"{self.bin}/postgres", "--version"], capture_output=True, text=True).stdout
        return out.split()[2] if len(out.split()) > 2 else "?"  # "postgres (PostgreSQL) 15.x (Debian …)"


def stop_all(servers: List[StoreServer]) -> None:
    for server in servers:
        server.stop()
