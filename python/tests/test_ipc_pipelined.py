"""Pipelined frames over the cross-process strategies that split their call
(frame_submit, frame_collect): results never given to another frame, the
in-flight bound and the order enforced, a reply with another frame's sequence
number refused, and a worker dying with frames in flight a clear exception,
never a hang. No timers and no sleeps (see worker_faults.py)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from worker_faults import gone, stall_fifo, wait_gone, when_stalled

from interop_bench import ops
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies.base import Strategy
from interop_bench.strategies.grpc_array import GrpcStreamStrategy
from interop_bench.strategies.mp_shm import MpShmStrategy
from interop_bench.strategies.pipe import PipeStrategy
from interop_bench.strategies.shm import ShmStrategy
from interop_bench.strategies.shm_copy import ShmCopyStrategy
from interop_bench.strategies.shm_futex import ShmFutexStrategy
from interop_bench.strategies.tcp import TcpStrategy
from interop_bench.strategies.uds import UdsStrategy
from interop_bench.strategies.zmq import ZmqCopyStrategy, ZmqStrategy
from interop_bench.strategies.zmq_tcp import ZmqTcpPlainStrategy, ZmqTcpStrategy

PIPELINED: dict[str, Callable[..., Strategy]] = {
    "shm": ShmStrategy,
    "shm-futex": ShmFutexStrategy,
    "shm-copy": ShmCopyStrategy,
    "mp-shm": MpShmStrategy,
    "pipe": PipeStrategy,
    "uds": UdsStrategy,
    "tcp": TcpStrategy,
    "zmq": ZmqStrategy,
    "zmq-copy": ZmqCopyStrategy,
    "zmq-tcp": ZmqTcpStrategy,
    "zmq-tcp-plain": ZmqTcpPlainStrategy,
    "grpc-stream": GrpcStreamStrategy,
}


each = pytest.mark.parametrize("name", list(PIPELINED))


def _images(count: int = 3) -> list[np.ndarray]:
    """Small frames: these tests submit and collect on one thread, so two requests
    and their replies must fit the pipe's or socket's buffers (test_stream.py sends
    large ones from two threads, as a stream does; test_zmq_pipelined.py a send
    while another thread waits)."""
    return [ops.make_frame(48, 64, seed) for seed in range(count)]


@each
def test_frames_in_flight_keep_their_own_results(name: str) -> None:
    """Two frames in flight, then a third in the first one's slot: every result is
    its own frame's, and stays so after the slot is used again."""
    with PIPELINED[name]() as strategy:
        images = _images()
        placed = [strategy.prepare(image) for image in images]
        first, second = strategy.frame_submit(placed[0]), strategy.frame_submit(placed[1])
        gray0 = strategy.frame_collect(first)
        third = strategy.frame_submit(placed[2])
        gray1, gray2 = strategy.frame_collect(second), strategy.frame_collect(third)
        for gray, image in zip((gray0, gray1, gray2), images, strict=True):
            assert np.array_equal(gray, ops.gray_reference(image))
        assert np.array_equal(strategy.frame(placed[0]), gray0)  # synchronous calls work again


@each
def test_ordinary_and_padded_frames_pipeline_too(name: str) -> None:
    with PIPELINED[name]() as strategy:
        image = _images(1)[0]
        padded = np.zeros((image.shape[0], image.shape[1] + 5, 3), np.uint8)[:, 2:-3]
        padded[...] = image
        tickets = [strategy.frame_submit(image), strategy.frame_submit(padded)]
        for ticket in tickets:
            assert np.array_equal(strategy.frame_collect(ticket), ops.gray_reference(image))


@each
def test_the_bound_and_the_order_are_enforced(name: str) -> None:
    with PIPELINED[name]() as strategy:
        image = _images(1)[0]
        first, second = strategy.frame_submit(image), strategy.frame_submit(image)
        with pytest.raises(RuntimeError, match="2 frames are in flight already"):
            strategy.frame_submit(image)
        with pytest.raises(RuntimeError, match="in flight"):
            strategy.frame(image)  # a synchronous call would take another frame's reply
        with pytest.raises(RuntimeError, match=f"frame {second} collected out of order"):
            strategy.frame_collect(second)
        for ticket in (first, second):
            assert np.array_equal(strategy.frame_collect(ticket), ops.gray_reference(image))


@each
def test_bad_input_is_refused_before_anything_is_sent(name: str) -> None:
    with PIPELINED[name]() as strategy:
        with pytest.raises(TypeError, match="uint8"):
            strategy.frame_submit(np.zeros((4, 4, 3), np.float32))
        image = _images(1)[0]
        ticket = strategy.frame_submit(image)
        assert np.array_equal(strategy.frame_collect(ticket), ops.gray_reference(image))


@each
def test_a_reply_to_another_sequence_number_is_refused(name: str) -> None:
    with PIPELINED[name](worker_flags=("--fault=bad-seq",)) as strategy:
        pids = strategy.worker_pids()
        image = _images(1)[0]
        # Over a stream, the first reply is refused; over shared memory, the first
        # request that maps the frame's block in the segment already is.
        with pytest.raises(WorkerError, match="broke the protocol"):
            first = strategy.frame_submit(image)
            strategy.frame_submit(image)
            strategy.frame_collect(first)
        assert not strategy.is_open
        assert all(gone(pid) for pid in pids)


@each
def test_a_worker_killed_with_frames_in_flight_raises(name: str, tmp_path: Path) -> None:
    fifo = stall_fifo(tmp_path)
    with PIPELINED[name](worker_flags=("--fault=slow", f"--stall-fifo={fifo}")) as strategy:
        pids = strategy.worker_pids()
        killer = when_stalled(fifo, lambda: os.kill(pids[0], signal.SIGKILL))
        image = _images(1)[0]
        first = strategy.frame_submit(image)
        # The kill may come before the second submit: then that one names it.
        with pytest.raises(WorkerError, match="SIGKILL"):
            strategy.frame_submit(image)
            strategy.frame_collect(first)
        killer.join()
        assert not strategy.is_open
        with pytest.raises(RuntimeError, match="not open"):
            strategy.frame_submit(image)


@each
def test_a_frame_sent_to_a_dead_worker_raises(name: str) -> None:
    """Submitting to a worker already gone: over a pipe the write fails at once, over
    other transports the collect finds it gone; either way a WorkerError naming its death."""
    with PIPELINED[name]() as strategy:
        pid = strategy.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        assert wait_gone(pid)
        with pytest.raises(WorkerError, match="SIGKILL"):
            strategy.frame_collect(strategy.frame_submit(_images(1)[0]))
        assert not strategy.is_open
