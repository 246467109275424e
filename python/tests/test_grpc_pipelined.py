"""`grpc-stream`'s pipelined frames over one long Frames call
(_transport/grpc_frames.py), beyond the cases every pipelined strategy passes
(test_ipc_pipelined.py): a stalled frame meets the deadline of its wait (the
call has none), and synchronous calls still work beside the Frames call. No
sleeps: the peer says through a FIFO when it stalls."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
from worker_faults import EXIT_TIMEOUT_S, stall_fifo, wait_gone, when_stalled

from interop_bench import ops
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies.grpc_array import GrpcStreamStrategy


def test_a_stalled_frame_meets_the_deadline_of_its_wait(tmp_path: Path) -> None:
    fifo = stall_fifo(tmp_path)
    io_timeout_s = 0.2
    strategy = GrpcStreamStrategy(
        worker_flags=("--fault=slow", f"--stall-fifo={fifo}"), io_timeout_s=io_timeout_s
    )
    strategy.open()
    [pid] = strategy.worker_pids()
    stalled = threading.Event()
    told = when_stalled(fifo, stalled.set)  # the stall lasts a minute
    ticket = strategy.frame_submit(ops.make_frame(48, 64, 0))
    assert stalled.wait(EXIT_TIMEOUT_S)
    with pytest.raises(WorkerError, match=re.escape(f"no answer within {io_timeout_s:g} s")):
        strategy.frame_collect(ticket)
    told.join()
    assert not strategy.is_open and wait_gone(pid)


def test_frames_and_calls_share_the_peer_in_turn() -> None:
    """Frames over the Frames call, then a synchronous frame and a sum over calls
    of their own, then frames again on the same Frames call."""
    images = [ops.make_frame(64, 96, seed) for seed in range(3)]
    with GrpcStreamStrategy() as strategy:
        for image in images:
            gray = strategy.frame_collect(strategy.frame_submit(image))
            assert np.array_equal(gray, ops.gray_reference(image))
        assert np.array_equal(strategy.frame(images[0]), ops.gray_reference(images[0]))
        a = ops.make_vector(3000)
        ops.check_sum(strategy.sum(a), a)
        tickets = [strategy.frame_submit(image) for image in images[:2]]
        for ticket, image in zip(tickets, images[:2], strict=True):
            assert np.array_equal(strategy.frame_collect(ticket), ops.gray_reference(image))
