"""`export --format github-action-benchmark`: the customSmallerIsBetter list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli
from interop_bench import results_file as results_io


def test_one_entry_per_measured_cell(tmp_path: Path) -> None:
    document = make_results(
        strategies=["numpy", "ctypes"],
        ops=["sum"],
        sizes=[1, 1000],
        status={("ctypes", "sum", 1): ("error", "boom")},
    )
    path = write_results(tmp_path / "run.json", document)
    out = tmp_path / "out" / "bench.json"
    assert (
        cli.main(["export", "--format", "github-action-benchmark", str(path), "-o", str(out)]) == 0
    )
    entries = json.loads(out.read_text())
    assert [e["name"] for e in entries] == ["numpy sum 1", "numpy sum 1000", "ctypes sum 1000"]
    medians = {
        (c["strategy"], c["size"]): c["stats"]["median_ns"] for c in document["cells"] if c["stats"]
    }
    for entry in entries:
        assert set(entry) <= {"name", "unit", "value", "range", "extra"}
        assert entry["unit"] == "ns"
        strategy, _, size = entry["name"].split()
        assert entry["value"] == pytest.approx(medians[(strategy, int(size))], abs=1e-3)
        assert entry["range"].startswith("± ")


def test_factory_output_matches_the_results_schema() -> None:
    # The synthetic files the report/compare/export tests read are valid results files.
    results_io.check(make_results(samples=10))
    skipped = {("numpy", "sum", 1): ("skipped", "over the time budget")}
    results_io.check(make_results(strategies=["numpy"], floors=False, status=skipped))
    results_io.check(make_results(samples=10, schema_version=1))  # old files, for the readers
    results_io.check(make_results(strategies=["numpy"], status=skipped, schema_version=1))


def test_stdout_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_results(
        tmp_path / "run.json", make_results(strategies=["numpy"], ops=["sum"], sizes=[8])
    )
    assert cli.main(["export", "--format", "github-action-benchmark", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "numpy sum 8"
    wrong = write_results(tmp_path / "v0.json", make_results(schema_version=0))
    assert cli.main(["export", "--format", "github-action-benchmark", str(wrong)]) == 2
    assert "schema_version 0" in capsys.readouterr().err
