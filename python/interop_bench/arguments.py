"""Argument types that several commands share, so that no command module
imports another: compare's threshold (compare and ab), the selection's
(runner/selection_flags.py). Nothing here loads the runner: the commands that
read results files use it too."""

from __future__ import annotations

import argparse


def positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return seconds


def process_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of processes: {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"needs at least 1 process, got {count}")
    return count


def slowdown(text: str) -> tuple[str, float]:
    """`capi:0.25` -> ("capi", 0.25): a strategy and the fraction its samples are slowed by."""
    name, _, fraction = text.rpartition(":")
    try:
        value = float(fraction)
    except ValueError:
        value = -1.0
    if not name or not 0 < value <= 10:
        raise argparse.ArgumentTypeError(
            f"expected STRATEGY:FRACTION with a fraction in (0, 10], e.g. capi:0.25; got {text!r}"
        )
    return name, value


def threshold(text: str) -> float:
    """`10%` or `0.1` -> 0.1. A bare number of 1 or more is refused as ambiguous."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        message = f"threshold {text!r} is not a number like 10% or 0.1"
        raise argparse.ArgumentTypeError(message) from None
    if not 0 <= value < 1 or (not text.endswith("%") and value >= 1):
        raise argparse.ArgumentTypeError(
            f"threshold {text!r} out of range: give a percentage (10%) or a fraction below 1"
        )
    return value
