"""Colours, markers and line styles: the same strategy looks the same in every figure,
static or interactive.

Colours are Okabe & Ito's colour-blind-safe set followed by Paul Tol's "muted"
set (15 colours in all); black is kept for the native floors. With more
strategies than colours the colours repeat, but the marker cycle (8 long
against 15 colours) keeps every (colour, marker) pair distinct,
and the interactive report names a line on hover and highlights it on click.
The assignment follows the sorted names of all strategies in the report, so it
does not depend on figure or file order.
Line styles tell result files apart when several are overlaid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)
TOL_MUTED = (
    "#332288",  # indigo
    "#88CCEE",  # cyan
    "#44AA99",  # teal
    "#117733",  # green
    "#999933",  # olive
    "#DDCC77",  # sand
    "#CC6677",  # rose
    "#882255",  # wine
    "#AA4499",  # purple
)
# 15 colours (Okabe & Ito's yellow left out: faint on white) against 8 markers:
# coprime lengths, so the first 120 strategies each get their own pair.
COLOURS = (*OKABE_ITO, *TOL_MUTED)
# Matplotlib's marker codes, and the same shapes by Vega's names.
MARKERS = ("o", "s", "^", "D", "v", "P", "<", ">")
VEGA_SHAPES = {
    "o": "circle",
    "s": "square",
    "^": "triangle-up",
    "D": "diamond",
    "v": "triangle-down",
    "P": "cross",
    "<": "triangle-left",
    ">": "triangle-right",
}
LineStyle = Literal["-", "--", ":", "-."]
FILE_LINESTYLES: tuple[LineStyle, ...] = ("-", "--", ":", "-.")
FILE_HATCHES = ("", "//", "..", "xx")
FLOOR_COLOUR = "#000000"
PHASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


@dataclass(frozen=True)
class Style:
    colour: str
    marker: str

    @property
    def vega_shape(self) -> str:
        return VEGA_SHAPES[self.marker]


class Palette:
    def __init__(self, strategies: list[str]) -> None:
        self._styles = {
            name: Style(
                COLOURS[index % len(COLOURS)],
                MARKERS[index % len(MARKERS)],
            )
            for index, name in enumerate(sorted(set(strategies)))
        }

    def __getitem__(self, strategy: str) -> Style:
        return self._styles[strategy]

    def names(self) -> list[str]:
        return list(self._styles)


def file_linestyle(index: int) -> LineStyle:
    return FILE_LINESTYLES[index % len(FILE_LINESTYLES)]


def file_hatch(index: int) -> str:
    return FILE_HATCHES[index % len(FILE_HATCHES)]
