"""Intervals that hold across runs: statistics over processes, pure functions.

A cell is measured in P independent processes (passes of the run, spread over
its whole duration). Within a process, samples taken milliseconds apart share
one heap and page layout, one huge-page draw, one minute of the neighbours'
load: they are autocorrelated, and an interval computed from them says how
well that process's median is known, not where the next run will land (the
first version of this tool printed +-1% intervals that the next run's medians
missed four times out of five). So the unit of replication is the process.

The estimate of a cell is the geometric mean of its per-process medians, and
its 95% interval is Student's t interval on their logarithms with P - 1
degrees of freedom. The variance of the mean of process-level values already
holds every level below it (rounds, samples), so nothing is counted twice.
Why t and not a hierarchical bootstrap: with 3 to 10 processes a bootstrap
has a handful of distinct resamples and its percentile interval is too narrow
by the factor t(P-1)/z (2.2x for 3 processes); t is exact when process effects
are normal and errs wide, not narrow, when they are not. Logarithms, because
what varies between processes is a factor (a process 5% slower), and a ratio
of two cells is then a difference.

With one process there is no between-process spread to use: the interval
falls back to the process's rounds (which hold slow drift within it, but not
layout) and says so in its `basis`.

A cell that runs in one process (its strategy's family is not ipc or network)
is estimated differently on purpose: by its fastest process. On a shared VM
the machine alternates between speeds up to 2x apart and the passes of a run
land in different mixes of them, so the mean over processes moves with the
mix (by 10% between two runs of one commit, by 25% at the 85th percentile of
the cells, on the developers' VM), while the fastest process's median, the
call at the machine's full speed, moves by 1-2% (85th percentile 6-10%): it
reproduces, and the mean does not (fastest_process_estimate). A cross-process
cell keeps the mean: what varies between its processes is mostly its own
(where the scheduler put the worker, each time afresh), and its fastest
process would report the luckiest placement as its time.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
FASTEST_PROCESS = "fastest process"  # the basis of a one-process cell's estimate
# The least count of processes per side for which compare tests a difference:
# with 2, the spread is estimated from one degree of freedom and any p-value
# rests on it (asv's rule: no significance that the counts cannot support).
MIN_PROCESSES_TO_TEST = 3


@functools.lru_cache(maxsize=1024)
def t_quantile(probability: float, degrees_of_freedom: float) -> float:
    """Student's t quantile (scipy's, imported on first use: it costs ~0.6 s)."""
    from scipy.stats import t  # noqa: PLC0415 - only the parent process needs it

    return float(t.ppf(probability, degrees_of_freedom))


@dataclass(frozen=True)
class Estimate:
    """A cell's central value and its 95% interval, with what the interval rests on."""

    center: float
    low: float
    high: float
    basis: str  # "processes" | "fastest process" | "rounds" | "samples"
    units: int  # how many values of that basis
    spread: float | None  # standard deviation of the log values (relative spread)
    speed_spread: float | None = None  # of the machine's speed shared by the group
    log_standard_error: float | None = None  # of log(center): what compare divides by

    @property
    def relative_half_width(self) -> float:
        """Half the interval's width as a fraction of the center."""
        return (self.high - self.low) / 2 / self.center if self.center > 0 else math.inf


def log_t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate | None:
    """Geometric mean of `values` and the t interval of their logs; None below
    two values. Non-positive values (a per-call time minus the empty loop can
    round to zero) make it fall back to the arithmetic mean's t interval."""
    count = len(values)
    if count < 2:
        return None
    if min(values) <= 0:
        return _linear_t_interval(values, confidence)
    logs = [math.log(v) for v in values]
    mean, sd = statistics.fmean(logs), statistics.stdev(logs)
    se = sd / math.sqrt(count)
    half = t_quantile(0.5 + confidence / 2, count - 1) * se
    return Estimate(
        math.exp(mean),
        math.exp(mean - half),
        math.exp(mean + half),
        "",
        count,
        sd,
        log_standard_error=se,
    )


def _linear_t_interval(values: Sequence[float], confidence: float) -> Estimate:
    count = len(values)
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    half = t_quantile(0.5 + confidence / 2, count - 1) * sd / math.sqrt(count)
    relative = sd / abs(mean) if mean else None
    return Estimate(mean, mean - half, mean + half, "", count, relative)


# The machine's speed: the cells of one (op, size) group are measured within a
# second of each other in every pass, so what makes a whole pass faster or
# slower (the CPU's clock, a neighbour on the host, memory traffic) is shared
# by all of them. Its estimate needs enough cells to be a median of something.
MIN_CELLS_FOR_SPEED = 8


def pass_shifts(cells: Sequence[dict[int, float]]) -> dict[int, float]:
    """The log speed shift of each pass in a group: the median, over the group's
    cells, of a cell's log process median minus its mean over its passes.
    Empty when the group has fewer than MIN_CELLS_FOR_SPEED cells with two or
    more positive process medians."""
    deviations: dict[int, list[float]] = {}
    usable = 0
    for by_pass in cells:
        if len(by_pass) < 2 or min(by_pass.values()) <= 0:
            continue
        usable += 1
        logs = {p: math.log(v) for p, v in by_pass.items()}
        mean = statistics.fmean(logs.values())
        for p, value in logs.items():
            deviations.setdefault(p, []).append(value - mean)
    if usable < MIN_CELLS_FOR_SPEED:
        return {}
    return {p: statistics.median(values) for p, values in deviations.items()}


