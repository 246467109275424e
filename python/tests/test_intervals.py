"""intervals.py on synthetic values with known answers: no timing, fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t

from interop_bench import intervals


def test_log_t_interval_by_hand() -> None:
    # logs 0, 1, 2: mean 1, standard deviation 1, three values (2 degrees of freedom)
    estimate = intervals.log_t_interval([1.0, math.e, math.e**2])
    assert estimate is not None
    half = t.ppf(0.975, 2) / math.sqrt(3)
    assert estimate.center == pytest.approx(math.e)
    assert estimate.low == pytest.approx(math.exp(1 - half))
    assert estimate.high == pytest.approx(math.exp(1 + half))
    assert estimate.spread == pytest.approx(1.0)
    assert estimate.log_standard_error == pytest.approx(1 / math.sqrt(3))
    assert intervals.log_t_interval([5.0]) is None


def test_the_interval_covers_the_true_center_95_percent_of_the_time() -> None:
    # 4000 simulated cells of 5 processes with log-normal process effects.
    rng = np.random.default_rng(7)
    true_ns = 1000.0
    covered = 0
    for _ in range(4000):
        values = true_ns * np.exp(rng.normal(0.0, 0.05, 5))
        estimate = intervals.log_t_interval(list(values))
        assert estimate is not None
        covered += estimate.low <= true_ns <= estimate.high
    assert 0.94 <= covered / 4000 <= 0.96


def test_the_machine_speed_shared_by_a_group_is_not_averaged_away() -> None:
    # 20 cells whose processes differ only by the speed of their pass (a shared
    # factor): their own spread is nil, the speed's is what the interval holds.
    speeds = {0: 1.00, 1: 1.04, 2: 0.97, 3: 1.02, 4: 0.98}
    cells = [{p: (100.0 + i) * s for p, s in speeds.items()} for i in range(20)]
    shifts = intervals.pass_shifts(cells)
    assert set(shifts) == set(speeds)
    sample = (100.0, 99.0, 101.0)
    estimate = intervals.cell_estimate(cells[0], [], sample, shifts)
    plain = intervals.cell_estimate(cells[0], [], sample)
    assert estimate.spread == pytest.approx(0.0, abs=1e-12)  # nothing of its own
    speed_sd = float(np.std(np.log(list(speeds.values())), ddof=1))
    assert estimate.speed_spread == pytest.approx(speed_sd, rel=1e-6)
    assert estimate.log_standard_error == pytest.approx(speed_sd, rel=1e-6)  # not / sqrt(5)
    assert plain.log_standard_error == pytest.approx(speed_sd / math.sqrt(5), rel=1e-6)
    assert estimate.high / estimate.low > plain.high / plain.low
    assert estimate.center == pytest.approx(plain.center)


def test_too_few_cells_tell_nothing_of_the_speed() -> None:
    cells = [{0: 1.0, 1: 2.0}] * (intervals.MIN_CELLS_FOR_SPEED - 1)
    assert intervals.pass_shifts(cells) == {}


def test_one_process_falls_back_to_rounds_then_samples() -> None:
    by_rounds = intervals.cell_estimate({0: 100.0}, [98.0, 100.0, 103.0], (100.0, 90.0, 110.0))
    assert by_rounds.basis == "rounds" and by_rounds.units == 3
    assert by_rounds.low <= 100.0 <= by_rounds.high
    by_samples = intervals.cell_estimate({0: 100.0}, [100.0], (100.0, 90.0, 110.0))
    assert (by_samples.basis, by_samples.low, by_samples.high) == ("samples", 90.0, 110.0)
    assert by_samples.log_standard_error is None


def test_independent_ratio_adds_the_errors() -> None:
    test = intervals.independent_log_ratio((100.0, 0.03, 5), (125.0, 0.04, 5))
    assert test is not None
    assert test.ratio == pytest.approx(1.25)
    half = t.ppf(0.975, 4) * 0.05  # sqrt(0.03^2 + 0.04^2) = 0.05
    assert test.low == pytest.approx(1.25 * math.exp(-half))
    assert test.p_value == pytest.approx(2 * t.sf(math.log(1.25) / 0.05, 4))
    assert intervals.independent_log_ratio((100.0, 0.03, 1), (125.0, 0.04, 5)) is None


def test_paired_differences_cancel_what_the_pairs_share() -> None:
    drift = {0: 1.00, 1: 1.10, 2: 0.92, 3: 1.05, 4: 0.97, 5: 1.08}  # the machine, shared
    old = {p: 100.0 * d for p, d in drift.items()}
    new = {p: 100.0 * d * (1.25 if p % 2 else 1.24) for p, d in drift.items()}
    paired = intervals.paired_test(old, new)
    assert paired is not None
    assert 1.23 < paired.low < paired.ratio < paired.high < 1.26
    assert paired.p_value < 1e-6
    # The same values tested as independent runs drown in the drift.
    old_values, new_values = list(old.values()), list(new.values())
    old_estimate = intervals.log_t_interval(old_values)
    new_estimate = intervals.log_t_interval(new_values)
    assert old_estimate is not None and new_estimate is not None
    independent = intervals.independent_log_ratio(
        (old_estimate.center, old_estimate.log_standard_error or 0, 6),
        (new_estimate.center, new_estimate.log_standard_error or 0, 6),
    )
    assert independent is not None and independent.p_value > paired.p_value * 1000
    assert intervals.paired_test({0: 1.0}, {0: 2.0}) is None


def test_paired_ratio_of_a_cell_and_its_kernel() -> None:
    estimate = intervals.paired_log_ratio([110.0, 121.0, 99.0], [100.0, 110.0, 90.0])
    assert estimate is not None
    assert estimate.center == pytest.approx(1.1)
    assert estimate.low == pytest.approx(1.1) and estimate.high == pytest.approx(1.1)


def test_benjamini_hochberg_by_hand() -> None:
    # Sorted p: 0.001 0.008 0.039 0.041 0.042 0.06 0.074 0.205 0.212 0.216 at q = 0.05:
    # the largest k with p(k) <= k/10 * 0.05 is k = 2.
    p = [0.205, 0.001, 0.074, 0.008, 0.039, 0.041, 0.042, 0.06, 0.212, 0.216]
    rejected = intervals.benjamini_hochberg(p, 0.05)
    assert [p[i] for i, r in enumerate(rejected) if r] == [0.001, 0.008]
    assert intervals.benjamini_hochberg([], 0.05) == []
    assert intervals.benjamini_hochberg([0.5, 0.9], 0.05) == [False, False]
