"""Placed rows: a cross-process strategy measured again with its processes pinned.

A run measures every strategy where the scheduler puts it (`os`, or the one
placement --placement names). Where a call waits for another process, that
choice decides its small sizes: one CPU switching between caller and worker,
or two cores waking each other. So a run unpinned as a whole also measures the
strategies of the placement-bound families in each placement of
`--placement-rows`, as rows of their own, "pipe@same-core" beside "pipe":

- only at the profile's placed sizes of float64 sum (the round trip is what
  placement moves; the bandwidth-bound sizes move with the data, not the pins);
- in the same groups and rounds as the unpinned row, so the three rows of a
  strategy are same-moment comparisons;
- the worker (or local peer) starts on the placement's worker CPUs, and the
  measuring process runs on its caller CPUs for the row's turns only
  (runner/engine.py), the other rows' turns staying unpinned.

Everything that reads results files reads a placed row as a strategy of its
own name; `base` gives the strategy behind it, `placement_of` its placement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from interop_bench.runner import placement as placements
from interop_bench.runner.placement import Cpu, Placement, PlacementError
from interop_bench.strategies import Strategy
from interop_bench.strategies._transport.placement import running_on, workers_on
from interop_bench.strategies.base import CROSS_PROCESS_FAMILIES

SEPARATOR = "@"
# The label the rows are measured at: float64 sum reads the payload once and
# answers eight bytes, so its time is the crossing and the wait.
LABEL = "sum"


def row(strategy: str, placement: str) -> str:
    return f"{strategy}{SEPARATOR}{placement}"


def base(name: str) -> str:
    """The strategy behind a row name ("pipe@same-core" -> "pipe"; "pipe" -> "pipe")."""
    return name.partition(SEPARATOR)[0]


def placement_of(name: str) -> str | None:
    """The placement a row name pins ("pipe@same-core" -> "same-core"); None for a plain name."""
    _, separator, placement = name.partition(SEPARATOR)
    return placement if separator else None


def parse(text: str) -> tuple[str, ...]:
    """--placement-rows: comma-separated placements, or "none"; PlacementError
    naming an unknown one ("os" is what the plain rows already measure)."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if names == ("none",):
        return ()
    pinned = tuple(name for name in placements.NAMES if name != placements.OS)
    for name in names:
        if name not in pinned:
            raise PlacementError(
                f"--placement-rows {text}: {name!r} is not a pinned placement; choose among "
                f"{', '.join(pinned)}, or none"
            )
    if not names:
        raise PlacementError("--placement-rows is empty: name placements, or none")
    return names


def rows(
    strategies: Sequence[str], families: Mapping[str, str], pinned: Iterable[Placement]
) -> tuple[str, ...]:
    """The row names of every placement-bound strategy in every pinned placement,
    strategy by strategy, in the order of `strategies`."""
    chosen = tuple(pinned)
    return tuple(
        row(name, place.name)
        for name in strategies
        if families.get(name) in CROSS_PROCESS_FAMILIES
        for place in chosen
    )


def available(
    names: Sequence[str],
    topology: Collection[Cpu] | None = None,
    allowed: Collection[int] | None = None,
) -> tuple[tuple[Placement, ...], tuple[str, ...]]:
    """The placements of `names` this machine (or `topology` with `allowed` CPUs)
    provides, resolved, and a sentence for each one it cannot (one CPU has no
    other core)."""
    found, missing = [], []
    for name in names:
        try:
            found.append(placements.resolve(name, topology, allowed))
        except PlacementError as error:
            missing.append(str(error))
    return tuple(found), tuple(missing)


def open_pinned(strategy: Strategy, name: str) -> tuple[int, ...] | None:
    """Open `strategy` as the row `name` measures it: a placed row's workers start
    on its placement's worker CPUs, its own threads on the caller CPUs. The CPUs
    its caller's turns run on; None for a plain name (unpinned, or the run's
    placement: the whole process's)."""
    pinned = placement_of(name)
    if pinned is None:
        strategy.open()
        return None
    cpus = placements.resolve(pinned).cpus
    assert cpus is not None, "a placed row's placement pins"
    # Opened on the caller CPUs too: the threads a strategy starts in its own
    # process when it opens (zmq's I/O thread, grpc's) inherit them, as they
    # would in a run pinned as a whole.
    with running_on(cpus.caller), workers_on(cpus):
        strategy.open()
    return cpus.caller
