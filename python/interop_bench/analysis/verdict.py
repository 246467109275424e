"""The verdict: which strategy wins where, by how much, and where the order flips.

Everything is derived from one results file. Sizes are grouped into bands by
payload: small (call overhead dominates), medium, large (bandwidth dominates).
Within a band a strategy's score is the geometric mean of its medians over the
band's sizes, so every size counts equally; a strategy that lacks an `ok` cell
at one of those sizes is listed as not ranked rather than compared unfairly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations, pairwise

from interop_bench.analysis.floors import checks as floor_checks
from interop_bench.analysis.load import Cell, Results
from interop_bench.analysis.noise import noisy_groups
from interop_bench.analysis.units import (
    DASH,
    TIMES,
    format_bytes,
    format_ratio,
    geometric_mean,
)

BASELINE = "numpy"
SMALL_MAX_BYTES = 1_000  # up to here a call costs its fixed overhead
LARGE_MIN_BYTES = 1_000_000  # from here a call costs its bandwidth
# Two medians closer than this are a tie: run-to-run noise on a shared machine
# is a few percent, and a "crossover" inside it would be noise.
CLEAR_MARGIN = 1.05
# A zero-copy call below this many times the kernel alone, measured in the same
# rounds on the same buffer, is impossible: a bug, not noise.
BELOW = 0.97
# Without strategy metadata, a call that allocates less than this multiple of
# its payload cannot have copied the input.
ZERO_COPY_MEMORY_RATIO = 0.5


@dataclass(frozen=True)
class Band:
    name: str
    meaning: str
    sizes: tuple[int, ...]
    ranking: tuple[tuple[str, float], ...]  # (strategy, geometric-mean median ns), fastest first
    unranked: tuple[str, ...]
    payloads: tuple[int, ...] = ()  # the payload bytes of `sizes`, as the file records them

    @property
    def winner(self) -> str:
        return self.ranking[0][0] if self.ranking else ""

    def lead(self) -> str:
        """How far ahead of the runner-up the winner is, or that they are tied."""
        if len(self.ranking) < 2:
            return "the only one ranked"
        (_, best_ns), (runner_up, runner_ns) = self.ranking[:2]
        if runner_ns / best_ns < CLEAR_MARGIN:
            return f"tied with {runner_up} (within {CLEAR_MARGIN - 1:.0%})"
        return f"{format_ratio(runner_ns / best_ns)} ahead of {runner_up}"

    def sentence(self) -> str:
        span = _span(self.payloads)
        if not self.ranking:
            return f"{span}: no strategy has every cell of this band measured."
        winner, best_ns = self.ranking[0]
        parts = [f"{span}: {winner} is fastest, {self.lead()}"]
        baseline = dict(self.ranking).get(BASELINE)
        if winner == BASELINE:
            parts.append("; no strategy beats plain NumPy here")
        elif baseline is not None:
            parts.append(f", {format_ratio(baseline / best_ns)} ahead of {BASELINE}")
        return "".join(parts) + "."

    def unranked_sentence(self) -> str:
        """The strategies left out of the band, or "" when none was."""
        if not self.unranked:
            return ""
        return f"Not ranked, not measured at every size: {', '.join(self.unranked)}."


@dataclass(frozen=True)
class Crossover:
    faster_small: str
    faster_large: str
    last_small_bytes: int  # the largest measured payload where faster_small still wins
    first_large_bytes: int  # the smallest measured payload where faster_large wins
    estimate_bytes: float  # log-linear interpolation of where the two lines cross

    def sentence(self) -> str:
        return (
            f"{self.faster_small} beats {self.faster_large} below ≈"
            f"{format_bytes(self.estimate_bytes)}, {self.faster_large} is faster above "
            f"(measured: {self.faster_small} ahead at {format_bytes(self.last_small_bytes)}, "
            f"{self.faster_large} ahead at {format_bytes(self.first_large_bytes)})."
        )


@dataclass(frozen=True)
class Closeness:
    """How near the zero-copy strategies come to the kernel alone at the largest size."""

    size: int
    payload_bytes: int
    kernel_ns: float
    # (strategy, median / kernel, interval low, high), closest first; the
    # interval is None without per-process pairs (a version 1 file)
    ratios: tuple[tuple[str, float, float | None, float | None], ...]
    how_known: str
    same_rounds: bool  # the kernel was a turn of the same rounds (version 2)

    def sentence(self) -> str:
        listed = ", ".join(f"{name} {_ratio_text(r, lo, hi)}" for name, r, lo, hi in self.ratios)
        where = (
            "timed on the same buffer in the same rounds"
            if self.same_rounds
            else "measured by Google Benchmark before the cells"
        )
        sentence = (
            f"At {format_bytes(self.payload_bytes)} the zero-copy strategies take {listed} "
            f"the time of the kernel alone ({where}; {how_known_text(self.how_known)})."
        )
        below = [name for name, r, lo, hi in self.ratios if (hi if hi is not None else r) < BELOW]
        if self.same_rounds:
            if below:
                sentence += (
                    f" Wholly below {BELOW}{TIMES}: {', '.join(below)}. A call through Python "
                    "cannot beat the kernel alone on the same buffer in the same rounds: that is "
                    "a bug to find (a cell that skips work, or a floor that measures something "
                    "else)."
                )
            elif self.ratios[0][1] < 1:
                sentence += (
                    f" Below 1{TIMES} only within the noise: every such interval reaches "
                    f"{BELOW}{TIMES} or more."
                )
        elif self.ratios[0][1] < 1 / CLEAR_MARGIN:
            sentence += (
                f" Below 1{TIMES} a call through Python beat the kernel alone, which it cannot"
                " really do: the native floor at this size was measured under other conditions"
                " (cache state, machine load) and is suspect."
            )
        return sentence


def _ratio_text(ratio: float, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return format_ratio(ratio)
    return f"{format_ratio(ratio)} ({low:.2f}{DASH}{high:.2f})"


@dataclass(frozen=True)
class OpVerdict:
    op: str
    bands: tuple[Band, ...]
    crossovers: tuple[Crossover, ...]
    closeness: Closeness | None
    closeness_missing: str  # why `closeness` is None


def how_known_text(how_known: str) -> str:
    return {
        "metadata": "zero-copy as declared by the strategies",
        "memory": f"zero-copy inferred: extra memory < {ZERO_COPY_MEMORY_RATIO}{TIMES} payload",
    }.get(how_known, how_known)


def verdicts(results: Results) -> list[OpVerdict]:
    return [_op_verdict(results, op) for op in results.ops()]


def run_notes(results: Results) -> list[str]:
    """What the reader of this file's verdict should know about how it was measured."""
    notes = []
    if results.schema_version < 2:
        notes.append(
            "This file (schema version 1) measured every cell in one process: its intervals "
            "are narrower than the difference between two runs."
        )
    noisy = noisy_groups(results)
    if noisy:
        listed = "; ".join(group.sentence() for group in noisy[:5])
        more = f" (and {len(noisy) - 5} more)" if len(noisy) > 5 else ""
        notes.append(f"The machine was busy while some groups were measured: {listed}{more}.")
    disagree = [c for c in floor_checks(results) if c.disagree]
    if disagree:
        worst = max(disagree, key=lambda c: abs(math.log(c.ratio)))
        notes.append(
            f"The kernel alone measured in the run's rounds and by Google Benchmark disagree "
            f"beyond their ranges at {len(disagree)} (op, size) pair(s), most at {worst.op} "
            f"{format_bytes(worst.payload_bytes)} ({format_ratio(worst.ratio)}): "
            '"x kernel" uses the in-run floor, measured in the cells\' own conditions.'
        )
    return notes


