"""Synthetic results files that follow docs/results-schema.md exactly.

The report, compare and export tests read these instead of a real run, so
they are fast and their differences are known: each strategy's time is a
fixed overhead plus payload over a bandwidth, with log-normal noise from a
seeded generator at three levels (the machine's speed per pass, shared by a
group; each process's own effect; each sample).

Version 2 files are made the way a run makes them: pass records, merged by
the runner's own Merger, so their statistics are the runner's and not a copy
of its arithmetic. Version 1 files (one process per cell, statistics of its
samples) are built directly, for the readers' backward compatibility.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from interop_bench import results_file
from interop_bench.runner.merge import Merger

KERNEL_NS_PER_BYTE = 1 / 12.0  # the native kernel streams at 12 GB/s
NOISE_SIGMA = 0.05  # log-normal spread of the samples
PROCESS_SIGMA = 0.02  # of each process's own effect
SPEED_SIGMA = 0.01  # of the machine's speed in a pass, shared by a group
PROCESSES = 5


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
}
OPS = ("sum", "square", "matrix_sum", "scale")
SIZES = (1, 1000, 100_000, 10_000_000)
Key = tuple[str, str, int]


def kernel_ns(size: int) -> float:
    return 2.0 + size * 8 * KERNEL_NS_PER_BYTE


def make_results(
    *,
    strategies: Iterable[str] = tuple(MODELS),
    ops: Iterable[str] = OPS,
    sizes: Iterable[int] = SIZES,
    samples: int = 60,
    seed: int = 0,
    slowdown: Mapping[Key, float] | None = None,
    status: Mapping[Key, tuple[str, str]] | None = None,
    floors: bool = True,
    host: str = "synthetic-host",
    schema_version: int = results_file.SCHEMA_VERSION,
    processes: int = PROCESSES,
    process_sigma: float = PROCESS_SIGMA,
    speed_sigma: float = SPEED_SIGMA,
) -> dict[str, Any]:
    """A complete results document. `slowdown` multiplies a cell's times; `status`
    replaces a cell's status with (status, reason). `samples` is per process in a
    version 2 file, in all for version 1; any other version gets a version 2 body."""
    strategies, ops, sizes = list(strategies), list(ops), list(sizes)
    rng = np.random.default_rng(seed)
    if schema_version == 1:
        document = _v1_document(
            strategies,
            ops,
            sizes,
            samples=samples,
            rng=rng,
            slowdown=slowdown,
            status=status,
            floors=floors,
        )
    else:
        spread = (process_sigma, speed_sigma)
        document = _v2_document(
            strategies,
            ops,
            sizes,
            samples=samples,
            rng=rng,
            slowdown=slowdown,
            status=status,
            floors=floors,
            processes=processes,
            spread=spread,
        )
    document["schema_version"] = schema_version
    document["environment"] = _environment(host, ops, sizes, floors, schema_version)
    return document


def write_results(path: Path, document: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def _request(strategies: list[str], ops: list[str], sizes: list[int], seed: int) -> dict[str, Any]:
    return {"strategies": strategies, "ops": ops, "sizes": sizes, "profile": "quick", "seed": seed}


def _facts(strategies: list[str], floors: bool) -> dict[str, dict[str, str]]:
    facts = {
        name: {
            "family": MODELS[name].family,
            "copies_in": MODELS[name].copies_in,
            "copies_out": MODELS[name].copies_out,
        }
        for name in strategies
    }
    if floors:
        facts[results_file.KERNEL] = {
            "family": "floor",
            "copies_in": "zero-copy",
            "copies_out": "zero-copy",
        }
        facts[results_file.READ_PROBE] = facts[results_file.KERNEL]
    return facts


# -- version 2: pass records through the runner's Merger ------------------------


def _v2_document(
    strategies: list[str],
    ops: list[str],
    sizes: list[int],
    *,
    samples: int,
    rng: np.random.Generator,
    slowdown: Mapping[Key, float] | None,
    status: Mapping[Key, tuple[str, str]] | None,
    floors: bool,
    processes: int,
    spread: tuple[float, float],
) -> dict[str, Any]:
    request = _request(strategies, ops, sizes, 0) | {
        "cell_budget_s": 0.5,
        "processes": processes,
        "floors": floors,
        "inject_slowdown": {},
    }
    document = results_file.new_document(
        request,
        {},
        "0.1.0",
        datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc),
        _facts(strategies, floors),
    )
    merger = Merger(document)
    names = [*strategies, *((results_file.KERNEL, results_file.READ_PROBE) if floors else ())]
    for index in range(processes):
        records = []
        groups = []
        for op in ops:
            for size in sizes:
                speed = math.exp(rng.normal(0.0, spread[1]))
                for name in names:
                    if name == results_file.READ_PROBE and op != ops[0]:
                        continue
                    key = (name, op, size)
                    forced = (status or {}).get(key)
                    if forced is not None and index > 0:
                        continue  # a cell that failed in pass 0 is not measured again
                    factor = speed * (slowdown or {}).get(key, 1.0)
                    records.append(
                        _record(
                            name,
                            op,
                            size,
                            index=index,
                            samples=samples,
                            factor=factor,
                            forced=forced,
                            rng=rng,
                            process_sigma=spread[0],
                        )
                    )
                groups.append(
                    {
                        "op": op,
                        "size": size,
                        "steal_share": 0.0,
                        "others_busy_share": 0.01,
                        "load_1min": 0.1,
                    }
                )
        launch = {
            "pass": index,
            "exit_status": 0,
            "pid": 1000 + index,
            "groups": groups,
            "layout_padding_bytes": 16 * index,
        }
        merger.add(records, launch)
    document["complete"] = True
    return document


def _true_ns(name: str, size: int) -> float:
    if name in results_file.FLOORS:
        return kernel_ns(size)
    model = MODELS[name]
    return model.overhead_ns + size * 8 / model.bytes_per_ns


def _record(
    name: str,
    op: str,
    size: int,
    *,
    index: int,
    samples: int,
    factor: float,
    forced: tuple[str, str] | None,
    rng: np.random.Generator,
    process_sigma: float,
) -> dict[str, Any]:
    payload = size * 8
    base = {
        "type": "cell",
        "pass": index,
        "strategy": name,
        "op": op,
        "size": size,
        "bytes": payload,
    }
    if forced is not None:
        return base | {"status": forced[0], "reason": forced[1], "samples_ns": [], "rounds": []}
    own = math.exp(rng.normal(0.0, process_sigma))
    times = _true_ns(name, size) * factor * own * rng.lognormal(0.0, NOISE_SIGMA, samples)
    record = base | {
        "status": "ok",
        "reason": None,
        "samples_ns": [float(t) for t in times],
        "rounds": [samples // 2, samples - samples // 2],
        "calls_per_sample": 1000,
        "stop_reason": "ci",
        "memory": None,
        "phases_ns": None,
    }
    if index == 0 and name in MODELS:
        model = MODELS[name]
        memory = model.memory_ratio * payload + (payload if op == "scale" else 0)
        record["memory"] = {"peak_bytes": int(memory), "note": "synthetic"}
        record["phases_ns"] = _phases(model, float(np.median(times)))
    return record


def _phases(model: Model, median_ns: float) -> dict[str, float] | None:
    if not model.phases:
        return None
    shares = (0.4, 0.1, 0.1, 0.4)
    return {p: share * median_ns for p, share in zip(model.phases, shares, strict=True)}


# -- version 1: one process, statistics of the samples ---------------------------


def _v1_document(
    strategies: list[str],
    ops: list[str],
    sizes: list[int],
    *,
    samples: int,
    rng: np.random.Generator,
    slowdown: Mapping[Key, float] | None,
    status: Mapping[Key, tuple[str, str]] | None,
    floors: bool,
) -> dict[str, Any]:
    cells = []
    for name in strategies:
        for op in ops:
            for size in sizes:
                key = (name, op, size)
                factor = (slowdown or {}).get(key, 1.0)
                cells.append(
                    _v1_cell(
                        name,
                        op,
                        size,
                        samples=samples,
                        factor=factor,
                        forced=(status or {}).get(key),
                        rng=rng,
                        floors=floors,
                    )
                )
    return {
        "tool_version": "0.1.0",
        "created_utc": "2026-11-24T15:30:00Z",
        "complete": True,
        "request": _request(strategies, ops, sizes, 0),
        "strategies": _facts(strategies, floors=False),
        "cells": cells,
    }


def _v1_cell(
    name: str,
    op: str,
    size: int,
    *,
    samples: int,
    factor: float,
    forced: tuple[str, str] | None,
    rng: np.random.Generator,
    floors: bool,
) -> dict[str, Any]:
    model = MODELS[name]
    payload = size * 8
    base = {"strategy": name, "op": op, "size": size, "bytes": payload}
    empty = {
        "stats": None,
        "samples_ns": [],
        "memory_peak_bytes": None,
        "memory_payload_ratio": None,
        "memory_note": None,
        "phases_ns": None,
    }
    if forced is not None:
        return base | {"status": forced[0], "reason": forced[1]} | empty
    times = _true_ns(name, size) * factor * rng.lognormal(0.0, NOISE_SIGMA, samples)
    ordered = np.sort(times)
    n = len(ordered)
    median = float(np.median(ordered))
    # Distribution-free 95% CI of the median: order statistics n/2 -+ 1.96 sqrt(n)/2.
    half_width = 1.96 * math.sqrt(n) / 2
    p5, p25, p75, p95, p99 = np.percentile(ordered, [5, 25, 75, 95, 99])
    memory = model.memory_ratio * payload + (payload if op == "scale" else 0)
    stats = {
        "median_ns": median,
        "min_ns": float(ordered[0]),
        "mean_ns": float(ordered.mean()),
        "stdev_ns": float(ordered.std(ddof=1)),
        "p5_ns": float(p5),
        "p95_ns": float(p95),
        "p99_ns": float(p99),
        "iqr_ns": float(p75 - p25),
        "ci_low_ns": float(ordered[max(0, math.floor(n / 2 - half_width))]),
        "ci_high_ns": float(ordered[min(n - 1, math.ceil(n / 2 + half_width))]),
        "samples": n,
        "calls_per_sample": 1000,
        "stop_reason": "ci",
        "throughput_bytes_per_s": payload / median * 1e9,
        "throughput_elements_per_s": size / median * 1e9,
        "overhead_ns": median - kernel_ns(size) if floors else None,
    }
    return (
        base
        | empty
        | {
            "status": "ok",
            "reason": None,
            "stats": stats,
            "samples_ns": [float(t) for t in times],
            "memory_peak_bytes": int(memory),
            "memory_payload_ratio": memory / payload,
            "memory_note": "synthetic",
            "phases_ns": _phases(model, median),
        }
    )


def _environment(
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
