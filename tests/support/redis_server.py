"""A real ``redis-server`` for the tests: on a free loopback port, in a temporary folder, stopped
by its PID. Tests that need one are marked ``redis``; without the binary they are skipped with
the exact install line, and ``make test`` (CI) fails when any was skipped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from .serve import free_port

INSTALL = "install Redis 7: apt-get install -y redis-server (Debian's package)"
BINARY = shutil.which("redis-server") or "/usr/bin/redis-server"


def available() -> bool:
    """Whether a redis-server binary is on this machine."""
    return os.access(BINARY, os.X_OK)


class RedisServer:
    """One redis-server process; :meth:`stop` and :meth:`start` again keep its port and data."""

    def __init__(self, *, persist: bool = False) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="mockserver-redis-"))
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start it and wait until it answers PING."""
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder), "--save", "",
             *persistence, "--daemonize", "no", "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "redis.log").read_text()
                    raise RuntimeError(f"redis-server did not start: {log}") from None
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        """Stop it by its PID and wait for it to go."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def flush(self) -> None:
        """Empty every database (between tests sharing one server)."""
        client = redis.Redis(port=self.port)
        client.flushall()
        client.close()

    def close(self) -> None:
        """Stop it and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
