"""A stream run's budget: the early stop of a hopeless stream (on a fake clock),
later passes only for the cells pass 0 left unsettled, a file with settled
cells read by summary, report and compare, and the estimate of what is left.
No wall-clock figure is asserted: the fake clock and the counts decide."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from results_factory import make_results, write_results
from test_stream import PERIOD, FakeClock, FakeWorker, ThreadClock

from interop_bench import cli
from interop_bench.stream import cell, schedule
from interop_bench.stream.budget import Budget
from interop_bench.stream.figures import summarize
from interop_bench.stream.pruning import Pruner
from interop_bench.stream.run import StreamRequest, StreamRun, settles

TESTS = Path(__file__).resolve().parent
STOP = schedule.EarlyStop(after_due=120)


def test_the_rule_counts_frames_sent_against_frames_due() -> None:
    assert not STOP.hopeless(sent=10, due=119)  # too few frames due to tell
    assert STOP.hopeless(sent=59, due=120)
    assert not STOP.hopeless(sent=60, due=120)  # half the rate is not yet hopeless


def slow_stream(cost_periods: int, frames: int = 1000, **costs: int) -> schedule.StreamOutcome:
    """A depth-1 stream on the fake clock whose frames cost `cost_periods` periods each."""
    clock = FakeClock()

    def call(index: int) -> None:
        clock.spend(costs.get(f"frame_{index}", cost_periods * PERIOD))

    return schedule.run(call, frames, PERIOD, 1, clock, early_stop=STOP)


def test_a_stream_three_times_too_slow_stops_once_120_frames_were_due() -> None:
    """Frame i starts at 3i periods: when frame 40 is due to start, 121 frames were due."""
    outcome = slow_stream(3)
    assert outcome.stopped == schedule.Stopped(sent=40, due=121)
    assert [f.index for f in outcome.frames] == list(range(40))
    assert outcome.unsent() == 81
    assert outcome.missed(PERIOD) == 40 + 81  # every frame sent was late, and the unsent


def test_a_stall_of_ten_periods_or_a_stream_under_the_rate_is_not_stopped() -> None:
    stalled = slow_stream(0, frames=400, frame_5=10 * PERIOD)
    assert stalled.stopped is None and len(stalled.frames) == 400
    # 1.5 periods a frame: two thirds of the rate, behind but not hopeless.
    clock = FakeClock()
    outcome = schedule.run(
        lambda i: clock.spend(3 * PERIOD // 2), 400, PERIOD, 1, clock, early_stop=STOP
    )
    assert outcome.stopped is None and len(outcome.frames) == 400


def test_a_pipelined_stream_stops_by_the_same_rule_and_collects_what_it_sent() -> None:
    worker = FakeWorker(ThreadClock(), 100_000, {i: 3 * PERIOD for i in range(1000)}, 100_000)
    outcome = schedule.run_pipelined(
        worker.submit, worker.collect, 1000, PERIOD, 2, clock=worker.clock, early_stop=STOP
    )
    assert outcome.stopped is not None
    assert outcome.stopped.due >= 120 and outcome.stopped.sent < outcome.stopped.due / 2
    assert worker.collected == list(range(outcome.stopped.sent))


def test_a_stopped_cell_records_the_frames_due_and_cannot_keep_up() -> None:
    spec = cell.CellSpec("s", "vga", 1e9 / PERIOD, 1, 1.0)  # 1,000 frames
    figures = cell.figures(spec, slow_stream(3), 0, None, None)
    assert figures["frames"] == 121 and figures["done"] == 40 and figures["unsent"] == 81
    assert figures["stopped"] == "stopped early: 40 of the 121 frames due were sent"
    stats = summarize([figures], spec.fps)
    assert stats["verdict"] == "cannot keep up"
    assert stats["missed_share"] == 1.0 and stats["missed_share_interval"] is None


def test_the_estimate_adds_each_process_start_up_and_what_a_cell_costs_around_it() -> None:
    budget = Budget()
    cells = [{"strategy": "a", "duration_s": 10.0}, {"strategy": "b", "duration_s": 10.0}]
    assert budget.seconds([cells]) == 2 * (10.0 + cell.WARMUP_S)  # start-up not yet known
    # A process of 30 s: a whole cell of 10 s took 12, a stopped one 3: 15 s of start-up.
    budget.note_process(30.0, [(10.0, 12.0, True), (10.0, 3.0, False)])
    assert budget.seconds([cells, cells[:1]]) == 3 * 12.0 + 3 * 15.0


def measured(resolution: str, depth: int, missed: int, achieved: float = 60.0) -> dict[str, Any]:
    return {
        "strategy": "s",
        "resolution": resolution,
        "fps": 60.0,
        "depth": depth,
        "status": "ok",
        "achieved_fps": achieved,
        "missed": missed,
        "frames": 1000,
    }


def test_depth_2_is_streamed_only_where_depth_1_did_not_carry_the_load() -> None:
    pruner = Pruner(deeper_if_needed=True)
    pruner.note(measured("1080p", 1, missed=3))
    assert pruner.reason(measured("1080p", 2, 0)) == (
        "not run: depth 1 carries it at 1080p 60 fps in pass 0 (3 of 1000 frames missed); "
        "a deeper pipeline is streamed where a shallower one does not"
    )
    pruner.note(measured("4k", 1, missed=50))  # misses 5%: depth 2 may carry it
    assert pruner.reason(measured("4k", 2, 0)) is None
    pruner.note(measured("720p", 1, missed=0, achieved=40.0))  # cannot keep up: no carry
    assert pruner.reason(measured("720p", 2, 0)) is None
    without = Pruner()
    without.note(measured("1080p", 1, missed=0))
    assert without.reason(measured("1080p", 2, 0)) is None


def test_pass_0_settles_a_cell_no_later_process_can_make_carry_but_never_the_floor() -> None:
    def one_process(strategy: str, missed: int) -> dict[str, Any]:
        process = {"missed": missed, "frames": 1000, "achieved_fps": 60.0}
        verdict = "carries it" if missed < 10 else f"misses {missed / 1000:.1%}"
        return {
            "strategy": strategy,
            "status": "ok",
            "processes": [process],
            "stats": {"verdict": verdict},
        }

    assert settles(one_process("tcp", 30), processes=3) == (
        "one process, settled in pass 0 (3.0% of its frames missed: the mean over 3 "
        "processes stays at 1% or more)"
    )
    assert settles(one_process("tcp", 29), processes=3) is None  # 3 processes may carry it
    assert settles(one_process("tcp", 20), processes=2) is not None
    assert settles(one_process("kernel", 500), processes=3) is None


@pytest.fixture(scope="module")
def streamed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    """A whole run of three passes through the measuring-process double: its
    document and what it said."""
    out = tmp_path_factory.mktemp("budget") / "stream.json"
    request = StreamRequest(
        ("capi", "pickle", "tcp", "json"), ("vga", "720p"), (30.0,), (1,), None, processes=3
    )
    said: list[str] = []
    ticks = iter(range(0, 10_000, 5))  # every reading of the run's clock is 5 s later
    run = StreamRun(
        request,
        out,
        said.append,
        clock=lambda: float(next(ticks)),
        command=[sys.executable, str(TESTS / "stream_process_double.py")],
    )
    assert run.run() == 0
    return json.loads(out.read_text()), said


def by_key(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["strategy"], c["resolution"]): c for c in document["cells"]}


def test_later_passes_stream_only_the_cells_pass_0_left_unsettled(
    streamed: tuple[dict[str, Any], list[str]],
) -> None:
    cells = by_key(streamed[0])
    for unsettled in [("kernel", "vga"), ("kernel", "720p"), ("capi", "vga"), ("pickle", "vga")]:
        assert [p["pass"] for p in cells[unsettled]["processes"]] == [0, 1, 2], unsettled
        assert "settled" not in cells[unsettled]
        assert cells[unsettled]["stats"]["missed_share_interval"] is not None
    slow = cells["pickle", "720p"]
    assert [p["pass"] for p in slow["processes"]] == [0]
    assert slow["stats"]["verdict"] == "cannot keep up"
    assert slow["settled"].startswith("one process, settled in pass 0 (")
    assert (
        slow["stats"]["missed_share_interval"] is None and slow["stats"]["p99_interval_ns"] is None
    )
    missing = cells["tcp", "vga"]
    assert [p["pass"] for p in missing["processes"]] == [0]
    assert missing["stats"]["verdict"].startswith("misses ")
    assert missing["stats"]["missed_share"] >= 0.03  # 3 processes x 1%: none can make it carry
    assert missing["settled"].endswith(
        "of its frames missed: the mean over 3 processes stays at 1% or more)"
    )
    hopeless = cells["json", "vga"]
    assert [p["pass"] for p in hopeless["processes"]] == [0]
    assert hopeless["processes"][0]["stopped"].startswith("stopped early: ")
    assert (
        hopeless["settled"]
        == f"one process, settled in pass 0 ({hopeless['processes'][0]['stopped']})"
    )
    pruned = cells["json", "720p"]
    assert pruned["status"] == "skipped"
    assert pruned["reason"].startswith("not run: it cannot keep up at vga 30 fps depth 1")
    # Every cell streamed 1,000 frames a process (the frames that resolve p99),
    # but the one stopped early.
    assert {c["duration_s"] for c in cells.values()} == {1000 / 30}
    assert cells["capi", "vga"]["processes"][0]["frames"] == 1000


def test_the_run_says_its_estimate_first_and_the_time_left_after_each_process(
    streamed: tuple[dict[str, Any], list[str]],
) -> None:
    said = streamed[1]
    # 10 cells (the kernel's two among them) of 1,000 frames at 30 fps, 3 passes.
    assert said[0].startswith("stream: 10 cells (0 refused without a run), 5 processes a pass")
    minutes = 10 * 3 * (1000 / 30 + cell.WARMUP_S) / 60
    assert f"up to 3 passes: about {minutes:.1f} min of frames + start-ups, measured" in said[0]
    left = [line for line in said if " left (" in line]
    assert len(left) == 5 + 3 + 3  # a line a process: pass 0 all five, then the unsettled three
    assert left[0].startswith("stream: pass 0, kernel done (1/5): 0.")
    assert " min so far, about " in left[0]
    assert re.search(r"about 0\.0 min left \(start-up \d\.\d s a process\)$", left[-1])


def test_summary_and_compare_read_settled_cells_as_one_process(
    streamed: tuple[dict[str, Any], list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "stream.json"
    path.write_text(json.dumps(streamed[0]))
    assert cli.main(["summary", str(path), "--format", "markdown"]) == 0
    rows = {
        tuple(part.strip() for part in line.split("|")[1:3]): line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| ")
    }
    assert "cannot keep up; one process, settled in pass 0 (" in rows["pickle", "720p"]
    assert "stopped early: " in rows["json", "vga"]
    assert "misses " in rows["tcp", "vga"] and "settled in pass 0 (" in rows["tcp", "vga"]
    assert "settled" not in rows["capi", "vga"]
    assert cli.main(["compare", str(path), str(path), "--format", "json"]) == 0
    verdicts = {
        (c["strategy"], c["resolution"]): c["verdict"]
        for c in json.loads(capsys.readouterr().out)["cells"]
    }
    for settled in [("pickle", "720p"), ("tcp", "vga")]:
        assert verdicts[settled] == "no change (neither carries it: both settled in pass 0)"
    assert verdicts["capi", "vga"] == "no change"


@pytest.mark.slow
def test_the_report_shows_a_settled_cell_as_one_process_and_says_why(
    streamed: tuple[dict[str, Any], list[str]], tmp_path: Path
) -> None:
    matrix = write_results(
        tmp_path / "run.json",
        make_results(strategies=("numpy", "capi"), ops=("sum",), sizes=(1, 1000), samples=12),
    )
    stream = tmp_path / "stream.json"
    stream.write_text(json.dumps(streamed[0]))
    out = tmp_path / "index.html"
    assert cli.main(["report", str(matrix), str(stream), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "cannot keep up (1 process)" in html
    assert "one process, settled in pass 0 (stopped early: " in html


def test_a_process_that_dies_in_pass_0_prunes_with_what_the_pass_measured_before(
    tmp_path: Path,
) -> None:
    """pipe cannot keep up at vga depth 1, then its process dies at depth 2: the
    heavier cells are skipped for both, the loss measured before the death too."""
    out = tmp_path / "stream.json"
    request = StreamRequest(
        ("pipe",), ("vga", "720p"), (30.0,), (1, 2), None, processes=1, deeper_if_needed=True
    )
    run = StreamRun(request, out, command=[sys.executable, str(TESTS / "stream_process_double.py")])
    assert run.run() == 0
    cells = {(c["resolution"], c["depth"]): c for c in json.loads(out.read_text())["cells"]}
    assert cells["vga", 1]["stats"]["verdict"] == "cannot keep up"
    assert cells["vga", 2]["reason"] == "pass 0: the measuring process died (exit 9)"
    assert cells["720p", 1]["status"] == "skipped"
    assert cells["720p", 1]["reason"].startswith("not run: it cannot keep up at vga 30 fps depth 1")
    assert cells["720p", 2]["status"] == "skipped"
    assert cells["720p", 2]["reason"].startswith("not run: it failed at vga 30 fps depth 2")
