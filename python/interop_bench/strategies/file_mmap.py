"""`file-mmap`: "just write it to a file and mmap it in C++".

Each call np.save's its input into the strategy's private directory on tmpfs
(/dev/shm/ib_npy_<pid>_<random>/, _transport/npy_directory.py), names the file to a C++
worker over a pipe (the pipe frames of strategies/_ipc_core/protocol.hpp, the file
names as payload), and waits for its answer. The worker
(strategies/file_mmap/) maps the file, checks its .npy header as hostile input,
runs the kernel of the file's dtype (every dtype of ops.DTYPES; the request
names the dtype it expects and a file of another is refused): sum reads the
mapping, square squares it in place (the file then holds the result), scale
and frame write a new .npy file through a mapping (frame: the H x W gray image
of an H x W x 3 uint8 file). Python opens a result with np.load(mmap_mode=...):
scale's and frame's results *are* the mapped output files (no copy out; the
name is unlinked as soon as it is mapped, the memory goes with the array);
square's is copied into the caller's array.

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
from interop_bench.strategies._transport.npy_directory import make_directory, remove_directory
from interop_bench.strategies._transport.protocol import FRAME_DTYPE_CODE, Op, dtype_code
from interop_bench.strategies._transport.stream_strategy import PipeStreamStrategy
from interop_bench.strategies._transport.worker import (
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
)
from interop_bench.strategies.base import Strategy, not_open_error

WORKER = "ib_file_mmap_worker"
INPUT_NAME = "in.npy"  # one call at a time: each call's files are gone before the next
OUTPUT_NAME = "out.npy"


_UINT8 = np.dtype(np.uint8)


class FileRefusedError(WorkerRefusedError, ValueError):
    """The worker refused a file (its header, its name): a ValueError naming the problem."""


def save_npy(path: Path, array: np.ndarray) -> None:
    """The input as a .npy file (the tests replace this to hand the worker hostile files)."""
    np.save(path, array, allow_pickle=False)


class FileMmapStrategy(PipeStreamStrategy):
    name = "file-mmap"
    sources = (
        "strategies/file_mmap/file_server.cpp",
        "strategies/file_mmap/npy_header.cpp",
        "strategies/file_mmap/mapped_file.cpp",
        "strategies/file_mmap/worker.cpp",
        "strategies/_ipc_core/stream_io.cpp",
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
        "np.save copies the input into tmpfs pages (a strided matrix or a padded frame packed "
        "as it goes); the worker maps them; scale's result and frame's gray image are the "
        "worker's output files mapped by np.load (no copy out), square's result file is "
        "copied into the caller's array; every call also creates, maps and unlinks files and "
        "pays a pipe round trip to notify the worker"
    )

    # Its frame names files rather than carrying pixels, so the pipe's submit/collect
    # split does not apply (stream/pipelining.py says why it streams at depth 1).
    frames_in_flight = 1
    frame_submit = Strategy.frame_submit
    frame_collect = Strategy.frame_collect

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
        self._use_pipes(self._worker)

    def _close(self) -> None:
        try:
            super()._close()  # the worker stops (or is killed) before its files go
        finally:
            directory, self.directory = self.directory, None
            if directory is not None:
                remove_directory(directory)

    # -- the operations ----------------------------------------------------
    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        with self._files() as (source, _):
            save_npy(source, a)
            return self.run_files(Op.SUM, INPUT_NAME, dtype=dtype_code(a))

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        with self._files() as (source, _):
            save_npy(source, a)
            self.run_files(Op.SQUARE, INPUT_NAME, dtype=dtype_code(a))
            np.copyto(a, self._load(source, "r", a.shape, a.dtype))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _ = validation.row_major(m)  # C order, as the worker reads it
        with self._files() as (source, _):
            save_npy(source, view)
            return self.run_files(Op.MATRIX_SUM, INPUT_NAME, dtype=dtype_code(view))

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k, a.dtype)
        with self._files() as (source, target):
            save_npy(source, a)
            self.run_files(Op.SCALE, INPUT_NAME, OUTPUT_NAME, factor=factor, dtype=dtype_code(a))
            # r+: a writable array over the file's own pages (shared with nobody
            # once the name is unlinked at the end of this block).
            result = self._load(target, "r+", a.shape, a.dtype)
        self._last_result_address = int(result.ctypes.data)
        return result.view(np.ndarray)  # its base, the np.memmap, holds the mapping

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _ = validation.frame(image)
        with self._files() as (source, target):
            save_npy(source, rgb)  # packs a padded or cropped view's rows as it writes
            self.run_files(Op.FRAME, INPUT_NAME, OUTPUT_NAME, dtype=FRAME_DTYPE_CODE)
            gray = self._load(target, "r+", rgb.shape[:2], _UINT8)
        self._last_result_address = int(gray.ctypes.data)
        return gray.view(np.ndarray)

    def data_address(self, a: np.ndarray) -> int:
        """The worker's own address of the mapping it read (another address space)."""
        a = validation.vector(a)
        with self._files() as (source, _):
            save_npy(source, a)
            self.run_files(Op.PROBE, INPUT_NAME, dtype=dtype_code(a))
        return self._detail

    def last_result_address(self) -> int:
        """Our address of the mapped output file the worker wrote the last scale into."""
        return self._last_result_address

    # -- files and the notification ----------------------------------------
    def run_files(
        self, op: int, source: str, target: str = "", *, factor: float = 0.0, dtype: int = 0
    ) -> float | int:
        """Tell the worker to run `op` on the file `source` of the directory, an
        array of dtype code `dtype` (scale, frame: into the new file `target`), and
        return its result; a refused file raises a FileRefusedError (a ValueError)
        that names the problem."""
        names = memoryview(f"{source}\n{target}".encode())
        try:
            return self._call(op, factor=factor, payload=names, dtype=dtype)
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

    def _load(
        self, path: Path, mode: Literal["r", "r+"], shape: tuple[int, ...], dtype: np.dtype
    ) -> np.ndarray:
        """The worker's result file, mapped; a file that is not the array of `dtype`
        and `shape` asked for means the worker cannot be trusted: it is killed, the
        strategy closed."""
        try:
            result = np.load(path, mmap_mode=mode, allow_pickle=False)
            if result.dtype != dtype or result.shape != shape:
                raise ValueError(f"it holds {result.dtype} {result.shape}")
        except (OSError, ValueError) as error:
            if self._worker is not None:
                self._worker.kill()
            self.close()
            raise WorkerError(
                f"{WORKER} broke the protocol: its result {path.name} is not {dtype} {shape} "
                f"({error}); it is no longer trusted"
            ) from error
        return result
