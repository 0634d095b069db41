"""The contract harness's pieces: loading, templating, matching, redaction, targets, the runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from support.operations import DECLARED
from support.stepfiles import DISCONNECT, ROOT, TARGETS, disconnect_step, step_file, write

from mockserver.harness import (
    InProcessTarget,
    RealTarget,
    RunOptions,
    SkipFile,
    StepFailure,
    StepFileError,
    load_step_file,
    load_targets,
    run_step_file,
    step_file_schema,
)
from mockserver.harness.matching import match, match_headers
from mockserver.harness.redaction import MASK, Redactor
from mockserver.harness.runner import retry_after_seconds
from mockserver.harness.speccheck import SpecChecker
from mockserver.harness.templating import Scope, UndefinedVariable, render
from mockserver.specs import load_spec

SEED_PAGE = ROOT / "contracts" / "vcita" / "disconnect_external_calendar.seed.md"


# -- loading ------------------------------------------------------------------------------------
def test_schema_is_shipped_in_the_package() -> None:
    schema = step_file_schema()
    assert schema["title"] == "Contract step file"
    assert (ROOT / "mockserver" / "harness" / "step-file.schema.json").is_file()


def test_seed_page_is_read_as_a_step_file() -> None:
    loaded = load_step_file(SEED_PAGE)
    assert loaded.api == "vcita"  # from `endpoint: "PUT /business/..."`
    assert loaded.name == "Disconnect External Calendar"
    assert loaded.status == "skip"
    assert loaded.skip_reason.startswith("Requires CalendarSync record")
    assert [step.id for step in loaded.steps] == ["connect_calendar", "disconnect_calendar"]
    assert [step.line for step in loaded.steps] == [29, 48]
    assert loaded.steps[0].on_fail == "abort"
    assert loaded.steps[1].token is not None and loaded.steps[1].token.name == "staff"
    assert loaded.tags == ("calendar", "sync", "external", "scheduling")


def test_seed_page_runs_once_active(tmp_path: Path) -> None:
    # The seed's `token: staff` and `{{staff_id}}` come from targets.yaml's vcita defaults.
    active = SEED_PAGE.read_text(encoding="utf-8").replace("status: skip", "status: active", 1)
    loaded = load_step_file(write(tmp_path, "seed.md", active))
    defaults = load_targets(TARGETS).defaults
    report = run_step_file(loaded, InProcessTarget("fake", defaults=defaults))
    assert [record.outcome for record in report.records] == ["passed", "passed"]


def test_markdown_without_front_matter_or_steps_is_not_a_step_page(tmp_path: Path) -> None:
    from mockserver.harness.loader import is_step_page

    assert not is_step_page(write(tmp_path, "a.md", "# Title\n\n```yaml\nsteps: []\n```\n"))
    assert not is_step_page(write(tmp_path, "b.md", "---\napi: vcita\n---\n\n```yaml\nfoo: 1\n```\n"))
    assert is_step_page(write(tmp_path, "c.md", "---\napi: vcita\n---\n\n```yaml\nsteps: []\n```\n"))


def test_markdown_step_block_errors_carry_page_lines(tmp_path: Path) -> None:
    page = "---\napi: vcita\n---\n\ntext\n\n```yaml\nsteps:\n  - id: a\n    method: PUT\n    path: /x\n```\n"
    with pytest.raises(StepFileError) as caught:
        load_step_file(write(tmp_path, "page.md", page))
    assert caught.value.problems == [(9, "steps[0]: 'expect' is a required property")]


def test_unknown_api_duplicate_ids_and_bad_matchers_are_refused(tmp_path: Path) -> None:
    text = """\
api: nowhere
steps:
  - id: a
    method: GET
    path: /x
    expect: {status: 200, body: {x: {$typ: string}}}
  - id: a
    method: GET
    path: /y
    expect: {status: 200}
