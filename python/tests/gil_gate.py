"""The test gate behind the kernel core's entry hook (native/gil_gate.c; why it
exists: kernels/test_hook.hpp).

It stops a call at the first kernel of the core it enters, or, for a call that
never enters the core (NumPy's own loops), where it first reads a given page.

`load()` compiles the gate with the system's C compiler (the one that built the
package; $CC if set) and loads it with RTLD_GLOBAL, once per session. It must
run before any module that links the kernel core is loaded: the dynamic linker
binds a module's weak reference to the hook when it loads the module, to the
gate if the gate is there and to null otherwise. conftest.py loads it first,
and `load()` refuses to come after a native artifact of the package.
"""

from __future__ import annotations

import ctypes
import enum
import functools
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from interop_bench.native import NATIVE_DIR

SOURCE = Path(__file__).resolve().parent / "native" / "gil_gate.c"


class Outcome(enum.IntEnum):
    """What happened at the gate during one probe (gil_gate_disarm)."""

    NEVER_ENTERED = 0  # no kernel was entered, or its module did not bind the hook
    OBSERVED = 1  # the observer ran while the kernel waited: the GIL was free
    TIMED_OUT = 2  # the kernel's bounded wait ran out: its caller held the GIL


def _mapped_native_artifacts() -> list[str]:
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return sorted({line.split()[-1] for line in maps if str(NATIVE_DIR) in line})


def _compile(library: Path) -> None:
    compiler = shlex.split(os.environ.get("CC", "cc"))
    flags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-fPIC", "-shared", "-pthread"]
    done = subprocess.run(
        [*compiler, *flags, str(SOURCE), "-o", str(library)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cannot compile the GIL test gate {SOURCE}:\n{done.stderr}")


@functools.cache
def load() -> ctypes.CDLL:
    """The gate, compiled and loaded globally (once)."""
    early = _mapped_native_artifacts()
    if early:
        raise RuntimeError(f"the GIL test gate must be loaded before {early}: load it first")
    with tempfile.TemporaryDirectory(prefix="gil_gate-") as directory:
        library = Path(directory) / "libgil_gate.so"
        _compile(library)
        gate = ctypes.CDLL(str(library), mode=os.RTLD_GLOBAL, use_errno=True)  # stays mapped
    gate.gil_gate_arm.argtypes = [ctypes.c_double]
    gate.gil_gate_arm.restype = None
    gate.gil_gate_observer_ran.restype = None
    for function in (gate.gil_gate_await_entry, gate.gil_gate_disarm):
        function.argtypes = []
        function.restype = ctypes.c_int
    gate.gil_gate_observer_ran.argtypes = []
    gate.gil_gate_arm_page.argtypes = [ctypes.c_void_p, ctypes.c_double]
    gate.gil_gate_arm_page.restype = ctypes.c_int
    return gate
