"""`interop-bench ab-stream`: both sides stream the same cells in alternating
passes, settle a cell only where both settle it, and are compared as two stream
files; bad input is refused before any build (exit 2).

The alternation and the settling are tested on the measuring-process double
(stream_process_double.py: a fake clock, modelled strategies, one of them made
faster on the baseline's side); the command itself on a "baseline" that is this
checkout's own interpreter, prepared as a built baseline would be (test_ab.py's
way). No wall-clock figure is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from built_baseline import baseline_without, fake_built_baseline

from interop_bench import ab_stream_command, cli
from interop_bench.analysis.stream_compare import compare_streams
from interop_bench.runner import baseline
from interop_bench.stream.files import StreamFile
from interop_bench.stream.run import StreamRequest, StreamRun, alternate, settle_on_all

TESTS = Path(__file__).resolve().parent
REPOSITORY = TESTS.parents[1]
DOUBLE = [sys.executable, str(TESTS / "stream_process_double.py")]


def test_a_cell_stays_settled_only_where_every_side_settled_it() -> None:
    ours = {"a": {"settled": "x"}, "b": {"settled": "x"}, "c": {}, "d": {}}
    theirs = {"a": {"settled": "y"}, "b": {}, "c": {}, "d": {"settled": "y"}}
    assert settle_on_all([ours, theirs]) == 2
    assert ours == {"a": {"settled": "x"}, "b": {}, "c": {}, "d": {}}
    assert theirs == {"a": {"settled": "y"}, "b": {}, "c": {}, "d": {}}


def _recorded(run_pass: Callable[[int], int], label: str, order: list[Any]) -> Callable[[int], int]:
    def recorded(index: int) -> int:
        order.append((label, index))
        return run_pass(index)

    return recorded


@pytest.fixture(scope="module")
def alternated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[StreamRun], list[Any]]:
    """Both sides on the double: tcp carries vga at 30 fps on the baseline's side (10
    ms a 1080p frame) and misses ~6% on this checkout's (150 ms), which pass 0
    settles there alone."""
    folder = tmp_path_factory.mktemp("ab-stream")
    request = StreamRequest(("capi", "tcp"), ("vga",), (30.0,), (1,), None, processes=3)
    sides = [
        StreamRun(request, folder / "baseline.json", command=[*DOUBLE, "tcp=10"]),
        StreamRun(request, folder / "current.json", command=DOUBLE),
    ]
    order: list[Any] = []
    for label, side in zip(("old", "new"), sides, strict=True):
        side.run_pass = _recorded(side.run_pass, label, order)  # type: ignore[method-assign]
    said: list[str] = []
    assert alternate(sides, request.processes, said.append) == 0
    assert said == ["1 cells settled on one side only: both stream them on"]
    return sides, order


def test_the_sides_alternate_and_neither_is_always_first(
    alternated: tuple[list[StreamRun], list[Any]],
) -> None:
    assert alternated[1] == [("old", 0), ("new", 0), ("new", 1), ("old", 1), ("old", 2), ("new", 2)]


def test_a_cell_settled_on_one_side_is_streamed_on_both_and_its_change_found(
    alternated: tuple[list[StreamRun], list[Any]],
) -> None:
    sides = alternated[0]
    for side in sides:
        assert side.document["complete"] is True
        tcp = side.cells["tcp", "vga", 30.0, 1]
        assert [p["pass"] for p in tcp["processes"]] == [0, 1, 2]
        assert "settled" not in tcp
    files = [StreamFile(s.path, s.path.stem, json.loads(s.path.read_text())) for s in sides]
    verdicts = {c.strategy: c.verdict for c in compare_streams(*files, threshold=0.1).changes}
    assert verdicts["tcp"].startswith("regression: ") and "missed share" in verdicts["tcp"]
    assert verdicts["capi"] == "no change"  # one model, one seed per pass: the same frames


def test_bad_flags_exit_2_before_any_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # not a checkout: a flag checked after the lookup would say so
    for flags, message in (
        (["--processes", "2"], "--processes must be at least 3"),
        (["--fps", "0"], "every value must be greater than 0"),
        (["--resolutions", "16k"], "unknown resolution '16k'"),
        (["--strategies", "no-such"], "unknown strategy 'no-such'"),
    ):
        out = tmp_path / "out"
        status = cli.main(["ab-stream", "--baseline", "HEAD", *flags, "--out-dir", str(out)])
        assert status == 2
        assert message in capsys.readouterr().err
        assert not out.exists()


def test_a_baseline_that_predates_streams_is_refused(tmp_path: Path) -> None:
    old = baseline_without(tmp_path, "interop_bench.stream")
    with pytest.raises(baseline.BaselineError, match="predates streams"):
        old.check_module(ab_stream_command.MEASURING_MODULE, "streams (`interop-bench stream`)")


def _head() -> str | None:
    done = subprocess.run(
        ["git", "-C", str(REPOSITORY), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.mark.slow
@pytest.mark.skipif(_head() is None, reason="not a git checkout")
def test_ab_stream_streams_both_sides_and_prints_the_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commit = str(_head())
    fake_built_baseline(tmp_path / "ab", commit)
    monkeypatch.chdir(REPOSITORY)
    out = tmp_path / "out"
    status = cli.main(
        ["ab-stream", "--baseline", "HEAD", "--strategies", "numpy", "--resolutions", "vga",
         "--fps", "30", "--depth", "1", "--duration", "1.2", "--quiet", "--format", "json",
         "--ab-dir", str(tmp_path / "ab"), "--out-dir", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status in (0, 1), captured.err  # one interpreter on both sides: no build, no error
    printed = json.loads(captured.out)
    assert printed["kind"] == "stream" and printed["old"] == f"baseline {commit[:12]}"
    documents = [json.loads((out / name).read_text()) for name in ("baseline.json", "current.json")]
    for document in documents:
        assert document["complete"] is True
        assert {c["strategy"] for c in document["cells"]} == {"kernel", "numpy"}
    cells = [{c["strategy"]: c for c in d["cells"]} for d in documents]
    for name in ("kernel", "numpy"):
        # The same passes of the same cells on both sides.
        passes = [[p["pass"] for p in side[name]["processes"]] for side in cells]
        assert passes[0] == passes[1], name
