"""`shm-futex`: `shm` with blocking wake-ups only (no spinning): every call puts
the worker and then the caller to sleep on a futex and wakes them with a
syscall. What shared memory costs when neither side may burn a core."""

from __future__ import annotations

from interop_bench.strategies._transport.shm_strategy import (
    IN_PLACE_COPIES_NOTE,
    PHASE_NAMES,
    ShmStrategyBase,
)


class ShmFutexStrategy(ShmStrategyBase):
    name = "shm-futex"
    description = "as shm, but both sides sleep on a futex at once (no spinning)"
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    copies_note = IN_PLACE_COPIES_NOTE
    spin_ns = 0
    zero_copy = True
    phase_names = PHASE_NAMES
