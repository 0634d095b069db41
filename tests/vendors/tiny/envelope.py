"""The tiny vendor's one error body: ``{"ok": false, "reason"}``."""

from __future__ import annotations

from mockserver.errors import Problem, VendorError


def error(status: int, reason: str, headers: dict[str, str] | None = None) -> VendorError:
    """An error answer."""
    return VendorError(status, {"ok": False, "reason": reason}, dict(headers or {}))


def render(problem: Problem) -> VendorError:
    """Every problem keeps its status; body validation is a 400 here."""
    status = 400 if problem.status == 422 else problem.status
    return error(status, problem.message, problem.headers)