def cell_estimate(
    process_medians: dict[int, float],
    round_medians: Sequence[float],
    samples_interval: tuple[float, float, float],
    shifts: dict[int, float] | None = None,
) -> Estimate:
    """The estimate of one cell: over its processes when it has two or more,
    else over the rounds of its one process, else the one process's samples
    (`samples_interval` = median, low, high from order statistics).

    `shifts` (pass -> log speed shift of the cell's group, from pass_shifts)
    split a cell's spread in two. What is the cell's own (layout, order) varies
    independently from pass to pass and averages down with more processes.
    What the group shares is the machine's speed, which wanders on the scale
    of minutes: passes seconds apart see nearly the same, and whole runs
    differed by 1.5-2x more than the passes within them in this machine's A/A
    runs, so the speed a run saw is counted as known no better than one pass's
    (not divided by the square root of the passes)."""
    medians = list(process_medians.values())
    over_processes = log_t_interval(medians)
    if over_processes is not None:
        return _with_speed(over_processes, process_medians, shifts or {})
    over_rounds = log_t_interval(round_medians)
    if over_rounds is not None:
        # The center stays the process's median: a mean of round medians would
        # weigh a short round like a long one.
        center = samples_interval[0]
        return Estimate(
            center,
            min(over_rounds.low, center),
            max(over_rounds.high, center),
            "rounds",
            over_rounds.units,
            over_rounds.spread,
        )
    median, low, high = samples_interval
    return Estimate(median, low, high, "samples", 1, None)


def _with_speed(
    plain: Estimate, process_medians: dict[int, float], shifts: dict[int, float]
) -> Estimate:
    common = [p for p in process_medians if p in shifts]
    if plain.log_standard_error is None or len(common) < 2 or len(common) < len(process_medians):
        return _based(plain, "processes")
    count = len(common)
    own = [math.log(process_medians[p]) - shifts[p] for p in common]
    own_sd = statistics.stdev(own)
    speed_sd = statistics.stdev([shifts[p] for p in common])
    se = math.sqrt(own_sd**2 / count + speed_sd**2)
    return _t_estimate(plain.center, se, count, "processes", spread=own_sd, speed_spread=speed_sd)


def _t_estimate(
    center: float,
    se: float,
    count: int,
    basis: str,
    *,
    spread: float,
    speed_spread: float | None = None,
) -> Estimate:
    """`center` with Student's t interval (count - 1 degrees of freedom) of a log
    standard error `se`."""
    half = t_quantile(0.5 + CONFIDENCE / 2, count - 1) * se
    return Estimate(
        center,
        center * math.exp(-half),
        center * math.exp(half),
        basis,
        count,
        spread,
        speed_spread,
        se,
    )


def spacing(process_medians: Sequence[float]) -> float | None:
    """log(second fastest) - log(fastest) of a cell's process medians; None
    below two positive values."""
    positive = sorted(v for v in process_medians if v > 0)
    if len(positive) < 2:
        return None
    return math.log(positive[1]) - math.log(positive[0])


def group_spacing(cells: Sequence[Sequence[float]]) -> float | None:
    """The median spacing over a group's one-process cells (each given by its
    process medians); None below MIN_CELLS_FOR_SPEED cells with a spacing."""
    spacings = [s for s in map(spacing, cells) if s is not None]
    return statistics.median(spacings) if len(spacings) >= MIN_CELLS_FOR_SPEED else None


def fastest_process_estimate(process_medians: Sequence[float], pooled: float | None) -> Estimate:
    """The fastest process's median, with a 95% interval from the spacing of the
    two fastest. For P process values with a common spread, the gap between
    the two lowest has a median that is a fixed fraction of the minimum's
    standard deviation (min_sd_per_median_gap: 1.27 for 5 processes), so a
    gap, scaled, estimates the minimum's standard error. One gap is a noisy
    estimate (it can be 0), so it is averaged in quadrature with `pooled`, the
    median gap of the group's one-process cells, which share the machine and
    its states. Without one (a group of few such cells) the cell's own spread
    over its processes stands in, which holds the machine's slow passes too
    and so errs wide. Student's t with P - 1 degrees of freedom, as for the mean."""
    positive = [v for v in process_medians if v > 0]
    count = len(positive)
    gap = spacing(positive)
    if gap is None:
        raise ValueError("the fastest-process estimate needs two positive process medians")
    spread = statistics.stdev(math.log(v) for v in positive)
    scale = min_sd_per_median_gap(count)
    pooled_se = spread if pooled is None else scale * pooled
    se = math.sqrt(((scale * gap) ** 2 + pooled_se**2) / 2)
    return _t_estimate(min(positive), se, count, FASTEST_PROCESS, spread=spread)


