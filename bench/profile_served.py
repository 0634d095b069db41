"""Where a served request's time goes: py-spy samples ``mockserver serve`` under a wrk load.

    pip install py-spy        # not a project dependency
    .venv/bin/python bench/profile_served.py                         # every default scenario
    .venv/bin/python bench/profile_served.py vcita-disconnect --seconds 20
    .venv/bin/python bench/profile_served.py vcita-disconnect --redis   # on a redis-server of its own

Starts ``mockserver serve`` on 127.0.0.1 (rate limits off), seeds one scenario's actors, warms
up, then records the server with py-spy while wrk drives it, and prints the serving thread's
samples grouped by layer: each sample goes to the innermost frame that belongs to a layer below.
Sampling slows the server a little, so the shares matter here, not the request rate. The raw
stacks are written to ``bench-results/served-<scenario>.folded`` (flame-graph input).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.load import ensure_wrk, lua_script, run_wrk
from bench.redis_server import RedisServer, find_redis_server
from bench.scenarios import DEFAULT_SCENARIOS, SCENARIOS
from bench.servers import Server, free_port, mockserver_command

# (layer, pattern on a py-spy frame "function (file:line)"), innermost match wins.
LAYERS: list[tuple[str, str]] = [
    ("vendor handler (state change, reply)", r"mockserver/vendors/"),
    ("dispatch: Call, rate limits, faults", r"dispatcher \(mockserver/dispatch|mockserver/ratelimit|mockserver/faults"),
    ("response: JSON encoding, Starlette response", r"_build_response|Jsonifier|JSONEncoder|starlette/responses"),
    (
        "handler decorators: arguments, context",
        r"_PreparedHandler|_PreparedOperation|connexion/decorators|ContextOperation|_files|get_arguments",
    ),
    ("request body: JSON parse and schema check", r"FieldAwareJSONBodyValidator|json/decoder|jsonschema_rs"),
    ("parameter validation", r"ParameterValidator|validate_parameter|jsonschema/"),
    ("request validation: content type, validators", r"RequestValidationOperation|header_content_type|MediaTypeDict"),
    ("auth: security handler and credential check", r"SecurityOperation|connexion/security|mockserver/auth"),
    (
        "Connexion request object, headers, query",
        r"ConnexionRequest|connexion/lifecycle|starlette/datastructures|starlette/requests",
    ),
    ("operation fast path", r"OperationFastPath|mockserver/fastpath"),
    ("state engine: Redis round trips, records", r"mockserver/state/|redis/"),
    ("mockserver middleware: journal, headers, body cap", r"FakesMiddleware|mockserver/journal|mockserver/middleware"),
    (
        "outer middleware (Connexion, Starlette, uvicorn)",
        r"connexion/middleware|starlette/middleware|_exception_handler|connexion/apps|FakesApp|proxy_headers",
    ),
    ("uvicorn HTTP protocol (httptools)", r"uvicorn/protocols"),
    ("asyncio event loop and socket transport", r"asyncio/|selectors|mockserver/http_protocol"),
]
_COMPILED = [(label, re.compile(pattern)) for label, pattern in LAYERS]
_SERVING = "serve_forever"


def layer_of(frames: list[str]) -> str:
    """The layer of the innermost frame that belongs to one; ``other`` when none does."""
    for frame in reversed(frames):
        for label, pattern in _COMPILED:
            if pattern.search(frame):
                return label
    return "other"


def layer_shares(folded: str) -> tuple[int, list[tuple[str, float]]]:
    """Samples of the serving thread in py-spy's raw (folded) output, and each layer's share."""
    counts: Counter[str] = Counter()
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if not any(_SERVING in frame for frame in frames):
            continue  # idle worker threads
        counts[layer_of(frames)] += int(count)
    total = sum(counts.values())
    return total, [(label, n / total) for label, n in counts.most_common()] if total else []


def profile(key: str, seconds: float, work: Path, py_spy: str, wrk: str, state: str | None = None) -> Path:
    """Record one scenario (on the ``--state`` given, if any); answers the folded stacks' path."""
    from mockserver.admin import HttpAdmin

    scenario = SCENARIOS[key]
    port = free_port()
    extra = ["--state", state] if state else []
    server = Server("mockserver serve", mockserver_command(port, *extra), port, f"/{scenario.api}", work / "served.log")
    out = work / f"served-{key}.folded"
    server.start()
    try:
        server.wait_ready("/__admin/health")
        with HttpAdmin(server.base_url) as admin:
            admin.update_settings({"rate_limits": False})
            cycles = scenario.actors(admin, 512)
        script = work / f"served-{key}.lua"
        script.write_text(lua_script(cycles, server.prefix), encoding="utf-8")
        run_wrk(wrk, server.base_url, script, duration_s=2, connections=64, threads=2)
        record = [py_spy, "record", "-p", str(server.pid), "-d", str(round(seconds)), "-r", "200"]
        spy = subprocess.Popen(
            [*record, "-f", "raw", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        time.sleep(0.5)  # py-spy attaches before the load starts
        run_wrk(wrk, server.base_url, script, duration_s=seconds, connections=64, threads=2)
        _, err = spy.communicate(timeout=seconds + 30)
        if spy.returncode != 0 or not out.exists():
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {err.strip()}")
    finally:
        server.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    """Profile each scenario and print the layer table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_SCENARIOS)}")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds recorded per scenario")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="where the stacks are written")
    parser.add_argument("--redis", action="store_true", help="serve on a redis-server started for the run")
    args = parser.parse_args(argv)
    unknown = [key for key in args.scenarios if key not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        parser.error("py-spy is not installed (pip install py-spy)")
    wrk = ensure_wrk(print)
    redis_server = None
    if args.redis:
        executable = find_redis_server()
        if executable is None:
            parser.error("redis-server is not installed (apt-get install redis-server)")
        redis_server = RedisServer(executable).start()
    try:
        for key in args.scenarios or DEFAULT_SCENARIOS:
            state = redis_server.url if redis_server is not None else None
            folded = profile(key, args.seconds, args.out, py_spy, wrk, state)
            total, shares = layer_shares(folded.read_text(encoding="utf-8"))
            print(f"\n{SCENARIOS[key].title}: {total} samples of the serving thread ({folded})")
            for label, share in shares:
                print(f"  {share * 100:5.1f}%  {label}")
    finally:
        if redis_server is not None:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
