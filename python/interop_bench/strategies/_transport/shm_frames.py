"""Pipelined frames over one shared-memory worker (frame_submit, frame_collect;
see base.py): two slots in the segment, so the caller places frame N+1 while
the worker works on frame N.

The control block holds one request, and the worker answers one at a time, so
the overlap is the caller's side of each frame with the worker's kernel on the
other: a submit copies its frame into its slot's input block (copying
strategies; a zero-copy strategy's frame that lies in the segment is read in
place) and gets its output block (the slot's, or a new gray image in the
segment for zero-copy strategies, whose results are views of it); it
publishes the request when the worker is idle, else leaves it waiting. The
collect that sees frame N's answer publishes the waiting frame N+1 at once,
before it copies N's gray image out, so the worker never waits for the caller.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import NamedTuple

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies._transport.in_flight import InFlight
from interop_bench.strategies._transport.shm_channel import Place, ShmChannel
from interop_bench.strategies._transport.worker import WorkerRefusedError

_UINT8 = np.dtype(np.uint8)


class _Frame(NamedTuple):
    """A submitted frame: where the worker reads it and writes its gray image."""

    place: Place
    out: Place
    rows: int
    cols: int
    row_stride: int
    gray: np.ndarray  # the gray image in the segment (the slot's block, or its own)


class ShmFrameSlots:
    def __init__(self, channel: ShmChannel, zero_copy: bool, slots: int = 2) -> None:
        self._channel = channel
        self._zero_copy = zero_copy
        self._in_flight: InFlight[_Frame] = InFlight(slots)
        self._blocks: list[dict[str, tuple[np.ndarray, Place]]] = [{} for _ in range(slots)]
        self._submitted = 0
        # Which submitted frame the worker has (None: it is idle) and those
        # waiting for it, oldest first; guarded by _turn.
        self._turn = threading.Condition()
        self._sent: int | None = None
        self._waiting: deque[tuple[int, _Frame]] = deque()

    def submit(self, image: np.ndarray) -> int:
        rgb, row_stride = validation.frame(image)
        rows, cols, channels = rgb.shape
        if len(self._in_flight) >= self._in_flight.limit:
            raise RuntimeError(
                f"{self._in_flight.limit} frames are in flight already: collect one first"
            )
        if not rows or not cols:
            nothing = np.empty((rows, cols), _UINT8)
            return self._admit(_Frame((0, 0), (0, 0), rows, cols, 0, nothing))
        extent = (rows - 1) * row_stride + cols * channels
        place = self._channel.find(rgb, extent) if self._zero_copy else None
        if place is None:
            packed, place = self._slot_block("in", rows * cols * channels)
            np.copyto(packed.reshape(rows, cols, channels), rgb)
            row_stride = cols * channels
        if self._zero_copy:
            gray = self._new_gray(rows, cols)
            out = self._channel.find(gray, gray.nbytes)
            assert out is not None, "a gray image made in the segment is found there"
        else:
            block, out = self._slot_block("out", rows * cols)
            gray = block.reshape(rows, cols)
        return self._admit(_Frame(place, out, rows, cols, row_stride, gray))

    def _admit(self, frame: _Frame) -> int:
        ticket = self._in_flight.admit(frame)
        self._submitted += 1
        with self._turn:
            if self._sent is None:
                self._send(ticket, frame)
            else:
                self._waiting.append((ticket, frame))
        return ticket

    def collect(self, ticket: int) -> np.ndarray:
        frame = self._in_flight.oldest(ticket)
        with self._turn:
            if self._sent != ticket:
                raise RuntimeError(f"frame {ticket} is not with the worker")
        try:
            self._channel.receive()
        except WorkerRefusedError:
            self._next()
            self._in_flight.done(ticket)
            raise
        except BaseException:  # the channel has abandoned its worker
            self._forget()
            raise
        self._next()
        gray = frame.gray if self._zero_copy else frame.gray.copy()
        self._in_flight.done(ticket)
        return gray

    def _next(self) -> None:
        """Frame N's answer is in: give the worker the waiting frame N+1 at once."""
        with self._turn:
            self._sent = None
            if self._waiting:
                self._send(*self._waiting.popleft())
            self._turn.notify_all()  # a submit may wait for the worker to be idle

    def _send(self, ticket: int, frame: _Frame) -> None:
        """Publish `frame` (the worker is idle; the caller holds _turn)."""
        try:
            self._channel.send_frame(
                frame.place, frame.out, frame.rows, frame.cols, frame.row_stride
            )
        except BaseException:
            self._forget()
            raise
        self._sent = ticket

    def _forget(self) -> None:
        with self._turn:
            self._sent = None
            self._waiting.clear()
            self._in_flight.clear()
            self._turn.notify_all()

    def _idle(self) -> None:
        """Wait until the worker has no frame (a request may then be made)."""
        with self._turn:
            while self._sent is not None:
                self._turn.wait()

    def _new_gray(self, rows: int, cols: int) -> np.ndarray:
        """A gray image in the segment: in an arena already mapped, or (rarely: arenas
        double) in a new one, mapped once the worker has no frame (so once the
        collecting thread has collected the frames in flight)."""
        gray = self._channel.new_array_in_mapped((rows, cols), _UINT8)
        if gray is None:
            self._idle()
            gray = self._channel.new_array((rows, cols), _UINT8)
        return gray

    def _slot_block(self, role: str, nbytes: int) -> tuple[np.ndarray, Place]:
        """The next slot's block for `role` ("in" or "out"), `nbytes` of it. Every
        slot's is made (or grown) at once, when the worker has no frame: at the
        first submit that needs one, or for a larger frame."""
        if any(role not in blocks or blocks[role][0].shape[0] < nbytes for blocks in self._blocks):
            self._idle()
            for blocks in self._blocks:
                array = self._channel.new_array((nbytes,), _UINT8)
                place = self._channel.find(array, array.nbytes)
                assert place is not None, "a block made in the segment is found there"
                blocks[role] = (array, place)
        block, place = self._blocks[self._submitted % len(self._blocks)][role]
        return block[:nbytes], place
