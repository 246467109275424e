"""The run's own floors against Google Benchmark's: do two independent
measurements of the kernel alone agree?

The run times the kernel as a turn of its rounds (what "x kernel" divides
by); `ib_native_floors` timed it again before the passes, on buffers of its
own. Where the run's 95% interval and the range of Google Benchmark's
repetitions do not overlap, the two disagree by more than either's own
spread: a cache or page state that differs between the two set-ups, or a
machine that changed between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from interop_bench.analysis.load import Results
from interop_bench.results_file import KERNEL


@dataclass(frozen=True)
class FloorCheck:
    op: str
    size: int
    payload_bytes: int
    in_run_ns: float
    in_run_low_ns: float
    in_run_high_ns: float
    benchmark_ns: float
    benchmark_low_ns: float
    benchmark_high_ns: float

    @property
    def ratio(self) -> float:
        """in-run / Google Benchmark."""
        return self.in_run_ns / self.benchmark_ns

    @property
    def disagree(self) -> bool:
        return (
            self.in_run_low_ns > self.benchmark_high_ns
            or self.in_run_high_ns < self.benchmark_low_ns
        )


def checks(results: Results) -> list[FloorCheck]:
    """One check per (op, size) that has both floors (version 2 files only)."""
    ranges = results.benchmark_floors.get("kernel_range_ns") or {}
    found = []
    for cell in results.floor_cells:
        if cell.strategy != KERNEL or not cell.ok:
            continue
        benchmark = results.benchmark_kernel_ns(cell.op, cell.size)
        if benchmark is None:
            continue
        low, high = ranges.get(cell.op, {}).get(str(cell.size), (benchmark, benchmark))
        found.append(
            FloorCheck(
                op=cell.op,
                size=cell.size,
                payload_bytes=cell.payload_bytes,
                in_run_ns=cell.median_ns,
                in_run_low_ns=cell.stat("ci_low_ns") or cell.median_ns,
                in_run_high_ns=cell.stat("ci_high_ns") or cell.median_ns,
                benchmark_ns=benchmark,
                benchmark_low_ns=float(low),
                benchmark_high_ns=float(high),
            )
        )
    return sorted(found, key=lambda c: (c.op, c.size))
