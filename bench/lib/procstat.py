"""CPU time and memory of a server and all its processes, read from /proc.

A server may be one process (uvicorn, the ceiling, django-bolt with one process) or
a supervisor whose children do the work (django-bolt --processes N): every
measurement covers the whole process tree.
"""
from __future__ import annotations

import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    return raw[raw.rindex(")") + 2:].split()


def tree(root: int) -> list[int]:
    """root and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time per pid (all threads), in seconds."""
    out = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            # After the name: state is fields[0], so utime/stime (stat fields 14, 15)
            # are at 11 and 12.
            out[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two samples. A process that appeared in between
    counts from zero; one that exited in between is not counted (servers do not
    fork or lose workers during a healthy run)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def reset_peak_rss(pids: list[int]) -> bool:
    """Reset VmHWM to the current RSS so the next reading is this run's peak.
    Needs Linux >= 4.0 and the right to write clear_refs; False if not possible."""
    ok = True
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            ok = False
    return ok


def peak_rss_kib(pids: list[int]) -> int:
    """Sum of the processes' peak resident set sizes (VmHWM), in KiB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total


def busy_seconds(cpus: list[int] | None = None) -> float:
    """Time the given CPUs (all when None) spent running anything, from /proc/stat.
    Used to tell how much of the run's CPU went to other work on a shared machine."""
    total = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        if cpus is None or int(name[3:]) in cpus:
            user, nice, system, idle, iowait, irq, softirq, steal = map(int, values[:8])
            total += user + nice + system + irq + softirq + steal
    return total / CLK_TCK
