"""The skip rule on synthetic runs: noise within its margins never changes a decision.

A cell is decided twice, as two runs of one commit would: the smaller sizes'
medians (the estimate) and the cold checked call move between the runs by
less than ESTIMATE_MARGIN and REPEAT_BAND, the warm calls a little, and the
decision must not move. No clock is read: the calls' times are given.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from interop_bench.runner import plan

BUDGET_NS = 1_000_000_000
CALLS = 20  # minimum calls: a cell fits while a call takes at most 50 ms
FITS_NS = BUDGET_NS / CALLS
SIZE = 30_000
# 1e3 and 1e4 elements: the estimate at 3e4 is (per element) linear from them.
SMALLER = (1_000, 10_000)


def history(estimate_ns: float) -> list[tuple[int, float]]:
    """Medians of the two smaller sizes whose linear fit gives `estimate_ns` at SIZE."""
    per_element = estimate_ns / SIZE
    return [(size, per_element * size) for size in SMALLER]


class Calls:
    """The warm repeats of a synthetic cell, counted."""

    def __init__(self, warm_ns: Sequence[float]) -> None:
        self._warm: Iterator[float] = iter(warm_ns)
        self.made = 0

    def __call__(self) -> float:
        self.made += 1
        return next(self._warm)


def decide(
    smaller: list[tuple[int, float]], check_ns: float, warm: Calls, size: int = SIZE
) -> str | None:
    """One run's decision on the cell, as the engine takes it: the estimate
    (skip_reason), then the checked call and its repeats (too_slow)."""
    reason = plan.skip_reason(
        budget_ns=BUDGET_NS,
        history=smaller,
        size=size,
        minimum=CALLS,
        payload_bytes=8 * size,
        available_bytes=None,
    )
    if reason is not None:
        return reason
    estimate_ns = plan.estimate_call_ns(smaller, size)
    return plan.too_slow(check_ns, warm, CALLS, BUDGET_NS, estimate_ns)


# (estimate, cold checked call, warm calls) of a cell in two runs, as multiples of
# FITS_NS: the estimate moves by up to 2.5x (< ESTIMATE_MARGIN) and the checked call
# by up to 3x (within REPEAT_BAND), the warm calls by 20%.
FITTING_RUNS = [
    ((0.6, 0.7, (0.7, 0.7)), (1.4, 2.9, (0.8, 0.8))),
    ((2.5, 2.0, (0.6, 0.9)), (1.0, 1.05, (0.72, 0.72))),
    ((0.3, 2.99, (0.9, 0.9)), (0.75, 0.9, (0.95, 0.95))),
]
SLOW_RUNS = [  # warm calls 1.6-2x over: skipped in both runs
    ((1.0, 2.9, (1.8, 1.7)), (2.5, 1.7, (2.0, 1.6))),
    ((1.6, 1.9, (1.9, 2.0)), (0.5, 2.8, (1.7, 1.8))),
]


def run(estimate: float, check: float, warm: tuple[float, ...]) -> str | None:
    return decide(history(estimate * FITS_NS), check * FITS_NS, Calls([w * FITS_NS for w in warm]))


@pytest.mark.parametrize(("first", "second"), FITTING_RUNS)
def test_noise_within_the_margins_measures_a_cell_that_fits_warm_in_both_runs(
    first: tuple[float, float, tuple[float, ...]], second: tuple[float, float, tuple[float, ...]]
) -> None:
    assert run(*first) is None
    assert run(*second) is None


@pytest.mark.parametrize(("first", "second"), SLOW_RUNS)
def test_noise_within_the_margins_skips_a_cell_over_the_budget_warm_in_both_runs(
    first: tuple[float, float, tuple[float, ...]], second: tuple[float, float, tuple[float, ...]]
) -> None:
    for estimate, check, warm in (first, second):
        reason = run(estimate, check, warm)
        assert reason is not None and "warm repeat(s)" in reason, (estimate, check, warm)


def test_a_cold_check_over_the_budget_is_repeated_and_the_fastest_call_decides() -> None:
    warm = Calls([1.3 * FITS_NS, 0.9 * FITS_NS])
    assert decide(history(FITS_NS), 2.5 * FITS_NS, warm) is None
    assert warm.made == 2
    within = Calls([])
    assert decide(history(FITS_NS), FITS_NS, within) is None  # fits: no repeat
    assert within.made == 0


def test_a_clearly_slow_cell_is_skipped_without_repeats() -> None:
    # The estimate is over ESTIMATE_MARGIN times the budget: no call at all.
    unchecked = Calls([])
    skipped = decide(history(3.5 * FITS_NS), FITS_NS, unchecked)
    assert skipped is not None and "over 3x the cell budget" in skipped
    assert unchecked.made == 0
    # One checked call over the whole budget is not repeated, whatever the estimate.
    once = Calls([])
    assert decide(history(FITS_NS), 1.5 * BUDGET_NS, once) is not None
    assert once.made == 0
    # Past REPEAT_BAND, with an estimate that agrees it is over: judged on the check.
    agreed = Calls([])
    over = decide(history(2 * FITS_NS), 4 * FITS_NS, agreed)
    assert over is not None and "(the checked call)" in over
    assert agreed.made == 0


def test_a_cold_outlier_past_the_band_is_repeated_when_nothing_says_the_cell_is_slow() -> None:
    # The warm estimate says it fits, or the row has no smaller size yet: the
    # checked call (here 20x a warm one, as a worker's first wake-up at size 1)
    # is repeated instead of skipping the row.
    for smaller in (history(0.5 * FITS_NS), []):
        warm = Calls([0.5 * FITS_NS])
        assert decide(smaller, 10 * FITS_NS, warm) is None
        assert warm.made == 1


def test_repeats_stop_after_repeat_calls() -> None:
    warm = Calls([1.2 * FITS_NS] * 5)
    reason = decide(history(FITS_NS), 2 * FITS_NS, warm)
    assert warm.made == plan.REPEAT_CALLS
    assert reason is not None and f"{plan.REPEAT_CALLS} warm repeat(s)" in reason


def test_a_far_extrapolation_needs_a_per_element_cost_above_the_noise() -> None:
    # 1.39 and 2.21 ms at 1 and 1e3 elements: a fixed cost with noise, not 0.8 µs
    # per element; the 1e6-element cell is checked, not skipped on ~820 ms a call.
    flat = [(1, 1.39e6), (1_000, 2.21e6)]
    common = {"minimum": 1, "payload_bytes": 8, "available_bytes": None}
    assert plan.skip_reason(budget_ns=100_000_000, history=flat, size=10**6, **common) is None
    # Where the larger size took 3x the smaller's time, the cost per element counts.
    grows = [(1, 1.5e6), (1_000, 4.5e6)]  # 3 µs per element: ~3 s at 1e6
    slow = plan.skip_reason(budget_ns=100_000_000, history=grows, size=10**6, **common)
    assert slow is not None and "estimated from the smaller sizes" in slow


def test_an_outlier_at_the_size_below_neither_skips_the_cell_nor_stops_its_repeats() -> None:
    # 0.26 ms at 1e3, then one 64 ms sample at 3e3 (a busy machine): 250x for 3x
    # the elements. Nothing is estimated from it; the cell's own calls decide.
    spiked = [(1_000, 258_000.0), (3_000, 63_923_000.0)]
    assert plan.estimate_call_ns(spiked, 10_000) is None
    warm = Calls([0.2 * FITS_NS])
    assert decide(spiked, 10 * FITS_NS, warm, size=10_000) is None
    assert warm.made == 1
    # Growth within IMPLAUSIBLE_GROWTH of proportional (a cache level left behind) counts.
    assert plan.estimate_call_ns([(1_000, 1e6), (3_000, 9e6)], 10_000) is not None
