"""Two stream files, cell by cell: did a tail or the missed share move beyond the runs' spread?

A stream cell's p99 and missed share each carry a 95% interval across the
cell's processes (stream/figures.py: Student's t on log p99 and on the
shares), the run-to-run spread of a tail. A cell regressed only when the two
files' intervals do not overlap AND the change is larger than the threshold
(p99: new/old above 1 + threshold; missed share: more than
CARRIES_MISSED_SHARE more of the frames), or when a cell that was `ok` now
fails. A difference inside either run's spread is never a regression; a measure
without an interval on a side is not tested (fewer than 3 processes; for p99,
also too few frames in a process to resolve its own p99), and a cell with
neither is "not tested". The carry verdicts
of both sides are shown: a verdict that flips while the intervals overlap is
noise, said as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from interop_bench.analysis.tables import render as table
from interop_bench.analysis.units import format_ns
from interop_bench.stream.figures import CARRIES_MISSED_SHARE
from interop_bench.stream.files import StreamFile

BROKEN = ("incorrect", "error")
Key = tuple[str, str, float, int]
HEADERS = (
    "strategy",
    "resolution",
    " fps",
    " depth",
    " old p99 [95%]",
    " new p99 [95%]",
    " p99 change",
    " old missed [95%]",
    " new missed [95%]",
    "carry verdict old -> new",
    "verdict",
)


@dataclass(frozen=True)
class StreamChange:
    strategy: str
    resolution: str
    fps: float
    depth: int
    old_status: str
    new_status: str
    old_p99: list[float] | None  # [center, low, high]; low = high = center without an interval
    new_p99: list[float] | None
    old_missed: list[float] | None
    new_missed: list[float] | None
    old_verdict: str
    new_verdict: str
    verdict: str  # regression, improvement, no change, not tested, status change

    @property
    def regression(self) -> bool:
        return self.verdict.startswith("regression")


@dataclass(frozen=True)
class StreamComparison:
    changes: tuple[StreamChange, ...]
    only_old: tuple[Key, ...]
    only_new: tuple[Key, ...]

    @property
    def regressions(self) -> list[StreamChange]:
        return [c for c in self.changes if c.regression]


def key(cell: dict[str, Any]) -> Key:
    return (cell["strategy"], cell["resolution"], float(cell["fps"]), int(cell["depth"]))


def compare_streams(old: StreamFile, new: StreamFile, threshold: float) -> StreamComparison:
    olds = {key(c): c for c in old.cells}
    news = {key(c): c for c in new.cells}
    changes = tuple(_change(olds[k], news[k], threshold) for k in olds if k in news)
    return StreamComparison(
        changes,
        tuple(k for k in olds if k not in news),
        tuple(k for k in news if k not in olds),
    )


def _p99(stats: dict[str, Any] | None) -> list[float] | None:
    """[center, low, high] of p99: the pooled p99 and the interval across processes."""
    if not stats:
        return None
    center = stats["percentiles_ns"]["p99"]
    found = stats.get("p99_interval_ns")
    return [center, found[1], found[2]] if found else [center, center, center]


def _missed(stats: dict[str, Any] | None) -> list[float] | None:
    if not stats:
        return None
    found = stats.get("missed_share_interval")
    share = stats["missed_share"]
    return [share, found[1], found[2]] if found else [share, share, share]


def _change(old: dict[str, Any], new: dict[str, Any], threshold: float) -> StreamChange:
    old_stats, new_stats = old.get("stats"), new.get("stats")
    fields = {
        "strategy": old["strategy"],
        "resolution": old["resolution"],
        "fps": float(old["fps"]),
        "depth": int(old["depth"]),
        "old_status": old["status"],
        "new_status": new["status"],
        "old_p99": _p99(old_stats),
        "new_p99": _p99(new_stats),
        "old_missed": _missed(old_stats),
        "new_missed": _missed(new_stats),
        "old_verdict": (old_stats or {}).get("verdict") or old["status"],
        "new_verdict": (new_stats or {}).get("verdict") or new["status"],
    }
    return StreamChange(**fields, verdict=_verdict(old, new, threshold))


def _status_verdict(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """The verdict of a pair that is not two ok cells with figures, else None."""
    if old["status"] == "ok" and new["status"] in BROKEN:
        return f"regression: now {new['status']}"
    if (
        old["status"] != "ok"
        or new["status"] != "ok"
        or not old.get("stats")
        or not new.get("stats")
    ):
        return "status change" if old["status"] != new["status"] else "not compared"
    return None


def _verdict(old: dict[str, Any], new: dict[str, Any], threshold: float) -> str:
    by_status = _status_verdict(old, new)
    if by_status is not None:
        return by_status
    old_stats, new_stats = old["stats"], new["stats"]
    moves = _moves(old_stats, new_stats, threshold)
    if not moves:
        return _untested(old, new)
    worse = [name for name, move in moves if move > 0]
    better = [name for name, move in moves if move < 0]
    untested = "" if len(moves) == 2 else "; p99 not tested: too few frames a process"
    if worse:
        return "regression: " + " and ".join(worse) + untested
    if better:
        return "improvement: " + " and ".join(better) + untested
    if _carry(old_stats["verdict"]) != _carry(new_stats["verdict"]):
        return "no change (the carry verdict flips inside the spread)" + untested
    return "no change" + untested


def _untested(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Why a pair of ok cells has no interval to compare: a side pass 0 settled
    (it does not carry the rate, shown by one process), or too few processes."""
    if old.get("settled") and new.get("settled"):
        return "no change (neither carries it: both settled in pass 0)"
    if old.get("settled") or new.get("settled"):
        side = "old" if old.get("settled") else "new"
        return f"not tested (the {side} cell was settled in pass 0: one process)"
    return "not tested (no spread: fewer than 3 processes)"


