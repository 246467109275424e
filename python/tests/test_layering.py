"""The one-way data flow, enforced: kernels <- strategies <- runner -> results file
-> report / compare. Reading results must never need the measuring code."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from interop_bench import cli, strategies
from interop_bench.runner import selection_flags

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


PACKAGE_DIR = Path(__file__).resolve().parents[1] / "interop_bench"
COMMAND_MODULES = sorted(p.stem for p in PACKAGE_DIR.glob("*_command.py"))


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, a `from package import name` as package.name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("command", COMMAND_MODULES)
def test_no_command_module_imports_another(command: str) -> None:
    """A command parses its arguments and calls library code; what two commands
    share lives in the library (or interop_bench.arguments), not in a command."""
    others = {f"interop_bench.{name}" for name in COMMAND_MODULES} - {f"interop_bench.{command}"}
    assert _imported_modules(PACKAGE_DIR / f"{command}.py") & others == set()


def test_tests_use_no_private_helper_of_a_command_module() -> None:
    reached = []
    for test_file in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id.endswith("_command")
                and node.attr.startswith("_")
            ):
                reached.append(f"{test_file.name}:{node.lineno} {node.value.id}.{node.attr}")
    assert reached == []


@pytest.mark.parametrize("command", ["run", "ab", "aa"])
def test_run_ab_and_aa_build_the_request_of_every_selection_flag_alike(command: str) -> None:
    """One way to build a run's Request: every selection flag of `run` means the
    same to ab and aa (aa hands them to its runs as `run` flags)."""
    selection = ["--strategies", "numpy,capi", "--ops", "sum", "--dtypes", "uint8"]
    selection += ["--sizes", "1,1e3", "--profile", "quick", "--processes", "4", "--seed", "7"]
    selection += ["--cell-budget", "2.5", "--no-instructions", "--placement", "same-core"]
    head = {"ab": ["ab", "--baseline", "HEAD"], "aa": ["aa"], "run": ["run"]}[command]
    args = cli.build_parser().parse_args([*head, *selection])
    built = selection_flags.request(args, strategies.names())
    assert built == selection_flags.request(
        cli.build_parser().parse_args(["run", *selection]), strategies.names()
    )
    assert (built.seed, built.profile.cell_budget_s, built.process_count) == (7, 2.5, 4)
    assert built.placement.name == "same-core"
    assert (built.strategies, built.dtypes, built.instructions) == (
        ("numpy", "capi"),
        ("uint8",),
        False,
    )
    if command == "aa":
        again = cli.build_parser().parse_args(["run", *selection_flags.run_flags(args)])
        assert selection_flags.request(again, strategies.names()) == built
