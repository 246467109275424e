"""`interop-bench export`: a results file in another tool's format."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from interop_bench.analysis.load import Results, ResultsFileError, load
from interop_bench.analysis.units import format_bytes, format_rate

HELP = "convert a results file for other tools (github-action-benchmark)"
DESCRIPTION = """Write the medians of a results file in another tool's format.

github-action-benchmark: the `customSmallerIsBetter` JSON list, one entry per
measured cell: name "<strategy> <op> <elements>", unit "ns", value the median,
range the half-width of its 95% confidence interval, extra the payload, the
p99, the throughput and the number of samples."""

FORMATS = ("github-action-benchmark",)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="a results file written by `interop-bench run`")
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")


def github_action_benchmark(results: Results) -> list[dict[str, Any]]:
    entries = []
    for cell in results.cells:
        if not cell.ok:
            continue
        entry: dict[str, Any] = {
            "name": f"{cell.strategy} {cell.op} {cell.size}",
            "unit": "ns",
            "value": round(cell.median_ns, 3),
        }
        low, high = cell.stat("ci_low_ns"), cell.stat("ci_high_ns")
        if low is not None and high is not None:
            entry["range"] = f"± {(high - low) / 2:.3g}"
        entry["extra"] = _extra(cell.payload_bytes, cell.stats)
        entries.append(entry)
    return entries


def _extra(payload_bytes: int, stats: dict[str, Any]) -> str:
    parts = [f"payload {format_bytes(payload_bytes)}"]
    if stats.get("p99_ns") is not None:
        parts.append(f"p99 {stats['p99_ns']:.4g} ns")
    if stats.get("throughput_bytes_per_s"):
        parts.append(format_rate(stats["throughput_bytes_per_s"]))
    if stats.get("samples") is not None:
        parts.append(f"{stats['samples']} samples")
    return ", ".join(parts)


def main(args: argparse.Namespace) -> int:
    try:
        results = load(args.results)
    except ResultsFileError as error:
        print(f"interop-bench export: {error}", file=sys.stderr)
        return 2
    text = json.dumps(github_action_benchmark(results), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
