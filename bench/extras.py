"""The measurements besides throughput: start-up, fixture readiness, memory, suite wall times."""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .load import LoadResult, lua_script, run_wrk
from .procs import memory_kib
from .report import soak_verdict
from .scenarios import Request
from .servers import ROOT, Log, free_port, mockserver_command

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable

_JSON = {"Content-Type": "application/json"}

# Per fake: a provider state for the seed file and the request that must then answer 200.
# These are measurement definitions, kept fixed so figures stay comparable across runs; which
# fakes exist comes from the registry (served_apis), and a fake without a probe here is reported
# as not probed rather than breaking the run.
PROBES: dict[str, tuple[str, dict[str, Any], Callable[[dict[str, Any]], Request]]] = {
    "vcita": (
        "calendar_sync",
        {"provider": "google_v3", "account": "bench@example.com"},
        lambda d: Request(
            "PUT",
            "/business/scheduling/v1/external_calendar_items/disable",
            {**_JSON, "Authorization": f"Bearer {d['tokens']['staff']}"},
            json.dumps(
                {
                    "staff_uid": d["staff_uid"],
                    "calendar_sync": {"provider": "google_v3", "account": "bench@example.com"},
                }
            ).encode(),
        ),
    ),
    "calcom": (
        "connected_calendar",
        {"type": "google", "count": 1},
        lambda d: Request("GET", "/v2/calendars", {"Authorization": f"Bearer {d['tokens']['api_key']}"}),
    ),
    "recall": (
        "calendar_user",
        {"google": "bench@example.com"},
        lambda d: Request("GET", "/api/v1/calendar/user/", {"x-recallcalendarauthtoken": d["tokens"]["calendar"]}),
    ),
    "ravan": (
        "calcom_account",
        {"count": 1},
        lambda d: Request(
            "POST",
            "/api/v1/calcom/disconnect",
            {**_JSON, "Authorization": f"Bearer {d['tokens']['jwt']}"},
            json.dumps({"org_id": d["org_id"]}).encode(),
        ),
    ),
}


def served_apis() -> list[str]:
    """The fakes ``mockserver serve`` serves, in order."""
    from mockserver.vendors import ALL_VENDORS

    return [vendor.name for vendor in ALL_VENDORS]


def _seed_file(apis: list[str], directory: Path) -> Path:
    lines = ["states:"]
    for api in apis:
        state, params, _ = PROBES[api]
        lines.append(f"  - api: {api}\n    state: {state}\n    params: {json.dumps(params)}")
    path = directory / "startup-seed.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _startup_once(apis: list[str], seed: Path, timeout_s: float = 30.0) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        mockserver_command(port, "--seed", str(seed)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    seeded: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("seeded "):
                where, _, data = line[len("seeded ") :].partition(": ")
                with lock:
                    seeded[where.split("/")[0]] = json.loads(data)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    pending = set(apis)
    finished = started
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=1.0) as client:
            while pending:
                if time.perf_counter() - started > timeout_s or process.poll() is not None:
                    raise RuntimeError(f"not every fake answered 200 within {timeout_s:.0f} s")
                for api in sorted(pending):
                    with lock:
                        data = seeded.get(api)
                    if data is None:
                        continue
                    request = PROBES[api][2](data)
                    try:
                        answer = client.request(
                            request.method, f"/{api}{request.path}", headers=request.headers, content=request.body
                        )
                    except httpx.TransportError:
                        continue
                    if answer.status_code == 200:
                        pending.discard(api)
                        finished = time.perf_counter()
                if pending:
                    time.sleep(0.002)
    finally:
        _stop(process, 5)
    return finished - started


def _stop(process: subprocess.Popen[Any], grace: float) -> None:
    """SIGTERM, then SIGKILL if it is still running after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def measure_startup(runs: int, log: Log) -> dict[str, Any]:
    """Process start to the first 200 from every fake, ``runs`` times."""
    apis = served_apis()
    probed = [api for api in apis if api in PROBES]
    # Bytecode as an installed wheel has it: pip compiles a package when it installs it, and a
    # checkout run with PYTHONDONTWRITEBYTECODE set would otherwise compile it on every start.
    compiled = compileall.compile_dir(str(ROOT / "mockserver"), quiet=1)
    with tempfile.TemporaryDirectory() as directory:
        seed = _seed_file(probed, Path(directory))
        times = []
        for _ in range(runs):
            times.append(_startup_once(probed, seed))
            log(f"  start-up: {times[-1]:.2f} s")
    return {
        "apis": probed,
        "missing": [api for api in apis if api not in PROBES],
        "runs": times,
        "median": statistics.median(times),
        "max": max(times),
        "bytecode": "compiled beforehand" if compiled else "not compiled (compileall failed)",
    }


_FIXTURE_TEST = """
import httpx


def test_ready(fake_server):
    assert httpx.get(fake_server.url("admin") + "/health").status_code == 200
