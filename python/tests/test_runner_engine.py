"""The engine measures what the clock says, never times a wrong answer, records
failures, puts the floors in the same rounds, and its results file matches the schema.

Timing is checked against a fake clock that the strategy doubles advance by a
known amount per call, so no test here depends on the machine's speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from runner_helpers import TINY, cell, run_in_process

from interop_bench import results_file
from interop_bench.analysis.compare import compare
from interop_bench.analysis.load import load
from interop_bench.runner import cell as cell_module
from interop_bench.runner import engine, environment, plan, timing, workload
from interop_bench.strategies.numpy import NumpyStrategy

CALL_NS = 1000  # what one call of a Ticking strategy costs on the fake clock


class FakeClock:
    """perf_counter_ns that only moves when read (1 ns) or when a call advances it."""

    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        self.ns += 1
        return self.ns


CLOCK = FakeClock()


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    for module in (timing, workload, environment, engine, cell_module):
        monkeypatch.setattr(module, "perf_counter_ns", CLOCK)
    yield CLOCK


class Ticking(NumpyStrategy):
    """Every call costs exactly CALL_NS on the fake clock."""

    name = "ticking"

    def sum(self, a: np.ndarray) -> float:
        CLOCK.ns += CALL_NS
        return float(a.sum())


def test_the_engine_reports_what_the_clock_says(tmp_path: Path, fake_clock: FakeClock) -> None:
    document = run_in_process(
        tmp_path / "clock.json", ("ticking",), ("sum",), (100,), factories={"ticking": Ticking}
    )
    record = cell(document, "ticking", "sum", 100)
    assert record["status"] == "ok", record["reason"]
    stats = record["stats"]
    assert isinstance(stats, dict)
    # A sample of k calls reads k * CALL_NS plus one clock reading; the empty loop
    # costs next to nothing on this clock.
    assert stats["median_ns"] == pytest.approx(CALL_NS, abs=0.5)
    assert stats["ci_low_ns"] <= stats["median_ns"] <= stats["ci_high_ns"]
    assert stats["processes"] == TINY.processes
    assert stats["interval"] == "processes"
    assert [p["pass"] for p in record["processes"]] == list(range(TINY.processes))  # type: ignore[union-attr]
    assert stats["throughput_bytes_per_s"] == pytest.approx(800 * 1e9 / stats["median_ns"])


def test_an_injected_slowdown_is_measured_and_compare_flags_it(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    """The whole chain on a known effect: samples 25% slower by a busy wait, the
    file says so, and compare finds exactly that cell (the fake clock has no
    noise, so nothing else can move)."""
    factories = {"ticking": Ticking}
    plain_path, slowed_path = tmp_path / "plain.json", tmp_path / "slowed.json"
    run_in_process(plain_path, ("ticking",), ("sum",), (100, 1000), factories=factories)
    slowed = run_in_process(
        slowed_path, ("ticking",), ("sum",), (100, 1000), factories=factories,
        slowdown={"ticking": 0.25},
    )  # fmt: skip
    assert slowed["request"]["inject_slowdown"] == {"ticking": 0.25}
    comparison = compare(load(plain_path), load(slowed_path), threshold=0.10, alpha=0.01)
    assert [(c.strategy, c.size) for c in comparison.regressions] == [
        ("ticking", 100),
        ("ticking", 1000),
    ]
    for change in comparison.regressions:
        assert change.ratio == pytest.approx(1.25, rel=0.01)
    assert any("validation run" in w for w in comparison.warnings)


class CountingWrongSum(NumpyStrategy):
    """Off by one: must be reported incorrect after exactly one call."""

    name = "wrong-sum"
    calls = 0

    def sum(self, a: np.ndarray) -> float:
        type(self).calls += 1
        return float(a.sum()) + 1.0


class InputScribbler(NumpyStrategy):
    """Right answer, but writes into the caller's read-only input."""

    name = "scribbler"

    def sum(self, a: np.ndarray) -> float:
        total = float(a.sum())
        a[0] = 42.0
        return total


class Raising(NumpyStrategy):
    name = "raising"

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        raise ValueError("no scaling today")


class Unopenable(NumpyStrategy):
    name = "unopenable"

    def _open(self) -> None:
        raise RuntimeError("native module missing")


class Phased(NumpyStrategy):
    name = "phased"
    phase_names = ("encode", "kernel")

    def call_with_phases(self, op: str, *args: object) -> tuple[object, dict[str, int]]:
        return getattr(self, op)(*args), {"kernel": 300, "encode": 100}


