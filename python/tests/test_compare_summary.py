"""`summary`: the strategies of one run ranked per op (the Markdown CI prints)."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli
from interop_bench.analysis.load import load
from interop_bench.analysis.ranking import rank


def test_ranking_follows_the_models(tmp_path: Path) -> None:
    path = write_results(tmp_path / "run.json", make_results(ops=["sum"], samples=30))
    (op,) = rank(load(path))
    assert (op.small_size, op.large_size) == (1, 10_000_000)
    by_name = {row.strategy: row for row in op.rows}
    assert by_name["capi"].small_rank == 1  # the smallest modelled overhead
    assert by_name["json"].large_rank == len(op.rows)  # the lowest modelled bandwidth
    assert [row.large_rank for row in op.rows] == list(range(1, len(op.rows) + 1))


def test_markdown_output_and_missing_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = make_results(
        strategies=["numpy", "json"],
        ops=["sum"],
        sizes=[1, 1_000_000],
        status={("json", "sum", 1_000_000): ("skipped", "over the time budget")},
    )
    path = write_results(tmp_path / "run.json", document)
    assert cli.main(["summary", str(path), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### interop-bench summary")
    assert "| 1 | numpy |" in out
    assert "skipped: over the time budget" in out


def test_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["summary", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
