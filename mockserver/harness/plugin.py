"""The pytest plugin: collects step files under ``contracts/`` and runs each as one test.

``pytest contracts/ [--target NAME|URL] [--allow-destructive] [--targets-file PATH]``. YAML files
below a directory named ``contracts`` (except ``targets.yaml``) and Markdown pages with front
matter and ``steps`` blocks there are step files; with ``--step-files-anywhere``, such files in
any folder are. Each becomes a ``pytest.Function`` whose function takes the ``contract_target``
and ``contract_run_options`` fixtures, so conftest files can override either.

``mockserver contracts`` passes ``--bundled-contracts`` (without paths, the suites that ship
with mockserver run, not the tests of the current folder) and ``--step-files-anywhere``.

Against a served target (``--target URL`` or a ``url`` target) the run works in a session of its
own on that server - one per pytest-xdist worker - and deletes it at the end, also when failing
or interrupted; the server's default session is never touched. ``--session ID`` runs in that
existing session instead and leaves it in place.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .loader import StepFileError
    from .model import StepFile
    from .runner import RunOptions
    from .targets import Target

# The harness modules are imported where they are first needed, not here: pytest loads this
# plugin into every run of a project that installs the harness, contract files or not, and
# importing the runner and its libraries up front added about 0.9 s to each of those runs.

CONTRACTS_DIR = "contracts"
TARGETS_FILE_NAMES = ("targets.yaml", "targets.yml")
FUZZ_SUMMARY = "fuzz_summary"
"""A test's user property holding its one-line Schemathesis summary, listed per API at the end of the run."""
_MARKERS = pytest.StashKey[set[str]]()
_RUN_ID = pytest.StashKey[str]()
RUN_ID_KEY = "mockserver_contracts_run"
"""The ``workerinput`` key that hands the controller's run id to pytest-xdist workers."""
SESSION_NAME = "mockserver contracts"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "contract step files (mockserver)")
    group.addoption(
        "--target",
        default=None,
        metavar="NAME|URL",
        help="where contract step files run: a target in contracts/targets.yaml, or the URL of a "
        "running `mockserver serve` (default: fake, the fakes in process)",
    )
    group.addoption(
        "--allow-destructive",
        action="store_true",
        default=False,
        help="run steps that change state (connect, disconnect, delete...) against real targets too",
    )
    group.addoption(
        "--targets-file",
        default=None,
        metavar="PATH",
        help="the targets file (default: contracts/targets.yaml under the rootdir or the current directory; "
        "with --bundled-contracts and no paths, the bundled suites' own)",
    )
    group.addoption(
        "--bundled-contracts",
        action="store_true",
        default=False,
        help="without paths, run the contract suites bundled with mockserver instead of the tests here "
        "(as `mockserver contracts` does)",
    )
    group.addoption(
        "--session",
        default=None,
        metavar="ID",
        help="against a served target, run in this existing session (its /s/ID URL) and leave it in place "
        "(default: a new session per run, or per xdist worker, deleted at the end)",
    )
    group.addoption(
        "--step-files-anywhere",
        action="store_true",
        default=False,
        help="collect step files in any folder, not only below one named 'contracts' (as `mockserver contracts` does)",
    )


