"""`interop-bench report`: not built yet."""

from __future__ import annotations

import argparse
import sys

HELP = "(not built yet)"
DESCRIPTION = "This command is not built yet."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    print("interop-bench report: not built yet", file=sys.stderr)
    return 2