"""


def measure_fixture(log: Log) -> dict[str, Any] | None:
    """Setup time of the ``fake_server`` fixture in a one-test pytest run (and the run's wall time)."""
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "test_ready.py").write_text(_FIXTURE_TEST, encoding="utf-8")
        started = time.perf_counter()
        completed = subprocess.run(
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0", "-vv", "test_ready.py"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=300,
        )
        total = time.perf_counter() - started
    for line in completed.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == "setup" and parts[2].endswith("test_ready"):
            setup = float(parts[0].rstrip("s"))
            log(f"  fixture: setup {setup:.2f} s, whole run {total:.2f} s")
            return {"setup": setup, "total": total}
    log(f"  fixture: could not read the setup time (exit code {completed.returncode})")
    return None


def measure_records_and_soak(
    records: int, soak_s: float, wrk: str | None, connections: int, threads: int, work: Path, log: Log
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """RSS with ``records`` stored records; then RSS under a sustained load with limits on."""
    port = free_port()
    actors_file = work / "soak-actors.json"
    command = [
        PYTHON,
        str(ROOT / "bench" / "seeded_server.py"),
        "--port",
        str(port),
        "--records",
        str(records),
        "--actors-file",
        str(actors_file),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the seeded server exited before it was ready")
        info = json.loads(line)
        base_url = f"http://127.0.0.1:{port}"
        _wait_http(base_url + "/__admin/health")
        rss = memory_kib(process.pid).get("VmRSS", 0)
        stored = {
            "count": info["count"],
            "what": f"provider states spread evenly over {info['states']}",
            "rss_kib": rss,
            "empty_rss_kib": info["empty_rss_kib"],
            "seed_s": info["seed_s"],
        }
        log(f"  {records:,} records: RSS {rss / 1024:.0f} MiB (seeding {info['seed_s']:.1f} s)")
        if wrk is None or soak_s <= 0:
            return stored, None
        soak = _soak(base_url, process.pid, actors_file, soak_s, wrk, connections, threads, work, log)
        return stored, soak
    finally:
        _stop(process, 10)


def _soak(
    base_url: str,
    pid: int,
    actors_file: Path,
    soak_s: float,
    wrk: str,
    connections: int,
    threads: int,
    work: Path,
    log: Log,
) -> dict[str, Any]:
    actors = json.loads(actors_file.read_text(encoding="utf-8"))
    body = {"provider": "google_v3", "account": "bench@example.com"}
    cycles = [
        (
            Request(
                "PUT",
                "/business/scheduling/v1/external_calendar_items/disable",
                {**_JSON, "Authorization": f"Bearer {a['token']}"},
                json.dumps({"staff_uid": a["staff_uid"], "calendar_sync": body}, separators=(",", ":")).encode(),
            ),
        )
        for a in actors
    ]
    script = work / "soak.lua"
    script.write_text(lua_script(cycles, "/vcita"), encoding="utf-8")
    interval = 2.0
    samples: list[int] = []
    outcome: dict[str, LoadResult] = {}

    def load() -> None:
        outcome["result"] = run_wrk(wrk, base_url, script, duration_s=soak_s, connections=connections, threads=threads)

    runner = threading.Thread(target=load)
    runner.start()
    while runner.is_alive():
        time.sleep(interval)
        rss = memory_kib(pid).get("VmRSS")
        if rss and runner.is_alive():
            samples.append(rss)
    runner.join()
    journal = httpx.get(base_url + "/__admin/requests", timeout=10).json()["data"]
    settings = httpx.get(base_url + "/__admin/settings", timeout=10).json()
    result = outcome.get("result")
    what = (
        f"vcita disable over {len(cycles):,} distinct staff tokens, rate limits on, "
        f"{soak_s:.0f} s at {connections} connections"
    )
    if result is not None:
        what += f", {result.rps:,.0f} req/s, {result.non_2xx} non-2xx"
    verdict = soak_verdict(samples)
    log(f"  soak: {verdict}")
    return {
        "what": what,
        "interval_s": interval,
        "samples": samples,
        "journal": len(journal),
        "journal_cap": settings["journal_cap"],
        "verdict": verdict,
        "load": result.to_dict() if result else None,
    }


def _wait_http(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def time_command(command: list[str], available: bool, log: Log, timeout_s: float = 3600) -> dict[str, Any] | None:
    """Wall time of a command run from the repository root; None when it does not exist here."""
    if not available:
        return None
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s)
    seconds = time.perf_counter() - started
    shown = " ".join(Path(part).name if os.sep in part else part for part in command)
    log(f"  {shown}: {seconds:.1f} s, exit code {completed.returncode}")
    return {"seconds": seconds, "returncode": completed.returncode, "command": shown}


def contracts_available() -> bool:
    """Whether this checkout has contract suites to run."""
    folder = ROOT / "contracts"
    return folder.is_dir() and any(folder.rglob("*.yaml"))


def fuzz_available() -> bool:
    """Whether ``mockserver fuzz`` exists in this checkout."""
    executable = VENV_BIN / "mockserver"
    if not executable.exists():
        return False
    completed = subprocess.run([str(executable), "fuzz", "--help"], capture_output=True, cwd=ROOT)
    return completed.returncode == 0
