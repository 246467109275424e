"""The start-up figures of a results file (strategies.<name>.startup, written by
runner/startup.py for strategies whose first calls compile code), in words."""

from __future__ import annotations

from typing import Any

from interop_bench.analysis.load import Results
from interop_bench.analysis.units import format_ns


def describe(startup: dict[str, Any]) -> str:
    """One strategy's start-up: "open 583 ms; first 5 calls on 1 element: sum 8.6 ms,
    ...", or why it was not measured."""
    if "error" in startup:
        return f"not measured: {startup['error']}"
    calls: dict[str, list[int]] = startup.get("first_calls_ns") or {}
    count = max((len(times) for times in calls.values()), default=0)
    per_op = "; ".join(
        f"{op} " + ", ".join(format_ns(ns) for ns in times) for op, times in calls.items()
    )
    elements = startup.get("elements", 1)
    return (
        f"open {format_ns(startup.get('open_ns', 0))}; first {count} calls on {elements:,} "
        f"element{'' if elements == 1 else 's'}: {per_op}"
    )


def lines(results: Results) -> list[str]:
    """ "<strategy>: <its start-up>" for every strategy of `results` that has one."""
    return [
        f"{name}: {describe(info['startup'])}"
        for name, info in sorted(results.strategy_info.items())
        if isinstance(info.get("startup"), dict)
    ]
