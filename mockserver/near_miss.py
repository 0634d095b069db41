"""The operations a request that matched none was probably meant for ("near misses").

A request below a fake's prefix that no operation serves (404, or 405 for a wrong method)
records in its journal entry the operations of the spec that come nearest: the path compared
with each path template (its ``{parameters}`` filled from the request's own segments), the
same method counting for a little more. WireMock shows the same for an unmatched request.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any

from .specs import Operation

TOP = 3
"""How many near misses an entry records."""
SAME_METHOD_BONUS = 0.15
"""What the same method adds to a path's similarity (0..1): enough to rank a same-method
operation with a nearly equal path first, not enough to outrank the right path under another
method (which is what a 405 means)."""


def _filled(template: str, path: str) -> str:
    """``template`` with each ``{parameter}`` segment replaced by the request's segment there."""
    given = path.split("/")
    segments = template.split("/")
    filled = [
        given[index] if segment.startswith("{") and segment.endswith("}") and index < len(given) else segment
        for index, segment in enumerate(segments)
    ]
    return "/".join(filled)


def similarity(template: str, path: str) -> float:
    """How alike a concrete ``path`` and a path ``template`` are, 0 (nothing) to 1 (it matches)."""
    return SequenceMatcher(None, path.rstrip("/") or "/", _filled(template, path).rstrip("/") or "/").ratio()


def nearest(operations: Iterable[Operation], method: str, path: str, top: int = TOP) -> list[dict[str, Any]]:
    """The ``top`` operations nearest to ``method path`` (``path`` below the API's prefix), best first.

    Each is ``{"operationId", "method", "path", "score"}`` with the template as ``path`` and the
    score rounded to three places.
    """
    wanted = method.lower()
    path = path.split("?", 1)[0]
    scored = []
    for operation in operations:
        score = similarity(operation.path, path) + (SAME_METHOD_BONUS if operation.method == wanted else 0.0)
        scored.append((score, operation))
    scored.sort(key=lambda pair: -pair[0])
    return [
        {
            "operationId": operation.operation_id,
            "method": operation.method.upper(),
            "path": operation.path,
            "score": round(score, 3),
        }
        for score, operation in scored[:top]
    ]
