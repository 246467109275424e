"""The interactive bar figures: the fixed cost of a call, and where its time goes.

They read the page's datasets and parameters like the figures against size
(vega_specs.py), so hiding or highlighting a strategy in the panel applies to
them too; a bar's row exists only for a shown strategy, so the figures are as
tall as what they show.
"""

from __future__ import annotations

from interop_bench.report.figures_bars import CAPI
from interop_bench.report.palette import FLOOR_COLOUR
from interop_bench.report.vega_specs import (
    LIT,
    PARAMS,
    SCHEMA,
    SHOWN,
    WHICH,
    Spec,
    colour,
    decades,
    tooltip,
)

ROW_PX = 16  # one bar's row
PHASE_WIDTH = 240  # one size's panel of stacked shares: three and the legend fit the page
FULL_SHARE = 100
SHARE_AXIS_END = 135
SHARE_TICKS = [0, 25, 50, 75, 100]
# As tall as the shown strategies need, anew each time the panel changes.
AUTOSIZE = {"type": "pad", "resize": True}


def overhead(strategies: list[dict[str, str]], files: int) -> Spec:
    """Each shown strategy's median at the smallest size of the op, shortest on top."""
    y: Spec = {"field": "s", "type": "nominal", "sort": {"field": "med"}, "title": None}
    bar_encoding: Spec = {
        "y": y,
        "x": {
            "field": "med",
            "type": "quantitative",
            "stack": None,  # a stack starts at zero, which a log axis has not
            "scale": {"type": "log"},
            "axis": {
                "title": "median time per call at the smallest size",
                "labelExpr": decades("ibTime(datum.value)"),
                "grid": True,
            },
        },
        "color": colour(strategies),
        "opacity": {"condition": {"test": LIT, "value": 1.0}, "value": 0.25},
        "tooltip": tooltip(
            *WHICH, ("t_med", "median"), ("t_ci", "95% interval"), ("t_status", "status")
        ),
    }
    if files > 1:
        bar_encoding["yOffset"] = {"field": "f", "type": "nominal", "title": "file"}
    return {
        "$schema": SCHEMA,
        "params": PARAMS,
        "autosize": AUTOSIZE,
        "width": 640,
        "height": {"step": ROW_PX * max(1, files)},
        "data": {"name": "cells"},
        "transform": [{"filter": f"{SHOWN} && datum.ok && datum.small"}],
        "layer": [
            {"mark": {"type": "bar"}, "encoding": bar_encoding},
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10},
                "encoding": {
                    "y": y,
                    "x": {"field": "med", "type": "quantitative"},
                    "text": {"field": "t_med"},
                }
                | ({"yOffset": bar_encoding["yOffset"]} if files > 1 else {}),
            },
            {  # the C API's call, the floor of a call from Python into C, as in the static figure
                "transform": [{"filter": f"datum.s == '{CAPI}'"}],
                "mark": {"type": "rule", "color": FLOOR_COLOUR, "strokeDash": [4, 3]},
                "encoding": {"x": {"field": "med", "type": "quantitative"}},
            },
        ],
    }


def phases(phase_names: list[str], colours: list[str], files: int) -> Spec:
    """Each stage's share of a call, one panel per size, one bar per shown strategy."""
    row_field = "sf" if files > 1 else "s"
    return {
        "$schema": SCHEMA,
        "params": PARAMS,
        "autosize": AUTOSIZE,
        "data": {"name": "phases"},
        "transform": [
            {"filter": SHOWN},
            {"calculate": "datum.s + ' (' + datum.f + ')'", "as": "sf"},
        ],
        "facet": {
            "column": {
                "field": "bytes",
                "type": "ordinal",
                "sort": "ascending",
                "title": "payload per call",
                "header": {"labelExpr": "ibBytes(datum.value)"},
            }
        },
        "resolve": {"scale": {"y": "independent"}},
        "spec": {
            "width": PHASE_WIDTH,
            "height": {"step": ROW_PX},
            "layer": [
                {
                    "mark": {"type": "bar"},
                    "encoding": _stage_encoding(row_field, phase_names, colours),
                },
                {  # the whole call's median, right of its bar
                    "transform": [{"filter": "datum.order == 0"}],
                    "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10},
                    "encoding": {
                        "y": {"field": row_field, "type": "nominal"},
                        "x": {"datum": FULL_SHARE},
                        "text": {"field": "t_med"},
                    },
                },
            ],
        },
    }


def _stage_encoding(row_field: str, phase_names: list[str], colours: list[str]) -> Spec:
    return {
        "y": {"field": row_field, "type": "nominal", "title": None},
        "x": {
            "field": "share",
            "type": "quantitative",
            "stack": "zero",
            # room right of 100% for the call's median
            "scale": {"domain": [0, SHARE_AXIS_END]},
            "axis": {"values": SHARE_TICKS},
            "title": "share of the call (%)",
        },
        "color": {
            "field": "phase",
            "type": "nominal",
            "scale": {"domain": phase_names, "range": colours},
            "title": "stage",
        },
        "order": {"field": "order"},
        "opacity": {"condition": {"test": LIT, "value": 1.0}, "value": 0.3},
        "tooltip": tooltip(
            *WHICH,
            ("phase", "stage"),
            ("t_ns", "stage median"),
            ("share", "share (%)"),
            ("t_med", "whole call"),
        ),
    }
