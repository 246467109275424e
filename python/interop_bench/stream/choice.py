"""Which strategies a short stream section streams: the best of each family for
frames in a matrix results file, and the classic ctypes recipe.

`make bench` streams only a few strategies after its matrix run (it must end
within minutes); the matrix run has just measured every strategy's frame op in
isolated calls, so it names the candidates: in each family, the strategy with
the least median frame time at the stream's resolution (or, where the file did
not measure that one, at the largest resolution it did).
"""

from __future__ import annotations

from typing import Any

from interop_bench import ops

CLASSIC = "ctypes"  # the recipe most users start from, always streamed beside the best


class NoFrameCellsError(ValueError):
    """The file has no measured frame cell to choose from."""


def _frame_bytes(resolution: str) -> int:
    height, width = ops.RESOLUTIONS[resolution]
    return height * width * 3


def best_of_families(document: dict[str, Any], resolution: str, known: set[str]) -> list[str]:
    """CLASSIC (where the file measured its frames), then the best strategy of each
    family, among the `known` strategies."""
    cells = [
        c
        for c in document.get("cells", [])
        if c["op"] == "frame" and c["status"] == "ok" and c["strategy"] in known
    ]
    if not cells:
        raise NoFrameCellsError("the results file has no measured frame cell")
    sizes = {c["size"] for c in cells}
    wanted = _frame_bytes(resolution)
    size = wanted if wanted in sizes else max(sizes)
    families = {name: meta["family"] for name, meta in document["strategies"].items()}
    best: dict[str, dict[str, Any]] = {}
    for cell in (c for c in cells if c["size"] == size):
        family = families[cell["strategy"]]
        if family not in best or cell["stats"]["median_ns"] < best[family]["stats"]["median_ns"]:
            best[family] = cell
    chosen = [CLASSIC] if any(c["strategy"] == CLASSIC for c in cells) else []
    return chosen + [c["strategy"] for c in best.values() if c["strategy"] not in chosen]


def frame_medians(document: dict[str, Any], names: set[str]) -> tuple[tuple[str, str, float], ...]:
    """(strategy, resolution, median ns) of the measured frame cells of `names`."""
    by_bytes = {_frame_bytes(r): r for r in ops.RESOLUTIONS}
    return tuple(
        (c["strategy"], by_bytes[c["size"]], float(c["stats"]["median_ns"]))
        for c in document.get("cells", [])
        if c["op"] == "frame"
        and c["status"] == "ok"
        and c["strategy"] in names
        and c["size"] in by_bytes
    )
