"""`file-mmap` beyond the IPC table of test_ipc.py: the worker refuses hostile .npy
files with a ValueError naming the problem, and no file or directory is left
in /dev/shm after any ending of a call (success, refusal, a killed worker, a
killed caller followed by the next open)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from worker_faults import stall_fifo, wait_gone, when_stalled

from interop_bench import ops
from interop_bench.strategies import file_mmap
from interop_bench.strategies._transport.npy_directory import leftover_directories
from interop_bench.strategies._transport.protocol import Op
from interop_bench.strategies._transport.worker import WorkerError
from interop_bench.strategies.file_mmap import FileMmapStrategy


@pytest.fixture
def strategy() -> Iterator[FileMmapStrategy]:
    with FileMmapStrategy() as opened:
        yield opened


def _files(strategy: FileMmapStrategy) -> list[str]:
    assert strategy.directory is not None
    return sorted(os.listdir(strategy.directory))


def _npy(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


GOOD = _npy(np.arange(3.0))

# What np.save or a careless program can write, and the words of the refusal.
HOSTILE: dict[str, tuple[bytes, str]] = {
    "bad magic": (b"\x93NUMPX" + GOOD[6:], "bad magic"),
    "not npy at all": (b"PK\x03\x04 a zip file", "bad magic"),
    "version 4.0": (GOOD[:6] + b"\x04\x00" + GOOD[8:], "unsupported .npy version 4.0"),
    "truncated header": (GOOD[:40], "truncated"),
    "truncated data": (GOOD[:-1], "is truncated"),
    "empty file": (b"", "truncated"),
    "lying shape": (GOOD.replace(b"(3,)", b"(9,)"), "the shape says 72 bytes"),
    "overflowing shape": (  # the same header length: 20 spaces of padding fewer
        GOOD.replace(b"(3,), }" + b" " * 20, b"(4294967296, 4294967296), }"),
        "overflows",
    ),
    "float32 for float64": (
        _npy(np.arange(3, dtype=np.float32)),
        "dtype '<f4' is not the request's",
    ),
    "float16": (_npy(np.arange(3, dtype=np.float16)), "dtype '<f2' is not one of"),
    "int64": (_npy(np.arange(3, dtype=np.int64)), "dtype '<i8' is not one of"),
    "big-endian int16": (_npy(np.arange(3, dtype=">i2")), "dtype '>i2' is big-endian"),
    "big-endian": (_npy(np.arange(3, dtype=">f8")), "big-endian"),
    "fortran order": (_npy(np.asfortranarray(np.ones((2, 3)))), "Fortran"),
    "2-D for sum": (_npy(np.ones((2, 3))), "a 2-D array, 1-D expected"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_value_error_naming_it(
    strategy: FileMmapStrategy, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    content, words = HOSTILE[kind]
    monkeypatch.setattr(file_mmap, "save_npy", lambda path, _: path.write_bytes(content))
    with pytest.raises(ValueError, match="refused") as refusal:
        strategy.sum(ops.make_vector(3))
    assert words in str(refusal.value)
    assert _files(strategy) == []  # the refused file is gone too
    monkeypatch.undo()
    a = ops.make_vector(100)
    ops.check_sum(strategy.sum(a), a)  # a refusal leaves the worker trusted


@pytest.mark.parametrize("name", ["../escape.npy", "sub/dir.npy", "", "..", "x" * 300])
def test_names_outside_the_directory_are_refused(strategy: FileMmapStrategy, name: str) -> None:
    with pytest.raises(ValueError, match="is not a plain name in the worker's directory"):
        strategy.run_files(Op.SUM, name)


def test_overlong_names_and_unknown_ops_are_refused_and_the_worker_stays_in_step(
    strategy: FileMmapStrategy,
) -> None:
    with pytest.raises(ValueError, match="file names of 601 bytes are longer than the 511"):
        strategy.run_files(Op.SUM, "y" * 600)
    with pytest.raises(ValueError, match="unknown op 99"):
        strategy.run_files(99, "in.npy")
    a = ops.make_vector(10)
    ops.check_sum(strategy.sum(a), a)


def test_a_fifo_or_a_missing_file_does_not_block_the_worker(strategy: FileMmapStrategy) -> None:
    assert strategy.directory is not None
    os.mkfifo(strategy.directory / "fifo.npy")
    with pytest.raises(ValueError, match="not a regular file"):
        strategy.run_files(Op.SUM, "fifo.npy")
    with pytest.raises(ValueError, match="No such file"):
        strategy.run_files(Op.SUM, "missing.npy")


def test_scale_refuses_to_overwrite_a_file(strategy: FileMmapStrategy) -> None:
    assert strategy.directory is not None
    (strategy.directory / "in.npy").write_bytes(GOOD)
    (strategy.directory / "taken.npy").write_bytes(b"")
    with pytest.raises(ValueError, match="cannot create it: File exists"):
        strategy.run_files(Op.SCALE, "in.npy", "taken.npy", factor=2.0)


def test_nothing_is_left_after_every_op_and_after_refused_arguments(
    strategy: FileMmapStrategy,
) -> None:
    a = ops.make_vector(10_000)
    ops.check_sum(strategy.sum(a), a)
    ops.check_sum(strategy.matrix_sum(a.reshape(100, 100)[::2, 1:]), a.reshape(100, 100)[::2, 1:])
    kept = strategy.scale(a, 2.0)
    b = a.copy()
    strategy.square(b)
    strategy.data_address(a)
    assert _files(strategy) == []
    for bad in (np.ones(3, dtype=np.float16), np.ones(10)[::2], None):
        with pytest.raises((TypeError, ValueError)):
            strategy.sum(bad)  # type: ignore[arg-type]
    assert _files(strategy) == []
    ops.check_array(kept, a * 2.0, "scale")
    ops.check_array(b, np.square(a), "square")


def test_a_scale_result_is_the_mapped_output_file_and_outlives_the_strategy() -> None:
    with FileMmapStrategy() as strategy:
        a = ops.make_vector(1000)
        result = strategy.scale(a, 3.0)
        assert isinstance(result.base, np.memmap)  # the worker's file, mapped: no copy
        assert strategy.last_result_address() == result.ctypes.data
        result[0] = 1.0  # writable: it belongs to the caller now
    assert leftover_directories(os.getpid()) == []
    ops.check_array(result[1:], a[1:] * 3.0, "a result after close")


def test_a_frame_and_an_integer_scale_are_mapped_output_files_of_their_dtype() -> None:
    with FileMmapStrategy() as strategy:
        image = ops.make_frame(60, 100, seed=4)[5:40, 10:80, :]  # padded: np.save packs it
        gray = strategy.frame(image)
        assert isinstance(gray.base, np.memmap) and gray.dtype == np.uint8
        assert strategy.last_result_address() == gray.ctypes.data
        ops.check_array(gray, ops.gray_reference(image), "frame")
        scaled = strategy.scale(np.array([2**14, -3], dtype=np.int16), 3)
        assert isinstance(scaled.base, np.memmap)
        ops.check_array(scaled, np.array([2**14, -3], dtype=np.int16) * np.int16(3), "scale")
        assert _files(strategy) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (_npy(np.zeros((4, 5, 4), dtype=np.uint8)), "H x W x 3"),
        (_npy(np.zeros((4, 5), dtype=np.uint8)), "a 2-D array, 3-D expected"),
        (_npy(np.zeros((4, 5, 3), dtype=np.int16)), "dtype '<i2' is not the request's"),
    ],
)
def test_a_hostile_frame_file_is_refused(
    strategy: FileMmapStrategy, monkeypatch: pytest.MonkeyPatch, content: bytes, words: str
) -> None:
    monkeypatch.setattr(file_mmap, "save_npy", lambda path, _: path.write_bytes(content))
    with pytest.raises(ValueError, match="refused") as refusal:
        strategy.frame(ops.make_frame(4, 5))
    assert words in str(refusal.value)
    assert _files(strategy) == []
    monkeypatch.undo()
    image = ops.make_frame(4, 5)
    ops.check_array(strategy.frame(image), ops.gray_reference(image), "frame after a refusal")


def test_a_killed_worker_leaves_no_file(tmp_path: Path) -> None:
    fifo = stall_fifo(tmp_path)
    strategy = FileMmapStrategy(worker_flags=("--fault=slow", f"--stall-fifo={fifo}"))
    strategy.open()
    directory = strategy.directory
    assert directory is not None
    pid = strategy.worker_pids()[0]
    killer = when_stalled(fifo, lambda: os.kill(pid, signal.SIGKILL))
    with pytest.raises(WorkerError, match="SIGKILL"):
        strategy.scale(ops.make_vector(100_000), 2.0)  # its input was on tmpfs when killed
    killer.join()
    assert not strategy.is_open and not directory.exists()
    assert leftover_directories(os.getpid()) == []


def test_a_killed_caller_leaves_nothing_once_the_next_strategy_opens(tmp_path: Path) -> None:
    fifo = stall_fifo(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(fifo=fifo)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    worker = int(child.stdout.readline())
    with open(fifo) as told:  # the child's call is stalled in the worker: in.npy exists
        told.read()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert wait_gone(worker)  # PR_SET_PDEATHSIG
    (left,) = leftover_directories(child.pid)  # a SIGKILL cannot clean up ...
    assert os.listdir(Path("/dev/shm") / left) == ["in.npy"]
    with FileMmapStrategy():  # ... the next open sweeps what dead owners left
        assert leftover_directories(child.pid) == []


_CHILD = """
from interop_bench.strategies.file_mmap import FileMmapStrategy
import numpy as np
s = FileMmapStrategy(worker_flags=("--fault=slow", "--stall-fifo={fifo}"))
s.open()
print(s.worker_pids()[0], flush=True)
s.sum(np.ones(1000))  # stalls until killed
"""


def test_a_result_file_that_is_not_the_array_asked_for_is_not_trusted(
    strategy: FileMmapStrategy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros(3))
    load = np.load
    monkeypatch.setattr(np, "load", lambda *_, **__: load(wrong, mmap_mode="r"))
    with pytest.raises(WorkerError, match=r"out.npy is not float64 \(10,\) \(it holds float64"):
        strategy.scale(ops.make_vector(10), 2.0)
    assert not strategy.is_open
    assert leftover_directories(os.getpid()) == []
