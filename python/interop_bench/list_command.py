"""`interop-bench list`: the registered strategies and what each copies."""

from __future__ import annotations

import argparse

from interop_bench import strategies
from interop_bench.strategies import gil

HELP = "list the strategies: name, family, what each copies"
DESCRIPTION = """List every registered strategy with its family (reference, ffi,
serialization, ipc), what it does with the array's bytes on the way in (Python to
C++) and out (C++ to Python: zero-copy, copy, serialize), and one line about it."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--names", action="store_true", help="print the names only, one a line")


def rows() -> list[tuple[str, str, str, str]]:
    table: list[tuple[str, str, str, str]] = []
    for name in strategies.names():
        cls = strategies.strategy_class(name)
        copies = f"in: {cls.copies_in}, out: {cls.copies_out}"
        notes = "; ".join(filter(None, (cls.copies_note, gil.note(cls))))
        description = f"{cls.description} ({notes})"
        table.append((cls.name, cls.family, copies, description))
    return table


def main(args: argparse.Namespace) -> int:
    if args.names:
        print("\n".join(strategies.names()))
        return 0
    table = [("name", "family", "copies", "description"), *rows()]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        padded = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        print("  ".join([*padded, row[3]]))
    return 0
