"""The Streams section: per stream file, resolution and rate, each strategy's
verdict and tail against the kernel alone paced the same way (the floor row),
and where the isolated-call median of a matrix file and the stream disagree.

Latency runs from each frame's scheduled time (stream/schedule.py: no
coordinated omission), and a frame misses when it is done later than one
period after it was due; the verdicts are the stream file's own
(stream/figures.py). The tables are folded but for the headline (the largest
resolution at the highest rate): a full stream matrix is hundreds of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from interop_bench import ops
from interop_bench.analysis import frames
from interop_bench.analysis.load import Results
from interop_bench.analysis.units import DASH, TIMES, format_bytes, format_ns
from interop_bench.report.cell_table import Td
from interop_bench.results_file import KERNEL
from interop_bench.stream.figures import (
    CANNOT_KEEP_UP,
    CARRIES_MISSED_SHARE,
    KEEPS_UP_SHARE,
    SPECTRUM,
    nines,
    spectrum,
)
from interop_bench.stream.files import StreamFile

COLUMNS = (
    "depth",
    "verdict",
    "p50",
    "p99 [95%]",
    "p99.9",
    "max",
    "missed [95%]",
    "dropped",
    "CPU/frame",
    "peak memory",
    f"p99 {TIMES} floor",
)
CARRIES = "carries it"
# The list of disagreements opens by itself up to this many lines (a full
# stream matrix against a default run can disagree in hundreds of cells).
DISAGREEMENTS_OPEN_UP_TO = 12


def rule_text() -> str:
    """The deadline rule and the verdicts, in the words of stream/figures.py's thresholds."""
    return (
        "A frame misses its deadline when it is done later than one period (1/fps) after it "
        "was due; frames dropped at the in-flight limit count as missed. "
        f"carries it: the missed share's 95% interval lies below {CARRIES_MISSED_SHARE:.0%}; "
        f"cannot keep up: under {KEEPS_UP_SHARE:.0%} of the rate achieved; misses N% otherwise."
    )


@dataclass(frozen=True)
class StreamTable:
    file_label: str
    resolution: str
    fps: float
    summary: str  # one line: who carries it, who misses, who cannot keep up
    headline: bool  # open by default
    rows: tuple[tuple[Td, ...], ...]


def tables(streams: list[StreamFile]) -> list[StreamTable]:
    """One table per stream file, resolution and rate, smallest image and rate first."""
    found = []
    for stream in streams:
        groups = _groups(stream)
        if not groups:
            continue
        headline = max(groups, key=_load)
        for group in sorted(groups, key=_load):
            cells = groups[group]
            found.append(
                StreamTable(
                    file_label=stream.label,
                    resolution=group[0],
                    fps=group[1],
                    summary=_summary(cells),
                    headline=group == headline,
                    rows=tuple(_row(cell, _floor(cells)) for cell in _ordered(cells)),
                )
            )
    return found


def _load(group: tuple[str, float]) -> tuple[int, float]:
    """How heavy a (resolution, fps) is: pixels first, then the rate."""
    height, width = ops.RESOLUTIONS.get(group[0], (0, 0))
    return height * width, group[1]


def _groups(stream: StreamFile) -> dict[tuple[str, float], list[dict[str, Any]]]:
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for cell in stream.cells:
        groups.setdefault((cell["resolution"], float(cell["fps"])), []).append(cell)
    return groups