def test_wrong_strategies_are_reported_and_never_timed(tmp_path: Path) -> None:
    CountingWrongSum.calls = 0
    factories = {
        "wrong-sum": CountingWrongSum,
        "scribbler": InputScribbler,
        "raising": Raising,
        "unopenable": Unopenable,
        "numpy": NumpyStrategy,
    }
    document = run_in_process(
        tmp_path / "wrong.json",
        tuple(factories),
        ("sum", "scale"),
        (1000,),
        factories=factories,
    )
    wrong = cell(document, "wrong-sum", "sum", 1000)
    assert wrong["status"] == "incorrect"
    assert "NumPy says" in str(wrong["reason"])
    assert wrong["stats"] is None and wrong["samples_ns"] == [] and wrong["processes"] == []
    assert CountingWrongSum.calls == 1  # the check of pass 0, and nothing else in any pass
    assert cell(document, "wrong-sum", "scale", 1000)["status"] == "ok"
    scribbled = cell(document, "scribbler", "sum", 1000)
    assert scribbled["status"] == "incorrect"
    assert "modified its input" in str(scribbled["reason"])
    raised = cell(document, "raising", "scale", 1000)
    assert (raised["status"], raised["reason"]) == ("error", "ValueError: no scaling today")
    for op in ("sum", "scale"):
        unopened = cell(document, "unopenable", op, 1000)
        assert unopened["status"] == "error"
        assert "native module missing" in str(unopened["reason"])
        # The strategy measured after the scribbler still got the right input.
        assert cell(document, "numpy", op, 1000)["status"] == "ok"
    assert document["complete"] is True
    results_file.check(document)


class Slow(NumpyStrategy):
    """Ten fake seconds a call: over any cell budget, so checked once and skipped."""

    name = "slow"
    calls = 0

    def sum(self, a: np.ndarray) -> float:
        type(self).calls += 1
        CLOCK.ns += 10_000_000_000
        return float(a.sum())


