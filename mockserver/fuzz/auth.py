"""Credentials on generated requests, through Schemathesis' own auth hook.

Auth set with ``@schema.auth()`` counts as explicit, so Schemathesis' ``ignored_auth`` check can
still strip or spoil it and expect a 401; a header written in a ``before_call`` hook would count
as generated data and turn that check into noise.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemathesis import AuthContext, Case
from schemathesis.schemas import BaseSchema

from ..specs import operations, security_schemes
from .setups import Credential
from .spec import header_parameters


@dataclass(frozen=True)
class Placement:
    """One credential as it goes on the wire: a header and its value.

    ``linkable``: the header is not also a declared parameter of the operation, so a value
    already on a generated request can only have come from an OpenAPI link, and is kept.
    """

    header: str
    value: str
    linkable: bool = False


def placement(scheme: Mapping[str, Any], token: str) -> Placement:
    """Where a security scheme carries ``token`` (already prefixed)."""
    kind = scheme.get("type")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return Placement("Authorization", f"Bearer {token}")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        encoded = base64.b64encode(token.encode()).decode() if ":" in token else token
        return Placement("Authorization", f"Basic {encoded}")
    if kind == "apiKey" and scheme.get("in") == "header":
        return Placement(str(scheme["name"]), token)
    raise ValueError(f"unsupported security scheme for fuzzing: {dict(scheme)!r}")


@dataclass
class Assignment:
    """Which credential each operation is called with, and which lack one on this target."""

    placements: dict[str, Placement] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    """operationId -> the role whose token the target does not have."""


def assign(spec: Mapping[str, Any], credentials: Iterable[Credential], tokens: Mapping[str, str]) -> Assignment:
    """Give each operation its credential.

    Each credential goes to the operations that accept its scheme (optionally narrowed to its
    own list); an operation claimed by an earlier credential keeps that one.
    """
    schemes = security_schemes(spec)
    result = Assignment()
    for credential in credentials:
        if credential.scheme not in schemes:
            raise ValueError(f"unknown security scheme {credential.scheme!r}")
        token = tokens.get(credential.role)
        wire = placement(schemes[credential.scheme], credential.prefix + token) if token is not None else None
        for operation in operations(spec):
            claimed = operation.operation_id in result.placements or operation.operation_id in result.missing
            if claimed or (credential.operations and operation.operation_id not in credential.operations):
                continue
            if any(credential.scheme in requirement for requirement in operation.security):
                if wire is None:
                    result.missing[operation.operation_id] = credential.role
                else:
                    declared = wire.header.lower() in header_parameters(spec, operation)
                    result.placements[operation.operation_id] = Placement(wire.header, wire.value, not declared)
    return result


def install(schema: BaseSchema, assigned: Mapping[str, Placement]) -> None:
    """Register one auth provider on ``schema`` that signs each operation as ``assigned`` says."""
    table = dict(assigned)

    class TargetCredentials:
        """The target's credential for the operation being called (None: send no auth)."""

        def get(self, case: Case, context: AuthContext) -> Placement | None:
            return table.get(str(context.operation.definition.raw.get("operationId")))

        def set(self, case: Case, data: Placement, context: AuthContext) -> None:
            # Security parameters are not generated (see runner.build_config), so a value already
            # in a header that is not also a declared parameter came from an OpenAPI link
            # (Recall's authenticate -> user): the link's fresh token wins.
            if not (data.linkable and data.header in case.headers):
                case.headers[data.header] = data.value

    schema.auth(refresh_interval=None)(TargetCredentials)
