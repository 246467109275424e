"""The turns the submitting and the collecting thread take at a zmq strategy's
one socket (_transport/zmq_turns.py): a sender is let in while a receiver waits
for a reply, a close lets the waiting receiver go to find the socket closed, and
a frame sent meanwhile comes back as its own. No timers and no sleeps: the
threads say where they are through events (test_ipc_pipelined.py has the
single-threaded cases, over every pipelined strategy)."""

from __future__ import annotations

import os
import select
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
import zmq
from worker_faults import EXIT_TIMEOUT_S, stall_fifo, when_stalled

from interop_bench import ops
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies._transport.zmq_turns import SocketClosedError, SocketTurns
from interop_bench.strategies.zmq import ZmqStrategy


def _waiting_holder(
    turns: SocketTurns, events: list[str]
) -> tuple[threading.Thread, threading.Event]:
    """A thread that takes the socket and waits on `ask_fd` as a receiver's poll
    does, then lets go and, back, notes what it found in `events`."""
    holding = threading.Event()

    def hold() -> None:
        turns.take()
        holding.set()
        try:
            readable, _, _ = select.select([turns.ask_fd], [], [], EXIT_TIMEOUT_S)
            assert readable, "no one asked for the socket"
            turns.let_go()
            events.append("back")
        except SocketClosedError:
            events.append("closed")
        finally:
            turns.give_back()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread, holding


def test_a_sender_is_let_in_while_the_holder_waits_and_the_holder_gets_it_back() -> None:
    turns, events = SocketTurns(), []
    holder, holding = _waiting_holder(turns, events)
    assert holding.wait(EXIT_TIMEOUT_S)
    turns.take()  # only once the holder let go
    events.append("sent")
    turns.give_back()
    holder.join()
    assert events == ["sent", "back"]
    turns.take()  # free again
    turns.give_back()
    turns.close()


def test_a_close_lets_the_waiting_holder_go_and_refuses_every_later_turn() -> None:
    turns, events = SocketTurns(), []
    holder, holding = _waiting_holder(turns, events)
    assert holding.wait(EXIT_TIMEOUT_S)
    turns.take()
    turns.close()
    turns.give_back()
    holder.join()
    assert events == ["closed"]
    with pytest.raises(SocketClosedError):
        turns.take()


def test_a_frame_submitted_while_another_thread_waits_for_a_reply_goes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector waits for frame 0, which the worker stalls on; frame 1 is
    submitted meanwhile (the collector lets the sender in), then the worker is
    killed: the collector's wait names the death, and nothing hangs."""
    fifo = stall_fifo(tmp_path)
    strategy = ZmqStrategy(worker_flags=("--fault=slow", f"--stall-fifo={fifo}"))
    with strategy:
        channel = strategy._channel
        assert channel is not None
        waiting, submitted = threading.Event(), threading.Event()
        poller = channel._pollers[zmq.POLLIN]
        real_poll = poller.poll

        def poll(timeout: int | None = None) -> list[tuple[object, int]]:
            waiting.set()
            return real_poll(timeout)

        monkeypatch.setattr(poller, "poll", poll)
        [pid] = strategy.worker_pids()

        def kill_once_submitted() -> None:
            submitted.wait(EXIT_TIMEOUT_S)
            os.kill(pid, signal.SIGKILL)

        killer = when_stalled(fifo, kill_once_submitted)
        image = ops.make_frame(48, 64, 0)
        first = strategy.frame_submit(image)
        errors: list[BaseException] = []

        def collect() -> None:
            try:
                strategy.frame_collect(first)
            except WorkerError as error:
                errors.append(error)

        collector = threading.Thread(target=collect)
        collector.start()
        assert waiting.wait(EXIT_TIMEOUT_S)
        assert strategy.frame_submit(image) == first + 1
        submitted.set()
        collector.join()
        killer.join()
        assert len(errors) == 1 and "killed by SIGKILL before it answered" in str(errors[0])
        assert not strategy.is_open


def test_frames_pipelined_from_two_threads_each_get_their_own_gray_image() -> None:
    """A submitting and a collecting thread, two frames in flight at every moment
    the bound allows, 40 frames of three kinds: every result is its frame's.
    (The timeouts bound a failure's wait; they pace nothing.)"""
    images = [ops.make_frame(120, 160, seed) for seed in range(3)]
    expected = [ops.gray_reference(image) for image in images]
    count, places = 40, threading.Semaphore(2)
    tickets: list[int] = []
    ticket_ready = threading.Semaphore(0)
    results: list[np.ndarray] = []
    with ZmqStrategy() as strategy:

        def collect() -> None:
            for _ in range(count):
                assert ticket_ready.acquire(timeout=EXIT_TIMEOUT_S)
                results.append(strategy.frame_collect(tickets[len(results)]))
                places.release()

        collector = threading.Thread(target=collect)
        collector.start()
        for index in range(count):
            assert places.acquire(timeout=EXIT_TIMEOUT_S)
            tickets.append(strategy.frame_submit(images[index % 3]))
            ticket_ready.release()
        collector.join()
    assert len(results) == count
    for index, gray in enumerate(results):
        assert np.array_equal(gray, expected[index % 3]), f"frame {index}"
