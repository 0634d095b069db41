"""Where contract step files and fuzz runs go: the in-process fakes, a running ``mockserver serve``, or real endpoints.

Targets are described in ``contracts/targets.yaml`` (see contracts/FORMAT.md); ``--target`` picks
one by name, or takes the URL of a running ``mockserver serve`` directly. This is the one target
model: the step runner and the fuzz runner (:mod:`mockserver.fuzz.endpoints`) both use it. It
reaches a fake only through the :class:`~mockserver.admin.Admin` interface.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import jsonschema

from ..admin import AdminError, HttpAdmin
from ..admin_guard import TOKEN_ENV
from ..sessions import SESSION_PREFIX, split_session_path
from ..specs import CONTROL_PLANE_API, api_prefix
from .model import Given, StepFile
from .templating import Scope, UndefinedVariable, render
from .yamlsource import YamlSyntaxError, format_path, parse

if TYPE_CHECKING:
    from ..admin import Admin
    from ..app import FakesApp
    from ..server import ServerThread

DEFAULT_LOCAL_URL = "http://127.0.0.1:8080"


class SkipFile(Exception):
    """The file cannot run against this target (the reason says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SetupError(Exception):
    """Preparing the target for a file failed (an unknown provider state, bad params...)."""


class TargetConfigError(ValueError):
    """``targets.yaml`` is invalid, or names no such target."""


_ENV_REF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["env"],
    "properties": {"env": {"type": "string"}, "type": {"enum": ["string", "integer", "number", "boolean"]}},
}
_CONVERT: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": lambda text: text.strip().lower() in ("1", "true", "yes"),
}
_GIVEN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["state"],
    "properties": {
        "state": {"type": "string"},
        "api": {"type": "string"},
        "as": {"type": "string"},
        "params": {"type": "object"},
    },
}
TARGETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "apis": {
            "description": "Per-API settings for every target.",
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"auth": {"type": "object", "additionalProperties": {"type": "string"}}},
            },
        },
        "defaults": {
            "description": "For targets with a control plane: what files that declare no given get.",
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"given": {"type": "array", "items": _GIVEN}, "variables": {"type": "object"}},
            },
        },
        "targets": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["kind"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"enum": ["fake", "url", "real"]},
                    "transport": {
                        "description": "fake targets: a loopback socket (default) or ASGI calls in process",
                        "enum": ["loopback", "asgi"],
                    },
                    "description": {"type": "string"},
                    "url": {"type": "string"},
                    "url_env": {"type": "string"},
                    "retry": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "attempts": {"type": "integer", "minimum": 0, "maximum": 10},
                            "max_wait_seconds": {"type": "number", "minimum": 0},
                        },
                    },
                    "apis": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "url": {"type": "string"},
                                "url_env": {"type": "string"},
                                "tokens": {"type": "object", "additionalProperties": {"type": "string"}},
                                "given": {
                                    "type": "object",
                                    "additionalProperties": {
                                        "type": "object",
                                        "description": "values: literals, {env: NAME, type: integer}, or lists of them",
                                        "additionalProperties": {
                                            "anyOf": [
                                                _ENV_REF,
                                                {
                                                    "type": "array",
                                                    "items": {"anyOf": [_ENV_REF, {"not": {"type": "object"}}]},
                                                },
                                                {"not": {"type": ["object", "array"]}},
                                            ]
                                        },
                                    },
                                },
                                "variables": {"type": "object"},
                                "auth": {"type": "object", "additionalProperties": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
    },
}


@dataclass
class ApiDefaults:
    """What a control-plane target gives files of one API that declare no ``given``."""

    given: tuple[Given, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass
class TargetsConfig:
    """A loaded ``targets.yaml``."""

    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    auth: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, ApiDefaults] = field(default_factory=dict)
    source: Path | None = None


def builtin_targets() -> TargetsConfig:
    """The targets that exist without a ``targets.yaml``: ``fake`` and ``local``."""
    return TargetsConfig(
        targets={
            "fake": {"kind": "fake"},
            "local": {"kind": "url", "url": DEFAULT_LOCAL_URL, "url_env": "MOCKSERVER_URL"},
        }
    )


