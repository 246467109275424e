"""`pickle5` and `pickle`: a Python worker process fed pickles over pipes, what
multiprocessing users do, done as well as pickle allows.

The worker (_transport/pickle_worker.py, same interpreter) runs the kernel core through
the capi extension module, whose kernel is the one of the array's dtype (every
dtype of ops.DTYPES; frame through capi's frame). Each call sends
``(seq, op, args)`` and gets back ``(seq, "ok", result)`` as frames of
_transport/pickle_frames.py. A pickled ndarray keeps its dtype and shape in the pickle and
its raw bytes in the buffer, so every dtype crosses the same way, per byte.

pickle5: protocol 5 with out-of-band buffers (PEP 574). ``pickle.dumps`` with a
buffer_callback leaves the array bytes out of the pickle; the pickle and each
raw buffer go to the pipe in one ``os.writev``, unjoined, and the other side
reads each buffer with ``readv`` into memory allocated for it (for square, the
reply is read straight into the caller's array), over which ``pickle.loads``
builds the arrays without a copy. pickle: the same with the bytes in-band
(``pickle.dumps(obj, protocol=5)``): one more copy on each side of each pipe.

Faults are those of the other cross-process strategies: a worker that dies
mid-call is noticed at once (the pipe reaches EOF) and raises WorkerError; any
failure or Ctrl-C in a call kills the worker and closes the strategy, and the
next open() starts a fresh one; the worker dies with this process (with the
thread that opened the strategy, as ib_worker: see _transport/worker.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

import interop_bench
from interop_bench.strategies import validation
from interop_bench.strategies._transport import pickle_frames as frames
from interop_bench.strategies._transport import pickle_worker
from interop_bench.strategies._transport.worker import (
    STOP_TIMEOUT_S,
    UNCOUNTABLE,
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
    array_bytes,
    enlarge_pipes,
    out_of_step_closes,
    pids,
    spawn,
)
from interop_bench.strategies.base import Strategy, not_open_error

# Imported for its name (and so that it counts among the sources): it runs in a
# process of its own.
WORKER_MODULE = pickle_worker.__name__
_NO_DESTINATIONS: tuple[memoryview, ...] = ()


class PickleWorker(WorkerProcess):
    """The Python worker, managed like ib_worker (alive, stop, kill; see _transport/worker.py)."""

    def __init__(self, args: Sequence[str]) -> None:
        # Not super().__init__(): that one starts ib_worker.
        command = [sys.executable, "-m", WORKER_MODULE, *args, f"--parent={os.getpid()}"]
        # The worker imports this very package, wherever it was imported from.
        package_root = str(Path(interop_bench.__file__).resolve().parent.parent)
        path = os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))
        env = {**os.environ, "PYTHONPATH": path}
        pipe = subprocess.PIPE
        self.process = spawn(command, stdin=pipe, stdout=pipe, bufsize=0, env=env)
        self.pid = self.process.pid

    def death(self) -> str:
        return super().death().replace("ib_worker", "the pickle worker", 1)


class Pickle5Strategy(Strategy):
    name = "pickle5"
    sources = ("strategies/capi/ib_capi.cpp",)
    packages = ("python",)
    family = "ipc"
    releases_gil = "always"  # blocking reads and writes on the pipes
    uncountable = UNCOUNTABLE
    description = (
        "Python worker process over pipes: pickle protocol 5, arrays as out-of-band "
        "buffers written with writev and read with readv into place"
    )
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "bytes cross twice each way (into the kernel's pipe buffer and out of it), never "
        "through the pickle itself; square's reply is read into the caller's array; a strided "
        "matrix and a padded or cropped frame are packed first"
    )
    out_of_band: ClassVar[bool] = True

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__()
        self._worker_flags = tuple(worker_flags)  # tests only: e.g. ("--stall-fifo=PATH",)
        self._worker: PickleWorker | None = None
        self._seq = 0
        # What the last request and reply carried (tests check the buffers are out-of-band).
        self.last_sent = frames.FrameSizes(0, 0)
        self.last_received = frames.FrameSizes(0, 0)

    def _open(self) -> None:
        flags = self._worker_flags if self.out_of_band else ("--in-band", *self._worker_flags)
        worker = self._worker = PickleWorker(flags)
        self._to_fd = worker.stdin.fileno()
        self._from_fd = worker.stdout.fileno()
        enlarge_pipes(self._to_fd, self._from_fd)
        try:
            ready, _ = frames.receive(self._from_fd)  # the imports are done before any timing
        except (frames.FrameError, OSError) as error:
            worker.kill()
            self._worker = None
            raise WorkerError(f"{worker.death()} before it was ready") from error
        if ready != (0, "ok", worker.pid):
            worker.kill()
            self._worker = None
            raise WorkerError(f"the pickle worker broke the protocol: {ready!r} for ready")

    def _close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stdin.close()  # EOF: the worker returns
            worker.stop()

    def worker_pids(self) -> list[int]:
        return pids(self._worker)

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        return self._scalar(self._call("sum", a), a.dtype)

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        reply = self._call("square", a, into=array_bytes(a) if self.out_of_band else None)
        if not self.out_of_band:
            a[...] = reply  # in-band: the values came inside the pickle

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _ = validation.row_major(m)
        packed = np.ascontiguousarray(view)  # rows go out back to back
        return self._scalar(self._call("matrix_sum", packed), packed.dtype)

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        result = self._call("scale", a, validation.factor(k, a.dtype))
        return self._array(result, "scale", a.dtype, a.shape)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _ = validation.frame(image)
        packed = np.ascontiguousarray(rgb)  # rows go out back to back, as one buffer
        result = self._call("frame", packed)
        return self._array(result, "frame", validation.UINT8, rgb.shape[:2])

    def data_address(self, a: np.ndarray) -> int:
        """The worker's own address of the copy it read (another address space)."""
        a = validation.vector(a)
        return int(self._call("data_address", a))  # type: ignore[call-overload]

    @staticmethod
    def _scalar(result: object, dtype: np.dtype) -> float | int:
        # capi answers as np.sum does: an int for integers, a float for floats.
        wanted = float if dtype.kind == "f" else int
        if isinstance(result, bool) or not isinstance(result, wanted):
            raise WorkerError(f"the pickle worker answered a {dtype} sum with {result!r}")
        return result

    @staticmethod
    def _array(result: object, op: str, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        if not (isinstance(result, np.ndarray) and result.dtype == dtype and result.shape == shape):
            raise WorkerError(f"the pickle worker answered {op} with {result!r:.80}")
        return result

    # -- one exchange ----------------------------------------------------
    def _call(self, op: str, *args: object, into: memoryview | None = None) -> object:
        if self._worker is None:
            raise not_open_error(self.name)
        with out_of_step_closes(self._worker.kill, self.close):
            return self._exchange(self._worker, op, args, into)

    def _exchange(
        self, worker: PickleWorker, op: str, args: tuple[object, ...], into: memoryview | None
    ) -> object:
        seq = self._seq = self._seq + 1
        try:
            self.last_sent = frames.send(
                self._to_fd, frames.dumps((seq, op, args), self.out_of_band)
            )
            destinations = (into,) if into is not None else _NO_DESTINATIONS
            reply, self.last_received = frames.receive(self._from_fd, destinations)
        except (frames.PeerClosedError, BrokenPipeError) as error:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(STOP_TIMEOUT_S)  # the pipe closes as the worker dies
            raise WorkerError(f"{worker.death()} before it answered") from error
        except frames.FrameError as error:
            raise WorkerError(f"the pickle worker broke the protocol: {error}") from error
        if not (isinstance(reply, tuple) and len(reply) == 3 and reply[0] == seq):
            raise WorkerError(f"the pickle worker broke the protocol: {reply!r} for request {seq}")
        _, status, result = reply
        if status == "error":
            raise WorkerRefusedError(f"the pickle worker refused the request: {result}")
        return result


class PickleStrategy(Pickle5Strategy):
    name = "pickle"
    description = (
        "Python worker process over pipes: pickle protocol 5 with the arrays in-band "
        "(no buffer_callback)"
    )
    copies_note = (
        "bytes copied into the pickle, through the pipe (twice) and out of the pickle on each "
        "way; square copies the reply into the caller's array; a strided matrix is packed first"
    )
    out_of_band = False
