"""A Comparison as text (terminal), Markdown (CI job summary, PR comment) or JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

from interop_bench.analysis.compare import CellChange, Comparison, StrategySummary
from interop_bench.analysis.tables import render as table
from interop_bench.analysis.units import format_bytes, format_ns, format_percent

CELL_HEADERS = (
    "strategy",
    "op",
    " elements",
    " payload",
    " old",
    " new",
    " change",
    " p",
    "verdict",
)
SUMMARY_HEADERS = ("strategy", " cells", " geomean change", " slower", " faster", " regressions")


def render(comparison: Comparison, fmt: str) -> str:
    if fmt == "json":
        return _json(comparison)
    markdown = fmt == "markdown"
    parts = [_headline(comparison, markdown)]
    if comparison.machine_warning:
        parts.append(("> [!WARNING]\n> " if markdown else "WARNING: ") + comparison.machine_warning)
    parts.append(_section("Per strategy (geometric mean of new/old medians)", markdown))
    parts.append(table(SUMMARY_HEADERS, [_summary_row(s) for s in comparison.summaries], fmt))
    notable = [c for c in comparison.changes if c.verdict != "not significant"]
    parts.append(_section("Significant changes and status changes", markdown))
    parts.append(table(CELL_HEADERS, [_cell_row(c) for c in notable], fmt) if notable else "none")
    if comparison.only_old or comparison.only_new:
        parts.append(_section("Cells in one file only", markdown))
        parts.append(_only(comparison, markdown))
    every = table(CELL_HEADERS, [_cell_row(c) for c in comparison.changes], fmt)
    if markdown:
        summary = f"<summary>All {len(comparison.changes)} cells</summary>"
        parts.append(f"<details>{summary}\n\n{every}\n\n</details>")
    else:
        parts.extend([_section("All cells", markdown), every])
    return "\n\n".join(parts) + "\n"


def _headline(comparison: Comparison, markdown: bool) -> str:
    regressions = comparison.regressions
    verdict = (
        f"{len(regressions)} regression(s)" if regressions else "no regression"
    ) + f" (slower by more than {comparison.threshold:.0%} at p < {comparison.alpha})"
    files = f"{comparison.old.path.name} → {comparison.new.path.name}"
    if markdown:
        mark = "❌" if regressions else "✅"
        return f"### interop-bench compare: {mark} {verdict}\n\n`{files}`"
    return f"interop-bench compare: {files}\n{verdict}"


def _section(title: str, markdown: bool) -> str:
    return f"#### {title}" if markdown else f"{title}:"


def _summary_row(s: StrategySummary) -> list[str]:
    change = "n/a" if math.isnan(s.geomean_ratio) else format_percent(s.geomean_ratio - 1)
    counts = (s.cells, s.slower, s.faster, s.regressions)
    return [s.strategy, str(s.cells), change, *map(str, counts[1:])]


def _cell_row(change: CellChange) -> list[str]:
    verdict = change.verdict + (" REGRESSION" if change.regression else "")
    return [
        change.strategy,
        change.op,
        str(change.size),
        format_bytes(change.size * 8),
        _ns(change.old_median_ns),
        _ns(change.new_median_ns),
        "" if change.ratio is None else format_percent(change.ratio - 1),
        "" if change.p_value is None else f"{change.p_value:.2g}",
        verdict,
    ]


def _ns(value: float | None) -> str:
    return "" if value is None else format_ns(value)


def _only(comparison: Comparison, markdown: bool) -> str:
    bullet = "- " if markdown else "  "
    lines = [f"{bullet}only in old: {s} {o} {n}" for s, o, n in comparison.only_old]
    lines += [f"{bullet}only in new: {s} {o} {n}" for s, o, n in comparison.only_new]
    return "\n".join(lines)


def _json(comparison: Comparison) -> str:
    document = {
        "old": str(comparison.old.path),
        "new": str(comparison.new.path),
        "threshold": comparison.threshold,
        "alpha": comparison.alpha,
        "machine_warning": comparison.machine_warning,
        "regressions": len(comparison.regressions),
        "strategies": [_finite(asdict(s)) for s in comparison.summaries],
        "cells": [asdict(c) for c in comparison.changes],
        "only_old": [list(k) for k in comparison.only_old],
        "only_new": [list(k) for k in comparison.only_new],
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _finite(record: dict[str, object]) -> dict[str, object]:
    """JSON has no NaN: a geometric mean of no ratios becomes null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()}
