"""What the bad-input tests share: the cases, a probe that sends them, raw HTTP over sockets.

Every bad-input module (one per vendor, one for the control plane) subclasses
:class:`BadInputSuite`: it names the operations that take a body and says, in its vendor's own
words, what each kind of refusal looks like; the tests below then run for that vendor. Each
refusal is checked three ways: its status, its exact body, and that the control plane's view of
the fakes (state dump, faults, settings, clock) is the same afterwards.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pytest

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

MIB = 1024 * 1024
CAP = MIB  # the body cap of every path (README: 413 over 1 MiB)

Seed = dict[str, Any]
Answer = tuple[int, Any]
"""A status and the exact JSON body expected with it."""


@dataclass(frozen=True)
class BadJson:
    """A body that is not acceptable JSON, and the fake's own sentence for why."""

    id: str
    body: bytes
    message: str


_DIGITS = "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"
BAD_JSON = (
    BadJson("malformed", b'{"a": ', "the body is not valid JSON: Expecting value: line 1 column 7 (char 6)"),
    BadJson("invalid-utf8", b'{"a": "\xff\xfe"}', "the body is not valid utf-8: invalid start byte"),
    BadJson("nested-1000-arrays", b"[" * 1000 + b"]" * 1000, "the body nests deeper than 64 levels"),
    BadJson(
        "nested-100000-objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "the body nests deeper than 64 levels"
    ),
    BadJson(
        "int-5000-digits",
        b'{"a": ' + b"9" * 5000 + b"}",
        f"the body is not valid JSON: {_DIGITS}; use sys.set_int_max_str_digits() to increase the limit",
    ),
    BadJson("NaN", b'{"a": NaN}', "the body is not valid JSON: NaN is not a JSON value"),
    BadJson("Infinity", b'{"a": Infinity}', "the body is not valid JSON: Infinity is not a JSON value"),
    BadJson("-Infinity", b'{"a": -Infinity}', "the body is not valid JSON: -Infinity is not a JSON value"),
    BadJson("1e400", b'{"a": 1e400}', "the body is not valid JSON: the number 1e400... is too large"),
)
"""Malformed JSON and invalid UTF-8, as before, and what issue 14 found answered 500."""

UPPER_CASE_JSON = ("APPLICATION/JSON", "Application/Json; Charset=UTF-8")


class IsoTimestamp:
    """Equal to any ISO 8601 UTC timestamp with milliseconds (for envelopes that carry the time)."""

    _PATTERN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self._PATTERN.fullmatch(other) is not None

    def __repr__(self) -> str:
        return "<ISO timestamp>"

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class BodyOperation:
    """An operation that takes a JSON body, as the bad-input tests call it.

    ``path`` is the full path (vendor prefix included); ``{name}`` placeholders are filled from
    the seed. ``auth`` and ``valid`` build the credential headers and an accepted body from it.
    """

    operation_id: str
    method: str
    path: str
    allow: str
    success: int
    auth: Callable[[Seed], dict[str, str]]
    valid: Callable[[Seed], Any]
    wrong_type: Any
    """JSON the operation's schema refuses (a field of the wrong type)."""

    def url_path(self, seed: Seed) -> str:
        return self.path.format(**seed)


