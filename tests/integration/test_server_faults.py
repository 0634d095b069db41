"""``mockserver serve`` under faults: a stop while a body is still arriving, and running out of descriptors."""

from __future__ import annotations

import resource
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from support.serve import free_port, run, start, wait_healthy


def start_served(*args: str, preexec_fn: Callable[[], None] | None = None) -> tuple[subprocess.Popen[str], str]:
    """A served fake on a free port, once it answers; its base URL."""
    port = free_port()
    process = start("--port", str(port), *args, stdout=subprocess.DEVNULL, preexec_fn=preexec_fn)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(process, base)
    return process, base


@pytest.fixture
def cleanup() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


HALF_BODY = b'{"api": "vcita", "state": "' + b"x" * 100
REST_OF_BODY = b"x" * (400 - len(HALF_BODY) - 2) + b'"}'


def half_sent_request(base: str) -> socket.socket:
    """A connection that sent a POST's headers and half its body, and then nothing."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        b"POST /__admin/states HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n" + HALF_BODY
    )
    return sock


def read_to_close(sock: socket.socket, timeout: float = 5) -> bytes:
    sock.settimeout(timeout)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def wait_exit(process: subprocess.Popen[str], timeout: float) -> float:
    """Seconds until the process exited (raises if it is still running after ``timeout``)."""
    started = time.monotonic()
    process.wait(timeout)
    return time.monotonic() - started


@contextmanager
def sigterm_mid_body(
    cleanup: list[subprocess.Popen[str]], shutdown_timeout: str
) -> Iterator[tuple[subprocess.Popen[str], socket.socket]]:
    """A server sent SIGTERM while a request's body is still arriving; the process and that request's connection."""
    process, base = start_served("--shutdown-timeout", shutdown_timeout)
    cleanup.append(process)
    sock = half_sent_request(base)
    try:
        time.sleep(0.3)  # the request is being read by the app
        process.send_signal(signal.SIGTERM)
        yield process, sock
    finally:
        sock.close()


def test_sigterm_with_a_body_still_arriving_exits_within_the_shutdown_timeout(
    cleanup: list[subprocess.Popen[str]],
) -> None:
    with sigterm_mid_body(cleanup, "1") as (process, sock):
        elapsed = wait_exit(process, timeout=10)
        assert process.returncode == 0
        # 1 s of grace plus uvicorn's own 0.1 s pause and the interpreter's exit.
        assert elapsed < 4, elapsed
        # Answered in the control plane's envelope and closed, not left open or answered 500.
        answer = read_to_close(sock)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b'"code": "shutting_down"' in answer


def test_a_second_sigterm_stops_at_once(cleanup: list[subprocess.Popen[str]]) -> None:
    with sigterm_mid_body(cleanup, "60") as (process, sock):
        time.sleep(0.5)
        assert process.poll() is None  # still waiting for the request, as the 60 s allow
        process.send_signal(signal.SIGTERM)
        elapsed = wait_exit(process, timeout=10)
        assert process.returncode == 0
        assert elapsed < 3, elapsed
        assert read_to_close(sock).startswith(b"HTTP/1.1 503")


def test_requests_that_complete_within_the_grace_period_are_answered(
    cleanup: list[subprocess.Popen[str]],
) -> None:
    with sigterm_mid_body(cleanup, "5") as (process, sock):
        time.sleep(0.3)
        sock.sendall(REST_OF_BODY)
        answer = read_to_close(sock)
        # Answered (no such provider state), and closed since the server is stopping.
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
        assert b"unknown" in answer.lower() or b"state" in answer.lower(), answer
        assert b"connection: close" in answer.lower()
        wait_exit(process, timeout=5)
        assert process.returncode == 0


def test_shutdown_timeout_must_be_a_number_of_seconds() -> None:
    result = run("serve", "--shutdown-timeout", "nan", timeout=30)
    assert result.returncode == 2
    assert "--shutdown-timeout" in result.stderr


DESCRIPTOR_LIMIT = 64


def _lower_descriptor_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTOR_LIMIT, hard))


def test_out_of_descriptors_sheds_idle_connections_serves_requests_and_logs_little(
    cleanup: list[subprocess.Popen[str]],
) -> None:
    # No access log: what is counted below is what the incident itself logs.
    process, base = start_served("--no-access-log", preexec_fn=_lower_descriptor_limit)
    cleanup.append(process)
    host, port = base.removeprefix("http://").split(":")
    idle: list[socket.socket] = []
    try:
        # Twice the server's limit of slow clients: each sent part of its headers and stopped.
        for _ in range(2 * DESCRIPTOR_LIMIT):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"GET /__admin/health HTTP/1.1\r\n")
            idle.append(sock)
        time.sleep(1.5)  # the server accepted until the table was full
        served = 0
        started = time.monotonic()
        with httpx.Client(timeout=20) as client:
            for _ in range(10):
                if client.get(f"{base}/__admin/health").status_code == 200:
                    served += 1
        elapsed = time.monotonic() - started
        assert served == 10
        assert elapsed < 30, elapsed
    finally:
        for sock in idle:
            sock.close()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)
    lines = [line for line in stderr.splitlines() if line.strip()]
    reports = [line for line in lines if "out of file descriptors" in line]
    assert reports, stderr[-2000:]
    # One line per incident, at most one every 10 s (this test lasts well under 30 s), no tracebacks.
    assert len(reports) <= 3, reports
    assert "Traceback" not in stderr
    assert len(lines) <= 10, lines[:20]
