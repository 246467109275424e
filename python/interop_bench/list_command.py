"""`interop-bench list`: the registered strategies and what each copies."""

from __future__ import annotations

import argparse
import platform

from interop_bench import strategies
from interop_bench.runner import environment
from interop_bench.strategies import gil

HELP = "list the strategies: name, family, what each copies, the releases they use"
DESCRIPTION = """List every registered strategy with its family (reference, ffi,
serialization, ipc, network), what it does with the array's bytes on the way in (Python to
C++) and out (C++ to Python: zero-copy, copy, serialize), the versions of the
packages it measures (the binding or codec as installed, the C++ library as
compiled against, "python" for the standard library's), and one line about it."""
NO_PACKAGE = "-"  # a strategy of this project's code and the kernel alone


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--names", action="store_true", help="print the names only, one a line")


def package_versions() -> dict[str, str]:
    """The versions a results file records (environment.versions), and Python's."""
    found = environment.versions(environment.build_info())
    found["python"] = platform.python_version()
    return found


def versions_cell(packages: tuple[str, ...], found: dict[str, str]) -> str:
    """One entry a package ("nanobind 3.1.0"); "?" for one this install lacks."""
    return ", ".join(f"{p} {found.get(p, '?')}" for p in packages) or NO_PACKAGE


def rows() -> list[tuple[str, str, str, str, str]]:
    found = package_versions()
    table: list[tuple[str, str, str, str, str]] = []
    for name in strategies.names():
        cls = strategies.strategy_class(name)
        copies = f"in: {cls.copies_in}, out: {cls.copies_out}"
        notes = "; ".join(filter(None, (cls.copies_note, gil.note(cls))))
        description = f"{cls.description} ({notes})"
        versions = versions_cell(cls.packages, found)
        if cls.backend:
            versions += f" ({cls.backend} backend)"
        table.append((cls.name, cls.family, copies, versions, description))
    return table


def main(args: argparse.Namespace) -> int:
    if args.names:
        print("\n".join(strategies.names()))
        return 0
    table = [("name", "family", "copies", "versions", "description"), *rows()]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        padded = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        print("  ".join([*padded, row[4]]))
    return 0
