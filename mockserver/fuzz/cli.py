"""``mockserver fuzz``: Schemathesis over the bundled specs, from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..harness.targets import Target
    from .profiles import Profile

SESSION_NAME = "mockserver fuzz"

EPILOG = """\
examples:
  mockserver fuzz                                    every fake and the control plane, CI profile
  mockserver fuzz --api vcita --profile deep         one API, the deeper profile
  mockserver fuzz --target http://127.0.0.1:8080     a running `mockserver serve`, in a session of its own
  mockserver fuzz --target http://127.0.0.1:8080 --session ID   ... in that existing session
  mockserver fuzz --seed 7 --max-examples 50 --report junit --report-path reports/fuzz.xml

exit codes: 0 every check passed; 1 a check failed or a run errored; 2 bad arguments or unusable target.
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``fuzz`` subcommand to ``mockserver``'s subparsers; returns its parser."""
    from .profiles import PROFILES

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "fuzz",
        help="property-based contract runs (Schemathesis) over the bundled specs",
        description=(
            "Run Schemathesis (examples, coverage, fuzzing and stateful phases; every default check) "
            "over each API's bundled spec and print, per API, the operations and examples exercised "
            "and the failures per check."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--api",
        action="append",
        metavar="NAME",
        help="an API to fuzz (repeatable; default: every served fake, then the control plane 'admin')",
    )
    parser.add_argument(
        "--target",
        default="fake",
        metavar="NAME|URL",
        help="'fake' (in process, default), a target in the targets file, or the URL of a running mockserver",
    )
    parser.add_argument(
        "--session",
        metavar="ID",
        help="on a served target, fuzz in this existing session (its /s/ID URL) and leave it in place "
        "(default: a new session, deleted at the end, so the server's default session is never touched)",
    )
    parser.add_argument(
        "--targets-file",
        type=Path,
        metavar="PATH",
        help="the contract targets file (default: contracts/targets.yaml in the current directory, else the "
        "bundled suites' own, which defines 'fake', 'local' and 'production')",
    )
    parser.add_argument(
        "--allow-destructive",
        action="store_true",
        help="on a real target, also call operations that change state (connect, disconnect, delete...)",
    )
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), default="ci", help="generation budget (default: %(default)s)"
    )
    parser.add_argument("--max-examples", type=int, metavar="N", help="examples per operation and phase")
    parser.add_argument("--seed", type=int, metavar="N", help="fix the seed (the ci profile already does)")
    parser.add_argument("--report", choices=["junit"], help="also write a report file")
    parser.add_argument(
        "--report-path",
        type=Path,
        default=Path("reports/fuzz-junit.xml"),
        metavar="FILE",
        help="where --report writes (default: %(default)s)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print only the summary and the APIs that failed (no progress: by default a live line on a "
        "terminal, and a line per API, phase and operation otherwise)",
    )
    parser.set_defaults(handler=run_command)
    return parser


def run_command(args: argparse.Namespace) -> int:
    """Handle ``mockserver fuzz``."""
    from .profiles import PROFILES

    try:
        from ..harness.targets import SetupError, UrlTarget
        from . import runner  # noqa: F401 - Schemathesis arrives with the harness extra
        from .endpoints import TargetError, resolve_target
    except ImportError as exc:
        print(f"mockserver fuzz needs the harness extra (pip install 'mockserver[harness]'): {exc}", file=sys.stderr)
        return 2

    if args.max_examples is not None and args.max_examples < 1:
        print("mockserver fuzz: --max-examples must be at least 1", file=sys.stderr)
        return 2
    profile = PROFILES[args.profile].with_overrides(max_examples=args.max_examples, seed=args.seed)
    try:
        target = resolve_target(args.target, args.targets_file or _default_targets_file())
    except TargetError as exc:
        print(f"mockserver fuzz: {exc}", file=sys.stderr)
        return 2
    try:
        if isinstance(target, UrlTarget):
            # Resets, provider states and settings go to a session, never to what others use.
            try:
                target.open_session(SESSION_NAME, args.session)
            except SetupError as exc:
                print(f"mockserver fuzz: {exc}", file=sys.stderr)
                return 2
        elif args.session is not None:
            print(f"mockserver fuzz: --session is for a served target; {args.target!r} is not one", file=sys.stderr)
            return 2
        return _run(args, target, profile)
    finally:
        target.close()


def _run(args: argparse.Namespace, target: Target, profile: Profile) -> int:
    from .endpoints import TargetError, served_apis, skip_reason
    from .progress import ProgressLines
    from .report import junit_xml, summary_table
    from .runner import fuzzable_apis, run_api
    from .setups import SETUPS

    if args.api:
        unknown = [api for api in args.api if api not in SETUPS]
        if unknown:
            print(f"mockserver fuzz: unknown api {', '.join(unknown)}; known: {', '.join(SETUPS)}", file=sys.stderr)
            return 2
        apis = list(dict.fromkeys(args.api))
    else:
        try:
            apis = fuzzable_apis(served_apis(target))
        except TargetError as exc:
            print(f"mockserver fuzz: {exc}", file=sys.stderr)
            return 2
    reports = []
    uncovered = []
    progress = ProgressLines(sys.stdout, enabled=not args.quiet)
    for number, api in enumerate(apis, start=1):
        setup = SETUPS.get(api)
        if setup is None:
            # A served fake the runner cannot prepare is a gap, not a pass.
            print(f"== {api}: NOT FUZZED (no fuzz set-up for it)", flush=True)
            uncovered.append(api)
            continue
        reason = skip_reason(target, setup)
        if reason is not None:
            print(f"== {api}: skipped ({reason})", flush=True)
            continue
        progress.api_started(api, number, len(apis), f"target {target.name}, profile {profile.name}")
        try:
            report = run_api(api, target, profile, allow_destructive=args.allow_destructive, progress=progress.step)
        except TargetError as exc:
            progress.clear()
            print(f"mockserver fuzz: {exc}", file=sys.stderr)
            return 2
        finally:
            progress.clear()
        if not (args.quiet and report.ok):
            print(report.format(), end="\n\n", flush=True)
        reports.append(report)
    print(summary_table(reports))
    if args.report == "junit":
        args.report_path.parent.mkdir(parents=True, exist_ok=True)
        args.report_path.write_text(junit_xml(reports), encoding="utf-8")
        print(f"junit report: {args.report_path}")
    return 0 if all(report.ok for report in reports) and not uncovered else 1


def _default_targets_file() -> Path | None:
    from ..harness import bundled

    candidate = Path("contracts") / "targets.yaml"
    if candidate.is_file():
        return candidate
    try:
        return bundled.targets_file()
    except FileNotFoundError:
        return None
