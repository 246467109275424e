"""Colours, markers and line styles: the same strategy looks the same in every figure.

Colours are Okabe & Ito's colour-blind-safe set (black is kept for the native
floors). With more strategies than colours, the colours repeat but the marker
cycle (8 long against 7 colours) keeps every (colour, marker) pair distinct.
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
    "#F0E442",  # yellow (last: faint on white, used only from the 7th strategy on)
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LineStyle = Literal["-", "--", ":", "-."]
FILE_LINESTYLES: tuple[LineStyle, ...] = ("-", "--", ":", "-.")
FILE_HATCHES = ("", "//", "..", "xx")
FLOOR_COLOUR = "#000000"
PHASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


@dataclass(frozen=True)
class Style:
    colour: str
    marker: str


class Palette:
    def __init__(self, strategies: list[str]) -> None:
        self._styles = {
            name: Style(
                OKABE_ITO[index % len(OKABE_ITO)],
                MARKERS[index % len(MARKERS)],
            )
            for index, name in enumerate(sorted(set(strategies)))
        }

    def __getitem__(self, strategy: str) -> Style:
        return self._styles[strategy]


def file_linestyle(index: int) -> LineStyle:
    return FILE_LINESTYLES[index % len(FILE_LINESTYLES)]


def file_hatch(index: int) -> str:
    return FILE_HATCHES[index % len(FILE_HATCHES)]
