"""The start-up of a strategy whose first calls compile code (runner/startup.py):
measured once per run in a fresh interpreter, recorded in the results file's
`strategies` block, valid under the schema, shown by `summary` and the report.
No figure is compared with a duration: only what was measured and where it goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import results_factory

from interop_bench import ops, results_file, strategies
from interop_bench.analysis import startup as startup_text
from interop_bench.analysis import summary
from interop_bench.analysis.load import load
from interop_bench.report import environment
from interop_bench.runner import startup, strategy_facts

pytestmark = pytest.mark.slow

FIGURES: dict[str, Any] = {
    "elements": 1,
    "open_ns": 583_000_000,
    "first_calls_ns": {op: [9_000_000, 8_000_000, 40_000, 1_400, 900] for op in ops.OPS},
}


def test_only_strategies_that_compile_at_first_call_measure_it() -> None:
    measuring = [n for n in strategies.names() if strategies.strategy_class(n).measures_startup]
    assert measuring == ["cppyy"]


@pytest.fixture(scope="module")
def cppyy_facts() -> dict[str, Any]:
    return strategy_facts.collect(("cppyy", "capi"))


def test_a_cold_start_times_open_and_the_first_calls_of_every_op(
    cppyy_facts: dict[str, Any],
) -> None:
    figures = cppyy_facts["cppyy"]["startup"]
    assert "error" not in figures, figures
    assert figures["elements"] == startup.ELEMENTS
    assert figures["open_ns"] > 0
    assert set(figures["first_calls_ns"]) == set(ops.VECTOR_OPS)
    for times in figures["first_calls_ns"].values():
        assert len(times) == startup.FIRST_CALLS and all(ns > 0 for ns in times)
    assert "startup" not in cppyy_facts["capi"]


def test_a_strategy_that_cannot_start_is_an_error_not_a_failed_run() -> None:
    figures = startup.measure("no-such-strategy")
    assert set(figures) == {"error"}
    assert "no-such-strategy" in figures["error"]


def _document_with(figures: dict[str, Any]) -> dict[str, Any]:
    document = results_factory.make_results(strategies=("capi",), ops=("sum",), sizes=(1,))
    document["strategies"]["capi"]["startup"] = figures
    return document


@pytest.mark.parametrize("figures", [FIGURES, {"error": "the start-up of x took too long"}])
def test_startup_figures_match_the_schema(figures: dict[str, Any]) -> None:
    results_file.check(_document_with(figures))


@pytest.mark.parametrize(
    "broken",
    [
        {"open_ns": 1, "first_calls_ns": {}},  # no elements
        FIGURES | {"first_calls_ns": {"sort": [1]}},  # not an op
        FIGURES | {"open_ns": -1},
    ],
)
def test_broken_startup_figures_break_the_schema(broken: dict[str, Any]) -> None:
    with pytest.raises(results_file.ResultsError, match="startup"):
        results_file.check(_document_with(broken))


def test_summary_and_report_say_the_startup(tmp_path: Path) -> None:
    path = results_factory.write_results(tmp_path / "run.json", _document_with(FIGURES))
    results = load(path)
    expected = startup_text.describe(FIGURES)
    assert expected.startswith("open 583 ms; first 5 calls on 1 element: sum 9 ms, 8 ms, 40 µs")
    assert f"capi: {expected}" in summary.render(results, "text")
    table = dict(environment.rows([results]))
    assert table["start-up (once per process, not in the cells)"] == [f"capi: {expected}"]


def test_a_file_without_startup_says_none_was_measured(tmp_path: Path) -> None:
    document = results_factory.make_results(strategies=("capi",), ops=("sum",), sizes=(1,))
    results = load(results_factory.write_results(tmp_path / "run.json", document))
    assert "start-up" not in summary.render(results, "text")
    assert startup_text.lines(results) == []
