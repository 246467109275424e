"""The engine measures the truth: it agrees with timeit, never times a wrong
answer, records failures, and its results file matches the schema."""

from __future__ import annotations

import dataclasses
import time
import timeit
from pathlib import Path
from statistics import median

import numpy as np
import pytest
from test_runner_support import TINY, cell, run_in_process

from interop_bench import ops
from interop_bench.runner import results
from interop_bench.strategies.numpy import NumpyStrategy

TIMEIT_BAND = (0.8, 1.25)
# Longer than TINY so that a burst of load from a neighbour cannot cover a
# whole measurement: ~200 samples of ~0.2 ms, like timeit's repeats below.
STEADY = dataclasses.replace(TINY, max_samples=200, sample_target_ns=200_000, ci_relative=0.001)


def engine_and_timeit_ratios(tmp_path: Path, size: int, pairs: int) -> list[float]:
    """The engine's median over timeit's, both of numpy's sum at `size`, measured
    back to back `pairs` times so that both see the same machine state."""
    strategy = NumpyStrategy()
    a = ops.make_input("sum", size)
    timer = timeit.Timer("sum(a)", globals={"sum": strategy.sum, "a": a})
    # timeit's own repeats, each ~0.2 ms like an engine sample, and their median:
    # on a shared machine a long repeat absorbs every preemption, a median does not.
    number = max(1, timer.autorange()[0] // 1000)
    ratios = []
    for pair in range(pairs):
        path = tmp_path / f"timeit-{pair}.json"
        document = run_in_process(path, ("numpy",), ("sum",), (size,), profile=STEADY)
        engine_ns = cell(document, "numpy", "sum", size)["stats"]["median_ns"]  # type: ignore[index]
        timeit_ns = median(timer.repeat(repeat=201, number=number)) / number * 1e9
        ratios.append(float(engine_ns / timeit_ns))
    return ratios


def test_engine_median_agrees_with_timeit(tmp_path: Path) -> None:
    # The median of five back-to-back pairs: one noisy window cannot decide.
    ratios = engine_and_timeit_ratios(tmp_path, 100_000, pairs=5)
    assert TIMEIT_BAND[0] <= median(ratios) <= TIMEIT_BAND[1], ratios


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
    assert wrong["stats"] is None and wrong["samples_ns"] == []
    assert CountingWrongSum.calls == 1  # the check, and nothing else
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
    results.check(document)


class Sleepy(NumpyStrategy):
    """50 ms a call: over a tiny cell budget, so checked once and skipped."""

    name = "sleepy"
    calls = 0

    def sum(self, a: np.ndarray) -> float:
        type(self).calls += 1
        time.sleep(0.05)
        return float(a.sum())


def test_a_strategy_over_the_budget_is_checked_once_then_skipped(tmp_path: Path) -> None:
    Sleepy.calls = 0
    document = run_in_process(
        tmp_path / "slow.json", ("sleepy",), ("sum",), (10, 100), factories={"sleepy": Sleepy}
    )
    first, second = cell(document, "sleepy", "sum", 10), cell(document, "sleepy", "sum", 100)
    assert first["status"] == second["status"] == "skipped"
    assert "answer checked, not timed" in str(first["reason"])
    assert "over the cell budget" in str(first["reason"])
    assert "a smaller size (10) was already skipped" in str(second["reason"])
    assert Sleepy.calls == 1
    results.check(document)


def test_ok_cells_carry_stats_samples_memory_and_phases(tmp_path: Path) -> None:
    document = run_in_process(
        tmp_path / "ok.json",
        ("phased",),
        ("square", "matrix_sum"),
        (1, 300),
        factories={"phased": Phased},
    )
    results.check(document)
    assert len(document["cells"]) == 4
    for record in document["cells"]:
        assert record["status"] == "ok", record["reason"]
        stats = record["stats"]
        assert stats["samples"] == len(record["samples_ns"]) >= 1
        assert stats["min_ns"] <= stats["ci_low_ns"] <= stats["median_ns"] <= stats["ci_high_ns"]
        assert stats["stop_reason"] in ("ci", "budget", "max_samples")
        assert stats["overhead_ns"] is None  # no floors in this test
        expected_rate = record["bytes"] * 1e9 / stats["median_ns"]
        assert stats["throughput_bytes_per_s"] == pytest.approx(expected_rate)
        assert list(record["phases_ns"]) == ["encode", "kernel"]  # call order
        assert record["phases_ns"] == {"encode": 100.0, "kernel": 300.0}
        assert record["memory_note"]
    square = cell(document, "phased", "square", 1)["stats"]
    assert square["calls_per_sample"] > 1  # many fresh copies per sample at 8 bytes


def test_results_file_on_disk_is_the_document(tmp_path: Path) -> None:
    path = tmp_path / "disk.json"
    document = run_in_process(path, ("numpy",), ("sum",), (10,))
    loaded = results.load(path, validate=True)
    assert loaded["cells"] == document["cells"]
    assert loaded["request"]["profile"] == TINY.name
    assert [p.name for p in tmp_path.iterdir()] == ["disk.json"]  # no temporary left


def test_results_file_is_readable_by_others_as_open_would_make_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    reference = tmp_path / "by-open.json"
    reference.write_text("{}")
    results.write_atomic(path, {"schema_version": 1})
    assert path.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_load_refuses_other_schema_versions(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    path.write_text('{"schema_version": 2}')
    with pytest.raises(results.ResultsError, match="schema_version 2"):
        results.load(path)
    path.write_text("[1, 2]")
    with pytest.raises(results.ResultsError, match="not a results file"):
        results.load(path)
