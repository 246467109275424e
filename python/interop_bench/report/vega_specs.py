"""The interactive figures as Vega-Lite specifications (https://vega.github.io/vega-lite/).

Each figure reads the page's named datasets ("cells", "floors": page_data.py)
and three parameters the page's script sets in every figure at once: `op` (the
op shown), `hidden` (strategies switched off) and `hl` (the highlighted one).
A figure is drawn either with every strategy on one plot or as small
multiples, one plot per family (`split`). Axis labels use the page's own
formatters (registered with Vega as ibTime, ibBytes, ibRate), the same units
as the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop_bench.analysis.units import TIMES

Spec = dict[str, Any]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

WIDTH, HEIGHT = 760, 380
SPLIT_WIDTH, SPLIT_HEIGHT = 360, 220
PARAMS = [
    {"name": "op", "value": ""},
    {"name": "hidden", "value": []},
    {"name": "hl", "value": ""},
]
SHOWN = "datum.op == op && indexof(hidden, datum.s) < 0"
LIT = "hl == '' || datum.s == hl"


def tooltip(*fields: tuple[str, str]) -> list[Spec]:
    """A tooltip of (field, title) pairs."""
    return [{"field": field, "title": title} for field, title in fields]


# Which cell a point is: the start of every figure's tooltip.
WHICH = (("s", "strategy"), ("f", "file"), ("t_bytes", "payload"))
TOOLTIP = tooltip(
    *WHICH,
    ("t_med", "median"),
    ("t_ci", "95% interval"),
    ("t_rate", "throughput"),
    ("t_xk", f"{TIMES} kernel"),
    ("t_mem", f"memory {TIMES} payload"),
    ("t_status", "status"),
)


@dataclass(frozen=True)
class Measure:
    """What a figure plots against payload size."""

    figure_id: str
    field: str
    title: str
    label_expr: str
    low: str = ""  # the interval's fields, drawn as a band
    high: str = ""
    scale: str = "log"
    rule_at: float | None = None  # a reference line (1x the kernel)


def decades(label: str) -> str:
    """A log axis's label expression that names the powers of ten only (the
    ticks between stay unlabelled, as in the static figures)."""
    exponent = "log(datum.value) / LN10"
    return f"abs({exponent} - round({exponent})) < 1e-6 ? {label} : ''"


MEASURES = (
    Measure("latency", "med", "time per call", decades("ibTime(datum.value)"), "lo", "hi"),
    Measure(
        "throughput",
        "rate",
        "payload per second",
        decades("ibRate(datum.value)"),
        "rate_lo",
        "rate_hi",
    ),
    Measure(
        "xkernel",
        "xk",
        f"time over the kernel alone ({TIMES})",
        f"datum.value + '{TIMES}'",
        "xk_lo",
        "xk_hi",
        rule_at=1.0,
    ),
    Measure(
        "memory", "mem", "peak extra memory / payload", f"datum.value + '{TIMES}'", scale="symlog"
    ),
)
# The native floors each figure draws (black): the kernel alone bounds a call's
# time; the kernel and the bandwidth probes bound its throughput.
FLOORS = {"latency": ("kernel",), "throughput": ("kernel", "read-probe", "memcpy-probe")}
FLOOR_DASHES = {"kernel": [6, 3], "read-probe": [1, 0], "memcpy-probe": [2, 2]}


def figure(
    measure: Measure,
    strategies: list[dict[str, str]],
    families: list[str],
    files: int,
    *,
    split: bool,
) -> Spec:
    """The spec of one figure: one plot, or one plot per family."""
    if not split:
        body = _plot(measure, strategies, files, family=None, width=WIDTH, height=HEIGHT)
        return {
            "$schema": SCHEMA,
            "params": PARAMS,
            **body,
        }
    plots = [
        _plot(measure, strategies, files, family=f, width=SPLIT_WIDTH, height=SPLIT_HEIGHT)
        for f in families
    ]
    return {
        "$schema": SCHEMA,
        "params": PARAMS,
        "concat": plots,
        "columns": 2,
        "resolve": {"scale": {"y": "shared", "x": "shared"}},
    }


def _plot(
    measure: Measure,
    strategies: list[dict[str, str]],
    files: int,
    *,
    family: str | None,
    width: int,
    height: int,
) -> Spec:
    shown = f"{SHOWN} && datum.ok && isValid(datum.{measure.field})"
    if family is not None:
        shown += f" && datum.fam == '{family}'"
    encoding = _encoding(measure, strategies, files)
    layers: list[Spec] = []
    if measure.low:
        layers.append(_band(measure, encoding))
    layers.append(
        {
            "mark": {"type": "line", "interpolate": "monotone"},
            "encoding": {**encoding, "opacity": _lit(1.0, 0.12), "strokeWidth": _lit(2.0, 1.0)},
        }
    )
    layers.append(
        {
            "mark": {"type": "point", "filled": True, "size": 45},
            "encoding": {
                **encoding,
                "shape": _shape(strategies),
                "opacity": _lit(1.0, 0.15),
                "tooltip": TOOLTIP,
                "description": {"field": "desc"},
            },
        }
    )
    plot: Spec = {
        "width": width,
        "height": height,
        "layer": [{"data": {"name": "cells"}, "transform": [{"filter": shown}], "layer": layers}],
    }
    if family is not None:
        plot["title"] = {"text": family, "anchor": "start", "fontSize": 13}
    if measure.figure_id in FLOORS:
        # one legend of the floors on the single plot; the small multiples share the caption's
        floors = _floor_layer(measure, FLOORS[measure.figure_id], legend=family is None)
        plot["layer"].append(floors)
    if measure.rule_at is not None:
        plot["layer"].append(
            {
                "mark": {"type": "rule", "color": "#000", "strokeDash": [2, 3]},
                "encoding": {"y": {"datum": measure.rule_at}},
            }
        )
    return plot


def _encoding(measure: Measure, strategies: list[dict[str, str]], files: int) -> Spec:
    encoding: Spec = {
        "x": {
            "field": "bytes",
            "type": "quantitative",
            "scale": {"type": "log"},
            "axis": {
                "title": "payload per call",
                "labelExpr": decades("ibBytes(datum.value)"),
                "tickCount": 8,
                "grid": True,
            },
        },
        "y": {
            "field": measure.field,
            "type": "quantitative",
            "scale": {"type": measure.scale},
            "axis": {"title": measure.title, "labelExpr": measure.label_expr, "grid": True},
        },
        "color": colour(strategies),
        "detail": {"field": "f"},
    }
    if files > 1:
        encoding["strokeDash"] = {"field": "f", "type": "nominal", "title": "file"}
    return encoding


def colour(strategies: list[dict[str, str]]) -> Spec:
    """Each strategy's colour; no legend: the page's own panel is the legend of every figure."""
    return {
        "field": "s",
        "type": "nominal",
        "scale": {
            "domain": [s["name"] for s in strategies],
            "range": [s["colour"] for s in strategies],
        },
        "legend": None,
    }


def _band(measure: Measure, encoding: Spec) -> Spec:
    return {
        "mark": {"type": "area", "interpolate": "monotone"},
        "encoding": {
            "x": encoding["x"],
            "y": {"field": measure.low, "type": "quantitative"},
            "y2": {"field": measure.high},
            "color": encoding["color"],
            "detail": encoding["detail"],
            "opacity": _lit(0.18, 0.03),
        },
    }


def _shape(strategies: list[dict[str, str]]) -> Spec:
    return {
        "field": "s",
        "type": "nominal",
        "legend": None,
        "scale": {
            "domain": [s["name"] for s in strategies],
            "range": [s["shape"] for s in strategies],
        },
    }


def _lit(on: float, off: float) -> Spec:
    """`on` for the highlighted strategy (or every one when none is), `off` otherwise."""
    return {"condition": {"test": LIT, "value": on}, "value": off}


def _floor_layer(measure: Measure, floors: tuple[str, ...], *, legend: bool) -> Spec:
    """The native floors: the kernel alone for this op, the bandwidth probes for any."""
    names = ", ".join(f"'{name}'" for name in floors)
    return {
        "data": {"name": "floors"},
        "transform": [
            {"filter": f"(datum.op == op || datum.any_op) && indexof([{names}], datum.floor) >= 0"}
        ],
        "mark": {"type": "line", "color": "#000", "strokeWidth": 1.5},
        "encoding": {
            "x": {"field": "bytes", "type": "quantitative", "scale": {"type": "log"}},
            "y": {"field": measure.field, "type": "quantitative"},
            "strokeDash": {
                "field": "floor",
                "type": "nominal",
                "title": "native floor",
                "scale": {"domain": list(floors), "range": [FLOOR_DASHES[name] for name in floors]},
                "legend": {"orient": "bottom-right"} if legend else None,
            },
            "detail": {"field": "f"},
            "tooltip": tooltip(
                ("floor", "floor"),
                *WHICH[1:],
                ("t_rate", "throughput"),
                ("t_med", "median"),
            ),
        },
    }
