"""Synthetic results files that follow docs/results-schema.md (schema_version 1) exactly.

The report, compare and export tests read these instead of a real run, so
they are fast and their differences are known: each strategy's time is a
fixed overhead plus payload over a bandwidth, with log-normal noise from a
seeded generator, and the statistics are computed from the samples the same
way the schema defines them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
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
}
OPS = ("sum", "square", "matrix_sum", "scale")
SIZES = (1, 1000, 100_000, 10_000_000)
Key = tuple[str, str, int]


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
    schema_version: int = SCHEMA_VERSION,
) -> dict[str, Any]:
    """A complete results document. `slowdown` multiplies a cell's times; `status`
    replaces a cell's status with (status, reason)."""
    strategies, ops, sizes = list(strategies), list(ops), list(sizes)
    rng = np.random.default_rng(seed)
    cells = []
    for name in strategies:
        for op in ops:
            for size in sizes:
                key = (name, op, size)
                factor = (slowdown or {}).get(key, 1.0)
                forced = (status or {}).get(key)
                cells.append(
                    _cell(
                        name,
                        op,
                        size,
                        samples=samples,
                        factor=factor,
                        forced=forced,
                        rng=rng,
                        floors=floors,
                    )
                )
    return {
        "schema_version": schema_version,
        "tool_version": "0.1.0",
        "created_utc": "2026-11-24T15:30:00Z",
        "complete": True,
        "request": {
            "strategies": strategies,
            "ops": ops,
            "sizes": sizes,
            "profile": "quick",
            "seed": seed,
        },
        "strategies": {
            name: {
                "family": MODELS[name].family,
                "copies_in": MODELS[name].copies_in,
                "copies_out": MODELS[name].copies_out,
            }
            for name in strategies
        },
        "environment": _environment(host, ops, sizes, floors),
        "cells": cells,
    }


def write_results(path: Path, document: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def kernel_ns(size: int) -> float:
    return 2.0 + size * 8 * KERNEL_NS_PER_BYTE


def _environment(host: str, ops: list[str], sizes: list[int], floors: bool) -> dict[str, Any]:
    return {
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


def _cell(
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
    if forced is not None:
        return base | _empty(forced[0], forced[1])
    true_ns = (model.overhead_ns + payload / model.bytes_per_ns) * factor
    times = true_ns * rng.lognormal(0.0, NOISE_SIGMA, samples)
    stats = _stats(times, payload, kernel_ns(size) if floors else None)
    memory = model.memory_ratio * payload + (payload if op == "scale" else 0)
    phases = None
    if model.phases:
        shares = np.array([0.4, 0.1, 0.1, 0.4])
        phases = {
            p: float(s * stats["median_ns"]) for p, s in zip(model.phases, shares, strict=True)
        }
    return base | {
        "status": "ok",
        "reason": None,
        "stats": stats,
        "samples_ns": [float(t) for t in times],
        "memory_peak_bytes": memory,
        "memory_payload_ratio": memory / payload,
        "memory_note": "synthetic",
        "phases_ns": phases,
    }


def _empty(status: str, reason: str) -> dict[str, Any]:
    return {
        "status": status,
        "reason": reason,
        "stats": None,
        "samples_ns": [],
        "memory_peak_bytes": None,
        "memory_payload_ratio": None,
        "memory_note": None,
        "phases_ns": None,
    }


def _stats(times: np.ndarray, payload: int, floor_ns: float | None) -> dict[str, Any]:
    ordered = np.sort(times)
    n = len(ordered)
    median = float(np.median(ordered))
    # Distribution-free 95% CI of the median: order statistics n/2 -+ 1.96 sqrt(n)/2.
    half_width = 1.96 * math.sqrt(n) / 2
    low = ordered[max(0, math.floor(n / 2 - half_width))]
    high = ordered[min(n - 1, math.ceil(n / 2 + half_width))]
    p5, p25, p75, p95, p99 = np.percentile(ordered, [5, 25, 75, 95, 99])
    return {
        "median_ns": median,
        "min_ns": float(ordered[0]),
        "mean_ns": float(ordered.mean()),
        "stdev_ns": float(ordered.std(ddof=1)),
        "p5_ns": float(p5),
        "p95_ns": float(p95),
        "p99_ns": float(p99),
        "iqr_ns": float(p75 - p25),
        "ci_low_ns": float(low),
        "ci_high_ns": float(high),
        "samples": n,
        "calls_per_sample": 1000,
        "stop_reason": "ci",
        "throughput_bytes_per_s": payload / median * 1e9,
        "throughput_elements_per_s": payload / 8 / median * 1e9,
        "overhead_ns": None if floor_ns is None else median - floor_ns,
    }