def load_targets(path: Path | str | None) -> TargetsConfig:
    """Read ``targets.yaml`` (the built-in targets stay available unless it redefines them)."""
    config = builtin_targets()
    if path is None:
        return config
    path = Path(path)
    try:
        located = parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetConfigError(f"{path}: cannot read: {exc}") from None
    except YamlSyntaxError as exc:
        raise TargetConfigError(f"{path}:{exc.line}: {exc.message}") from None
    data = located.data or {}
    errors = sorted(jsonschema.Draft202012Validator(TARGETS_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = tuple(error.absolute_path)
        raise TargetConfigError(f"{path}:{located.line_of(where)}: {format_path(where)}: {error.message}")
    config.source = path
    config.targets.update(data.get("targets") or {})
    config.auth = {api: dict(entry.get("auth") or {}) for api, entry in (data.get("apis") or {}).items()}
    for api, entry in (data.get("defaults") or {}).items():
        given = tuple(
            Given(item["state"], item.get("api", api), item.get("as", item["state"]), dict(item.get("params") or {}), 0)
            for item in entry.get("given") or []
        )
        config.defaults[api] = ApiDefaults(given, dict(entry.get("variables") or {}))
    return config


# Control-plane calls that only add what nobody else uses: a provider state, a minted token.
_PRIVATE_ADMIN_CALLS = {("POST", "/states"), ("POST", "/tokens")}


def _changes_shared_state(step_file: StepFile) -> bool:
    """Settings, faults, resets, clock moves: what other files running at once would notice."""
    if step_file.settings is not None:
        return True
    for step in (*step_file.steps, *step_file.finally_steps):
        if step.api != CONTROL_PLANE_API or step.method == "GET":
            continue
        if (step.method, step.path.split("?", 1)[0].rstrip("/")) not in _PRIVATE_ADMIN_CALLS:
            return True
    return False


class Target(ABC):
    """Somewhere step files and fuzz runs go. ``kind`` is ``fake``, ``url`` or ``real``."""

    name: str
    kind: str
    shared: bool = False
    """Other runs use the same server at the same time (pytest-xdist against one URL)."""

    def __init__(self, name: str, auth: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.name = name
        self._auth = {api: dict(formats) for api, formats in (auth or {}).items()}

    @property
    def is_real(self) -> bool:
        """Real endpoints: destructive steps need an opt-in, 429s are retried."""
        return self.kind == "real"

    @abstractmethod
    def base_url(self, api: str) -> str:
        """The base URL of one API on this target (raises :class:`SkipFile` if there is none)."""

    @abstractmethod
    def served_apis(self) -> list[str]:
        """The vendor APIs this target serves (raises :class:`SetupError` when it cannot tell)."""

    def spec(self, api: str) -> dict[str, Any]:
        """The OpenAPI document ``api`` answers by here (a real target: the bundled one)."""
        from ..specs import bundled_spec

        return bundled_spec(api)

    @abstractmethod
    def prepare(self, step_file: StepFile, scope: Scope) -> dict[str, str]:
        """Get the target ready for ``step_file``: fill ``scope`` with the given results.

        Returns:
            The named tokens the steps may send.

        Raises:
            SkipFile: the target cannot satisfy the file.
            SetupError: preparing failed.
        """

    def variables(self, api: str) -> dict[str, Any]:
        """Variables this target supplies to files of ``api`` (the file's own win)."""
        return {}

    def auth_format(self, api: str, scheme: str) -> str | None:
        """How a credential is written for a security scheme (``"Token {token}"``), if configured."""
        return self._auth.get(api, {}).get(scheme)

    def retry_policy(self) -> tuple[int, float]:
        """How many times a 429 is retried, and the longest ``Retry-After`` waited for."""
        return 0, 0.0

    def control_plane_headers(self) -> dict[str, str]:
        """Headers a step's own control-plane request needs (the admin credential, when one is set)."""
        return {}

    def open_client(self, timeout: float) -> httpx.Client:
        """A new HTTP client for one file's requests (redirects are not followed: steps check them)."""
        return httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:  # noqa: B027 - most targets hold nothing
        """Release what the target holds."""


def _given_tokens(result: Mapping[str, Any]) -> dict[str, str]:
    tokens = result.get("tokens")
    return {str(k): str(v) for k, v in tokens.items()} if isinstance(tokens, Mapping) else {}


class ControlPlaneTarget(Target):
    """A target with ``/__admin``: reset per file, rate limits off, provider states applied.

    Args:
        shared: other runs use the same server at the same time (pytest-xdist against one URL):
            files are not reset, and files that change server-wide settings or call the control
            plane are skipped.
    """

    def __init__(
        self,
        name: str,
        admin: Admin,
        base: str,
        defaults: Mapping[str, ApiDefaults] | None = None,
        auth: Mapping[str, Mapping[str, str]] | None = None,
        shared: bool = False,
    ) -> None:
        super().__init__(name, auth)
        self.admin = admin
        self.base = base.rstrip("/")
        self.defaults = dict(defaults or {})
        self.shared = shared

    def base_url(self, api: str) -> str:
        return self.base + api_prefix(api)

    def control_plane_headers(self) -> dict[str, str]:
        return dict(getattr(self.admin, "credential_headers", {}))

    def served_apis(self) -> list[str]:
        try:
            return [str(api) for api in self.admin.health()["apis"]]
        except AdminError as exc:
            if exc.status == 401:
                raise SetupError(f"{self.base} refused: {exc.message} (set {TOKEN_ENV} to it)") from None
            raise SetupError(f"no mockserver answers at {self.base}: {exc}") from None
        except httpx.HTTPError as exc:
            raise SetupError(f"no mockserver answers at {self.base}: {exc}") from None

    def spec(self, api: str) -> dict[str, Any]:
        """The OpenAPI document the served ``api`` answers by (asked of its control plane)."""
        try:
            return self.admin.spec(api)
        except (AdminError, httpx.HTTPError) as exc:
            raise SetupError(f"{self.base} has no spec for {api!r}: {exc}") from None

    def variables(self, api: str) -> dict[str, Any]:
        defaults = self.defaults.get(api)
        return dict(defaults.variables) if defaults else {}

    def prepare(self, step_file: StepFile, scope: Scope) -> dict[str, str]:
        if self.shared and _changes_shared_state(step_file):
            raise SkipFile(
                f"changes server-wide settings, faults or the clock; not run while several workers share "
                f"target {self.name!r}"
            )
        try:
            if not self.shared:
                self.admin.reset()
            self.admin.update_settings({"rate_limits": False})
            if step_file.settings is not None:
                self.admin.update_settings(step_file.settings)
        except AdminError as exc:
            raise SetupError(f"settings: {exc.message}") from None
        given = step_file.given
        if not given and step_file.api in self.defaults:
            given = self.defaults[step_file.api].given
        tokens: dict[str, str] = {}
        for entry in given:
            label = f"given {entry.name!r} ({entry.api}/{entry.state})"
            try:
                params = render(entry.params, scope)
                result = self.admin.apply_state(entry.api, entry.state, params)
            except UndefinedVariable as exc:
                raise SetupError(f"{label}: {exc}") from None
            except AdminError as exc:
                raise SetupError(f"{label}: {exc.message}") from None
            scope.add_given(entry.name, result)
            tokens.update(_given_tokens(result))
        return tokens

    def close(self) -> None:
        close = getattr(self.admin, "close", None)
        if callable(close):
            close()


class _LocalTarget(ControlPlaneTarget):
    """Fakes of this process, on an app built here.

    Args:
        app: the app (default: a new one from ``app_factory``).
        app_factory: builds the app, and a fresh one for :meth:`fresh` (default: every
            registered fake, response validation on).
    """

    kind = "fake"

    def __init__(
        self,
        name: str = "fake",
        app: FakesApp | None = None,
        defaults: Mapping[str, ApiDefaults] | None = None,
        auth: Mapping[str, Mapping[str, str]] | None = None,
        app_factory: Callable[[], FakesApp] | None = None,
    ) -> None:
        self.app_factory = app_factory or _default_app
        self.app = app or self.app_factory()
        super().__init__(name, self.app.admin, self._serve(self.app), defaults, auth)

    def _serve(self, app: FakesApp) -> str:
        """Make ``app`` reachable; answers the base URL requests go to."""
        raise NotImplementedError

    def fresh(self) -> _LocalTarget:
        """The same kind of target over a new app, with state of its own."""
        return type(self)(self.name, app_factory=self.app_factory)


class FakeTarget(_LocalTarget):
    """The fakes in this process, served on a free loopback port from a background thread."""

    server: ServerThread

    def _serve(self, app: FakesApp) -> str:
        from ..server import ServerThread

        self.server = ServerThread(app).start()
        return self.server.base_url

    def close(self) -> None:
        self.server.stop()


class InProcessTarget(_LocalTarget):
    """The fakes in this process, called through ASGI without a socket (``transport: asgi``)."""

    BASE_URL = "http://testserver"

    def _serve(self, app: FakesApp) -> str:
        return self.BASE_URL

    def open_client(self, timeout: float) -> httpx.Client:
        from starlette.testclient import TestClient

        return TestClient(self.app, base_url=self.BASE_URL, follow_redirects=False)


def _default_app() -> FakesApp:
    from ..quiet_import import import_connexion

    import_connexion()
    from ..app import build_app

    return build_app(validate_responses=True)


class UrlTarget(ControlPlaneTarget):
    """A ``mockserver serve`` running elsewhere, driven through its ``/__admin`` over HTTP.

    Until :meth:`open_session` moves it into a session, requests go to the server's default
    session (its root URL). A URL that already points below ``/s/<id>`` is that session.
    """

    kind = "url"

    def __init__(
        self,
        name: str,
        url: str,
        defaults: Mapping[str, ApiDefaults] | None = None,
        auth: Mapping[str, Mapping[str, str]] | None = None,
        shared: bool = False,
    ) -> None:
        super().__init__(name, HttpAdmin(url), url, defaults, auth, shared)
        self.server_url, self.session_id = _split_session_url(self.base)
        self._owned_session: str | None = None

    @property
    def owns_session(self) -> bool:
        """The session in use was created by :meth:`open_session` and goes with :meth:`close`."""
        return self._owned_session is not None

    def open_session(self, name: str, session_id: str | None = None) -> str:
        """Run in a session: ``session_id`` (which must exist), or a new one of this target's own.

        A session created here is deleted by :meth:`close`; the server's default session is never
        touched. A target whose URL already names a session stays in it. Answers the session id.

        Raises:
            SetupError: no mockserver answers, it has no such session, or it refused to create one.
        """
        if self.session_id is not None and session_id in (None, self.session_id):
            return self.session_id
        if session_id is None:
            with HttpAdmin(self.server_url) as root:
                try:
                    created = root.create_session(name=name[:200])
                except httpx.HTTPError as exc:
                    raise SetupError(f"no mockserver answers at {self.server_url}: {exc}") from None
                except AdminError as exc:
                    raise SetupError(_session_refusal(self.server_url, exc)) from None
            session_id = str(created["id"])
            self._owned_session = session_id
            admin = HttpAdmin(_session_url(self.server_url, session_id), token=str(created["token"]))
        else:
            admin = HttpAdmin(_session_url(self.server_url, session_id))
            try:
                admin.health()
            except httpx.HTTPError as exc:
                admin.close()
                raise SetupError(f"no mockserver answers at {self.server_url}: {exc}") from None
            except AdminError as exc:
                admin.close()
                raise SetupError(f"session {session_id!r} at {self.server_url}: {exc.message}") from None
        self._swap_admin(admin)
        self.session_id = session_id
        self.base = admin.base_url
        return session_id

    def _swap_admin(self, admin: HttpAdmin) -> None:
        close = getattr(self.admin, "close", None)
        if callable(close):
            close()
        self.admin = admin

    def close(self) -> None:
        """Delete the session this target created (if any), and close its connections."""
        super().close()
        owned, self._owned_session = self._owned_session, None
        if owned is not None:
            delete_session(self.server_url, owned)


def delete_session(server_url: str, session_id: str) -> bool:
    """Delete a session of the server at ``server_url``; answers False when it was already gone.

    Raises nothing on a server that cannot be reached: the session then expires on its own.
    """
    with HttpAdmin(server_url) as root:
        try:
            root.delete_session(session_id)
        except AdminError as exc:
            if exc.status == 404:
                return False
            raise
        except httpx.HTTPError:
            return False
    return True


def _split_session_url(url: str) -> tuple[str, str | None]:
    """``(server URL, session id)`` for ``<server>/s/<id>``, else ``(url, None)``."""
    parsed = urlsplit(url)
    found = split_session_path(parsed.path)
    if found is None or found[1] != "/":
        return url, None
    server_path = parsed.path[: parsed.path.rindex(f"{SESSION_PREFIX}{found[0]}")]
    return urlunsplit(parsed._replace(path=server_path)).rstrip("/"), found[0]


def _session_url(server_url: str, session_id: str) -> str:
    return f"{server_url}{SESSION_PREFIX}{session_id}"


def _session_refusal(server_url: str, error: AdminError) -> str:
    if error.status == 404:
        return f"the mockserver at {server_url} cannot create sessions (an older version?): {error.message}"
    if error.status == 401:
        return (
            f"the mockserver at {server_url} refused to create a session: {error.message} "
            f"(set {TOKEN_ENV} to its admin token)"
        )
    return f"the mockserver at {server_url} refused to create a session: {error.message}"


class RealTarget(Target):
    """Real endpoints: a base URL per API, tokens and given values from the environment.

    Args:
        apis: per API ``url``/``url_env``, ``tokens`` (name -> environment variable), ``given``
            (state name -> the values that stand for its result), ``variables``, ``auth``.
        retry: ``attempts`` and ``max_wait_seconds`` for 429 answers.
    """

    kind = "real"

    def __init__(
        self,
        name: str,
        apis: Mapping[str, Mapping[str, Any]],
        auth: Mapping[str, Mapping[str, str]] | None = None,
        retry: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        merged = {api: dict(formats) for api, formats in (auth or {}).items()}
        for api, entry in apis.items():
            merged.setdefault(api, {}).update(entry.get("auth") or {})
        super().__init__(name, merged)
        self.apis = {api: dict(entry) for api, entry in apis.items()}
        self.environ = os.environ if environ is None else environ
        retry = retry or {}
        self._retry = (int(retry.get("attempts", 3)), float(retry.get("max_wait_seconds", 30.0)))

    def retry_policy(self) -> tuple[int, float]:
        return self._retry

    def _api(self, api: str) -> dict[str, Any]:
        if api not in self.apis:
            if api == CONTROL_PLANE_API:
                raise SkipFile(f"needs a control plane; target {self.name!r} is a real endpoint without one")
            raise SkipFile(f"target {self.name!r} has no base URL for api {api!r}")
        return self.apis[api]

    def base_url(self, api: str) -> str:
        entry = self._api(api)
        url = self.environ.get(entry["url_env"]) if entry.get("url_env") else None
        url = url or entry.get("url")
        if not url:
            raise SkipFile(f"target {self.name!r}: environment variable {entry.get('url_env')} is not set")
        return str(url).rstrip("/")

    def served_apis(self) -> list[str]:
        return list(self.apis)

    def variables(self, api: str) -> dict[str, Any]:
        return dict(self.apis.get(api, {}).get("variables") or {})

    def tokens(self, api: str) -> tuple[dict[str, str], dict[str, str]]:
        """The API's tokens by name as the environment holds them, and the missing ones (name -> variable)."""
        found: dict[str, str] = {}
        missing: dict[str, str] = {}
        for name, variable in (self._api(api).get("tokens") or {}).items():
            value = self.environ.get(variable)
            if value is None:
                missing[name] = variable
            else:
                found[name] = value
        return found, missing

    def given_values(self, api: str, state: str) -> Mapping[str, Any] | None:
        """What ``targets.yaml`` gives for a provider state's result, as written (see :meth:`resolve`)."""
        values = (self._api(api).get("given") or {}).get(state)
        return values if isinstance(values, Mapping) else None

    def resolve(self, value: Any, label: str) -> Any:
        """A ``given`` value with its environment references read: ``{env: NAME, type: integer}``,
        lists of them, or literals.

        Raises:
            SkipFile: a variable is unset, or not of its type (``label`` says where it was wanted).
        """
        if isinstance(value, list):
            return [self.resolve(item, label) for item in value]
        if isinstance(value, Mapping) and "env" in value:
            found = self.environ.get(value["env"])
            if found is None:
                raise SkipFile(f"{label}: environment variable {value['env']} is not set")
            try:
                return _CONVERT[value.get("type", "string")](found)
            except ValueError:
                raise SkipFile(f"{label}: environment variable {value['env']} is not a {value['type']}") from None
        return value

    def prepare(self, step_file: StepFile, scope: Scope) -> dict[str, str]:
        if step_file.settings is not None:
            raise SkipFile(f"changes control-plane settings; target {self.name!r} has no control plane")
        for api in step_file.apis:
            self.base_url(api)
        for entry in step_file.given:
            values = self.given_values(entry.api, entry.state)
            if values is None:
                raise SkipFile(
                    f"target {self.name!r} cannot satisfy given {entry.name!r} ({entry.api}/{entry.state}): "
                    "targets.yaml holds no values for it"
                )
            label = f"given {entry.name!r} ({entry.api}/{entry.state})"
            scope.add_given(entry.name, {key: self.resolve(value, label) for key, value in values.items()})
        tokens: dict[str, str] = {}
        missing: dict[str, str] = {}
        for api in step_file.apis:
            found, absent = self.tokens(api)
            tokens = {**found, **tokens}
            missing = {**absent, **missing}
        for step in (*step_file.steps, *step_file.finally_steps):
            if step.token is not None and step.token.name in missing and step.token.name not in tokens:
                raise SkipFile(
                    f"token {step.token.name!r} comes from environment variable {missing[step.token.name]}, which is not set"
                )
        return tokens


def _is_served(spec: str, config: TargetsConfig) -> bool:
    if spec.startswith(("http://", "https://")):
        return True
    entry = config.targets.get(spec)
    return entry is not None and entry["kind"] == "url"


def unreachable_reason(spec: str, config: TargetsConfig, session: str | None = None) -> str | None:
    """Why the target ``spec`` cannot be used at all, or None.

    Only targets reached over HTTP through a control plane are asked: that a mockserver answers,
    and that it has the session ``session`` or (without one) can create a session, which is
    deleted at once. Fake targets run in this process, and real ones are checked API by API as
    files need them.

    Raises:
        TargetConfigError: ``spec`` names no target, or a ``url`` target without a URL.
    """
    if not _is_served(spec, config):
        return None
    target = make_target(spec, config)
    try:
        target.served_apis()
        if isinstance(target, UrlTarget):
            target.open_session("mockserver check", session)
    except SetupError as exc:
        return str(exc)
    finally:
        target.close()
    return None


def sweep_sessions(spec: str, config: TargetsConfig, prefix: str) -> list[str]:
    """Delete the sessions whose names start with ``prefix`` on the served target ``spec``.

    What a run's workers could not delete themselves (stopped at once) goes here. Answers the
    ids deleted; a target that is not served, or cannot be reached, has none.
    """
    if not _is_served(spec, config):
        return []
    target = make_target(spec, config)
    if not isinstance(target, UrlTarget) or target.session_id is not None:
        target.close()
        return []
    deleted: list[str] = []
    try:
        with HttpAdmin(target.server_url) as root:
            for entry in root.sessions():
                if str(entry.get("name") or "").startswith(prefix) and delete_session(target.server_url, entry["id"]):
                    deleted.append(str(entry["id"]))
    except (AdminError, httpx.HTTPError):
        pass
    finally:
        target.close()
    return deleted


def make_target(spec: str, config: TargetsConfig, shared: bool = False) -> Target:
    """The target named ``spec`` in ``config``, or a URL target for ``http(s)://...``.

    Args:
        shared: several test processes use the same target at once (pytest-xdist).
    """
    if spec.startswith(("http://", "https://")):
        return UrlTarget(spec, spec, config.defaults, config.auth, shared)
    entry = config.targets.get(spec)
    if entry is None:
        known = ", ".join(sorted(config.targets))
        raise TargetConfigError(f"unknown target {spec!r}; known: {known} (or a http:// URL)")
    kind = entry["kind"]
    if kind == "fake":
        if entry.get("transport") == "asgi":
            return InProcessTarget(spec, defaults=config.defaults, auth=config.auth)
        return FakeTarget(spec, defaults=config.defaults, auth=config.auth)
    if kind == "url":
        url = (os.environ.get(entry["url_env"]) if entry.get("url_env") else None) or entry.get("url")
        if not url:
            raise TargetConfigError(f"target {spec!r} has no url (set {entry.get('url_env') or 'url'})")
        return UrlTarget(spec, url, config.defaults, config.auth, shared)
    return RealTarget(spec, entry.get("apis") or {}, config.auth, entry.get("retry"))
