"""bench/contenders.py and bench/wiremock.py with real processes on 127.0.0.1: a server with a worker
process beside a real redis-server, a server that refuses its options, and WireMock serving the
stubs made from a real fake's answers."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.contenders import Contender
from bench.load import LoadResult
from bench.procs import cpu_seconds, process_tree
from bench.redis_server import RedisServer, find_redis_server
from bench.report import ServerRow
from bench.scenarios import SCENARIOS
from bench.servers import Server, free_port
from bench.wiremock import find_java, find_wiremock_jar, send_cycle, stub_mappings, wiremock_command, write_mappings
from mockserver.admin import HttpAdmin
from mockserver.server import ServerThread

REDIS_SERVER = find_redis_server()
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
)

# A parent that answers HTTP and starts a worker which holds ~40 MB and ignores SIGTERM, so only
# the SIGKILL of what a stopped server leaves behind ends it.
_SERVER = """
import http.server, subprocess, sys
worker = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "block = bytearray(b'x') * 40_000_000; time.sleep(600)"])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def _redis_load(port: int, keys: int) -> LoadResult:
    """Store ``keys`` keys in one pipelined burst (work for redis-server, memory it keeps)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        payload = b"".join(b"SET bench:%d %s\r\n" % (i, b"v" * 64) for i in range(keys))
        sock.sendall(payload)
        received = b""
        while received.count(b"+OK\r\n") < keys:
            chunk = sock.recv(1 << 20)
            assert chunk, "redis-server closed the connection"
            received += chunk
    return LoadResult(keys, time.perf_counter() - started, 1.0, 2.0, 3.0, 0, 0)


def _gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if cpu_seconds(pid) is None:
            return True
        time.sleep(0.05)
    return False


@needs_redis
def test_a_row_counts_every_process_and_its_redis_server_and_stops_them_all(tmp_path: Path) -> None:
    assert REDIS_SERVER is not None
    port = free_port()
    server = Server("two processes", [sys.executable, "-c", _SERVER, str(port)], port, "", tmp_path / "s.log")
    contender = Contender(ServerRow("two processes", True), server, RedisServer(REDIS_SERVER))
    try:
        contender.start()
        contender.wait_ready("/")
        assert contender.available, contender.row.unavailable
        deadline = time.perf_counter() + 10
        while len(process_tree(server.pid)) < 2 and time.perf_counter() < deadline:
            time.sleep(0.05)
        pids = contender.pids()
        assert len(pids) == 3  # the server, its worker, redis-server
        worker = pids[1]
        assert contender.redis is not None
        redis_pid = contender.redis.pid
        contender.before_load()

        result = contender.measure(lambda: _redis_load(contender.redis.port, 200_000))  # type: ignore[union-attr]
        contender.after_load()
    finally:
        contender.stop()

    row = contender.row
    assert row.runs == [result]
    assert row.redis is not None
    assert row.redis["cpu_s"] > 0
    assert row.cpu_s >= row.redis["cpu_s"]
    assert row.measured_s >= result.duration_s
    assert row.redis["rss_after_kib"] > row.redis["rss_before_kib"] + 10 * 1024  # 200,000 keys
    assert row.redis["peak_kib"] >= row.redis["rss_after_kib"]
    names = [name for name, _ in row.memory_parts]
    assert len(names) == 3 and names[-1] == "redis-server"
    assert row.peak_rss_kib == sum(kib for _, kib in row.memory_parts)
    assert row.memory_parts[1][1] > 35 * 1024  # the worker's 40 MB
    for pid in (server.pid, worker, redis_pid):
        assert _gone(pid), f"process {pid} still runs"


@needs_redis
def test_a_server_that_refuses_its_options_gives_the_row_its_reason_and_stops_redis(tmp_path: Path) -> None:
    assert REDIS_SERVER is not None
    refuse = "import sys; print('usage: mockserver serve [-h]'); sys.exit('mockserver serve: error: unrecognized arguments: --workers 2')"
    server = Server("refuses", [sys.executable, "-c", refuse], free_port(), "", tmp_path / "s.log")
    contender = Contender(ServerRow("refuses", True), server, RedisServer(REDIS_SERVER))
    contender.start()
    assert contender.redis is not None and contender.redis.process is not None
    redis_pid = contender.redis.pid
    contender.wait_ready("/")
    try:
        assert not contender.available
        assert contender.row.unavailable == "mockserver serve: error: unrecognized arguments: --workers 2"
        assert _gone(redis_pid)
    finally:
        contender.stop()


JAR = find_wiremock_jar()
JAVA = find_java()


@pytest.mark.skipif(
    JAR is None or JAVA is None, reason="no WireMock jar in bench/.wiremock (make bench installs it) or no java"
)
def test_wiremock_answers_the_scenario_like_the_fake_and_rejects_other_requests(
    fake_server: ServerThread, tmp_path: Path
) -> None:
    assert JAR is not None and JAVA is not None
    scenario = SCENARIOS["vcita-disconnect"]
    with HttpAdmin(fake_server.base_url) as admin:
        admin.update_settings({"rate_limits": False})
        cycles = scenario.actors(admin, 4)
        probe = scenario.actors(admin, 1)[0]
    answers = send_cycle(f"{fake_server.base_url}/vcita", probe)
    assert [answer.status for answer in answers] == [200, 200]
    write_mappings(tmp_path, stub_mappings([*cycles, probe], answers))
    port = free_port()
    wiremock = Server("WireMock", wiremock_command(JAVA, JAR, port, tmp_path), port, "", tmp_path / "wiremock.log")
    try:
        wiremock.start()
        wiremock.wait_ready("/__admin/health")
        assert send_cycle(wiremock.base_url, cycles[2]) == answers

        disconnect = probe[1]
        with httpx.Client(base_url=wiremock.base_url, timeout=10) as client:

            def status(headers: dict[str, str], body: bytes) -> int:
                return client.request(disconnect.method, disconnect.path, headers=headers, content=body).status_code

            assert status(disconnect.headers, disconnect.body) == 200
            no_token = {k: v for k, v in disconnect.headers.items() if k != "Authorization"}
            assert status(no_token, disconnect.body) == 404
            wrong_scheme = {**disconnect.headers, "Authorization": "Basic abc"}
            assert status(wrong_scheme, disconnect.body) == 404
            assert status(disconnect.headers, disconnect.body.replace(b"google_v3", b"outlook")) == 404
            assert status(disconnect.headers, disconnect.body[:-1] + b',"extra":1}') == 404
    finally:
        wiremock.stop()
