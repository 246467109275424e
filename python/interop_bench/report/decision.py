"""What the decision card and the default view are built from.

The card asks where the user's C++ side runs; each answer is a set of
strategy families (a family says where a strategy's C++ code runs). The
default view of the figures is the best strategy of each family, the classic
ctypes recipe and NumPy: every family's choice without 41 overlapping lines.
Both are computed from the results files; the page only applies them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from interop_bench.analysis.load import Results
from interop_bench.analysis.verdict import BASELINE
from interop_bench.report.figures_size import ops_of
from interop_bench.stream.files import StreamFile

# The ctypes strategy of the README's classic `data_as(POINTER(c_double))`
# recipe: what most users already have, so the yardstick of the default view.
CLASSIC = "ctypes"
# At this many times the kernel alone, a call spends as long crossing the
# boundary as the kernel spends on the data: above it the crossing decides.
OVERHEAD_DECIDES_RATIO = 2.0
# How many runners-up the card prices against its answer.
RUNNERS_UP = 2


@dataclass(frozen=True)
class Placement:
    name: str  # what the user picks: where their C++ side runs
    families: tuple[str, ...]
    meaning: str


PLACEMENTS = (
    Placement(
        "same process",
        ("ffi", "serialization"),
        "C++ called in the Python process (bindings, or a format decoded by C++ there)",
    ),
    Placement("another process", ("ipc",), "a C++ worker process on this machine"),
    Placement("another host", ("network",), "a C++ peer reached over the network"),
)


def card(
    files: list[Results], families: dict[str, str], streams: tuple[StreamFile, ...] = ()
) -> dict[str, object]:
    """The card's fixed facts: the placements with their measured cells (a
    place without any is offered disabled), the situation it opens on, its
    thresholds, and the frame rates the stream files measured (for frames the
    card answers from a stream where one was measured: page_data's "streams")."""
    present = Counter(families.get(c.strategy, "") for r in files for c in r.cells if c.ok)
    cells = {p.name: sum(present[f] for f in p.families) for p in PLACEMENTS}
    placements = [
        {"name": p.name, "families": list(p.families), "meaning": p.meaning, "cells": cells[p.name]}
        for p in PLACEMENTS
    ]
    return {
        "placements": placements,
        "start": _start(files, cells),
        "overhead_decides_ratio": OVERHEAD_DECIDES_RATIO,
        "runners_up": RUNNERS_UP,
        "links": [_link(r) for r in files],
        "stream_rates": sorted({float(c["fps"]) for s in streams for c in s.ok_cells()}),
    }


def _start(files: list[Results], cells: dict[str, int]) -> dict[str, object]:
    """The run's most common case: the label and the placement with the most
    measured cells (the first of a tie), at the middle of that label's payloads."""
    ok = [c for r in files for c in r.cells if c.ok]
    if not ok:
        return {}
    labels = Counter(c.op for c in ok)
    label = max(ops_of(files), key=lambda op: labels[op])
    payloads = sorted({c.payload_bytes for c in ok if c.op == label})
    return {
        "label": label,
        "placement": max(cells, key=lambda name: cells[name]),
        "bytes": payloads[len(payloads) // 2],
    }


def _link(results: Results) -> str:
    link = results.data.get("link") or {}
    return str(link.get("description") or "")


def default_view(files: list[Results], families: dict[str, str]) -> list[str]:
    """The best strategy of each family in each file, CLASSIC and BASELINE.

    A family's best has the least mean log time relative to the family's
    fastest over the (label, size) groups the family measured; in a group
    where a strategy has no ok cell (skipped as too slow, failed) it counts as
    the family's slowest there, so leaving out the hard sizes never helps."""
    chosen = {name for r in files for name in (CLASSIC, BASELINE) if name in r.strategies()}
    for results in files:
        for family in set(families.values()):
            best = _best_of(results, {s for s, f in families.items() if f == family})
            if best:
                chosen.add(best)
    return sorted(chosen)


def _best_of(results: Results, members: set[str]) -> str:
    groups: dict[tuple[str, int], dict[str, float]] = {}
    for cell in results.cells:
        if cell.ok and cell.strategy in members and cell.median_ns > 0:
            groups.setdefault((cell.op, cell.size), {})[cell.strategy] = cell.median_ns
    measured = {name for times in groups.values() for name in times}
    score = dict.fromkeys(measured, 0.0)
    for times in groups.values():
        fastest, slowest = min(times.values()), max(times.values())
        for name in measured:
            score[name] += math.log(times.get(name, slowest) / fastest)
    return min(score, key=lambda name: (score[name], name), default="")
