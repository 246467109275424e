"""One decision per cell for two runs of one request: a run that follows another
measures the cells the other measured and skips those it skipped.

The skip rule (runner/plan.py) decides a cell near the budget on a statistic of
a few calls; on a noisy machine the same cell lands on either side of the
budget from one run to the next. No margin removes that: a cell whose calls
take about the budget stays at the threshold. A comparison of two runs wants the same cells in
both, so the second run takes the first run's decisions instead of drawing its
own: `run --follow FILE`, `aa`'s second run of each pair, both sides of `ab`.
A cell the leader lacks, or did not get to decide (an error, a wrong answer),
is decided as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop_bench import results_file
from interop_bench.runner import request as run_request
from interop_bench.runner.merge import Key, cell_key
from interop_bench.runner.request import Request

# What must be equal for a run to follow another: what decides which cells
# exist and what the skip rule charges them against.
SAME = (
    "profile",
    "cell_budget_s",
    "processes",
    "placement",
    "strategies",
    "ops",
    "dtypes",
    "sizes",
    "resolutions",
)


class FollowError(ValueError):
    """A file this run cannot follow; the message says why."""


@dataclass(frozen=True)
class Leader:
    """The run whose decisions this one takes: its document (read each time it
    is asked, so a leader still being measured, as `ab`'s other side is, counts
    with what it has decided so far) and how the reasons name it."""

    document: results_file.Document
    name: str

    def measured(self) -> set[Key]:
        """The cells the leader measured (any process ok)."""
        return {cell_key(cell) for cell in self.document["cells"] if cell["status"] == "ok"}

    def skipped(self) -> dict[Key, str]:
        """The cells the leader skipped, each with the reason this run records."""
        return {
            cell_key(cell): f"skipped as {self.name} did ({cell['reason']})"
            for cell in self.document["cells"]
            if cell["status"] == "skipped"
        }


def load(path: str, request: Request) -> Leader:
    """The leader in `path` for a run of `request`; FollowError when it cannot be
    read or was measured for another profile or selection."""
    try:
        document = results_file.load(path)
        theirs = run_request.stored(document["request"]).as_json()
        if not isinstance(document["cells"], list):
            raise TypeError("cells is not a list")
    except results_file.ResultsError as error:
        raise FollowError(f"--follow: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise FollowError(
            f"--follow: {path} is not a results file of `interop-bench run` ({error!r})"
        ) from None
    ours = request.as_json()
    differences = [_difference(name, theirs[name], ours[name]) for name in SAME]
    found = [text for text in differences if text is not None]
    if found:
        raise FollowError(
            f"--follow: {path} was measured for another request, whose decisions do not "
            f"apply to this one: {'; '.join(found)}"
        )
    return Leader(document, path)


def _difference(name: str, theirs: Any, ours: Any) -> str | None:
    """How one request field differs, or None when it does not."""
    if isinstance(theirs, list) and isinstance(ours, list):
        only_theirs = [str(v) for v in theirs if v not in ours]
        only_ours = [str(v) for v in ours if v not in theirs]
        if not (only_theirs or only_ours):
            return None
        return (
            f"{name} only in the file: {', '.join(only_theirs) or 'none'}; "
            f"only in this run: {', '.join(only_ours) or 'none'}"
        )
    if theirs == ours:
        return None
    return f"{name} {theirs!r} in the file, {ours!r} in this run"
