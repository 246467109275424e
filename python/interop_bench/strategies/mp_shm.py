"""`mp-shm`: `multiprocessing.shared_memory`, the standard library's way most people
reach for first: a SharedMemory block, an ndarray over its buffer, the input
copied in, the C++ worker attaching to the block by name.

The data path is shm-copy's (one copy in per input, one out per result, the
same worker and wait); what differs is who makes the segment: the standard
library, with its resource tracker. Its rough edges are handled the way a
careful user must (strategies/_transport/segments.py, StdlibArena): the name is
unlinked as soon as the worker has mapped it, which also unregisters it from
the tracker, so there is no "leaked shared_memory" warning at exit and nothing
is left in /dev/shm after Ctrl-C or SIGKILL; and a block is never closed while
an array still uses it (SharedMemory.close raises BufferError then).
"""

from __future__ import annotations

from interop_bench.strategies._transport.segments import StdlibArena
from interop_bench.strategies._transport.shm_strategy import CopyingShmStrategyBase


class MpShmStrategy(CopyingShmStrategyBase):
    name = "mp-shm"
    description = (
        "multiprocessing.shared_memory.SharedMemory: an ndarray over shm.buf, inputs copied "
        "in, results out; the C++ worker attaches by name"
    )
    arena_type = StdlibArena
