"""`compare`: flags exactly the cells that got significantly and substantially slower."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli
from interop_bench.analysis.compare import compare
from interop_bench.analysis.load import load
from interop_bench.compare_command import parse_threshold

SLOW_CELL = ("ctypes", "sum", 1000)
SMALL = {
    "strategies": ["numpy", "ctypes", "pybind11"],
    "ops": ["sum", "scale"],
    "sizes": [1, 1000, 100_000],
}


def run(*args: object) -> int:
    return cli.main([str(a) for a in args])


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return write_results(tmp_path / "old.json", make_results(**SMALL, samples=200, seed=11))


def test_injected_slowdown_is_the_only_regression(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_results(
        tmp_path / "new.json",
        make_results(**SMALL, samples=200, seed=12, slowdown={SLOW_CELL: 2.0}),
    )
    assert run("compare", old, new, "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    flagged = [(c["strategy"], c["op"], c["size"]) for c in report["cells"] if c["regression"]]
    assert flagged == [SLOW_CELL]
    slow = next(c for c in report["cells"] if (c["strategy"], c["op"], c["size"]) == SLOW_CELL)
    assert slow["verdict"] == "slower" and 1.8 < slow["ratio"] < 2.2
    ctypes_row = next(s for s in report["strategies"] if s["strategy"] == "ctypes")
    assert ctypes_row["regressions"] == 1 and ctypes_row["geomean_ratio"] > 1.05


def test_report_only_exits_0_despite_a_regression(tmp_path: Path, old: Path) -> None:
    new = write_results(
        tmp_path / "new.json", make_results(**SMALL, seed=12, slowdown={SLOW_CELL: 2.0})
    )
    assert run("compare", old, new, "--report-only") == 0


def test_identical_files_exit_0(old: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("compare", old, old) == 0
    assert "no regression" in capsys.readouterr().out


def test_noise_alone_is_not_significant(tmp_path: Path, old: Path) -> None:
    # Same distributions, other seed: fixed seeds make this deterministic.
    new = write_results(tmp_path / "new.json", make_results(**SMALL, samples=200, seed=13))
    comparison = compare(load(old), load(new), threshold=0.10, alpha=0.01)
    assert {c.verdict for c in comparison.changes} == {"not significant"}
    assert not comparison.regressions


def test_small_significant_change_within_threshold_is_no_regression(
    tmp_path: Path, old: Path
) -> None:
    new = write_results(
        tmp_path / "new.json",
        make_results(**SMALL, samples=200, seed=11, slowdown={SLOW_CELL: 1.05}),
    )
    comparison = compare(load(old), load(new), threshold=0.10, alpha=0.01)
    slow = next(c for c in comparison.changes if (c.strategy, c.op, c.size) == SLOW_CELL)
    assert slow.verdict == "slower" and not slow.regression


def test_a_cell_that_breaks_is_a_regression(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_results(
        tmp_path / "new.json",
        make_results(
            **SMALL, samples=200, seed=11, status={SLOW_CELL: ("incorrect", "sum differs")}
        ),
    )
    assert run("compare", old, new) == 1
    assert "became incorrect" in capsys.readouterr().out


def test_wrong_schema_version_exits_2_with_a_clear_message(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    future = write_results(tmp_path / "future.json", make_results(**SMALL, schema_version=2))
    assert run("compare", old, future) == 2
    err = capsys.readouterr().err
    assert "schema_version 2" in err and "reads version 1" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "is not JSON"),
        ("[1, 2]", "not a results file"),
    ],
)
def test_unreadable_input_exits_2(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert run("compare", old, bad) == 2
    assert message in capsys.readouterr().err


def test_cells_in_one_file_and_other_machine_are_reported(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_results(
        tmp_path / "new.json",
        make_results(
            strategies=["numpy", "ctypes"],
            ops=["sum", "scale"],
            sizes=[1, 1000, 100_000],
            samples=200,
            seed=12,
            host="elsewhere",
        ),
    )
    assert run("compare", old, new, "--format", "markdown") == 0
    captured = capsys.readouterr()
    assert "DIFFERENT MACHINES" in captured.err and "DIFFERENT MACHINES" in captured.out
    assert "only in old: pybind11 sum 1" in captured.out
    assert captured.out.startswith("### interop-bench compare: ✅")


@pytest.mark.parametrize(("text", "value"), [("10%", 0.10), ("0.05", 0.05), ("2.5%", 0.025)])
def test_threshold_parsing(text: str, value: float) -> None:
    assert parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["10", "abc", "-5%", "150%"])
def test_threshold_refuses_ambiguous_values(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("compare", "a.json", "b.json", "--threshold", text)
    assert exit_info.value.code == 2
    assert "threshold" in capsys.readouterr().err
