"""The data the report's script reads: one JSON document inlined in the page.

Every value here was read from the results files (formatted with the same
units as the table); the script only filters, sorts and interpolates it. The
code behind the strategies is the larger part, so it travels gzip-compressed
(base64) and the browser inflates it with its own DecompressionStream when a
strategy's code is first opened.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from interop_bench.analysis import verdict
from interop_bench.analysis.load import Cell, Results
from interop_bench.report import decision, phase_data, source_code, stream_section
from interop_bench.report.cell_table import BELOW_KERNEL, WIDE_HALF_WIDTH
from interop_bench.report.figures_size import ops_of
from interop_bench.report.palette import FLOOR_COLOUR, Palette
from interop_bench.results_file import KERNEL, MEMCPY_PROBE, READ_PROBE
from interop_bench.stream.files import StreamFile

# The table of every cell draws this many rows until asked for all: a search
# narrows 2,000 cells faster than anyone scrolls them.
CELL_ROWS_SHOWN = 200
FAMILY_ORDER = ("reference", "ffi", "serialization", "ipc", "network")
PROBES = (READ_PROBE, MEMCPY_PROBE)


def document(
    files: list[Results], palette: Palette, tree: Path, streams: tuple[StreamFile, ...] = ()
) -> dict[str, Any]:
    codes = [source_code.collect(results, tree) for results in files]
    families = _families(files, streams)
    return {
        "files": [results.label for results in files],
        "ops": ops_of(files),
        "labels": _labels(files),
        "statuses": sorted({c.status for r in files for c in r.cells}),
        "card": decision.card(files, families, streams),
        "streams": stream_section.page_rows(list(streams)),
        "default_view": decision.default_view(files, families),
        "cell_rows_shown": CELL_ROWS_SHOWN,
        "families": [f for f in FAMILY_ORDER if f in families.values()]
        + sorted(set(families.values()) - set(FAMILY_ORDER)),
        "strategies": [
            {
                "name": name,
                "family": families[name],
                "colour": palette[name].colour,
                "shape": palette[name].vega_shape,
                "releases": _releases(files, name),
                **_copies(files, name),
                **_pinned(files, name),
            }
            for name in sorted(families, key=lambda n: (_family_rank(families[n]), n))
        ],
        "floor_colour": FLOOR_COLOUR,
        "cells": [row for index, results in enumerate(files) for row in _cell_rows(index, results)],
        "phases": [
            row for index, results in enumerate(files) for row in phase_data.rows(index, results)
        ],
        "floors": [
            row for index, results in enumerate(files) for row in _floor_rows(index, results)
        ],
        "verdict": {
            "small_max_bytes": verdict.SMALL_MAX_BYTES,
            "large_min_bytes": verdict.LARGE_MIN_BYTES,
            "meanings": verdict.BAND_MEANINGS,
            "clear_margin": verdict.CLEAR_MARGIN,
            "below_kernel": BELOW_KERNEL,
            "wide_half_width": WIDE_HALF_WIDTH,
        },
        "code": [{"note": c.note, "by_strategy": c.by_strategy} for c in codes],
        "code_blob": _compressed(
            [{p: {"html": f.html, "origin": f.origin} for p, f in c.files.items()} for c in codes]
        ),
    }


def to_script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no "</" can close it early."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def _families(files: list[Results], streams: tuple[StreamFile, ...]) -> dict[str, str]:
    """Each strategy's family as a matrix file declares it; a strategy only a
    stream file has (stream files declare none) is "other"."""
    found: dict[str, str] = {}
    for results in files:
        info = results.strategy_info
        for name in results.strategies():
            found.setdefault(name, str((info.get(name) or {}).get("family") or "other"))
    for stream in streams:
        for cell in stream.cells:
            if cell["strategy"] != KERNEL:
                found.setdefault(cell["strategy"], "other")
    return found


def _releases(files: list[Results], name: str) -> str:
    """The releases of the packages behind a strategy ("nanobind 3.1.0"), file by file
    where the files differ; "" where no file names its packages."""
    seen: dict[str, None] = {}
    for results in files:
        packages = (results.strategy_info.get(name) or {}).get("packages") or []
        # "python" (the standard library's modules) is the environment's own entry
        versions = {"python": results.environment.get("python")} | (
            results.environment.get("versions") or {}
        )
        if packages:
            seen[", ".join(f"{p} {versions.get(p, '?')}" for p in packages)] = None
    return " | ".join(seen)


def _pinned(files: list[Results], name: str) -> dict[str, dict[str, Any]]:
    """A placed row's strategy and pinning ({"pinned": {"row_of", "placement",
    "caller", "worker"}}), as its first file records them; {} for another name."""
    for results in files:
        info = results.strategy_info.get(name) or {}
        placed = info.get("placement") or {}
        if info.get("row_of") and placed.get("caller_cpus"):
            return {
                "pinned": {
                    "row_of": str(info["row_of"]),
                    "placement": str(placed.get("name")),
                    "caller": list(placed["caller_cpus"]),
                    "worker": list(placed.get("worker_cpus") or ()),
                }
            }
    return {}


def _copies(files: list[Results], name: str) -> dict[str, str]:
    """What a strategy copies, as its first file declares it ("" when none does)."""
    for results in files:
        info = results.strategy_info.get(name) or {}
        if info.get("copies_in"):
            return {"copies_in": str(info["copies_in"]), "copies_out": str(info.get("copies_out"))}
    return {"copies_in": "", "copies_out": ""}


def _labels(files: list[Results]) -> list[dict[str, str]]:
    """Each label with the op and dtype it names, for the card's two controls."""
    seen = {c.op: (c.base_op, c.dtype) for r in files for c in r.cells}
    return [{"label": label, "op": op, "dtype": dtype} for label, (op, dtype) in seen.items()]


