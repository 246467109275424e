"""The synthetic strategies of the results factories (results_factory.py, and
results_factory_v1.py for version 1 files): each call a fixed overhead plus
the payload over a bandwidth, and the environment block of their files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop_bench import results_file

KERNEL_NS_PER_BYTE = 1 / 12.0  # the native kernel streams at 12 GB/s
NOISE_SIGMA = 0.05  # log-normal spread of the samples


@dataclass(frozen=True)
class Model:
    """How long a call of one synthetic strategy takes: overhead + payload / bandwidth."""

    overhead_ns: float
    bytes_per_ns: float  # = GB/s
    family: str
    copies_in: str
    copies_out: str
    memory_ratio: float  # peak extra memory as a multiple of the payload
    phases: tuple[str, ...] = ()


MODELS: dict[str, Model] = {
    "numpy": Model(1200, 10.0, "reference", "zero-copy", "zero-copy", 0.0),
    "capi": Model(70, 11.5, "ffi", "zero-copy", "zero-copy", 0.0),
    "pybind11": Model(150, 9.0, "ffi", "zero-copy", "zero-copy", 0.0),
    "ctypes": Model(600, 11.8, "ffi", "zero-copy", "copy", 0.0),
    "json": Model(
        4000,
        0.15,
        "serialization",
        "serialize",
        "serialize",
        6.0,
        ("encode", "cross", "kernel", "decode"),
    ),
    # Another process and another host, for the report's decision card: in each
    # place one strategy has the smaller overhead, the other the wider bandwidth.
    "shm": Model(5000, 10.0, "ipc", "zero-copy", "zero-copy", 0.0),
    "pipe": Model(2000, 2.0, "ipc", "copy", "copy", 1.0),
    "tcp": Model(20000, 1.5, "network", "copy", "copy", 1.0),
    "grpc": Model(60000, 2.5, "network", "serialize", "serialize", 2.0),
}
# What a factory file holds unless asked for others (the in-process strategies).
DEFAULT_STRATEGIES = ("numpy", "capi", "pybind11", "ctypes", "json")
OPS = ("sum", "square", "matrix_sum", "scale")
SIZES = (1, 1000, 100_000, 10_000_000)
Key = tuple[str, str, int]


def kernel_ns(size: float) -> float:
    return 2.0 + size * 8 * KERNEL_NS_PER_BYTE


def request_block(
    strategies: list[str], ops: list[str], sizes: list[int], seed: int
) -> dict[str, Any]:
    return {"strategies": strategies, "ops": ops, "sizes": sizes, "profile": "quick", "seed": seed}


def facts(strategies: list[str], floors: bool) -> dict[str, dict[str, str]]:
    found = {
        name: {
            "family": MODELS[name].family,
            "copies_in": MODELS[name].copies_in,
            "copies_out": MODELS[name].copies_out,
        }
        for name in strategies
    }
    if floors:
        found[results_file.KERNEL] = {
            "family": "floor",
            "copies_in": "zero-copy",
            "copies_out": "zero-copy",
        }
        found[results_file.READ_PROBE] = found[results_file.KERNEL]
    return found


def true_ns(name: str, size: float) -> float:
    """A call's time on `size` float64 elements' worth of bytes (size x 8)."""
    if name in results_file.FLOORS:
        return kernel_ns(size)
    model = MODELS[name]
    return model.overhead_ns + size * 8 / model.bytes_per_ns


def phases(model: Model, median_ns: float) -> dict[str, float] | None:
    if not model.phases:
        return None
    shares = (0.4, 0.1, 0.1, 0.4)
    return {p: share * median_ns for p, share in zip(model.phases, shares, strict=True)}


def environment(
    host: str, ops: list[str], sizes: list[int], floors: bool, schema_version: int
) -> dict[str, Any]:
    environment: dict[str, Any] = {
        "host": host,
        "cpu_model": "Synthetic CPU @ 3.0GHz",
        "cpu_count": 2,
        "memory_bytes": 24 * 2**30,
        "kernel": "6.1.0-synthetic",
        "os": "Debian GNU/Linux 12 (bookworm)",
        "compiler": "GNU 12.2.0",
        "compiler_flags": "-O3",
        "python": "3.11.2",
        "versions": {"numpy": "2.4.6", "pybind11": "3.1.0"},
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
        "profile": "quick",
        "command_line": ["interop-bench", "run", "--profile", "quick"],
        "timer": {"resolution_ns": 30.0, "loop_overhead_ns": 4.5},
        "floors": {
            "available": floors,
            "reason": None if floors else "ib_native_floors not built",
            "read_bandwidth_bytes_per_s": 14e9 if floors else None,
            "memcpy_bandwidth_bytes_per_s": 9e9 if floors else None,
            "kernel_ns": {op: {str(s): kernel_ns(s) for s in sizes} for op in ops}
            if floors
            else {},
        },
    }
    if schema_version != 1:
        snapshot = {
            "thp_enabled": "madvise",
            "thp_defrag": "madvise",
            "cpu_governor": None,
            "aslr": "2",
            "affinity": [0, 1],
            "hypervisor": "KVM",
            "load_1min": 0.1,
            "memory_available_bytes": 20 * 2**30,
            "cpu_frequency_khz": None,
        }
        environment["noise"] = {"start": snapshot, "end": dict(snapshot)}
        if floors:
            ranges = {
                op: {str(s): [kernel_ns(s) * 0.99, kernel_ns(s) * 1.01] for s in sizes}
                for op in ops
            }
            environment["floors"]["kernel_range_ns"] = ranges
    return environment
