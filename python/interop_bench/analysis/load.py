"""Results files (docs/results-schema.md) as typed, read-only views for the readers.

Reading the JSON and the schema-version check are `interop_bench.results_file`'s
(which imports nothing of the measuring code); on top, only what the readers
rely on is checked: the top-level shape and the keys of each cell. A file that
fails any check raises ResultsFileError naming the file and the problem.

A cell's `op` is its label (the op alone for float64 and frame, "op:dtype"
otherwise): every reader keys cells by (strategy, label, size), so a sum:uint8
cell is only ever compared with sum:uint8. Files written before the dtype axis
have no `dtype`: their cells read as float64.

Version 1 files (every cell measured in one process) read as cells of one
process whose interval rests on that process's samples; their floors are the
Google Benchmark ones of `environment.floors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from interop_bench import results_file as results_io
from interop_bench.intervals import FASTEST_PROCESS
from interop_bench.results_file import FLOORS, KERNEL

CELL_KEYS = ("strategy", "op", "size", "bytes", "status")
FLOOR_FAMILY = "floor"
DEFAULT_DTYPE = "float64"  # of a cell without `dtype` (a file older than the dtype axis)
FRAME = "frame"

# A results file that cannot be read: missing, not JSON, wrong schema version, malformed.
ResultsFileError = results_io.ResultsError


@dataclass(frozen=True)
class Cell:
    """One (strategy, label, size) of a run; `stats` is empty unless status is `ok`."""

    strategy: str
    op: str  # the label: "sum", "sum:uint8", "frame"
    size: int  # elements; a frame's image bytes (H x W x 3)
    payload_bytes: int
    status: str
    reason: str | None
    stats: dict[str, Any]
    samples_ns: tuple[float, ...]
    memory_peak_bytes: float | None
    memory_payload_ratio: float | None
    phases_ns: dict[str, float] | None
    # The median of each process that measured the cell, in pass order (one
    # for a version 1 file), and the pass each came from.
    process_medians_ns: tuple[float, ...] = ()
    process_passes: tuple[int, ...] = ()
    calls_per_sample: tuple[int, ...] = ()  # of each process, in pass order
    instructions_per_call: float | None = None
    dtype: str = DEFAULT_DTYPE
    resolution: str | None = None  # frame cells: the resolution's name (vga ... 8k)
    width: int | None = None  # frame cells: pixels
    height: int | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.strategy, self.op, self.size)

    @property
    def base_op(self) -> str:
        """The op without its dtype: "sum" of "sum:uint8"."""
        return self.op.partition(":")[0]

    @property
    def is_frame(self) -> bool:
        return self.base_op == FRAME

    @property
    def size_text(self) -> str:
        """The size as a reader says it: "4k (3840x2160)" for a frame, "1,000 elements"."""
        if self.is_frame and self.width and self.height:
            return f"{self.resolution or 'frame'} ({self.width}x{self.height})"
        return f"{self.size:,} element{'' if self.size == 1 else 's'}"

    @property
    def ok(self) -> bool:
        return self.status == "ok" and "median_ns" in self.stats

    @property
    def median_ns(self) -> float:
        return float(self.stats["median_ns"])

    @property
    def interval_basis(self) -> str:
        """What the 95% interval rests on: processes, fastest process, or the
        rounds or samples of one process."""
        return str(self.stats.get("interval", "samples"))

    @property
    def by_fastest_process(self) -> bool:
        """Whether the cell is its fastest process's median (a one-process cell)."""
        return self.interval_basis == FASTEST_PROCESS

    @property
    def interval_of_one_process(self) -> bool:
        """Whether the interval rests on one process only (its rounds or samples):
        it says how well that process knew its median, not where another run lands."""
        return self.interval_basis in ("rounds", "samples")

    @property
    def relative_half_width(self) -> float | None:
        """Half the interval's width over the median, or None without one."""
        low, high = self.stat("ci_low_ns"), self.stat("ci_high_ns")
        if low is None or high is None or not self.ok or self.median_ns <= 0:
            return None
        return (high - low) / 2 / self.median_ns

    def stat(self, name: str) -> float | None:
        value = self.stats.get(name)
        return None if value is None else float(value)