def _ordered(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The floor first, then the strategies by name and depth."""
    return sorted(cells, key=lambda c: (c["strategy"] != KERNEL, c["strategy"], c["depth"]))


def _floor(cells: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((c for c in cells if c["strategy"] == KERNEL and c.get("stats")), None)


def _summary(cells: list[dict[str, Any]]) -> str:
    """Who carries it, who misses and who cannot keep up (each strategy at its best depth)."""
    best = best_cells(c for c in cells if c["strategy"] != KERNEL)
    carried = [c["strategy"] for c in best if c["stats"]["verdict"] == CARRIES]
    lost = [c for c in best if c["stats"]["verdict"] != CARRIES]
    parts = [f"carried by {', '.join(carried) or 'none'}"]
    if lost:
        parts.append("; ".join(f"{c['strategy']} {c['stats']['verdict']}" for c in lost))
    return "; ".join(parts)


def rank_key(cell: dict[str, Any]) -> tuple[int, float, float]:
    """The card's order of stream cells: carries it, then misses, then cannot keep
    up; then the missed share, then p99."""
    stats = cell["stats"]
    verdict = stats["verdict"]
    kind = 0 if verdict == CARRIES else 2 if verdict == CANNOT_KEEP_UP else 1
    return kind, stats["missed_share"], stats["percentiles_ns"]["p99"]


def best_cells(cells: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each strategy's best ok cell (over depths) by rank_key, best strategy first."""
    best: dict[str, dict[str, Any]] = {}
    for cell in cells:
        if cell.get("status") != "ok" or not cell.get("stats"):
            continue
        held = best.get(cell["strategy"])
        if held is None or rank_key(cell) < rank_key(held):
            best[cell["strategy"]] = cell
    return sorted(best.values(), key=lambda c: (rank_key(c), c["strategy"]))


def _row(cell: dict[str, Any], floor: dict[str, Any] | None) -> tuple[Td, ...]:
    name = cell["strategy"]
    head = (
        Td(
            name,
            name,
            "floor" if name == KERNEL else "",
            "the kernel alone" if name == KERNEL else "",
        ),
        Td(str(cell["depth"]), str(cell["depth"])),
    )
    stats = cell.get("stats")
    if cell["status"] != "ok" or not stats:
        blank = (Td("", ""),) * (len(COLUMNS) - 2)
        return (
            *head,
            Td(cell["status"], cell["status"], f"status-{cell['status']}", cell["reason"] or ""),
            *blank,
        )
    verdict = stats["verdict"]
    css = "verdict-pass" if verdict == CARRIES else "verdict-fail"
    p99 = stats["percentiles_ns"]["p99"]
    versus = floor["stats"]["percentiles_ns"]["p99"] if floor else None
    # A cell pass 0 settled has one process, so no interval: the cell says why.
    settled = cell.get("settled")
    return (
        *head,
        Td(f"{verdict} (1 process)" if settled else verdict, verdict, css, settled or ""),
        _time(stats, "p50"),
        Td(_with_interval(p99, stats.get("p99_interval_ns"), format_ns), _sort(p99)),
        _time(stats, "p99.9"),
        Td(format_ns(stats["max_ns"]), _sort(stats["max_ns"])),
        Td(
            _with_interval(stats["missed_share"], stats.get("missed_share_interval"), _percent),
            _sort(stats["missed_share"]),
        ),
        Td(str(stats["dropped"]), str(stats["dropped"])),
        _cpu(stats),
        _memory(stats),
        Td(f"{p99 / versus:.3g}{TIMES}" if versus else "", _sort(p99 / versus) if versus else ""),
    )


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _with_interval(value: float, interval: list[float] | None, fmt: Callable[[float], str]) -> str:
    if not interval:
        return fmt(value)
    return f"{fmt(value)} [{fmt(interval[1])} {DASH} {fmt(interval[2])}]"


def _time(stats: dict[str, Any], name: str) -> Td:
    """A percentile, or "= max" when the frames are too few to tell it from the maximum."""
    value = stats["percentiles_ns"][name]
    if not stats["resolved"][name]:
        return Td("= max", _sort(stats["max_ns"]), "muted")
    return Td(format_ns(value), _sort(value))


def _cpu(stats: dict[str, Any]) -> Td:
    caller, workers = stats["caller_cpu_ns_per_frame"], stats["workers_cpu_ns_per_frame"]
    total = (caller or 0.0) + (workers or 0.0)
    text = format_ns(total) if caller is not None or workers is not None else ""
    title = f"caller {format_ns(caller) if caller is not None else '-'}, workers " + (
        format_ns(workers) if workers is not None else "none"
    )
    return Td(text, _sort(total), title=title)


def _memory(stats: dict[str, Any]) -> Td:
    """The most the caller and its workers held resident while streaming, and in the
    title what the stream added over the start (files from before: blank)."""
    peak, growth = stats.get("peak_resident_bytes"), stats.get("resident_growth_bytes")
    if peak is None:
        return Td("", "")
    title = "caller and workers; the stream added " + format_bytes(growth or 0) + " after warm-up"
    return Td(format_bytes(peak), _sort(peak), title=title)


@dataclass(frozen=True)
class Disagreement:
    """A frame cell whose isolated-call median and stream verdict say different things."""

    strategy: str
    resolution: str
    fps: float
    median_says: str  # pass / fail / borderline
    stream_says: str

    def sentence(self) -> str:
        return (
            f"{self.strategy} at {self.resolution} {self.fps:g} fps: the median says "
            f"{self.median_says}, the stream {self.stream_says}"
        )


def disagreements(files: list[Results], streams: list[StreamFile]) -> list[Disagreement]:
    """Depth-1 stream cells (one synchronous caller, as the matrix calls) against the
    same strategy's frame cell at that resolution: the median's budget verdict at
    the stream's rate (pass maps to carries it, fail to anything else) against the
    stream's; a borderline median always differs, since the stream decides it."""
    found: list[Disagreement] = []
    for results in files:
        medians = frames.by_strategy(results)
        for stream in streams:
            for cell in stream.ok_cells():
                entry = medians.get(cell["strategy"], {}).get(cell["resolution"])
                if cell["depth"] != 1 or not isinstance(entry, frames.FrameTime):
                    continue
                fps = float(cell["fps"])
                median = frames.verdict(entry.ms, entry.low_ms, entry.high_ms, fps)
                carried = cell["stats"]["verdict"] == CARRIES
                if median == frames.BORDERLINE or (median == frames.PASS) != carried:
                    found.append(
                        Disagreement(
                            cell["strategy"],
                            cell["resolution"],
                            fps,
                            f"{median} ({entry.ms:.3g} ms against {1000 / fps:.3g} ms)",
                            _stream_words(cell["stats"]),
                        )
                    )
    return found


def _stream_words(stats: dict[str, Any]) -> str:
    p99 = format_ns(stats["percentiles_ns"]["p99"])
    if stats["missed_share"] == 0:
        return f"misses none (p99 {p99})"
    if stats["verdict"] == CARRIES:
        return f"carries it, missing {stats['missed_share']:.1%} (p99 {p99})"
    return f"{stats['verdict']} (p99 {p99})"


def page_rows(streams: list[StreamFile]) -> dict[str, Any]:
    """What the page's figure and decision card read: each ok cell's figures and
    its percentile spectrum (`sp`: the latencies at the first percentiles of
    `spectrum` its frames resolve, then the maximum, at nines `mx`; the page
    makes the points), and each (resolution, fps)'s deadline."""
    cells: list[dict[str, Any]] = []
    groups: dict[str, tuple[str, float]] = {}
    for index, stream in enumerate(streams):
        for cell in stream.ok_cells():
            key = f"{cell['resolution']} {float(cell['fps']):g} fps"
            groups[key] = (cell["resolution"], float(cell["fps"]))
            cells.append(_page_row(index, key, cell))
    keys = sorted(groups, key=lambda k: _load(groups[k]))
    return {
        "files": [s.label for s in streams],
        "cells": cells,
        "spectrum": [[f"p{q:g}", round(nines(q), 4)] for q in SPECTRUM],
        "deadlines": [
            {"key": k, "ns": 1e9 / groups[k][1], "t": format_ns(1e9 / groups[k][1])} for k in keys
        ],
        "keys": keys,
        "headline": keys[-1] if keys else "",
    }


def _page_row(file_index: int, key: str, cell: dict[str, Any]) -> dict[str, Any]:
    stats = cell["stats"]
    height, width = ops.RESOLUTIONS.get(cell["resolution"], (0, 0))
    points = spectrum(cell["processes"])
    cpu = (stats["caller_cpu_ns_per_frame"] or 0.0) + (stats["workers_cpu_ns_per_frame"] or 0.0)
    return {
        "file": file_index,
        "s": cell["strategy"],
        "key": key,
        "res": cell["resolution"],
        "bytes": height * width * ops.CHANNELS,
        "fps": float(cell["fps"]),
        "d": cell["depth"],
        "verdict": stats["verdict"],
        "miss": _significant(stats["missed_share"]),
        "p50": _significant(stats["percentiles_ns"]["p50"]),
        "p99": _significant(stats["percentiles_ns"]["p99"]),
        "max": _significant(stats["max_ns"]),
        "cpu": _significant(cpu),
        "sp": [_significant(ns, 4) for _, _, ns in points],
        "mx": round(points[-1][1], 4) if points else 0,
    }


def _sort(value: float) -> str:
    """A number as the table's script sorts it: six significant digits are plenty."""
    return f"{value:.6g}"


def _significant(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")
