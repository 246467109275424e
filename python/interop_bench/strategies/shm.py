"""`shm`: a worker process over POSIX shared memory, spin-then-block signalling,
zero-copy for arrays that live in the segment (see _transport/shm_strategy.py)."""

from __future__ import annotations

from interop_bench.strategies._transport.shm_strategy import (
    IN_PLACE_COPIES_NOTE,
    PHASE_NAMES,
    SPIN_NS,
    ShmStrategyBase,
)


class ShmStrategy(ShmStrategyBase):
    name = "shm"
    description = (
        "worker process, POSIX shared memory; both sides spin 50 us on an atomic "
        "sequence word, then sleep on a futex"
    )
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    copies_note = IN_PLACE_COPIES_NOTE
    spin_ns = SPIN_NS
    zero_copy = True
    phase_names = PHASE_NAMES
