"""Frames at a fixed rate, open loop: each frame's latency runs from its scheduled time.

Frame i is due at start + i x period. `depth` slots take frames in order: a
slot that is free waits until its next frame is due, then makes the call; a
frame whose slot is still busy when it is due waits, and its wait counts in its
latency (wrk2's rule: a stall is charged to every frame it delays, not only
to the one that met it). Depth 1 is one synchronous caller; depth 2 is two
callers in threads, the second taking frame N+1 while the first still works on
frame N (double buffering). A frame that has waited longer than `drop_after_ns`
when its slot frees is dropped, as a camera's ring buffer overwrites it.

`run_pipelined` drives a strategy that splits its call into submit and
collect (a cross-process transport, which one channel serves in order): this
thread submits each frame when it is due, a collector thread collects them in
order, and at most `depth` are in flight. A frame due while `depth` are in
flight waits for the oldest to be collected, and that wait counts in its
latency; latency still runs from the scheduled time to the collect's return.

Both stop early, when given an `EarlyStop`, once a stream is hopeless: when
the next frame is about to be sent, the frames due by then are counted
against the frames sent, and a strategy that sent under `share` of them after
`after_due` were due cannot keep up (its backlog grows by more than a frame
every two periods): the rest would only take the run's time. A count rule, not
a time limit: a stall of a few periods leaves a stream well above the share.

The clock is injected, so pacing and the latency rule are tested on a fake one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    def now_ns(self) -> int: ...

    def sleep_until(self, deadline_ns: int) -> None:
        """Return at `deadline_ns` or later (at once when it has passed)."""
        ...


class MonotonicClock:
    """The real clock: perf_counter_ns and time.sleep. No spinning: a slot that
    spun would hold the GIL from the other slot's call, and would charge the
    caller's CPU. A sleep wakes tens of µs late; every frame records how late
    its call started, so the pacer's lateness is shown, never hidden."""

    def now_ns(self) -> int:
        return time.perf_counter_ns()

    def sleep_until(self, deadline_ns: int) -> None:
        remaining = deadline_ns - time.perf_counter_ns()
        if remaining > 0:
            time.sleep(remaining / 1e9)


@dataclass(frozen=True)
class FrameTimes:
    """One frame: when it was due, when its call started and when it ended."""

    index: int
    scheduled_ns: int
    started_ns: int
    done_ns: int

    @property
    def latency_ns(self) -> int:
        return self.done_ns - self.scheduled_ns

    @property
    def start_lateness_ns(self) -> int:
        """How late the call started: the pacer's wake-up, or a wait for a busy slot."""
        return self.started_ns - self.scheduled_ns


@dataclass(frozen=True)
class EarlyStop:
    """Stop once `after_due` frames or more were due and under `share` of them were sent."""

    after_due: int
    share: float = 0.5

    def hopeless(self, sent: int, due: int) -> bool:
        return due >= self.after_due and sent < self.share * due


@dataclass(frozen=True)
class Stopped:
    """Where a hopeless stream stopped: the frame it did not send, and the frames due by then."""

    sent: int
    due: int

    def reason(self) -> str:
        return f"stopped early: {self.sent} of the {self.due} frames due were sent"


@dataclass
class StreamOutcome:
    frames: list[FrameTimes] = field(default_factory=list)  # in completion order
    dropped: list[int] = field(default_factory=list)  # indices of dropped frames
    errors: list[str] = field(default_factory=list)
    stopped: Stopped | None = None  # an EarlyStop ended it

    def unsent(self) -> int:
        """Frames due when the stream stopped early that were never sent."""
        if self.stopped is None:
            return 0
        return max(0, self.stopped.due - len(self.frames) - len(self.dropped))

    def missed(self, period_ns: int) -> int:
        """Frames done later than one period after they were due, dropped ones, and
        the frames due but never sent when the stream stopped early."""
        late = sum(f.latency_ns > period_ns for f in self.frames)
        return late + len(self.dropped) + self.unsent()

    def stop_if_hopeless(
        self, rule: EarlyStop | None, sent: int, now_ns: int, start_ns: int, period_ns: int
    ) -> bool:
        """Whether frame `sent` (the frames before it sent) is not to be sent at
        `now_ns`: the stream has stopped, or stops now (recorded here)."""
        if rule is None:
            return False
        if self.stopped is None:
            due = (now_ns - start_ns) // period_ns + 1
            if not rule.hopeless(sent, due):
                return False
            self.stopped = Stopped(sent, due)
        return True


Call = Callable[[int], object]  # frame index -> the call made (its result is the callee's)


@dataclass
class _Dispenser:
    """Hands out frame indices in order to the slots."""

    count: int
    next_index: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> int | None:
        with self.lock:
            if self.next_index >= self.count:
                return None
            self.next_index += 1
            return self.next_index - 1

    def close(self) -> None:
        """Hand out no more frames."""
        with self.lock:
            self.count = self.next_index


def _start(frames: int, period_ns: int, depth: int, clock: Clock, start_ns: int | None) -> int:
    """When frame 0 is due (now unless given); ValueError for a stream of nothing."""
    if frames < 1 or period_ns < 1 or depth < 1:
        raise ValueError("frames, period and depth must be at least 1")
    return clock.now_ns() if start_ns is None else start_ns


