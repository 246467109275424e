"""One stream cell in one process: a strategy, a resolution, a rate, a depth.

Frames come from a small ring of distinct images (so a result given to the
wrong frame is caught), are sent by stream/schedule.py for the cell's
duration after a short warm-up stream, and a sample of the results (kept by
reference, checked after the stream so the check costs no frame its time) is
compared bit for bit with NumPy's gray image. At depth 2 a strategy that
splits its call into submit and collect is driven that way
(schedule.run_pipelined), any other by two calling threads. Latencies go into an HDR
histogram (HdrHistogram's algorithm, 3 significant digits); so do the
pacer's start lateness, the floor of what any strategy could show here.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from hdrh.histogram import HdrHistogram

from interop_bench import ops
from interop_bench.runner import memory
from interop_bench.strategies import Strategy
from interop_bench.stream import schedule

IMAGES = 3  # distinct frames in the ring: neighbours in flight never share one
CHECKED_FRAMES = 16  # results kept and checked after the stream
WARMUP_S = 0.5  # a paced warm-up stream, unrecorded: page faults, a worker's first frames
# A stream that sent under half of its frames due once 120 were due (2 s at 60
# fps) cannot keep up: it ends there, its frames so far recorded
# (schedule.EarlyStop). The warm-up ends by the same rule once all its frames
# were due, so a strategy that takes seconds a frame costs seconds, not minutes.
EARLY_STOP = schedule.EarlyStop(after_due=120)
# Latencies from 1 µs to 100 s at 3 significant digits (0.1% resolution).
HISTOGRAM_RANGE_NS = (1_000, 100_000_000_000)
HISTOGRAM_DIGITS = 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(*HISTOGRAM_RANGE_NS, HISTOGRAM_DIGITS)


def encode(histogram: HdrHistogram) -> str:
    """A histogram as text for a JSON file (HdrHistogram's compressed encoding)."""
    encoded: bytes = histogram.encode()
    return base64.b64encode(encoded).decode("ascii")


@dataclass(frozen=True)
class CellSpec:
    strategy: str
    resolution: str
    fps: float
    depth: int
    duration_s: float

    @property
    def period_ns(self) -> int:
        return round(1e9 / self.fps)

    @property
    def frames(self) -> int:
        return max(1, round(self.duration_s * self.fps))


def _cpu_ns_of(pid: int) -> int:
    """User + system CPU time of another process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _workers_cpu_ns(strategy: Strategy) -> int | None:
    pids = strategy.worker_pids()
    if not pids:
        return None
    try:
        return sum(_cpu_ns_of(pid) for pid in pids)
    except OSError:
        return None


class _Frames:
    """The ring of input frames, placed for the strategy, and their answers."""

    def __init__(self, strategy: Strategy, resolution: str, seed: int) -> None:
        height, width = ops.RESOLUTIONS[resolution]
        images = [ops.make_frame(height, width, seed + n) for n in range(IMAGES)]
        self.expected = [ops.gray_reference(image) for image in images]
        self.placed = [strategy.prepare(image) for image in images]
        self.kept: dict[int, Any] = {}

    def check(self) -> str | None:
        """Why a kept result is wrong, or None."""
        for index, gray in sorted(self.kept.items()):
            if not np.array_equal(np.asarray(gray), self.expected[index % IMAGES]):
                return (
                    f"frame {index}: its gray image differs from NumPy's (a result given to "
                    "the wrong frame, or overwritten after it was returned)"
                )
        return None


def run_frames(
    strategy: Strategy,
    inputs: Sequence[Any],
    count: int,
    period_ns: int,
    depth: int,
    *,
    clock: schedule.Clock,
    keep: Callable[[int, Any], None] = lambda index, gray: None,
    early_stop: schedule.EarlyStop | None = None,
) -> tuple[schedule.StreamOutcome, int]:
    """`count` frames (frame i is inputs[i % len(inputs)]) through `strategy` at
    `depth`: submitted and collected (schedule.run_pipelined) where the strategy
    splits its call and depth > 1, else through `depth` calling threads. Each
    result goes to `keep(index, gray)`. The outcome and the CPU time the calls
    (or submits and collects) took on their threads."""
    cpu_ns: list[int] = []  # each call's, submit's or collect's CPU time on its thread

    def timed(work: Callable[[], Any]) -> Any:
        cpu_before = time.thread_time_ns()
        result = work()
        cpu_ns.append(time.thread_time_ns() - cpu_before)
        return result

    rounds = len(inputs)
    if depth > 1 and getattr(strategy, "frames_in_flight", 1) >= depth:
        submit, collect = strategy.frame_submit, strategy.frame_collect

        def submit_frame(index: int) -> int:
            ticket: int = timed(lambda: submit(inputs[index % rounds]))
            return ticket

        def collect_frame(index: int, ticket: object) -> None:
            keep(index, timed(lambda: collect(cast(int, ticket))))

        outcome = schedule.run_pipelined(
            submit_frame, collect_frame, count, period_ns, depth, clock=clock, early_stop=early_stop
        )
    else:
        frame = strategy.frame

        def call(index: int) -> None:
            keep(index, timed(lambda: frame(inputs[index % rounds])))

        outcome = schedule.run(call, count, period_ns, depth, clock, early_stop=early_stop)
    return outcome, sum(cpu_ns)


def measure(strategy: Strategy, spec: CellSpec, seed: int) -> dict[str, Any]:
    """The record of one cell in this process (status ok, incorrect or error)."""
    frames = _Frames(strategy, spec.resolution, seed)
    keep_every = max(1, spec.frames // CHECKED_FRAMES)

    def keep(index: int, gray: Any) -> None:
        if index % keep_every == 0 or index == spec.frames - 1:
            frames.kept[index] = gray

    clock = schedule.MonotonicClock()
    warmup = max(2 * spec.depth, round(WARMUP_S * spec.fps))
    warm, _ = run_frames(
        strategy,
        frames.placed,
        warmup,
        spec.period_ns,
        spec.depth,
        clock=clock,
        early_stop=schedule.EarlyStop(after_due=warmup),
    )
    if warm.errors:
        return {"status": "error", "reason": f"warm-up {warm.errors[0]}"}
    workers_before = _workers_cpu_ns(strategy)
    resident = memory.watch_peak(strategy.worker_pids())
    outcome, caller_ns = run_frames(
        strategy,
        frames.placed,
        spec.frames,
        spec.period_ns,
        spec.depth,
        clock=clock,
        keep=keep,
        early_stop=EARLY_STOP,
    )
    workers_after = _workers_cpu_ns(strategy)
    peak = resident()
    record: dict[str, Any] = {
        "status": "ok",
        "reason": None,
        "peak_resident_bytes": None if peak is None else peak.peak_bytes,
        "resident_growth_bytes": None if peak is None else peak.growth_bytes,
    }
    problem = outcome.errors[0] if outcome.errors else frames.check()
    if problem is not None:
        record.update(status="error" if outcome.errors else "incorrect", reason=problem)
    return record | figures(spec, outcome, caller_ns, workers_before, workers_after)


def figures(
    spec: CellSpec,
    outcome: schedule.StreamOutcome,
    caller_ns: int,
    workers_before: int | None,
    workers_after: int | None,
) -> dict[str, Any]:
    """A cell's figures from its frames' times (stream/floor.py's too)."""
    latency, lateness = new_histogram(), new_histogram()
    for frame in outcome.frames:
        latency.record_value(min(max(frame.latency_ns, 1), HISTOGRAM_RANGE_NS[1]))
        lateness.record_value(min(max(frame.start_lateness_ns, 1), HISTOGRAM_RANGE_NS[1]))
    done = len(outcome.frames)
    span_ns = max((f.done_ns for f in outcome.frames), default=0) - min(
        (f.scheduled_ns for f in outcome.frames), default=0
    )
    workers = (
        None
        if workers_before is None or workers_after is None or not done
        else (workers_after - workers_before) / done
    )
    stopped = outcome.stopped
    return {
        # A stream stopped early asked for the frames due by then.
        "frames": spec.frames if stopped is None else max(stopped.due, done),
        "done": done,
        "missed": outcome.missed(spec.period_ns),
        "dropped": len(outcome.dropped),
        "unsent": outcome.unsent(),
        "stopped": None if stopped is None else stopped.reason(),
        "achieved_fps": done / span_ns * 1e9 if span_ns > 0 else None,
        "caller_cpu_ns_per_frame": caller_ns / done if done else None,
        "workers_cpu_ns_per_frame": workers,
        "latency_histogram": encode(latency),
        "start_lateness_histogram": encode(lateness),
    }
