"""A one-process cell by its fastest process: the estimate, its interval, who gets it.

Synthetic values with fixed seeds, no timing.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from results_factory import make_results, write_results
from scipy.stats import binom, t
from test_runner_merge import record
from test_sampling_rule import check_of

from interop_bench import intervals, results_file, verify
from interop_bench.analysis import compare as compare_module
from interop_bench.analysis import machine_speed, resolution
from interop_bench.analysis.load import load
from interop_bench.report import page_data
from interop_bench.runner.merge import Merger


def test_the_scale_is_normal_theory() -> None:
    # Computed apart from the module: another seed, twice the draws.
    rng = np.random.default_rng(12345)
    for count in (2, 3, 5, 10):
        draws = np.sort(rng.standard_normal((400_000, count)), axis=1)
        expected = draws[:, 0].std() / np.median(draws[:, 1] - draws[:, 0])
        assert intervals.min_sd_per_median_gap(count) == pytest.approx(expected, rel=0.02)
    assert intervals.min_sd_per_median_gap(5) == pytest.approx(1.27, abs=0.01)


def test_the_fastest_process_by_hand() -> None:
    medians = [150.0, 101.0, 160.0, 100.0, 140.0]
    estimate = intervals.fastest_process_estimate(medians, pooled=0.02)
    scale = intervals.min_sd_per_median_gap(5)
    se = math.sqrt(((scale * math.log(1.01)) ** 2 + (scale * 0.02) ** 2) / 2)
    half = t.ppf(0.975, 4) * se
    assert estimate.basis == "fastest process" and estimate.units == 5
    assert estimate.center == 100.0
    assert estimate.low == pytest.approx(100.0 * math.exp(-half))
    assert estimate.high == pytest.approx(100.0 * math.exp(half))
    assert estimate.log_standard_error == pytest.approx(se)
    assert estimate.spread == pytest.approx(statistics.stdev(math.log(v) for v in medians))


def test_without_a_pool_the_cells_own_spread_errs_wide() -> None:
    medians = [150.0, 101.0, 160.0, 100.0, 140.0]
    pooled = intervals.fastest_process_estimate(medians, pooled=0.02)
    alone = intervals.fastest_process_estimate(medians, pooled=None)
    assert alone.center == pooled.center
    assert alone.relative_half_width > 3 * pooled.relative_half_width


def test_the_fastest_process_needs_two_positive_medians() -> None:
    with pytest.raises(ValueError, match="two positive process medians"):
        intervals.fastest_process_estimate([100.0, 0.0], pooled=0.02)
    assert intervals.spacing([100.0]) is None
    assert intervals.spacing([110.0, 100.0, 200.0]) == pytest.approx(math.log(1.1))


def test_the_group_spacing_needs_enough_cells() -> None:
    cells = [[100.0, 100.0 * (1 + i / 100)] for i in range(intervals.MIN_CELLS_FOR_SPEED)]
    assert intervals.group_spacing(cells[:-1]) is None
    assert intervals.group_spacing(cells) == pytest.approx(
        statistics.median(math.log(1 + i / 100) for i in range(intervals.MIN_CELLS_FOR_SPEED))
    )


def two_speed_run(rng: np.random.Generator, true_ns: np.ndarray) -> list[list[np.ndarray]]:
    """A run on a machine that spends a share of its (pass, group)s at 1.8x the
    time: the share differs from run to run (0.1-0.5), as on a shared VM. Per
    group, per cell, the process medians of five passes."""
    slow_share = rng.uniform(0.1, 0.5)
    groups = []
    for group in true_ns:
        slow = np.where(rng.random(5) < slow_share, math.log(1.8), 0.0)
        own = rng.normal(0.0, 0.02, (len(group), 5))
        groups.append(list(group[:, None] * np.exp(slow[None, :] + own)))
    return groups


def estimates(run: list[list[np.ndarray]]) -> list[intervals.Estimate]:
    found = []
    for cells in run:
        pooled = intervals.group_spacing([list(c) for c in cells])
        found += [intervals.fastest_process_estimate(list(c), pooled) for c in cells]
    return found


def test_on_a_two_speed_machine_the_fastest_process_reproduces_and_the_mean_does_not() -> None:
    rng = np.random.default_rng(3)
    true_ns = rng.uniform(100.0, 10_000.0, (40, 12))  # 40 groups of 12 cells
    covered = moved_fastest = moved_mean = cells = 0
    widths = []
    for _ in range(5):  # five A/A pairs
        first, second = two_speed_run(rng, true_ns), two_speed_run(rng, true_ns)
        for a, b in zip(estimates(first), estimates(second), strict=True):
            covered += a.low <= b.center <= a.high
            moved_fastest += abs(math.log(b.center / a.center)) > 0.05
            widths.append(a.relative_half_width)
            cells += 1
        means = [[float(np.exp(np.log(c).mean())) for c in g] for g in first]
        again = [[float(np.exp(np.log(c).mean())) for c in g] for g in second]
        moved_mean += sum(
            abs(math.log(y / x)) > 0.05
            for gx, gy in zip(means, again, strict=True)
            for x, y in zip(gx, gy, strict=True)
        )
    assert covered / cells >= 0.85
    assert statistics.median(widths) <= 0.10
    assert moved_fastest / cells < 0.1
    assert moved_mean / cells > 0.4


FACTS = {
    "a": {"family": "ffi"},
    "p": {"family": "ipc"},
    "kernel": {"family": "floor"},
}


def merged(by_cell: dict[str, list[float]], facts: dict[str, dict[str, str]] | None) -> dict:
    document = results_file.new_document({}, {}, "test", datetime.now(timezone.utc), facts)
    merger = Merger(document)
    for index in range(len(next(iter(by_cell.values())))):
        merger.add(
            [record(name, index, [values[index]]) for name, values in by_cell.items()],
            {"pass": index},
        )
    return {c["strategy"]: c["stats"] for c in merger.document["cells"]}


def test_a_one_process_family_is_given_by_its_fastest_process_a_cross_process_by_its_mean() -> None:
    values = [150.0, 100.0, 110.0]
    stats = merged({"a": values, "p": values, "kernel": values}, FACTS)
    assert stats["a"]["interval"] == "fastest process" and stats["a"]["median_ns"] == 100.0
    assert stats["kernel"]["interval"] == "fastest process"
    assert stats["p"]["interval"] == "processes"
    geometric = math.exp(statistics.fmean(math.log(v) for v in values))
    assert stats["p"]["median_ns"] == pytest.approx(geometric)
    # A strategy the file has no facts for is treated as a cross-process one.
    assert merged({"a": values}, None)["a"]["interval"] == "processes"


def test_the_group_pools_the_gaps_of_its_one_process_cells() -> None:
    count = intervals.MIN_CELLS_FOR_SPEED
    names = [f"s{i}" for i in range(count)]
    facts = {name: {"family": "serialization"} for name in names} | {"p": {"family": "ipc"}}
    by_cell = {name: [100.0 * (1 + i / 100), 100.0, 300.0] for i, name in enumerate(names)}
    by_cell["p"] = [100.0, 500.0, 900.0]  # a cross-process cell's gap is not pooled
    stats = merged(by_cell, facts)
    pooled = statistics.median(math.log(1 + i / 100) for i in range(count))
    for name in names:
        expected = intervals.fastest_process_estimate(by_cell[name], pooled)
        assert stats[name]["log_standard_error"] == pytest.approx(expected.log_standard_error)
        assert stats[name]["median_ns"] == 100.0


def test_the_machine_line_gives_both_kinds_of_interval() -> None:
    speed = machine_speed.MachineSpeed(255, 1.4, None, (0.09, 0.44))
    sentence = speed.sentence()
    assert "intervals are ±9% for the cells in one process (their fastest process)" in sentence
    assert "±44% for the cross-process ones (median half-widths)" in sentence
    alone = machine_speed.MachineSpeed(255, 1.4, None, (None, 0.44)).sentence()
    assert alone.endswith("intervals are ±44% (median half-width)")


def test_verify_holds_a_fastest_process_cell_to_the_lower_quartile_of_its_rounds() -> None:
    # 60 rounds, a quarter at full speed and the rest in a slow spell.
    rounds = [100.0 + i / 10 for i in range(20)] + [180.0 + i for i in range(40)]
    fastest = check_of((100.0, 95.0, 105.0), rounds, "fastest process")
    mean = check_of((100.0, 95.0, 105.0), rounds)
    assert fastest.verdict(0.10) == "agrees"
    assert mean.verdict(0.10) == "file too fast"
    assert not fastest.cell.interval_of_one_process
    assert check_of((100.0, 95.0, 105.0), rounds, "rounds").cell.interval_of_one_process


@pytest.mark.parametrize("count", [15, 60, 200])
def test_the_quantile_interval_ranks_are_binomial_quantiles(count: int) -> None:
    ordered = [float(v) for v in range(1, count + 1)]
    _, low, high = verify.quantile_interval(ordered, 0.25)
    assert low == binom.ppf(0.025, count, 0.25)
    assert high == binom.ppf(0.975, count, 0.25) + 1
    assert verify.quantile_interval(ordered, 0.5) == verify.median_interval(ordered)


def test_the_report_and_compare_know_a_fastest_process_cell(tmp_path: Path) -> None:
    document = make_results(strategies=["capi", "numpy"], ops=["sum"], sizes=[1, 1000])
    new = load(write_results(tmp_path / "new.json", document))
    rows = page_data._cell_rows(0, new)
    assert rows and all(row.get("fastest") == 1 and "basis" not in row for row in rows)
    assert compare_module.estimator_warning(new, new) is None
    for cell in document["cells"]:
        cell["stats"]["interval"] = "processes"  # a file of an older release
    old = load(write_results(tmp_path / "old.json", document))
    warned = compare_module.compare(old, new, threshold=0.1, alpha=0.01).warnings
    assert any("only the new file gives its one-process cells by" in w for w in warned)


def test_what_a_run_tells_apart_is_t_root_two_times_the_median_error(tmp_path: Path) -> None:
    document = make_results(strategies=["capi", "numpy", "ctypes"], ops=["sum"], sizes=[1, 1000])
    results = load(write_results(tmp_path / "r.json", document))
    found = resolution.of(results)
    assert [(r.kind, r.size) for r in found] == [
        ("cells in one process", 1),
        ("cells in one process", 1000),
    ]
    for told in found:
        errors = [
            c.stats["log_standard_error"] for c in results.cells if c.size == told.size and c.ok
        ]
        expected = math.expm1(t.ppf(0.975, 4) * math.sqrt(2) * statistics.median(errors))
        assert told.difference == pytest.approx(expected)
        assert told.cells == len(errors)
    sentence = resolution.sentence(results)
    assert sentence is not None and sentence.startswith("differences above ")
    assert sentence.endswith("(1,000) between cells in one process")
    assert (
        resolution.sentence(load(write_results(tmp_path / "two.json", make_results(processes=2))))
        is None
    )