def run(
    call: Call,
    frames: int,
    period_ns: int,
    depth: int,
    clock: Clock,
    *,
    start_ns: int | None = None,
    drop_after_ns: int | None = None,
    early_stop: EarlyStop | None = None,
) -> StreamOutcome:
    """Send `frames` frames at one per `period_ns` through `depth` slots."""
    start = _start(frames, period_ns, depth, clock, start_ns)
    outcome = StreamOutcome()
    dispenser = _Dispenser(frames)
    record_lock = threading.Lock()

    def slot() -> None:
        while (index := dispenser.take()) is not None:
            scheduled = start + index * period_ns
            clock.sleep_until(scheduled)
            began = clock.now_ns()
            with record_lock:
                if outcome.stop_if_hopeless(early_stop, index, began, start, period_ns):
                    dispenser.close()
                    return
            if drop_after_ns is not None and began - scheduled > drop_after_ns:
                with record_lock:
                    outcome.dropped.append(index)
                continue
            try:
                call(index)
            except Exception as error:
                with record_lock:
                    outcome.errors.append(f"frame {index}: {type(error).__name__}: {error}")
                return
            done = clock.now_ns()
            with record_lock:
                outcome.frames.append(FrameTimes(index, scheduled, began, done))

    if depth == 1:
        slot()
    else:
        threads = [threading.Thread(target=slot, name=f"stream-slot-{n}") for n in range(depth)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return outcome


Submit = Callable[[int], object]  # frame index -> a ticket for its collect
Collect = Callable[[int, object], object]  # frame index, ticket -> the frame's result
_InFlight = tuple[int, int, int, object]  # index, scheduled_ns, started_ns, ticket


class _Lane:
    """Between the submitting thread and the collector: the frames in flight in
    order, and the free places (each with the time it was freed). Every wait
    ends when the other side stops, so an error on either side ends both."""

    def __init__(self, depth: int) -> None:
        self._condition = threading.Condition()
        self._in_flight: deque[_InFlight] = deque()
        self._free_since_ns: deque[int] = deque([0] * depth)  # one per free place
        self._closed = False  # no more frames will be submitted
        self._stopped = False  # the collector failed: submit no more

    def take_place(self) -> int | None:
        """Wait for a free place; the time it was freed, or None once stopped."""
        with self._condition:
            while not self._free_since_ns and not self._stopped:
                self._condition.wait()
            return None if self._stopped else self._free_since_ns.popleft()

    def give_back(self, freed_ns: int) -> None:
        with self._condition:
            self._free_since_ns.append(freed_ns)
            self._condition.notify_all()

    def put(self, frame: _InFlight) -> None:
        with self._condition:
            self._in_flight.append(frame)
            self._condition.notify_all()

    def next(self) -> _InFlight | None:
        """The oldest frame in flight, waiting for one; None once closed and empty."""
        with self._condition:
            while not self._in_flight and not self._closed:
                self._condition.wait()
            return self._in_flight.popleft() if self._in_flight else None

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()


def _collect_all(lane: _Lane, collect: Collect, clock: Clock, outcome: StreamOutcome) -> None:
    """Collect every frame submitted, in order. After a failure the frames still
    in flight are collected too, unrecorded, so that the strategy is left in step."""
    failed = False
    while (frame := lane.next()) is not None:
        index, scheduled, began, ticket = frame
        try:
            collect(index, ticket)
        except Exception as error:
            if not failed:
                outcome.errors.append(f"frame {index}: {type(error).__name__}: {error}")
                failed = True
                lane.stop()
            continue
        if failed:
            continue
        done = clock.now_ns()
        outcome.frames.append(FrameTimes(index, scheduled, began, done))
        lane.give_back(done)


def run_pipelined(
    submit: Submit,
    collect: Collect,
    frames: int,
    period_ns: int,
    depth: int,
    *,
    clock: Clock,
    start_ns: int | None = None,
    drop_after_ns: int | None = None,
    early_stop: EarlyStop | None = None,
) -> StreamOutcome:
    """Submit `frames` frames at one per `period_ns`, at most `depth` in flight,
    and collect them in order on a second thread."""
    start = _start(frames, period_ns, depth, clock, start_ns)
    outcome = StreamOutcome()
    lane = _Lane(depth)
    collector = threading.Thread(
        target=_collect_all, args=(lane, collect, clock, outcome), name="stream-collector"
    )
    collector.start()
    try:
        for index in range(frames):
            scheduled = start + index * period_ns
            clock.sleep_until(scheduled)
            freed_ns = lane.take_place()
            if freed_ns is None:
                break
            # The wait for the place took the time on the real clock; a fake
            # clock kept per thread learns here when the place was freed.
            clock.sleep_until(freed_ns)
            began = clock.now_ns()
            if outcome.stop_if_hopeless(early_stop, index, began, start, period_ns):
                break
            if drop_after_ns is not None and began - scheduled > drop_after_ns:
                outcome.dropped.append(index)
                lane.give_back(began)
                continue
            try:
                ticket = submit(index)
            except Exception as error:
                outcome.errors.append(f"frame {index}: {type(error).__name__}: {error}")
                break
            lane.put((index, scheduled, began, ticket))
    finally:
        lane.close()
        collector.join()
    return outcome
