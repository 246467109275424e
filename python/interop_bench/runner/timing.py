"""Calibration, sampling and the stopping rule of one cell in one process.

A sample is k calls timed together; k is calibrated so that a sample lasts at
least the profile's target (100 µs .. 1 ms), where the timer's resolution
(~50 ns here) and the two clock readings vanish. Each per-call time is
sample / k minus the timing loop's own cost per iteration (zero for the loops
timed natively). The samples of one turn form a round: the engine records how
many each round holds, so that per-round medians are in the results file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from time import perf_counter_ns

import numpy as np

from interop_bench.runner import stats

# Calibration multiplies k by at most this per step, so that one slow first
# call (a cold cache, a lazy import) does not overshoot the target 1000-fold.
_MAX_GROWTH = 100
# Aim a little past the target so the calibrated sample does not land just short of it.
_AIM = 1.2

SampleFn = Callable[[int], int]  # calls -> elapsed ns, inputs prepared outside the clock


def empty_loop_ns(calls: int) -> int:
    """The timing loop with nothing in it: the cost subtracted from every sample
    of the loops in runner/workload.py, which iterate the same way."""
    iterations = repeat(None, calls)
    start = perf_counter_ns()
    for _ in iterations:
        pass
    return perf_counter_ns() - start


def calibrate(sample: SampleFn, target_ns: int, resolution_ns: float) -> int:
    """The calls per sample that make one sample last at least `target_ns`.
    Call it after the cell's checked call: a first, cold call (a JIT, a lazy
    import, a worker's first wake-up) must not decide k. A sample that reaches
    the target is taken again and the shorter one counts: one preempted sample
    (a few ms of another process on a shared core) does not leave a short call
    unbatched."""
    calls = 1
    while True:
        elapsed_ns = sample(calls)
        if elapsed_ns >= target_ns:
            elapsed_ns = min(elapsed_ns, sample(calls))
        if elapsed_ns >= target_ns:
            return calls
        calls = more_calls(calls, elapsed_ns, target_ns, resolution_ns)


def more_calls(calls: int, elapsed_ns: float, target_ns: int, resolution_ns: float) -> int:
    """The calls per sample after `calls` calls took `elapsed_ns`, short of the target."""
    wanted = math.ceil(calls * target_ns * _AIM / max(elapsed_ns, resolution_ns, 1.0))
    return max(calls + 1, min(wanted, calls * _MAX_GROWTH))


def slowed_down(sample: SampleFn, fraction: float) -> SampleFn:
    """`sample`, made slower by `fraction` of its own time with a busy wait
    inside the timed region: a known, real slowdown that `compare` must find
    (run --inject-slowdown, for validating the statistics only)."""

    def slower(calls: int) -> int:
        begin = perf_counter_ns()
        elapsed_ns = sample(calls)
        until = begin + round(elapsed_ns * (1 + fraction))
        while perf_counter_ns() < until:
            pass
        return perf_counter_ns() - begin

    return slower


@dataclass
class Sampler:
    """The samples of one cell in one process and the rule that says when there are enough."""

    sample: SampleFn
    calls: int
    target_ns: int  # the sampling rule: no recorded sample is shorter
    resolution_ns: float
    loop_overhead_ns: float
    min_samples: int
    max_samples: int
    budget_ns: int
    ci_relative: float
    spent_ns: int = 0  # wall time this cell has used, preparation included
    per_call_ns: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)  # samples recorded per turn
    shortest_sample_ns: int | None = None  # of the recorded samples, whole (k calls)
    short_samples: int = 0  # taken while recording, short of the target, not recorded

    def _take(self, record: bool) -> float | None:
        """One sample's per-call time, or None when it was short of the target
        (k is then recalibrated from it, and the sample dropped)."""
        elapsed_ns = self.sample(self.calls)
        if elapsed_ns < self.target_ns:
            self.short_samples += record
            self.calls = more_calls(self.calls, elapsed_ns, self.target_ns, self.resolution_ns)
            return None
        if record:
            shortest = self.shortest_sample_ns
            self.shortest_sample_ns = elapsed_ns if shortest is None else min(shortest, elapsed_ns)
        return elapsed_ns / self.calls - self.loop_overhead_ns

    def warm_up(self, warmup_ns: int) -> None:
        """Unrecorded samples for `warmup_ns` (at least one)."""
        self._spend(warmup_ns, record=False, discard_first=False)

    def turn(self, batch_ns: int) -> str | None:
        """Samples for about `batch_ns`; the stop reason once the cell is done.

        A turn's first sample is dropped when samples are short: it pays for
        the caches the previous strategy left behind, which would charge one
        strategy for another's footprint.
        """
        self._spend(batch_ns, record=True, discard_first=True)
        return self.stop_reason()

    def _spend(self, duration_ns: int, record: bool, discard_first: bool) -> None:
        begin = perf_counter_ns()
        values: list[float] = []
        first_ns = 0
        while True:
            value = self._take(record)
            elapsed = perf_counter_ns() - begin
            if value is not None:
                values.append(value)
                first_ns = first_ns or elapsed
            if (
                elapsed >= duration_ns
                or self.spent_ns + elapsed >= self.budget_ns
                or len(self.per_call_ns) + len(values) >= self.max_samples
            ):
                break
        self.spent_ns += perf_counter_ns() - begin
        if discard_first and len(values) > 1 and first_ns * 4 < duration_ns:
            values.pop(0)
        if record:
            self.per_call_ns.extend(values)
            self.rounds.append(len(values))

    def stop_reason(self) -> str | None:
        count = len(self.per_call_ns)
        if count >= self.max_samples:
            return "max_samples"
        if count >= self.min_samples and stats.ci_within(
            np.sort(np.asarray(self.per_call_ns)), self.ci_relative
        ):
            return "ci"
        if self.spent_ns >= self.budget_ns and count > 0:
            return "budget"
        return None
