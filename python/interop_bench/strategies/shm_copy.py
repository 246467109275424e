"""`shm-copy`: shared memory used the way a caller with ordinary arrays uses it:
every input is copied into the segment and every answer copied out."""

from __future__ import annotations

from interop_bench.strategies._ipc_shm import COPY_PHASE_NAMES, ShmStrategyBase
from interop_bench.strategies.shm import SPIN_NS


class ShmCopyStrategy(ShmStrategyBase):
    name = "shm-copy"
    description = "as shm, but the caller's arrays are copied into the segment and results out"
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "one memcpy into the segment per input (a frame's rows packed), one out per result "
        "(square: both)"
    )
    spin_ns = SPIN_NS
    zero_copy = False
    phase_names = COPY_PHASE_NAMES
