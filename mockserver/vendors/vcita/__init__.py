"""The vcita Business Scheduling fake (external calendar items)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import Problem, VendorError
from ...interface import Call, ProviderState, Vendor
from ...ratelimit import Limit
from . import auth, envelope, handlers, states
from .store import CLEAR, KEEP, VcitaStore


class VcitaVendor(Vendor):
    """vcita: staff/app tokens on the external_calendar_items actions, admin on calendar_syncs."""

    name = "vcita"
    title = "vcita Business Scheduling, external calendar items"
    spec_file = "vcita.yaml"
    handlers = handlers.OPERATIONS
    # x-throttling-tier "8ReqPerSec" in vcita's swagger, read as 8 requests per second per token.
    rate_limits = {"token": Limit(8, 1.0)}
    default_settings = {"error_envelope": envelope.STATUS_ERROR, "disconnect_result": CLEAR}
    settings_schema = {
        "error_envelope": {"type": "string", "enum": [envelope.STATUS_ERROR, envelope.SUCCESS_FALSE]},
        "disconnect_result": {"type": "string", "enum": [CLEAR, KEEP]},
    }
    token_kinds = ("staff", "app", "admin")

    store_class = VcitaStore
    store: VcitaStore

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        return auth.check(self, scheme, credential, operation_id)

    def render(self, problem: Problem, path: str) -> VendorError:
        return envelope.render(problem, self.settings["error_envelope"])

    def rate_limit_keys(self, call: Call) -> dict[str, str]:
        return {"token": call.auth["token"]} if call.auth else {}

    @property
    def provider_states(self) -> Mapping[str, ProviderState]:
        return states.provider_states(self)

    def mint_token(self, kind: str, params: dict[str, Any], expired: bool) -> str:
        business_uid = params.get("business_uid")
        staff_uid = params.get("staff_uid")
        if staff_uid is not None:
            staff = self.store.staff.get(staff_uid)
            if staff is None:
                raise Problem(400, "invalid_parameter", f"unknown staff_uid {staff_uid!r}")
            business_uid = business_uid or staff.business_uid
        if business_uid not in self.store.businesses:
            raise Problem(400, "invalid_parameter", f"unknown business_uid {business_uid!r}")
        if kind == "staff" and staff_uid is None:
            raise Problem(400, "invalid_parameter", "a staff token needs staff_uid")
        expires_at = self.clock.now() - 1 if expired else None
        return self.store.issue_token(kind, business_uid, staff_uid if kind == "staff" else None, expires_at)


VENDOR = VcitaVendor
"""This package's vendor class (what the registry lists)."""
