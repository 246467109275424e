"""`shm`: a worker process over POSIX shared memory, spin-then-block signalling,
zero-copy for arrays that live in the segment (see _ipc_shm.py)."""

from __future__ import annotations

from interop_bench.strategies._ipc_shm import PHASE_NAMES, ShmStrategyBase

# How long both sides spin on the sequence word before sleeping on the futex:
# longer than a futex wake-up plus a small kernel, so back-to-back calls never
# sleep, and short enough that an idle worker gives its core back at once.
SPIN_NS = 50_000


class ShmStrategy(ShmStrategyBase):
    name = "shm"
    description = (
        "worker process, POSIX shared memory; both sides spin 50 us on an atomic "
        "sequence word, then sleep on a futex"
    )
    copies_in = "zero-copy"
    copies_out = "zero-copy"
    copies_note = (
        "zero-copy for arrays of every dtype in the segment (strategy.empty/asarray/prepare; "
        "a frame there is read in place, padding and all); an ordinary array is copied into "
        "the segment, packed for a frame (and back, for square); scale's result and frame's "
        "gray image live in it"
    )
    spin_ns = SPIN_NS
    zero_copy = True
    phase_names = PHASE_NAMES
