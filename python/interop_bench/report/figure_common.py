"""What every figure shares: the Agg backend, SVG export as an inline string, axis formatting."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from interop_bench.analysis.units import format_bytes, format_ns, format_rate

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller, selectable, browser fonts
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "figure.dpi": 100,
    }
)

# matplotlib's SVG header and namespace declarations are not needed inline in
# HTML (the HTML parser knows svg and xlink) and would be the page's only URLs.
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
# Coordinates (path data, marker positions) to a tenth of a point (a figure is
# some 1000 points wide), and no indentation: lighter, and looks the same.
_PATH_DATA = re.compile(r'\b(d|x|y)="([^"]*)"')
_LONG_DECIMAL = re.compile(r"(\.\d)\d+")
_INDENT = re.compile(r"\n\s+")


@dataclass(frozen=True)
class Rendered:
    """One figure of the report: its SVG, or why there is none."""

    figure_id: str
    title: str
    caption: str
    svg: str = ""
    missing: str = ""


def to_svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue()))
    text = _PATH_DATA.sub(_compact_path, _INDENT.sub("\n", text))
    return _NAMESPACES.sub("", text, count=0).strip()


def _compact_path(match: re.Match[str]) -> str:
    attribute, value = match.groups()
    return f'{attribute}="' + " ".join(_LONG_DECIMAL.sub(r"\1", value).split()) + '"'


def grid_figure(
    rows: int, columns: int, width: float, height: float
) -> tuple[Figure, list[list[Axes]]]:
    """rows x columns panels of width x height inches each."""
    fig, axes = plt.subplots(
        rows, columns, figsize=(width * columns, height * rows), squeeze=False, layout="constrained"
    )
    return fig, [list(row) for row in axes]


def new_figure(panels: int, width: float = 5.6, height: float = 3.8) -> tuple[Figure, list[Axes]]:
    """`panels` panels, two per row."""
    columns = 1 if panels == 1 else 2
    fig, axes = grid_figure((panels + 1) // 2, columns, width, height)
    flat = [ax for row in axes for ax in row]
    for extra in flat[panels:]:
        extra.set_visible(False)
    return fig, flat[:panels]


def log_axis(axis_name: str, ax: Axes, unit: str) -> None:
    """Log scale with ticks at powers of ten, labelled in `unit`: bytes, ns, rate or count."""
    formatter = {
        "bytes": lambda v, _: format_bytes(v),
        "ns": lambda v, _: format_ns(v),
        "rate": lambda v, _: format_rate(v),
        "count": lambda v, _: f"{v:g}",
    }[unit]
    axis = ax.xaxis if axis_name == "x" else ax.yaxis
    (ax.set_xscale if axis_name == "x" else ax.set_yscale)("log")
    # Few enough labels not to collide: a long range labels every other decade.
    axis.set_major_locator(LogLocator(base=10, numticks=6 if axis_name == "x" else 8))
    axis.set_major_formatter(FuncFormatter(formatter))
    # Minor ticks at 2 and 5 only: enough to read values between decades, and far
    # cheaper to lay out than the default eight per decade.
    axis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0), numticks=30))
    axis.set_minor_formatter(NullFormatter())


def legend_outside(fig: Figure, handles: Sequence[Artist], labels: Sequence[str]) -> None:
    """One legend for all panels, right of the axes, so it never hides data."""
    fig.legend(handles, labels, loc="outside right upper", frameon=False, fontsize=9)
