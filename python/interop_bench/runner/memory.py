"""Peak extra resident memory of one call, from the operating system's accounting.

Linux keeps a resident-set high-water mark per process (VmHWM in
/proc/<pid>/status) and resets it to the current RSS when "5" is written to
/proc/<pid>/clear_refs. "Extra" memory of a call is the high-water mark after
the call minus the resident set just before it, summed over this process and
the strategy's worker processes: the input, already resident, does not count;
a copy, an encoded buffer or a result array does. The OS counts pages first
touched: memory the allocator reuses from its free lists is not seen again,
and the granularity is a page (4 KiB), so small sizes read as 0 or a page.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_KIB = 1024

METHOD_NOTE = (
    "VmHWM after one call minus VmRSS before it, high-water mark reset through "
    "/proc/<pid>/clear_refs; {who}; pages first touched during the call (4 KiB granularity)"
)


@dataclass(frozen=True)
class MemoryReading:
    peak_bytes: int | None  # None when the OS could not say
    note: str


def _status_kib(pid: str, key: str) -> int:
    text = (PROC / pid / "status").read_text()
    match = re.search(rf"^{key}:\s+(\d+)\s+kB", text, re.MULTILINE)
    if match is None:
        raise OSError(f"no {key} in /proc/{pid}/status")
    return int(match.group(1))


def _reset_high_water_mark(pid: str) -> None:
    (PROC / pid / "clear_refs").write_text("5")


def measure_peak(call: Callable[[], object], worker_pids: Sequence[int] = ()) -> MemoryReading:
    """Run `call` once and return the peak extra resident bytes it caused."""
    pids = ["self", *(str(pid) for pid in worker_pids)]
    who = "this process" + (f" + {len(worker_pids)} worker process(es)" if worker_pids else "")
    was_enabled = gc.isenabled()
    gc.disable()  # a collection during the call would blur the baseline
    try:
        try:
            for pid in pids:
                _reset_high_water_mark(pid)
            before_kib = [_status_kib(pid, "VmRSS") for pid in pids]
        except OSError as error:
            return MemoryReading(None, f"the OS cannot say: {error}")
        result = call()
        try:
            after_kib = [_status_kib(pid, "VmHWM") for pid in pids]
        except OSError as error:
            return MemoryReading(None, f"the OS cannot say: {error}")
        del result
    finally:
        if was_enabled:
            gc.enable()
    extra_kib = sum(
        max(after - before, 0) for after, before in zip(after_kib, before_kib, strict=True)
    )
    return MemoryReading(extra_kib * _KIB, METHOD_NOTE.format(who=who))


@dataclass(frozen=True)
class ResidentPeak:
    """What a stretch of calls held resident, summed over this process and its workers."""

    peak_bytes: int  # the high-water marks since the watch began
    growth_bytes: int  # each one's high-water mark over its resident set when the watch began


def watch_peak(worker_pids: Sequence[int] = ()) -> Callable[[], ResidentPeak | None]:
    """Resets the high-water marks of this process and `worker_pids` now; the
    function returned reads their peak since (None where the OS cannot say)."""
    pids = ["self", *(str(pid) for pid in worker_pids)]
    try:
        for pid in pids:
            _reset_high_water_mark(pid)
        before_kib = [_status_kib(pid, "VmRSS") for pid in pids]
    except OSError:
        return lambda: None

    def read() -> ResidentPeak | None:
        try:
            after_kib = [_status_kib(pid, "VmHWM") for pid in pids]
        except OSError:
            return None
        growth = sum(max(a - b, 0) for a, b in zip(after_kib, before_kib, strict=True))
        return ResidentPeak(sum(after_kib) * _KIB, growth * _KIB)

    return read
