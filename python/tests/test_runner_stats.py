"""The runner's pure parts: statistics, the stopping rule, calibration, the plan."""

from __future__ import annotations

import math

import numpy as np
import pytest

from interop_bench import ops, strategies
from interop_bench.results_file import FLOORS
from interop_bench.runner import plan, stats
from interop_bench.runner.request import Request
from interop_bench.runner.timing import Sampler, calibrate


def binomial_cdf(k: int, n: int) -> float:
    """P(B <= k) for B ~ Binomial(n, 1/2), exactly, independent of scipy."""
    return sum(math.comb(n, i) for i in range(k + 1)) / 2**n


# -- the confidence interval of the median ---------------------------------
def test_median_ci_ranks_match_the_textbook_table() -> None:
    # n = 100: the 95% interval is the 40th to the 61st order statistic (1-based).
    assert stats.median_ci_ranks(100) == (39, 60)
    # n = 6 is the smallest sample whose (min, max) covers the median with >= 95%.
    assert stats.median_ci_ranks(6) == (0, 5)
    # Below that the whole range is all there is.
    assert stats.median_ci_ranks(5) == (0, 4)
    assert stats.median_ci_ranks(1) == (0, 0)


@pytest.mark.parametrize("count", [6, 7, 10, 25, 50, 99, 150, 301])
def test_median_ci_covers_95_percent_and_is_the_tightest_that_does(count: int) -> None:
    low, high = stats.median_ci_ranks(count)
    assert low + high == count - 1  # symmetric ranks
    # [x(low), x(high)] misses the median when <= low samples fall on one side of it.
    assert 1 - 2 * binomial_cdf(low, count) >= 0.95
    assert 1 - 2 * binomial_cdf(low + 1, count) < 0.95  # one rank tighter falls short


def test_median_ci_reads_the_sorted_samples() -> None:
    values = np.arange(1.0, 101.0)  # 1..100
    assert stats.median_ci(values) == (40.0, 61.0)


def test_summarize_on_hand_computable_samples() -> None:
    summary = stats.summarize([5.0, 1.0, 4.0, 2.0, 3.0])
    assert summary["median_ns"] == 3.0
    assert summary["min_ns"] == 1.0
    assert summary["mean_ns"] == 3.0
    assert summary["stdev_ns"] == pytest.approx(math.sqrt(2.5))
    assert summary["p5_ns"] == pytest.approx(1.2)  # linear interpolation: 1 + 0.05 * 4
    assert summary["p95_ns"] == pytest.approx(4.8)
    assert summary["iqr_ns"] == 2.0  # 4 - 2
    assert (summary["ci_low_ns"], summary["ci_high_ns"]) == (1.0, 5.0)
    assert set(summary) == set(stats.SUMMARY_KEYS)


def test_summarize_even_count_and_single_sample() -> None:
    assert stats.summarize([1.0, 2.0, 3.0, 10.0])["median_ns"] == 2.5
    single = stats.summarize([7.0])
    assert single["median_ns"] == single["ci_low_ns"] == single["ci_high_ns"] == 7.0
    assert single["stdev_ns"] == 0.0
    with pytest.raises(ValueError, match="no samples"):
        stats.summarize([])


def test_ci_within_a_relative_band() -> None:
    tight = np.sort(np.full(50, 100.0) + np.linspace(-0.5, 0.5, 50))
    wide = np.sort(np.linspace(50.0, 150.0, 50))
    assert stats.ci_within(tight, 0.01)
    assert not stats.ci_within(wide, 0.01)


def test_throughput_from_the_median() -> None:
    assert stats.throughput_per_s(8_000, 1_000.0) == 8e9
    assert stats.throughput_per_s(8, 0.0) is None


# -- calibration and the stopping rule (fake clocks: counts, not wall time) --
def test_calibrate_reaches_the_target() -> None:
    seen: list[int] = []

    def sample(calls: int) -> int:
        seen.append(calls)
        return calls * 1_000  # 1 µs a call

    calls = calibrate(sample, target_ns=100_000, resolution_ns=50.0)
    assert calls * 1_000 >= 100_000
    assert calls <= 150  # aims ~20% past the target, not 1000x
    assert len(seen) <= 5  # the last one confirms the target was reached


def test_calibrate_keeps_one_call_when_a_call_is_long() -> None:
    assert calibrate(lambda calls: calls * 5_000_000, 100_000, 50.0) == 1


def test_one_preempted_sample_does_not_decide_the_calibration() -> None:
    """A 1 µs call whose first sample was preempted for 3 ms is still batched."""
    blips = iter([3_000_000])

    def sample(calls: int) -> int:
        return calls * 1_000 + next(blips, 0)

    calls = calibrate(sample, target_ns=100_000, resolution_ns=50.0)
    assert calls * 1_000 >= 100_000


