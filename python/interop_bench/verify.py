"""An independent check of a results file: its small cells timed again with timeit.

`verify` shares no code with the runner (no calibration, sampler, workload
or statistics of runner/): it opens the strategies from the registry, makes
each cell's input with ops.make_input, and times the call with the standard
library's `timeit` (its compiled loop, the garbage collector off), minus
timeit's own empty loop of as many iterations. It measures in rounds: each
round times every chosen cell once (after one unrecorded measurement that warms
it up again), in a new random order, so the cells are interleaved and spread
over the whole check. A cell's independent figure is the
median of its rounds with a distribution-free 95% interval (order statistics);
the file's median over it, with the interval the two intervals allow, says
whether the file's figure holds. A cell the file gives by its fastest process
(the call at the machine's full speed, see intervals.py) is held to the lower
quartile of its rounds instead: on a machine that spends seconds at a time at
half speed, the median of a few seconds of rounds may be all slow, and the
lower quartile is the rounds' own figure for the fast state. It only means
something on the machine that wrote the file. A placed row (`pipe@same-core`)
is timed as the file says it ran: its worker started on the row's worker CPUs,
its calls made on its caller CPUs.
"""

from __future__ import annotations

import math
import random
import timeit
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interop_bench import ops, results_file, strategies
from interop_bench.analysis.load import Cell, Results
from interop_bench.strategies import Strategy
from interop_bench.strategies._transport.placement import Cpus, running_on, workers_on

# Square works in place: each call gets a fresh copy, refilled before the
# clock starts, in pools small enough to stay cache-hot (a cell's figure is
# for a hot input, as a read-only op's input is).
SQUARE_POOL_BYTES = 512 << 10
_MAX_GROWTH = 100  # of the calls per measurement, per calibration step
_CONFIDENCE = 0.95
FAST_QUANTILE = 0.25


@dataclass(frozen=True)
class Options:
    """What to check and how hard."""

    cells: int = 40  # at most this many cells, suspects first
    # Each round times every cell once for about the file's sample target (a few
    # hundred µs: short enough that few are preempted on a busy machine), so
    # 60 rounds of 40 cells take a few seconds, and a median of 60 has a narrow interval.
    rounds: int = 60
    max_median_ns: float = 1_000_000.0  # "small": cells whose file median is below this
    measure_ns: int | None = None  # one measurement lasts at least this (None: the file's target)
    tolerance: float = 0.10  # a ratio interval wholly outside [1/(1+t), 1+t] disagrees
    seed: int = 0
    strategies: tuple[str, ...] = ()  # empty: every strategy of the file


@dataclass
class Check:
    """One cell: the file's figure and the independent one."""

    cell: Cell
    per_call_ns: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def independent(self) -> tuple[float, float, float]:
        """(median, low, high) of the rounds' per-call times; their lower quartile's
        for a cell the file gives by its fastest process."""
        if self.cell.by_fastest_process:
            return quantile_interval(self.per_call_ns, FAST_QUANTILE)
        return median_interval(self.per_call_ns)

    @property
    def ratio(self) -> tuple[float, float, float]:
        """The file's median over the independent one, with the interval both allow."""
        center, low, high = self.independent
        file_low = self.cell.stat("ci_low_ns") or self.cell.median_ns
        file_high = self.cell.stat("ci_high_ns") or self.cell.median_ns
        return (
            self.cell.median_ns / center,
            file_low / high if high > 0 else math.inf,
            file_high / low if low > 0 else math.inf,
        )

    def verdict(self, tolerance: float) -> str:
        if self.error is not None or not self.per_call_ns:
            return "error"
        _, low, high = self.ratio
        if low > 1 + tolerance:
            return "file too slow"
        if high < 1 / (1 + tolerance):
            return "file too fast"
        return "agrees"


def _half_binomial_quantile(q: float, count: int) -> int:
    """The least k with P(Binomial(count, 1/2) <= k) >= q (scipy's binom.ppf, exactly)."""
    total = 0
    for k in range(count + 1):
        total += math.comb(count, k)
        if total >= q * 2**count:
            return k
    return count


def quantile_interval(values: Sequence[float], q: float) -> tuple[float, float, float]:
    """The q-quantile and its distribution-free 95% interval: the order statistics
    whose ranks are the 2.5% and 97.5% quantiles of Binomial(count, q)."""
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        return math.nan, math.nan, math.nan
    tail = (1 - _CONFIDENCE) / 2
    low_rank = _binomial_quantile(tail, count, q)
    high_rank = _binomial_quantile(1 - tail, count, q)
    low = ordered[max(low_rank - 1, 0)]
    high = ordered[min(high_rank, count - 1)]
    return float(np.quantile(ordered, q)), float(low), float(high)


def _binomial_quantile(p: float, count: int, q: float) -> int:
    """The least k with P(Binomial(count, q) <= k) >= p."""
    total = 0.0
    for k in range(count + 1):
        total += math.comb(count, k) * q**k * (1 - q) ** (count - k)
        if total >= p:
            return k
    return count


