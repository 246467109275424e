"""One cell (strategy x label x size) in one process, from check to pass record.

The order is fixed: check the answer (a wrong one is recorded and never
timed), calibrate, warm up, take samples in turns (the engine interleaves the
turns of a group), then, in the pass that is asked to, measure memory and
phases. The result is a pass record (docs/results-schema.md, "pass files"):
the raw samples and rounds of this process; statistics across processes are
the parent's (runner/merge.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from statistics import median
from time import perf_counter_ns
from typing import Any

from interop_bench.ops import WrongAnswerError
from interop_bench.runner import memory, plan
from interop_bench.runner.plan import Profile
from interop_bench.runner.timing import SampleFn, Sampler, calibrate, slowed_down
from interop_bench.runner.workload import Bound, BoundWorkload, Workload
from interop_bench.strategies import Strategy

Record = dict[str, Any]
# A checked call at least this many times the sample target starts the cell at
# one call per sample without calibrating, which saves a slow cell a call. The
# check is cold, so this k is provisional: the sampler's rule (runner/timing.py)
# raises it on the first warm sample that comes in short of the target.
_PROVISIONAL_FROM_CHECK = 2


@dataclass(frozen=True)
class Settings:
    """What every cell of a pass shares."""

    profile: Profile  # the budgets of this one pass
    processes: int  # passes in the run (the skip rule counts the calls of all)
    budget_ns: int  # what this cell may spend in this pass
    cap_ns: int  # what a cell may spend over the whole run (the skip rule's budget)
    resolution_ns: float
    loop_overhead_ns: float
    pass_index: int


@dataclass(frozen=True)
class Job:
    """What a pass is asked to do with one cell."""

    name: str
    extras: bool  # measure memory and phases (the first pass that measures the cell)
    force: bool  # measure even when the check call says it is over the budget
    slowdown: float = 0.0  # validation only: busy-wait this fraction of each sample
    # A call's time estimated from the smaller sizes (plan.estimate_call_ns), None
    # without them: whether a cold checked call over the budget is repeated.
    estimate_ns: float | None = None


def empty_record(
    name: str, workload: Workload, pass_index: int, status: str, reason: str | None
) -> Record:
    """A pass record without measurements (skipped, incorrect, error)."""
    return {
        "type": "cell",
        "pass": pass_index,
        "strategy": name,
        **workload.identity,  # op (the label), dtype, size, bytes; a frame's resolution
        "status": status,
        "reason": reason,
        "samples_ns": [],
        "rounds": [],
        "calls_per_sample": None,
        "shortest_sample_ns": None,
        "short_samples": 0,
        "stop_reason": None,
        "memory": None,
        "phases_ns": None,
    }


def minimum_calls(settings: Settings, strategy: Strategy | None) -> int:
    """plan.minimum_calls of a strategy's cell (phases if it has them) or a floor's."""
    with_phases = strategy is not None and bool(strategy.phase_names)
    return plan.minimum_calls(settings.profile, settings.processes, with_phases)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class CellRun:
    """The measurement of one strategy (or floor) on one workload in this process."""

    def __init__(
        self,
        job: Job,
        bound: Bound,
        workload: Workload,
        settings: Settings,
        strategy: Strategy | None = None,
    ) -> None:
        self.job = job
        self.bound = bound
        self.workload = workload
        self.settings = settings
        self.strategy = strategy  # None for a floor turn: no memory, no phases
        self.sampler: Sampler | None = None
        self._started_ns = 0

    def _failed(self, status: str, reason: str | None) -> Record:
        return empty_record(self.job.name, self.workload, self.settings.pass_index, status, reason)

    def start(self) -> Record | None:
        """Check, calibrate, warm up. A record when the cell ends here.

        The cell's time budget starts after the check: checking costs NumPy's
        reference computations, not the strategy's time.
        """
        profile = self.settings.profile
        self._started_ns = perf_counter_ns()
        try:
            check_ns = self.bound.check()
        except WrongAnswerError as error:
            return self._failed("incorrect", str(error))
        except Exception as error:
            return self._failed("error", describe(error))
        if not self.job.force:
            try:
                too_slow = self._too_slow(check_ns)
            except Exception as error:
                return self._failed("error", describe(error))
            finally:
                self.bound.release()
            if too_slow is not None:
                return self._failed("skipped", f"answer checked, not timed: {too_slow}")
        sample: SampleFn = self.bound.sample_ns
        if self.job.slowdown:
            sample = slowed_down(sample, self.job.slowdown)
        begin = perf_counter_ns()
        try:
            # On the calls after the check: its cold call (a JIT, a first
            # conversion, a sleeping worker's wake-up) never decides k.
            if check_ns >= profile.sample_target_ns * _PROVISIONAL_FROM_CHECK:
                per_sample = 1
            else:
                per_sample = calibrate(
                    sample, profile.sample_target_ns, self.settings.resolution_ns
                )
            self.sampler = Sampler(
                sample=sample,
                calls=per_sample,
                target_ns=profile.sample_target_ns,
                resolution_ns=self.settings.resolution_ns,
                loop_overhead_ns=self.settings.loop_overhead_ns if self.bound.python_loop else 0,
                min_samples=profile.min_samples,
                max_samples=profile.max_samples,
                budget_ns=self.settings.budget_ns,
                ci_relative=profile.ci_relative,
                spent_ns=perf_counter_ns() - begin,
            )
            if check_ns < profile.warmup_ns:  # else the check call was the warm-up
                self.sampler.warm_up(max(profile.warmup_ns - self.sampler.spent_ns, 0))
        except Exception as error:
            return self._failed("error", describe(error))
        finally:
            self.bound.release()
        return None

    def _too_slow(self, check_ns: int) -> str | None:
        """plan.too_slow of this cell. Against the cell's cap, not its share of
        what is left: whether a cell is measured must not depend on how fast the
        cells before it went."""
        return plan.too_slow(
            check_ns,
            lambda: self.bound.sample_ns(1),
            minimum_calls(self.settings, self.strategy),
            self.settings.cap_ns,
            self.job.estimate_ns,
        )

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
        """The pass record of a cell whose sampling stopped."""
        assert self.sampler is not None, "start() first"
        record = self._failed("ok", None)
        if self.job.extras and self.strategy is not None:
            try:
                reading = self._memory()
                phases, phase_problem = self._phases()
            except Exception as error:
                return self._failed("error", describe(error))
            record["memory"] = {"peak_bytes": reading.peak_bytes, "note": reading.note}
            record["phases_ns"] = phases
            record["reason"] = phase_problem
        record["samples_ns"] = [round(value, 3) for value in self.sampler.per_call_ns]
        record["rounds"] = list(self.sampler.rounds)
        record["calls_per_sample"] = self.sampler.calls
        record["shortest_sample_ns"] = self.sampler.shortest_sample_ns
        record["short_samples"] = self.sampler.short_samples
        record["stop_reason"] = stop_reason
        # The wall time the cell took in this pass, check, extras and other
        # strategies' turns between its own included: where a pass's time went.
        record["wall_ns"] = perf_counter_ns() - self._started_ns
        return record

    def _strategy_bound(self) -> BoundWorkload:
        assert isinstance(self.bound, BoundWorkload), "memory and phases are the strategies'"
        return self.bound

    def _memory(self) -> memory.MemoryReading:
        bound = self._strategy_bound()
        fn, args = bound.fn, bound.fresh_args()  # placed before the reset
        return memory.measure_peak(lambda: fn(*args), bound.strategy.worker_pids())

    def _phases(self) -> tuple[dict[str, float] | None, str | None]:
        """Per-phase medians of a few call_with_phases calls, in call order (how
        many: plan.another_phase_call)."""
        bound = self._strategy_bound()
        strategy = bound.strategy
        names = strategy.phase_names
        if not names:
            return None, None
        runs: list[dict[str, int]] = []
        profile, cap_ns = self.settings.profile, self.settings.cap_ns
        begin = perf_counter_ns()
        try:
            while plan.another_phase_call(profile, len(runs), perf_counter_ns() - begin, cap_ns):
                args = bound.fresh_args()
                _, phases = strategy.call_with_phases(self.workload.op, *args)
                runs.append(phases)
            return {name: float(median(run[name] for run in runs)) for name in names}, None
        except (NotImplementedError, KeyError) as error:
            problem = f"phases not measured: {describe(error)}"
            print(f"warning: {strategy.name} {self.workload.label}: {problem}", file=sys.stderr)
            return None, problem