"""
    with pytest.raises(StepFileError) as caught:
        load_step_file(write(tmp_path, "bad.yaml", text))
    messages = dict(caught.value.problems)
    assert messages[1].startswith("api: unknown api 'nowhere'; known: ")
    assert "a matcher is one of" in messages[6]
    assert messages[7] == "steps[1].id: 'a' is already the id of the step at line 3"


def test_skip_needs_a_reason(tmp_path: Path) -> None:
    text = "api: vcita\nstatus: skip\nsteps: [{id: a, method: GET, path: /, expect: {status: 200}}]\n"
    with pytest.raises(StepFileError) as caught:
        load_step_file(write(tmp_path, "s.yaml", text))
    assert caught.value.problems == [(1, "(top level): 'skip_reason' is a required property")]


def what_changes_state(tmp_path: Path, api: str, method: str, path: str, **keys: object) -> tuple[bool, bool]:
    """Whether a one-step file's step changes state, and whether the file has destructive steps."""
    step: dict[str, object] = {"id": "a", "method": method, "path": path, "expect": {"status": 200}, **keys}
    loaded = load_step_file(step_file(tmp_path, [step], api=api))
    return loaded.steps[0].changes_state(api), loaded.has_destructive_steps


@pytest.mark.parametrize(("api", "method", "path", "destructive"), DECLARED)
def test_the_spec_says_what_changes_state(api: str, method: str, path: str, destructive: bool, tmp_path: Path) -> None:
    assert what_changes_state(tmp_path, api, method, path) == (destructive, destructive)


@pytest.mark.parametrize("path", ["/v2/calendars/google/connect?redir=x", "/v2/calendars/{{calendar}}/save"])
def test_a_query_or_placeholder_in_the_path_keeps_its_operation(path: str, tmp_path: Path) -> None:
    assert what_changes_state(tmp_path, "calcom", "GET", path) == (True, True)


# A method or path the spec does not list: nothing tells what it does.
@pytest.mark.parametrize(
    ("api", "method", "path"),
    [
        ("vcita", "GET", "/no/such/path"),
        ("recall", "GET", "/api/v1/calendar/user/disconnect/"),
        ("calcom", "DELETE", "/v2/calendars"),
        ("calcom", "GET", "{{auth_url}}"),
    ],
)
def test_what_the_spec_does_not_list_changes_state(api: str, method: str, path: str, tmp_path: Path) -> None:
    assert what_changes_state(tmp_path, api, method, path) == (True, True)


@pytest.mark.parametrize(("method", "path", "explicit"), [("PUT", DISCONNECT, False), ("GET", "/x", True)])
def test_the_steps_own_destructive_key_wins(method: str, path: str, explicit: bool, tmp_path: Path) -> None:
    assert what_changes_state(tmp_path, "vcita", method, path, destructive=explicit) == (explicit, explicit)


# -- templating ---------------------------------------------------------------------------------
def test_whole_placeholder_keeps_its_type_and_embedded_ones_become_text() -> None:
    scope = Scope(variables={"n": 5, "obj": {"a": [1, 2]}, "ref": "{{n}}"}, environ={"HOME_X": "/h"})
    scope.add_given("sync", {"staff_uid": "s1", "tokens": {"staff": "t"}})
    scope.saved["uid"] = "u9"
    assert render("{{n}}", scope) == 5
    assert render("{{ref}}", scope) == 5
    assert render("{{obj}}", scope) == {"a": [1, 2]}
    assert render("n={{n}} obj={{obj}}", scope) == 'n=5 obj={"a": [1, 2]}'
    assert render({"k": ["{{given.sync.staff_uid}}", "{{staff_uid}}"]}, scope) == {"k": ["s1", "s1"]}
    assert render("{{obj.a.1}}", scope) == 2
    assert render("{{env.HOME_X}}/{{uid}}", scope) == "/h/u9"
    assert render("{{saved.uid}}", scope) == "u9"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{nope}}", "undefined variable 'nope'"),
        (
            "{{env.MISSING_VAR_X}}",
            "undefined variable 'env.MISSING_VAR_X': environment variable MISSING_VAR_X is not set",
        ),
        ("{{given.other.x}}", "undefined variable 'given.other.x': no given is named 'other' (given: sync)"),
        ("{{given.sync.nothing}}", "undefined variable 'given.sync.nothing': given.sync has no 'nothing'"),
        ("{{loop}}", "undefined variable 'loop': it refers to itself"),
    ],
)
def test_undefined_names_say_why(template: str, message: str) -> None:
    scope = Scope(variables={"loop": "{{loop}}"}, environ={})
    scope.add_given("sync", {"staff_uid": "s1"})
    with pytest.raises(UndefinedVariable) as caught:
        render(template, scope)
    assert str(caught.value) == message


