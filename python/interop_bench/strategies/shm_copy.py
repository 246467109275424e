"""`shm-copy`: shared memory used the way a caller with ordinary arrays uses it:
every input is copied into the segment and every answer copied out."""

from __future__ import annotations

from interop_bench.strategies._transport.shm_strategy import CopyingShmStrategyBase


class ShmCopyStrategy(CopyingShmStrategyBase):
    name = "shm-copy"
    description = "as shm, but the caller's arrays are copied into the segment and results out"
