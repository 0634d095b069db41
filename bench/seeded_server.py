"""A ``mockserver serve`` equivalent that first stores many records (for the memory measurements).

    .venv/bin/python bench/seeded_server.py --port 8099 --records 100000 --actors-file /tmp/actors.json

Builds the app exactly as ``mockserver serve`` does, applies ``--records`` provider states spread
evenly over the served fakes (each a user or staff member with a connected calendar and its
tokens), writes the vcita ones' disable requests to ``--actors-file`` (for a sustained load over
many distinct tokens), prints one JSON line with the timings and then serves until SIGTERM.

States are applied through each vendor's provider-state hook with the documented defaults, the
same call ``POST /__admin/states`` ends in, minus its per-call parameter check (which costs
milliseconds per call and does not change what is stored).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.procs import memory_kib

# One state per fake: what a stored "record" is in each (a measurement definition, kept fixed so
# the memory figures stay comparable; a served fake not listed here is not seeded).
RECORD_STATES: dict[str, tuple[str, dict[str, Any]]] = {
    "vcita": ("calendar_sync", {"provider": "google_v3", "account": "bench@example.com"}),
    "calcom": ("connected_calendar", {"type": "google", "count": 1}),
    "recall": ("calendar_user", {"google": "bench@example.com"}),
    "ravan": ("calcom_account", {"count": 1}),
}


def _apply(vendor: Any, state: str, params: dict[str, Any]) -> dict[str, Any]:
    found = vendor.provider_states[state]
    given = {name: param.default for name, param in found.params.items()} | params
    with vendor.lock:
        result: dict[str, Any] = found.apply(given)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--actors-file", type=Path)
    args = parser.parse_args(argv)

    from mockserver.app import build_app
    from mockserver.server import bind_socket, serve_forever

    app = build_app(validate_responses=False)
    empty = memory_kib_self()
    apis = [api for api in RECORD_STATES if api in app.runtime.vendors]
    started = time.perf_counter()
    actors = []
    for i in range(args.records):
        api = apis[i % len(apis)]
        state, params = RECORD_STATES[api]
        data = _apply(app.runtime.vendors[api], state, params)
        if api == "vcita":
            actors.append({"staff_uid": data["staff_uid"], "token": data["tokens"]["staff"]})
    seed_s = time.perf_counter() - started
    if args.actors_file:
        args.actors_file.write_text(json.dumps(actors), encoding="utf-8")
    sock = bind_socket("127.0.0.1", args.port)
    described = ", ".join(f"{RECORD_STATES[api][0]} ({api})" for api in apis)
    print(
        json.dumps(
            {"ready": True, "count": args.records, "seed_s": seed_s, "empty_rss_kib": empty, "states": described}
        ),
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve_forever(app, sock)
    return 0


def memory_kib_self() -> int:
    """This process's resident set, KiB."""
    import os

    return memory_kib(os.getpid()).get("VmRSS", 0)


if __name__ == "__main__":
    raise SystemExit(main())
