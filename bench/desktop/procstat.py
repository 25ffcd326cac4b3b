"""CPU time of processes from /proc: one process, or a whole family of them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces and parentheses: split after the last ')'.
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, all threads, exited ones included (10 ms ticks;
    fine over a window of seconds)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def parents() -> dict[int, int]:
    """pid -> parent pid, for every process we can see."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            found[int(entry.name)] = int(_stat_fields(int(entry.name))[1])
    return found


def children(pid: int) -> list[int]:
    return sorted(child for child, parent in parents().items() if parent == pid)


def descendants(pid: int) -> list[int]:
    tree = parents()
    out: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in tree.items() if parent == current]
        out += kids
        frontier += kids
    return sorted(out)


def family_cpu_seconds(pids: list[int]) -> float:
    """Summed CPU of the processes still alive (a process that exits drops out)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += cpu_seconds(pid)
    return total