def make_sampler(values: list[int], min_samples: int = 6, max_samples: int = 30) -> Sampler:
    feed = iter(values * 1000)
    return Sampler(
        sample=lambda calls: next(feed) * calls,
        calls=2,
        target_ns=1,
        resolution_ns=50.0,
        loop_overhead_ns=1.0,
        min_samples=min_samples,
        max_samples=max_samples,
        budget_ns=10**12,
        ci_relative=0.01,
    )


def test_sampler_stops_on_the_ci_and_subtracts_the_loop_overhead() -> None:
    sampler = make_sampler([1000])
    reason = None
    while reason is None:
        reason = sampler.turn(batch_ns=1)  # one sample a turn
    assert reason == "ci"
    assert len(sampler.per_call_ns) == 6
    assert set(sampler.per_call_ns) == {999.0}  # 2000 ns / 2 calls - 1 ns


def test_sampler_stops_at_max_samples_when_the_ci_stays_wide() -> None:
    sampler = make_sampler([500, 1500])
    reason = None
    while reason is None:
        reason = sampler.turn(batch_ns=1)
    assert reason == "max_samples"
    assert len(sampler.per_call_ns) == 30


def test_sampler_stops_on_the_budget() -> None:
    sampler = make_sampler([500, 1500], max_samples=10**6)
    sampler.budget_ns = 0
    assert sampler.turn(batch_ns=10**9) == "budget"
    assert len(sampler.per_call_ns) >= 1


# -- the plan ----------------------------------------------------------------
def test_parse_sizes() -> None:
    assert plan.parse_sizes("1e3, 1,1000,1e6") == ((1, 1000, 1_000_000), ())
    assert plan.parse_sizes("4K,1e3,vga,4k") == ((1000,), ("vga", "4k"))
    for bad in ("abc", "0", "-5", "1.5", "inf", "", "16k"):
        with pytest.raises(plan.PlanError, match="bad size"):
            plan.parse_sizes(bad)


def test_the_profiles_axes() -> None:
    """default: float64 and frames at 720p, 1080p, 4k; full: every dtype, vga..8k; quick: vga."""
    default = plan.select("default", None, None, None)
    assert default.ops == ops.OPS and default.dtypes == ("float64",)
    assert default.sizes == plan.DEFAULT_SIZES
    assert default.resolutions == ("720p", "1080p", "4k")
    full = plan.select("full", None, None, None)
    assert full.dtypes == ops.DTYPES and full.resolutions == tuple(ops.RESOLUTIONS)
    assert plan.select("quick", None, None, None).resolutions == ("vga",)


def test_select_pairs_each_op_with_the_sizes_of_its_kind() -> None:
    # without --ops: the ops that have a size of their kind
    assert plan.select("quick", None, None, "1,1e3").ops == ops.VECTOR_OPS
    only_frames = plan.select("quick", None, None, "720p")
    assert only_frames.ops == ("frame",) and only_frames.sizes == ()
    # --ops sum keeps the profile's element counts and drops its resolutions
    summed = plan.select("default", "sum", "uint8,float64", None)
    assert summed.resolutions == () and summed.sizes == plan.DEFAULT_SIZES
    assert summed.dtypes == ("uint8", "float64")
    framed = plan.select("default", "frame", None, None)
    assert framed.sizes == () and framed.resolutions == ("720p", "1080p", "4k")
    with pytest.raises(plan.PlanError, match="unknown dtype 'bool'"):
        plan.select("quick", None, "bool", None)


def test_a_request_runs_each_label_at_its_sizes_in_size_order() -> None:
    request = Request(
        strategies=("numpy",),
        ops=("sum", "frame"),
        sizes=(1, 10_000_000),
        profile=plan.PROFILES["quick"],
        dtypes=("float64", "uint8"),
        resolutions=("vga",),
    )
    assert request.labels() == ["sum", "sum:uint8", "frame"]
    assert request.groups() == [
        ("sum", 1),
        ("sum:uint8", 1),
        ("frame", 921_600),
        ("sum", 10_000_000),
        ("sum:uint8", 10_000_000),
    ]
    keys = request.cell_keys()
    probes = [(n, label, size) for n, label, size in keys if n.endswith("-probe")]
    assert {label for _, label, _ in probes} == {"sum"}  # the first label's groups
    assert ("kernel", "frame", 921_600) in keys and ("kernel", "sum:uint8", 1) in keys
    assert request.as_json()["dtypes"] == ["float64", "uint8"]
    assert request.as_json()["resolutions"] == ["vga"]


def test_pick_names_the_unknown_and_the_known() -> None:
    assert plan.pick("op", "sum,scale", ("sum", "square", "scale")) == ("sum", "scale")
    assert plan.pick("op", None, ("sum", "square")) == ("sum", "square")
    with pytest.raises(plan.PlanError, match=r"unknown op 'sqrt'; known: sum, square"):
        plan.pick("op", "sum,sqrt", ("sum", "square"))


