"""Near misses: the operations nearest to a request no operation serves."""

from __future__ import annotations

from mockserver.near_miss import nearest, similarity
from mockserver.specs import Routes, bundled_spec

SPEC = {
    "paths": {
        "/v2/bookings/{uid}": {"get": {"operationId": "getBooking"}, "patch": {"operationId": "updateBooking"}},
        "/v2/bookings": {"get": {"operationId": "listBookings"}, "post": {"operationId": "createBooking"}},
        "/v2/calendars/{calendar}/disconnect": {"post": {"operationId": "disconnectCalendar"}},
        "/v2/me": {"get": {"operationId": "getMe"}},
    }
}
OPERATIONS = Routes(SPEC).operations


def test_a_path_that_fits_a_template_is_as_similar_as_can_be() -> None:
    assert similarity("/v2/bookings/{uid}", "/v2/bookings/abc") == 1.0
    assert similarity("/v2/bookings/{uid}", "/v2/booking/abc") > similarity("/v2/me", "/v2/booking/abc")


def test_a_typo_in_the_path_names_the_operation_meant_first() -> None:
    found = nearest(OPERATIONS, "GET", "/v2/booking/abc")
    assert [f["operationId"] for f in found][:1] == ["getBooking"]
    assert len(found) == 3
    assert found[0] == {
        "operationId": "getBooking",
        "method": "GET",
        "path": "/v2/bookings/{uid}",
        "score": found[0]["score"],
    }
    assert found[0]["score"] > found[1]["score"] >= found[2]["score"]


def test_the_same_method_ranks_first_between_equal_paths_and_a_wrong_method_still_finds_the_path() -> None:
    same_path = nearest(OPERATIONS, "PATCH", "/v2/bookings/abc", top=2)
    assert [f["operationId"] for f in same_path] == ["updateBooking", "getBooking"]
    wrong_method = nearest(OPERATIONS, "DELETE", "/v2/calendars/c1/disconnect", top=1)
    assert wrong_method[0]["operationId"] == "disconnectCalendar"


def test_the_query_is_not_part_of_the_path_and_top_limits_the_answer() -> None:
    assert nearest(OPERATIONS, "GET", "/v2/me?x=1", top=1)[0]["operationId"] == "getMe"
    assert nearest(OPERATIONS, "GET", "/v2/me", top=10)[-1]["operationId"] in {o.operation_id for o in OPERATIONS}
    assert len(nearest(OPERATIONS, "GET", "/v2/me", top=10)) == len(OPERATIONS)


def test_a_real_spec_names_the_plural_for_a_singular_typo() -> None:
    found = nearest(Routes(bundled_spec("calcom")).operations, "GET", "/v2/calendar")
    assert found and found[0]["path"].startswith("/v2/calendars")
