"""compare on two stream files: p99 and missed share against each run's own
spread across processes; a stream file against a matrix file is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from results_factory import make_results, write_results
from stream_factory import make_stream, write_stream

from interop_bench import cli

STRATEGIES = ("capi", "shm", "tcp")


def stream(**kwargs: Any) -> dict[str, Any]:
    return make_stream(strategies=STRATEGIES, resolutions=("1080p",), fps=(30.0,), **kwargs)


def verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: dict[str, Any], new: dict[str, Any]
) -> tuple[int, dict[str, str]]:
    paths = [write_stream(tmp_path / f"{n}.json", d) for n, d in (("old", old), ("new", new))]
    status = cli.main(["compare", *map(str, paths), "--format", "json"])
    found = json.loads(capsys.readouterr().out)
    return status, {c["strategy"]: c["verdict"] for c in found["cells"]}


def test_two_runs_of_the_same_streams_flag_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, found = verdicts(tmp_path, capsys, stream(seed=0), stream(seed=1))
    assert status == 0
    assert not any(v.startswith("regression") for v in found.values()), found


def test_a_slower_strategy_is_a_regression_of_its_p99(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, found = verdicts(
        tmp_path, capsys, stream(seed=0), stream(seed=1, slowdown={"shm": 3.0})
    )
    assert status == 1
    assert found["shm"] == "regression: p99"
    assert not found["capi"].startswith("regression")


def test_a_stream_that_misses_frames_now_regresses_on_its_missed_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # tcp at 12 times its time: 72 ms a frame against a 33 ms period, every frame late
    status, found = verdicts(
        tmp_path, capsys, stream(seed=0), stream(seed=1, slowdown={"tcp": 12.0})
    )
    assert status == 1
    assert found["tcp"] == "regression: p99 and missed share"


def test_a_change_inside_the_run_to_run_spread_is_no_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = stream(seed=0)
    new = copy.deepcopy(old)
    for cell in new["cells"]:
        if cell["strategy"] == "shm":
            stats = cell["stats"]
            p99 = stats["percentiles_ns"]["p99"]
            # 30% slower, but with an interval that still reaches the old one
            stats["percentiles_ns"]["p99"] = 1.3 * p99
            stats["p99_interval_ns"] = [1.3 * p99, 0.9 * p99, 2.0 * p99]
            stats["missed_share"] = 0.02
            stats["missed_share_interval"] = [0.02, 0.0, 0.05]
            stats["verdict"] = "misses 2.0%"
    status, found = verdicts(tmp_path, capsys, old, new)
    assert status == 0
    assert found["shm"] == "no change (the carry verdict flips inside the spread)"


@pytest.mark.parametrize("processes", [1, 2])
def test_fewer_than_three_processes_are_not_tested(
    processes: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = stream(processes=processes)
    new = stream(processes=processes, seed=1, slowdown={"shm": 5.0})
    status, found = verdicts(tmp_path, capsys, old, new)
    assert status == 0
    assert found["shm"] == "not tested (no spread: fewer than 3 processes)"


def test_short_processes_test_the_missed_share_but_not_the_p99(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 10 s at 30 fps: 300 frames a process, too few for its own p99; tcp at 12
    # times its time misses every frame.
    old = stream(duration_s=10.0)
    new = stream(duration_s=10.0, seed=1, slowdown={"tcp": 12.0})
    status, found = verdicts(tmp_path, capsys, old, new)
    assert status == 1
    assert found["tcp"] == "regression: missed share; p99 not tested: too few frames a process"
    assert found["capi"] == "no change; p99 not tested: too few frames a process"


def test_a_cell_that_now_fails_is_a_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = stream()
    new = copy.deepcopy(old)
    broken = next(c for c in new["cells"] if c["strategy"] == "tcp")
    broken.update(status="error", reason="pass 0: the peer died", processes=[], stats=None)
    status, found = verdicts(tmp_path, capsys, old, new)
    assert status == 1 and found["tcp"] == "regression: now error"


def test_the_text_table_names_both_files_and_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [write_stream(tmp_path / f"{n}.json", stream(seed=i)) for i, n in enumerate("ab")]
    assert cli.main(["compare", *map(str, paths)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("stream comparison a -> b: 4 cells, 0 regressions")
    assert "p99" in text and "missed" in text


def test_a_matrix_file_against_a_stream_file_is_refused_naming_the_kinds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix = write_results(tmp_path / "stream-looking.json", make_results(samples=8))
    streamed = write_stream(tmp_path / "results.json", stream())
    assert cli.main(["compare", str(matrix), str(streamed)]) == 2
    error = capsys.readouterr().err
    assert (
        "a matrix results file" in error and "a stream file (kind 'interop-bench stream')" in error
    )


def test_a_missed_share_that_moves_inside_the_spread_is_no_flip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = stream(seed=0)
    new = copy.deepcopy(old)
    for document, share in ((old, 0.015), (new, 0.016)):
        for cell in document["cells"]:
            if cell["strategy"] == "shm":
                stats = cell["stats"]
                stats["missed_share"] = share
                stats["missed_share_interval"] = [share, 0.0, 0.03]
                stats["verdict"] = f"misses {share:.1%}"
    status, found = verdicts(tmp_path, capsys, old, new)
    assert status == 0
    assert found["shm"] == "no change"
