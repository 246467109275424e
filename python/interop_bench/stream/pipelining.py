"""Which in-flight depths a strategy can stream at, and why not more.

Depth 2 is double buffering. An in-process strategy gets it from two caller
threads, each with a frame in flight: that overlaps two calls only where a call
lets other Python threads run (the GIL released around the kernel) and the
strategy keeps no per-call state in the instance (the bindings; not the
serializations, whose encoders are per instance). A cross-process or network
strategy has one channel to its worker or peer, which two threads would
interleave; it pipelines when it splits its frame call into submit and
collect (Strategy.frames_in_flight, frame_submit, frame_collect): frame N+1
goes out while frame N is worked on or comes back (shm*, mp-shm: two slots in
the segment; pipe, uds, tcp: the next request written while the last reply is
read; zmq*: a DEALER socket sends the next request before the last reply has
come, which the worker's REP answers in order; grpc-stream and arrow-flight:
one long call or exchange whose messages carry each frame's number). The
others say here why they do not.
"""

from __future__ import annotations

from interop_bench.strategies import Strategy
from interop_bench.strategies.base import CROSS_PROCESS_FAMILIES

THREADED_FAMILIES = ("reference", "ffi")
KERNEL = "kernel"  # the stream floor: the C++ kernel alone, paced the same way
_NOT_SPLIT = "its frame call is not split into submit and collect"
# Why each cross-process or network strategy without a submit/collect split has none.
_WHY_NOT_SPLIT = {
    "file-mmap": (
        f"{_NOT_SPLIT}: each frame's input and output files are made and removed around "
        "one exchange; the pipe under it would pipeline as `pipe` does, the files' life "
        "cycle across submit and collect is not built"
    ),
    "grpc": "one blocking unary call per frame; two in flight need grpcio's future API "
    "and a server that answers a call while another runs, not built",
    "pickle5": "frames of (seq, op, args) over pipes, one exchange at a time; submit/collect "
    "over them (as `pipe`'s) is not built",
}
_ALIASES = {"pickle": "pickle5"}


def depth_limit(cls: type[Strategy]) -> tuple[int, str | None]:
    """The deepest depth the strategy streams at, and why no deeper (None: no limit known)."""
    if cls.family in CROSS_PROCESS_FAMILIES:
        if cls.frames_in_flight >= 2:
            return 2, None
        reason = _WHY_NOT_SPLIT.get(_ALIASES.get(cls.name, cls.name), _NOT_SPLIT)
        return 1, f"one channel to its worker or peer: {reason}"
    if cls.family not in THREADED_FAMILIES:
        return 1, "its encoder and decoder are per instance: two threads would share them"
    if cls.releases_gil == "never":
        return 1, "its calls hold the GIL: a second thread could not overlap them"
    return 2, None
