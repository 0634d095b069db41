"""``mockserver``: serve the fakes, and (with the harness extra) run the contract suites."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, issued
from .admin_guard import TOKEN_ENV, is_loopback, new_admin_token, policy_for
from .errors import AdminError
from .state.engine import DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL

if TYPE_CHECKING:
    from .app import FakesApp
    from .interface import Vendor
    from .state.files import StateFile
from .envoptions import EnvArgumentParser

ENV_PREFIX = "MOCKSERVER_"
"""``serve`` reads each of its options from ``MOCKSERVER_<OPTION>`` too (see envoptions.py)."""


def description() -> str:
    """The command's description: every registered fake by prefix and title, then the control plane."""
    from .vendors import ALL_VENDORS

    lines = ["Faithful, stateful fakes of calendar-disconnect APIs on one local port:"]
    lines += [f"  /{vendor.name:<8}{vendor.title}" for vendor in ALL_VENDORS]
    lines += [
        "  /__admin the control plane (reset, state, provider states, tokens, journal, faults,",
        "           settings, clock); Swagger UI at /<api>/ui/ and /__admin/ui/.",
    ]
    return "\n".join(lines) + "\n"


SERVE_EPILOG = """\
seed file (YAML):
  settings: {rate_limits: false}          # optional, as PATCH /__admin/settings
  states:                                 # applied in order, as POST /__admin/states
    - api: vcita
      state: calendar_sync
      params: {provider: google_v3}

security: bound to loopback (the default), /__admin needs no credential but refuses foreign Host
  names (DNS rebinding), cross-site browser requests and form content types. Bound to any other
  address, every /__admin call needs 'Authorization: Bearer <admin token>'. The fakes keep their
  vendors' own authentication. Secrets the fakes issue are masked in the journal, state dumps
  and logs; only --seed's printout shows them in full.

CORS: a web page on another origin may call the fakes from the browser (preflights answered,
  CORS headers on every answer) - from any origin on a loopback bind, from none beyond it unless
  --cors lists them. /__admin is never opened to another origin.

console: one line per request on stderr, e.g.
  GET /calcom/v2/calendars 200 getCalendars 1.4ms
  (method, path and query with issued secrets masked, status, operationId, milliseconds);
  --no-access-log or -q turns it off.

exit codes: 0 stopped with Ctrl-C or SIGTERM; 2 bad arguments (or MOCKSERVER_* values), unusable seed file
  or port in use.
"""

CONTRACTS_EPILOG = """\
Every argument is handed to pytest, so -k, -m, -x, -n (pytest-xdist) and --junitxml work as usual.
Without PATHS the suites bundled with mockserver run (with their targets.yaml), wherever you are;
with PATHS, every step file under them runs, in any folder. Skip reasons are printed (-rs).
The step-file format: FORMAT.md beside the bundled suites (contracts/FORMAT.md in a checkout).

examples:
  mockserver contracts                                  # the bundled suites against the fakes in process
  mockserver contracts -k disconnect -n 2
  mockserver contracts my-suites/ --targets-file my-suites/targets.yaml
  mockserver contracts --target http://127.0.0.1:8080  # a running `mockserver serve`, in a session of its own
  mockserver contracts --target http://127.0.0.1:8080 --session ID   # ... in that existing session
  mockserver contracts --target production --allow-destructive --junitxml out/contracts.xml

exit codes: pytest's (0 all passed, 1 some failed, 2 interrupted, 4 usage error, 5 nothing
collected); also 2 when no mockserver answers at the --target URL or the harness extra is missing.
"""


