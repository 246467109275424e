"""The counting process, under `valgrind --tool=callgrind` (runner/instructions.py).

Reads a JSON spec on standard input ({"seed", "calls", "jobs": [[strategy, op,
size], ...]}) and, for each job, makes the calls of the timing loop twice on
prepared inputs, `calls` and 2 x `calls` of them, each region counted alone
and dumped under the label "<strategy>|<op>|<size>|<calls>" (the parent,
runner/instructions.py, reads the dumps: instructions per call is the
difference of the two regions over `calls`, which cancels the cost of
starting and stopping the count). Warm-up calls come first, uncounted, so
that the interpreter's specialisation of the loop is done before counting.
A job that raises is skipped with its error on standard error.
"""

from __future__ import annotations

import json
import sys

from interop_bench import native, strategies
from interop_bench.runner.workload import Workload

WARM_UP_CALLS = 20


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
        try:
            bound = Workload(op, size, spec["seed"]).bind(opened[name])
            bound.prepared(WARM_UP_CALLS)()
            for count in (calls, 2 * calls):
                run = bound.prepared(count)
                callgrind.start_counting()
                run()
                callgrind.stop_and_dump(f"{name}|{op}|{size}|{count}")
            bound.release()
        except Exception as error:
            print(f"interop-bench count: {name} {op} {size}: {error}", file=sys.stderr)
    for strategy in opened.values():
        strategy.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
