"""When the strategies let other Python threads run, said once: the threshold
comes from the native side (gil_policy.hpp, exported by ib_capi), and the prose
of `interop-bench list` is made here from each strategy's `releases_gil`."""

from __future__ import annotations

from interop_bench import native
from interop_bench.strategies.base import Strategy

THRESHOLD_MODULE = "ib_capi"


def release_threshold_elements() -> int | None:
    """From how many elements the extension modules release the GIL; None when
    the native modules were not built."""
    try:
        return int(native.extension(THRESHOLD_MODULE).RELEASE_GIL_MIN_ELEMENTS)
    except native.NativeUnavailableError:
        return None


def note(cls: type[Strategy]) -> str:
    """A strategy's GIL policy in words."""
    if cls.releases_gil == "always":
        return "GIL released around every call"
    if cls.releases_gil == "never":
        return "GIL held"
    threshold = release_threshold_elements()
    where = f"from {threshold:,} elements" if threshold else "for large arrays (not built here)"
    return f"GIL released around the kernel {where}"
