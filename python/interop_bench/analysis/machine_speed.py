"""The machine's speed during a run, as its cells saw it: steady, drifting, or
alternating between two speeds.

In every pass, the cells of one (op, size) group are measured within a second
of each other, so what made that pass slower or faster for the whole group
(the host's load, the CPU's clock, a VM whose vCPU alternates between two
speeds for seconds at a time) shows as the group's speed shift in that pass:
the median over its cells of how far each cell's pass median lies from its
mean over the passes (intervals.pass_shifts, the shift the intervals use),
taken from the group's fastest pass. Every (pass, group) of a run is one
observation of the machine's speed.

Two speeds show as two clusters of those observations: the best split of the
sorted log speeds into two (1-D k-means, exact) gives the two speeds and how
often the slow one held; they are called two speeds when they lie at least
TWO_SPEEDS_RATIO apart, each cluster holds at least MIN_SHARE of the
observations, and few lie between them: at most MAX_BETWEEN_SHARE in the
middle third between the two centres (a speed spread evenly puts a sixth
there, two states none but the groups a change of speed cut in two).
Otherwise the spread is summarised by the ratio of the 90th to the 10th
percentile.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from interop_bench import intervals
from interop_bench.analysis.load import Results

# Below 1.5x, this 2-core VM's own tail of slow pass-groups (quiet, a quarter of
# them 1.2-1.6x slower) split as "two speeds 1.3x apart" in some runs and not in
# others of one commit: a spread, not two states.
TWO_SPEEDS_RATIO = 1.5
MIN_SHARE = 0.1
MAX_BETWEEN_SHARE = 0.1
# Fewer observations than this say nothing about the machine's speed: with the
# 24 pass-groups of the CI's `ab` gate, the two sides of one machine, measured in
# alternating processes, read as "two speeds" on one side and a spread on the other.
MIN_OBSERVATIONS = 50
UNTOLD = "not told: too few passes, or groups with too few cells, to see the machine's speed"


@dataclass(frozen=True)
class MachineSpeed:
    observations: int  # (pass, group) speed shifts
    spread: float  # 90th / 10th percentile of the speeds
    two_speeds: tuple[float, float] | None  # (ratio slow / fast, share of slow) when bimodal
    # Median relative half-width of the intervals: of the cells estimated by their
    # fastest process (in one process), and of the others (cross-process).
    half_widths: tuple[float | None, float | None]

    def sentence(self) -> str:
        """'this machine alternated between two speeds 1.9x apart (the slow one in 35% of
        170 pass-groups); intervals are ±9% for the cells in one process (their fastest
        process) and ±41% for the cross-process ones (median half-widths)'."""
        if self.two_speeds is not None:
            ratio, share = self.two_speeds
            state = (
                f"this machine alternated between two speeds {ratio:.2g}x apart (the slow one "
                f"in {share:.0%} of {self.observations} pass-groups)"
            )
        else:
            state = (
                f"this machine's speed varied by {self.spread:.2f}x between passes (90th to "
                f"10th percentile over {self.observations} pass-groups)"
            )
        return state + self._widths()

    def _widths(self) -> str:
        fastest, others = self.half_widths
        if fastest is not None and others is not None:
            return (
                f"; intervals are ±{fastest:.0%} for the cells in one process (their fastest "
                f"process) and ±{others:.0%} for the cross-process ones (median half-widths)"
            )
        width = fastest if fastest is not None else others
        return "" if width is None else f"; intervals are ±{width:.0%} (median half-width)"


def of(results: Results) -> MachineSpeed | None:
    """The run's machine speed; None without enough passes and groups to tell."""
    by_group: dict[tuple[str, int], list[dict[int, float]]] = defaultdict(list)
    for cell in results.cells:
        if cell.ok and len(cell.process_passes) > 1:
            medians = zip(cell.process_passes, cell.process_medians_ns, strict=True)
            by_group[(cell.op, cell.size)].append(dict(medians))
    logs = sorted(shift for cells in by_group.values() for shift in _from_fastest(cells))
    if len(logs) < MIN_OBSERVATIONS:
        return None
    return MachineSpeed(
        observations=len(logs),
        spread=math.exp(_quantile(logs, 0.9) - _quantile(logs, 0.1)),
        two_speeds=two_speeds(logs),
        half_widths=(_median_half_width(results, True), _median_half_width(results, False)),
    )


def _median_half_width(results: Results, fastest: bool) -> float | None:
    halves = sorted(
        h
        for c in results.cells
        if c.by_fastest_process == fastest and (h := c.relative_half_width) is not None
    )
    return halves[len(halves) // 2] if halves else None


def _from_fastest(cells: list[dict[int, float]]) -> list[float]:
    """A group's log speed shift in each pass from its fastest pass: a group's
    mean over its passes mixes the two speeds in whatever share it saw, so only
    the fastest pass is a common reference (0 for the fast speed, the log of the
    ratio for the slow one, unless every pass of the group was slow)."""
    shifts = intervals.pass_shifts(cells)
    if not shifts:
        return []
    fastest = min(shifts.values())
    return [shift - fastest for shift in shifts.values()]


def two_speeds(logs: list[float]) -> tuple[float, float] | None:
    """(slow / fast speed ratio, share of slow) of sorted log speed shifts that
    fall into two separate clusters; None when they do not."""
    split = _best_split(logs)
    if split is None:
        return None
    fast, slow = logs[:split], logs[split:]
    ratio = math.exp(statistics.fmean(slow) - statistics.fmean(fast))
    share = len(slow) / len(logs)
    if ratio < TWO_SPEEDS_RATIO or min(share, 1 - share) < MIN_SHARE:
        return None
    fast_centre, slow_centre = statistics.fmean(fast), statistics.fmean(slow)
    third = (slow_centre - fast_centre) / 3
    between = sum(fast_centre + third < v < slow_centre - third for v in logs)
    if between > MAX_BETWEEN_SHARE * len(logs):
        return None
    return ratio, share


def _best_split(logs: list[float]) -> int | None:
    """The index splitting sorted `logs` into two groups with the least summed
    squared deviation from their means; None below two values per side."""
    best, best_cost = None, math.inf
    for index in range(2, len(logs) - 1):
        left, right = logs[:index], logs[index:]
        cost = statistics.pvariance(left) * len(left) + statistics.pvariance(right) * len(right)
        if cost < best_cost:
            best, best_cost = index, cost
    return best


def _quantile(ordered: list[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