# -- matching -----------------------------------------------------------------------------------
def test_subset_matching_and_matchers() -> None:
    actual = {"a": 1, "b": "f67acee343b4a38b", "c": [1, 2], "d": None, "e": True, "extra": 0}
    assert match({"a": 1}, actual) == []
    assert match({"b": {"$regex": "^[0-9a-f]{16}$"}, "c": {"$len": 2}, "d": {"$type": "null"}}, actual) == []
    assert match({"x": {"$absent": True}, "a": {"$any": True}, "c": {"$contains": 2}}, actual) == []
    assert match({"e": {"$oneOf": [False, True]}, "a": {"$type": ["integer", "string"]}}, actual) == []
    assert match({"a": True}, actual) == ["$.a: expected true, got 1"]
    assert match({"e": 1}, actual) == ["$.e: expected 1, got true"]
    assert match({"c": [1]}, actual) == ["$.c: expected 1 items, got 2: [1, 2]"]
    assert match({"c": [1, 3]}, actual) == ["$.c[1]: expected 3, got 2"]
    assert match({"z": 1}, actual) == ["$.z: missing (expected 1)"]
    assert match({"a": {"$absent": True}}, actual) == ["$.a: expected no such key, got 1"]
    assert match({"weird key": 1}, {}) == ['$["weird key"]: missing (expected 1)']


def test_header_matching_is_case_insensitive() -> None:
    headers = httpx.Headers({"X-Request-Id": "abc", "Retry-After": "3"})
    assert match_headers({"x-request-id": {"$type": "string"}, "retry-after": 3}, headers) == []
    assert match_headers({"Allow": "PUT"}, headers) == ['header Allow: missing (expected "PUT")']


# -- redaction ----------------------------------------------------------------------------------
def test_redactor_masks_known_secrets_and_credential_fields() -> None:
    redactor = Redactor(["Bearer abcdef123456"])
    redactor.add_secret_fields({"data": {"token": "eyJhbGciOi.x.y", "tokens": {"staff": "s3cr3t-staff"}, "id": "x"}})
    text = "Authorization: Bearer abcdef123456; bare abcdef123456; eyJhbGciOi.x.y; s3cr3t-staff; id x"
    assert redactor.text(text) == f"Authorization: {MASK}; bare {MASK}; {MASK}; {MASK}; id x"
    assert redactor.headers({"Authorization": "Bearer z", "X-Recallcalendarauthtoken": "q", "Accept": "a"}) == {
        "Authorization": MASK,
        "X-Recallcalendarauthtoken": MASK,
        "Accept": "a",
    }


# -- spec checks --------------------------------------------------------------------------------
def test_spec_checker_reports_json_paths() -> None:
    checker = SpecChecker(load_spec("vcita.yaml"), "http://127.0.0.1:1/vcita")
    request = httpx.Request(
        "PUT",
        f"http://127.0.0.1:1/vcita{DISCONNECT}",
        json={"staff_uid": "a", "calendar_sync": {"provider": "google_v3", "account": "b"}},
        headers={"Authorization": "Bearer t"},
    )
    good = httpx.Response(
        200,
        json={
            "success": True,
            "data": {
                "uid": "u",
                "staff_uid": "a",
                "provider": None,
                "account": None,
                "enabled": False,
                **dict.fromkeys(("should_import", "should_export", "is_external_app", "is_private_import"), False),
                **dict.fromkeys(("is_private_export", "is_staff_disable_ics", "is_business_disable_ics"), False),
            },
        },
        request=request,
    )
    assert checker.response_errors(good) == []
    assert checker.request_errors(request) == []
    bad = httpx.Response(200, json={"success": True, "data": {"uid": 1}}, request=request)
    assert ("$.data.uid", "1 is not of type 'string'") in checker.response_errors(bad)
    assert ("$.data", "'enabled' is a required property") in checker.response_errors(bad)
    undeclared = httpx.Response(418, json={}, request=request)
    assert checker.response_errors(undeclared) == [("$", "Unknown response http status: 418")]
    no_auth = httpx.Request("PUT", f"http://127.0.0.1:1/vcita{DISCONNECT}", json={"staff_uid": "a"})
    assert checker.request_errors(no_auth)[0][1].startswith("Security not found")


