"""One cell (strategy x op x size) from check to record.

The order is fixed: check the answer (a wrong one is recorded and never
timed), calibrate, warm up, take samples in turns (the engine interleaves the
turns of a size's strategies), then measure memory and phases and build the
record of docs/results-schema.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from statistics import median
from time import perf_counter_ns
from typing import Any

from interop_bench.ops import WrongAnswerError
from interop_bench.runner import floors, memory, plan, stats
from interop_bench.runner.plan import Profile
from interop_bench.runner.timing import Sampler, calibrate
from interop_bench.runner.workload import BoundWorkload, Workload
from interop_bench.strategies import Strategy

Record = dict[str, Any]


@dataclass(frozen=True)
class Settings:
    """What every cell of a run shares."""

    profile: Profile
    budget_ns: int
    resolution_ns: float
    loop_overhead_ns: float
    floors: dict[str, Any]


def empty_record(strategy: str, op: str, size: int, status: str, reason: str | None) -> Record:
    """A cell without measurements (skipped, incorrect, error)."""
    return {
        "strategy": strategy,
        "op": op,
        "size": size,
        "bytes": size * 8,
        "status": status,
        "reason": reason,
        "stats": None,
        "samples_ns": [],
        "memory_peak_bytes": None,
        "memory_payload_ratio": None,
        "memory_note": None,
        "phases_ns": None,
    }


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class CellRun:
    """The measurement of one strategy on one workload."""

    def __init__(self, strategy: Strategy, workload: Workload, settings: Settings) -> None:
        self.strategy = strategy
        self.workload = workload
        self.settings = settings
        self._bound: BoundWorkload | None = None
        self.sampler: Sampler | None = None

    def _failed(self, status: str, reason: str) -> Record:
        return empty_record(
            self.strategy.name, self.workload.op, self.workload.size, status, reason
        )

    def start(self) -> Record | None:
        """Check, calibrate, warm up. A record when the cell ends here (incorrect, error).

        The cell's time budget starts after the check: checking costs NumPy's
        reference computations, not the strategy's time.
        """
        profile = self.settings.profile
        try:
            self._bound = self.workload.bind(self.strategy)
            check_ns = self.bound.check()
        except WrongAnswerError as error:
            return self._failed("incorrect", str(error))
        except Exception as error:
            return self._failed("error", describe(error))
        calls = plan.minimum_calls(profile, bool(self.strategy.phase_names)) - 1
        too_slow = plan.over_budget(check_ns, calls, self.settings.budget_ns, "the checked call")
        if too_slow is not None:
            return self._failed("skipped", f"answer checked, not timed: {too_slow}")
        begin = perf_counter_ns()
        try:
            per_sample = calibrate(
                self._sample,
                profile.sample_target_ns,
                self.settings.resolution_ns,
                self.workload.max_calls_per_sample(),
            )
            self.sampler = Sampler(
                sample=self._sample,
                calls=per_sample,
                loop_overhead_ns=self.settings.loop_overhead_ns,
                min_samples=profile.min_samples,
                max_samples=profile.max_samples,
                budget_ns=self.settings.budget_ns,
                ci_relative=profile.ci_relative,
                spent_ns=perf_counter_ns() - begin,
            )
            self.sampler.warm_up(max(profile.warmup_ns - self.sampler.spent_ns, 0))
        except Exception as error:
            return self._failed("error", describe(error))
        finally:
            self.bound.release()
        return None

    @property
    def bound(self) -> BoundWorkload:
        assert self._bound is not None, "start() first"
        return self._bound

    def _sample(self, calls: int) -> int:
        return self.bound.sample_ns(calls)

    def turn(self) -> tuple[str | None, Record | None]:
        """One turn of samples: (stop reason or None, error record or None)."""
        assert self.sampler is not None, "start() first"
        try:
            return self.sampler.turn(self.settings.profile.batch_ns), None
        except Exception as error:
            return None, self._failed("error", describe(error))
        finally:
            self.bound.release()

    def finish(self, stop_reason: str) -> Record:
        """Statistics, memory and phases of a cell whose sampling stopped."""
        assert self.sampler is not None, "start() first"
        try:
            peak = self._memory()
            phases, phase_problem = self._phases()
        except Exception as error:
            return self._failed("error", describe(error))
        workload = self.workload
        record = empty_record(self.strategy.name, workload.op, workload.size, "ok", phase_problem)
        record["stats"] = self._stats(stop_reason)
        record["samples_ns"] = [round(value, 3) for value in self.sampler.per_call_ns]
        record["memory_peak_bytes"] = peak.peak_bytes
        record["memory_payload_ratio"] = (
            peak.peak_bytes / self.workload.payload_bytes if peak.peak_bytes is not None else None
        )
        record["memory_note"] = peak.note
        record["phases_ns"] = phases
        return record

    def _stats(self, stop_reason: str) -> dict[str, Any]:
        assert self.sampler is not None
        summary: dict[str, Any] = stats.summarize(self.sampler.per_call_ns)
        median_ns = summary["median_ns"]
        floor_ns = floors.kernel_ns(self.settings.floors, self.workload.op, self.workload.size)
        summary.update(
            samples=len(self.sampler.per_call_ns),
            calls_per_sample=self.sampler.calls,
            stop_reason=stop_reason,
            throughput_bytes_per_s=stats.throughput_per_s(self.workload.payload_bytes, median_ns),
            throughput_elements_per_s=stats.throughput_per_s(self.workload.size, median_ns),
            overhead_ns=median_ns - floor_ns if floor_ns is not None else None,
        )
        return summary

    def _memory(self) -> memory.MemoryReading:
        fn, args = self.bound.fn, self.bound.fresh_args()  # placed before the reset
        return memory.measure_peak(lambda: fn(*args), self.strategy.worker_pids())

    def _phases(self) -> tuple[dict[str, float] | None, str | None]:
        """Per-phase medians of a few call_with_phases calls, in call order."""
        names = self.strategy.phase_names
        if not names:
            return None, None
        runs: list[dict[str, int]] = []
        try:
            for _ in range(self.settings.profile.phase_calls):
                args = self.bound.fresh_args()
                _, phases = self.strategy.call_with_phases(self.workload.op, *args)
                runs.append(phases)
            return {name: float(median(run[name] for run in runs)) for name in names}, None
        except (NotImplementedError, KeyError) as error:
            problem = f"phases not measured: {describe(error)}"
            print(f"warning: {self.strategy.name} {self.workload.op}: {problem}", file=sys.stderr)
            return None, problem
