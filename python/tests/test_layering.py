"""The one-way data flow, enforced: kernels <- strategies <- runner -> results file
-> report / compare. Reading results must never need the measuring code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from interop_bench import cli

# What the readers are: the report, compare, summary and export, as the CLI runs them.
READERS = (
    "interop_bench.report.render",
    "interop_bench.report_command",
    "interop_bench.compare_command",
    "interop_bench.summary_command",
    "interop_bench.export_command",
    "interop_bench.analysis.calibration",
)
FORBIDDEN = ("interop_bench.runner", "interop_bench.strategies", "interop_bench._native")
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "results" / "reference"


def test_reading_results_loads_no_runner_strategy_or_native_module() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {READERS!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("reference", sorted(REFERENCE_DIR.glob("*.json")), ids=lambda p: p.name)
def test_committed_reference_runs_load_validate_and_render(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As Google Benchmark tests its compare tool on committed real outputs: a
    change to the format or the readers that breaks an old file fails here."""
    from interop_bench import results_file  # noqa: PLC0415 - after the import check above

    results_file.check(results_file.load(reference))
    out = tmp_path / "report.html"
    assert cli.main(["report", str(reference), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<section id="verdict">' in html and "<svg" in html
    capsys.readouterr()
    assert cli.main(["summary", str(reference), "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("### interop-bench summary")
    assert cli.main(["compare", str(reference), str(reference), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["regressions"] == 0
