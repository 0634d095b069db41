"""``mockserver`` as a user runs it: a real process on loopback, started and stopped by the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping

import httpx

from mockserver.admin_guard import TOKEN_ENV

# Warnings off so that stderr holds only what the server itself says; unbuffered so that its
# printed URLs arrive while it runs, not when it exits.
# No MOCKSERVER_* settings of the caller's (a run on the Redis engine sets MOCKSERVER_STATE):
# each test says what its server gets.
ENV = {
    **{name: value for name, value in os.environ.items() if not name.startswith("MOCKSERVER_")},
    "PYTHONWARNINGS": "ignore",
    "PYTHONUNBUFFERED": "1",
}
# Without the admin token a server on loopback needs none, and one beyond it makes its own.
ENV_WITHOUT_ADMIN_TOKEN = {name: value for name, value in ENV.items() if name != TOKEN_ENV}
COMMAND = [sys.executable, "-m", "mockserver"]


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``mockserver *args`` run to its end, its output captured."""
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=ENV, timeout=timeout)


def start(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdout: int = subprocess.PIPE,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[str]:
    """``mockserver serve *args`` started, its stderr (and by default stdout) piped."""
    return subprocess.Popen(
        [*COMMAND, "serve", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV if env is None else env,
        preexec_fn=preexec_fn,
    )


def read_until(process: subprocess.Popen[str], marker: str = "/__admin", timeout: float = 30) -> list[str]:
    """Lines the server printed up to and including the first holding ``marker``.

    A server that never prints it is killed, and the error carries its stderr.
    """
    assert process.stdout is not None
    lines: list[str] = []
    # A server that prints nothing more would block readline for ever: the watchdog's kill ends its output.
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    try:
        for line in iter(process.stdout.readline, ""):
            lines.append(line.rstrip("\n"))
            if marker in line:
                return lines
    finally:
        watchdog.cancel()
    process.kill()
    raise AssertionError(f"server never printed {marker!r}; got {lines}; stderr: {process.communicate()[1]}")


def serve(*args: str, env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen[str], list[str]]:
    """``mockserver serve *args`` started; the process and what it printed up to the control plane's URL."""
    process = start(*args, env=env)
    return process, read_until(process)


def wait_healthy(process: subprocess.Popen[str], base: str, timeout: float = 20) -> None:
    """Returns once the control plane at ``base`` answers its health check; else kills the process and raises."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/__admin/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server never became healthy; stderr: {process.communicate()[1]}")


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Terminates the server; what it printed since last read, on stdout and on stderr."""
    process.terminate()
    stdout, stderr = process.communicate(timeout=15)
    return stdout or "", stderr or ""