def band_of(payload_bytes: int) -> str:
    if payload_bytes <= SMALL_MAX_BYTES:
        return "small"
    return "large" if payload_bytes >= LARGE_MIN_BYTES else "medium"


BAND_MEANINGS = {
    "small": "call overhead dominates",
    "medium": "overhead and bandwidth both matter",
    "large": "bandwidth dominates",
}


def _op_verdict(results: Results, op: str) -> OpVerdict:
    cells = [c for c in results.cells if c.op == op]
    bands = tuple(
        band
        for name in ("small", "medium", "large")
        if (band := _band(name, [c for c in cells if band_of(c.payload_bytes) == name]))
    )
    contenders = {s for band in bands for s, _ in band.ranking[:2]} | {BASELINE}
    crossovers = _crossovers(cells, contenders)
    closeness, missing = _closeness(results, op, cells)
    return OpVerdict(op, bands, crossovers, closeness, missing)


def _band(name: str, cells: list[Cell]) -> Band | None:
    if not cells:
        return None
    sizes = tuple(sorted({c.size for c in cells}))
    by_strategy: dict[str, list[Cell]] = {}
    for cell in cells:
        by_strategy.setdefault(cell.strategy, []).append(cell)
    ranking, unranked = [], []
    for strategy, own in sorted(by_strategy.items()):
        ok = [c for c in own if c.ok]
        if len(ok) == len(sizes):
            ranking.append((strategy, geometric_mean([c.median_ns for c in ok])))
        else:
            unranked.append(strategy)
    ranking.sort(key=lambda item: item[1])
    payload = {c.size: c.payload_bytes for c in cells}
    payloads = tuple(payload[size] for size in sizes)
    return Band(name, BAND_MEANINGS[name], sizes, tuple(ranking), tuple(unranked), payloads)