class Probe:
    """Sends requests to a served fake and watches the control plane's view of it."""

    def __init__(self, server: ServerThread, seed: Seed) -> None:
        self.server = server
        self.seed = seed
        self.client = httpx.Client(base_url=server.base_url, timeout=60)

    def close(self) -> None:
        self.client.close()

    def observe(self) -> dict[str, Any]:
        """Everything a refused request must leave as it was, read over the control plane."""
        observed = {name: self.client.get(f"/__admin/{name}").json() for name in ("state", "faults", "settings")}
        observed["clock_offset"] = self.client.get("/__admin/clock").json()["offset_seconds"]
        return observed

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """Asserts that what runs inside leaves the fakes' state, faults, settings and clock alone."""
        before = self.observe()
        yield
        assert self.observe() == before, "a refused request changed the fakes"

    def send(
        self,
        operation: BodyOperation,
        body: bytes,
        content_type: str | None = "application/json",
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> httpx.Response:
        """``operation`` with its credential and ``body`` as given (no Content-Type when None)."""
        headers = dict(operation.auth(self.seed))
        if content_type is not None:
            headers["Content-Type"] = content_type
        url = path if path is not None else operation.url_path(self.seed)
        return self.client.request(method or operation.method, url, content=body, headers=headers)

    def valid_body(self, operation: BodyOperation) -> bytes:
        return json.dumps(operation.valid(self.seed)).encode()

    def raw(self) -> RawConnection:
        """A raw socket to the server."""
        return RawConnection(self.server.base_url)


def assert_answer(response: httpx.Response, expected: Answer, allow: str | None = None) -> None:
    """Status, JSON content type and exact body; ``allow`` also checks the ``Allow`` header."""
    # Messages spelled out: this module is not rewritten by pytest's assertion introspection.
    actual = (response.status_code, response.json())
    assert actual == expected, f"answered {actual!r}, expected {expected!r}"
    assert response.headers["content-type"] == "application/json", response.headers
    if allow is not None:
        assert response.headers.get("allow") == allow, response.headers


# -- raw HTTP ---------------------------------------------------------------------------------
@dataclass
class RawResponse:
    """One HTTP/1.1 response read off a socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RawConnection:
    """A socket to the server, for requests no HTTP client would send (framing done by hand)."""

    base_url: str
    timeout: float = 30.0
    sock: socket.socket = field(init=False)
    _buffer: bytearray = field(init=False, default_factory=bytearray)

    def __post_init__(self) -> None:
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        self.host = f"{host}:{port}"
        self.sock = socket.create_connection((host, int(port)), timeout=self.timeout)

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def head(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        """A request line and headers (``Host`` first), ending with the blank line."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def stream(self, pieces: Iterable[bytes]) -> threading.Thread:
        """Send ``pieces`` from a thread (the server may answer, and stop reading, before the end).

        A send the server refuses by closing is the end of the stream, not an error.
        """

        def run() -> None:
            try:
                for piece in pieces:
                    self.sock.sendall(piece)
            except OSError:
                pass

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def read_response(self) -> RawResponse | None:
        """The next response, or None when the server closed the connection before any byte of it."""
        while b"\r\n\r\n" not in self._buffer:
            chunk = self._recv()
            if not chunk:
                assert not self._buffer, f"connection closed inside a response head: {bytes(self._buffer)!r}"
                return None
            self._buffer += chunk
        head, _, rest = bytes(self._buffer).partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        body = bytearray(rest)
        while len(body) < length:
            chunk = self._recv()
            assert chunk, "connection closed inside a response body"
            body += chunk
        self._buffer[:] = body[length:]
        return RawResponse(int(status_line.split(" ")[1]), headers, bytes(body[:length]))

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except ConnectionResetError:
            return b""

    def still_usable_or_closed(self) -> str:
        """After a refusal: ``"usable"`` (the next request is answered) or ``"closed"`` (a clean EOF).

        Fails when the connection is neither: a hang, or garbage where the next response should be.
        """
        try:
            self.send(self.head("GET", "/__admin/health", {}))
        except OSError:
            return "closed"
        answer = self.read_response()
        if answer is None:
            return "closed"
        assert (answer.status, answer.json()["status"]) == (200, "ok")
        return "usable"


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` framed as a chunked body, with the final zero-length chunk."""
    for piece in pieces:
        if piece:
            yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


def split(body: bytes, size: int) -> list[bytes]:
    """``body`` in pieces of ``size`` bytes."""
    return [body[start : start + size] for start in range(0, len(body), size)]


def filler(total: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of JSON-looking junk in pieces (never held in memory at once)."""
    block = b"x" * piece
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        yield block[:size]
        sent += size


# -- a served process --------------------------------------------------------------------------
@contextmanager
def serve_subprocess() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``mockserver serve --port 0`` in its own process; its base URL read from its first line."""
    command = [sys.executable, "-m", "mockserver", "serve", "--port", "0"]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", first)
        assert match, f"serve printed no URL: {first!r}"
        yield process, match.group(1)
    finally:
        process.kill()
        process.communicate(timeout=10)


def rss_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak) of a process, in KiB, from /proc/<pid>/status."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


# -- the fake's own words -----------------------------------------------------------------------
TOO_LARGE = "the body is larger than 1048576 bytes"


def invalid_content_type(media_type: str) -> str:
    """Connexion's sentence for a media type the operation does not take."""
    return f"Invalid Content-type ({media_type}), expected ['application/json']"


class ProblemWording:
    """Answers that show the fake's vendor-neutral problem (its kind and sentence) as it is.

    vcita's envelope and the control plane's both carry the problem's kind as the code and its
    message unchanged; they differ only in how the kind, message and field sit in the body, which
    :meth:`problem` says.
    """

    def problem(self, status: int, kind: str, message: str, field: str | None = None) -> Answer:
        raise NotImplementedError

    def media_type_answer(self, path: str, media_type: str) -> Answer:
        return self.problem(415, "unsupported_media_type", invalid_content_type(media_type))

    def too_large_answer(self, path: str) -> Answer:
        return self.problem(413, "payload_too_large", TOO_LARGE, "body")

    def not_allowed_answer(self, path: str, method: str) -> Answer:
        return self.problem(405, "method_not_allowed", "Method not allowed")

    def not_found_answer(self, path: str) -> Answer:
        return self.problem(404, "not_found", f"No such path: {path}")


# -- the suite ---------------------------------------------------------------------------------
class BadInputSuite:
    """The bad-input tests every vendor's module runs; subclasses say what its answers look like.

    Subclasses set :attr:`api`, :attr:`operations`, :attr:`wrong_method`, :attr:`wrong_media_type`
    and implement :meth:`seed` and the ``*_answer`` methods, each the status and exact body the
    vendor answers (``path`` is the request path, prefix included).
    """

    api: ClassVar[str]
    operations: ClassVar[tuple[BodyOperation, ...]]
    wrong_method: ClassVar[str] = "PATCH"
    """A method none of :attr:`operations`' paths declares."""
    wrong_media_type: ClassVar[str] = "text/plain"

    def seed(self, admin: InProcessAdmin) -> Seed:
        """Apply the provider states the operations need; answers the ids and tokens."""
        raise NotImplementedError

    def wrong_type_answer(self, operation: BodyOperation, path: str) -> Answer:
        raise NotImplementedError

    def malformed_answer(self, path: str, message: str) -> Answer:
        """The answer to a body that is not acceptable JSON (``message`` is the fake's reason)."""
        raise NotImplementedError

    def media_type_answer(self, path: str, media_type: str) -> Answer:
        """The answer to a JSON-looking body sent as ``media_type``."""
        raise NotImplementedError

    def untyped_answer(self, operation: BodyOperation, path: str) -> Answer | None:
        """The answer to a valid JSON body sent without Content-Type; None: served as JSON."""
        raise NotImplementedError

    def too_large_answer(self, path: str) -> Answer:
        raise NotImplementedError

    def not_allowed_answer(self, path: str, method: str) -> Answer:
        raise NotImplementedError

    def not_found_answer(self, path: str) -> Answer:
        raise NotImplementedError

    # -- fixtures ------------------------------------------------------------------------------
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "operation" in metafunc.fixturenames:
            metafunc.parametrize("operation", self.operations, ids=[o.operation_id for o in self.operations])
        if "bad_json" in metafunc.fixturenames:
            metafunc.parametrize("bad_json", BAD_JSON, ids=[case.id for case in BAD_JSON])

    @pytest.fixture
    def probe(self, fake_server: ServerThread) -> Iterator[Probe]:
        probe = Probe(fake_server, self.seed(fake_server.app.admin))
        yield probe
        probe.close()

    # -- issue 14, class 1: the media type -------------------------------------------------------
    @pytest.mark.parametrize("media_type", UPPER_CASE_JSON)
    def test_media_type_in_any_case_is_json(self, probe: Probe, operation: BodyOperation, media_type: str) -> None:
        """A schema-invalid JSON body reaches the schema check (a field error, not a media-type one)."""
        body = json.dumps(operation.wrong_type).encode()
        with probe.unchanged():
            response = probe.send(operation, body, media_type)
        assert_answer(response, self.wrong_type_answer(operation, operation.url_path(probe.seed)))

    def test_valid_body_with_upper_case_media_type_is_served(self, probe: Probe, operation: BodyOperation) -> None:
        response = probe.send(operation, probe.valid_body(operation), "APPLICATION/JSON")
        assert response.status_code == operation.success, response.text

    def test_body_without_content_type(self, probe: Probe, operation: BodyOperation) -> None:
        expected = self.untyped_answer(operation, operation.url_path(probe.seed))
        if expected is None:  # the vendor's framework reads it as JSON
            response = probe.send(operation, probe.valid_body(operation), None)
            assert response.status_code == operation.success, response.text
            with probe.unchanged():
                refused = probe.send(operation, json.dumps(operation.wrong_type).encode(), None)
            assert_answer(refused, self.wrong_type_answer(operation, operation.url_path(probe.seed)))
            return
        with probe.unchanged():
            response = probe.send(operation, probe.valid_body(operation), None)
        assert_answer(response, expected)

    @pytest.mark.parametrize("media_type", ["json", "application/json/x", ""])
    def test_a_media_type_that_is_no_type_slash_subtype_is_no_known_type(
        self, probe: Probe, operation: BodyOperation, media_type: str
    ) -> None:
        """Connexion split such a header at "/" and failed with a 500 (found by the property test)."""
        path = operation.url_path(probe.seed)
        with probe.unchanged():
            response = probe.send(operation, probe.valid_body(operation), media_type)
        assert_answer(response, self.media_type_answer(path, "application/octet-stream"))

    def test_a_parameter_holding_a_slash_is_still_json(self, probe: Probe, operation: BodyOperation) -> None:
        response = probe.send(operation, probe.valid_body(operation), "application/json; boundary=a/b; charset=utf-8")
        assert response.status_code == operation.success, response.text

    # -- class 2: chunked bodies -----------------------------------------------------------------
    def test_small_chunked_body_is_served(self, probe: Probe, operation: BodyOperation) -> None:
        headers = {**operation.auth(probe.seed), "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        with probe.raw() as raw:
            raw.send(raw.head(operation.method, operation.url_path(probe.seed), headers))
            raw.send(b"".join(chunked(split(probe.valid_body(operation), 7))))
            answer = raw.read_response()
        assert answer is not None and answer.status == operation.success, answer

    def test_ten_megabyte_chunked_body_is_413(self, probe: Probe, operation: BodyOperation) -> None:
        path = operation.url_path(probe.seed)
        headers = {**operation.auth(probe.seed), "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        with probe.unchanged(), probe.raw() as raw:
            raw.send(raw.head(operation.method, path, headers))
            sender = raw.stream(chunked(filler(10 * MIB)))
            answer = raw.read_response()
            sender.join(30)
            assert answer is not None
            assert (answer.status, answer.json()) == self.too_large_answer(path)
            assert raw.still_usable_or_closed() in ("usable", "closed")

    # -- class 3 and the classes handled before: bodies that are not acceptable JSON ---------------
    def test_bad_json_is_refused(self, probe: Probe, operation: BodyOperation, bad_json: BadJson) -> None:
        with probe.unchanged():
            response = probe.send(operation, bad_json.body)
        assert_answer(response, self.malformed_answer(operation.url_path(probe.seed), bad_json.message))

    def test_wrong_type_is_refused(self, probe: Probe, operation: BodyOperation) -> None:
        with probe.unchanged():
            response = probe.send(operation, json.dumps(operation.wrong_type).encode())
        assert_answer(response, self.wrong_type_answer(operation, operation.url_path(probe.seed)))

    def test_body_over_the_cap_is_413(self, probe: Probe, operation: BodyOperation) -> None:
        with probe.unchanged():
            response = probe.send(operation, b"[" + b"0," * (CAP // 2) + b"0]")
        assert_answer(response, self.too_large_answer(operation.url_path(probe.seed)))

    def test_declared_length_over_the_cap_is_413_before_the_body(self, probe: Probe, operation: BodyOperation) -> None:
        path = operation.url_path(probe.seed)
        headers = {**operation.auth(probe.seed), "Content-Type": "application/json", "Content-Length": str(100 * MIB)}
        with probe.unchanged(), probe.raw() as raw:
            raw.send(raw.head(operation.method, path, headers))  # and not one byte of the body
            answer = raw.read_response()
            assert answer is not None
            assert (answer.status, answer.json()) == self.too_large_answer(path)

    def test_wrong_media_type(self, probe: Probe, operation: BodyOperation) -> None:
        path = operation.url_path(probe.seed)
        with probe.unchanged():
            response = probe.send(operation, probe.valid_body(operation), self.wrong_media_type)
        assert_answer(response, self.media_type_answer(path, self.wrong_media_type))

    def test_wrong_method_names_the_allowed_ones(self, probe: Probe, operation: BodyOperation) -> None:
        path = operation.url_path(probe.seed)
        with probe.unchanged():
            response = probe.send(operation, probe.valid_body(operation), method=self.wrong_method)
        assert_answer(response, self.not_allowed_answer(path, self.wrong_method), allow=operation.allow)

    def test_unknown_path(self, probe: Probe, operation: BodyOperation) -> None:
        path = operation.url_path(probe.seed) + "/no-such-thing"
        with probe.unchanged():
            response = probe.send(operation, probe.valid_body(operation), path=path)
        assert_answer(response, self.not_found_answer(path))

    @pytest.mark.parametrize("length", ["abc", "-1", "2, 3", "0x10"])
    def test_bad_content_length_is_refused_by_the_http_layer(
        self, probe: Probe, operation: BodyOperation, length: str
    ) -> None:
        """Framing the server cannot read: uvicorn's own 400 and a closed connection, nothing served."""
        headers = {**operation.auth(probe.seed), "Content-Type": "application/json", "Content-Length": length}
        with probe.unchanged(), probe.raw() as raw:
            raw.send(raw.head(operation.method, operation.url_path(probe.seed), headers) + probe.valid_body(operation))
            answer = raw.read_response()
            assert answer is not None
            assert (answer.status, answer.headers["connection"]) == (400, "close")
            assert answer.body == b"Invalid HTTP request received."
            assert raw.read_response() is None