def test_a_strategy_over_the_budget_is_checked_once_then_skipped(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    Slow.calls = 0
    document = run_in_process(
        tmp_path / "slow.json", ("slow",), ("sum",), (10, 100), factories={"slow": Slow}
    )
    first, second = cell(document, "slow", "sum", 10), cell(document, "slow", "sum", 100)
    assert first["status"] == second["status"] == "skipped"
    assert "answer checked, not timed" in str(first["reason"])
    assert "over the cell budget" in str(first["reason"])
    assert "a smaller size (10) was already skipped" in str(second["reason"])
    assert Slow.calls == 1
    results_file.check(document)


# TINY's cap is 0.6 s and a cell without phases makes 7 minimum calls: a call
# fits the budget at up to ~86 ms, and a checked call up to ~257 ms (REPEAT_BAND)
# is repeated warm before the cell is judged.
COLD_NS = 200_000_000


class ColdFirst(NumpyStrategy):
    """The first call at each size in a process is cold (COLD_NS), the others
    cost CALL_NS: as a fresh buffer's page faults or a worker's first wake-up."""

    name = "cold-first"

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[int] = set()

    def sum(self, a: np.ndarray) -> float:
        CLOCK.ns += CALL_NS if a.size in self._seen else COLD_NS
        self._seen.add(a.size)
        return float(a.sum())


class Sluggish(NumpyStrategy):
    """COLD_NS every call, warm or not: over the budget however it is judged."""

    name = "sluggish"
    calls = 0

    def sum(self, a: np.ndarray) -> float:
        type(self).calls += 1
        CLOCK.ns += COLD_NS
        return float(a.sum())


def test_a_slow_cold_checked_call_does_not_skip_a_cell_that_is_fast_warm(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    document = run_in_process(
        tmp_path / "cold.json",
        ("cold-first",),
        ("sum",),
        (10, 100),
        factories={"cold-first": ColdFirst},
    )
    for size in (10, 100):
        record = cell(document, "cold-first", "sum", size)
        assert record["status"] == "ok", record["reason"]
        assert len(record["processes"]) == TINY.processes  # type: ignore[arg-type]


def test_a_cell_slow_warm_is_skipped_in_pass_0_and_never_called_again(
    tmp_path: Path, fake_clock: FakeClock
) -> None:
    Sluggish.calls = 0
    document = run_in_process(
        tmp_path / "sluggish.json",
        ("sluggish",),
        ("sum",),
        (10, 100),
        factories={"sluggish": Sluggish},
    )
    first, second = cell(document, "sluggish", "sum", 10), cell(document, "sluggish", "sum", 100)
    assert first["status"] == second["status"] == "skipped"
    assert f"the checked call and {plan.REPEAT_CALLS} warm repeat(s)" in str(first["reason"])
    assert "a smaller size (10) was already skipped" in str(second["reason"])
    # The check and its repeats in pass 0; no later pass and no larger size calls it.
    assert Sluggish.calls == 1 + plan.REPEAT_CALLS


def test_ok_cells_carry_processes_stats_memory_and_phases(tmp_path: Path) -> None:
    document = run_in_process(
        tmp_path / "ok.json",
        ("phased",),
        ("square", "matrix_sum"),
        (1, 300),
        factories={"phased": Phased},
    )
    results_file.check(document)
    assert len(document["cells"]) == 4
    for record in document["cells"]:
        assert record["status"] == "ok", record["reason"]
        stats = record["stats"]
        processes = record["processes"]
        assert stats["samples"] == len(record["samples_ns"]) == sum(p["samples"] for p in processes)
        assert stats["processes"] == len(processes) == TINY.processes
        assert stats["ci_low_ns"] <= stats["median_ns"] <= stats["ci_high_ns"]
        for process in processes:
            assert sum(r["samples"] for r in process["rounds"]) == process["samples"]
            assert process["stop_reason"] in ("ci", "budget", "max_samples")
        assert stats["overhead_ns"] is None and stats["kernel_ratio"] is None  # no floors
        expected_rate = record["bytes"] * 1e9 / stats["median_ns"]
        assert stats["throughput_bytes_per_s"] == pytest.approx(expected_rate)
        assert list(record["phases_ns"]) == ["encode", "kernel"]  # call order
        assert record["phases_ns"] == {"encode": 100.0, "kernel": 300.0}
        assert record["memory_note"]
    assert [launch["pass"] for launch in document["passes"]] == list(range(TINY.processes))
    square = cell(document, "phased", "square", 1)["processes"]
    assert all(p["calls_per_sample"] > 1 for p in square)  # type: ignore[union-attr]


def test_the_floors_are_turns_of_the_same_rounds(tmp_path: Path) -> None:
    document = run_in_process(
        tmp_path / "floors.json", ("numpy",), ("sum", "scale"), (1000,), with_floors=True
    )
    results_file.check(document)
    names = {(c["strategy"], c["op"]) for c in document["cells"]}
    assert names == {
        ("numpy", "sum"),
        ("numpy", "scale"),
        ("kernel", "sum"),
        ("kernel", "scale"),
        ("read-probe", "sum"),  # the probes are turns of the first op's groups
        ("memcpy-probe", "sum"),
    }
    for record in document["cells"]:
        assert record["status"] == "ok", record["reason"]
        assert len(record["processes"]) == TINY.processes
    numpy_sum = cell(document, "numpy", "sum", 1000)["stats"]
    assert isinstance(numpy_sum, dict)
    assert numpy_sum["kernel_ratio_ci_low"] <= numpy_sum["kernel_ratio"]
    assert numpy_sum["kernel_ratio"] <= numpy_sum["kernel_ratio_ci_high"]
    kernel = cell(document, "kernel", "sum", 1000)["stats"]
    assert isinstance(kernel, dict)
    assert numpy_sum["overhead_ns"] == pytest.approx(numpy_sum["median_ns"] - kernel["median_ns"])


def test_results_file_on_disk_is_the_document(tmp_path: Path) -> None:
    path = tmp_path / "disk.json"
    document = run_in_process(path, ("numpy",), ("sum",), (10,))
    loaded = results_file.load(path, validate=True)
    assert loaded["cells"] == document["cells"]
    assert loaded["request"]["profile"] == TINY.name
    assert [p.name for p in tmp_path.iterdir()] == ["disk.json"]  # no temporary, no pass file


def test_results_file_is_readable_by_others_as_open_would_make_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    reference = tmp_path / "by-open.json"
    reference.write_text("{}")
    results_file.write_atomic(path, {"schema_version": 2})
    assert path.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_load_refuses_other_schema_versions(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    path.write_text('{"schema_version": 3}')
    with pytest.raises(results_file.ResultsError, match="schema_version 3"):
        results_file.load(path)
    path.write_text("[1, 2]")
    with pytest.raises(results_file.ResultsError, match="not a results file"):
        results_file.load(path)
