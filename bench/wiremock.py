"""WireMock standalone as a contender: installing its jar, its stub mappings, its command line.

The npm package ``wiremock`` carries the standalone jar; it is installed into ``bench/.wiremock``
with npm on first use (as Prism is into ``bench/.prism``) and run with ``java -jar`` directly, so
the measured process is the JVM itself.

A scenario's stub has one mapping per request of an actor's cycle, made from what the fake
itself was sent and answered: the same method and URL path; every header the scenario sends,
matched exactly where all actors send the same value and by a regular expression on the shared
prefix where they differ (each actor has its own token); the JSON body matched with
``equalToJson``, each value that differs between actors replaced by a JSON Unit placeholder of
its type (``${json-unit.any-string}``), every other value and key exact, no extra keys allowed;
and the answer the fake gave: its status, Content-Type and body.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .scenarios import Cycle, Request
from .servers import ROOT, Log

WIREMOCK_DIR = ROOT / "bench" / ".wiremock"
WIREMOCK_PACKAGE = "wiremock@3.13.2"
WIREMOCK_JAR_GLOB = "node_modules/wiremock/build/wiremock-standalone-*.jar"


@dataclass(frozen=True)
class Answer:
    """What the fake answered to one request."""

    status: int
    content_type: str
    body: str


def find_wiremock_jar() -> Path | None:
    """The standalone jar installed in ``bench/.wiremock``, if any."""
    found = sorted(WIREMOCK_DIR.glob(WIREMOCK_JAR_GLOB))
    return found[-1] if found else None


def ensure_wiremock(log: Log) -> Path:
    """WireMock's standalone jar, installed into ``bench/.wiremock`` with npm on first use."""
    jar = find_wiremock_jar()
    if jar is not None:
        return jar
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed; WireMock cannot be installed (or run with --skip-wiremock)")
    log(f"installing WireMock ({WIREMOCK_PACKAGE}) into {WIREMOCK_DIR.relative_to(ROOT)} with npm ...")
    WIREMOCK_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(WIREMOCK_DIR),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            WIREMOCK_PACKAGE,
        ],
        check=True,
        capture_output=True,
    )
    jar = find_wiremock_jar()
    if jar is None:
        raise RuntimeError(f"npm finished but no {WIREMOCK_JAR_GLOB} is in {WIREMOCK_DIR}")
    return jar


def find_java() -> str | None:
    """The ``java`` on PATH (WireMock 3 needs Java 11 or later)."""
    return shutil.which("java")


def wiremock_command(java: str, jar: Path, port: int, root_dir: Path) -> list[str]:
    """WireMock standalone on 127.0.0.1:``port`` serving the mappings under ``root_dir/mappings``.

    Everything else is WireMock's default (request journal on, default thread pool and JVM heap),
    as a user starting the jar gets it.
    """
    return [java, "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1", "--root-dir", str(root_dir)]


def java_regex_literal(text: str) -> str:
    """``text`` as a Java regular expression matching exactly it: a backslash before every
    character that is not a letter or digit (a literal in Java's syntax whatever the character)."""
    return "".join(char if char.isascii() and char.isalnum() else "\\" + char for char in text)


def _common_prefix(values: Sequence[str]) -> str:
    first, last = min(values), max(values)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def header_matcher(values: Sequence[str]) -> dict[str, str]:
    """The matcher for one header over every actor's value: ``equalTo`` when all are the same,
    else ``matches`` the shared prefix followed by at least one character."""
    if len(set(values)) == 1:
        return {"equalTo": values[0]}
    return {"matches": java_regex_literal(_common_prefix(values)) + ".+"}


_PLACEHOLDERS = {
    str: "${json-unit.any-string}",
    int: "${json-unit.any-number}",  # integers and decimals are both JSON numbers
    float: "${json-unit.any-number}",
    bool: "${json-unit.any-boolean}",
}


def json_template(documents: Sequence[Any]) -> Any:
    """One JSON document for ``equalToJson`` that every actor's body equals.

    Values equal in every document stay; objects with the same keys are merged key by key; any
    other value that differs becomes the JSON Unit placeholder of its type, which needs the type
    to be the same in every document (anything else raises ``ValueError``).
    """
    first = documents[0]
    if all(document == first for document in documents):
        return first
    if all(isinstance(document, dict) for document in documents):
        keys = set(first)
        if any(set(document) != keys for document in documents):
            raise ValueError(f"the bodies have different keys: {sorted(keys)} and others")
        return {key: json_template([document[key] for document in documents]) for key in first}
    placeholders = {_PLACEHOLDERS.get(type(document)) for document in documents}
    if len(placeholders) == 1 and (placeholder := placeholders.pop()) is not None:
        return placeholder
    raise ValueError(f"no placeholder for values that differ like {first!r}")


def request_matcher(requests: Sequence[Request]) -> dict[str, Any]:
    """WireMock's ``request`` part matching the same step of every actor's cycle."""
    first = requests[0]
    for request in requests:
        if (request.method, request.path.partition("?")[0]) != (first.method, first.path.partition("?")[0]):
            raise ValueError(f"the actors' requests differ in method or path: {first.path} and {request.path}")
    path, _, query = first.path.partition("?")
    if query and any(request.path != first.path for request in requests):
        raise ValueError(f"the actors' query strings differ: {first.path}")
    matcher: dict[str, Any] = {"method": first.method}
    if query:
        matcher["url"] = first.path
    else:
        matcher["urlPath"] = path
    names = list(first.headers)
    if any(list(request.headers) != names for request in requests):
        raise ValueError("the actors send different headers")
    if names:
        matcher["headers"] = {name: header_matcher([r.headers[name] for r in requests]) for name in names}
    if first.body:
        template = json_template([json.loads(request.body) for request in requests])
        matcher["bodyPatterns"] = [
            {"equalToJson": json.dumps(template), "ignoreArrayOrder": False, "ignoreExtraElements": False}
        ]
    return matcher


def stub_mappings(cycles: Sequence[Cycle], answers: Sequence[Answer]) -> list[dict[str, Any]]:
    """One mapping per step of the actors' cycles, answering what the fake answered to that step."""
    steps = len(cycles[0])
    if any(len(cycle) != steps for cycle in cycles) or len(answers) != steps:
        raise ValueError("every actor needs a cycle of the same length, and one answer per step")
    mappings = []
    for step, answer in enumerate(answers):
        mappings.append(
            {
                "request": request_matcher([cycle[step] for cycle in cycles]),
                "response": {
                    "status": answer.status,
                    "headers": {"Content-Type": answer.content_type},
                    "body": answer.body,
                },
            }
        )
    return mappings


def write_mappings(root_dir: Path, mappings: Sequence[dict[str, Any]]) -> None:
    """Write the mappings where WireMock reads them at start (``root_dir/mappings/*.json``)."""
    folder = root_dir / "mappings"
    folder.mkdir(parents=True, exist_ok=True)
    (root_dir / "__files").mkdir(exist_ok=True)
    for index, mapping in enumerate(mappings):
        (folder / f"step-{index}.json").write_text(json.dumps(mapping, indent=2), encoding="utf-8")


def send_cycle(base_url: str, cycle: Cycle) -> list[Answer]:
    """Send one actor's cycle in order to ``base_url``; what each step was answered."""
    answers = []
    with httpx.Client(timeout=10.0) as client:
        for request in cycle:
            response = client.request(
                request.method, base_url + request.path, headers=request.headers, content=request.body
            )
            content_type = response.headers.get("content-type", "application/json")
            answers.append(Answer(response.status_code, content_type, response.text))
    return answers
