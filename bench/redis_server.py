"""A throw-away ``redis-server`` for the Redis-engine rows: loopback, its own folder, no persistence."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .servers import free_port

REDIS_SERVER = "redis-server"


def find_redis_server() -> str | None:
    """The path of ``redis-server`` (Debian's package installs /usr/bin/redis-server), or None."""
    return shutil.which(REDIS_SERVER)


def redis_command(executable: str, port: int, directory: Path) -> list[str]:
    """``redis-server`` on 127.0.0.1:``port`` writing nothing to disk (no snapshots, no append-only file)."""
    return [
        executable,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(directory),
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--logfile",
        "",
    ]


class RedisServer:
    """One ``redis-server`` process on a free loopback port, stopped by its process id."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self._directory = tempfile.TemporaryDirectory(prefix="mockserver-bench-redis-")
        self.log_path = Path(self._directory.name) / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``--state`` value that points ``mockserver serve`` at database 0 of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers ``PING``."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                redis_command(self.executable, self.port, Path(self._directory.name)),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited at start: {self.last_log_line()}")
            if self._pings():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer PING within {timeout_s:.0f} s")

    def _pings(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def last_log_line(self) -> str:
        """The last line the server logged (why it would not start)."""
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "no log"

    def stop(self) -> None:
        """SIGTERM to its process id, SIGKILL after five seconds; then remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._directory.cleanup()
