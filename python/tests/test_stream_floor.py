"""The floor of a stream: the frame kernel alone in a native paced loop
(harness/paced_loop.hpp; its pacing rule is tested on a fake clock in
paced_loop_test.cpp). Here: the binding's arguments, the order of each frame's
times, and the gray images it leaves. No wall-clock figure is asserted."""

from __future__ import annotations

import numpy as np
import pytest

from interop_bench import native, ops
from interop_bench.stream import floor
from interop_bench.stream.cell import CellSpec

PERIOD_NS = 1_000_000


def _frames(count: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    height, width = ops.RESOLUTIONS["vga"]
    images = tuple(ops.make_frame(height, width, seed) for seed in range(count))
    return images, tuple(np.zeros((height, width), np.uint8) for _ in images)


def test_each_frame_is_due_one_period_after_the_last_and_starts_no_earlier() -> None:
    timer = native.extension("ib_floor_timer")
    images, grays = _frames(2)
    times = np.zeros((7, 3), np.int64)
    timer.paced_frames(images, grays, 0, PERIOD_NS, times)
    due, started, done = times.T
    assert (due == due[0] + PERIOD_NS * np.arange(7)).all()
    assert (started >= due).all() and (done >= started).all()
    assert (started[1:] >= done[:-1]).all()  # one frame at a time
    for image, gray in zip(images, grays, strict=True):
        assert np.array_equal(gray, ops.gray_reference(image))


@pytest.mark.parametrize(
    ("images", "grays", "times", "error"),
    [
        ((), (), np.zeros((1, 3), np.int64), TypeError),
        ("one", "two", np.zeros((1, 3), np.int64), TypeError),
        (None, None, np.zeros((1, 3), np.float64), ValueError),
        (None, None, np.zeros((1, 2), np.int64), ValueError),
        (None, None, np.zeros((0, 3), np.int64), ValueError),
        (None, None, np.zeros((2, 3), np.int64)[:, ::-1], TypeError),
    ],
)
def test_bad_arguments_raise(images: object, grays: object, times: np.ndarray, error: type) -> None:
    timer = native.extension("ib_floor_timer")
    ring = _frames(1)
    with pytest.raises(error, match="paced_frames"):
        timer.paced_frames(
            ring[0] if images is None else images,
            ring[1] if grays is None else grays,
            0,
            PERIOD_NS,
            times,
        )


def test_a_gray_output_of_the_wrong_shape_is_refused() -> None:
    timer = native.extension("ib_floor_timer")
    images, _ = _frames(1)
    with pytest.raises(ValueError, match="paced_frames"):
        timer.paced_frames(
            images, (np.zeros((2, 2), np.uint8),), 0, PERIOD_NS, np.zeros((1, 3), np.int64)
        )


def test_the_kernel_cell_counts_every_frame_and_checks_its_grays() -> None:
    record = floor.measure(CellSpec("kernel", "vga", 1000.0, 1, 0.02), seed=3)
    assert record["status"] == "ok", record["reason"]
    assert record["done"] == record["frames"] == 20
    assert record["dropped"] == 0 and record["workers_cpu_ns_per_frame"] is None


def test_the_kernel_alone_has_no_second_depth() -> None:
    with pytest.raises(ValueError, match="depth 1"):
        floor.measure(CellSpec("kernel", "vga", 1000.0, 2, 0.02), seed=3)
