"""The ib_worker process behind the `shm*`, `pipe` and `uds` strategies (and
ib_zmq_worker behind `zmq*`): starting it, asking whether it lives, stopping it,
and the error a caller sees when it fails.

The worker dies with this process (it asks the kernel for SIGKILL when its
parent goes, see strategies/ipc/worker.cpp), so a killed benchmark leaves no
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from interop_bench import native

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


def pids(worker: WorkerProcess | None) -> list[int]:
    """A strategy's worker_pids(): its worker's, while it has one."""
    return [worker.pid] if worker is not None else []


class WorkerError(RuntimeError):
    """The worker died, broke the protocol or refused a request."""


class WorkerRefusedError(WorkerError):
    """The worker answered a request with an error: it is still in step and trusted."""


@contextmanager
def out_of_step_closes(kill: Callable[[], None], close: Callable[[], None]) -> Iterator[None]:
    """Around one request/answer exchange over a stream: a refusal leaves the stream
    in step and the worker trusted; anything else (death, protocol breach, Ctrl-C)
    leaves it out of step, so the worker is killed and the strategy closed."""
    try:
        yield
    except WorkerRefusedError:
        raise
    except BaseException:
        kill()
        close()
        raise


class WorkerProcess:
    """One running ib_worker (or another worker executable of the same life cycle)."""

    executable = "ib_worker"  # the worker's name, in its errors too

    def __init__(
        self,
        args: Sequence[str],
        *,
        pipes: bool = False,
        stream: socket.socket | None = None,
        executable: str = "ib_worker",
    ) -> None:
        """`pipes`: the worker's stdin and stdout are pipes to this process; `stream`:
        they are both this socket (the worker's end; the caller closes its copy)."""
        self.executable = executable
        command = [str(native.executable(executable)), *args, f"--parent={os.getpid()}"]
        ends: int | None = subprocess.PIPE if pipes else subprocess.DEVNULL
        if stream is not None:
            ends = stream.fileno()
        self.process = subprocess.Popen(command, stdin=ends, stdout=ends, bufsize=0)
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
            return f"{self.executable} (pid {self.pid}) is still running"
        if code < 0:
            return f"{self.executable} (pid {self.pid}) was killed by {signal.Signals(-code).name}"
        return f"{self.executable} (pid {self.pid}) exited with status {code}"

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
