"""Statistics of per-call times: pure functions, no timing, no I/O.

The confidence interval of the median uses order statistics (the binomial
method): the number of samples below the true median is Binomial(n, 1/2)
whatever the distribution, so two ranks of the sorted samples bracket the
median with a known probability. Timing distributions are skewed with long
right tails; this interval needs no normality and no resampling, so it is
deterministic and cheap enough to recompute after every batch (ranks are
cached per sample count; no scipy, whose import alone takes seconds here).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95

# The keys `summarize` returns, as named in docs/results-schema.md.
SUMMARY_KEYS = (
    "median_ns",
    "min_ns",
    "mean_ns",
    "stdev_ns",
    "p5_ns",
    "p95_ns",
    "p99_ns",
    "iqr_ns",
    "ci_low_ns",
    "ci_high_ns",
)


@functools.lru_cache(maxsize=4096)
def median_ci_ranks(count: int, confidence: float = CONFIDENCE) -> tuple[int, int]:
    """0-based indices (low, high) into `count` sorted samples such that
    [x[low], x[high]] holds the true median with at least `confidence`.

    Rank l (1-based) is the largest with P(B <= l - 1) <= (1 - confidence) / 2,
    B ~ Binomial(count, 1/2); the upper rank mirrors it (count - l + 1). Below 6
    samples no pair reaches 95%, and the whole range (min, max) is returned.
    """
    if count < 1:
        raise ValueError("a confidence interval needs at least one sample")
    tail = (1.0 - confidence) / 2.0
    # The smallest x with P(B <= x) >= tail; then P(B <= x - 1) < tail, so rank x
    # is safe. Terms in log space: 2**-count underflows past ~1000 samples.
    log_total = count * math.log(2.0)
    log_n_factorial = math.lgamma(count + 1)
    cumulative = 0.0
    x = 0
    while True:
        log_term = log_n_factorial - math.lgamma(x + 1) - math.lgamma(count - x + 1)
        cumulative += math.exp(log_term - log_total)
        if cumulative >= tail or x >= count:
            break
        x += 1
    rank = max(1, x)
    return rank - 1, count - rank


def median_ci(sorted_ns: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """The 95% confidence interval of the median of already sorted samples."""
    low, high = median_ci_ranks(len(sorted_ns))
    return float(sorted_ns[low]), float(sorted_ns[high])


def ci_within(sorted_ns: np.ndarray, relative: float) -> bool:
    """True when the CI of the median lies within +-`relative` of the median."""
    median = float(np.median(sorted_ns))
    low, high = median_ci(sorted_ns)
    return median > 0 and low >= median * (1 - relative) and high <= median * (1 + relative)


def summarize(per_call_ns: Sequence[float] | np.ndarray) -> dict[str, float]:
    """min, median, mean, stdev (n - 1), percentiles (linear interpolation), IQR
    and the 95% CI of the median of per-call times, in ns."""
    values = np.sort(np.asarray(per_call_ns, dtype=np.float64))
    if values.size == 0:
        raise ValueError("no samples to summarize")
    p5, p25, p50, p75, p95, p99 = np.percentile(values, [5, 25, 50, 75, 95, 99])
    low, high = median_ci(values)
    return {
        "median_ns": float(p50),
        "min_ns": float(values[0]),
        "mean_ns": float(values.mean()),
        "stdev_ns": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "p5_ns": float(p5),
        "p95_ns": float(p95),
        "p99_ns": float(p99),
        "iqr_ns": float(p75 - p25),
        "ci_low_ns": low,
        "ci_high_ns": high,
    }


def throughput_per_s(amount: float, median_ns: float) -> float | None:
    """`amount` (bytes or elements) per second at `median_ns` per call; None when
    the median is not positive (no meaningful rate)."""
    if not median_ns > 0 or not math.isfinite(median_ns):
        return None
    return amount * 1e9 / median_ns