# -- the runner against real targets -------------------------------------------------------------
# vcita's spec lists no read; a request it does not describe runs on a real target only when its
# step says it changes nothing.
READ = {
    "id": "read",
    "method": "GET",
    "path": "/x",
    "token": "staff",
    "destructive": False,
    "expect": {"status": 200, "schema": False},
}


def _real(handler: Callable[[httpx.Request], httpx.Response], environ: dict[str, str], **apis: dict) -> tuple:
    target = RealTarget("real-test", apis or {"vcita": {"url": "http://127.0.0.1:9/vcita"}}, environ=environ)
    return target, httpx.Client(transport=httpx.MockTransport(handler))


def test_real_target_guards_destructive_steps_and_masks_tokens(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"token": "issued-secret-value"})

    environ = {"STAFF_TOKEN_X": "staff-secret-token", "STAFF_UID_X": "s1"}
    apis = {
        "vcita": {
            "url": "http://127.0.0.1:9/vcita",
            "tokens": {"staff": "STAFF_TOKEN_X"},
            "given": {"calendar_sync": {"staff_uid": {"env": "STAFF_UID_X"}}},
        }
    }
    target, client = _real(handler, environ, **apis)
    path = step_file(tmp_path, [READ, disconnect_step()], given=[{"state": "calendar_sync"}])
    with pytest.raises(SkipFile) as caught:
        run_step_file(load_step_file(path), target, client=client)
    assert "step 'disconnect' (PUT /business/scheduling/v1/external_calendar_items/disconnect) changes state" in str(
        caught.value.reason
    )
    assert "--allow-destructive" in caught.value.reason
    assert [request.method for request in seen] == ["GET"]
    assert seen[0].headers["Authorization"] == "Bearer staff-secret-token"

    seen.clear()
    report = run_step_file(load_step_file(path), target, RunOptions(allow_destructive=True), client=client)
    assert report.ok
    assert json.loads(seen[1].content)["staff_uid"] == "s1"

    failing = step_file(
        tmp_path, [disconnect_step(expect={"status": 201, "schema": False})], given=[{"state": "calendar_sync"}]
    )
    with pytest.raises(StepFailure) as failed:
        run_step_file(load_step_file(failing), target, RunOptions(allow_destructive=True), client=client)
    rendered = failed.value.render()
    assert "expected status 201, got 200" in rendered
    assert "staff-secret-token" not in rendered
    assert "issued-secret-value" not in rendered  # a "token" field of a response body
    assert MASK in rendered


def test_a_saved_url_is_judged_by_the_operation_it_calls(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    base = "http://127.0.0.1:9/calcom"
    target, client = _real(handler, {"K": "cal_test_123456"}, calcom={"url": base, "tokens": {"api_key": "K"}})
    # Saved URLs (a Location, an authUrl) name their operation only once filled in.
    expect = {"status": 200, "schema": False}
    check = {"id": "check", "method": "GET", "path": "{{check_url}}", "token": "api_key", "expect": expect}
    save = {"id": "save", "method": "GET", "path": "{{save_url}}", "expect": expect}
    variables = {
        "check_url": f"{base}/v2/calendars/google/check",
        "save_url": f"{base}/v2/calendars/google/save?state=s&code=c",
    }
    path = step_file(tmp_path, [check, save], "calcom", variables=variables)

    with pytest.raises(SkipFile, match=r"step 'save' \(GET \{\{save_url\}\}\) changes state on real target"):
        run_step_file(load_step_file(path), target, client=client)
    assert [str(request.url) for request in seen] == [f"{base}/v2/calendars/google/check"]


def test_real_target_retries_429_after_retry_after(tmp_path: Path) -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"error": "Too many requests"}),
        httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "Too many requests"}),
        httpx.Response(200, json={}),
    ]
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    target, client = _real(
        handler, {"T": "tok-123456"}, vcita={"url": "http://127.0.0.1:9/vcita", "tokens": {"staff": "T"}}
    )
    report = run_step_file(
        load_step_file(step_file(tmp_path, [READ])), target, RunOptions(sleep=waits.append), client=client
    )
    assert waits == [2.0, 1.0]
    assert report.records[0].note == "retried 2 time(s) after 429 Too Many Requests"


