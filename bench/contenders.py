"""One row of a scenario's table: the server process(es) behind it, their runs and their cost.

A contender is a :class:`~bench.servers.Server` (``mockserver serve``, Prism or WireMock), for the
Redis-engine rows with the ``redis-server`` it uses. While it is measured, the CPU time of every
process of the row (the server, its worker processes, its redis-server) is counted over the
measured runs; at the end each process's peak resident memory is read. A contender that cannot
run here (a serve option that does not exist yet, no Java, no redis-server) keeps its row with
the reason instead of stopping the benchmark.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .load import LoadResult
from .procs import cpu_seconds, cpu_snapshot, cpu_used, memory_kib, process_name, process_tree
from .redis_server import RedisServer
from .report import ServerRow
from .scenarios import Cycle
from .servers import Server

_REASON_CHARS = 300


def failure_reason(log_text: str) -> str:
    """Why a process would not start, from what it printed: its last non-empty line.

    For ``mockserver serve`` that is argparse's ``error:`` line for an option it does not know,
    its one-line refusal, or the exception of a traceback.
    """
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    if not lines:
        return "it exited without printing anything"
    last = lines[-1]
    return last if len(last) <= _REASON_CHARS else last[: _REASON_CHARS - 3] + "..."


@dataclass
class Contender:
    """One row: its server, its optional redis-server, its load script and what was measured."""

    row: ServerRow
    server: Server | None = None
    redis: RedisServer | None = None
    cycles: Sequence[Cycle] = ()
    script: Path | None = None
    jit: bool = False  # a runtime that compiles hot code while it runs (Node.js, the JVM): warmed up longer
    _redis_rss_before: int | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The row's name."""
        return self.row.name

    @property
    def available(self) -> bool:
        """Whether it runs (nothing went wrong so far)."""
        return self.row.unavailable is None and self.server is not None

    def give_up(self, reason: str) -> None:
        """Mark the row not available and stop whatever of it runs."""
        if self.row.unavailable is None:
            self.row.unavailable = reason
        self.stop()

    def start(self) -> None:
        """Start redis-server (if any), then the server; a failure to start gives up the row."""
        if not self.available:
            return
        try:
            if self.redis is not None:
                self.redis.start()
            assert self.server is not None
            self.server.start()
        except (OSError, RuntimeError) as exc:
            self.give_up(str(exc))

    def wait_ready(self, probe_path: str, timeout_s: float = 60.0) -> None:
        """Wait until the server answers; one that exits gives up the row with the reason it printed."""
        if not self.available:
            return
        assert self.server is not None
        try:
            self.server.wait_ready(probe_path, timeout_s)
        except RuntimeError as exc:
            try:
                printed = self.server.log_path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                printed = ""
            exited = self.server.process is not None and self.server.process.poll() is not None
            self.give_up(failure_reason(printed) if exited else str(exc))

    def pids(self) -> list[int]:
        """Every process of the row now: the server and its descendants, then redis-server."""
        pids = process_tree(self.server.pid) if self.server is not None else []
        if self.redis is not None and self.redis.process is not None:
            pids.append(self.redis.pid)
        return pids

    def before_load(self) -> None:
        """Note redis-server's memory before any load reaches the row."""
        if self.redis is not None:
            self._redis_rss_before = memory_kib(self.redis.pid).get("VmRSS")

    def measure(self, load: Callable[[], LoadResult]) -> LoadResult:
        """One measured run: the load, the CPU time every process of the row used meanwhile."""
        pids = self.pids()
        redis_pid = self.redis.pid if self.redis is not None else None
        redis_before = cpu_seconds(redis_pid) if redis_pid is not None else None
        before = cpu_snapshot(pids)
        started = time.perf_counter()
        result = load()
        elapsed = time.perf_counter() - started
        after = cpu_snapshot(set(pids) | set(self.pids()))
        self.row.runs.append(result)
        self.row.measured_s += elapsed
        self.row.cpu_s += cpu_used(before, after)
        if redis_pid is not None and redis_before is not None:
            redis_after = cpu_seconds(redis_pid)
            spent = 0.0 if redis_after is None else redis_after - redis_before
            redis = self._redis_figures()
            redis["cpu_s"] = redis.get("cpu_s", 0.0) + spent
        return result

    def _redis_figures(self) -> dict[str, float]:
        if self.row.redis is None:
            self.row.redis = {"cpu_s": 0.0}
        return self.row.redis

    def after_load(self) -> None:
        """Read every process's peak memory (and redis-server's now) into the row."""
        parts = [(process_name(pid), memory_kib(pid).get("VmHWM", 0)) for pid in self.pids()]
        self.row.peak_rss_kib = sum(kib for _, kib in parts) or None
        self.row.memory_parts = parts if len(parts) > 1 else []
        if self.redis is not None and self.redis.process is not None:
            now = memory_kib(self.redis.pid)
            redis = self._redis_figures()
            redis["rss_before_kib"] = float(self._redis_rss_before or 0)
            redis["rss_after_kib"] = float(now.get("VmRSS", 0))
            redis["peak_kib"] = float(now.get("VmHWM", 0))

    def stop(self) -> None:
        """Stop the server (SIGTERM to its process id; any process it leaves behind, SIGKILL), then redis-server."""
        if self.server is not None and self.server.process is not None:
            left = process_tree(self.server.pid)[1:] if self.server.process.poll() is None else []
            self.server.stop()
            _kill_left_behind(left)
        if self.redis is not None:
            self.redis.stop()


def _kill_left_behind(pids: Sequence[int], grace_s: float = 5.0) -> None:
    """SIGKILL the listed processes (a server's workers) that are still running after ``grace_s``."""
    deadline = time.perf_counter() + grace_s
    for pid in pids:
        while cpu_seconds(pid) is not None and time.perf_counter() < deadline:
            time.sleep(0.05)
        if cpu_seconds(pid) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