@functools.lru_cache(maxsize=64)
def min_sd_per_median_gap(count: int) -> float:
    """For `count` independent normal values: the standard deviation of their
    minimum over the median gap between their two lowest (0.87 for 2, 1.27
    for 5, 1.42 for 10). From 200,000 seeded draws: the same every run."""
    import numpy as np  # noqa: PLC0415 - only the parent process needs it

    draws = np.sort(np.random.default_rng(count).standard_normal((200_000, count)), axis=1)
    return float(draws[:, 0].std() / np.median(draws[:, 1] - draws[:, 0]))


def _based(estimate: Estimate, basis: str) -> Estimate:
    return dataclasses.replace(estimate, basis=basis)


@dataclass(frozen=True)
class RatioTest:
    """new / old of two cells: the ratio of their estimates, its 95% interval and
    the two-sided p-value of Welch's t test on the log process medians, and
    the standard error and degrees of freedom of the log ratio they rest on."""

    ratio: float
    low: float
    high: float
    p_value: float
    log_standard_error: float
    degrees_of_freedom: float

    def low_at(self, confidence: float) -> float:
        """The lower end of the ratio's two-sided interval at `confidence`."""
        if self.log_standard_error == 0:
            return self.ratio
        half = t_quantile(0.5 + confidence / 2, self.degrees_of_freedom)
        return self.ratio * math.exp(-half * self.log_standard_error)


def independent_log_ratio(
    old: tuple[float, float, int], new: tuple[float, float, int], confidence: float = CONFIDENCE
) -> RatioTest | None:
    """new / old of two cells from independent runs, each given as (center,
    standard error of log(center), processes): the errors add, and the t
    distribution takes the smaller side's degrees of freedom (conservative,
    where Welch-Satterthwaite would trust two spreads of 2 to 4 degrees)."""
    (old_center, old_se, old_n), (new_center, new_se, new_n) = old, new
    if min(old_n, new_n) < 2 or old_center <= 0 or new_center <= 0:
        return None
    difference = math.log(new_center) - math.log(old_center)
    se = math.sqrt(old_se**2 + new_se**2)
    return _ratio_test(difference, se, min(old_n, new_n) - 1, confidence)


def paired_test(
    old: dict[int, float], new: dict[int, float], confidence: float = CONFIDENCE
) -> RatioTest | None:
    """new / old of two cells measured in alternating processes (interop-bench ab):
    the log differences of the processes with the same pass index, which ran
    one after the other, so that the machine's drift cancels between them.
    None below two pairs."""
    common = sorted(old.keys() & new.keys())
    pairs = [(old[p], new[p]) for p in common if old[p] > 0 and new[p] > 0]
    if len(pairs) < 2:
        return None
    differences = [math.log(n) - math.log(o) for o, n in pairs]
    mean = statistics.fmean(differences)
    se = statistics.stdev(differences) / math.sqrt(len(differences))
    return _ratio_test(mean, se, len(differences) - 1, confidence)


def _ratio_test(difference: float, se: float, df: float, confidence: float) -> RatioTest:
    if se == 0:  # identical values on both sides (counts, or a synthetic file)
        ratio = math.exp(difference)
        return RatioTest(ratio, ratio, ratio, 1.0 if difference == 0 else 0.0, se, df)
    half = t_quantile(0.5 + confidence / 2, df) * se
    p_value = 2 * _t_survival(abs(difference) / se, df)
    return RatioTest(
        math.exp(difference),
        math.exp(difference - half),
        math.exp(difference + half),
        p_value,
        se,
        df,
    )


def paired_log_ratio(
    numerators: Sequence[float], denominators: Sequence[float], confidence: float = CONFIDENCE
) -> Estimate | None:
    """The geometric mean of numerators[i] / denominators[i] (values measured in
    the same process i) and its t interval; None below two pairs. Pairing
    cancels what a process shares between the two (its minute of load, its
    page layout), so the ratio is known better than either value."""
    pairs = [(n, d) for n, d in zip(numerators, denominators, strict=True) if n > 0 and d > 0]
    estimate = log_t_interval([n / d for n, d in pairs])
    return None if estimate is None else _based(estimate, "processes")


def benjamini_hochberg(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Which hypotheses are rejected with the false discovery rate held at
    `alpha`. When no cell really changed (an A/A comparison), this bounds the
    chance of flagging any cell at all by `alpha`, where testing each of 400
    cells at `alpha` would flag four of them by chance."""
    count = len(p_values)
    order = sorted(range(count), key=lambda i: p_values[i])
    largest = -1
    for rank, index in enumerate(order, start=1):
        if p_values[index] <= alpha * rank / count:
            largest = rank
    rejected = [False] * count
    for index in order[: max(largest, 0)]:
        rejected[index] = True
    return rejected


def _t_survival(x: float, degrees_of_freedom: float) -> float:
    """P(T > x): scipy's survival function keeps p-values far below 1e-16 exact."""
    from scipy.stats import t  # noqa: PLC0415 - see t_quantile

    return float(t.sf(x, degrees_of_freedom))