def _family_rank(family: str) -> int:
    return FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)


def _cell_rows(file_index: int, results: Results) -> list[dict[str, Any]]:
    smallest: dict[str, int] = {}  # each label's smallest size measured: the overhead bars
    for cell in results.cells:
        if cell.ok:
            smallest[cell.op] = min(cell.size, smallest.get(cell.op, cell.size))
    rows = []
    for cell in results.cells:
        row = _cell_row(file_index, results, cell)
        if cell.calls_per_sample:  # fewest and most over the processes
            row["cps"] = [min(cell.calls_per_sample), max(cell.calls_per_sample)]
        if cell.ok and smallest[cell.op] == cell.size:
            row["small"] = True
        rows.append(row)
    return rows


def _cell_row(file_index: int, results: Results, cell: Cell) -> dict[str, Any]:
    """A cell's numbers (six significant digits); the page formats them, in the
    units of the table, and adds what it can derive (the file's label, the
    family, an ok status) when it loads: 2,000 cells weigh what they hold."""
    row: dict[str, Any] = {
        "file": file_index,
        "s": cell.strategy,
        "op": cell.op,
        "size": cell.size,
        "bytes": cell.payload_bytes,
        "ok": cell.ok,
    }
    if cell.is_frame:
        row["size_text"] = cell.size_text
    if not cell.ok:
        row["status"] = cell.status
        row["t_status"] = cell.status + (f": {cell.reason}" if cell.reason else "")
        return row
    median, low, high = cell.median_ns, cell.stat("ci_low_ns"), cell.stat("ci_high_ns")
    ratio, ratio_low, ratio_high = results.versus_kernel(cell)
    numbers = {
        "med": median,
        "lo": low,
        "hi": high,
        "xk": ratio,
        "xk_lo": ratio_low,
        "xk_hi": ratio_high,
        "mem": cell.memory_payload_ratio,
        "p99": cell.stat("p99_ns"),
    }
    row.update({k: _significant(v) for k, v in numbers.items() if v is not None})
    row["n"] = len(cell.process_medians_ns)
    if cell.interval_of_one_process:
        row["basis"] = cell.interval_basis
    elif cell.by_fastest_process:
        row["fastest"] = 1
    return row


def _floor_rows(file_index: int, results: Results) -> list[dict[str, Any]]:
    return [
        {
            "file": file_index,
            "f": results.label,
            "floor": cell.strategy,
            "op": cell.op,
            "any_op": cell.strategy in PROBES,  # a bandwidth probe bounds every op
            "bytes": cell.payload_bytes,
            "med": _significant(cell.median_ns),
        }
        for cell in results.floor_cells
        if cell.ok and cell.strategy in (KERNEL, *PROBES)
    ]


def _significant(value: float) -> float | int:
    """Six significant digits, an integral value without its ".0"."""
    rounded = float(f"{value:.6g}")
    return int(rounded) if rounded.is_integer() else rounded


def _compressed(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")