def median_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """The median and its distribution-free 95% interval (binomial order statistics)."""
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        return math.nan, math.nan, math.nan
    rank = _half_binomial_quantile((1 - _CONFIDENCE) / 2, count)
    low = ordered[max(rank - 1, 0)]
    high = ordered[min(count - rank, count - 1)]
    return float(np.median(ordered)), float(low), float(high)


def suspect(cell: Cell, target_ns: int) -> bool:
    """A cell whose samples were shorter than the target: what verify exists to catch."""
    typical = [
        calls * median
        for calls, median in zip(cell.calls_per_sample, cell.process_medians_ns, strict=False)
    ]
    return cell.status == "miscalibrated" or any(t < target_ns for t in typical)


def choose(results: Results, options: Options, target_ns: int) -> list[Cell]:
    """The cells to check: measured, small, of a registered strategy (or a placed
    row of one); suspects first."""
    known = set(strategies.names())
    wanted = set(options.strategies) or known
    pool = [
        cell
        for cell in results.cells
        if cell.status in ("ok", "miscalibrated")
        and "median_ns" in cell.stats
        and _strategy_of(results, cell.strategy) in wanted & known
        and cell.median_ns <= options.max_median_ns
    ]
    rng = random.Random(options.seed)
    rng.shuffle(pool)
    pool.sort(key=lambda cell: not suspect(cell, target_ns))  # stable: suspects first
    return pool[: options.cells]


def _strategy_of(results: Results, name: str) -> str:
    """The registered strategy behind `name`: a placed row's `row_of`, or itself."""
    return str(results.strategy_info.get(name, {}).get("row_of", name))


def _pinning(results: Results, name: str) -> Cpus | None:
    """The CPUs a placed row ran on, as the file records them; None: unpinned."""
    placed = results.strategy_info.get(name, {}).get("placement") or {}
    caller, worker = placed.get("caller_cpus"), placed.get("worker_cpus")
    return Cpus(tuple(caller), tuple(worker)) if caller and worker else None