def test_profiles_and_the_shared_budget() -> None:
    assert plan.PROFILES["quick"].sizes[-1] == 10_000_000
    assert plan.PROFILES["full"].sizes[-1] == 100_000_000
    assert all(p.min_samples >= 6 for p in plan.PROFILES.values())
    quick = plan.PROFILES["quick"]
    cap_ns = int(quick.cell_budget_s * 1e9)
    assert plan.cell_budget_ns(quick, remaining_s=50.0, remaining_cells=1) == cap_ns
    assert plan.cell_budget_ns(quick, 50.0, 1000) == int(50.0 / 1000 * 1e9)
    # Behind schedule: a cell still gets a small share of the cap.
    assert plan.cell_budget_ns(quick, -5.0, 10) == int(cap_ns * plan.MIN_BUDGET_SHARE)


@pytest.mark.parametrize("name", ["quick", "default"])
def test_the_run_budget_is_not_outgrown_by_the_floor_share(name: str) -> None:
    # Every cell of a pass gets at least MIN_BUDGET_SHARE of the cap. If those
    # floors add up past the pass's share of the run budget, the floors decide
    # the run's length instead (10% of the cap did so with 41 strategies: 65 s
    # of sampling a default pass against a 48 s share). A registry that grows
    # until they do fails here.
    profile, axes = plan.PROFILES[name], plan.AXES[name]
    measured = len(strategies.names()) + len(FLOORS)
    vector_ops = [op for op in ops.OPS if op != "frame"]
    cells = measured * (
        len(vector_ops) * len(axes.dtypes) * len(profile.sizes) + len(axes.resolutions)
    )
    per_pass = profile.per_process(profile.processes)
    floors_s = cells * per_pass.cell_budget_s * plan.MIN_BUDGET_SHARE
    assert floors_s <= 0.8 * per_pass.run_budget_s, (cells, floors_s, per_pass.run_budget_s)


def test_estimate_from_the_previous_sizes() -> None:
    assert plan.estimate_call_ns([], 10) is None
    assert plan.estimate_call_ns([(10, 100.0)], 1000) == 100.0  # the fixed cost: a lower bound
    # 1 µs fixed + 1 ns per element, fitted from two points.
    assert plan.estimate_call_ns([(1000, 2_000.0), (2000, 3_000.0)], 8_000) == 9_000.0
    # Farther than 4x, a per-element cost counts only where the sizes show one (3x the time).
    assert plan.estimate_call_ns([(1000, 2_000.0), (2000, 3_000.0)], 10_000) == 3_000.0
    assert plan.estimate_call_ns([(1000, 1_000.0), (2000, 3_000.0)], 10_000) == 20_000.0


def test_skip_reason_says_why() -> None:
    common = {"budget_ns": 10**8, "payload_bytes": 80, "minimum": 10, "available_bytes": None}
    assert plan.skip_reason(history=[(10, 1e3)], size=20, **common) is None
    # From one size, or far below: the estimate skips only when one call would overrun.
    assert plan.skip_reason(history=[(10, 9e7)], size=20, **common) is None
    slow = plan.skip_reason(history=[(10, 2e8)], size=20, **common)
    assert slow is not None and "over the cell budget of 0.10 s" in slow
    far = [(1, 1e6), (10, 9e6)]  # ~0.9 ms per element
    assert plan.skip_reason(history=far, size=100_000, **common) is not None  # one call: 89 s
    assert plan.skip_reason(history=far, size=100, **common) is None  # 10x away: one call fits
    near = [(300, 3e6), (1000, 1e7)]  # 10 µs per element
    # At most 4x away, the 10 minimum calls must fit 3x the budget (0.3 s):
    assert plan.skip_reason(history=near, size=2900, **common) is None  # 0.29 s
    over = plan.skip_reason(history=near, size=3100, **common)  # 0.31 s
    assert over is not None and "over 3x the cell budget of 0.10 s" in over
    assert plan.skip_reason(history=near, size=4001, **common) is None  # far: one call, 40 ms
    assert plan.over_budget(1e6, 10, 10**8, "measured") is None
    assert plan.over_budget(2e7, 10, 10**8, "measured") is not None
    big = plan.skip_reason(
        budget_ns=10**8, history=[], size=20, minimum=10, payload_bytes=80, available_bytes=100
    )
    assert big is not None and "available" in big


def test_phases_take_at_least_three_calls_and_a_tenth_of_the_cap() -> None:
    profile = plan.PROFILES["default"]  # 11 phase calls
    cap_ns = 1_000_000_000
    assert plan.another_phase_call(profile, 0, 5 * cap_ns, cap_ns)  # however slow: 3 calls
    assert plan.another_phase_call(profile, 2, 5 * cap_ns, cap_ns)
    assert not plan.another_phase_call(profile, 3, cap_ns // 10, cap_ns)
    assert plan.another_phase_call(profile, 3, cap_ns // 10 - 1, cap_ns)
    assert plan.another_phase_call(profile, 10, 0, cap_ns)
    assert not plan.another_phase_call(profile, 11, 0, cap_ns)