def targets_file(config: pytest.Config) -> Path | None:
    """The targets file in use, if there is one."""
    option = config.getoption("targets_file", None)
    if option:
        return Path(option)
    for base in (config.rootpath, Path.cwd()):
        for name in TARGETS_FILE_NAMES:
            candidate = base / CONTRACTS_DIR / name
            if candidate.is_file():
                return candidate
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: a contract step file run by the mockserver harness")
    config.addinivalue_line("markers", "destructive: a contract with steps that change state on the target")
    config.stash[_MARKERS] = {"contract", "destructive"}
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and RUN_ID_KEY in workerinput:
        config.stash[_RUN_ID] = str(workerinput[RUN_ID_KEY])
    else:
        config.stash[_RUN_ID] = secrets.token_hex(4)
    target = config.getoption("target", None)
    if target and not target.startswith(("http://", "https://")):
        from .targets import TargetConfigError, load_targets

        try:
            known = load_targets(targets_file(config)).targets
        except TargetConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        if target not in known:
            raise pytest.UsageError(f"unknown target {target!r}; known: {', '.join(sorted(known))} (or a http:// URL)")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.getoption("bundled_contracts", False) and config.args_source != pytest.Config.ArgsSource.ARGS:
        _run_bundled_suites(config)
    target = config.getoption("target", None)
    if target and not hasattr(config, "workerinput") and not _only_shows_information(config):
        # A --target URL nobody answers at would fail every file with a connection traceback.
        from .targets import TargetConfigError, load_targets, unreachable_reason

        try:
            problem = unreachable_reason(
                target, load_targets(targets_file(config)), session=config.getoption("session", None)
            )
        except TargetConfigError:
            return None  # pytest_configure reports it as a usage error
        if problem is not None:
            print(f"mockserver contracts: {problem}", file=sys.stderr)
            return int(pytest.ExitCode.INTERRUPTED)
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker names its session after the controller's run."""
    node.workerinput[RUN_ID_KEY] = node.config.stash[_RUN_ID]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or config.getoption("session", None) or _only_shows_information(config):
        return
    target = config.getoption("target", None)
    if target:
        # Workers delete their own sessions; one stopped before it could (Ctrl-C reaches the
        # controller first) leaves its session to this sweep, found by the run's id in its name.
        from .targets import TargetConfigError, load_targets, sweep_sessions

        try:
            sweep_sessions(target, load_targets(targets_file(config)), _session_prefix(config))
        except TargetConfigError:
            return


def _session_prefix(config: pytest.Config) -> str:
    """How the names of this run's sessions start: the command, then the run's id."""
    return f"{SESSION_NAME} {config.stash[_RUN_ID]} "


def _run_bundled_suites(config: pytest.Config) -> None:
    # No paths were given: pytest would collect the current folder (or the ini's testpaths).
    # Each xdist worker decides the same from the same arguments, so all collect the same files.
    from . import bundled

    config.args = [str(bundled.contracts_dir())]
    if not config.getoption("targets_file", None):
        config.option.targets_file = str(bundled.targets_file())


def _only_shows_information(config: pytest.Config) -> bool:
    option = config.option
    return any(
        getattr(option, name, False)
        for name in ("help", "version", "collectonly", "showfixtures", "show_fixtures_per_test", "markers")
    )


def is_contract_path(file_path: Path, anywhere: bool = False) -> bool:
    """Whether pytest should collect ``file_path`` as a step file.

    Args:
        anywhere: in any folder, not only below one named ``contracts``.
    """
    if not anywhere and CONTRACTS_DIR not in file_path.parent.parts:
        return False
    from .loader import MARKDOWN_SUFFIXES, STEP_FILE_SUFFIXES, is_step_page

    suffix = file_path.suffix.lower()
    if suffix in STEP_FILE_SUFFIXES:
        return file_path.name.lower() not in TARGETS_FILE_NAMES
    return suffix in MARKDOWN_SUFFIXES and is_step_page(file_path)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if is_contract_path(file_path, anywhere=parent.config.getoption("step_files_anywhere", False)):
        return ContractFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # A skip decided while running (the target cannot run the file) is reported at the step
    # file, not at the line of this plugin that called pytest.skip.
    if isinstance(item, ContractItem) and report.skipped and isinstance(report.longrepr, tuple):
        _, _, reason = report.longrepr
        report.longrepr = (str(item.path), item.contract_line, reason)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # The Schemathesis tests show as one dot per API; this says what each covered. Reports
    # carry user properties across pytest-xdist workers, so the lines arrive from every worker.
    lines = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if isinstance(report, pytest.TestReport)
        for name, value in report.user_properties
        if name == FUZZ_SUMMARY and report.when == "call"
    ]
    if lines:
        terminalreporter.write_sep("=", "Schemathesis, per API")
        for line in sorted(lines):
            terminalreporter.write_line(line)


