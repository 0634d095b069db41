"""CPU cost per request of the fakes' ASGI app, measured in process (no sockets, no load generator).

    .venv/bin/python bench/profile_app.py                      # every scenario, µs of CPU per request
    .venv/bin/python bench/profile_app.py vcita-disable --profile cprofile
    .venv/bin/python bench/profile_app.py vcita-disable --profile pyinstrument   # pip install pyinstrument
    .venv/bin/python bench/profile_app.py vcita-disable --state redis://127.0.0.1:6379/15

The app is built as ``mockserver serve`` builds it (response validation off, rate limits off so
the load does not turn into 429s). The minimum over ``--repeat`` runs is reported: on a shared
machine the minimum is the run the neighbours disturbed least.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.scenarios import DEFAULT_SCENARIOS, SCENARIOS, Cycle, Request


def _scope(request: Request, prefix: str) -> dict[str, Any]:
    path = prefix + request.path
    headers = [(b"host", b"127.0.0.1:8080")]
    headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    if request.body:
        headers.append((b"content-length", str(len(request.body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def call(app: Any, request: Request, prefix: str) -> int:
    """Send one request through the ASGI app; answers the status."""
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(request, prefix), receive, send)
    return status


def build(validate_responses: bool = False, state: str | None = None) -> Any:
    """The app as ``mockserver serve`` builds it (on the ``--state`` given), with rate limits off."""
    from mockserver.app import build_app
    from mockserver.runtime import Runtime
    from mockserver.state.engine import open_engine
    from mockserver.vendors import ALL_VENDORS

    runtime = Runtime(ALL_VENDORS, engine=open_engine(state)) if state else None
    app = build_app(runtime, validate_responses=validate_responses)
    app.admin.update_settings({"rate_limits": False})
    return app


async def measure(app: Any, scenario_key: str, requests: int, actors: int = 64) -> tuple[float, dict[int, int]]:
    """CPU seconds per request for ``requests`` requests of one scenario, and the statuses seen."""
    scenario = SCENARIOS[scenario_key]
    cycles: list[Cycle] = scenario.actors(app.admin, actors)
    prefix = f"/{scenario.api}"
    statuses: dict[int, int] = {}
    # warm-up: one full round of every actor's cycle
    for step in range(max(len(c) for c in cycles)):
        for cycle in cycles:
            await call(app, cycle[step % len(cycle)], prefix)
    started = time.process_time()
    for i in range(requests):
        cycle = cycles[i % actors]
        status = await call(app, cycle[(i // actors) % len(cycle)], prefix)
        statuses[status] = statuses.get(status, 0) + 1
    return (time.process_time() - started) / requests, statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_SCENARIOS)}")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--validate-responses", action="store_true")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"])
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="where profiles are written")
    parser.add_argument("--state", help="a redis:// URL: the Redis engine (its round trips count as waiting, not CPU)")
    args = parser.parse_args(argv)
    unknown = [key for key in args.scenarios if key not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    args.scenarios = args.scenarios or list(DEFAULT_SCENARIOS)

    app = build(args.validate_responses, args.state)
    served = set(app.apis)
    for key in args.scenarios:
        if SCENARIOS[key].api not in served:
            print(f"{key:<20} n/a (the {SCENARIOS[key].api} fake is not served)")
            continue
        if args.profile:
            args.out.mkdir(parents=True, exist_ok=True)
            _profile(app, key, args.requests, args.profile, args.out)
            continue
        runs = [asyncio.run(measure(app, key, args.requests)) for _ in range(args.repeat)]
        best = min(cpu for cpu, _ in runs)
        statuses = runs[-1][1]
        print(f"{key:<20} {best * 1e6:7.0f} µs CPU/request (min of {args.repeat})  statuses {statuses}")
    return 0


def _profile(app: Any, key: str, requests: int, kind: str, out: Path) -> None:
    asyncio.run(measure(app, key, 200))  # warm
    if kind == "cprofile":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(measure(app, key, requests))
        profiler.disable()
        path = out / f"profile-{key}.pstats"
        profiler.dump_stats(path)
        pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)
        print(f"written {path}")
    else:
        import pyinstrument

        profiler = pyinstrument.Profiler(interval=0.001)
        profiler.start()
        asyncio.run(measure(app, key, requests))
        profiler.stop()
        path = out / f"profile-{key}.txt"
        text = profiler.output_text(unicode=True, color=False, show_all=True)
        path.write_text(text, encoding="utf-8")
        print(text)
        print(f"written {path}")


if __name__ == "__main__":
    raise SystemExit(main())
