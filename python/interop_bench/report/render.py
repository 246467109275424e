"""Assemble the report: verdict, figures, table, environment; render the Jinja2 template."""

from __future__ import annotations

import datetime
from pathlib import Path

import jinja2

from interop_bench import __version__
from interop_bench.analysis.floors import checks as floor_checks
from interop_bench.analysis.load import Results
from interop_bench.analysis.verdict import run_notes, verdicts
from interop_bench.report import cell_table, environment, figures_bars, figures_size
from interop_bench.report.figure_common import Rendered
from interop_bench.report.palette import Palette

FIGURES = (
    figures_size.latency,
    figures_size.throughput,
    figures_bars.overhead,
    figures_bars.phases,
    figures_size.memory,
)


def figures(files: list[Results]) -> list[Rendered]:
    palette = Palette([s for results in files for s in results.strategies()])
    return [make(files, palette) for make in FIGURES]


def html(files: list[Results]) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(
        files=files,
        generated_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        tool_version=__version__,
        verdicts=[(results, verdicts(results), run_notes(results)) for results in files],
        floor_checks=[(results, floor_checks(results)) for results in files],
        figures=figures(files),
        tables=cell_table.tables(files),
        per_file_columns=cell_table.PER_FILE_COLUMNS,
        environment_rows=environment.rows(files),
    )


def write(files: list[Results], out: Path) -> Path:
    """Write the report to `out` (atomically: a reader never sees half a page)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html(files), encoding="utf-8")
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
