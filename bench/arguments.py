"""Argument checks shared by the benchmark scripts (``run.py`` and ``compare.py``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .scenarios import SCENARIOS


def check_scenarios(parser: argparse.ArgumentParser, args: argparse.Namespace, default: Sequence[str]) -> None:
    """Reject unknown scenario names; no names means ``default``."""
    unknown = [key for key in args.scenarios if key not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    args.scenarios = args.scenarios or list(default)


def check_load(parser: argparse.ArgumentParser, args: argparse.Namespace, positive: Sequence[str]) -> None:
    """Every name in ``positive`` above zero, ``--warmup`` not negative, and a load wrk can drive."""
    for name in positive:
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if args.threads > args.connections:
        parser.error("--threads must not exceed --connections (wrk gives every thread its own connections)")
    if args.actors < args.connections:
        parser.error("--actors must be at least --connections (an actor's requests must not overlap)")
