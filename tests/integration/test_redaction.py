"""No secret the fakes issued appears in full in anything the fakes show.

Every vendor mints its secrets, every contract suite drives every operation (the Cal.com consent
flow included) against a served fake, and then each output channel - the journal as JSON, the
state dump, the server's log output - is searched for every secret issued meanwhile.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from support.serve import ENV_WITHOUT_ADMIN_TOKEN, free_port, run, serve, stop

from mockserver import issued
from mockserver.admin import HttpAdmin
from mockserver.app import build_app
from mockserver.harness.plugin import is_contract_path
from mockserver.journal import Journal
from mockserver.server import ServerThread

ROOT = Path(__file__).resolve().parents[2]
STEP_FILES = [path for path in sorted((ROOT / "contracts").rglob("*")) if path.is_file() and is_contract_path(path)]
# Every kind of credential each fake mints, and the ids each needs (from its provider states).
MINTED: dict[str, list[tuple[str, str | None, dict[str, str]]]] = {
    "ravan": [("jwt", "org", {"org_id": "org_id"})],
    "calcom": [
        ("api_key", "user", {"user_id": "user_id"}),
        ("managed_user", "user", {"user_id": "user_id"}),
        ("oauth", "user", {"user_id": "user_id"}),
    ],
    "recall": [("workspace", None, {}), ("calendar", "calendar_user", {"calendar_user_id": "calendar_user_id"})],
    "vcita": [
        ("staff", "staff", {"business_uid": "business_uid", "staff_uid": "staff_uid"}),
        ("app", "staff", {"business_uid": "business_uid"}),
        ("admin", "staff", {"business_uid": "business_uid"}),
    ],
}


class KeepingJournal(Journal):
    """A journal that a reset does not empty, so a whole suite run can be searched at the end."""

    def clear(self, api: str | None = None) -> int:
        return 0

    def set_cap(self, cap: int) -> None:
        return None


@contextlib.contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything the server logs (uvicorn's loggers and the root logger), as a handler formats it.

    Entered once the server is built (uvicorn sets its loggers' handlers then) and before it starts.
    """
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield stream
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def mint_every_kind(admin: HttpAdmin) -> list[str]:
    """One credential of every kind every fake mints."""
    minted = []
    for api, kinds in MINTED.items():
        for kind, state, params in kinds:
            applied = admin.apply_state(api, state, {}) if state else {}
            ids = {name: _lookup(applied, path) for name, path in params.items()}
            minted.append(admin.mint_token(api, kind, **ids))
    return minted


