"""`arrow-flight`'s pipelined frames over one long DoExchange of the command
"frames": every result its own frame's (numbers checked), the in-flight bound
and the order enforced, a peer dying with frames in flight a clear error, a
stalled frame meeting the deadline of its wait (the exchange has none). No
sleeps: the faults are the peer's own (--fault=die-mid-call, --fault=stall)."""

from __future__ import annotations

import numpy as np
import pytest

from interop_bench import ops
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies.arrow_flight import ArrowFlightStrategy


def _images(count: int = 3) -> list[np.ndarray]:
    return [ops.make_frame(48, 64, seed) for seed in range(count)]


def test_frames_in_flight_keep_their_own_results_beside_ordinary_calls() -> None:
    images = _images()
    padded = np.zeros((48, 69, 3), np.uint8)[:, 2:-3]
    padded[...] = images[2]
    with ArrowFlightStrategy() as strategy:
        first, second = strategy.frame_submit(images[0]), strategy.frame_submit(images[1])
        gray0 = strategy.frame_collect(first)
        third = strategy.frame_submit(padded)
        results = [gray0, strategy.frame_collect(second), strategy.frame_collect(third)]
        for gray, image in zip(results, images, strict=True):
            assert np.array_equal(gray, ops.gray_reference(image))
        assert np.array_equal(strategy.frame(images[0]), gray0)  # a DoExchange of its own
        again = strategy.frame_submit(images[1])  # the same frames exchange, on
        assert np.array_equal(strategy.frame_collect(again), results[1])


def test_the_bound_and_the_order_are_enforced() -> None:
    image = _images(1)[0]
    with ArrowFlightStrategy() as strategy:
        first, second = strategy.frame_submit(image), strategy.frame_submit(image)
        with pytest.raises(RuntimeError, match="2 frames are in flight already"):
            strategy.frame_submit(image)
        with pytest.raises(RuntimeError, match=f"frame {second} collected out of order"):
            strategy.frame_collect(second)
        for ticket in (first, second):
            assert np.array_equal(strategy.frame_collect(ticket), ops.gray_reference(image))


def test_a_peer_dying_with_frames_in_flight_is_named() -> None:
    image = _images(1)[0]
    strategy = ArrowFlightStrategy(worker_flags=("--fault=die-mid-call",))
    with strategy:
        first = strategy.frame_submit(image)
        # The peer may be gone before the second submit: then that one names it.
        with pytest.raises(WorkerError, match=r"ib_flight_peer \(pid \d+\) exited with status 3"):
            strategy.frame_submit(image)
            strategy.frame_collect(first)
        assert not strategy.is_open and strategy.worker_pids() == []
        with pytest.raises(RuntimeError, match="not open"):
            strategy.frame_submit(image)


def test_a_stalled_frame_meets_the_deadline_of_its_wait() -> None:
    strategy = ArrowFlightStrategy(worker_flags=("--fault=stall",), io_timeout_s=0.5)
    with strategy:
        ticket = strategy.frame_submit(_images(1)[0])
        with pytest.raises(WorkerError, match=r"gave no answer within 0\.5 s"):
            strategy.frame_collect(ticket)
        assert not strategy.is_open
