"""The interface every strategy implements: how the runner and the tests see it.

A strategy is a thin adapter: it knows how to get an array across one kind of
boundary and back, nothing about timing or statistics (the runner owns those).
Subclasses that bind native functions directly may assign them as instance
attributes in `_open()` (``self.sum = module.sum``), so that a call costs what
the binding costs and not an extra Python frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import ClassVar, Literal

import numpy as np

Family = Literal["reference", "ffi", "serialization", "ipc", "network"]
# The families whose calls wait for another process (a worker, a peer).
CROSS_PROCESS_FAMILIES: tuple[Family, ...] = ("ipc", "network")

# What a strategy does with the array's bytes on one way across the boundary:
#   zero-copy  the other side reads or writes the caller's memory in place;
#   copy       the bytes are copied once (or more: say so in `copies_note`);
#   serialize  the values are encoded to another representation and decoded.
CopyKind = Literal["zero-copy", "copy", "serialize"]


def round_up(value: int, multiple: int) -> int:
    """The smallest multiple of `multiple` that is >= `value` (sizes of buffers, blocks)."""
    return -(-value // multiple) * multiple


def not_open_error(strategy_name: str) -> RuntimeError:
    """What every strategy raises when it is used closed."""
    return RuntimeError(
        f"strategy {strategy_name!r} is not open: call open() or use it in a with block"
    )


class Strategy(ABC):
    """One way of reaching the kernel core from Python.

    Every strategy carries every dtype of ops.DTYPES and frames: its ops take
    arrays of each, with NumPy's semantics (ops.py), and refuse every other
    dtype with a TypeError naming it, never converting silently."""

    name: ClassVar[str]
    family: ClassVar[Family]
    description: ClassVar[str]
    copies_in: ClassVar[CopyKind]  # Python -> C++ (arguments)
    copies_out: ClassVar[CopyKind]  # C++ -> Python (scale's new array)
    copies_note: ClassVar[str] = ""  # anything the two words do not say
    # The files beyond the Python modules of its class (found by the runner) that
    # make its call, repository-relative, the native adapter first: the report
    # shows them as the code behind the strategy's numbers. Only a strategy that
    # is NumPy alone has none (the tests check every path exists).
    sources: ClassVar[tuple[str, ...]] = ()
    # Who allocates scale's result when copies_out is "zero-copy": "native" (the
    # array wraps memory the native side allocated: owndata False, base set) or
    # "numpy" (the adapter allocates it with NumPy and the native side writes
    # into it in place). The conformance suite checks the array accordingly.
    scale_result_memory: ClassVar[Literal["native", "numpy"]] = "native"

    def __init__(self) -> None:
        self.is_open = False

    # -- lifecycle -------------------------------------------------------
    def open(self) -> None:
        """Load the library / start the worker. Opening an open strategy is a no-op."""
        if not self.is_open:
            self._open()
            self.is_open = True

    def close(self) -> None:
        """Release everything `open` acquired. Always safe, idempotent."""
        if self.is_open:
            self.is_open = False
            self._close()

    def _open(self) -> None:  # noqa: B027 - optional hook, most strategies need nothing
        """Acquire resources; subclasses override."""

    def _close(self) -> None:  # noqa: B027 - optional hook
        """Release resources; subclasses override."""

    def __enter__(self) -> Strategy:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the operations -----------------------------------------------------
    @abstractmethod
    def sum(self, a: np.ndarray) -> float | int:
        """Sum of a 1-D array, as np.sum: a float for floats, an int for integers."""

    @abstractmethod
    def square(self, a: np.ndarray) -> None:
        """Square every element in place: the caller's array changes."""

    @abstractmethod
    def matrix_sum(self, m: np.ndarray) -> float | int:
        """Sum of a 2-D array (any layout; see strategies/validation.py), as np.sum."""

    @abstractmethod
    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        """A new array holding a * k in a's dtype (k an int for integer arrays)."""

    @abstractmethod
    def frame(self, image: np.ndarray) -> np.ndarray:
        """A new H x W uint8 gray image of an H x W x 3 uint8 RGB one, BT.601 integer
        weights (kernels::frame_to_gray); validation.frame says which layouts."""

    # -- what the tests and the runner need to know ----------------------
    @abstractmethod
    def data_address(self, a: np.ndarray) -> int:
        """The address of the data that the native side received for `a`, passed
        the way `sum` passes it. Equal to ``a.ctypes.data`` exactly when the
        strategy is zero-copy on the way in; the conformance suite checks it."""

    def last_result_address(self) -> int:
        """Where the native side wrote the last `scale` result, in this process's
        address space: the conformance suite checks it is the returned array's
        own memory for every strategy whose `copies_out` is "zero-copy"."""
        raise NotImplementedError(f"{self.name} does not record where scale wrote its result")

    def result_buffers_alive(self) -> int | None:
        """How many result buffers the native side allocated are still alive, for
        strategies whose results wrap native memory (None elsewhere): the tests
        check a result outlives its strategy and is freed exactly once."""
        return None

    # Strategies whose call has distinct stages (encode, cross, kernel, decode)
    # name them here, in call order, and implement `call_with_phases`.
    phase_names: ClassVar[tuple[str, ...]] = ()

    def call_with_phases(self, op: str, *args: object) -> tuple[object, dict[str, int]]:
        """Run `op` once (as `getattr(self, op)(*args)` would) and return its result
        with the nanoseconds spent in each of `phase_names`."""
        raise NotImplementedError(f"{self.name} does not time its phases")

    # When a call lets other Python threads run: "never" (the GIL is held),
    # "large" (released around kernels from the threshold of
    # strategies/_binding_common/include/interop_bench/gil_policy.hpp, which
    # strategies/gil.py reads from the native side), "always" (the mechanism
    # releases it around every call, as ctypes.CDLL and cffi do). The tests check
    # the claim on every strategy that makes one.
    releases_gil: ClassVar[Literal["never", "large", "always"]] = "never"

    # The packages whose release decides what a call costs (the binding, the
    # codec), as keys of a results file's environment.versions ("python" for a
    # module of the standard library): `interop-bench list` shows their versions.
    packages: ClassVar[tuple[str, ...]] = ()

    # The implementation a package chose when it was imported, where it has
    # several that cost differently (protobuf's "upb", "cpp" or "python"), or "".
    backend: ClassVar[str] = ""
    # True for a strategy whose first calls compile code (cppyy's JIT): each run
    # measures its start-up once, in a fresh process, apart from the steady state
    # of the cells (runner/startup.py, strategies.<name>.startup in the results).
    measures_startup: ClassVar[bool] = False

    # Why Valgrind cannot count this strategy's instructions per call honestly
    # (runner/instructions.py), or "" when it can: in-process strategies can.
    uncountable: ClassVar[str] = ""

    def worker_pids(self) -> list[int]:
        """Processes (other than this one) whose memory a call uses."""
        return []

    # -- pipelined frames: an optional capability ------------------------------
    # How many frames `frame_submit` may have in flight before their `frame_collect`:
    # 1 for a strategy that has no submit/collect split (stream/pipelining.py
    # says why). One thread submits and one collects; the two may run at once.
    frames_in_flight: ClassVar[int] = 1

    def frame_submit(self, image: np.ndarray) -> int:
        """Send `image` (as `frame` takes it) towards its gray image without waiting
        for it; a ticket for `frame_collect`. A submit beyond `frames_in_flight`
        frames not yet collected raises RuntimeError."""
        raise NotImplementedError(f"{self.name} has no submit/collect split of frame")

    def frame_collect(self, ticket: int) -> np.ndarray:
        """The gray image of the oldest frame in flight, which must be `ticket`
        (frames are collected in the order they were submitted)."""
        raise NotImplementedError(f"{self.name} has no submit/collect split of frame")

    def prepare(self, a: np.ndarray) -> np.ndarray:
        """Place an input where this strategy reads it best (e.g. in its shared
        memory segment) and return it; the runner and the conformance suite call
        it outside timing. Most strategies read any array where it is."""
        return a