class _Timed:
    """One cell's call, ready for timeit: `measure(number)` -> ns per call."""

    def __init__(self, strategy: Strategy, cell: Cell, seed: int, cpus: Cpus | None) -> None:
        self._caller_cpus = cpus.caller if cpus else None
        op, dtype = ops.parse_label(cell.op)
        source = ops.make_input(op, cell.size, seed, dtype)
        self._fn: Callable[..., Any] = getattr(strategy, op)
        self._in_place = op == "square"
        if self._in_place:
            self._rows = max(1, SQUARE_POOL_BYTES // max(source.nbytes, 1))
            self._source = source
            self._pool = strategy.prepare(np.empty((self._rows, *source.shape), source.dtype))
            # Made once: making 65,536 row objects before each measurement would
            # leave the caches cold for its calls.
            self._pool_rows = list(self._pool)
            space: dict[str, Any] = {"fn": self._fn, "rows": iter(())}
            self._space = space
            self._call = timeit.Timer("fn(next(rows))", setup=self._refill, globals=space)
            self._empty = timeit.Timer("next(rows)", setup=self._refill, globals=space)
        else:
            placed = strategy.prepare(source)
            space = {"fn": self._fn, "a": placed, "k": ops.scale_factor(dtype)}
            statement = "fn(a, k)" if op == "scale" else "fn(a)"
            self._call = timeit.Timer(statement, globals=space)
            self._empty = timeit.Timer("pass", globals=space)

    def _refill(self) -> None:
        self._pool[...] = self._source
        self._space["rows"] = iter(self._pool_rows)

    def _seconds(self, timer: timeit.Timer, number: int) -> float:
        """`number` iterations of `timer`, in pools of fresh copies for square."""
        if not self._in_place:
            return timer.timeit(number)
        full, rest = divmod(number, self._rows)
        total = sum(timer.timeit(self._rows) for _ in range(full))
        return total + (timer.timeit(rest) if rest else 0.0)

    def pinned(self) -> AbstractContextManager[None]:
        """Around its calls: on the caller CPUs of a placed row, elsewhere where it is."""
        return running_on(self._caller_cpus)

    def measure(self, number: int) -> float:
        """Nanoseconds per call over `number` calls, timeit's empty loop taken off."""
        call_s = self._seconds(self._call, number)
        empty_s = self._seconds(self._empty, number)
        return (call_s - empty_s) / number * 1e9

    def calibrate(self, measure_ns: int) -> int:
        """Calls per measurement so that one lasts at least `measure_ns` (after warm calls)."""
        self._seconds(self._call, 3)
        number = 1
        while True:
            elapsed_ns = self._seconds(self._call, number) * 1e9
            if elapsed_ns >= measure_ns:
                return number
            wanted = math.ceil(number * measure_ns * 1.2 / max(elapsed_ns, 1.0))
            number = max(number + 1, min(wanted, number * _MAX_GROWTH))


def run(
    results: Results,
    options: Options,
    target_ns: int,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Check]:
    """Re-measure the chosen cells of `results` in interleaved rounds."""
    cells = choose(results, options, target_ns)
    checks = [Check(cell) for cell in cells]
    opened: dict[str, Strategy] = {}
    timed: dict[int, tuple[_Timed, int]] = {}
    try:
        for index, check in enumerate(checks):
            try:
                cpus = _pinning(results, check.cell.strategy)
                strategy = _opened(opened, results, check.cell.strategy, cpus)
                call = _Timed(strategy, check.cell, options.seed, cpus)
                with call.pinned():
                    timed[index] = (call, call.calibrate(options.measure_ns or target_ns))
            except Exception as error:
                check.error = _describe(error)
        progress(f"verify: {len(timed)} cells, {options.rounds} rounds")
        rng = random.Random(options.seed + 1)
        for round_index in range(options.rounds):
            order = list(timed)
            rng.shuffle(order)
            for index in order:
                call, number = timed[index]
                try:
                    # The first calls after another cell's pay for what that cell
                    # left behind (caches, the allocator, a worker gone to sleep):
                    # a measurement to warm up, then the one that counts.
                    with call.pinned():
                        call.measure(number)
                        checks[index].per_call_ns.append(call.measure(number))
                except Exception as error:
                    checks[index].error = _describe(error)
                    del timed[index]
            progress(f"verify: round {round_index + 1}/{options.rounds}")
    finally:
        for strategy in opened.values():
            strategy.close()
    return checks


def _opened(
    opened: dict[str, Strategy], results: Results, name: str, cpus: Cpus | None
) -> Strategy:
    """The strategy of `name`, opened once (and closed by run() whatever happens);
    a placed row's workers start on its worker CPUs, its threads on its caller CPUs."""
    if name not in opened:
        strategy = strategies.get(_strategy_of(results, name))
        opened[name] = strategy
        if cpus is None:
            strategy.open()
        else:
            with running_on(cpus.caller), workers_on(cpus):
                strategy.open()
    return opened[name]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _ns(value: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} ns"


def table(checks: Sequence[Check], tolerance: float) -> list[str]:
    """A Markdown table: each cell's file figure, independent figure, ratio, verdict."""
    lines = [
        "| strategy | op | size | calls/sample (file) | file median [95%] "
        "| timeit median (q1: lower quartile) [95%] | file / timeit [95%] | verdict |",
        "|---|---|---:|---:|---|---|---|---|",
    ]
    for check in checks:
        cell = check.cell
        head = f"| {cell.strategy} | {cell.op} | {cell.size:,} | {_calls_text(cell)} "
        low, high = cell.stat("ci_low_ns"), cell.stat("ci_high_ns")
        head += f"| {_ns_interval(cell.median_ns, low or cell.median_ns, high or cell.median_ns)} "
        verdict = check.verdict(tolerance)
        if verdict == "error":
            lines.append(head + f"| - | - | error: {check.error or 'no measurement'} |")
            continue
        ratio, ratio_low, ratio_high = check.ratio
        quartile = " (q1)" if cell.by_fastest_process else ""
        lines.append(
            head + f"| {_ns_interval(*check.independent)}{quartile} "
            f"| {ratio:.2f} [{ratio_low:.2f}, {ratio_high:.2f}] | {verdict} |"
        )
    return lines


def _calls_text(cell: Cell) -> str:
    """The processes' calls per sample: "1172" or "698-1340"."""
    if not cell.calls_per_sample:
        return "?"
    low, high = min(cell.calls_per_sample), max(cell.calls_per_sample)
    return str(low) if low == high else f"{low}-{high}"


def _ns_interval(center: float, low: float, high: float) -> str:
    return f"{_ns(center)} [{_ns(low)}, {_ns(high)}]"


def disagreements(checks: Sequence[Check], tolerance: float) -> list[Check]:
    """The checks whose ratio is outside the band, or that could not be measured."""
    return [check for check in checks if check.verdict(tolerance) != "agrees"]


def report(results: Results, options: Options, progress: Callable[[str], None]) -> int:
    """Check `results`, print the table and a summary line; 0 when every cell agrees."""
    target_ns = results_file.sample_target_ns(results.data.get("request"))
    checks = run(results, options, target_ns, progress)
    if not checks:
        print(f"verify: no cell of {results.path} is small enough to check")
        return 0
    print("\n".join(table(checks, options.tolerance)))
    wrong = disagreements(checks, options.tolerance)
    ratios = [c.ratio[0] for c in checks if c.error is None and c.per_call_ns]
    spread = f"; file / timeit: median {float(np.median(ratios)):.2f}" if ratios else ""
    print(
        f"verify: {len(checks) - len(wrong)} of {len(checks)} cells agree within "
        f"±{options.tolerance:.0%}{spread}"
        + (f"; DISAGREE: {', '.join(_name(c) for c in wrong)}" if wrong else "")
    )
    return 1 if wrong else 0


def _name(check: Check) -> str:
    return f"{check.cell.strategy} {check.cell.op}@{check.cell.size:g}"
