"""Starting, probing and stopping the servers under test: ``mockserver serve`` and Prism's mock."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PRISM_DIR = ROOT / "bench" / ".prism"
PRISM_PACKAGE = "@stoplight/prism-cli@5.14.2"
PRISM_ENTRY = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"

Log = Callable[[str], None]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One server process under test."""

    name: str  # row label
    command: list[str]
    port: int
    prefix: str  # path prefix of the API under test ("/vcita" here, "" for Prism)
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        """Start the process, its output going to ``log_path``."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child keeps writing to it
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            cwd=ROOT,
        )
        log.close()
        return self

    def wait_ready(self, probe_path: str, timeout_s: float = 60.0) -> float:
        """Wait until ``GET probe_path`` answers (any status); answers the seconds it took."""
        deadline = time.perf_counter() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
                try:
                    client.get(self.base_url + probe_path)
                    return time.perf_counter() - self.started_at
                except httpx.TransportError:
                    time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer within {timeout_s:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after five seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def mockserver_command(port: int, *extra: str) -> list[str]:
    """``mockserver serve`` from this checkout's virtual environment (or PATH)."""
    executable = ROOT / ".venv" / "bin" / "mockserver"
    program = str(executable) if executable.exists() else (shutil.which("mockserver") or "mockserver")
    return [program, "serve", "--host", "127.0.0.1", "--port", str(port), *extra]


def ensure_prism(log: Log) -> Path:
    """Prism's CLI entry point, installed into ``bench/.prism`` with npm on first use."""
    if PRISM_ENTRY.exists():
        return PRISM_ENTRY
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed; Prism cannot be installed (or run with --skip-prism)")
    log(f"installing Stoplight Prism ({PRISM_PACKAGE}) into {PRISM_DIR.relative_to(ROOT)} with npm ...")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", "--loglevel=error", PRISM_PACKAGE],
        check=True,
        capture_output=True,
    )
    if not PRISM_ENTRY.exists():
        raise RuntimeError(f"npm finished but {PRISM_ENTRY} is missing")
    return PRISM_ENTRY


def prism_command(entry: Path, spec: Path, port: int, silent: bool) -> list[str]:
    """Prism's static mock of ``spec`` on loopback; ``silent`` adds ``-v silent``."""
    node = shutil.which("node") or "node"
    command = [node, str(entry), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]
    return [*command, "-v", "silent"] if silent else command