@dataclass(frozen=True)
class Results:
    """One results file: where it came from, its environment, its cells.

    `cells` are the strategies'; the floors measured beside them (the kernel
    alone, the bandwidth probes) are `floor_cells`."""

    path: Path
    data: dict[str, Any]
    cells: tuple[Cell, ...]
    label: str = field(default="")
    floor_cells: tuple[Cell, ...] = ()

    @property
    def schema_version(self) -> int:
        return int(self.data.get("schema_version", 0))

    @property
    def environment(self) -> dict[str, Any]:
        env: dict[str, Any] = self.data.get("environment") or {}
        return env

    @property
    def placement(self) -> str:
        """Where the run's caller and workers ran (runner/placement.py's names):
        "os", unpinned, in files written before placements."""
        block = (self.data.get("request") or {}).get("placement") or {}
        return str(block.get("name") or "os")

    @property
    def placement_text(self) -> str:
        """'other-core (caller on CPU 0, workers on CPU 1)', or for os 'os (unpinned:
        the scheduler placed them)'."""
        block = (self.data.get("request") or {}).get("placement") or {}
        caller, worker = block.get("caller_cpus"), block.get("worker_cpus")
        if not caller or not worker:
            return f"{self.placement} (unpinned: the scheduler placed them)"
        cpus = ",".join(map(str, caller)), ",".join(map(str, worker))
        return f"{self.placement} (caller on CPU {cpus[0]}, workers on CPU {cpus[1]})"

    @property
    def placed_rows_text(self) -> str:
        """'pipe@same-core ... : ipc and network strategies again, pinned same-core (caller
        on CPU 0, workers on CPU 0) and ..., at sum 1 and 10,000 elements'; "" without
        placed rows (runner/placed_rows.py)."""
        block = (self.data.get("request") or {}).get("placement_rows") or {}
        if not block.get("rows"):
            return ""
        pinned = [
            f"{p['name']} (caller on CPU {','.join(map(str, p['caller_cpus']))}, workers on CPU "
            f"{','.join(map(str, p['worker_cpus']))})"
            for p in block.get("placements", ())
        ]
        sizes = " and ".join(f"{int(size):,}" for size in block.get("sizes", ()))
        return (
            f"the ipc and network strategies again as name@placement rows, pinned "
            f"{' and '.join(pinned)}, at {block.get('label', 'sum')} of {sizes} elements"
        )

    @property
    def benchmark_floors(self) -> dict[str, Any]:
        """Google Benchmark's floors (`environment.floors`): in a version 2 file the
        cross-check, in a version 1 file the only floors there are."""
        floors: dict[str, Any] = self.environment.get("floors") or {}
        return floors if floors.get("available") else {}

    @property
    def strategy_info(self) -> dict[str, dict[str, Any]]:
        """The optional top-level `strategies` block: name -> family, copies_in, copies_out,
        without the floors."""
        info: dict[str, dict[str, Any]] = self.data.get("strategies") or {}
        return {k: v for k, v in info.items() if v.get("family") != FLOOR_FAMILY}

    @property
    def passes(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.data.get("passes") or []
        return found

    def floor_cell(self, name: str, op: str, size: int) -> Cell | None:
        for cell in self.floor_cells:
            if cell.key == (name, op, size) and cell.ok:
                return cell
        return None

    def kernel_ns(self, op: str, size: int) -> float | None:
        """The kernel-alone median for (op, size): measured in the run's own rounds
        (version 2), else Google Benchmark's (version 1); None without either."""
        if self.schema_version >= 2:
            cell = self.floor_cell(KERNEL, op, size)
            return cell.median_ns if cell else None
        return self.benchmark_kernel_ns(op, size)

    def versus_kernel(self, cell: Cell) -> tuple[float | None, float | None, float | None]:
        """An ok cell's time over the kernel alone, with its 95% interval: the
        per-process ratio a version 2 file records (paired by process), else
        median / kernel without an interval; Nones without a kernel."""
        ratio = cell.stat("kernel_ratio")
        if ratio is not None:
            return ratio, cell.stat("kernel_ratio_ci_low"), cell.stat("kernel_ratio_ci_high")
        kernel = self.kernel_ns(cell.op, cell.size)
        return (cell.median_ns / kernel, None, None) if kernel else (None, None, None)

    def benchmark_kernel_ns(self, op: str, size: int) -> float | None:
        value = (self.benchmark_floors.get("kernel_ns") or {}).get(op, {}).get(str(size))
        return None if value is None else float(value)

    def bandwidth_bytes_per_s(self, probe: str) -> list[tuple[int, float, float, float]]:
        """(payload bytes, bytes/s, low, high) of a probe at every size it was
        measured (version 2); a single point at its buffer size from Google
        Benchmark otherwise (version 1: no interval)."""
        points = []
        for cell in self.floor_cells:
            if cell.strategy == probe and cell.ok:
                per_s = float(cell.payload_bytes) * 1e9
                slowest_ns = cell.stat("ci_high_ns") or cell.median_ns
                fastest_ns = cell.stat("ci_low_ns") or cell.median_ns
                rate = (per_s / cell.median_ns, per_s / slowest_ns, per_s / fastest_ns)
                points.append((cell.payload_bytes, *rate))
        if points or self.schema_version >= 2:
            return sorted(points)
        kind = "read" if probe == "read-probe" else "memcpy"
        value = self.benchmark_floors.get(f"{kind}_bandwidth_bytes_per_s")
        return [] if not value else [(0, float(value), float(value), float(value))]

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

    def payload_bytes(self, size: int, op: str | None = None) -> int:
        """The payload the file records for cells of `size` elements (of label
        `op`: the bytes of an element differ between dtypes)."""
        for cell in (*self.cells, *self.floor_cells):
            if cell.size == size and op in (None, cell.op):
                return cell.payload_bytes
        raise KeyError(f"no cell of {size} elements in {self.path}")


def load(path: str | Path, label: str = "") -> Results:
    """Read and check one results file; raise ResultsFileError with the reason if unusable."""
    path = Path(path)
    data = results_io.load(path)  # reads the JSON and refuses other schema versions
    if not isinstance(data.get("cells"), list) or not isinstance(data.get("environment"), dict):
        raise ResultsFileError(f"{path}: malformed results file ('cells' or 'environment' missing)")
    families = {k: v.get("family") for k, v in (data.get("strategies") or {}).items()}
    target_ns = results_io.sample_target_ns(data.get("request"))
    cells = [_cell(path, index, raw, target_ns) for index, raw in enumerate(data["cells"])]

    def is_floor(cell: Cell) -> bool:
        return families.get(cell.strategy) == FLOOR_FAMILY or cell.strategy in FLOORS

    return Results(
        path=path,
        data=data,
        cells=tuple(c for c in cells if not is_floor(c)),
        label=label or path.stem,
        floor_cells=tuple(c for c in cells if is_floor(c)),
    )


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


def _cell(path: Path, index: int, raw: object, target_ns: int) -> Cell:
    if not isinstance(raw, dict) or any(key not in raw for key in CELL_KEYS):
        raise ResultsFileError(f"{path}: cells[{index}] lacks one of {', '.join(CELL_KEYS)}")
    phases = raw.get("phases_ns")
    stats = dict(raw.get("stats") or {})
    processes = raw.get("processes")
    status, reason = str(raw["status"]), raw.get("reason")
    medians: tuple[float, ...]
    if processes is None:  # version 1: one process, the cell's own median
        medians = (float(stats["median_ns"]),) if "median_ns" in stats else ()
        passes: tuple[int, ...] = (0,) if medians else ()
        calls: tuple[int, ...] = (
            (int(stats["calls_per_sample"]),) if "calls_per_sample" in stats else ()
        )
    else:
        medians = tuple(float(p["median_ns"]) for p in processes)
        passes = tuple(int(p["pass"]) for p in processes)
        calls = tuple(int(p["calls_per_sample"]) for p in processes)
        # A file written before the runner kept the rule is judged here, so
        # that its broken cells never reach a ranking or a gate either.
        breach = results_io.sampling_rule_breach(processes, target_ns) if status == "ok" else None
        if breach is not None:
            status, reason = "miscalibrated", breach
    instructions = (raw.get("instructions") or {}).get("per_call")
    op = str(raw["op"])
    return Cell(
        strategy=str(raw["strategy"]),
        op=op,
        size=int(raw["size"]),
        payload_bytes=int(raw["bytes"]),
        status=status,
        reason=reason,
        stats=stats,
        samples_ns=tuple(float(x) for x in raw.get("samples_ns") or ()),
        memory_peak_bytes=_optional_float(raw.get("memory_peak_bytes")),
        memory_payload_ratio=_optional_float(raw.get("memory_payload_ratio")),
        phases_ns={str(k): float(v) for k, v in phases.items()} if phases else None,
        process_medians_ns=medians,
        process_passes=passes,
        calls_per_sample=calls,
        instructions_per_call=_optional_float(instructions),
        dtype=str(raw.get("dtype") or _dtype_of_label(op)),
        resolution=raw.get("resolution"),
        width=_optional_int(raw.get("width")),
        height=_optional_int(raw.get("height")),
    )


def _dtype_of_label(label: str) -> str:
    """The dtype a label names (frame's images are uint8; no suffix: float64)."""
    op, _, dtype = label.partition(":")
    return "uint8" if op == FRAME else dtype or DEFAULT_DTYPE


def _optional_int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def _optional_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
