"""What each API needs before Schemathesis can reach past its auth layer and its "not found"s.

Each spec declares it in ``x-fuzz-setup`` (so a new vendor needs no entry here, and a real
target is prepared from the same document it is checked against).

A :class:`FuzzSetup` says, per API, which provider states build the prerequisites on a fake,
which credential goes to which operations, and which known values (ids that exist on the
target) the generator should sometimes use instead of random strings. On a fake everything
comes from the control plane; on a real target the same names come from environment variables
(:func:`env_name`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..specs import api_prefix, bundled_spec, known_apis


@dataclass(frozen=True)
class Given:
    """A provider state to apply on a fake; its answer is kept under ``name``.

    A parameter written ``"{{other.key}}"`` takes the value an earlier state answered.
    """

    name: str
    state: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Credential:
    """A token, and the operations it authenticates.

    Args:
        role: the token's name (``staff``, ``admin``); also names its environment variable.
        scheme: the security scheme (in ``components.securitySchemes``) that carries it.
        source: where a fake's provider state answer holds it (``sync.tokens.staff``).
        operations: only these operationIds (default: every operation that accepts ``scheme``
            and is not claimed by an earlier credential).
        prefix: written before the token (Recall's ``Token `` for workspace keys).
    """

    role: str
    scheme: str
    source: str
    operations: tuple[str, ...] = ()
    prefix: str = ""


@dataclass(frozen=True)
class Known:
    """A value that exists on the target, offered to the generator for some request fields.

    Args:
        name: the value's name; also names its environment variable.
        source: where a fake's provider state answer holds it.
        fields: Schemathesis parameter keys (``body.staff_uid``, ``path.credentialId``) it fills.
        probability: how often a generated value is replaced by this one; the rest stay random,
            so the field is still fuzzed.
    """

    name: str
    source: str
    fields: tuple[str, ...]
    probability: float = 0.5


@dataclass(frozen=True)
class FuzzSetup:
    """Everything the runner needs to know about one API beyond its spec."""

    api: str
    spec_file: str
    prefix: str
    given: tuple[Given, ...] = ()
    credentials: tuple[Credential, ...] = ()
    known: tuple[Known, ...] = ()
    fake_only: bool = False
    """The API exists only on the fakes (the control plane); real targets skip it."""


def env_name(api: str, name: str, *, token: bool = False) -> str:
    """The environment variable that supplies ``name`` for ``api`` on a real target.

    ``env_name("vcita", "staff", token=True)`` is ``MOCKSERVER_FUZZ_VCITA_STAFF_TOKEN``.
    """
    suffix = "_TOKEN" if token else ""
    return f"MOCKSERVER_FUZZ_{api.upper()}_{name.upper()}{suffix}"


SETUP_EXTENSION = "x-fuzz-setup"


class InvalidSetup(ValueError):
    """A spec's ``x-fuzz-setup`` the runner cannot use."""


def setup_from_spec(api: str, spec_file: str, spec: Mapping[str, Any], prefix: str | None = None) -> FuzzSetup:
    """The set-up a spec declares in ``x-fuzz-setup`` (an API without one needs nothing)."""
    raw = spec.get(SETUP_EXTENSION) or {}
    try:
        given = tuple(Given(str(g["name"]), str(g["state"]), dict(g.get("params") or {})) for g in raw.get("given", ()))
        credentials = tuple(
            Credential(
                role=str(c["role"]),
                scheme=str(c["scheme"]),
                source=str(c["source"]),
                operations=tuple(c.get("operations") or ()),
                prefix=str(c.get("prefix", "")),
            )
            for c in raw.get("credentials", ())
        )
        known = tuple(
            Known(str(k["name"]), str(k["source"]), tuple(k["fields"]), float(k.get("probability", 0.5)))
            for k in raw.get("known", ())
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidSetup(f"{spec_file}: {SETUP_EXTENSION} is malformed ({exc!r})") from None
    return FuzzSetup(
        api=api,
        spec_file=spec_file,
        prefix=prefix if prefix is not None else api_prefix(api),
        given=given,
        credentials=credentials,
        known=known,
        fake_only=bool(raw.get("fake_only", False)),
    )


def _bundled_setups() -> dict[str, FuzzSetup]:
    setups = {}
    for api in known_apis():
        setups[api] = setup_from_spec(api, f"{api}.yaml", bundled_spec(api))
    return setups


SETUPS: dict[str, FuzzSetup] = _bundled_setups()
"""Every bundled API the runner knows how to prepare, by name (read from each spec)."""
