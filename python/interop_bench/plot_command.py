"""`interop-bench plot RESULTS.json [MORE.json ...]`: the report's figures as files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from interop_bench.analysis.load import ResultsFileError, load_all

HELP = "write the report's figures as PNG or SVG files (for a README, a paper, a slide)"
DESCRIPTION = """Write each static figure of the report (latency, throughput, overhead,
phases, memory) of one or more results files as its own file: DIR/<figure>.svg
(standalone SVG, text kept as text) or DIR/<figure>.png (rendered by
vl-convert's resvg at --scale times the figure's size). Several files are
overlaid as in the report. A figure with nothing to draw is skipped, with the
reason."""
# SVG drawn for inline HTML leaves out the namespaces that a standalone file needs.
NAMESPACES = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="+", help="results files written by `interop-bench run`")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("reports/figures"),
        help="the folder to write the figures to (default: reports/figures)",
    )
    parser.add_argument(
        "--format", choices=("png", "svg"), default="png", help="file format (default: png)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=2.0,
        help="PNG pixels per point of the figure (default: 2, sharp on a high-DPI screen)",
    )


def main(args: argparse.Namespace) -> int:
    if args.scale <= 0:
        print("interop-bench plot: --scale must be positive", file=sys.stderr)
        return 2
    try:
        files = load_all(args.results)
    except ResultsFileError as error:
        print(f"interop-bench plot: {error}", file=sys.stderr)
        return 2
    # Imported here: matplotlib takes a moment, and the other commands never need it.
    from interop_bench.report import render  # noqa: PLC0415

    args.output.mkdir(parents=True, exist_ok=True)
    for figure in render.figures(files):
        if not figure.svg:
            print(f"{figure.figure_id}: not drawn ({figure.missing})")
            continue
        out = args.output / f"{figure.figure_id}.{args.format}"
        write(standalone(figure.svg), out, args.scale)
        print(f"{figure.figure_id}: {out}")
    return 0


def standalone(svg: str) -> str:
    return svg.replace("<svg", f"<svg {NAMESPACES}", 1)


def write(svg: str, out: Path, scale: float) -> None:
    """Write atomically: a reader never sees half a file."""
    partial = out.with_name(out.name + ".partial")
    if out.suffix == ".svg":
        partial.write_text(svg, encoding="utf-8")
    else:
        import vl_convert  # noqa: PLC0415 - only for PNG

        partial.write_bytes(vl_convert.svg_to_png(svg, scale=scale))
    partial.replace(out)
