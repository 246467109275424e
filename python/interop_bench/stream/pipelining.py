"""Which in-flight depths a strategy can stream at, and why not more.

Depth 2 here is two caller threads, each with a frame in flight: it overlaps
two calls only where a call lets other Python threads run (the GIL released
around the kernel) and the strategy keeps no per-call state in the instance
(the bindings; not the serializations, whose encoders are per instance).
A cross-process or network strategy has one channel to its worker or peer, so
two threads would interleave their messages; it pipelines by splitting its
call into submit and collect, which its transport does not offer yet.
"""

from __future__ import annotations

from interop_bench.strategies import Strategy

THREADED_FAMILIES = ("reference", "ffi")
KERNEL = "kernel"  # the stream floor: the C++ kernel alone, paced the same way


def depth_limit(cls: type[Strategy]) -> tuple[int, str | None]:
    """The deepest depth the strategy streams at, and why no deeper (None: no limit known)."""
    if cls.family in ("ipc", "network"):
        return 1, (
            "one channel to its worker or peer: depth 2 needs a submit/collect split of the "
            "call, not built yet"
        )
    if cls.family not in THREADED_FAMILIES:
        return 1, "its encoder and decoder are per instance: two threads would share them"
    if cls.releases_gil == "never":
        return 1, "its calls hold the GIL: a second thread could not overlap them"
    return 2, None
