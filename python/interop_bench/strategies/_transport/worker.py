"""The ib_worker process behind the `shm*`, `pipe`, `uds` and `tcp` strategies (and
file-mmap's ib_file_mmap_worker, zmq's ib_zmq_worker): starting it, asking whether it
lives, stopping it, and the error a caller sees when it fails.

The worker dies with this process (it asks the kernel for SIGKILL when its
parent goes, see strategies/_ipc_worker/worker.cpp), so a killed benchmark leaves no
worker behind. PR_SET_PDEATHSIG follows the *thread* that started the worker:
open a strategy from a thread that outlives it (the main thread, normally).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

import numpy as np

from interop_bench import native
from interop_bench.strategies._transport import placement

# How long a stopping worker may take to exit by itself before it is killed.
STOP_TIMEOUT_S = 2.0


# Why an IPC strategy's instructions cannot be counted by Valgrind: the work
# happens in another process, and the wait for its reply spins or polls a
# number of times that depends on how fast that process answers.
UNCOUNTABLE = (
    "its work runs in a worker process that Valgrind does not see, and its wait for the "
    "reply loops a number of times that depends on timing"
)


_PIPE_MAX_SIZE = Path("/proc/sys/fs/pipe-max-size")


def array_bytes(a: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, without a copy (what a pipe strategy writes)."""
    return a.reshape(-1).data.cast("B")


def enlarge_pipes(*fds: int) -> None:
    """Give pipes the largest buffer the system allows (fewer, larger transfers);
    where it cannot be raised, they keep the default."""
    with contextlib.suppress(OSError, ValueError):
        size = int(_PIPE_MAX_SIZE.read_text())
        for fd in fds:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)


def spawn(command: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start a worker process (subprocess.Popen's arguments) on the run's
    worker CPUs, wherever the run's placement puts them (_transport/placement.py)."""
    with placement.starting_worker():
        return subprocess.Popen(command, **popen)


def pids(worker: Peer | None) -> list[int]:
    """A strategy's worker_pids(): its worker's, while it has one on this machine."""
    return [worker.pid] if isinstance(worker, WorkerProcess) else []


class Peer(Protocol):
    """The other side of a stream strategy (pipe, uds, tcp): a WorkerProcess of
    this machine, or a network peer that another host runs (strategies/_transport/net_peer.py)."""

    program: str  # how errors name it

    def alive(self) -> bool: ...

    def ended(self) -> str:
        """How it ended, once its end of the stream closed (for error messages)."""
        ...

    def kill(self) -> None: ...

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None: ...


class WorkerError(RuntimeError):
    """The worker died, broke the protocol or refused a request."""


class WorkerRefusedError(WorkerError):
    """The worker answered a request with an error: it is still in step and trusted."""


def out_of_step_closes(kill: Callable[[], None], close: Callable[[], None]) -> _OutOfStepCloses:
    """Around one request/answer exchange over a stream: a refusal leaves the stream
    in step and the worker trusted; anything else (death, protocol breach, Ctrl-C)
    leaves it out of step, so the worker is killed and the strategy closed."""
    return _OutOfStepCloses(kill, close)


class _OutOfStepCloses:
    """out_of_step_closes' context manager: a class rather than a @contextmanager
    generator, as it wraps every call (0.3 us a call against the generator's 0.85)."""

    __slots__ = ("_close", "_kill")

    def __init__(self, kill: Callable[[], None], close: Callable[[], None]) -> None:
        self._kill = kill
        self._close = close

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None and not isinstance(error, WorkerRefusedError):
            self._kill()
            self._close()  # the exception goes on


class WorkerProcess:
    """One running ib_worker (or another worker executable of the same life cycle)."""

    program = "ib_worker"  # the executable, as errors name it

    def __init__(
        self,
        args: Sequence[str],
        *,
        pipes: bool = False,
        stream: socket.socket | None = None,
        program: str = "ib_worker",
    ) -> None:
        """`pipes`: the worker's stdin and stdout are pipes to this process; `stream`:
        they are both this socket (the worker's end; the caller closes its copy);
        `program`: the native executable (file-mmap and zmq have their own)."""
        self.program = program
        command = [str(native.executable(program)), *args, f"--parent={os.getpid()}"]
        ends: int | None = subprocess.PIPE if pipes else subprocess.DEVNULL
        if stream is not None:
            ends = stream.fileno()
        self.process = spawn(command, stdin=ends, stdout=ends, bufsize=0)
        self.pid = self.process.pid

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def alive(self) -> bool:
        return self.process.poll() is None

    def death(self) -> str:
        """How the worker ended, for error messages."""
        code = self.process.poll()
        if code is None:
            return f"{self.program} (pid {self.pid}) is still running"
        if code < 0:
            return f"{self.program} (pid {self.pid}) was killed by {signal.Signals(-code).name}"
        return f"{self.program} (pid {self.pid}) exited with status {code}"

    def ended(self) -> str:
        """How the worker ended, once its end of the stream closed: it is exiting, so
        it is given STOP_TIMEOUT_S to finish (then killed)."""
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
        return self.death()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Wait for a worker told to stop; kill it if it does not; always reap it."""
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
