"""What a results file says of each strategy beside its cells."""

from __future__ import annotations

from typing import Any

from interop_bench import strategies
from interop_bench.runner import floor_turns, placed_rows, startup
from interop_bench.runner.placement import Placement


def collect(
    names: tuple[str, ...], rows: tuple[str, ...] = (), pinned: tuple[Placement, ...] = ()
) -> dict[str, dict[str, Any]]:
    """What each strategy copies, as `interop-bench list` shows it, the files behind
    its call (for the report), and the start-up of those whose first calls compile
    code (runner/startup.py: one cold start each, in a fresh process); a placed
    row (runner/placed_rows.py) has its strategy's, with its placement."""
    facts: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            cls = strategies.strategy_class(name)
        except Exception:  # its module does not import: its cells will say why
            continue
        facts[name] = {
            "family": cls.family,
            "copies_in": cls.copies_in,
            "copies_out": cls.copies_out,
            "sources": strategies.source_files(cls),
            "packages": list(cls.packages),
        }
        if cls.backend:
            facts[name]["backend"] = cls.backend
        if cls.measures_startup:
            facts[name]["startup"] = startup.measure(name)
    by_name = {place.name: place for place in pinned}
    for row in rows:
        base, placement = placed_rows.base(row), placed_rows.placement_of(row)
        if base in facts and placement in by_name:
            copied = {k: v for k, v in facts[base].items() if k != "startup"}
            facts[row] = copied | {"row_of": base, "placement": by_name[placement].as_json()}
    return facts | floor_turns.FACTS
