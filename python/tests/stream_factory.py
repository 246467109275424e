"""Synthetic stream files that follow docs/results-schema.md ("Stream files").

Each strategy is a service time per frame at 1080p (scaled by the pixels) with
log-normal noise from a seeded generator, per process and per frame, and an
optional stall; frames are due every period and served one after the other
from their due time (open loop: a late frame delays the next, as a real paced
stream does), so latency, missed share and achieved rate follow from the model
and nothing from a clock. The histograms are HdrHistogram's (PyPI's
`hdrhistogram`, the same settings as a run) and the figures are stream/figures.py's
own, as a run's are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interop_bench import ops
from interop_bench.stream.cell import HISTOGRAM_RANGE_NS, encode, new_histogram
from interop_bench.stream.figures import summarize
from interop_bench.stream.files import KIND

PIXELS_1080P = 1920 * 1080


@dataclass(frozen=True)
class StreamModel:
    """A strategy's frame: `service_ms` at 1080p, `cpu_ms` of its caller's CPU,
    and every `stall_every`-th frame (0: none) taking `stall_ms` more."""

    service_ms: float
    cpu_ms: float = 1.0
    workers_cpu_ms: float | None = None
    stall_every: int = 0
    stall_ms: float = 0.0


STREAM_MODELS: dict[str, StreamModel] = {
    "kernel": StreamModel(1.0, 1.0),
    "capi": StreamModel(1.5, 1.5),
    "pybind11": StreamModel(1.6, 1.6),
    "ctypes": StreamModel(2.5, 2.5),
    "json": StreamModel(40.0, 40.0),
    "shm": StreamModel(3.0, 0.5, 2.5),
    "pipe": StreamModel(5.0, 2.0, 3.0, stall_every=20, stall_ms=30.0),
    "tcp": StreamModel(6.0, 2.0, 4.0),
    "grpc": StreamModel(12.0, 6.0, 6.0, stall_every=25, stall_ms=60.0),
}
SIGMA_FRAME = 0.08
SIGMA_PROCESS = 0.03


def _process(
    model: StreamModel,
    *,
    resolution: str,
    fps: float,
    frames: int,
    rng: np.random.Generator,
    slow: float,
) -> dict[str, Any]:
    height, width = ops.RESOLUTIONS[resolution]
    period_ns = 1e9 / fps
    scale = height * width / PIXELS_1080P * slow * float(rng.lognormal(0.0, SIGMA_PROCESS))
    service = model.service_ms * 1e6 * scale * rng.lognormal(0.0, SIGMA_FRAME, frames)
    if model.stall_every:
        service[model.stall_every - 1 :: model.stall_every] += model.stall_ms * 1e6
    latency, lateness = new_histogram(), new_histogram()
    free_at, missed = 0.0, 0
    for index in range(frames):
        due = index * period_ns
        done = max(due, free_at) + float(service[index])
        free_at = done
        late = done - due
        missed += late > period_ns
        latency.record_value(min(max(round(late), 1), HISTOGRAM_RANGE_NS[1]))
        lateness.record_value(1 + index % 50_000)  # the pacer woke within 50 µs
    return {
        "frames": frames,
        "done": frames,
        "missed": missed,
        "dropped": 0,
        "achieved_fps": frames / free_at * 1e9,
        "caller_cpu_ns_per_frame": model.cpu_ms * 1e6 * scale,
        "workers_cpu_ns_per_frame": None
        if model.workers_cpu_ms is None
        else model.workers_cpu_ms * 1e6 * scale,
        "latency_histogram": encode(latency),
        "start_lateness_histogram": encode(lateness),
    }


def make_stream(
    *,
    strategies: Iterable[str] = ("capi", "pybind11", "ctypes", "shm", "pipe", "tcp", "grpc"),
    resolutions: Iterable[str] = ("1080p", "4k"),
    fps: Iterable[float] = (30.0, 60.0),
    depths: Iterable[int] = (1,),
    processes: int = 3,
    duration_s: float = 40.0,  # 1,200 frames a process at 30 fps: each resolves its p99
    seed: int = 0,
    slowdown: Mapping[str, float] | None = None,
    models: Mapping[str, StreamModel] | None = None,
) -> dict[str, Any]:
    """A complete stream document; `slowdown` multiplies a strategy's service time."""
    rng = np.random.default_rng(seed)
    table = {**STREAM_MODELS, **(models or {})}
    names = ["kernel", *strategies]
    cells = []
    for name in names:
        for resolution in resolutions:
            for rate in fps:
                for depth in depths if name != "kernel" else (1,):
                    frames = round(duration_s * rate)
                    slow = (slowdown or {}).get(name, 1.0) / depth
                    runs = [
                        _process(
                            table[name],
                            resolution=resolution,
                            fps=rate,
                            frames=frames,
                            rng=rng,
                            slow=slow,
                        )
                        | {"pass": n, "pass_seed": seed + n}
                        for n in range(processes)
                    ]
                    cells.append(
                        {
                            "strategy": name,
                            "resolution": resolution,
                            "fps": float(rate),
                            "depth": depth,
                            "duration_s": duration_s,
                            "status": "ok",
                            "reason": None,
                            "processes": runs,
                            "stats": summarize(runs, float(rate)),
                        }
                    )
    return {
        "kind": KIND,
        "schema_version": 1,
        "tool_version": "test",
        "created_utc": "2026-01-01T00:00:00+00:00",
        "complete": True,
        "request": {
            "strategies": list(strategies),
            "resolutions": list(resolutions),
            "fps": list(fps),
            "depths": list(depths),
            "duration_s": duration_s,
            "processes": processes,
            "seed": seed,
        },
        "cells": cells,
    }


def write_stream(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
