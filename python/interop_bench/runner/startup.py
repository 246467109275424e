"""What a strategy costs once per process before its first answer: the start-up of
a strategy whose first calls compile code (cppyy's JIT, `measures_startup`).

The cells hold the steady state: a cell's first call is its answer check, outside
timing. What a user pays at start-up is measured here instead, once per run, in a
fresh interpreter where nothing of the strategy is imported or compiled yet: the
time of open() (its imports included), then of each of the first FIRST_CALLS
calls of each op on one element. cppyy's first two calls of a function take
milliseconds (cling compiles the call, then what it calls) and the third tens
of microseconds before the steady state: the last of the first calls is close
to the cell at one element, the others are the compilation. One cold start, not
a statistic: the run records it in its `strategies` block
(strategies.<name>.startup, docs/results-schema.md).

`python -m interop_bench.runner.startup NAME` is that fresh interpreter; it prints
the figures as one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from time import perf_counter_ns
from typing import Any

from interop_bench import ops, strategies

ELEMENTS = 1
FIRST_CALLS = 5
# Far above a cold start of cling (~1 s here): a child that takes longer is stuck.
TIMEOUT_S = 120.0


def measure(name: str) -> dict[str, Any]:
    """The start-up figures of strategy `name`, from a fresh interpreter; on failure
    `{"error": why}` (the run goes on: its cells say whether the strategy works)."""
    command = [sys.executable, "-m", __name__, name]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"the start-up of {name} took more than {TIMEOUT_S:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"error": f"the start-up of {name} could not be measured: {reason}"}
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


def _timed_ns(call: Any, *args: object) -> int:
    start = perf_counter_ns()
    call(*args)
    return perf_counter_ns() - start


def cold_start(name: str) -> dict[str, Any]:
    """Open `name` and call each op FIRST_CALLS times, timing each step (in a new process)."""
    start = perf_counter_ns()
    strategy = strategies.get(name)
    strategy.open()
    open_ns = perf_counter_ns() - start
    first_calls: dict[str, list[int]] = {}
    try:
        # The vector ops of float64 (a frame of one element is not an image).
        for op in ops.VECTOR_OPS:
            argument = strategy.prepare(ops.make_input(op, ELEMENTS))
            args = (argument, ops.scale_factor()) if op == "scale" else (argument,)
            call = getattr(strategy, op)
            first_calls[op] = [_timed_ns(call, *args) for _ in range(FIRST_CALLS)]
    finally:
        strategy.close()
    return {"elements": ELEMENTS, "open_ns": open_ns, "first_calls_ns": first_calls}


if __name__ == "__main__":
    print(json.dumps(cold_start(sys.argv[1])))