def _crossovers(cells: list[Cell], contenders: set[str]) -> tuple[Crossover, ...]:
    medians: dict[str, dict[int, Cell]] = {}
    for cell in cells:
        if cell.ok and cell.strategy in contenders:
            medians.setdefault(cell.strategy, {})[cell.payload_bytes] = cell
    found = []
    for a, b in combinations(sorted(medians), 2):
        common = sorted(medians[a].keys() & medians[b].keys())
        # log(time of b / time of a) at each size where the order is clear
        clear = [
            (p, math.log(medians[b][p].median_ns / medians[a][p].median_ns))
            for p in common
            if abs(math.log(medians[b][p].median_ns / medians[a][p].median_ns))
            > math.log(CLEAR_MARGIN)
        ]
        flips = [(x, y) for x, y in pairwise(clear) if (x[1] > 0) != (y[1] > 0)]
        if len(flips) != 1:  # none, or an order that flips back and forth: not a crossover
            continue
        (p1, r1), (p2, r2) = flips[0]
        small, large = (a, b) if r1 > 0 else (b, a)
        fraction = r1 / (r1 - r2)
        estimate = math.exp(math.log(p1) + fraction * (math.log(p2) - math.log(p1)))
        found.append(Crossover(small, large, p1, p2, estimate))
    return tuple(found)


def _closeness(results: Results, op: str, cells: list[Cell]) -> tuple[Closeness | None, str]:
    ok = [c for c in cells if c.ok]
    if not ok:
        return None, "no measured cell"
    size = max(c.size for c in ok)
    kernel = results.kernel_ns(op, size)
    if kernel is None or kernel <= 0:
        return None, "no kernel-alone floor in this file"
    largest = [c for c in ok if c.size == size]
    info = results.strategy_info
    if info:
        how = "metadata"
        chosen = [c for c in largest if _declared_zero_copy(info.get(c.strategy, {}), op)]
    else:
        how = "memory"
        allowance = ZERO_COPY_MEMORY_RATIO + (1 if op == "scale" else 0)  # scale's new array
        chosen = [
            c
            for c in largest
            if c.strategy != BASELINE
            and c.memory_payload_ratio is not None
            and c.memory_payload_ratio < allowance
        ]
    if not chosen:
        return None, "no zero-copy strategy measured at the largest size"
    ratios = tuple(sorted((_versus_kernel(c, kernel) for c in chosen), key=_second))
    same_rounds = results.schema_version >= 2
    return Closeness(size, largest[0].payload_bytes, kernel, ratios, how, same_rounds), ""


def _versus_kernel(cell: Cell, kernel_ns: float) -> tuple[str, float, float | None, float | None]:
    ratio = cell.stat("kernel_ratio")
    if ratio is None:
        return (cell.strategy, cell.median_ns / kernel_ns, None, None)
    return (
        cell.strategy,
        ratio,
        cell.stat("kernel_ratio_ci_low"),
        cell.stat("kernel_ratio_ci_high"),
    )


def _declared_zero_copy(info: dict[str, object], op: str) -> bool:
    if info.get("family") == "reference" or info.get("copies_in") != "zero-copy":
        return False
    return op != "scale" or info.get("copies_out") == "zero-copy"


def _second(item: tuple[str, float, float | None, float | None]) -> float:
    return item[1]


def _span(payloads: tuple[int, ...]) -> str:
    low, high = format_bytes(payloads[0]), format_bytes(payloads[-1])
    return low if low == high else f"{low} {DASH} {high}"
