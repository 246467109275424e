"""What the parent asks one measuring process (a pass) to do, as JSON.

This is the contract between `interop-bench run` and its pass processes, and
between `interop-bench ab` and a baseline commit's pass processes: a baseline
built from another commit must read the spec of this one, so the fields below
change only with PROTOCOL, and a process refuses a protocol it does not know.
PROTOCOL covers the counting process's spec too (runner/count_worker.py).
Version 2: counting in several layouts ("layouts" in the count spec). A job's
`op` is a label (ops.label: "sum", "sum:uint8", "frame"); float64's labels are
the bare op names, so a float64 spec reads in a process older than the dtype
axis, which refuses another label as an unknown op.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from interop_bench import ops
from interop_bench.runner.plan import Profile

PROTOCOL = 2


class SpecError(ValueError):
    """A pass spec this process cannot follow; the message says why."""


@dataclass(frozen=True)
class JobSpec:
    name: str  # a strategy, or a floor turn (runner/floor_turns.py)
    op: str  # the label: the op and its dtype (ops.label)
    size: int
    extras: bool  # measure memory and phases too
    force: bool  # measure even if the check call looks over the budget


@dataclass(frozen=True)
class PassSpec:
    pass_index: int
    processes: int  # passes in the run
    seed: int  # the inputs' seed; the order of turns is seeded by (seed, pass_index)
    profile: Profile  # the whole run's budgets; the pass takes its share
    jobs: tuple[JobSpec, ...]
    out: str  # the pass file: one JSON record per line, appended
    # Smaller sizes' medians, per "strategy|label", so the skip rule can predict
    # a cell that would blow the budget (only for jobs that are not forced).
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    over_budget: dict[str, int] = field(default_factory=dict)  # "strategy|label" -> skipped size
    slowdown: dict[str, float] = field(default_factory=dict)  # validation: strategy -> fraction
    factories: dict[str, str] = field(default_factory=dict)  # tests: name -> "module:Class"
    # Bytes the process allocates and keeps before anything else, drawn at
    # random per process, so that where its arrays land within a page (their
    # alignment, 4 KiB aliasing between an input and an output) differs from
    # one process to the next as it would between runs, instead of repeating
    # the same lucky or unlucky layout in every pass.
    layout_padding_bytes: int = 0
    protocol: int = PROTOCOL

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @staticmethod
    def from_json(text: str) -> PassSpec:
        try:
            raw = json.loads(text)
            if raw.get("protocol") != PROTOCOL:
                raise SpecError(
                    f"pass spec protocol {raw.get('protocol')!r}; this interop-bench speaks "
                    f"{PROTOCOL}"
                )
            profile = raw["profile"]
            profile["sizes"] = tuple(profile["sizes"])
            jobs = tuple(JobSpec(**job) for job in raw["jobs"])
            for job in jobs:
                try:
                    ops.parse_label(job.op)
                except ValueError as error:
                    raise SpecError(f"in the pass spec: {error}") from None
            history = {k: [(int(s), float(m)) for s, m in v] for k, v in raw["history"].items()}
            return PassSpec(
                **{**raw, "profile": Profile(**profile), "jobs": jobs, "history": history}
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, SpecError):
                raise
            raise SpecError(f"not a pass spec: {error}") from error


def key(name: str, op: str) -> str:
    return f"{name}|{op}"
