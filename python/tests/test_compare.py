"""`compare`: flags exactly the cells that got significantly and substantially slower,
on what reproduces (process medians), and says when the data cannot tell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli
from interop_bench.analysis.compare import Comparison, compare
from interop_bench.analysis.detectable import NONE_ABOVE, format_detectable
from interop_bench.analysis.load import Results, load
from interop_bench.arguments import threshold as parse_threshold

SLOW_CELL = ("ctypes", "sum", 1000)
SMALL = {
    "strategies": ["numpy", "ctypes", "pybind11"],
    "ops": ["sum", "scale"],
    "sizes": [1, 1000, 100_000],
}


def run(*args: object) -> int:
    return cli.main([str(a) for a in args])


def results(tmp_path: Path, name: str, **kwargs: object) -> Results:
    return load(write_results(tmp_path / name, make_results(**{**SMALL, **kwargs})))  # type: ignore[arg-type]


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return write_results(tmp_path / "old.json", make_results(**SMALL, seed=11))


def test_injected_slowdown_is_the_only_regression(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_results(
        tmp_path / "new.json", make_results(**SMALL, seed=12, slowdown={SLOW_CELL: 1.5})
    )
    assert run("compare", old, new, "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    flagged = [(c["strategy"], c["op"], c["size"]) for c in report["cells"] if c["regression"]]
    assert flagged == [SLOW_CELL]
    slow = next(c for c in report["cells"] if (c["strategy"], c["op"], c["size"]) == SLOW_CELL)
    assert slow["verdict"] == "slower" and 1.35 < slow["ratio"] < 1.65
    assert slow["ratio_low"] < slow["ratio"] < slow["ratio_high"]
    assert slow["processes"] == [5, 5]
    ctypes_row = next(s for s in report["strategies"] if s["strategy"] == "ctypes")
    assert ctypes_row["regressions"] == 1 and ctypes_row["geomean_ratio"] > 1.02


def test_report_only_exits_0_despite_a_regression(tmp_path: Path, old: Path) -> None:
    new = write_results(
        tmp_path / "new.json", make_results(**SMALL, seed=12, slowdown={SLOW_CELL: 2.0})
    )
    assert run("compare", old, new, "--report-only") == 0


def test_identical_files_exit_0(old: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("compare", old, old) == 0
    assert "no regression" in capsys.readouterr().out


def test_noise_alone_is_never_a_change(tmp_path: Path) -> None:
    # Same models, other seeds: 40 A/A pairs of 24 cells (and their floors). With
    # the false discovery rate at 1%, a flag in any of them would be a 1-in-100 event.
    flagged = 0
    for seed in range(40):
        first = results(tmp_path, f"a{seed}.json", seed=100 + seed)
        second = results(tmp_path, f"b{seed}.json", seed=200 + seed)
        comparison = compare(first, second, threshold=0.10, alpha=0.01)
        flagged += any(c.verdict in ("slower", "faster") for c in comparison.changes)
        assert not comparison.regressions
    assert flagged <= 1


def test_a_significant_change_within_the_threshold_is_no_regression(tmp_path: Path) -> None:
    quiet = {"process_sigma": 0.002, "speed_sigma": 0.001, "samples": 400}
    first = results(tmp_path, "old.json", seed=11, **quiet)
    second = results(tmp_path, "new.json", seed=12, slowdown={SLOW_CELL: 1.05}, **quiet)
    comparison = compare(first, second, threshold=0.10, alpha=0.01)
    slow = next(c for c in comparison.changes if (c.strategy, c.op, c.size) == SLOW_CELL)
    assert slow.verdict == "slower" and not slow.regression


def test_a_cell_the_data_cannot_resolve_is_noisy_not_unchanged(tmp_path: Path) -> None:
    loud = {"process_sigma": 0.2, "speed_sigma": 0.0}
    first = results(tmp_path, "old.json", seed=11, **loud)
    second = results(tmp_path, "new.json", seed=12, **loud)
    verdicts = {c.verdict for c in compare(first, second, threshold=0.10, alpha=0.01).changes}
    assert "noisy" in verdicts and "slower" not in verdicts


def test_too_few_processes_are_not_tested(tmp_path: Path) -> None:
    first = results(tmp_path, "old.json", seed=11, processes=2)
    second = results(tmp_path, "new.json", seed=12, processes=2, slowdown={SLOW_CELL: 3.0})
    comparison = compare(first, second, threshold=0.10, alpha=0.01)
    slow = next(c for c in comparison.changes if (c.strategy, c.op, c.size) == SLOW_CELL)
    assert slow.verdict.startswith("not enough processes (2 and 2")
    assert slow.p_value is None and not comparison.regressions
    assert 2.5 < (slow.ratio or 0) < 3.5  # the ratio is still shown


def test_a_version_1_file_is_compared_but_never_tested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = write_results(tmp_path / "v1.json", make_results(**SMALL, seed=11, schema_version=1))
    v2 = write_results(tmp_path / "v2.json", make_results(**SMALL, seed=12))
    assert run("compare", v1, v2, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    strategies = [c for c in report["cells"] if not c["floor"]]
    assert all(c["verdict"].startswith("not enough processes (1 and 5") for c in strategies)
    assert any("schema_version 1" in w for w in report["warnings"])


def test_a_cell_that_breaks_is_a_regression(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write_results(
        tmp_path / "new.json",
        make_results(**SMALL, seed=11, status={SLOW_CELL: ("incorrect", "sum differs")}),
    )
    assert run("compare", old, new) == 1
    assert "became incorrect" in capsys.readouterr().out


def test_a_cell_skipped_in_both_files_is_not_listed_as_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skipped = {("pybind11", "scale", 100_000): ("skipped", "over the cell budget")}
    both = [
        write_results(tmp_path / name, make_results(**SMALL, seed=11, status=skipped))
        for name in ("old.json", "new.json")
    ]
    assert run("compare", *both) == 0
    listed = capsys.readouterr().out.split("All cells")[0]
    assert "pybind11" not in listed.split("Significant changes")[-1], listed
    broke = write_results(
        tmp_path / "broke.json",
        make_results(**SMALL, seed=11, status={SLOW_CELL: ("skipped", "over the cell budget")}),
    )
    assert run("compare", both[0], broke) == 0
    assert "ok -> skipped" in capsys.readouterr().out.split("All cells")[0]


def test_more_instructions_per_call_are_a_regression(tmp_path: Path) -> None:
    first, second = make_results(**SMALL, seed=11), make_results(**SMALL, seed=11)
    for document, count in ((first, 1000.0), (second, 1030.0)):
        for cell in document["cells"]:
            cell["instructions"] = {"per_call": count if cell["strategy"] == "numpy" else 500.0}
    comparison = compare(
        load(write_results(tmp_path / "old.json", first)),
        load(write_results(tmp_path / "new.json", second)),
        threshold=0.10,
        alpha=0.01,
        instructions_threshold=0.02,
    )
    grown = {c.strategy for c in comparison.regressions}
    assert grown == {"numpy"}
    assert all(c.instructions_regression for c in comparison.regressions)


def test_a_moved_floor_warns_that_the_machine_changed(tmp_path: Path) -> None:
    quiet = {"process_sigma": 0.002, "speed_sigma": 0.001, "samples": 400}
    slow_floor = {("kernel", "sum", 100_000): 1.3}
    first = results(tmp_path, "old.json", seed=11, **quiet)
    second = results(tmp_path, "new.json", seed=12, slowdown=slow_floor, **quiet)
    comparison = compare(first, second, threshold=0.10, alpha=0.01)
    assert not comparison.regressions  # a floor is the machine, never a regression
    assert any("the machine itself changed" in w for w in comparison.warnings)


def test_other_schema_versions_exit_2_with_a_clear_message(
    tmp_path: Path, old: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    future = write_results(tmp_path / "future.json", make_results(**SMALL, schema_version=9))
    assert run("compare", old, future) == 2
    err = capsys.readouterr().err
    assert "schema_version 9" in err and "reads versions 1 and 2" in err


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
            seed=12,
            host="elsewhere",
        ),
    )
    assert run("compare", old, new, "--format", "markdown") == 0
    captured = capsys.readouterr()
    assert "DIFFERENT MACHINES" in captured.err and "DIFFERENT MACHINES" in captured.out
    assert "only in old: pybind11 sum 1" in captured.out
    assert captured.out.startswith("### interop-bench compare: ✅")


def test_a_different_machine_setup_is_warned_about(tmp_path: Path) -> None:
    first, second = make_results(**SMALL, seed=11), make_results(**SMALL, seed=12)
    second["environment"]["noise"]["start"]["thp_enabled"] = "always"
    comparison = compare(
        load(write_results(tmp_path / "old.json", first)),
        load(write_results(tmp_path / "new.json", second)),
        threshold=0.10,
        alpha=0.01,
    )
    assert any("thp_enabled 'madvise' vs 'always'" in w for w in comparison.warnings)


@pytest.mark.parametrize(("text", "value"), [("10%", 0.10), ("0.05", 0.05), ("2.5%", 0.025)])
def test_threshold_parsing(text: str, value: float) -> None:
    assert parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["10", "abc", "-5%", "150%"])
def test_threshold_refuses_ambiguous_values(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("compare", "a.json", "b.json", "--threshold", text)
    assert exit_info.value.code == 2
    assert "threshold" in capsys.readouterr().err


def test_the_releases_that_differ_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = []
    for seed, nanobind in ((11, "2.9.2"), (12, "3.1.0")):
        document = make_results(**SMALL, seed=seed)
        document["environment"]["versions"]["nanobind"] = nanobind
        documents.append(document)
    old, new = (
        write_results(tmp_path / f"{n}.json", d) for n, d in zip("ab", documents, strict=True)
    )
    assert run("compare", old, new) == 0
    assert "Releases that differ: nanobind 2.9.2 → 3.1.0\n" in capsys.readouterr().out
    assert run("compare", old, new, "--format", "json") == 0
    releases = json.loads(capsys.readouterr().out)["releases"]
    assert releases == [{"package": "nanobind", "old": "2.9.2", "new": "3.1.0"}]
    assert run("compare", old, old) == 0
    assert "Releases that differ" not in capsys.readouterr().out


PAIRED = {"strategies": ["numpy", "ctypes"], "ops": ["sum"], "sizes": [1, 1000]}


def paired(tmp_path: Path, name: str, **kwargs: object) -> Results:
    return load(write_results(tmp_path / name, make_results(**{**PAIRED, **kwargs})))  # type: ignore[arg-type]


def detectable(comparison: Comparison) -> dict[tuple[str, int], float]:
    return {
        (c.strategy, c.size): c.detectable for c in comparison.changes if c.detectable is not None
    }


def test_a_tighter_spread_gives_a_smaller_detectable_slowdown(tmp_path: Path) -> None:
    found = []
    for sigma in (0.01, 0.05):
        old = paired(tmp_path, f"old-{sigma}.json", seed=1, process_sigma=sigma)
        new = paired(tmp_path, f"new-{sigma}.json", seed=2, process_sigma=sigma)
        found.append(detectable(compare(old, new, threshold=0.1, alpha=0.01, paired=True)))
    tight, wide = found
    assert tight.keys() == wide.keys() == {(s, n) for s in ("numpy", "ctypes") for n in (1, 1000)}
    assert all(tight[key] < wide[key] for key in tight)


@pytest.mark.parametrize("cell", [("ctypes", 1000), ("numpy", 1)])
def test_a_slowdown_past_the_detectable_one_is_flagged(
    tmp_path: Path, cell: tuple[str, int]
) -> None:
    old = paired(tmp_path, "old.json", seed=1)
    same = paired(tmp_path, "same.json", seed=2)
    figure = detectable(compare(old, same, threshold=0.1, alpha=0.01, paired=True))[cell]
    assert figure > 0.1  # it includes the threshold
    name, size = cell
    # The same processes, each slowed a little more than the figure.
    slowed = paired(
        tmp_path, "slowed.json", seed=2, slowdown={(name, "sum", size): (1 + figure) * 1.01}
    )
    comparison = compare(old, slowed, threshold=0.1, alpha=0.01, paired=True)
    assert [(c.strategy, c.size) for c in comparison.regressions] == [cell]


def test_the_detectable_slowdown_is_printed_with_its_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write_results(tmp_path / "old.json", make_results(**PAIRED, seed=1))
    new = write_results(tmp_path / "new.json", make_results(**PAIRED, seed=2))
    for fmt in ("text", "markdown"):
        assert run("compare", old, new, "--format", fmt) == 0
        out = capsys.readouterr().out
        assert "Smallest detectable slowdown" in out and "detectable" in out.splitlines()[-1]
        assert "1 - alpha/N" in out
    assert run("compare", old, new, "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert "1 - alpha/N" in document["detectable_rule"]
    strategies = [c for c in document["cells"] if not c["floor"]]
    assert strategies and all(c["detectable"] >= 0 for c in strategies)
    assert all(c["detectable"] is None for c in document["cells"] if c["floor"])


def test_a_detectable_slowdown_past_tenfold_is_printed_as_none() -> None:
    """An interval reaching near zero gives figures such as +12,108,220,753%: the
    gate sees nothing there, and the table says so."""
    assert format_detectable(0.25) == "+25.0%"
    assert format_detectable(NONE_ABOVE) == "+900.0%"
    assert format_detectable(121_082_207.53) == "none (over 10x)"
