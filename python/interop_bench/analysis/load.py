"""Results files (docs/results-schema.md) as typed, read-only views for the readers.

Reading the JSON and the schema-version check are `interop_bench.runner.results`'s
(which imports nothing of the measuring code); on top, only what the readers
rely on is checked: the top-level shape and the keys of each cell. A file that
fails any check raises ResultsFileError naming the file and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from interop_bench.runner import results as results_io

CELL_KEYS = ("strategy", "op", "size", "bytes", "status")

# A results file that cannot be read: missing, not JSON, wrong schema version, malformed.
ResultsFileError = results_io.ResultsError


@dataclass(frozen=True)
class Cell:
    """One (strategy, op, size) of a run; `stats` is empty unless status is `ok`."""

    strategy: str
    op: str
    size: int
    payload_bytes: int
    status: str
    reason: str | None
    stats: dict[str, Any]
    samples_ns: tuple[float, ...]
    memory_peak_bytes: float | None
    memory_payload_ratio: float | None
    phases_ns: dict[str, float] | None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.strategy, self.op, self.size)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and "median_ns" in self.stats

    @property
    def median_ns(self) -> float:
        return float(self.stats["median_ns"])

    def stat(self, name: str) -> float | None:
        value = self.stats.get(name)
        return None if value is None else float(value)


@dataclass(frozen=True)
class Results:
    """One results file: where it came from, its environment, its cells."""

    path: Path
    data: dict[str, Any]
    cells: tuple[Cell, ...]
    label: str = field(default="")

    @property
    def environment(self) -> dict[str, Any]:
        env: dict[str, Any] = self.data.get("environment") or {}
        return env

    @property
    def floors(self) -> dict[str, Any]:
        floors: dict[str, Any] = self.environment.get("floors") or {}
        return floors if floors.get("available") else {}

    @property
    def strategy_info(self) -> dict[str, dict[str, Any]]:
        """The optional top-level `strategies` block: name -> family, copies_in, copies_out."""
        info: dict[str, dict[str, Any]] = self.data.get("strategies") or {}
        return info

    def kernel_ns(self, op: str, size: int) -> float | None:
        """The native kernel-only median for (op, size), or None without floors."""
        value = (self.floors.get("kernel_ns") or {}).get(op, {}).get(str(size))
        return None if value is None else float(value)

    def cell_map(self) -> dict[tuple[str, str, int], Cell]:
        return {cell.key: cell for cell in self.cells}

    def strategies(self) -> list[str]:
        return sorted({cell.strategy for cell in self.cells})

    def ops(self) -> list[str]:
        seen: dict[str, None] = {}
        for cell in self.cells:
            seen.setdefault(cell.op, None)
        return list(seen)

    def sizes(self) -> list[int]:
        return sorted({cell.size for cell in self.cells})


def load(path: str | Path, label: str = "") -> Results:
    """Read and check one results file; raise ResultsFileError with the reason if unusable."""
    path = Path(path)
    data = results_io.load(path)  # reads the JSON and refuses other schema versions
    if not isinstance(data.get("cells"), list) or not isinstance(data.get("environment"), dict):
        raise ResultsFileError(f"{path}: malformed results file ('cells' or 'environment' missing)")
    cells = tuple(_cell(path, index, raw) for index, raw in enumerate(data["cells"]))
    return Results(path=path, data=data, cells=cells, label=label or path.stem)


def load_all(paths: list[str] | list[Path]) -> list[Results]:
    """Load several files; labels are the file stems, made unique when two stems collide."""
    loaded = [load(path) for path in paths]
    stems = [results.label for results in loaded]
    if len(set(stems)) == len(stems):
        return loaded
    return [
        replace(results, label=f"{index + 1}:{results.label}")
        for index, results in enumerate(loaded)
    ]


def _cell(path: Path, index: int, raw: object) -> Cell:
    if not isinstance(raw, dict) or any(key not in raw for key in CELL_KEYS):
        raise ResultsFileError(f"{path}: cells[{index}] lacks one of {', '.join(CELL_KEYS)}")
    phases = raw.get("phases_ns")
    return Cell(
        strategy=str(raw["strategy"]),
        op=str(raw["op"]),
        size=int(raw["size"]),
        payload_bytes=int(raw["bytes"]),
        status=str(raw["status"]),
        reason=raw.get("reason"),
        stats=dict(raw.get("stats") or {}),
        samples_ns=tuple(float(x) for x in raw.get("samples_ns") or ()),
        memory_peak_bytes=_optional_float(raw.get("memory_peak_bytes")),
        memory_payload_ratio=_optional_float(raw.get("memory_payload_ratio")),
        phases_ns={str(k): float(v) for k, v in phases.items()} if phases else None,
    )


def _optional_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
