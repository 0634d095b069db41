"""Where a run sends its requests, and how it gets credentials and prerequisites there.

The targets are the contract harness' (``contracts/targets.yaml``, ``--target NAME|URL``):

* ``fake`` kind: a fresh in-process app per API (response validation on), called through ASGI;
  prerequisites and tokens come from its control plane.
* ``url`` kind (or a bare URL): a running ``mockserver serve``, over HTTP; the run resets the API
  it fuzzes there and switches rate limits off.
* ``real`` kind: the vendors' endpoints; tokens and prerequisite ids come from the environment
  variables ``targets.yaml`` names. Operations that change state run only when destructive runs
  are allowed; the control plane's own API is skipped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..admin import Admin, AdminError, HttpAdmin
from ..harness.model import READ_ONLY_POST_WORDS, SAFE_METHODS
from ..harness.targets import TargetConfigError, load_targets
from .setups import FuzzSetup

if TYPE_CHECKING:
    from ..harness.targets import RealTarget as HarnessRealTarget
    from ..harness.targets import Target as HarnessTarget
    from .spec import SpecOperation

ASGI_HOST = "http://testserver"


class TargetError(RuntimeError):
    """A target that cannot be used for this run (unknown name, unreachable, not prepared)."""


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


def changes_state(operation: SpecOperation) -> bool:
    """Whether calling the operation may change state (the harness' rule for steps)."""
    method = operation.method.upper()
    if method in SAFE_METHODS:
        return False
    if method != "POST":
        return True
    segments = [segment for segment in operation.path.lower().split("/") if segment]
    return not segments or segments[-1] not in READ_ONLY_POST_WORDS


class FuzzTarget(ABC):
    """A place to fuzz."""

    name: str
    is_real: bool = False

    def skip_reason(self, setup: FuzzSetup) -> str | None:
        """Why ``setup``'s API cannot run here at all, or None."""
        return None

    @abstractmethod
    def served_apis(self) -> list[str]:
        """The vendor APIs this target serves."""

    @abstractmethod
    def endpoint(self, setup: FuzzSetup) -> Any:
        """A context manager yielding the prepared :class:`Endpoint` for ``setup``'s API."""


def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data["a"]["b"][0]`` for ``"a.b.0"``; raises KeyError when a part is missing."""
    value: Any = data
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            raise KeyError(dotted)
    return value


def prepare_with_admin(setup: FuzzSetup, admin: Admin) -> Prepared:
    """Reset the API, switch rate limits off, apply its provider states, collect tokens and ids."""
    if setup.fake_only:
        return Prepared()
    try:
        admin.reset(setup.api)
        # A fuzzer sends far more requests than any vendor allows; a 429 would only hide what it tests.
        admin.update_settings({"rate_limits": False})
        answers: dict[str, Any] = {}
        for given in setup.given:
            params = {key: _refer(answers, value) for key, value in given.params.items()}
            answers[given.name] = admin.apply_state(setup.api, given.state, params)
    except KeyError as exc:
        raise TargetError(f"{setup.api}: an earlier provider state answered no {exc.args[0]!r}") from None
    except AdminError as exc:
        raise TargetError(f"{setup.api}: preparing the fake failed: {exc.message}") from None
    try:
        return Prepared(
            tokens={credential.role: str(lookup(answers, credential.source)) for credential in setup.credentials},
            values={known.name: lookup(answers, known.source) for known in setup.known},
        )
    except KeyError as exc:
        raise TargetError(f"{setup.api}: the provider states answered no {exc.args[0]!r}") from None


def _refer(answers: Mapping[str, Any], value: Any) -> Any:
    """A ``"{{name.key}}"`` parameter is the value an earlier provider state answered."""
    if isinstance(value, str) and value.startswith("{{") and value.endswith("}}"):
        return lookup(answers, value[2:-2].strip())
    return value


class FakeTarget(FuzzTarget):
    """The fakes in this process: a fresh app for each API, so runs cannot disturb each other."""

    name = "fake"

    def served_apis(self) -> list[str]:
        from ..app import build_app

        return list(build_app().admin.health()["apis"])

    @contextmanager
    def endpoint(self, setup: FuzzSetup) -> Iterator[Endpoint]:
        from ..app import build_app

        app = build_app(validate_responses=True)
        if not setup.fake_only and setup.api not in app.apis:
            raise TargetError(f"{setup.api} is not served by the fakes")
        yield Endpoint(setup.api, ASGI_HOST + setup.prefix, prepare_with_admin(setup, app.admin), app=app)


class ServerTarget(FuzzTarget):
    """A running ``mockserver serve`` at ``url``."""

    def __init__(self, url: str, name: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.name = name or self.url

    def served_apis(self) -> list[str]:
        try:
            with HttpAdmin(self.url) as admin:
                return list(admin.health()["apis"])
        except (AdminError, httpx.HTTPError) as exc:
            raise TargetError(f"no mockserver answers at {self.url}: {exc}") from None

    @contextmanager
    def endpoint(self, setup: FuzzSetup) -> Iterator[Endpoint]:
        served = self.served_apis()
        if not setup.fake_only and setup.api not in served:
            raise TargetError(f"{setup.api} is not served at {self.url}")
        with HttpAdmin(self.url) as admin:
            yield Endpoint(setup.api, self.url + setup.prefix, prepare_with_admin(setup, admin))


class RealTarget(FuzzTarget):
    """Real vendor endpoints, as a ``real`` target of ``targets.yaml`` describes them.

    Tokens are the target's ``tokens`` (role -> environment variable); a credential's source
    ``<given>.<key>`` reads ``given.<state>.<key>`` of the target, so the ids a provider state
    would create on a fake come from the environment here.
    """

    is_real = True

    def __init__(self, harness_target: HarnessRealTarget) -> None:
        self.harness = harness_target
        self.name = harness_target.name

    def served_apis(self) -> list[str]:
        return list(self.harness.apis)

    def skip_reason(self, setup: FuzzSetup) -> str | None:
        if setup.fake_only:
            return f"{setup.api} exists only on the fakes"
        if setup.api not in self.harness.apis:
            return f"target {self.name} has no base URL for {setup.api}"
        return None

    def _answers(self, setup: FuzzSetup) -> dict[str, dict[str, Any]]:
        states = self.harness.apis[setup.api].get("given") or {}
        environ = self.harness.environ
        answers: dict[str, dict[str, Any]] = {}
        for given in setup.given:
            values = {}
            for key, value in (states.get(given.state) or {}).items():
                if isinstance(value, Mapping) and "env" in value:
                    if value["env"] in environ:
                        values[key] = environ[value["env"]]
                else:
                    values[key] = value
            answers[given.name] = values
        return answers

    @contextmanager
    def endpoint(self, setup: FuzzSetup) -> Iterator[Endpoint]:
        from ..harness.targets import SkipFile

        try:
            base_url = self.harness.base_url(setup.api)
        except SkipFile as exc:
            raise TargetError(exc.reason) from None
        entry = self.harness.apis[setup.api]
        environ = self.harness.environ
        tokens = {
            role: environ[variable] for role, variable in (entry.get("tokens") or {}).items() if variable in environ
        }
        answers = self._answers(setup)
        values = {}
        for known in setup.known:
            try:
                values[known.name] = lookup(answers, known.source)
            except KeyError:
                continue
        yield Endpoint(setup.api, base_url, Prepared(tokens=tokens, values=values))


def from_contract_target(target: HarnessTarget) -> FuzzTarget:
    """The fuzz target for a contract harness target (the ``contract_target`` fixture)."""
    from ..harness.targets import ControlPlaneTarget
    from ..harness.targets import RealTarget as HarnessRealTarget

    if target.kind == "fake":
        return FakeTarget()
    if isinstance(target, ControlPlaneTarget):
        return ServerTarget(target.base, name=target.name)
    if isinstance(target, HarnessRealTarget):
        return RealTarget(target)
    raise TargetError(f"cannot fuzz a target of kind {target.kind!r}")


def resolve_target(value: str, targets_file: Path | None = None) -> FuzzTarget:
    """``fake``, the URL of a running ``mockserver serve``, or a target named in ``targets_file``."""
    if value == "fake":
        return FakeTarget()
    if value.startswith(("http://", "https://")):
        return ServerTarget(value)
    try:
        config = load_targets(targets_file)
    except TargetConfigError as exc:
        raise TargetError(str(exc)) from None
    entry = config.targets.get(value)
    if entry is None:
        known = ", ".join(sorted(config.targets))
        raise TargetError(f"unknown target {value!r}; known: {known} (or a http:// URL)")
    if entry["kind"] == "fake":
        return FakeTarget()
    from ..harness.targets import make_target

    try:
        harness = make_target(value, config)
    except TargetConfigError as exc:
        raise TargetError(str(exc)) from None
    try:
        return from_contract_target(harness)
    finally:
        harness.close()