def calcom_consent_flow(server: ServerThread, token: str) -> None:
    """connect -> fake consent -> save, as a browser follows it (the path that leaked an API key)."""
    calcom = server.url("calcom")
    with httpx.Client(timeout=10) as client:
        connect = client.get(
            f"{calcom}/v2/calendars/google/connect",
            params={"redir": "https://app.example.com/back"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert connect.status_code == 200, connect.text
        consent = client.get(connect.json()["data"]["authUrl"])
        assert consent.status_code == 302
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        assert code in issued.REGISTRY
        saved = client.get(consent.headers["location"])
        assert saved.status_code == 301, saved.text


def test_no_issued_secret_appears_in_the_journal_state_or_logs(pytester: pytest.Pytester) -> None:
    before = set(issued.REGISTRY)
    app = build_app(validate_responses=True)
    app.runtime.world.journal = KeepingJournal(100_000)
    server = ServerThread(app)
    with captured_logs() as logs, server, HttpAdmin(server.base_url) as admin:
        minted = mint_every_kind(admin)
        user = admin.apply_state("calcom", "user", {})
        calcom_consent_flow(server, user["tokens"]["api_key"])
        api_key_journal = json.dumps(admin.requests(api="calcom"), ensure_ascii=False)

        # The suites run in a session of their own; this one keeps its whole journal too.
        session = admin.create_session("redaction")["id"]
        app.runtime.engine.world(session).journal = KeepingJournal(100_000)
        result = pytester.runpytest(
            *[str(path) for path in STEP_FILES], "--target", server.base_url, "--session", session, "-q"
        )
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) + outcomes.get("skipped", 0) == len(STEP_FILES), outcomes

        new = [secret for secret in issued.REGISTRY if secret not in before]
        # A server-side log line carrying secrets, as a traceback would: the log channel is checked too.
        logging.getLogger("uvicorn.error").error("request failed for %s", new[-5:])
        root_journal = httpx.get(f"{server.base_url}/__admin/requests", params={"limit": 100_000}).json()["data"]
        session_journal = httpx.get(
            f"{server.base_url}/s/{session}/__admin/requests", params={"limit": 100_000}
        ).json()["data"]
        channels = {
            "journal": json.dumps({"data": root_journal + session_journal}, ensure_ascii=False),
            "state": httpx.get(f"{server.base_url}/__admin/state").text,
            "logs": logs.getvalue(),
        }

    assert set(minted) <= set(new)
    # Every vendor's secrets were issued: Cal.com keys, Ravan keys and JWTs, Recall keys, vcita tokens.
    assert {s[:4] for s in new} >= {"cal_", "eyJh"} and len(new) > 100, len(new)
    for name, text in channels.items():
        leaked = [secret for secret in new if secret in text]
        assert not leaked, f"{len(leaked)} issued secrets in full in the {name}: {[s[:8] for s in leaked[:5]]}"
    # The journal does show where a secret was, masked: the consent flow's state carries the API key.
    token = user["tokens"]["api_key"]
    assert issued.masked(token) in api_key_journal and token not in api_key_journal
    assert channels["logs"].count("…") >= 5
    # The whole run was kept: every fake's requests, each file's (a reset empties a real journal).
    entries = json.loads(channels["journal"])["data"]
    assert {entry["api"] for entry in entries} == {"ravan", "calcom", "recall", "vcita"}
    assert len({entry["operationId"] for entry in entries}) > 20


SEED = """\
states:
  - {api: calcom, state: user}
  - {api: vcita, state: calendar_sync, params: {provider: google_v3}}
  - {api: ravan, state: org}
  - {api: recall, state: calendar_user}
"""


def serve_on_a_free_port(*args: str) -> tuple[subprocess.Popen[str], list[str], str]:
    """``mockserver serve *args`` with no admin token; the process, what it printed, its base URL."""
    port = free_port()
    process, lines = serve("--port", str(port), *args, env=ENV_WITHOUT_ADMIN_TOKEN)
    return process, lines, f"http://127.0.0.1:{port}"


def test_serve_quiet_prints_no_seeded_secret_and_its_output_holds_none(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED, encoding="utf-8")
    process, lines, base = serve_on_a_free_port("--seed", str(seed), "--quiet")
    try:
        seeded = [line for line in lines if line.startswith("seeded ")]
        assert seeded == [
            "seeded calcom/user",
            "seeded vcita/calendar_sync",
            "seeded ravan/org",
            "seeded recall/calendar_user",
        ]
        with HttpAdmin(base) as admin:
            secrets = mint_every_kind(admin)
            user = admin.apply_state("calcom", "user", {})
            secrets.append(user["tokens"]["api_key"])
            with httpx.Client(timeout=10) as client:
                connect = client.get(
                    f"{base}/calcom/v2/calendars/google/connect",
                    headers={"Authorization": f"Bearer {user['tokens']['api_key']}"},
                )
                consent = client.get(connect.json()["data"]["authUrl"])
                secrets.append(parse_qs(urlsplit(consent.headers["location"]).query)["code"][0])
                assert client.get(consent.headers["location"]).status_code == 301
            journal = json.dumps(admin.requests(), ensure_ascii=False)
            state = json.dumps(admin.state())
    finally:
        stdout, stderr = stop(process)
    for name, text in {
        "journal": journal,
        "state": state,
        "stdout": "\n".join(lines) + stdout,
        "stderr": stderr,
    }.items():
        assert not [s for s in secrets if s in text], name
    assert "accessToken" in journal and "…" in journal


def test_serve_seed_without_quiet_prints_the_tokens_it_created(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED, encoding="utf-8")
    process, lines, _ = serve_on_a_free_port("--seed", str(seed))
    try:
        calcom = next(line for line in lines if line.startswith("seeded calcom/user: "))
        data = json.loads(calcom.split(": ", 1)[1])
        assert data["tokens"]["api_key"].startswith("cal_") and "…" not in data["tokens"]["api_key"]
    finally:
        stop(process)


def test_serve_help_says_seed_prints_tokens_and_offers_quiet() -> None:
    result = run("serve", "--help")
    assert "in full" in result.stdout and "--quiet" in result.stdout
