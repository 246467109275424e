"""Every strategy x op x size under pytest-benchmark, for its compare/autosave workflow.

The calling code is the runner's (`runner.workload`): the same inputs, the
same placement (`Strategy.prepare`), the same answer check before anything is
timed. pytest-benchmark owns the looping and the statistics here; the
`interop-bench run` engine remains the reference measurement (CI of the median,
memory, native floors).
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter_ns

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from interop_bench import ops, strategies
from interop_bench.runner.workload import Workload
from interop_bench.strategies import Strategy

SIZES = (1, 1_000, 1_000_000)
SEED = 0
# `square` changes its input, so every call gets a fresh copy made outside the
# timing (pedantic mode with a setup, one call per round): up to this many
# rounds, fewer for slow strategies so that one test stays within about a second.
SQUARE_MAX_ROUNDS = 100
SQUARE_MIN_ROUNDS = 5
SQUARE_BUDGET_NS = 1_000_000_000


@pytest.mark.parametrize("size", SIZES, ids=[f"{s}el" for s in SIZES])
@pytest.mark.parametrize("op", ops.OPS)
@pytest.mark.parametrize("name", strategies.names())
def test_strategy(
    benchmark: BenchmarkFixture,
    opened: Callable[[str], Strategy],
    name: str,
    op: ops.Op,
    size: int,
) -> None:
    bound = Workload(op, size, SEED).bind(opened(name))
    start = perf_counter_ns()
    bound.check()  # a wrong answer fails the test and is never timed
    check_ns = perf_counter_ns() - start
    benchmark.group = f"{op} {size} elements"
    benchmark.extra_info.update(strategy=name, op=op, size=size, payload_bytes=size * 8)
    if op == "square":
        benchmark.pedantic(
            bound.fn,
            setup=lambda: (bound.fresh_args(), {}),
            rounds=max(SQUARE_MIN_ROUNDS, min(SQUARE_MAX_ROUNDS, SQUARE_BUDGET_NS // check_ns)),
            warmup_rounds=1,
        )
    else:
        benchmark(bound.fn, *bound.fresh_args())
