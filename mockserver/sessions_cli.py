"""``mockserver sessions list|create|delete``: manage the sessions of a running ``mockserver serve``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx

from .admin_guard import TOKEN_ENV
from .errors import AdminError

URL_ENV = "MOCKSERVER_URL"
DEFAULT_URL = "http://127.0.0.1:8080"

EPILOG = f"""\
A session is the whole server at <url>/s/<id>: every fake, /__admin and Swagger UI, with a state,
journal, faults, settings and clock of its own. A client, an app or a test suite uses it by
its base URL alone; deleting it frees everything at once. Idle sessions expire on their own.

examples:
  mockserver sessions create --name "ci shard 1"       # prints id, base_url and token
  mockserver sessions list
  mockserver sessions delete 3f2a9c0d1b4e5f60
  mockserver sessions list --url http://fake.internal:8080 --json

The server: --url, else ${URL_ENV}, else {DEFAULT_URL}. Where the server asks for an admin
credential, ${TOKEN_ENV} is sent as 'Authorization: Bearer ...'.

exit codes: 0 done; 1 the server refused (unknown session, no credential, too many sessions);
2 bad arguments or no mockserver answers at the URL.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sessions`` subcommand to ``mockserver``'s subparsers; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sessions",
        help="list, create or delete the isolated sessions of a running mockserver",
        description="List, create or delete the sessions of a running `mockserver serve`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=None,
        help=f"the server's base URL (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", parents=[common], help="the live sessions, oldest first")
    listing.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    create = actions.add_parser(
        "create", parents=[common], help="a new session: prints its id, base URL and token (shown once)"
    )
    create.add_argument("--name", help="a label shown by list (at most 200 characters)")
    create.add_argument(
        "--ttl",
        type=_seconds,
        metavar="SECONDS",
        help="free the session after this long idle (default: the server's --session-ttl)",
    )
    create.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    delete = actions.add_parser("delete", parents=[common], help="delete sessions and everything they hold")
    delete.add_argument("ids", nargs="+", metavar="ID", help="the sessions to delete")
    parser.set_defaults(handler=run_command)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Handle ``mockserver sessions``."""
    from .admin import HttpAdmin

    url = (args.url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        print(f"mockserver sessions: --url must be an http:// or https:// URL, got {url!r}", file=sys.stderr)
        return 2
    with HttpAdmin(url) as admin:
        try:
            if args.action == "list":
                return _list(admin.sessions(), args.json)
            if args.action == "create":
                created = admin.create_session(name=args.name, ttl_seconds=args.ttl)
                if args.json:
                    print(json.dumps(created, indent=2))
                else:
                    for key in ("id", "base_url", "token"):
                        print(f"{key:<9} {created[key]}")
                return 0
            return _delete(admin, args.ids)
        except httpx.HTTPError as exc:
            print(f"mockserver sessions: no mockserver answers at {url}: {exc}", file=sys.stderr)
            return 2
        except AdminError as exc:
            print(f"mockserver sessions: {_explain(exc, url)}", file=sys.stderr)
            return 1


def _list(sessions: list[dict[str, Any]], as_json: bool) -> int:
    if as_json:
        print(json.dumps({"data": sessions}, indent=2))
        return 0
    if not sessions:
        print("no sessions")
        return 0
    rows = [("ID", "NAME", "CREATED", "LAST USED", "REQUESTS", "TTL")]
    rows += [
        (
            str(entry["id"]),
            str(entry.get("name") or "-"),
            str(entry["created"]),
            str(entry["last_used"]),
            str(entry["requests"]),
            f"{entry['ttl_seconds']:g}s",
        )
        for entry in sessions
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _delete(admin: Any, ids: list[str]) -> int:
    failed = 0
    for session_id in ids:
        try:
            admin.delete_session(session_id)
        except AdminError as exc:
            if exc.status != 404:
                raise
            print(f"mockserver sessions: no session {session_id!r}", file=sys.stderr)
            failed += 1
        else:
            print(f"deleted {session_id}")
    return 1 if failed else 0


def _explain(error: AdminError, url: str) -> str:
    if error.status == 401:
        return f"{url} refused: {error.message} (set {TOKEN_ENV} to the server's admin token)"
    if error.status == 404 and error.code == "not_found" and "session" not in error.message:
        return f"{url} has no sessions (an older mockserver?): {error.message}"
    return f"{url} refused: {error.message}"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value
