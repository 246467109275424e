"""Streams: pacing and the latency rule on a fake clock, coordinated omission,
frames in flight never mixed up, bad flags, a failing strategy mid-stream.
No wall-clock figure is asserted: the fake clock decides the timing tests, and
the real-thread tests check results and counts only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from interop_bench import cli, ops, strategies
from interop_bench.stream import cell, schedule
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


class ThreadClock:
    """A fake clock kept per thread, for the pipelined stream's two threads: a
    thread's time moves only when it sleeps or spends, and the scheduler passes
    time along where one thread waits for the other (a freed place)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def now_ns(self) -> int:
        now: int = getattr(self._local, "now", 0)
        return now

    def sleep_until(self, deadline_ns: int) -> None:
        self._local.now = max(self.now_ns(), deadline_ns)

    def spend(self, ns: int) -> None:
        self._local.now = self.now_ns() + ns


class FakeWorker:
    """A pipelined strategy double on a ThreadClock: a submit costs the caller
    `submit_ns`, the worker takes one frame at a time (frame i costs it
    worker_ns.get(i, default)), and a collect waits for the answer, then costs
    `collect_ns` (the copy out). A frame's answer exists only once it was
    submitted: a collect of any other ticket, or out of order, fails."""

    def __init__(
        self, clock: ThreadClock, submit_ns: int, worker_ns: dict[int, int], collect_ns: int
    ) -> None:
        self.clock = clock
        self.submit_ns, self.worker_ns, self.collect_ns = submit_ns, worker_ns, collect_ns
        self.free_at_ns = 0  # when the worker finishes its last frame
        self.answers: dict[int, int] = {}  # ticket -> when its answer is ready
        self.collected: list[int] = []

    def submit(self, index: int) -> int:
        self.clock.spend(self.submit_ns)
        start = max(self.clock.now_ns(), self.free_at_ns)
        self.free_at_ns = start + self.worker_ns.get(index, 100_000)
        self.answers[index] = self.free_at_ns
        return index

    def collect(self, index: int, ticket: object) -> None:
        assert ticket == index and ticket == min(self.answers), "collected out of order"
        self.clock.sleep_until(self.answers.pop(index))
        self.clock.spend(self.collect_ns)
        self.collected.append(index)


def pipelined(
    worker: FakeWorker, depth: int, frames: int = 40, **kwargs: int
) -> schedule.StreamOutcome:
    return schedule.run_pipelined(
        worker.submit, worker.collect, frames, PERIOD, depth, clock=worker.clock, **kwargs
    )


def test_double_buffering_overlaps_the_callers_side_with_the_workers() -> None:
    """Submit 0.4 ms, worker 0.5 ms, collect 0.3 ms: 1.2 ms a frame in series, so at
    depth 1 each frame starts 0.2 ms later than the last (the backlog grows); at
    depth 2 the three overlap and every frame takes 1.2 ms from its due time."""

    def costs() -> FakeWorker:
        return FakeWorker(ThreadClock(), 400_000, {i: 500_000 for i in range(40)}, 300_000)

    serial = costs()
    outcome = pipelined(serial, 1)
    assert [f.latency_ns for f in outcome.frames] == [1_200_000 + 200_000 * i for i in range(40)]
    assert serial.collected == list(range(40))
    double = costs()
    outcome = pipelined(double, 2)
    assert {f.latency_ns for f in outcome.frames} == {1_200_000}
    assert [f.start_lateness_ns for f in outcome.frames] == [0] * 40
    assert double.collected == list(range(40))


def test_a_pipelined_stall_is_charged_to_every_frame_it_delays() -> None:
    """Frame 5 keeps the worker 10 periods: the frames due meanwhile are measured
    from their due time, also those that waited for a free place to be submitted."""
    worker = FakeWorker(ThreadClock(), 100_000, {5: 10 * PERIOD}, 100_000)
    outcome = pipelined(worker, 2)
    by_index = {f.index: f for f in outcome.frames}
    assert by_index[5].latency_ns == 10 * PERIOD + 200_000
    assert by_index[6].latency_ns == 9 * PERIOD + 300_000  # submitted on time, then queued
    # Frame 7 found both places taken until frame 5 was collected at 15.2 ms.
    assert by_index[7].start_lateness_ns == 8 * PERIOD + 200_000
    assert by_index[7].latency_ns == 8 * PERIOD + 500_000
    assert {f.index for f in outcome.frames if f.latency_ns > PERIOD} >= set(range(5, 15))
    assert outcome.missed(PERIOD) >= 10


def test_pipelined_frames_that_waited_too_long_are_dropped() -> None:
    worker = FakeWorker(ThreadClock(), 100_000, {5: 10 * PERIOD}, 100_000)
    outcome = pipelined(worker, 2, drop_after_ns=3 * PERIOD)
    assert outcome.dropped and min(outcome.dropped) == 7
    assert worker.collected == sorted(set(range(40)) - set(outcome.dropped))


@pytest.mark.parametrize("side", ["submit", "collect"])
def test_a_failing_submit_or_collect_ends_the_pipelined_stream(side: str) -> None:
    worker = FakeWorker(ThreadClock(), 10, {}, 10)
    failing = getattr(worker, side)

    def fails_at_3(index: int, *ticket: object) -> object:
        if index == 3:
            raise ConnectionError("worker gone")
        return failing(index, *ticket)

    submit = fails_at_3 if side == "submit" else worker.submit
    collect = fails_at_3 if side == "collect" else worker.collect
    outcome = schedule.run_pipelined(submit, collect, 40, PERIOD, 2, clock=worker.clock)
    assert outcome.errors == ["frame 3: ConnectionError: worker gone"]
    assert [f.index for f in outcome.frames] == [0, 1, 2]


def _frames_through(name: str, depth: int, count: int = 24) -> dict[int, np.ndarray]:
    """`count` frames of vga through `name` at `depth`, as fast as they go, the way
    a stream cell sends them (pipelined where the strategy splits its call); every result."""
    height, width = ops.RESOLUTIONS["vga"]
    images = [ops.make_frame(height, width, seed) for seed in range(3)]
    results: dict[int, np.ndarray] = {}
    with strategies.get(name) as strategy:
        placed = [strategy.prepare(image) for image in images]
        outcome, _ = cell.run_frames(
            strategy,
            placed,
            count,
            1,
            depth,
            clock=schedule.MonotonicClock(),
            keep=results.__setitem__,
        )
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


def test_the_cross_process_strategies_that_split_their_call_stream_at_depth_2() -> None:
    pipelined = {"shm", "shm-futex", "shm-copy", "mp-shm", "pipe", "uds", "tcp"}
    pipelined |= {"zmq", "zmq-copy", "zmq-tcp", "zmq-tcp-plain", "grpc-stream", "arrow-flight"}
    for name in pipelined:
        assert depth_limit(strategies.strategy_class(name)) == (2, None), name


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
    # Two processes, or one if a loaded machine made numpy miss enough in pass 0 to settle it.
    assert len(cells["numpy"]["processes"]) == (1 if "settled" in cells["numpy"] else 2)
    # What the caller held resident while streaming: at least its input frames.
    assert cells["numpy"]["stats"]["peak_resident_bytes"] > 640 * 480 * 3
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
    verdict = rows["numpy"].rstrip(" |").split("|")[-1].strip()  # then why it was settled, if so
    assert re.fullmatch(r"(carries it|misses [\d.]+%|cannot keep up)(; one process, .*)?", verdict)
