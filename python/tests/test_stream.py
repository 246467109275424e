"""Streams: pacing and the latency rule on a fake clock, coordinated omission,
frames in flight never mixed up, bad flags, a failing strategy mid-stream.
No wall-clock figure is asserted: the fake clock decides the timing tests, and
the real-thread tests check results and counts only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interop_bench import cli, ops, strategies
from interop_bench.stream import schedule
from interop_bench.stream.pipelining import depth_limit

PERIOD = 1_000_000  # 1 ms: the fake clock's frame period
TESTS = Path(__file__).resolve().parent


class FakeClock:
    """Time moves only when the pacer sleeps or a call says what it costs."""

    def __init__(self) -> None:
        self.now = 0

    def now_ns(self) -> int:
        return self.now

    def sleep_until(self, deadline_ns: int) -> None:
        self.now = max(self.now, deadline_ns)

    def spend(self, ns: int) -> None:
        self.now += ns


def paced(costs: dict[int, int], frames: int = 40, **kwargs: int) -> schedule.StreamOutcome:
    """A depth-1 stream on the fake clock whose frame i costs costs.get(i, 100 µs)."""
    clock = FakeClock()
    return schedule.run(
        lambda i: clock.spend(costs.get(i, 100_000)), frames, PERIOD, 1, clock, **kwargs
    )


def test_each_frame_is_due_one_period_after_the_last_and_measured_from_then() -> None:
    outcome = paced({})
    assert [f.scheduled_ns for f in outcome.frames] == [i * PERIOD for i in range(40)]
    assert {f.latency_ns for f in outcome.frames} == {100_000}
    assert {f.start_lateness_ns for f in outcome.frames} == {0}
    assert outcome.missed(PERIOD) == 0 and not outcome.dropped


def test_a_stall_of_ten_periods_is_charged_to_every_frame_it_delays() -> None:
    """Coordinated omission: one call stalls for 10 periods; the 10 frames due
    meanwhile are late too (measured from when they were due), not only the one."""
    outcome = paced({5: 10 * PERIOD})
    late = [f.index for f in outcome.frames if f.latency_ns > PERIOD]
    assert late == list(range(5, 15))
    assert outcome.missed(PERIOD) == 10
    by_index = {f.index: f for f in outcome.frames}
    assert by_index[6].latency_ns == 9 * PERIOD + 100_000  # waited from its due time
    # The backlog drains 0.9 ms a frame: frame 15 ends on its deadline, 16 on time.
    assert by_index[15].latency_ns == PERIOD
    assert by_index[16].latency_ns == 100_000


def test_frames_that_waited_too_long_are_dropped_not_sent() -> None:
    outcome = paced({5: 10 * PERIOD}, drop_after_ns=3 * PERIOD)
    # Frame 5 ends at 15 ms: frames 6-11 are over 3 ms late by then and dropped;
    # 12, 13 and 14 are sent late and miss; 15 ends on its deadline.
    assert outcome.dropped == [6, 7, 8, 9, 10, 11]
    assert outcome.missed(PERIOD) == 1 + 6 + 3


def test_a_failing_call_ends_its_slot_with_the_error() -> None:
    clock = FakeClock()

    def call(index: int) -> None:
        if index == 3:
            raise ConnectionError("peer gone")
        clock.spend(10)

    outcome = schedule.run(call, 10, PERIOD, 1, clock)
    assert outcome.errors == ["frame 3: ConnectionError: peer gone"]
    assert len(outcome.frames) == 3


def _frames_through(name: str, depth: int, count: int = 24) -> dict[int, np.ndarray]:
    """`count` frames of vga through `name` at `depth`, as fast as they go; every result."""
    height, width = ops.RESOLUTIONS["vga"]
    images = [ops.make_frame(height, width, seed) for seed in range(3)]
    results: dict[int, np.ndarray] = {}
    with strategies.get(name) as strategy:
        placed = [strategy.prepare(image) for image in images]

        def call(index: int) -> None:
            results[index] = strategy.frame(placed[index % 3])

        outcome = schedule.run(call, count, 1, depth, schedule.MonotonicClock())
    assert not outcome.errors, outcome.errors
    expected = [ops.gray_reference(image) for image in images]
    for index, gray in results.items():
        assert np.array_equal(np.asarray(gray), expected[index % 3]), f"{name} frame {index}"
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", strategies.names())
def test_frames_in_flight_are_never_mixed_up(name: str) -> None:
    """Every frame checked bit for bit at the deepest depth the strategy streams at."""
    depth, _ = depth_limit(strategies.strategy_class(name))
    assert len(_frames_through(name, depth)) == 24


def test_depth_limits_say_why() -> None:
    for name in strategies.names():
        depth, why = depth_limit(strategies.strategy_class(name))
        assert depth in (1, 2)
        assert (why is None) == (depth == 2), name


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fps", "0"], "--fps '0': every value must be greater than 0"),
        (["--fps", "sixty"], "--fps 'sixty': a comma-separated list of numbers"),
        (["--depth", "0"], "--depth '0': every value must be greater than 0"),
        (["--resolutions", "16k"], "unknown resolution '16k'"),
        (["--strategies", "nope"], "unknown strategy 'nope'"),
        (["--duration", "1", "--processes", "1", "--fps", "30"], "too few to tell even p90"),
    ],
)
def test_bad_flags_exit_2_with_a_message(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["stream", *flags]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_a_strategy_failing_mid_stream_is_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    """Through the real command and its processes: the failing cell names its error,
    the next strategy's cells are measured, the file holds both."""
    out = tmp_path / "stream.json"
    env = dict(os.environ)
    env["INTEROP_BENCH_EXTRA_STRATEGIES"] = "frame-worker-dies=fake_strategies:FrameWorkerDies"
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "interop_bench", "stream", "--quiet", "--strategies"]
    command += ["frame-worker-dies,numpy", "--resolutions", "vga", "--fps", "50", "--depth", "1"]
    command += ["--duration", "1", "--processes", "2", "--out", str(out)]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert finished.returncode == 1, finished.stderr
    cells = {c["strategy"]: c for c in json.loads(out.read_text())["cells"]}
    assert cells["frame-worker-dies"]["status"] == "error"
    assert "its worker (pid 0) is gone" in cells["frame-worker-dies"]["reason"]
    assert cells["numpy"]["status"] == "ok"
    assert len(cells["numpy"]["processes"]) == 2
    assert cells["kernel"]["status"] == "ok"
    summary = subprocess.run(
        [sys.executable, "-m", "interop_bench", "summary", str(out), "--format", "markdown"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert summary.returncode == 0, summary.stderr
    rows = {line.split("|")[1].strip(): line for line in summary.stdout.splitlines()[2:]}
    assert "error: pass 0: warm-up frame 4: ConnectionError" in rows["frame-worker-dies"]
    assert rows["numpy"].rstrip(" |").endswith(("carries it", "%", "cannot keep up"))
