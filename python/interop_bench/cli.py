"""The command line: `interop-bench` / `python -m interop_bench`.

Each subcommand lives in its own module exposing HELP, configure(parser) and
main(args) -> exit status; this file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from interop_bench import __version__

SUBCOMMANDS: dict[str, str] = {
    "list": "interop_bench.list_command",
    "run": "interop_bench.run_command",
    "report": "interop_bench.report_command",
    "plot": "interop_bench.plot_command",
    "compare": "interop_bench.compare_command",
    "summary": "interop_bench.summary_command",
    "export": "interop_bench.export_command",
    "aa": "interop_bench.aa_command",
    "ab": "interop_bench.ab_command",
    "ab-stream": "interop_bench.ab_stream_command",
    "peer": "interop_bench.peer_command",
    "stream": "interop_bench.stream_command",
    "verify": "interop_bench.verify_command",
}


class Subcommand(Protocol):
    HELP: str
    DESCRIPTION: str

    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def main(self, args: argparse.Namespace) -> int: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interop-bench",
        description="Measure the ways of moving large arrays between Python and C++ "
        "(ctypes, pybind11, nanobind, the C API, JSON, FlatBuffers, shared memory, ...) "
        "on this machine: latency, throughput and memory per call, checked against NumPy.",
        epilog="Run `interop-bench COMMAND --help` for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        command = cast(Subcommand, importlib.import_module(module_name))
        child = sub.add_parser(
            name,
            help=command.HELP,
            description=command.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(child)
        child.set_defaults(handler=command.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status