def test_real_target_gives_up_on_a_long_retry_after(tmp_path: Path) -> None:
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"}, json={})

    target, client = _real(
        handler, {"T": "tok-123456"}, vcita={"url": "http://127.0.0.1:9/vcita", "tokens": {"staff": "T"}}
    )
    with pytest.raises(StepFailure, match="expected status 200, got 429"):
        run_step_file(
            load_step_file(step_file(tmp_path, [READ])), target, RunOptions(sleep=waits.append), client=client
        )
    assert waits == []


def test_retry_after_parsing() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


# -- the runner against the fakes in process ----------------------------------------------------
def test_save_with_jsonpath_and_header(tmp_path: Path) -> None:
    text = f"""\
api: vcita
given: [{{state: calendar_sync, params: {{account: a@b.c}}}}]
steps:
  - id: disable
    method: PUT
    path: {DISCONNECT.replace("disconnect", "disable")}
    token: staff
    body: {{staff_uid: "{{{{staff_uid}}}}", calendar_sync: {{provider: google_v3, account: a@b.c}}}}
    expect: {{status: 200}}
    save:
      uid: $.data.uid
      everything: $.data.*
      kind: {{header: Content-Type}}
  - id: use_saved
    method: PUT
    path: {DISCONNECT}
    token: staff
    body: {{staff_uid: "{{{{staff_uid}}}}", calendar_sync: {{provider: google_v3, account: a@b.c}}}}
    expect:
      status: 200
      body: {{data: {{uid: "{{{{uid}}}}"}}}}
  - id: missing_capture
    method: PUT
    path: {DISCONNECT}
    token: staff
    body: {{staff_uid: "{{{{staff_uid}}}}", calendar_sync: {{provider: google_v3, account: a@b.c}}}}
    expect: {{status: 422}}
    save:
      nothing: $.data.uid
"""
    with pytest.raises(StepFailure) as caught:
        run_step_file(load_step_file(write(tmp_path, "save.yaml", text)), InProcessTarget("fake"))
    records = caught.value.report.records
    assert [record.outcome for record in records] == ["passed", "passed", "failed"]
    assert records[2].failures == ["save 'nothing': $.data.uid matched nothing"]


def test_url_outside_the_target_is_refused(tmp_path: Path) -> None:
    step = {"id": "away", "method": "GET", "path": "https://example.com/x", "expect": {"status": 200}}
    with pytest.raises(StepFailure, match="outside the target's base URL"):
        run_step_file(load_step_file(step_file(tmp_path, [step])), InProcessTarget("fake"))


def test_status_skip_is_a_skip(tmp_path: Path) -> None:
    path = step_file(tmp_path, [disconnect_step()], status="skip", skip_reason="not today")
    with pytest.raises(SkipFile, match="not today"):
        run_step_file(load_step_file(path), InProcessTarget("fake"))


# -- the format documentation ---------------------------------------------------------------------
def test_format_examples_are_valid_and_the_first_one_passes(tmp_path: Path) -> None:
    import re

    text = (ROOT / "contracts" / "FORMAT.md").read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "steps:" in block]
    assert blocks
    for index, block in enumerate(blocks):
        load_step_file(write(tmp_path, f"example{index}.yaml", block))
    report = run_step_file(load_step_file(tmp_path / "example0.yaml"), InProcessTarget("fake"))
    assert [record.outcome for record in report.records] == ["passed", "passed"]


def test_http_client_logs_are_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    # The token also travels in the query string, where httpx's request log line shows it.
    monkeypatch.setenv("HARNESS_TEST_SECRET", "query-secret-123")
    environ = {"T": "query-secret-123"}
    target, client = _real(handler, environ, vcita={"url": "http://127.0.0.1:9/vcita", "tokens": {"staff": "T"}})
    step = {**READ, "query": {"key": "{{env.HARNESS_TEST_SECRET}}"}}
    caplog.set_level("INFO", logger="httpx")
    run_step_file(load_step_file(step_file(tmp_path, [step])), target, client=client)
    assert f"HTTP Request: GET http://127.0.0.1:9/vcita/x?key={MASK}" in caplog.text
    assert "query-secret-123" not in caplog.text
