"""Where the C ABI library of strategies/_c_abi lives: libib_ctypes.so, shared
by the ctypes family (ctypes, ctypes-ndpointer, ctypes-voidp, ctypes-list) and cffi."""

from __future__ import annotations

from pathlib import Path

from interop_bench import native

LIBRARY_STEM = "ib_ctypes"


def library_path() -> Path:
    """libib_ctypes.so as the build installed it; NativeUnavailableError when it was not built."""
    return native.shared_library(LIBRARY_STEM)
