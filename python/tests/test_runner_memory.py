"""Peak extra memory of one call, from the OS: a known allocation reads as itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interop_bench import ops
from interop_bench.runner import memory
from interop_bench.strategies.numpy import NumpyStrategy

SIZE = 10_000_000  # 80 MB: far above the allocator's pools, so the OS sees it all
PAYLOAD_BYTES = SIZE * 8

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc accounting"
)


def test_scale_allocating_the_payload_reads_as_one_payload() -> None:
    a = ops.make_input("scale", SIZE)
    reading = memory.measure_peak(lambda: NumpyStrategy().scale(a, ops.SCALE_FACTOR))
    assert reading.peak_bytes is not None, reading.note
    assert 0.9 <= reading.peak_bytes / PAYLOAD_BYTES <= 1.2
    assert "VmHWM" in reading.note


def test_sum_of_a_resident_input_reads_as_almost_nothing() -> None:
    a = ops.make_input("sum", SIZE)
    reading = memory.measure_peak(lambda: NumpyStrategy().sum(a))
    assert reading.peak_bytes is not None, reading.note
    assert reading.peak_bytes / PAYLOAD_BYTES < 0.02  # the input is not "extra"


WORKER = """
import sys
sys.stdin.readline()
block = bytearray(60 * 1024 * 1024)
block[::4096] = b"x" * len(block[::4096])  # touch every page
print("done", flush=True)
sys.stdin.readline()
"""


def test_a_worker_process_memory_is_counted() -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdin is not None and worker.stdout is not None
    try:

        def call() -> str:
            assert worker.stdin is not None and worker.stdout is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
            return worker.stdout.readline()

        reading = memory.measure_peak(call, [worker.pid])
    finally:
        worker.communicate("exit\n", timeout=30)
    assert reading.peak_bytes is not None, reading.note
    assert 0.9 <= reading.peak_bytes / (60 << 20) <= 1.2
    assert "1 worker process" in reading.note


def test_a_process_the_os_will_not_describe_gives_null_and_why() -> None:
    reading = memory.measure_peak(lambda: np.zeros(1), [2**22 + 12345])  # no such pid
    assert reading.peak_bytes is None
    assert "cannot say" in reading.note


def test_a_watch_counts_what_a_worker_touched_after_it_began_and_its_peak_stays() -> None:
    """A stream's memory (stream/cell.py): the worker's 60 MiB block is growth, and
    the peak of caller and worker holds it, whatever they freed since."""
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdin is not None and worker.stdout is not None
    try:
        read = memory.watch_peak([worker.pid])
        worker.stdin.write("go\n")
        worker.stdin.flush()
        assert worker.stdout.readline() == "done\n"
        watched = read()
        worker_rss = memory._status_kib(str(worker.pid), "VmRSS") * 1024
        own_rss = memory._status_kib("self", "VmRSS") * 1024
    finally:
        worker.communicate("exit\n", timeout=30)
    assert watched is not None
    assert 0.9 <= watched.growth_bytes / (60 << 20) <= 1.2
    assert watched.peak_bytes >= worker_rss + own_rss * 0.9  # both processes, each at its peak


def test_a_watch_of_a_process_the_os_will_not_describe_reads_none() -> None:
    assert memory.watch_peak([2**22 + 12345])() is None  # no such pid
