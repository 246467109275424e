"""`shm-futex`: `shm` with blocking wake-ups only (no spinning): every call puts
the worker and then the caller to sleep on a futex and wakes them with a
syscall. What shared memory costs when neither side may burn a core."""

from __future__ import annotations

from interop_bench.strategies._ipc_shm import ShmStrategyBase
from interop_bench.strategies.shm import ShmStrategy


class ShmFutexStrategy(ShmStrategyBase):
    name = "shm-futex"
    description = "as shm, but both sides sleep on a futex at once (no spinning)"
    copies_in = ShmStrategy.copies_in
    copies_out = ShmStrategy.copies_out
    copies_note = ShmStrategy.copies_note
    spin_ns = 0
    zero_copy = True
    phase_names = ShmStrategy.phase_names
