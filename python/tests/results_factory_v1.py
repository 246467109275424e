"""Version 1 results files (one process per cell, statistics of its samples),
built directly: the readers must still read what older releases wrote."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from results_models import (
    MODELS,
    NOISE_SIGMA,
    Key,
    facts,
    kernel_ns,
    phases,
    request_block,
    true_ns,
)


def v1_document(
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
        "request": request_block(strategies, ops, sizes, 0),
        "strategies": facts(strategies, floors=False),
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
    times = true_ns(name, size) * factor * rng.lognormal(0.0, NOISE_SIGMA, samples)
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
            "phases_ns": phases(model, median),
        }
    )
