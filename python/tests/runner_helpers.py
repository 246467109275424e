"""Helpers of the runner tests (no tests here): a tiny profile and an in-process run."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from interop_bench import results_file
from interop_bench.ops import DType, Op
from interop_bench.runner import environment, floors, plan
from interop_bench.runner.engine import Factory
from interop_bench.runner.passes import InProcessLauncher, PassRunner
from interop_bench.runner.placement import Placement
from interop_bench.runner.request import Request
from interop_bench.strategies.numpy import NumpyStrategy

# Small enough that a test cell takes milliseconds; still >= 6 samples so
# that a process's own CI of the median exists.
TINY = dataclasses.replace(
    plan.PROFILES["quick"],
    processes=3,
    run_budget_s=2.0,
    cell_budget_s=0.6,
    min_samples=6,
    max_samples=40,
    # Above a cold first call (numpy's validation by dtype takes ~50 us the first
    # time): a check call over twice the target is taken as calibration enough.
    sample_target_ns=100_000,
    warmup_ns=1_000_000,
    batch_ns=2_000_000,
    phase_calls=3,
)


@functools.cache
def shared_environment() -> dict[str, object]:
    """The environment block, measured once per test session (no Google Benchmark floors)."""
    unmeasured = floors.unavailable("not measured in this test")
    return environment.collect("quick", environment.measure_timer(), unmeasured, ["pytest"])


def run_in_process(
    path: Path,
    names: tuple[str, ...],
    op_names: tuple[Op, ...],
    sizes: tuple[int, ...],
    *,
    factories: Mapping[str, Factory] | None = None,
    profile: plan.Profile = TINY,
    with_floors: bool = False,
    slowdown: Mapping[str, float] | None = None,
    dtypes: tuple[DType, ...] = ("float64",),
    resolutions: tuple[str, ...] = (),
    placed: tuple[tuple[str, ...], tuple[int, ...], tuple[Placement, ...]] = ((), (), ()),
) -> results_file.Document:
    """Measure a request with every pass in this process; the written document.
    `placed`: the placed rows, their sizes and placements (runner/placed_rows.py)."""
    request = Request(
        strategies=names,
        ops=op_names,
        sizes=sizes,
        profile=profile,
        seed=0,
        floors=with_floors,
        slowdown=dict(slowdown or {}),
        dtypes=dtypes,
        resolutions=resolutions,
        placed=placed[0],
        placed_sizes=placed[1],
        row_placements=placed[2],
    )
    env = dict(shared_environment())
    document = results_file.new_document(request.as_json(), env, "test", datetime.now(timezone.utc))
    PassRunner(request, document, path, InProcessLauncher(factories)).run()
    return document


def cell(document: results_file.Document, strategy: str, op: str, size: int) -> dict[str, object]:
    [found] = [
        c for c in document["cells"] if (c["strategy"], c["op"], c["size"]) == (strategy, op, size)
    ]
    return found


def check_a_dead_peers_cell_is_an_error(tmp_path: Path, name: str, factory: Factory) -> None:
    """A run of scale at 1e5 elements over `factory`'s strategy `name`, whose peer dies
    in its calls, next to numpy's: its cell is an error that names the peer, numpy's
    is measured, and the run completes."""
    factories = {name: factory, "numpy": NumpyStrategy}
    document = run_in_process(
        tmp_path / f"{name}.json", tuple(factories), ("scale",), (100_000,), factories=factories
    )
    died = cell(document, name, "scale", 100_000)
    assert died["status"] == "error"
    assert "peer" in str(died["reason"]).lower()
    assert cell(document, "numpy", "scale", 100_000)["status"] == "ok"
    assert document["complete"] is True