def _with_epilog(epilog: str) -> dict[str, Any]:
    """A sub-command's epilog, printed as written."""
    return {"epilog": epilog, "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mockserver`` command."""
    parser = argparse.ArgumentParser(
        prog="mockserver", description=description(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    # Every sub-command's parser can read options from the environment; only serve's does.
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=EnvArgumentParser)
    commands.required = True

    serve = commands.add_parser(
        "serve",
        help="serve every fake and the control plane until Ctrl-C",
        description="Serve every fake (or those --api names) and the control plane on one port until Ctrl-C.",
        env_prefix=ENV_PREFIX,
        **_with_epilog(SERVE_EPILOG),
    )
    serve.add_argument("--version", action="version", version=f"mockserver {__version__}")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=8080, help="port to bind, 0 for any free port (default: %(default)s)"
    )
    serve.add_argument(
        "--seed",
        type=Path,
        metavar="FILE",
        help="apply the provider states in this YAML file at start, and print what each created - tokens "
        "and API keys in full, for use by a local client (see --quiet)",
    )
    serve.add_argument(
        "--api",
        type=_api_names,
        action="extend",
        metavar="NAMES",
        help="serve only these fakes, comma-separated or repeated (default: every one); the others answer "
        "404 as any unknown path does",
    )
    serve.add_argument(
        "--cors",
        type=_cors_origins,
        metavar="ORIGINS",
        help="origins a browser page may call the fakes from: comma-separated scheme://host[:port], '*' for "
        "any, 'none' for off (default: any when bound to loopback, none otherwise); never /__admin",
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        help="print a line per request: method, path, status, operationId, milliseconds (default: on, off with -q)",
    )
    verbosity = serve.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="warnings and errors only: no access log, no seeded ids or tokens (the base URLs are still printed)",
    )
    verbosity.add_argument("-v", "--verbose", action="store_true", help="debug logging (uvicorn, Connexion)")
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host name the control plane accepts when bound to loopback, e.g. a proxy's name "
        "(repeatable; NAME or NAME:PORT)",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help=f"the credential /__admin calls must send as 'Authorization: Bearer TOKEN' (default: ${TOKEN_ENV}; "
        "bound beyond loopback without one, a token is generated and printed once)",
    )
    serve.add_argument(
        "--validate-responses",
        action="store_true",
        help="check every fake response against its spec (a violation answers 500 FAKE_RESPONSE_INVALID)",
    )
    serve.add_argument(
        "--no-fast-path",
        dest="fast_path",
        action="store_false",
        help="serve through Connexion's own request handling instead of mockserver.fastpath (same answers, slower)",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=_non_negative_seconds,
        default=5.0,
        metavar="SECONDS",
        help="on Ctrl-C or SIGTERM, wait this long for requests in progress before dropping them; "
        "a second signal stops at once (default: %(default)s)",
    )
    serve.add_argument(
        "--state",
        default="memory",
        metavar="memory|redis://HOST:PORT/DB",
        help="where the fakes keep their state: in this process (default), or in Redis, shared by every "
        "worker and every server pointed at it, and kept across restarts",
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="serve from N processes on one port (needs --state redis://...; default: %(default)s)",
    )
    serve.add_argument(
        "--state-file",
        type=Path,
        metavar="PATH",
        help="with --state memory: load the default session from PATH at start and save it there on "
        "shutdown and on POST /__admin/state/save (atomically, mode 0600: it holds every token)",
    )
    serve.add_argument(
        "--session-ttl",
        type=_positive_seconds,
        default=DEFAULT_SESSION_TTL,
        metavar="SECONDS",
        help="an idle session is freed after this long (default: %(default)s)",
    )
    serve.add_argument(
        "--max-sessions",
        type=_positive_int,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help="at most N sessions at once; creating one more answers 429 (default: %(default)s)",
    )
    serve.set_defaults(handler=_serve)

    contracts = commands.add_parser(
        "contracts",
        help="run the contract suites (step files) under pytest",
        description="Run contract step files under pytest against the fakes, a served URL or real endpoints.",
        **_with_epilog(CONTRACTS_EPILOG),
        usage="mockserver contracts [PATHS] [--target NAME|URL] [--session ID] [--allow-destructive] "
        "[--targets-file PATH] [pytest args]",
    )
    contracts.add_argument(
        "paths", nargs="*", metavar="PATHS", help="step files or folders (default: the bundled suites)"
    )
    contracts.add_argument(
        "--target",
        metavar="NAME|URL",
        help="a target in the targets file, or the URL of a running `mockserver serve` (default: fake)",
    )
    contracts.add_argument(
        "--allow-destructive", action="store_true", help="run steps that change state against real targets too"
    )
    contracts.add_argument("--targets-file", metavar="PATH", help="another targets file")
    contracts.add_argument(
        "--session",
        metavar="ID",
        help="on a served target, run in this existing session and leave it in place (default: a new "
        "session per run, or per -n worker, deleted at the end; the default session is never touched)",
    )
    contracts.set_defaults(handler=None)

    from .sessions_cli import register as register_sessions

    register_sessions(commands)

    from .fuzz.cli import register as register_fuzz

    register_fuzz(commands)
    return parser


_ALREADY_IMPORTED = "Module already imported so cannot be rewritten; mockserver"


def run_contracts(pytest_args: Sequence[str]) -> int:
    """``mockserver contracts``: pytest with the contract plugin; the bundled suites when no path is given."""
    try:
        import pytest

        from .harness import runner  # noqa: F401 - openapi-core and Schemathesis arrive with the harness extra
    except ImportError as exc:
        print(
            f"mockserver contracts needs the harness extra (pip install 'mockserver[harness]'): {exc}", file=sys.stderr
        )
        return 2

    # pytest decides whether paths were given (its options take values); the plugin then
    # swaps in the bundled suites. -rfEs adds skip reasons to pytest's default summary. This
    # command imported the mockserver package before pytest could mark it for assertion
    # rewriting, which an installed wheel's plugin entry point asks for; nothing in it asserts.
    args = [
        "--bundled-contracts",
        "--step-files-anywhere",
        "-rfEs",
        "-W",
        f"ignore:{_ALREADY_IMPORTED}:pytest.PytestAssertRewriteWarning",
        *pytest_args,
    ]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args[:0] = ["-p", "mockserver.harness.plugin"]
    return int(pytest.main(args))


