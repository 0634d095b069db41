"""A catalogue of small ASGI apps serving records.yaml: one correct, the others with one planted bug.

Each broken app overrides one hook of :class:`RecordsApp`; the line that makes it wrong carries
a ``# Planted bug:`` comment. The tests check that the fuzz runner reports each bug with the
check that should catch it, and that the correct app passes every check.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

SPEC: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "records.yaml").read_text(encoding="utf-8"))
TOKEN = "planted-token"
_NEW_RECORD = SPEC["components"]["schemas"]["NewRecord"]


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status, headers)


class RecordsApp:
    """A correct implementation of records.yaml."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        parts = request.url.path.strip("/").split("/")
        allowed: tuple[str, ...]
        if parts == ["records"]:
            allowed, record_id = ("POST",), None
        elif len(parts) == 2 and parts[0] == "records" and parts[1]:
            allowed, record_id = ("GET", "DELETE"), parts[1]
        else:
            return error(404, "no such path")
        if request.method not in allowed:
            return error(405, "method not allowed", {"Allow": ", ".join(allowed)})
        if not self.authenticated(request.headers.get("authorization")):
            return error(401, "unauthorized")
        if record_id is None:
            return await self.create(request)
        if request.method == "GET":
            return self.get(record_id)
        return self.delete(record_id)

    def authenticated(self, header: str | None) -> bool:
        return header == f"Bearer {TOKEN}"

    async def read_body(self, request: Request) -> tuple[Any, Response | None]:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return None, error(415, "send application/json")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None, error(400, "the body is not JSON")
        problem = self.validate(body)
        return body, (error(400, problem) if problem else None)

    def validate(self, body: Any) -> str | None:
        try:
            jsonschema.validate(body, _NEW_RECORD)
        except jsonschema.ValidationError as exc:
            return exc.message
        return None

    async def create(self, request: Request) -> Response:
        body, rejected = await self.read_body(request)
        if rejected is not None:
            return rejected
        record = {"id": secrets.token_hex(8), "name": body["name"], "count": body.get("count", 0)}
        self.records[record["id"]] = record
        return JSONResponse(self.render(record), 201)

    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        return dict(record)

    def get(self, record_id: str) -> Response:
        record = self.records.get(record_id)
        if record is None:
            return error(404, "no such record")
        return JSONResponse(self.render(record))

    def delete(self, record_id: str) -> Response:
        if self.records.pop(record_id, None) is None:
            return error(404, "no such record")
        return Response(status_code=204)


class WrongFieldType(RecordsApp):
    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        # Planted bug: count goes out as a string; the spec says integer.
        return {**record, "count": str(record["count"])}


class ServerErrorOnBadBody(RecordsApp):
    def validate(self, body: Any) -> str | None:
        # Planted bug: no validation, so a body without a string name crashes the handler (500).
        if not isinstance(body["name"].strip(), str):
            return "name must be a string"
        return None

    async def dispatch(self, request: Request) -> Response:
        try:
            return await super().dispatch(request)
        except Exception:
            return error(500, "internal error")


class DeletedStillReturned(RecordsApp):
    def delete(self, record_id: str) -> Response:
        if record_id not in self.records:
            return error(404, "no such record")
        # Planted bug: answers 204 but keeps the record, so it can still be read.
        return Response(status_code=204)


class AuthIgnored(RecordsApp):
    def authenticated(self, header: str | None) -> bool:
        # Planted bug: any request is taken as authenticated.
        return True


class UndocumentedStatus(RecordsApp):
    async def create(self, request: Request) -> Response:
        response = await super().create(request)
        if response.status_code == 201:
            # Planted bug: 202 is not a status the spec declares for createRecord.
            response.status_code = 202
        return response


@dataclass(frozen=True)
class Planted:
    """One broken app and how the runner must report it."""

    app: type[RecordsApp]
    check: str
    operation: str


CATALOG = (
    Planted(WrongFieldType, "response_schema_conformance", "POST /records"),
    Planted(ServerErrorOnBadBody, "not_a_server_error", "POST /records"),
    Planted(DeletedStillReturned, "use_after_free", "GET /records/{id}"),
    Planted(AuthIgnored, "ignored_auth", "POST /records"),
    Planted(UndocumentedStatus, "status_code_conformance", "POST /records"),
)
