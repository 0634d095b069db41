"""Running one step file against one target."""

from __future__ import annotations

import email.utils
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from ..specs import CONTROL_PLANE_API
from . import apis
from .matching import match, match_headers, show
from .model import Step, StepFile
from .redaction import Redactor, is_secret_name, redacted_logs
from .report import FAILED, PASSED, SKIPPED, FileReport, StepRecord, excerpt
from .speccheck import SpecChecker
from .targets import SetupError, SkipFile, Target
from .templating import Scope, UndefinedVariable, render

_NO_JSON = object()


@dataclass(frozen=True)
class RunOptions:
    """How a file runs.

    Args:
        allow_destructive: run steps that change state against real targets too.
        timeout: seconds per HTTP request.
        sleep: waits before a 429 retry (tests replace it).
    """

    allow_destructive: bool = False
    timeout: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep)


class RequestError(Exception):
    """A step's request cannot be built (a URL outside the target...)."""


class StepFailure(AssertionError):
    """A step file failed; :meth:`render` gives the report with secrets masked."""

    def __init__(self, report: FileReport, redactor: Redactor) -> None:
        self.report = report
        self.redactor = redactor
        super().__init__(redactor.text(report.headline()))

    def render(self) -> str:
        """The full report, secrets masked."""
        return self.report.render(self.redactor)