def _serve(args: argparse.Namespace) -> int:
    from . import console
    from .admin import InProcessAdmin
    from .app import describe_urls
    from .cors import default_origins
    from .seeding import SeedError, apply_seed, load_seed
    from .server import PortInUse, bind_socket, defer_stop_signals, serve_forever
    from .vendors import ALL_VENDORS

    try:
        seed = load_seed(args.seed) if args.seed else None
    except SeedError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except PortInUse as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    cors = default_origins(is_loopback(host)) if args.cors is None else args.cors
    served = [vendor for vendor in ALL_VENDORS if args.api is None or vendor.name in args.api]
    try:
        app, state_file = build_served_app(args, cors=cors, vendors=served)
    except ServeError as exc:
        sock.close()
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    uvicorn_log_level = console.configure(quiet=args.quiet, verbose=args.verbose)
    access_log = not args.quiet if args.access_log is None else args.access_log
    shown_host = f"[{host}]" if ":" in host else host
    if seed is not None:
        try:
            applied = apply_seed(InProcessAdmin(app.runtime), seed, str(args.seed))
        except SeedError as exc:
            sock.close()
            print(f"mockserver: {exc}", file=sys.stderr)
            return 2
        for entry in applied:
            if args.quiet:
                print(f"seeded {entry['api']}/{entry['state']}")
            else:
                print(f"seeded {entry['api']}/{entry['state']}: {json.dumps(entry['data'])}")
        app.runtime.keep_as_baseline()
    token = args.admin_token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host):
        print(
            f"mockserver: warning: bound to {args.host}, not loopback: anyone who can reach this port can call "
            "the fakes; /__admin requires the admin token",
            file=sys.stderr,
        )
        if token is None:
            token = new_admin_token()
            print(f"admin token (Authorization: Bearer ...): {token}")
    if token is not None:
        issued.register(token)
    policy = policy_for(args.host, port, allow_hosts=args.allow_host, token=token, address=host)
    # Clients start on the URLs printed below; a stop from then on waits for the server to stop it.
    defer_stop_signals()
    for name, url in describe_urls(f"http://{shown_host}:{port}", app).items():
        print(f"{name:<7} {url}")
    sys.stdout.flush()
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal; a
    # deliberate stop is a success, so both end in exit code 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.workers > 1:
        from .workers import run_workers

        return run_workers(
            args.workers,
            sock,
            lambda s: serve_forever(
                app, s, args.shutdown_timeout, policy, access_log=access_log, log_level=uvicorn_log_level
            ),
        )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve_forever(app, sock, args.shutdown_timeout, policy, access_log=access_log, log_level=uvicorn_log_level)
    finally:
        if state_file is not None:
            state_file.save(app.admin.export_state())
            print(f"saved the state to {state_file.path}", file=sys.stderr)
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def _positive_seconds(text: str) -> float:
    value = _non_negative_seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


class ServeError(Exception):
    """A ``serve`` configuration that cannot start (one clear line, exit 2)."""


def build_served_app(
    args: argparse.Namespace, *, cors: Sequence[str] = (), vendors: Sequence[type[Vendor]] | None = None
) -> tuple[FakesApp, StateFile | None]:
    """The app ``serve`` runs, on the engine ``--state`` names, with its state file loaded."""
    from .app import build_app
    from .runtime import Runtime
    from .state.engine import EngineUnavailable, open_engine
    from .state.files import StateFile
    from .vendors import ALL_VENDORS

    memory = args.state in ("", "memory")
    if args.workers > 1 and memory:
        raise ServeError(
            f"--workers {args.workers} needs shared state: with --state memory each worker would be a "
            "separate fake; use --state redis://HOST:PORT/DB"
        )
    if args.state_file is not None and not memory:
        raise ServeError("--state-file is for --state memory; Redis keeps the state itself (see its persistence)")
    try:
        engine = open_engine(args.state, session_ttl=args.session_ttl, max_sessions=args.max_sessions)
    except (ValueError, EngineUnavailable) as exc:
        raise ServeError(str(exc)) from None
    runtime = Runtime(ALL_VENDORS if vendors is None else vendors, engine=engine)
    state_file = StateFile(args.state_file) if args.state_file is not None else None
    app = build_app(
        runtime, validate_responses=args.validate_responses, fast_path=args.fast_path, state_file=state_file, cors=cors
    )
    if state_file is not None:
        try:
            saved = state_file.load()
            if saved is not None:
                app.admin.import_state(saved)
        except (ValueError, AdminError) as exc:
            raise ServeError(f"cannot load {state_file.path}: {exc}") from None
    return app, state_file


def _api_names(text: str) -> list[str]:
    from .vendors import ALL_VENDORS

    known = [vendor.name for vendor in ALL_VENDORS]
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"name at least one fake; known: {', '.join(known)}")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fake {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return names


def _cors_origins(text: str) -> tuple[str, ...]:
    from .cors import parse_origins

    try:
        return parse_origins(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockserver`` console script."""
    # Starlette 1.x warns when connexion imports its test client; it means nothing to CLI users.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["contracts"] and not {"-h", "--help"} & set(argv[1:]):
        # Everything after the command is pytest's; argparse would misread options with values.
        return run_contracts(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
