"""Where a fuzz run sends its requests, and how it gets credentials and prerequisites there.

The targets are the contract harness' (:mod:`mockserver.harness.targets`, ``contracts/targets.yaml``,
``--target NAME|URL``); this module prepares one API of one for a run:

* ``fake`` kind: a fresh in-process app per API (response validation on), called through ASGI,
  so runs cannot disturb each other; prerequisites and tokens come from its control plane.
* ``url`` kind (or a bare URL): a running ``mockserver serve``, over HTTP; the run resets the API
  it fuzzes there and switches rate limits off - in a session of its own when ``mockserver fuzz``
  opened one (:meth:`~mockserver.harness.targets.UrlTarget.open_session`).
* ``real`` kind: the vendors' endpoints; tokens and prerequisite ids come from the environment
  variables ``targets.yaml`` names. Operations that change state run only when destructive runs
  are allowed; the control plane's own API is skipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..admin import Admin, AdminError
from ..harness.targets import (
    ControlPlaneTarget,
    InProcessTarget,
    RealTarget,
    SetupError,
    SkipFile,
    Target,
    TargetConfigError,
    load_targets,
    make_target,
)
from .setups import FuzzSetup


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


def prepare_real(setup: FuzzSetup, target: RealTarget) -> Prepared:
    """Tokens from the environment; known values from what ``targets.yaml`` gives for the set-up's states.

    A credential's or known value's source ``<given>.<key>`` reads ``given.<state>.<key>`` of the
    target, so the ids a provider state would create on a fake come from the environment here;
    a value whose variable is unset is not offered.
    """
    answers: dict[str, dict[str, Any]] = {}
    for given in setup.given:
        label = f"{setup.api} given {given.state!r}"
        answers[given.name] = {}
        for key, value in (target.given_values(setup.api, given.state) or {}).items():
            with contextlib.suppress(SkipFile):
                answers[given.name][key] = target.resolve(value, label)
    values = {}
    for known in setup.known:
        with contextlib.suppress(KeyError):
            values[known.name] = lookup(answers, known.source)
    return Prepared(tokens=target.tokens(setup.api)[0], values=values)


def skip_reason(target: Target, setup: FuzzSetup) -> str | None:
    """Why ``setup``'s API cannot run on ``target`` at all, or None."""
    if not isinstance(target, RealTarget):
        return None
    if setup.fake_only:
        return f"{setup.api} exists only on the fakes"
    if setup.api not in target.apis:
        return f"target {target.name} has no base URL for {setup.api}"
    return None


def served_apis(target: Target) -> list[str]:
    """The vendor APIs ``target`` serves (raises :class:`TargetError` when it cannot tell)."""
    try:
        return target.served_apis()
    except SetupError as exc:
        raise TargetError(str(exc)) from None


@contextlib.contextmanager
def open_endpoint(target: Target, setup: FuzzSetup) -> Iterator[Endpoint]:
    """The prepared :class:`Endpoint` for ``setup``'s API on ``target``."""
    if target.kind == "fake":
        # Fakes of its own for each API: runs cannot disturb each other or the target's state.
        fresh = target.fresh() if isinstance(target, InProcessTarget) else InProcessTarget(target.name)
        if not setup.fake_only and setup.api not in fresh.served_apis():
            raise TargetError(f"{setup.api} is not served by the fakes")
        yield Endpoint(setup.api, fresh.base + setup.prefix, prepare_with_admin(setup, fresh.admin), app=fresh.app)
    elif isinstance(target, ControlPlaneTarget):
        if not setup.fake_only and setup.api not in served_apis(target):
            raise TargetError(f"{setup.api} is not served at {target.base}")
        yield Endpoint(setup.api, target.base + setup.prefix, prepare_with_admin(setup, target.admin))
    elif isinstance(target, RealTarget):
        try:
            base_url = target.base_url(setup.api)
        except SkipFile as exc:
            raise TargetError(exc.reason) from None
        yield Endpoint(setup.api, base_url, prepare_real(setup, target))
    else:
        raise TargetError(f"cannot fuzz a target of kind {target.kind!r}")


def resolve_target(value: str, targets_file: Path | None = None) -> Target:
    """``fake``, the URL of a running ``mockserver serve``, or a target named in ``targets_file``.

    A ``fake`` target is one in this process without a socket: each run builds its own app.
    """
    try:
        config = load_targets(targets_file)
        entry = config.targets.get(value)
        if entry is not None and entry["kind"] == "fake":
            return InProcessTarget(value, defaults=config.defaults, auth=config.auth)
        return make_target(value, config)
    except TargetConfigError as exc:
        raise TargetError(str(exc)) from None
