"""The flags that say which streams to measure, and the request they make: shared by
`interop-bench stream` and `interop-bench ab-stream`, so both read them alike."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from interop_bench import ops, results_file, strategies
from interop_bench.runner import placement
from interop_bench.runner.selection_flags import add_placement
from interop_bench.stream import choice
from interop_bench.stream.figures import resolvable
from interop_bench.stream.run import StreamRequest

DEFAULT_RESOLUTIONS = "1080p"
DEFAULT_FPS = "60"
DEFAULT_DEPTHS = "1,2"
# The least a cell may stream: 100 frames tell p90 from the maximum (10 frames
# past it); a percentile its frames cannot resolve is printed "= max".
MIN_FRAMES = 100


def add_stream_flags(parser: argparse.ArgumentParser, processes: int = 3) -> None:
    """Which strategies, resolutions, rates and depths; how long, in how many processes;
    the placement."""
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--strategies", metavar="A,B", help="strategies (default: all)")
    chosen.add_argument(
        "--best-of",
        metavar="RESULTS",
        type=Path,
        help="stream ctypes and the best strategy of each family for frames in this "
        "results file of `interop-bench run` (at the first of --resolutions); a file "
        "without frame cells leaves nothing to stream (exit 0, as `make bench` of sums only)",
    )
    parser.add_argument("--resolutions", default=DEFAULT_RESOLUTIONS, help="(default %(default)s)")
    parser.add_argument("--fps", default=DEFAULT_FPS, help="frame rates (default %(default)s)")
    parser.add_argument(
        "--depth", default=DEFAULT_DEPTHS, help="in-flight depths (default %(default)s)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds per cell and process (default: the 1,000 frames that resolve a "
        "process's p99, 16.7 s at 60 fps)",
    )
    parser.add_argument(
        "--deeper-if-needed",
        action="store_true",
        help="stream a depth only where the shallower ones of the same load did not carry "
        "it in pass 0 (make stream's default; recorded `skipped`, naming that cell)",
    )
    parser.add_argument(
        "--processes", type=int, default=processes, help="processes (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0)
    add_placement(parser)


class UsageError(ValueError):
    """A bad flag: exit status 2 with the message."""


def _numbers(text: str, flag: str, kind: type[float] | type[int]) -> tuple[float, ...]:
    try:
        values = tuple(kind(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"{flag} {text!r}: a comma-separated list of numbers") from None
    if not values or min(values) <= 0:
        raise UsageError(f"{flag} {text!r}: every value must be greater than 0")
    return values


class NothingToStreamError(Exception):
    """--best-of named a results file without frame cells: exit 0 with the message."""


def _best_of(path: Path, resolution: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The chosen strategies and the request fields of the file's evidence."""
    try:
        document = results_file.load(path)
        names = tuple(choice.best_of_families(document, resolution, set(strategies.names())))
        medians = choice.frame_medians(document, set(names))
        return names, {"matrix_medians": medians, "matrix_file": path.name}
    except choice.NoFrameCellsError as error:
        raise NothingToStreamError(f"{path}: {error}: nothing to stream") from None
    except (OSError, results_file.ResultsError, KeyError) as error:
        raise UsageError(f"--best-of {path}: {error}") from None


def _strategies(
    args: argparse.Namespace, resolution: str
) -> tuple[tuple[str, ...], dict[str, Any]]:
    known = strategies.names()
    if args.best_of is not None:
        return _best_of(args.best_of, resolution)
    names = tuple(n.strip() for n in (args.strategies or ",".join(known)).split(",") if n.strip())
    for name in names:
        if name not in known:
            raise UsageError(f"unknown strategy {name!r}; `interop-bench list` names them")
    return names, {}


def _check_duration(duration: float, fps: float, processes: int) -> None:
    if duration <= 0:
        raise UsageError("--duration must be positive")
    frames = round(fps * duration * processes)
    if not resolvable(90.0, frames):
        raise UsageError(
            f"--duration {duration:g} s at {fps:g} fps in {processes} processes is "
            f"{frames} frames: too few to tell even p90 from the maximum (at least {MIN_FRAMES})"
        )


def request_of(args: argparse.Namespace) -> StreamRequest:
    resolutions = tuple(r.strip().lower() for r in args.resolutions.split(",") if r.strip())
    for resolution in resolutions:
        if resolution not in ops.RESOLUTIONS:
            raise UsageError(
                f"unknown resolution {resolution!r}; known: {', '.join(ops.RESOLUTIONS)}"
            )
    if not resolutions:
        raise UsageError("--resolutions: name at least one")
    names, evidence = _strategies(args, resolutions[0])
    fps = _numbers(args.fps, "--fps", float)
    depths = tuple(int(d) for d in _numbers(args.depth, "--depth", int))
    if args.processes < 1:
        raise UsageError("--processes must be at least 1")
    if args.duration is not None:
        _check_duration(args.duration, min(fps), args.processes)
    try:
        where = placement.resolve(args.placement or placement.OS).as_json()
    except placement.PlacementError as error:
        raise UsageError(str(error)) from None
    return StreamRequest(
        names,
        resolutions,
        fps,
        depths,
        args.duration,
        args.processes,
        args.seed,
        placement=where,
        deeper_if_needed=args.deeper_if_needed,
        **evidence,
    )
