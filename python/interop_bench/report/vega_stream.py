"""The Streams figure as Vega-Lite: a percentile spectrum in HdrHistogram's style.

x is the percentile on a "nines" axis (p90 at 1, p99 at 2, p99.9 at 3; the
maximum at the last frame's place), y the latency from each frame's scheduled
time; the deadline (one period) is the dashed rule and the kernel alone, paced
the same way, the black line. One (resolution, rate) at a time, chosen with
the figure's own select; the panel's `hidden` and `hl` apply as everywhere.
"""

from __future__ import annotations

from interop_bench.report.vega_specs import PARAMS, SCHEMA, Spec, colour, decades, tooltip
from interop_bench.results_file import KERNEL

WIDTH, HEIGHT = 760, 340
NINES_LABELS = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
SHOWN = f"datum.key == stream && (datum.s == '{KERNEL}' || indexof(hidden, datum.s) < 0)"
LIT = "hl == '' || datum.s == hl"
TOOLTIP = tooltip(
    ("s", "strategy"), ("f", "file"), ("d", "depth"), ("q", "percentile"), ("t", "latency")
)


def spectrum(strategies: list[dict[str, str]], keys: list[str], headline: str) -> Spec:
    """The spec; `keys` are the (resolution, rate) groups, `headline` the one it opens on."""
    stream = {
        "name": "stream",
        "value": headline,
        "bind": {"input": "select", "options": keys, "name": "stream "},
    }
    x = {
        "field": "x",
        "type": "quantitative",
        "scale": {"zero": True, "nice": False},
        "axis": {
            "title": "percentile (nines)",
            "values": list(range(len(NINES_LABELS))),
            "labelExpr": f"{NINES_LABELS}[datum.value]",
            "grid": True,
        },
    }
    y = {
        "field": "ns",
        "type": "quantitative",
        "scale": {"type": "log"},
        "axis": {
            "title": "latency from the scheduled time",
            "labelExpr": decades("ibTime(datum.value)"),
            "grid": True,
        },
    }
    lines: Spec = {
        "data": {"name": "streams"},
        "transform": [{"filter": SHOWN}],
        "layer": [
            {
                "transform": [{"filter": f"datum.s != '{KERNEL}'"}],
                "mark": {"type": "line", "point": {"filled": True, "size": 30}},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": colour(strategies),
                    "detail": {"field": "f"},
                    "strokeDash": {"field": "d", "type": "ordinal", "title": "depth"},
                    "opacity": {"condition": {"test": LIT, "value": 1.0}, "value": 0.15},
                    "tooltip": TOOLTIP,
                    "description": {"field": "desc"},
                },
            },
            {
                "transform": [{"filter": f"datum.s == '{KERNEL}'"}],
                "mark": {
                    "type": "line",
                    "color": "#000",
                    "strokeWidth": 1.5,
                    "point": {"color": "#000", "size": 20},
                },
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "f"},
                    "tooltip": TOOLTIP,
                    "description": {"field": "desc"},
                },
            },
        ],
    }
    deadline: Spec = {
        "data": {"name": "deadlines"},
        "transform": [{"filter": "datum.key == stream"}],
        "mark": {"type": "rule", "color": "#b00", "strokeDash": [6, 4]},
        "encoding": {
            "y": {"field": "ns", "type": "quantitative"},
            "tooltip": tooltip(("t", "deadline (one period)")),
        },
    }
    return {
        "$schema": SCHEMA,
        "params": [*PARAMS, stream],
        "width": WIDTH,
        "height": HEIGHT,
        "layer": [lines, deadline],
    }
