"""The stream table: per cell, the tail, the missed share and the verdict (text or Markdown)."""

from __future__ import annotations

from typing import Any

from interop_bench.analysis.tables import render
from interop_bench.analysis.units import format_bytes, format_ns

HEADERS = (
    "strategy",
    "resolution",
    " fps",
    " depth",
    " p50",
    " p99 [95%]",
    " p99.9",
    " max",
    " missed [95%]",
    " CPU/frame (caller, worker)",
    " peak memory",
    "verdict",
)


def _percentile(stats: dict[str, Any], name: str) -> str:
    """A percentile, or "= max" when the frames are too few to tell it from the maximum."""
    if not stats["resolved"][name]:
        return "= max"
    return format_ns(stats["percentiles_ns"][name])


def _p99(stats: dict[str, Any]) -> str:
    text = _percentile(stats, "p99")
    interval = stats.get("p99_interval_ns")
    if interval:
        text += f" [{format_ns(interval[1])}, {format_ns(interval[2])}]"
    return text


def _missed(stats: dict[str, Any]) -> str:
    text = f"{stats['missed_share']:.1%}"
    interval = stats.get("missed_share_interval")
    if interval:
        text += f" [{interval[1]:.1%}, {interval[2]:.1%}]"
    return text


def _cpu(stats: dict[str, Any]) -> str:
    caller, workers = stats["caller_cpu_ns_per_frame"], stats["workers_cpu_ns_per_frame"]
    parts = [format_ns(caller) if caller is not None else "-"]
    parts.append(format_ns(workers) if workers is not None else "-")
    return ", ".join(parts)


def _memory(stats: dict[str, Any]) -> str:
    """The most the caller and its workers held resident while streaming (files
    from before it was measured have none)."""
    peak = stats.get("peak_resident_bytes")
    return "-" if peak is None else format_bytes(peak)


def _row(cell: dict[str, Any]) -> list[str]:
    head = [
        cell["strategy"],
        cell["resolution"],
        f"{cell['fps']:g}",
        str(cell["depth"]),
    ]
    stats = cell.get("stats")
    if cell["status"] != "ok" or not stats:
        blank = [""] * (len(HEADERS) - len(head) - 1)
        return [*head, *blank, f"{cell['status']}: {cell['reason']}"]
    return [
        *head,
        format_ns(stats["percentiles_ns"]["p50"]),
        _p99(stats),
        _percentile(stats, "p99.9"),
        format_ns(stats["max_ns"]),
        _missed(stats),
        _cpu(stats),
        _memory(stats),
        verdict(cell),
    ]


def verdict(cell: dict[str, Any]) -> str:
    """The cell's verdict, and why it has one process where pass 0 settled it."""
    settled = cell.get("settled")
    return f"{cell['stats']['verdict']}; {settled}" if settled else str(cell["stats"]["verdict"])


def stream_table(document: dict[str, Any], fmt: str = "text") -> str:
    """Every cell of a stream results file, in request order."""
    return render(HEADERS, [_row(cell) for cell in document["cells"]], fmt)
