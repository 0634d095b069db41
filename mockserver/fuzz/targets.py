"""Where a run sends its requests, and how it gets credentials and prerequisites there.

* ``fake``: a fresh in-process app per API (response validation on), driven through ASGI;
  prerequisites and tokens come from its control plane.
* a URL (``http://127.0.0.1:8080``): a running ``mockserver serve``; the same, over HTTP. The
  run resets the API it fuzzes there.
* a real vendor: base URLs per API, tokens and known ids from environment variables
  (:func:`~mockserver.fuzz.setups.env_name`); the control plane's own API is skipped.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..admin import Admin, AdminError, HttpAdmin
from .setups import FuzzSetup, env_name

ASGI_HOST = "http://testserver"


class TargetError(RuntimeError):
    """A target that cannot be used for this run (unknown name, missing credentials)."""


@dataclass
class Prepared:
    """Credentials by role and known values by name, ready for one API's run."""

    tokens: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Endpoint:
    """One API on a target: where requests go and what was prepared there."""

    api: str
    base_url: str
    prepared: Prepared
    app: Any = None
    """An ASGI app to call in process, or None for real HTTP."""


class FuzzTarget(ABC):
    """A place to fuzz."""

    name: str
    is_fake: bool

    def skip_reason(self, setup: FuzzSetup) -> str | None:
        """Why ``setup``'s API cannot run here, or None."""
        return None

    @abstractmethod
    def served_apis(self) -> list[str]:
        """The vendor APIs this target serves."""

    @abstractmethod
    def endpoint(self, setup: FuzzSetup) -> Any:
        """A context manager yielding the :class:`Endpoint` for ``setup``'s API, prepared."""


def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise TargetError(f"the provider states did not answer {dotted!r}")
        value = value[part]
    return value


def prepare_with_admin(setup: FuzzSetup, admin: Admin) -> Prepared:
    """Reset the API, switch rate limits off, apply its provider states, collect tokens and ids."""
    if setup.fake_only:
        return Prepared()
    admin.reset(setup.api)
    # A fuzzer sends far more than 8 requests a second; a 429 would only hide what it tests.
    admin.update_settings({"rate_limits": False})
    answers = {given.name: admin.apply_state(setup.api, given.state, dict(given.params)) for given in setup.given}
    return Prepared(
        tokens={credential.role: str(lookup(answers, credential.source)) for credential in setup.credentials},
        values={known.name: lookup(answers, known.source) for known in setup.known},
    )


def prepare_from_env(setup: FuzzSetup, environ: Mapping[str, str]) -> Prepared:
    """Tokens (required) and known ids (optional) from environment variables."""
    missing = [
        env_name(setup.api, credential.role, token=True)
        for credential in setup.credentials
        if env_name(setup.api, credential.role, token=True) not in environ
    ]
    if missing:
        raise TargetError(f"{setup.api}: set {', '.join(missing)} to fuzz a real target")
    return Prepared(
        tokens={c.role: environ[env_name(setup.api, c.role, token=True)] for c in setup.credentials},
        values={
            k.name: environ[env_name(setup.api, k.name)] for k in setup.known if env_name(setup.api, k.name) in environ
        },
    )


class FakeTarget(FuzzTarget):
    """The fakes in this process: a fresh app for each API, so runs cannot disturb each other."""

    name = "fake"
    is_fake = True

    def served_apis(self) -> list[str]:
        from ..vendors import ALL_VENDORS

        return [vendor.name for vendor in ALL_VENDORS]

    @contextmanager
    def endpoint(self, setup: FuzzSetup) -> Iterator[Endpoint]:
        from ..app import build_app

        app = build_app(validate_responses=True)
        if not setup.fake_only and setup.api not in app.apis:
            raise TargetError(f"{setup.api} is not served by the fakes")
        yield Endpoint(setup.api, ASGI_HOST + setup.prefix, prepare_with_admin(setup, app.admin), app=app)


class ServerTarget(FuzzTarget):
    """A running ``mockserver serve`` at ``url``."""

    is_fake = True

    def __init__(self, url: str) -> None:
        self.name = url.rstrip("/")

    def served_apis(self) -> list[str]:
        try:
            with HttpAdmin(self.name) as admin:
                return list(admin.health()["apis"])
        except (AdminError, httpx.HTTPError) as exc:
            raise TargetError(f"no mockserver answers at {self.name}: {exc}") from None

    @contextmanager
    def endpoint(self, setup: FuzzSetup) -> Iterator[Endpoint]:
        with HttpAdmin(self.name) as admin:
            served = admin.health()["apis"]
            if not setup.fake_only and setup.api not in served:
                raise TargetError(f"{setup.api} is not served at {self.name}")
            yield Endpoint(setup.api, self.name + setup.prefix, prepare_with_admin(setup, admin))


class RealTarget(FuzzTarget):
    """Real vendor endpoints: ``base_urls`` by API, credentials from the environment."""

    is_fake = False

    def __init__(self, name: str, base_urls: Mapping[str, str], environ: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.base_urls = dict(base_urls)
        self.environ = os.environ if environ is None else environ

    def served_apis(self) -> list[str]:
        return list(self.base_urls)

    def skip_reason(self, setup: FuzzSetup) -> str | None:
        if setup.fake_only:
            return f"{setup.api} exists only on the fakes"
        if setup.api not in self.base_urls:
            return f"target {self.name} has no base URL for {setup.api}"
        return None

    @contextmanager
    def endpoint(self, setup: FuzzSetup) -> Iterator[Endpoint]:
        yield Endpoint(setup.api, self.base_urls[setup.api].rstrip("/"), prepare_from_env(setup, self.environ))


def resolve_target(value: str) -> FuzzTarget:
    """``fake``, or the URL of a running ``mockserver serve``."""
    if value == "fake":
        return FakeTarget()
    if value.startswith(("http://", "https://")):
        return ServerTarget(value)
    raise TargetError(f"unknown target {value!r}: use 'fake' or the URL of a running mockserver")
