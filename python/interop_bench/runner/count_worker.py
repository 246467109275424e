"""The counting process, under `valgrind --tool=callgrind` (runner/instructions.py).

Reads a JSON spec on standard input ({"seed", "calls", "layouts": [padding
bytes, ...], "jobs": [[strategy, label, size], ...]}) and, for each job and each
layout, makes the calls of the timing loop twice on prepared inputs, `calls`
and 2 x `calls` of them, each region counted alone and dumped under the label
"<strategy>|<label>|<size>|<layout>|<calls>" (the parent,
runner/instructions.py, reads the dumps: instructions per call is the
difference of the two regions over `calls`, which cancels the cost of
starting and stopping the count). Warm-up calls come first, uncounted, so
that the interpreter's specialisation of the loop is done before counting.
A job that raises is skipped with its error on standard error.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType

from interop_bench import native, strategies
from interop_bench.runner.workload import Workload
from interop_bench.strategies import Strategy

WARM_UP_CALLS = 10


def _count(
    callgrind: ModuleType,
    strategy: Strategy,
    key: tuple[str, str, int],
    *,
    seed: int,
    calls: int,
    layout: int,
    padding_bytes: int,
) -> None:
    """One cell's two counted regions, its input allocated after `padding_bytes`
    of padding: where the objects of a call land in memory changes how often a
    hash probes twice or an allocator takes a slower path, a few percent of the
    instructions of a small call, so the parent takes the median over layouts."""
    name, op, size = key
    padding = bytearray(padding_bytes)
    bound = Workload(op, size, seed).bind(strategy)  # op: the label
    bound.prepared(WARM_UP_CALLS)()
    for count in (calls, 2 * calls):
        run = bound.prepared(count)
        callgrind.start_counting()
        run()
        callgrind.stop_and_dump(f"{name}|{op}|{size}|{layout}|{count}")
    bound.release()
    del padding


def main() -> int:
    spec = json.loads(sys.stdin.read())
    callgrind = native.extension("ib_callgrind")
    if not callgrind.running_on_valgrind():
        print("interop-bench count: not running under Valgrind", file=sys.stderr)
        return 2
    opened = {}
    for name in dict.fromkeys(job[0] for job in spec["jobs"]):
        try:
            opened[name] = strategies.get(name)
            opened[name].open()
        except Exception as error:
            print(f"interop-bench count: {name}: {type(error).__name__}: {error}", file=sys.stderr)
    callgrind.start_instrumentation()
    calls = int(spec["calls"])
    for name, op, size in spec["jobs"]:
        if name not in opened:
            continue
        for layout, padding_bytes in enumerate(spec["layouts"]):
            try:
                _count(
                    callgrind,
                    opened[name],
                    (name, op, size),
                    seed=spec["seed"],
                    calls=calls,
                    layout=layout,
                    padding_bytes=padding_bytes,
                )
            except Exception as error:
                print(f"interop-bench count: {name} {op} {size}: {error}", file=sys.stderr)
    for strategy in opened.values():
        strategy.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
