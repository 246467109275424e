"""`stream --best-of RESULTS`: the classic ctypes recipe and the best strategy of
each family for frames in a matrix results file (stream/choice.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli, ops, strategies
from interop_bench.stream import choice
from interop_bench.stream.flags import request_of
from interop_bench.stream.run import StreamRequest, refusal

FULL_HD = ops.RESOLUTIONS["1080p"][0] * ops.RESOLUTIONS["1080p"][1] * 3
FOUR_K = ops.RESOLUTIONS["4k"][0] * ops.RESOLUTIONS["4k"][1] * 3
FRAMERS = ["ctypes", "capi", "pybind11", "shm", "pipe", "tcp", "grpc", "json"]


def _document(slowdown: dict[tuple[str, str, int], float] | None = None) -> dict:
    return make_results(
        strategies=FRAMERS, ops=["frame"], frame_sizes=[FULL_HD, FOUR_K], slowdown=slowdown
    )


def _medians(document: dict, size: int) -> dict[str, float]:
    return {
        c["strategy"]: c["stats"]["median_ns"]
        for c in document["cells"]
        if c["op"] == "frame" and c["size"] == size
    }


def test_the_best_of_each_family_is_the_least_median_at_the_resolution() -> None:
    document = _document()
    medians = _medians(document, FULL_HD)
    families = {n: document["strategies"][n]["family"] for n in FRAMERS}
    expected = {
        family: min((n for n in FRAMERS if families[n] == family), key=medians.__getitem__)
        for family in set(families.values())
    }
    chosen = choice.best_of_families(document, "1080p", set(FRAMERS))
    assert chosen[0] == "ctypes"
    without_ctypes = make_results(
        strategies=FRAMERS[1:], ops=["frame"], frame_sizes=[FULL_HD, FOUR_K]
    )
    assert "ctypes" not in choice.best_of_families(without_ctypes, "1080p", set(FRAMERS))
    assert set(chosen) == {"ctypes", *expected.values()}
    assert len(chosen) == len(set(chosen))


def test_a_slower_strategy_loses_its_family_and_another_resolution_falls_back() -> None:
    slowed = _document(
        {(n, "frame", size): 50.0 for n in ("ctypes", "capi") for size in (FULL_HD, FOUR_K)}
    )
    assert "pybind11" not in choice.best_of_families(_document(), "1080p", set(FRAMERS))
    assert "pybind11" in choice.best_of_families(slowed, "1080p", set(FRAMERS))
    # 720p was not measured: the largest resolution the file has decides.
    assert "pybind11" in choice.best_of_families(slowed, "720p", set(FRAMERS))


def test_a_file_without_frames_leaves_nothing_to_stream_and_a_missing_one_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_frames = write_results(tmp_path / "sums.json", make_results(strategies=["ctypes"]))
    out = tmp_path / "stream.json"
    assert cli.main(["stream", "--best-of", str(no_frames), "--out", str(out)]) == 0
    assert "no measured frame cell: nothing to stream" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["stream", "--best-of", str(tmp_path / "missing.json")]) == 2
    assert "cannot read results file" in capsys.readouterr().err


def test_best_of_and_strategies_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["stream", "--best-of", "x.json", "--strategies", "ctypes"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_every_registered_framer_is_eligible() -> None:
    assert set(FRAMERS) <= set(strategies.names())


def test_a_matrix_median_over_its_periods_skips_the_cell_with_the_evidence() -> None:
    request = StreamRequest(
        ("ctypes", "numpy"),
        ("1080p",),
        (60.0,),
        (1, 2),
        1.0,
        2,
        matrix_medians=(("numpy", "1080p", 20.4e6), ("ctypes", "1080p", 1.5e6)),
        matrix_file="run.json",
    )
    cells = {(c["strategy"], c["depth"]): c for c in request.cells()}
    assert refusal(cells["ctypes", 1], request) is None
    assert refusal(cells["numpy", 1], request) == (
        "not run: its median frame time in run.json is 20.4 ms, over 1 period(s) of "
        "16.7 ms at 60 fps: it cannot keep up"
    )
    # Two frames in flight can hide up to two periods: 20.4 ms is not over 33.3.
    assert refusal(cells["numpy", 2], request) is None


def test_best_of_carries_the_files_frame_medians_into_the_request(tmp_path: Path) -> None:
    path = write_results(tmp_path / "run.json", _document())
    args = cli.build_parser().parse_args(
        ["stream", "--best-of", str(path), "--resolutions", "1080p"]
    )
    request = request_of(args)
    assert request.matrix_file == "run.json"
    medians = {(s, r): m for s, r, m in request.matrix_medians}
    assert set(s for s, _ in medians) == set(request.strategies)
    assert medians["ctypes", "1080p"] == _medians(_document(), FULL_HD)["ctypes"]
