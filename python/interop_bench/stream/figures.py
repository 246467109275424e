"""A stream cell's figures across its processes: percentiles, missed share, verdict.

Stream files are read here without the measuring code (no strategy is
loaded). The percentiles are of every frame of every process (their HDR histograms
added); the intervals of p99 and of the missed share are across processes
(Student's t on log p99 and on the shares), since a process's frames are not
independent of each other: a stall delays a run of them.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from statistics import mean, stdev
from typing import Any

from hdrh.histogram import HdrHistogram

from interop_bench.intervals import t_quantile

PERCENTILES = (50.0, 90.0, 99.0, 99.9)
# The points of a percentile spectrum (HdrHistogram's plot), where the frames resolve them.
SPECTRUM = (50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99)
# A stream carries the rate when it misses under 1% of its frames (the upper end
# of the interval) and keeps the rate; it cannot keep up under 95% of the rate.
CARRIES_MISSED_SHARE = 0.01
KEEPS_UP_SHARE = 0.95
CANNOT_KEEP_UP = "cannot keep up"
# A percentile is told from the maximum by this many frames past it.
FRAMES_PAST = 10
# Fewer processes give intervals that do not hold across runs (as the matrix's):
# two processes put Student's t at 12.7 standard errors.
MIN_PROCESSES = 3


@dataclass(frozen=True)
class Interval:
    center: float
    low: float
    high: float


def t_interval(values: list[float], log: bool = False) -> Interval | None:
    """The mean's 95% Student's t interval (on logs when `log`); None below
    MIN_PROCESSES values."""
    if len(values) < MIN_PROCESSES or (log and min(values) <= 0):
        return None
    data = [math.log(v) for v in values] if log else values
    center = mean(data)
    half = t_quantile(0.975, len(data) - 1) * stdev(data) / math.sqrt(len(data))
    if log:
        return Interval(math.exp(center), math.exp(center - half), math.exp(center + half))
    return Interval(center, max(center - half, 0.0), min(center + half, 1.0))


def resolvable(percentile: float, frames: int) -> bool:
    """Whether `frames` frames tell this percentile from the maximum (10 frames above it)."""
    return frames >= to_resolve(percentile)


def to_resolve(percentile: float) -> int:
    """The fewest frames that resolve a percentile: p99 1,000, p99.9 10,000."""
    return math.ceil(round(FRAMES_PAST * 100.0 / (100.0 - percentile), 6))


def decode(text: str) -> HdrHistogram:
    """A histogram of a stream file: HdrHistogram's compressed encoding in base64.
    Decoded here, not with the measuring side's stream/cell.py, so that reading a
    stream file (report, compare) loads no strategy."""
    return HdrHistogram.decode(base64.b64decode(text))


def pooled(histograms: list[HdrHistogram]) -> HdrHistogram:
    """Every frame of several histograms (of one cell: the same settings) in one."""
    first = histograms[0]
    total = HdrHistogram(
        first.lowest_trackable_value, first.highest_trackable_value, first.significant_figures
    )
    for histogram in histograms:
        total.add(histogram)
    return total


def nines(percentile: float) -> float:
    """A percentile on HdrHistogram's "nines" axis: p90 is 1, p99 2, p99.9 3."""
    return -math.log10(1.0 - percentile / 100.0)


def spectrum(processes: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(name, nines, latency ns) of the pooled latencies: every percentile of
    SPECTRUM its frames resolve, then the maximum at the last frame's place."""
    latencies = pooled([decode(p["latency_histogram"]) for p in processes])
    frames = latencies.get_total_count()
    points = [
        (f"p{q:g}", nines(q), float(latencies.get_value_at_percentile(q)))
        for q in SPECTRUM
        if resolvable(q, frames)
    ]
    if frames:
        points.append(("max", math.log10(frames), float(latencies.get_max_value())))
    return points


def summarize(processes: list[dict[str, Any]], fps: float) -> dict[str, Any]:
    """The figures of a cell's ok processes."""
    latencies = [decode(p["latency_histogram"]) for p in processes]
    pooled_latency = pooled(latencies)
    lateness = pooled([decode(p["start_lateness_histogram"]) for p in processes])
    frames = sum(int(p["done"]) for p in processes)
    shares = [(p["missed"]) / max(p["frames"], 1) for p in processes]
    # Each process's own p99, where its frames resolve it (else it is its maximum).
    p99s = [
        float(latency.get_value_at_percentile(99.0))
        for latency in latencies
        if resolvable(99.0, latency.get_total_count())
    ]
    achieved = [float(p["achieved_fps"]) for p in processes if p.get("achieved_fps")]
    missed_share = sum(p["missed"] for p in processes) / max(sum(p["frames"] for p in processes), 1)
    figures: dict[str, Any] = {
        "frames": frames,
        "percentiles_ns": {
            f"p{q:g}": float(pooled_latency.get_value_at_percentile(q)) for q in PERCENTILES
        },
        "max_ns": float(pooled_latency.get_max_value()),
        "resolved": {f"p{q:g}": resolvable(q, frames) for q in PERCENTILES},
        "p99_interval_ns": _as_list(t_interval(p99s, log=True))
        if len(p99s) == len(latencies)
        else None,
        "missed_share": missed_share,
        "missed_share_interval": _as_list(t_interval(shares)),
        "dropped": sum(int(p["dropped"]) for p in processes),
        "achieved_fps": mean(achieved) if achieved else None,
        "caller_cpu_ns_per_frame": _mean_of(processes, "caller_cpu_ns_per_frame"),
        "workers_cpu_ns_per_frame": _mean_of(processes, "workers_cpu_ns_per_frame"),
        "start_lateness_p99_ns": float(lateness.get_value_at_percentile(99.0)),
        # The most any process held resident while streaming (caller and workers).
        "peak_resident_bytes": _max_of(processes, "peak_resident_bytes"),
        "resident_growth_bytes": _max_of(processes, "resident_growth_bytes"),
    }
    figures["verdict"] = verdict(figures, fps)
    return figures


def verdict(figures: dict[str, Any], fps: float) -> str:
    """ "carries it", "misses N%" or "cannot keep up", from the missed share and the rate."""
    achieved = figures["achieved_fps"]
    if achieved is not None and achieved < KEEPS_UP_SHARE * fps:
        return CANNOT_KEEP_UP
    interval = figures["missed_share_interval"]
    high = interval[2] if interval else figures["missed_share"]
    if high < CARRIES_MISSED_SHARE:
        return "carries it"
    return f"misses {figures['missed_share']:.1%}"


def _mean_of(processes: list[dict[str, Any]], key: str) -> float | None:
    values = [float(p[key]) for p in processes if p.get(key) is not None]
    return mean(values) if values else None


def _max_of(processes: list[dict[str, Any]], key: str) -> int | None:
    values = [int(p[key]) for p in processes if p.get(key) is not None]
    return max(values) if values else None


def _as_list(interval: Interval | None) -> list[float] | None:
    return None if interval is None else [interval.center, interval.low, interval.high]
