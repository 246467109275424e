"""The Google Benchmark floors: each kernel alone and the bandwidth roofline,
measured once more, independently, as a cross-check of the run's own floors.

The floors that "x kernel" divides by are turns of the run's rounds
(runner/floor_turns.py). `ib_native_floors` (harness/native_floors.cpp) runs
in a child process before the passes, on the run's own sizes but on buffers
of its own, minutes earlier: where the two disagree by more than their
ranges, the report says so. Each benchmark is repeated; the median and the
range of the repetitions are kept.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any

from interop_bench import native

EXECUTABLE = "ib_native_floors"
REPETITIONS = 3
TIMEOUT_S = 600.0
_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def unavailable(reason: str) -> dict[str, Any]:
    """The floors block when there are no floors, saying why."""
    return {
        "available": False,
        "reason": reason,
        "read_bandwidth_bytes_per_s": None,
        "memcpy_bandwidth_bytes_per_s": None,
        "kernel_ns": {},
        "kernel_range_ns": {},
    }


def command(sizes: Sequence[int], min_time_s: float, roofline_bytes: int) -> list[str]:
    """The command line that measures `sizes` (the executable must exist)."""
    return [
        str(native.executable(EXECUTABLE)),
        f"--ib_sizes={','.join(str(size) for size in sizes)}",
        f"--ib_roofline_bytes={roofline_bytes}",
        "--benchmark_format=json",
        f"--benchmark_min_time={min_time_s}",
        f"--benchmark_repetitions={REPETITIONS}",
    ]


def _cpu_ns(bench: dict[str, Any]) -> float:
    return float(bench["cpu_time"]) * _TO_NS[bench.get("time_unit", "ns")]


def parse(report: dict[str, Any]) -> dict[str, Any]:
    """The floors block from Google Benchmark's JSON report: the median
    aggregate of each benchmark, and the range of its repetitions.

    Times are Google Benchmark's CPU time per iteration, not its real time:
    a repetition's real time is a mean over many iterations and absorbs every
    preemption by another process (on a busy 2-core machine it read 2x the CPU
    time for sum/1000), while the runner takes medians of short samples,
    which leave preemptions out. The kernels are single-threaded and never
    wait, so their CPU time is their wall time without the preemptions: the
    quantity those medians estimate. Bandwidths are derived the same way.
    """
    floors: dict[str, Any] = {
        "available": True,
        "reason": None,
        "read_bandwidth_bytes_per_s": None,
        "memcpy_bandwidth_bytes_per_s": None,
        "kernel_ns": {},
        "kernel_range_ns": {},
    }
    repetitions: dict[tuple[str, str], list[float]] = {}
    for bench in report.get("benchmarks", []):
        # The harness registers its benchmarks with UseRealTime (it sizes the
        # iteration count by the wall clock), which adds "/real_time" to the name.
        parts = bench["run_name"].removesuffix("/real_time").split("/")
        aggregate = bench.get("aggregate_name")
        if parts[0] == "kernel" and len(parts) == 3:
            if aggregate == "median":
                floors["kernel_ns"].setdefault(parts[1], {})[parts[2]] = _cpu_ns(bench)
            elif aggregate is None:
                repetitions.setdefault((parts[1], parts[2]), []).append(_cpu_ns(bench))
        elif parts[0] == "roofline" and len(parts) == 3 and aggregate in ("median", None):
            # roofline/<kind>/<bytes>: that many bytes read (or copied) per iteration
            rate = int(parts[2]) * 1e9 / _cpu_ns(bench)
            if aggregate == "median" or floors[f"{parts[1]}_bandwidth_bytes_per_s"] is None:
                floors[f"{parts[1]}_bandwidth_bytes_per_s"] = rate
    for (op, size), values in repetitions.items():
        floors["kernel_range_ns"].setdefault(op, {})[size] = [min(values), max(values)]
    if not floors["kernel_ns"]:
        return unavailable("ib_native_floors reported no kernel benchmarks")
    return floors


def measure(sizes: Sequence[int], min_time_s: float, roofline_bytes: int) -> dict[str, Any]:
    """Run the floors; never raises: a missing or failing executable gives
    `available: false` and the reason."""
    try:
        argv = command(sizes, min_time_s, roofline_bytes)
    except native.NativeUnavailableError as error:
        return unavailable(str(error))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return unavailable(f"{EXECUTABLE} could not run: {error}")
    if done.returncode != 0:
        return unavailable(
            f"{EXECUTABLE} exited with {done.returncode}: {done.stderr.strip()[-500:]}"
        )
    try:
        return parse(json.loads(done.stdout))
    except (ValueError, KeyError, TypeError) as error:
        return unavailable(f"{EXECUTABLE} output could not be read: {error}")


def kernel_ns(floors: dict[str, Any], op: str, size: int) -> float | None:
    """The kernel-only time of `op` at `size`, or None."""
    value = floors.get("kernel_ns", {}).get(op, {}).get(str(size))
    return float(value) if value is not None else None
