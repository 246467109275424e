"""The machine's noise as data: what else was running, what the CPUs and the
memory were set to, read from /proc and /sys where the kernel tells.

`snapshot()` is cheap (a few reads of /proc, ~50 µs) and is taken at the
start and end of the run and of every pass; `interval()` of two /proc/stat
readings gives the shares of CPU time between them, taken around every
(op, size) group. Nothing here raises: what the machine does not tell is null.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

THP = Path("/sys/kernel/mm/transparent_hugepage")
CPUFREQ = Path("/sys/devices/system/cpu/cpu0/cpufreq")


def _read(path: str | Path) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _selected(text: str | None) -> str | None:
    """'always [madvise] never' -> 'madvise' (the kernel's way of showing a choice)."""
    if text is None:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1 : end] if 0 <= start < end else text


@dataclass(frozen=True)
class CpuTimes:
    """The aggregate `cpu` line of /proc/stat, in clock ticks."""

    busy: int  # user + nice + system + irq + softirq
    idle: int  # idle + iowait
    steal: int  # time the hypervisor ran another guest on our virtual CPUs
    own: int  # this process's user + system time (children excluded)


def cpu_times() -> CpuTimes | None:
    text = _read("/proc/stat")
    own = _read("/proc/self/stat")
    if not text or not own:
        return None
    fields = [int(x) for x in text.splitlines()[0].split()[1:]]
    fields += [0] * (8 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    # /proc/self/stat: fields 14 and 15 (utime, stime) after the ")" of the name
    after_name = own.rsplit(")", 1)[1].split()
    return CpuTimes(
        busy=user + nice + system + irq + softirq,
        idle=idle + iowait,
        steal=steal,
        own=int(after_name[11]) + int(after_name[12]),
    )


def interval(before: CpuTimes | None, after: CpuTimes | None) -> dict[str, float | None]:
    """Shares of all CPU time between two readings: stolen by the hypervisor,
    busy in other processes than this one, and the load average at the end."""
    shares: dict[str, float | None] = {"steal_share": None, "others_busy_share": None}
    if before is not None and after is not None:
        busy, idle = after.busy - before.busy, after.idle - before.idle
        steal, own = after.steal - before.steal, after.own - before.own
        total = busy + idle + steal
        if total > 0:
            shares["steal_share"] = steal / total
            shares["others_busy_share"] = max(busy - own, 0) / total
    shares["load_1min"] = _load_average()
    return shares


def _load_average() -> float | None:
    text = _read("/proc/loadavg")
    try:
        return float(text.split()[0]) if text else None
    except ValueError:
        return None


def _memory_available_bytes() -> int | None:
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def _hypervisor() -> str | None:
    """The hypervisor's name when the kernel says, 'yes' when only the CPU flag does."""
    named = _read("/sys/hypervisor/type")
    if named:
        return named
    flags = next(
        (line for line in (_read("/proc/cpuinfo") or "").splitlines() if line.startswith("flags")),
        "",
    )
    return "yes" if " hypervisor" in flags else "none"


def _frequency_khz() -> int | None:
    text = _read(CPUFREQ / "scaling_cur_freq")
    return int(text) if text and text.isdigit() else None


def settings() -> dict[str, Any]:
    """What the machine is set to (these rarely change within a run)."""
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "thp_enabled": _selected(_read(THP / "enabled")),
        "thp_defrag": _selected(_read(THP / "defrag")),
        "cpu_governor": _read(CPUFREQ / "scaling_governor"),
        "aslr": _read("/proc/sys/kernel/randomize_va_space"),
        "affinity": affinity,
        "hypervisor": _hypervisor(),
    }


def snapshot() -> dict[str, Any]:
    """The settings and the moment's state (load, free memory, frequency)."""
    return {
        **settings(),
        "load_1min": _load_average(),
        "memory_available_bytes": _memory_available_bytes(),
        "cpu_frequency_khz": _frequency_khz(),
    }
