"""A Comparison as text (terminal), Markdown (CI job summary, PR comment) or JSON."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict

from interop_bench.analysis import machine_speed, resolution
from interop_bench.analysis.compare import CellChange, Comparison, StrategySummary
from interop_bench.analysis.detectable import RULE as DETECTABLE_RULE
from interop_bench.analysis.detectable import format_detectable
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
    " 95% interval",
    " detectable",
    " p",
    " processes",
    "verdict",
)
INSTRUCTION_HEADERS = (" instructions/call", " instr. change")
SUMMARY_HEADERS = ("strategy", " cells", " geomean change", " slower", " faster", " regressions")


def _machine_line(comparison: Comparison) -> str:
    """How each file's machine behaved (analysis/machine_speed.py): what its intervals
    rest on; "" when neither file has the passes and cells per group to tell."""
    files = (comparison.old, comparison.new)
    speeds = [machine_speed.of(results) for results in files]
    if not any(speeds):
        return ""
    said = []
    for side, speed, results in zip(("old", "new"), speeds, files, strict=True):
        told = resolution.sentence(results)
        said.append(
            f"{side}: {speed.sentence() if speed else machine_speed.UNTOLD}"
            + (f"; it tells apart {told}" if told else "")
        )
    return "Machine speed during each run: " + "; ".join(said) + "."


def render(comparison: Comparison, fmt: str) -> str:
    if fmt == "json":
        return _json(comparison)
    markdown = fmt == "markdown"
    parts = [_headline(comparison, markdown)]
    covered = _detectable_line(comparison)
    if covered:
        parts.append(covered)
    machine = _machine_line(comparison)
    if machine:
        parts.append(machine)
    if comparison.releases:
        parts.append(_releases(comparison))
    for warning in comparison.warnings:
        parts.append(("> [!WARNING]\n> " if markdown else "WARNING: ") + warning)
    counted = any(c.old_instructions is not None for c in comparison.changes)
    headers = CELL_HEADERS + (INSTRUCTION_HEADERS if counted else ())
    strategies = [c for c in comparison.changes if not c.floor]
    floors = [c for c in comparison.changes if c.floor]
    parts.append(_section("Per strategy (geometric mean of new/old medians)", markdown))
    parts.append(table(SUMMARY_HEADERS, [_summary_row(s) for s in comparison.summaries], fmt))
    notable = [c for c in strategies if c.verdict in ("slower", "faster") or _notable(c)]
    parts.append(_section("Significant changes and status changes", markdown))
    rows = [_cell_row(c, counted) for c in notable]
    parts.append(table(headers, rows, fmt) if notable else "none")
    if floors:
        parts.append(_section("Floors (kernel alone, bandwidth probes: the machine)", markdown))
        parts.append(table(headers, [_cell_row(c, counted) for c in floors], fmt))
    if comparison.measured_in_one:
        parts.append(_section("Cells measured in one file only", markdown))
        parts.append(_measured_in_one(comparison, markdown))
    if comparison.only_old or comparison.only_new:
        parts.append(_section("Cells in one file only", markdown))
        parts.append(_only(comparison, markdown))
    every = table(headers, [_cell_row(c, counted) for c in strategies], fmt)
    if markdown:
        summary = f"<summary>All {len(strategies)} cells</summary>"
        parts.append(f"<details>{summary}\n\n{every}\n\n</details>")
    else:
        parts.extend([_section("All cells", markdown), every])
    if covered:
        parts.append(("_" if markdown else "") + DETECTABLE_RULE + ("_" if markdown else ""))
    return "\n\n".join(parts) + "\n"


def _detectable_line(comparison: Comparison) -> str | None:
    """What "no regression" covers, over the cells tested: None if none was."""
    found = sorted(c.detectable for c in comparison.changes if c.detectable is not None)
    if not found:
        return None
    middle = statistics.median(found)
    return (
        f"Smallest detectable slowdown (per cell, column 'detectable'): median "
        f"{format_detectable(middle)} over {len(found)} tested cells, from "
        f"{format_detectable(found[0])} to {format_detectable(found[-1])}"
    )


def _notable(change: CellChange) -> bool:
    """A status change or an instruction-count regression: worth a line of its own
    (a cell skipped in both files is not: nothing about it changed)."""
    return change.status_changed or change.instructions_regression


def _headline(comparison: Comparison, markdown: bool) -> str:
    regressions = comparison.regressions
    verdict = (f"{len(regressions)} regression(s)" if regressions else "no regression") + (
        f" (slower by more than {comparison.threshold:.0%}, significant at a false discovery "
        f"rate of {comparison.alpha:g} over the cells' process medians"
    )
    if any(c.old_instructions is not None for c in comparison.changes):
        verdict += f"; or {comparison.instructions_threshold:.0%} more instructions per call"
    verdict += ")"
    files = f"{comparison.old.path.name} → {comparison.new.path.name}"
    if markdown:
        mark = "❌" if regressions else "✅"
        return f"### interop-bench compare: {mark} {verdict}\n\n`{files}`"
    return f"interop-bench compare: {files}\n{verdict}"


def _releases(comparison: Comparison) -> str:
    changed = ", ".join(
        f"{package} {old or 'absent'} → {new or 'absent'}"
        for package, old, new in comparison.releases
    )
    return f"Releases that differ: {changed}"


def _section(title: str, markdown: bool) -> str:
    return f"#### {title}" if markdown else f"{title}:"


def _summary_row(s: StrategySummary) -> list[str]:
    change = "n/a" if math.isnan(s.geomean_ratio) else format_percent(s.geomean_ratio - 1)
    counts = (s.cells, s.slower, s.faster, s.regressions)
    return [s.strategy, str(s.cells), change, *map(str, counts[1:])]


def _cell_row(change: CellChange, counted: bool) -> list[str]:
    verdict = change.verdict + (" REGRESSION" if change.regression else "")
    if change.instructions_regression:
        verdict += " INSTRUCTIONS REGRESSION"
    interval = (
        ""
        if change.ratio_low is None or change.ratio_high is None
        else f"{format_percent(change.ratio_low - 1)} .. {format_percent(change.ratio_high - 1)}"
    )
    detectable = "" if change.detectable is None else format_detectable(change.detectable)
    row = [
        change.strategy,
        change.op,
        str(change.size),
        format_bytes(change.payload_bytes),
        _ns(change.old_median_ns),
        _ns(change.new_median_ns),
        "" if change.ratio is None else format_percent(change.ratio - 1),
        interval,
        detectable,
        "" if change.p_value is None else f"{change.p_value:.2g}",
        f"{change.processes[0]}/{change.processes[1]}",
        verdict,
    ]
    if counted:
        ratio = change.instructions_ratio
        row += [
            "" if change.new_instructions is None else f"{change.new_instructions:,.0f}",
            "" if ratio is None else format_percent(ratio - 1),
        ]
    return row


def _ns(value: float | None) -> str:
    return "" if value is None else format_ns(value)


def _only(comparison: Comparison, markdown: bool) -> str:
    bullet = "- " if markdown else "  "
    lines = [f"{bullet}only in old: {s} {o} {n}" for s, o, n in comparison.only_old]
    lines += [f"{bullet}only in new: {s} {o} {n}" for s, o, n in comparison.only_new]
    return "\n".join(lines)


def _measured_in_one(comparison: Comparison, markdown: bool) -> str:
    bullet = "- " if markdown else "  "
    return "\n".join(
        f"{bullet}measured in {'old' if c.old_median_ns is not None else 'new'} only: "
        f"{c.strategy} {c.op} {c.size} ({c.verdict})"
        for c in comparison.measured_in_one
    )


def _json(comparison: Comparison) -> str:
    document = {
        "old": str(comparison.old.path),
        "new": str(comparison.new.path),
        "threshold": comparison.threshold,
        "alpha": comparison.alpha,
        "instructions_threshold": comparison.instructions_threshold,
        "warnings": list(comparison.warnings),
        "releases": [
            {"package": package, "old": old, "new": new}
            for package, old, new in comparison.releases
        ],
        "regressions": len(comparison.regressions),
        "detectable_rule": DETECTABLE_RULE,
        "strategies": [_finite(asdict(s)) for s in comparison.summaries],
        "cells": [_finite(asdict(c)) for c in comparison.changes],
        "only_old": [list(k) for k in comparison.only_old],
        "only_new": [list(k) for k in comparison.only_new],
        "measured_in_one": [[c.strategy, c.op, c.size] for c in comparison.measured_in_one],
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _finite(record: dict[str, object]) -> dict[str, object]:
    """JSON has no NaN: a geometric mean of no ratios becomes null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()}
