"""What a server costs while it is measured: CPU time and resident memory of its processes.

Read from ``/proc`` (Linux): ``/proc/<pid>/stat`` for CPU time (user + system) and the parent
process, ``/proc/<pid>/status`` for ``VmRSS`` (now) and ``VmHWM`` (peak). A server may be several
processes (``mockserver serve --workers 2`` is a parent and its workers; Redis runs beside it), so
the functions here work on groups of process ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


def parse_stat(text: str) -> tuple[int, float]:
    """``(parent pid, CPU seconds)`` from the text of ``/proc/<pid>/stat``.

    The second field is the command name in parentheses and may itself hold spaces and
    parentheses, so the fields are counted from the last ``)``. After it come state (3), ppid (4),
    ... utime (14) and stime (15), in clock ticks.
    """
    rest = text[text.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    ticks = int(rest[11]) + int(rest[12])
    return ppid, ticks / _TICKS_PER_SECOND


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far; None once it is gone."""
    try:
        return parse_stat((_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace"))[1]
    except (OSError, ValueError, IndexError):
        return None


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak) of a process, in KiB; empty once it is gone."""
    values: dict[str, int] = {}
    try:
        with open(_PROC / str(pid) / "status", encoding="ascii", errors="replace") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return values


def descendants_of(root: int, parents: Mapping[int, int]) -> list[int]:
    """``root`` and every process below it, given each process's parent (``{pid: ppid}``)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found = [root]
    for pid in found:  # grows while it is walked: breadth first
        found.extend(sorted(child for child in children.get(pid, []) if child not in found))
    return found


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants that are running now (``root`` first)."""
    parents: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = parse_stat((entry / "stat").read_text(encoding="ascii", errors="replace"))[0]
        except (OSError, ValueError, IndexError):
            continue  # exited while the table was read
    return descendants_of(root, parents)


def cpu_snapshot(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds so far of each process that is still running."""
    snapshot = {}
    for pid in pids:
        seconds = cpu_seconds(pid)
        if seconds is not None:
            snapshot[pid] = seconds
    return snapshot


def cpu_used(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds the processes used between two snapshots.

    A process in ``after`` only was started in between and counts whole; one in ``before`` only
    exited in between, and what it used after ``before`` cannot be read any more (it counts 0).
    """
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def process_name(pid: int) -> str:
    """The command name of a process (``/proc/<pid>/comm``), ``?`` once it is gone."""
    try:
        return (_PROC / str(pid) / "comm").read_text(encoding="utf-8", errors="replace").strip() or "?"
    except OSError:
        return "?"