@functools.lru_cache(maxsize=64)
def _checker(api: str, base_url: str) -> SpecChecker:
    return SpecChecker(apis.spec_for(api), base_url)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) in seconds; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class FileRun:
    """The state of one file's run: scope, tokens, client, report."""

    def __init__(self, step_file: StepFile, target: Target, options: RunOptions, client: httpx.Client) -> None:
        self.step_file = step_file
        self.target = target
        self.options = options
        self.client = client
        self.redactor = Redactor()
        self.scope = Scope(variables={**target.variables(step_file.api), **step_file.variables})
        self.tokens: dict[str, str] = {}
        self.report = FileReport(step_file, target.name)

    # -- set-up -------------------------------------------------------------------------------
    def prepare(self) -> None:
        self.tokens = self.target.prepare(self.step_file, self.scope)
        self.redactor.add(self.tokens)
        for name, result in self.scope.given.items():
            for key, value in result.items():
                if key == "tokens" or is_secret_name(key):
                    self.redactor.add(value)
            shown = ", ".join(f"{k}={show(v, 60)}" for k, v in result.items() if k != "tokens")
            self.report.given_lines.append(f"{name}: {shown}")

    # -- one step -----------------------------------------------------------------------------
    def _token(self, step: Step, api: str, path: str, headers: dict[str, str], query: dict[str, Any]) -> None:
        assert step.token is not None
        ref = step.token
        if "{{" in ref.name:
            value = str(render(ref.name, self.scope))
        elif ref.name in self.tokens:
            value = self.tokens[ref.name]
        elif "." in ref.name and ref.name.split(".", 1)[0] in self.scope.given:
            value = str(self.scope.lookup(f"given.{ref.name.split('.', 1)[0]}.tokens.{ref.name.split('.', 1)[1]}"))
        else:
            known = ", ".join(sorted(self.tokens)) or "none"
            raise UndefinedVariable(f"token {ref.name}", f"no token of that name (tokens here: {known})")
        self.redactor.add(value)
        operation = apis.find_operation(api, step.method, path)
        scheme_name = ref.scheme
        if scheme_name is None and operation is not None and operation.security:
            scheme_name = next(iter(operation.security[0]), None)
        scheme = apis.security_scheme(api, scheme_name) if scheme_name else None
        configured = self.target.auth_format(api, scheme_name) if scheme_name else None
        if scheme is not None and scheme.get("type") == "apiKey":
            credential = (configured or "{token}").replace("{token}", value)
            where, name = scheme.get("in", "header"), str(scheme.get("name"))
            if where == "query":
                query.setdefault(name, credential)
            elif where == "cookie":
                headers.setdefault("Cookie", f"{name}={credential}")
            elif not any(existing.lower() == name.lower() for existing in headers):
                headers[name] = credential
            self.redactor.add(credential)
            return
        word = "Basic" if scheme is not None and str(scheme.get("scheme", "")).lower() == "basic" else "Bearer"
        credential = (configured or f"{word} {{token}}").replace("{token}", value)
        self.redactor.add(credential)
        if not any(existing.lower() == "authorization" for existing in headers):
            headers["Authorization"] = credential

    def _url(self, step: Step, api: str) -> tuple[str, str]:
        """The step's URL and its path below the API's base URL, placeholders filled in."""
        path = str(render(step.path, self.scope))
        base = self.target.base_url(api)
        if not path.startswith(("http://", "https://")):
            return base + path, path
        # A URL a response handed out (a Location, an authUrl): allowed below the API's base only.
        if path != base and not path.startswith(base + "/"):
            raise RequestError(f"path {path!r} is outside the target's base URL for {api} ({base})")
        return path, path[len(base) :]

    def _build(self, step: Step, api: str) -> httpx.Request:
        url, path = self._url(step, api)
        headers = {str(k): str(v) for k, v in render(step.headers, self.scope).items()}
        query = render(step.query, self.scope)
        if step.token is not None:
            self._token(step, api, path, headers, query)
        if api == CONTROL_PLANE_API:
            for name, value in self.target.control_plane_headers().items():
                if not any(existing.lower() == name.lower() for existing in headers):
                    headers[name] = value
                    self.redactor.add(value)
        content: bytes | None = None
        if step.raw_body is not None:
            content = str(render(step.raw_body, self.scope)).encode("utf-8")
        elif step.has_body:
            content = json.dumps(render(step.body, self.scope), default=str).encode("utf-8")
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        target_url = httpx.URL(url)
        if query:
            # Merged, so a saved URL keeps its own query string.
            target_url = target_url.copy_merge_params(query)
        return self.client.build_request(step.method, target_url, headers=headers, content=content)

    def _send(self, request: httpx.Request, step: Step, record: StepRecord) -> httpx.Response:
        attempts, max_wait = self.target.retry_policy()
        retried = 0
        while True:
            response = self.client.send(request)
            if response.status_code != 429 or 429 in step.expect.status or retried >= attempts:
                break
            wait = retry_after_seconds(response.headers.get("retry-after"))
            if wait is None or wait > max_wait:
                break
            response.close()
            self.options.sleep(wait)
            retried += 1
        if retried:
            record.note = f"retried {retried} time(s) after 429 Too Many Requests"
        return response

    def _check(self, step: Step, api: str, response: httpx.Response, record: StepRecord) -> Any:
        expect = step.expect
        if response.status_code not in expect.status:
            wanted = expect.status[0] if len(expect.status) == 1 else list(expect.status)
            record.fail(f"expected status {wanted}, got {response.status_code}")
        body: Any = _NO_JSON
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = _NO_JSON
            else:
                self.redactor.add_secret_fields(body)
        try:
            expected_body = render(expect.body, self.scope)
            expected_headers = render(expect.headers, self.scope)
        except UndefinedVariable as exc:
            record.fail(f"expect: {exc}")
            expected_body, expected_headers = _NO_JSON, {}
        if expect.has_body and expected_body is not _NO_JSON:
            if body is _NO_JSON:
                record.fail(f"expected a JSON body matching {show(expected_body)}, got {show(response.text)}")
            else:
                for problem in match(expected_body, body):
                    record.fail(f"body at {problem}")
        for problem in match_headers(expected_headers, response.headers):
            record.fail(problem)
        if expect.schema:
            checker = _checker(api, self.target.base_url(api))
            for where, message in checker.response_errors(response):
                record.fail(f"response violates spec at {where}: {message}")
            if expect.expects_success:
                for where, message in checker.request_errors(response.request):
                    record.fail(f"request violates spec at {where}: {message}")
        return body

    def _save(self, step: Step, body: Any, response: httpx.Response, record: StepRecord) -> None:
        for capture in step.save:
            if capture.header is not None:
                value: Any = response.headers.get(capture.header)
                if value is None:
                    record.fail(f"save {capture.name!r}: the response has no header {capture.header}")
                    continue
            else:
                assert capture.path is not None
                if body is _NO_JSON:
                    record.fail(f"save {capture.name!r}: the response body is not JSON")
                    continue
                try:
                    found = [hit.value for hit in parse_jsonpath(capture.path).find(body)]
                except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises plain Exceptions too
                    record.fail(f"save {capture.name!r}: bad JSONPath {capture.path!r}: {exc}")
                    continue
                if not found:
                    record.fail(f"save {capture.name!r}: {capture.path} matched nothing")
                    continue
                value = found[0] if len(found) == 1 else found
            if capture.secret or is_secret_name(capture.name):
                self.redactor.add(value)
            self.scope.saved[capture.name] = value

    def run_step(self, step: Step) -> StepRecord:
        record = StepRecord(step)
        api = step.api or self.step_file.api
        try:
            request = self._build(step, api)
        except (UndefinedVariable, RequestError) as exc:
            record.fail(str(exc))
            return record
        record.request_line = f"{request.method} {request.url}"
        try:
            response = self._send(request, step, record)
        except httpx.HTTPError as exc:
            record.fail(f"no response: {type(exc).__name__}: {exc}")
            return record
        record.status = response.status_code
        record.body_excerpt = excerpt(response.text) if response.content else "(empty)"
        body = self._check(step, api, response, record)
        self._save(step, body, response, record)
        if record.outcome != FAILED:
            record.outcome = PASSED
        return record

    # -- the whole file -----------------------------------------------------------------------
    def _guarded(self, step: Step) -> bool:
        if not self.target.is_real or self.options.allow_destructive:
            return False
        api = step.api or self.step_file.api
        try:
            # Judged by the operation the step will call: a saved URL (a consent or save link)
            # names it only once filled in.
            _, path = self._url(step, api)
        except (UndefinedVariable, RequestError):
            return step.changes_state(self.step_file.api)
        return step.changes_state(self.step_file.api, path)

    def run(self) -> FileReport:
        try:
            self.prepare()
        except SetupError as exc:
            self.report.setup_error = str(exc)
            raise StepFailure(self.report, self.redactor) from None
        aborted_by: str | None = None
        guarded_by: Step | None = None
        for step in self.step_file.steps:
            if aborted_by is None and guarded_by is None and self._guarded(step):
                guarded_by = step
            if aborted_by is not None:
                note = f"not run: step '{aborted_by}' failed and has onFail: abort"
                self.report.records.append(StepRecord(step, note=note))
                continue
            if guarded_by is not None:
                note = f"skipped: step '{guarded_by.id}' changes state (real target, no --allow-destructive)"
                self.report.records.append(StepRecord(step, outcome=SKIPPED, note=note))
                continue
            record = self.run_step(step)
            self.report.records.append(record)
            if record.outcome == FAILED and step.on_fail == "abort":
                aborted_by = step.id
        for step in self.step_file.finally_steps:
            if self._guarded(step):
                record = StepRecord(step, outcome=SKIPPED, note="skipped: changes state")
                self.report.records.append(record)
                continue
            self.report.records.append(self.run_step(step))
        if not self.report.ok:
            raise StepFailure(self.report, self.redactor)
        if guarded_by is not None:
            ran = sum(1 for record in self.report.records if record.outcome == PASSED)
            raise SkipFile(
                f"step '{guarded_by.id}' ({guarded_by.method} {guarded_by.path}) changes state on real target "
                f"{self.target.name!r}; pass --allow-destructive to run it and the steps after it "
                f"({ran} step(s) before it passed)"
            )
        return self.report


def run_step_file(
    step_file: StepFile, target: Target, options: RunOptions | None = None, client: httpx.Client | None = None
) -> FileReport:
    """Run ``step_file`` against ``target``.

    Returns:
        The report, when every step passed.

    Raises:
        SkipFile: the file is marked ``status: skip``, or the target cannot run it.
        StepFailure: a set-up or a step failed.
    """
    if step_file.status == "skip":
        raise SkipFile(step_file.skip_reason or "status: skip")
    options = options or RunOptions()
    own_client = client is None
    client = client or target.open_client(options.timeout)
    run = FileRun(step_file, target, options, client)
    try:
        with redacted_logs(run.redactor):
            return run.run()
    finally:
        if own_client:
            client.close()
