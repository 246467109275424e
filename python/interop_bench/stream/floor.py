"""The floor of a stream: the frame kernel alone, paced by a native loop.

The same schedule as every strategy's cell (frame i due at start + i x period,
latency from that due time), run by harness/paced_loop.hpp around
kernels::frame_to_gray through ib_floor_timer.paced_frames, with no Python in
the loop: the best tail this machine allows for the frame op, and the native
pacer's own start lateness (how late clock_nanosleep wakes against the
schedule). Depth 1 only: the kernel alone has nothing to overlap.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from interop_bench import native, ops
from interop_bench.stream import schedule
from interop_bench.stream.cell import IMAGES, WARMUP_S, CellSpec, figures

# The first frame is due this long after the call, so the loop's set-up never makes it late.
LEAD_NS = 1_000_000


def _paced(timer: Any, images: tuple, grays: tuple, frames: int, period_ns: int) -> np.ndarray:
    times = np.empty((frames, 3), np.int64)
    timer.paced_frames(images, grays, time.perf_counter_ns() + LEAD_NS, period_ns, times)
    return times


def measure(spec: CellSpec, seed: int) -> dict[str, Any]:
    """The record of the kernel's cell in this process (status ok or incorrect)."""
    if spec.depth != 1:
        raise ValueError("the kernel alone streams at depth 1 only")
    timer = native.extension("ib_floor_timer")
    height, width = ops.RESOLUTIONS[spec.resolution]
    images = tuple(ops.make_frame(height, width, seed + n) for n in range(IMAGES))
    grays = tuple(np.empty((height, width), np.uint8) for _ in images)
    _paced(timer, images, grays, max(2, round(WARMUP_S * spec.fps)), spec.period_ns)
    cpu_before = time.thread_time_ns()
    times = _paced(timer, images, grays, spec.frames, spec.period_ns)
    cpu_ns = time.thread_time_ns() - cpu_before
    outcome = schedule.StreamOutcome(
        frames=[schedule.FrameTimes(i, *map(int, row)) for i, row in enumerate(times)]
    )
    wrong = [
        i
        for i in range(max(0, spec.frames - IMAGES), spec.frames)
        if not np.array_equal(grays[i % IMAGES], ops.gray_reference(images[i % IMAGES]))
    ]
    record: dict[str, Any] = {"status": "ok", "reason": None}
    if wrong:
        record.update(status="incorrect", reason=f"frame {wrong[0]}: the kernel's gray differs")
    return record | figures(spec, outcome, cpu_ns, None, None)
