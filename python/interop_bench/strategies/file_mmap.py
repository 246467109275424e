"""`file-mmap`: "just write it to a file and mmap it in C++".

Each call np.save's its input into the strategy's private directory on tmpfs
(/dev/shm/ib_npy_<pid>_<random>/, _npy_directory.py), names the file to a C++
worker over a pipe (the pipe frames of strategies/ipc/protocol.hpp, the file
names as payload), and waits for its answer. The worker
(strategies/file_mmap/) maps the file, checks its .npy header as hostile input,
runs the kernel: sum reads the mapping, square squares it in place (the file
then holds the result), scale writes a new .npy file through a mapping. Python
opens a result with np.load(mmap_mode=...): scale's result *is* the mapped
output file (no copy out; the name is unlinked as soon as it is mapped, the
memory goes with the array); square's is copied into the caller's array.

Every call removes its files on every path (return, refusal, exception,
Ctrl-C: the `finally` below; a dead or misbehaving worker: killed first, then
the directory goes with close()). After a SIGKILL of this process, the next
open sweeps the directories of dead owners.

Phases (`call_with_phases`, as `pipe`'s): send (np.save and the notification),
round_trip (the worker opens, maps, checks, computes and answers), receive
(np.load of the result, square's copy, the unlinks).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies._ipc_protocol import Op
from interop_bench.strategies._ipc_worker import (
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
)
from interop_bench.strategies._npy_directory import make_directory, remove_directory
from interop_bench.strategies.base import not_open_error
from interop_bench.strategies.pipe import PipeStrategy

WORKER = "ib_file_mmap_worker"
INPUT_NAME = "in.npy"  # one call at a time: each call's files are gone before the next
OUTPUT_NAME = "out.npy"
FLOAT64 = np.dtype("<f8")


class FileRefusedError(WorkerRefusedError, ValueError):
    """The worker refused a file (its header, its name): a ValueError naming the problem."""


def save_npy(path: Path, array: np.ndarray) -> None:
    """The input as a .npy file (the tests replace this to hand the worker hostile files)."""
    np.save(path, array, allow_pickle=False)


class FileMmapStrategy(PipeStrategy):
    name = "file-mmap"
    sources = (
        "strategies/file_mmap/file_server.cpp",
        "strategies/file_mmap/npy_header.cpp",
        "strategies/file_mmap/mapped_file.cpp",
        "strategies/file_mmap/worker.cpp",
        "strategies/ipc/stream_io.cpp",
        "python/interop_bench/strategies/_npy_directory.py",
        "python/interop_bench/strategies/_ipc_worker.py",
    )
    description = (
        "np.save into a private tmpfs directory (/dev/shm), a C++ worker told over a pipe "
        "maps the .npy file (header checked as hostile); results come back as .npy files "
        "opened with np.load(mmap_mode=...)"
    )
    packages = ("numpy",)  # np.save and np.load(mmap_mode=...) are the Python side
    copies_in = "copy"
    copies_out = "zero-copy"
    scale_result_memory = "native"
    copies_note = (
        "np.save copies the input into tmpfs pages (a strided matrix packed as it goes); the "
        "worker maps them; scale's result is the worker's output file mapped by np.load "
        "(no copy out), square's result file is copied into the caller's array; every call "
        "also creates, maps and unlinks files and pays a pipe round trip to notify the worker"
    )

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__(worker_flags)
        self.directory: Path | None = None
        self._last_result_address = 0

    def _open(self) -> None:
        directory = make_directory()
        try:
            flags = [f"--dir={directory}", *self._worker_flags]
            self._worker = WorkerProcess(flags, pipes=True, program=WORKER)
        except BaseException:
            remove_directory(directory)
            raise
        self.directory = directory
        self._to_fd = self._worker.stdin.fileno()
        self._from_fd = self._worker.stdout.fileno()

    def _close(self) -> None:
        try:
            super()._close()  # the worker stops (or is killed) before its files go
        finally:
            directory, self.directory = self.directory, None
            if directory is not None:
                remove_directory(directory)

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float:
        a = validation.vector(a)
        with self._files() as (source, _):
            save_npy(source, a)
            return self.run_files(Op.SUM, INPUT_NAME)

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        with self._files() as (source, _):
            save_npy(source, a)
            self.run_files(Op.SQUARE, INPUT_NAME)
            np.copyto(a, self._load(source, "r", a.shape))

    def matrix_sum(self, m: np.ndarray) -> float:
        view, _ = validation.row_major(m)  # C order, as the worker reads it
        with self._files() as (source, _):
            save_npy(source, view)
            return self.run_files(Op.MATRIX_SUM, INPUT_NAME)

    def scale(self, a: np.ndarray, k: float) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k)
        with self._files() as (source, target):
            save_npy(source, a)
            self.run_files(Op.SCALE, INPUT_NAME, OUTPUT_NAME, factor=factor)
            # r+: a writable array over the file's own pages (shared with nobody
            # once the name is unlinked at the end of this block).
            result = self._load(target, "r+", a.shape)
        self._last_result_address = int(result.ctypes.data)
        return result.view(np.ndarray)  # its base, the np.memmap, holds the mapping

    def data_address(self, a: np.ndarray) -> int:
        """The worker's own address of the mapping it read (another address space)."""
        a = validation.vector(a)
        with self._files() as (source, _):
            save_npy(source, a)
            self.run_files(Op.PROBE, INPUT_NAME)
        return self._detail

    def last_result_address(self) -> int:
        """Our address of the mapped output file the worker wrote the last scale into."""
        return self._last_result_address

    # -- files and the notification ----------------------------------------
    def run_files(self, op: int, source: str, target: str = "", *, factor: float = 0.0) -> float:
        """Tell the worker to run `op` on the file `source` of the directory (scale:
        into the new file `target`) and return its result; a refused file raises a
        FileRefusedError (a ValueError) that names the problem."""
        names = memoryview(f"{source}\n{target}".encode())
        try:
            return self._call(op, factor=factor, payload=names)
        except WorkerRefusedError as refusal:
            raise FileRefusedError(str(refusal)) from None

    @contextmanager
    def _files(self) -> Iterator[tuple[Path, Path]]:
        """The paths of one call's input and output; both are gone when it ends."""
        if self.directory is None:
            raise not_open_error(self.name)
        paths = (self.directory / INPUT_NAME, self.directory / OUTPUT_NAME)
        try:
            yield paths
        finally:
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    def _load(self, path: Path, mode: Literal["r", "r+"], shape: tuple[int, ...]) -> np.ndarray:
        """The worker's result file, mapped; a file that is not the float64 array
        asked for means the worker cannot be trusted: it is killed, the strategy
        closed."""
        try:
            result = np.load(path, mmap_mode=mode, allow_pickle=False)
            if result.dtype != FLOAT64 or result.shape != shape:
                raise ValueError(f"it holds {result.dtype} {result.shape}")
        except (OSError, ValueError) as error:
            if self._worker is not None:
                self._worker.kill()
            self.close()
            raise WorkerError(
                f"{WORKER} broke the protocol: its result {path.name} is not float64 {shape} "
                f"({error}); it is no longer trusted"
            ) from error
        return result
