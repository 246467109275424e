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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from results_factory_v1 import v1_document
from results_models import (
    DEFAULT_STRATEGIES,
    MODELS,
    NOISE_SIGMA,
    OPS,
    SIZES,
    Key,
    environment,
    facts,
    phases,
    request_block,
    true_ns,
)

from interop_bench import results_file
from interop_bench.ops import parse_label, resolution_of
from interop_bench.runner.merge import Merger
from interop_bench.runner.workload import identity

PROCESS_SIGMA = 0.02  # of each process's own effect
SPEED_SIGMA = 0.01  # of the machine's speed in a pass, shared by a group
PROCESSES = 5
SAMPLE_TARGET_NS = 100_000  # what a file without request.sample_target_ns is judged by


def make_results(
    *,
    strategies: Iterable[str] = DEFAULT_STRATEGIES,
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
    frame_sizes: Iterable[int] = (),
    dtype_fields: bool = False,
) -> dict[str, Any]:
    """A complete results document. `slowdown` multiplies a cell's times; `status`
    replaces a cell's status with (status, reason). `samples` is per process in a
    version 2 file, in all for version 1; any other version gets a version 2 body.
    `ops` are labels ("sum", "sum:uint8", "frame"); frame runs at `frame_sizes`
    (image bytes), the others at `sizes`. A cell's time is its model's for its
    payload bytes. `dtype_fields` writes each cell's dtype (and a frame's
    resolution, width, height) as the dtype-axis runner does; without it the
    file is one of a runner older than the dtype axis (float64 only)."""
    strategies, ops, sizes = list(strategies), list(ops), list(sizes)
    rng = np.random.default_rng(seed)
    if schema_version == 1:
        document = v1_document(
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
            frame_sizes=list(frame_sizes),
            dtype_fields=dtype_fields or "frame" in ops or any(":" in op for op in ops),
        )
    document["schema_version"] = schema_version
    # Google Benchmark's cross-check measures float64's kernels only.
    float64_ops = [op for op in ops if op in OPS]
    document["environment"] = environment(host, float64_ops, sizes, floors, schema_version)
    return document


def write_results(path: Path, document: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


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
    frame_sizes: list[int],
    dtype_fields: bool,
) -> dict[str, Any]:
    request = request_block(strategies, ops, sizes, 0) | {
        "cell_budget_s": 0.5,
        "processes": processes,
        "floors": floors,
        "inject_slowdown": {},
    }
    if dtype_fields:
        labels = [parse_label(op) for op in ops]
        request |= {
            "ops": list(dict.fromkeys(op for op, _ in labels)),
            "dtypes": list(dict.fromkeys(d for op, d in labels if op != "frame")),
            "resolutions": [name for s in frame_sizes if (name := resolution_of(s))],
        }
    document = results_file.new_document(
        request,
        {},
        "0.1.0",
        datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc),
        facts(strategies, floors),
    )
    merger = Merger(document)
    names = [*strategies, *((results_file.KERNEL, results_file.READ_PROBE) if floors else ())]
    for index in range(processes):
        records = []
        groups = []
        for op in ops:
            for size in frame_sizes if op == "frame" else sizes:
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
                            dtype_fields=dtype_fields,
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
    dtype_fields: bool,
) -> dict[str, Any]:
    fields = identity(op, size)
    payload = fields["bytes"]
    if not dtype_fields:
        fields = {"op": op, "size": size, "bytes": payload}
    base = {"type": "cell", "pass": index, "strategy": name, **fields}
    if forced is not None:
        return base | {"status": forced[0], "reason": forced[1], "samples_ns": [], "rounds": []}
    own = math.exp(rng.normal(0.0, process_sigma))
    times = true_ns(name, payload / 8) * factor * own * rng.lognormal(0.0, NOISE_SIGMA, samples)
    record = base | {
        "status": "ok",
        "reason": None,
        "samples_ns": [float(t) for t in times],
        "rounds": [samples // 2, samples - samples // 2],
        # As the runner calibrates: the shortest sample reaches the target.
        "calls_per_sample": (calls := math.ceil(SAMPLE_TARGET_NS / float(min(times)))),
        "shortest_sample_ns": int(calls * float(min(times))),
        "stop_reason": "ci",
        "memory": None,
        "phases_ns": None,
    }
    if index == 0 and name in MODELS:
        model = MODELS[name]
        memory = model.memory_ratio * payload + (payload if op == "scale" else 0)
        record["memory"] = {"peak_bytes": int(memory), "note": "synthetic"}
        record["phases_ns"] = phases(model, float(np.median(times)))
    return record
