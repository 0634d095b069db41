"""How hard a run tries: the bounded CI profile and the deeper one a flag away."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Generation budget for one run.

    Args:
        name: how the profile is chosen (``--profile ci``).
        max_examples: Hypothesis examples per operation and phase (fuzzing, stateful).
        stateful_steps: the most calls one stateful scenario chains.
        seed: a fixed seed (reproducible runs), or None for a fresh one each run.
        database: Hypothesis' example database (``none`` keeps CI runs identical; a path keeps
            failing examples between local runs).
    """

    name: str
    max_examples: int
    stateful_steps: int
    seed: int | None
    database: str

    def with_overrides(self, *, max_examples: int | None = None, seed: int | None = None) -> Profile:
        """This profile with a command line's ``--max-examples`` / ``--seed`` applied."""
        return dataclasses.replace(
            self,
            max_examples=self.max_examples if max_examples is None else max_examples,
            seed=self.seed if seed is None else seed,
        )


CI = Profile(name="ci", max_examples=25, stateful_steps=6, seed=20240611, database="none")
DEEP = Profile(name="deep", max_examples=300, stateful_steps=15, seed=None, database=".hypothesis/examples")

PROFILES: dict[str, Profile] = {profile.name: profile for profile in (CI, DEEP)}
"""The profiles by name; ``ci`` is the default."""