def _carry(verdict: str) -> str:
    """A verdict's category: "misses 1.5%" and "misses 1.6%" say the same."""
    return "misses" if verdict.startswith("misses") else verdict


def _moves(old: dict[str, Any], new: dict[str, Any], threshold: float) -> list[tuple[str, int]]:
    """Each measure both sides carry an interval of, and how it moved (+1, 0, -1). A
    p99 has one only where each process resolves its own p99 (stream/figures.py)."""
    moves = []
    if old.get("p99_interval_ns") and new.get("p99_interval_ns"):
        moves.append(
            ("p99", _moved(_p99(old), _p99(new), lambda o, n: n / o - 1 if o else 0.0, threshold))
        )
    if old.get("missed_share_interval") and new.get("missed_share_interval"):
        moves.append(
            (
                "missed share",
                _moved(_missed(old), _missed(new), lambda o, n: n - o, CARRIES_MISSED_SHARE),
            )
        )
    return moves


def _moved(
    old: list[float] | None,
    new: list[float] | None,
    change: Callable[[float, float], float],
    threshold: float,
) -> int:
    """+1 when `new` lies wholly above `old`'s interval by more than the threshold,
    -1 wholly below by more, 0 inside the spread or under the threshold."""
    if old is None or new is None:
        return 0
    if new[1] > old[2] and change(old[0], new[0]) > threshold:
        return 1
    if new[2] < old[1] and change(new[0], old[0]) > threshold:
        return -1
    return 0


def render(comparison: StreamComparison, fmt: str, labels: tuple[str, str]) -> str:
    if fmt == "json":
        return (
            json.dumps(
                {
                    "kind": "stream",
                    "old": labels[0],
                    "new": labels[1],
                    "regressions": len(comparison.regressions),
                    "cells": [asdict(c) for c in comparison.changes],
                    "only_old": comparison.only_old,
                    "only_new": comparison.only_new,
                },
                indent=2,
            )
            + "\n"
        )
    regressions = comparison.regressions
    headline = (
        f"stream comparison {labels[0]} -> {labels[1]}: {len(comparison.changes)} cells, "
        f"{len(regressions)} regression{'s' if len(regressions) != 1 else ''} (a change counts "
        "only outside both runs' intervals across processes)"
    )
    parts = [f"**{headline}**" if fmt == "markdown" else headline]
    parts.append(table(HEADERS, [_row(c) for c in comparison.changes], fmt))
    for name, keys in (("old", comparison.only_old), ("new", comparison.only_new)):
        if keys:
            cells = ", ".join(f"{s} {r} {f:g} fps depth {d}" for s, r, f, d in keys)
            parts.append(f"only in the {name} file: {cells}")
    return "\n\n".join(parts) + "\n"


def _row(change: StreamChange) -> list[str]:
    ratio = ""
    if change.old_p99 and change.new_p99 and change.old_p99[0]:
        ratio = f"{change.new_p99[0] / change.old_p99[0] - 1:+.1%}"
    return [
        change.strategy,
        change.resolution,
        f"{change.fps:g}",
        str(change.depth),
        _text(change.old_p99, format_ns),
        _text(change.new_p99, format_ns),
        ratio,
        _text(change.old_missed, _percent),
        _text(change.new_missed, _percent),
        f"{change.old_verdict} -> {change.new_verdict}",
        change.verdict,
    ]


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _text(value: list[float] | None, fmt: Callable[[float], str]) -> str:
    if value is None:
        return "-"
    if value[1] == value[2] == value[0]:
        return fmt(value[0])
    return f"{fmt(value[0])} [{fmt(value[1])}, {fmt(value[2])}]"
