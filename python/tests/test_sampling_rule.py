"""The sampling rule: every recorded sample lasts at least the sample target.

Calibration on warm calls, recalibration when a sample comes in short, the
rule read back from a results file (new and old), and what a cell that breaks
it becomes for the readers. Counts and fake clocks only: no wall-clock figure
is asserted.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from runner_helpers import TINY, cell, run_in_process
from scipy import stats

from interop_bench import cli, results_file, verify
from interop_bench.analysis import load as load_module
from interop_bench.analysis.compare import compare
from interop_bench.runner.timing import Sampler
from interop_bench.strategies.numpy import NumpyStrategy

TARGET_NS = 100_000


def sampler(sample_ns_per_call: list[int], calls: int = 1) -> Sampler:
    """A sampler on a fake clock: the i-th sample costs sample_ns_per_call[i] per call."""
    feed = iter(sample_ns_per_call)
    last = sample_ns_per_call[-1]
    return Sampler(
        sample=lambda n: next(feed, last) * n,
        calls=calls,
        target_ns=TARGET_NS,
        resolution_ns=50.0,
        loop_overhead_ns=0.0,
        min_samples=6,
        max_samples=30,
        budget_ns=10**12,
        ci_relative=0.01,
    )


def test_a_short_sample_is_not_recorded_and_raises_the_calls_per_sample() -> None:
    """k = 1 from a cold check; warm calls of 1 µs: short samples dropped, k raised."""
    fake = sampler([1_000])
    while fake.turn(batch_ns=1) is None:
        pass
    assert fake.calls * 1_000 >= TARGET_NS
    assert fake.short_samples >= 1
    assert fake.shortest_sample_ns is not None and fake.shortest_sample_ns >= TARGET_NS
    assert set(fake.per_call_ns) == {1_000.0}


def test_a_machine_that_speeds_up_is_recalibrated_not_recorded_short() -> None:
    """Calibrated at 2 µs a call, the machine then runs 2x faster: no short sample kept."""
    fake = sampler([2_000] * 3 + [1_000], calls=60)  # 120 µs samples, then 60 µs
    while fake.turn(batch_ns=1) is None:
        pass
    assert fake.short_samples == 1
    assert fake.calls * 1_000 >= TARGET_NS
    assert fake.shortest_sample_ns is not None and fake.shortest_sample_ns >= TARGET_NS


def test_a_call_longer_than_the_target_stays_one_call_per_sample() -> None:
    fake = sampler([5 * TARGET_NS])
    while fake.turn(batch_ns=1) is None:
        pass
    assert fake.calls == 1
    assert fake.short_samples == 0


class ColdFirstCall(NumpyStrategy):
    """Numpy's sum, whose first call in each process does a long counted loop
    (a JIT, a first conversion, a worker's first wake-up): the checked call is
    far over the sample target, the warm ones far under it."""

    name = "cold-first-call"
    FIRST_CALL_LOOPS = 100_000  # >= 1 ms anywhere: over twice the 100 µs target

    def _open(self) -> None:
        self.calls_made = 0

    def sum(self, a: np.ndarray) -> float:
        self.calls_made += 1
        if self.calls_made == 1:
            for _ in range(self.FIRST_CALL_LOOPS):
                pass
        return float(a.sum())


def test_a_cold_first_call_does_not_decide_the_calls_per_sample(tmp_path: Path) -> None:
    document = run_in_process(
        tmp_path / "cold.json",
        (ColdFirstCall.name,),
        ("sum",),
        (1,),
        factories={ColdFirstCall.name: ColdFirstCall},
    )
    found = cell(document, ColdFirstCall.name, "sum", 1)
    assert found["status"] == "ok", found["reason"]
    target = document["request"]["sample_target_ns"]
    for process in found["processes"]:  # type: ignore[attr-defined]
        # numpy's sum of one element takes ~1-3 µs warm: k must be far above 1.
        assert process["calls_per_sample"] >= 10, process
        assert process["shortest_sample_ns"] >= target


def test_square_past_its_pool_still_reaches_the_target(tmp_path: Path) -> None:
    """Square's fresh copies are capped at 512 KiB a pool; 1e5 doubles (800 KB)
    used to be one call a sample, shorter than the target. Chunks of the pool now."""
    profile = dataclasses.replace(TINY, processes=1, sample_target_ns=4_000_000)
    document = run_in_process(
        tmp_path / "square.json", ("numpy",), ("square",), (100_000,), profile=profile
    )
    found = cell(document, "numpy", "square", 100_000)
    assert found["status"] == "ok", found["reason"]
    [process] = found["processes"]  # type: ignore[misc]
    assert process["calls_per_sample"] > 1
    assert process["shortest_sample_ns"] >= profile.sample_target_ns


# -- the rule read back: synthetic records --
def process_entry(calls: int, median_ns: float, shortest: int | None) -> dict[str, object]:
    entry: dict[str, object] = {
        "pass": 0,
        "samples": 6,
        "median_ns": median_ns,
        "calls_per_sample": calls,
        "stop_reason": "ci",
        "rounds": [],
    }
    if shortest is not None:
        entry["shortest_sample_ns"] = shortest
    return entry


def test_the_rule_on_records_that_keep_it_and_break_it() -> None:
    breach = results_file.sampling_rule_breach
    assert breach([process_entry(100, 1_000.0, 100_500)], TARGET_NS) is None
    assert breach([process_entry(1, 500_000.0, 480_000)], TARGET_NS) is None
    assert "shorter than the 100,000 ns" in str(
        breach([process_entry(100, 990.0, 99_000)], TARGET_NS)
    )
    # An older record has no shortest sample: its typical sample is judged.
    assert breach([process_entry(1, 1_800.0, None)], TARGET_NS) is not None
    assert breach([process_entry(400, 300.0, None)], TARGET_NS) is None


def test_a_file_from_before_the_rule_has_its_broken_cells_marked(tmp_path: Path) -> None:
    """A results file whose cell ran one call per sample is read as miscalibrated:
    never ranked, never compared, its reason saying why."""
    document = run_in_process(tmp_path / "a.json", ("numpy", "capi"), ("sum",), (1,))
    doctored = copy.deepcopy(document)
    doctored["request"].pop("sample_target_ns")
    broken = cell(doctored, "capi", "sum", 1)
    for process in broken["processes"]:  # type: ignore[attr-defined]
        process.pop("shortest_sample_ns")
        process["calls_per_sample"] = 1
    path = tmp_path / "old.json"
    results_file.write_atomic(path, doctored)
    loaded = load_module.load(path)
    [capi] = [c for c in loaded.cells if c.strategy == "capi"]
    [numpy_cell] = [c for c in loaded.cells if c.strategy == "numpy"]
    assert capi.status == "miscalibrated" and not capi.ok
    assert "sample target" in str(capi.reason)
    assert numpy_cell.ok
    same = load_module.load(path)
    comparison = compare(loaded, same, threshold=0.10, alpha=0.01)
    assert not comparison.regressions
    [capi_change] = [c for c in comparison.changes if c.strategy == "capi"]
    assert not capi_change.regression and capi_change.verdict == "miscalibrated"


# -- verify: the independent timeit loop --
def doctored(tmp_path: Path, factor: float) -> Path:
    """A real run of numpy and capi sum@1 whose capi figures are multiplied by `factor`."""
    document = run_in_process(tmp_path / "run.json", ("numpy", "capi"), ("sum",), (1,))
    wrong = cell(document, "capi", "sum", 1)
    stats = wrong["stats"]
    for name in ("median_ns", "ci_low_ns", "ci_high_ns"):
        stats[name] *= factor  # type: ignore[index]
    path = tmp_path / "doctored.json"
    results_file.write_atomic(path, document)
    return path


def test_verify_finds_a_doctored_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """capi's figures multiplied by 1000: far past what any noise of a busy
    runner does to a sub-µs call, so the verdict holds without a quiet machine."""
    path = doctored(tmp_path, 1000.0)
    status = cli.main(["verify", str(path), "--rounds", "9"])
    out = capsys.readouterr().out
    assert status == 1
    # numpy's honest cell may disagree too on a busy runner (9 rounds): only capi's must.
    disagree = next(line for line in out.splitlines() if "DISAGREE:" in line)
    assert "capi sum@1" in disagree.split("DISAGREE:")[1].strip().split(", ")
    assert "| capi | sum | 1 |" in out and "file too slow" in out


def check_of(
    file_ns: tuple[float, float, float], timeit_ns: list[float], basis: str = "processes"
) -> verify.Check:
    median, low, high = file_ns
    fake = load_module.Cell(
        strategy="s",
        op="sum",
        size=1,
        payload_bytes=8,
        status="ok",
        reason=None,
        stats={"median_ns": median, "ci_low_ns": low, "ci_high_ns": high, "interval": basis},
        samples_ns=(),
        memory_peak_bytes=None,
        memory_payload_ratio=None,
        phases_ns=None,
    )
    return verify.Check(fake, per_call_ns=timeit_ns)


def test_verify_judges_the_ratio_by_both_intervals() -> None:
    steady = [100.0] * 15
    assert check_of((100.0, 95.0, 105.0), steady).verdict(0.10) == "agrees"
    assert check_of((200.0, 190.0, 210.0), steady).verdict(0.10) == "file too slow"
    assert check_of((50.0, 45.0, 55.0), steady).verdict(0.10) == "file too fast"
    # A wide file interval that reaches the band: not a disagreement.
    assert check_of((200.0, 105.0, 400.0), steady).verdict(0.10) == "agrees"
    assert check_of((100.0, 95.0, 105.0), []).verdict(0.10) == "error"


def test_verify_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["verify", str(tmp_path / "missing.json")]) == 2
    assert "cannot read results file" in capsys.readouterr().err
    path = doctored(tmp_path, 1.0)
    assert cli.main(["verify", str(path), "--rounds", "1"]) == 2
    assert "--rounds at least 3" in capsys.readouterr().err
    assert cli.main(["verify", str(path), "--strategies", "nope"]) == 2
    assert "no cells of nope" in capsys.readouterr().err


def test_the_median_interval_is_distribution_free() -> None:
    center, low, high = verify.median_interval([float(v) for v in range(1, 16)])
    assert center == 8.0
    assert (low, high) == (4.0, 12.0)  # ranks 4 and 12 of 15: binomial 95%


@pytest.mark.parametrize("count", [1, 2, 5, 15, 16, 60, 61, 199])
def test_the_median_interval_ranks_are_binomial_quantiles(count: int) -> None:
    ordered = [float(v) for v in range(1, count + 1)]
    _, low, _ = verify.median_interval(ordered)
    rank = int(stats.binom.ppf(0.025, count, 0.5))
    assert low == ordered[max(rank - 1, 0)]
