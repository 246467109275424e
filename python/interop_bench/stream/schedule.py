"""Frames at a fixed rate, open loop: each frame's latency runs from its scheduled time.

Frame i is due at start + i x period. `depth` slots take frames in order: a
slot that is free waits until its next frame is due, then makes the call; a
frame whose slot is still busy when it is due waits, and its wait counts in its
latency (wrk2's rule: a stall is charged to every frame it delays, not only
to the one that met it). Depth 1 is one synchronous caller; depth 2 is two
callers in threads, the second taking frame N+1 while the first still works on
frame N (double buffering). A frame that has waited longer than `drop_after_ns`
when its slot frees is dropped, as a camera's ring buffer overwrites it.

The clock is injected, so pacing and the latency rule are tested on a fake one.
"""

from __future__ import annotations

import threading
import time
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


@dataclass
class StreamOutcome:
    frames: list[FrameTimes] = field(default_factory=list)  # in completion order
    dropped: list[int] = field(default_factory=list)  # indices of dropped frames
    errors: list[str] = field(default_factory=list)

    def missed(self, period_ns: int) -> int:
        """Frames done later than one period after they were due, and dropped ones."""
        return sum(f.latency_ns > period_ns for f in self.frames) + len(self.dropped)


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


def run(
    call: Call,
    frames: int,
    period_ns: int,
    depth: int,
    clock: Clock,
    *,
    start_ns: int | None = None,
    drop_after_ns: int | None = None,
) -> StreamOutcome:
    """Send `frames` frames at one per `period_ns` through `depth` slots."""
    if frames < 1 or period_ns < 1 or depth < 1:
        raise ValueError("frames, period and depth must be at least 1")
    start = clock.now_ns() if start_ns is None else start_ns
    outcome = StreamOutcome()
    dispenser = _Dispenser(frames)
    record_lock = threading.Lock()

    def slot() -> None:
        while (index := dispenser.take()) is not None:
            scheduled = start + index * period_ns
            clock.sleep_until(scheduled)
            began = clock.now_ns()
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
