"""The failure types: vendor-neutral problems, vendors' own errors, control-plane errors."""

from __future__ import annotations

from mockserver.errors import AdminError, Problem, VendorError


def test_a_problem_says_status_kind_and_message() -> None:
    problem = Problem(422, "invalid_body", "a is missing", "a", "missing")
    assert str(problem) == "422 invalid_body: a is missing"
    assert (problem.field, problem.reason, problem.value) == ("a", "missing", None)


def test_problems_do_not_share_their_headers() -> None:
    first, second = Problem(429, "rate_limited", "slow down"), Problem(429, "rate_limited", "slow down")
    first.headers["Retry-After"] = "1"
    assert second.headers == {}


def test_a_vendor_error_carries_the_exact_answer() -> None:
    error = VendorError(404, {"message": "Not Found"}, {"X-Request-Id": "r1"})
    assert str(error) == "404 {'message': 'Not Found'}"
    assert (error.status, error.body, error.headers) == (404, {"message": "Not Found"}, {"X-Request-Id": "r1"})
    assert VendorError(400, "x").headers == {}


def test_an_admin_error_has_status_code_and_message() -> None:
    error = AdminError(404, "unknown_api", "unknown api 'nope'")
    assert (error.status, error.code, error.message, str(error)) == (
        404,
        "unknown_api",
        "unknown api 'nope'",
        "unknown api 'nope'",
    )
