"""Assemble the report: verdict, figures, table, environment; render the Jinja2 template."""

from __future__ import annotations

import datetime
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from interop_bench import __version__
from interop_bench.analysis.floors import checks as floor_checks
from interop_bench.analysis.load import Results
from interop_bench.analysis.verdict import CLEAR_MARGIN, run_notes, verdicts
from interop_bench.report import (
    cell_table,
    dtype_table,
    environment,
    figures_bars,
    figures_frames,
    figures_size,
    frame_table,
    page_data,
    source_code,
    stream_section,
    vega_bars,
    vega_bundle,
    vega_specs,
    vega_stream,
)
from interop_bench.report.figure_common import Rendered
from interop_bench.report.palette import PHASE_COLOURS, Palette
from interop_bench.stream.files import StreamFile

FIGURES = (
    figures_size.latency,
    figures_size.throughput,
    figures_bars.overhead,
    figures_bars.phases,
    figures_size.memory,
)
# The interactive figures drawn in each static figure's section, in its place on
# screen (the static one stays for print and for a browser without script).
INTERACTIVE = {
    "latency": ("latency",),
    "throughput": ("throughput",),
    "overhead": ("overhead", "xkernel"),  # and x kernel against size, the same cost in ratio
    "phases": ("phases",),
    "memory": ("memory",),
}


# The page's script, run as one module in this order (start.js calls the others).
SCRIPTS = ("report.js", "card.js", "cells.js", "start.js")


def palette_of(files: list[Results], streams: tuple[StreamFile, ...] = ()) -> Palette:
    return Palette(
        [s for results in files for s in results.strategies()]
        + [c["strategy"] for stream in streams for c in stream.cells]
    )


def figures(files: list[Results], shown: list[str] | None = None) -> list[Rendered]:
    """The static figures of every strategy, or of those `shown` (colours stay
    those of every strategy, as on the interactive figures)."""
    palette = palette_of(files)
    return [make(_only(files, shown), palette) for make in FIGURES]


def _only(files: list[Results], shown: list[str] | None) -> list[Results]:
    """The files with the cells of the `shown` strategies only (all without `shown`)."""
    if shown is None:
        return files
    return [replace(r, cells=tuple(c for c in r.cells if c.strategy in shown)) for r in files]


def specs(data: dict[str, Any]) -> dict[str, dict[str, vega_specs.Spec]]:
    """Every interactive figure, on one plot and as one plot per family."""
    strategies, families, files = data["strategies"], data["families"], len(data["files"])
    drawn = {
        m.figure_id: {
            "combined": vega_specs.figure(m, strategies, families, files, split=False),
            "split": vega_specs.figure(m, strategies, families, files, split=True),
        }
        for m in vega_specs.MEASURES
    }
    # The bars are one row per strategy already: one layout serves both.
    phase_names = list(dict.fromkeys(row["phase"] for row in data["phases"]))
    colours = [PHASE_COLOURS[i % len(PHASE_COLOURS)] for i in range(len(phase_names))]
    bars = {
        "overhead": vega_bars.overhead(strategies, files),
        "phases": vega_bars.phases(phase_names, colours, files),
    }
    drawn |= {name: {"combined": spec, "split": spec} for name, spec in bars.items()}
    if not phase_names:
        del drawn["phases"]
    keys = data["streams"]["keys"]
    if keys:
        spec = vega_stream.spectrum(strategies, keys, data["streams"]["headline"])
        drawn["stream"] = {"combined": spec, "split": spec}
    return drawn


def html(files: list[Results], tree: Path, streams: tuple[StreamFile, ...] = ()) -> str:
    """The page; the code behind each strategy is read from the source tree `tree`;
    `streams` are the stream files (`interop-bench stream`) shown beside the frames."""
    template = _environment().get_template("report.html.j2")
    data = page_data.document(files, palette_of(files, streams), tree, streams)
    return template.render(
        page_json=page_data.to_script_json(data),
        specs_json=page_data.to_script_json(specs(data)),
        vega_script=vega_bundle.script(),
        vega_versions=vega_bundle.versions(),
        page_script="\n".join(_template_file(name) for name in SCRIPTS),
        code_css=source_code.css(),
        interactive=INTERACTIVE,
        tie_percent=round((CLEAR_MARGIN - 1) * 100),
        wide_percent=round(cell_table.WIDE_HALF_WIDTH * 100),
        cell_count=sum(len(results.cells) for results in files),
        files=files,
        generated_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=__version__,
        verdicts=[(results, verdicts(results), run_notes(results)) for results in files],
        floor_checks=[(results, floor_checks(results)) for results in files],
        # The print copy of the default view: 41 strategies' lines weigh megabytes.
        figures=figures(files, data["default_view"]),
        default_view=data["default_view"],
        frame_tables=frame_table.tables(files),
        frame_figure=figures_frames.frame_rate(
            _only(files, data["default_view"]), palette_of(files)
        ),
        frame_columns=frame_table.COLUMNS,
        frame_budgets=frame_table.budgets_text(),
        frame_headline_fps=frame_table.HEADLINE_FPS,
        stream_tables=stream_section.tables(list(streams)),
        stream_columns=stream_section.COLUMNS,
        stream_rule=stream_section.rule_text(),
        stream_disagreements=stream_section.disagreements(files, list(streams)),
        disagreements_open_up_to=stream_section.DISAGREEMENTS_OPEN_UP_TO,
        streams=streams,
        stream_processes=", ".join(
            f"{n} process{'es' if n != 1 else ''}" for n in (s.processes() for s in streams)
        ),
        dtype_tables=dtype_table.tables(files),
        dtype_columns=dtype_table.COLUMNS,
        tables=cell_table.tables(files),
        per_file_columns=cell_table.PER_FILE_COLUMNS,
        environment_rows=environment.rows(files),
    )


def write(
    files: list[Results], out: Path, tree: Path, streams: tuple[StreamFile, ...] = ()
) -> Path:
    """Write the report to `out` (atomically: a reader never sees half a page)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html(files, tree, streams), encoding="utf-8")
    partial.replace(out)
    return out


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("interop_bench.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template_file(name: str) -> str:
    return resources.files("interop_bench.report").joinpath("templates", name).read_text("utf-8")