def _marker(config: pytest.Config, name: str) -> pytest.MarkDecorator:
    registered = config.stash[_MARKERS]
    if name not in registered:
        config.addinivalue_line("markers", f"{name}: contract tag")
        registered.add(name)
    return getattr(pytest.mark, name)


def _contract_function(step_file: StepFile) -> Callable[..., None]:
    def run_contract(contract_target: Target, contract_run_options: RunOptions, request: pytest.FixtureRequest) -> None:
        from .runner import StepFailure, run_step_file
        from .targets import SkipFile

        try:
            run_step_file(step_file, contract_target, contract_run_options)
        except SkipFile as exc:
            pytest.skip(exc.reason)
        except StepFailure as exc:
            failed = [record.step.id for record in exc.report.failed]
            request.node.user_properties.append(("failed_steps", ", ".join(failed) or "set-up"))
            raise

    return run_contract


def _invalid_file(error: StepFileError) -> Callable[[], None]:
    def invalid_step_file() -> None:
        raise error

    return invalid_step_file


class ContractFile(pytest.File):
    """One step file; collects one test."""

    def collect(self) -> Iterator[pytest.Item]:
        from .loader import StepFileError, load_step_file

        try:
            step_file = load_step_file(self.path)
        except StepFileError as exc:
            item = ContractItem.from_parent(self, name=self.path.stem, callobj=_invalid_file(exc))
            item.contract_line = exc.problems[0][0] if exc.problems else 1
            yield item
            return
        item = ContractItem.from_parent(self, name=step_file.name, callobj=_contract_function(step_file))
        item.contract_line = step_file.line
        config = self.config
        item.add_marker(_marker(config, "contract"))
        item.add_marker(_marker(config, step_file.api))
        for tag in step_file.tags:
            item.add_marker(_marker(config, tag))
        if step_file.has_destructive_steps:
            item.add_marker(_marker(config, "destructive"))
        if step_file.status == "skip":
            item.add_marker(pytest.mark.skip(reason=step_file.skip_reason or "status: skip"))
        yield item


class ContractItem(pytest.Function):
    """A step file as a test: its failures print the step report, not a Python traceback."""

    contract_line: int = 1

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        from .loader import StepFileError
        from .runner import StepFailure

        if isinstance(excinfo.value, StepFailure):
            return excinfo.value.render()
        if isinstance(excinfo.value, StepFileError):
            return f"invalid step file:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.contract_line - 1, f"contract {self.name}"


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The target chosen with ``--target`` (default ``fake``), for the whole session."""
    from .targets import TargetConfigError, UrlTarget, load_targets, make_target

    config = request.config
    session_id = config.getoption("session", None)
    try:
        targets = load_targets(targets_file(config))
        # An xdist worker's config carries ``workerinput``; the environment variable would also
        # leak into pytest runs started inside a worker (pytester), which share nothing. Workers
        # share a server only in a session given with --session: each otherwise has its own.
        worker = str(getattr(config, "workerinput", {}).get("workerid", ""))
        target = make_target(config.getoption("target") or "fake", targets, shared=bool(worker and session_id))
    except TargetConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        if isinstance(target, UrlTarget):
            target.open_session(_session_prefix(config) + (worker or "main"), session_id)
        yield target
    finally:
        target.close()


@pytest.fixture(scope="session")
def contract_run_options(request: pytest.FixtureRequest) -> RunOptions:
    """How step files run (``--allow-destructive``)."""
    from .runner import RunOptions

    return RunOptions(allow_destructive=bool(request.config.getoption("allow_destructive")))
