"""Human-readable numbers with their units: bytes, durations, rates, ratios.

Byte multiples are decimal (1 KB = 1000 bytes), like the sizes a run asks for
(1e3, 1e6 elements) and like GB/s.
"""

from __future__ import annotations

import math

TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"

_BYTE_UNITS = (("GB", 1e9), ("MB", 1e6), ("KB", 1e3))
_TIME_UNITS = (("s", 1e9), ("ms", 1e6), ("µs", 1e3))


def _scaled(value: float, units: tuple[tuple[str, float], ...], base_unit: str) -> str:
    for unit, factor in units:
        if abs(value) >= factor:
            return f"{_short(value / factor)} {unit}"
    return f"{_short(value)} {base_unit}".rstrip()


def _short(value: float) -> str:
    """Three significant digits, no trailing zeros: 1, 1.5, 12.3, 123."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_bytes(value: float) -> str:
    return _scaled(value, _BYTE_UNITS, "B")


def format_ns(value: float) -> str:
    return _scaled(value, _TIME_UNITS, "ns")


def format_rate(bytes_per_s: float) -> str:
    return f"{_short(bytes_per_s / 1e9)} GB/s"


def format_ratio(ratio: float) -> str:
    return f"{_short(ratio)}{TIMES}"


def format_percent(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"


def geometric_mean(values: list[float]) -> float:
    """Geometric mean of positive values (ratios), NaN for an empty list."""
    if not values:
        return math.nan
    return math.exp(sum(math.log(v) for v in values) / len(values))
