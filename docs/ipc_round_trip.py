"""Where one cross-process call's time goes: the native round-trip floor next to
the `shm*` and `pipe` strategies at one element, the Python-side steps, and
what the worker's CPU does to the sleeping strategies (pipe, uds, tcp).

    .venv/bin/python docs/ipc_round_trip.py [--rounds 7]

Prints the load average first: two spinning processes need two free cores, so
on a busy machine every spinning figure degrades towards a scheduler time
slice. Each figure is the best and the median of `rounds` timeit rounds (ns per
call). See docs/ipc-round-trip.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import timeit
from typing import Any

import numpy as np

from interop_bench import native
from interop_bench.strategies import get, validation

CALLS_SPINNING = 20_000
CALLS_SLEEPING = 2_000  # strategies whose every call sleeps and wakes (tens of µs)


def per_call_ns(stmt: str, namespace: dict[str, Any], calls: int, rounds: int) -> str:
    times = sorted(
        t / calls * 1e9 for t in timeit.repeat(stmt, globals=namespace, number=calls, repeat=rounds)
    )
    return f"best {times[0]:8.0f}   median {times[len(times) // 2]:8.0f}"


def show(label: str, stmt: str, namespace: dict[str, Any], calls: int, rounds: int) -> None:
    print(f"  {label:40}  {per_call_ns(stmt, namespace, calls, rounds)}")


def native_floor(rounds: int) -> None:
    command = [str(native.executable("ib_ipc_pingpong")), f"--batches={rounds}"]
    floors = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    for way in ("raw", "protocol", "futex"):
        best, median = floors[way]["best_ns"], floors[way]["median_ns"]
        print(f"  {'native ping-pong, ' + way:40}  best {best:8.0f}   median {median:8.0f}")


def strategies_at_one_element(rounds: int) -> None:
    a = np.ones(1)
    with get("capi") as capi:
        show("capi sum(1)", "s.sum(a)", {"s": capi, "a": a}, CALLS_SPINNING, rounds)
    for name in ("shm", "shm-futex", "shm-copy", "pipe"):
        calls = CALLS_SLEEPING if name in ("shm-futex", "pipe") else CALLS_SPINNING
        with get(name) as strategy:
            namespace = {"s": strategy, "a": strategy.prepare(a)}
            show(f"{name} sum(1)", "s.sum(a)", namespace, calls, rounds)


def python_steps(rounds: int) -> None:
    """What the Python adapter's own path (ordinary arrays, other ops) adds."""
    with get("shm") as strategy:
        a = strategy.prepare(np.ones(1))
        row = strategy.prepare(np.ones((8, 1)))[3]  # a view: what the runner's square pool passes
        client = strategy.channel.client
        namespace = {"s": strategy, "a": a, "row": row, "c": client, "validation": validation}
        namespace["p"] = client.place(a, 8)
        steps = {
            "validation.vector(a)": "validation.vector(a)",
            "native place(row), attribute path": "s.channel.client.place(row, 8)",
            "client.request, positional": "c.request(1, 1, *p, 0, 0, 0.0, 0, 0, 0, 0, 0)",
            "channel.request, Python wrapper": "s.channel.request(1, 1, p)",
            "fast path s.square(row)": "s.square(row)",
        }
        for label, stmt in steps.items():
            show(label, stmt, namespace, CALLS_SPINNING, rounds)


def placement(rounds: int) -> None:
    """sum(1) of the sleeping strategies with this process on its first CPU and
    the worker on the same one, then on another: where a woken process runs."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        print("  (one CPU: nothing to compare)")
        return
    a = np.ones(1)
    try:
        for name in ("pipe", "uds", "tcp"):
            for where, worker_cpus in (("same CPU", {cpus[0]}), ("other CPU", set(cpus[1:]))):
                with get(name) as strategy:
                    os.sched_setaffinity(0, {cpus[0]})
                    for pid in strategy.worker_pids():
                        os.sched_setaffinity(pid, worker_cpus)
                    label = f"{name} sum(1), worker on the {where}"
                    show(label, "s.sum(a)", {"s": strategy, "a": a}, CALLS_SLEEPING, rounds)
    finally:
        os.sched_setaffinity(0, set(cpus))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("round trip, ns per call:")
    native_floor(rounds)
    strategies_at_one_element(rounds)
    print("Python-side steps, ns per call:")
    python_steps(rounds)
    print("placement, ns per call:")
    placement(rounds)


if __name__ == "__main__":
    main()
