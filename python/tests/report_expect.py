"""What the report's page should rank, computed from a results document on its
own (no code of the report): a strategy's median at a payload is the cell's
there, or the log-log interpolation between its two measured neighbours, never
an extrapolation; a cell that is not ok is not ranked."""

from __future__ import annotations

import math
from typing import Any

FLOORS = {"kernel", "read-probe", "memcpy-probe"}


def at_payload(
    cells: list[dict[str, Any]], payload: float, field: str = "median_ns"
) -> float | None:
    """One strategy's `field` of `stats` at `payload` from its cells of one label, or None."""
    cells = sorted(cells, key=lambda c: c["bytes"])
    exact = [c for c in cells if abs(math.log(c["bytes"] / payload)) < 0.005]
    if exact:
        return exact[0]["stats"].get(field) if exact[0]["status"] == "ok" else None
    below = [c for c in cells if c["bytes"] < payload]
    above = [c for c in cells if c["bytes"] > payload]
    if not below or not above or below[-1]["status"] != "ok" or above[0]["status"] != "ok":
        return None
    low, high = below[-1], above[0]
    if low["stats"].get(field) is None or high["stats"].get(field) is None:
        return None
    t = math.log(payload / low["bytes"]) / math.log(high["bytes"] / low["bytes"])
    return math.exp(math.log(low["stats"][field]) * (1 - t) + math.log(high["stats"][field]) * t)


def ranked(
    results: dict[str, Any], op: str, payload: float, families: set[str] | None = None
) -> list[tuple[str, float]]:
    """(strategy, median ns) at `payload`, fastest first: every strategy, or those of `families`."""
    family = {name: info.get("family") for name, info in results["strategies"].items()}
    found = {}
    for name in {c["strategy"] for c in results["cells"]} - FLOORS:
        if families is not None and family.get(name) not in families:
            continue
        own = [c for c in results["cells"] if c["strategy"] == name and c["op"] == op]
        value = at_payload(own, payload) if own else None
        if value is not None:
            found[name] = value
    return sorted(found.items(), key=lambda item: item[1])
