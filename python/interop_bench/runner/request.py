"""What a run measures: strategies x ops x sizes, the floors beside them, in how many processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interop_bench.ops import Op
from interop_bench.results_file import KERNEL
from interop_bench.runner import floor_turns
from interop_bench.runner.plan import Profile

Key = tuple[str, str, int]


@dataclass(frozen=True)
class Request:
    strategies: tuple[str, ...]
    ops: tuple[Op, ...]
    sizes: tuple[int, ...]
    profile: Profile
    seed: int = 0
    processes: int = 0  # 0: the profile's
    floors: bool = True  # the kernel alone and the bandwidth probes as turns of every group
    slowdown: dict[str, float] = field(default_factory=dict)  # validation runs only
    instructions: bool = False  # count instructions per call of the small cells (Valgrind)

    @property
    def process_count(self) -> int:
        return self.processes or self.profile.processes

    def as_json(self) -> dict[str, Any]:
        return {
            "strategies": list(self.strategies),
            "ops": list(self.ops),
            "sizes": list(self.sizes),
            "profile": self.profile.name,
            "seed": self.seed,
            "cell_budget_s": self.profile.cell_budget_s,
            "processes": self.process_count,
            "floors": self.floors,
            "inject_slowdown": dict(self.slowdown),
            "instructions": self.instructions,
        }

    def cell_keys(self) -> list[Key]:
        """Every cell of the run in measuring order: sizes, then ops, then names
        (the strategies', then the floors': the kernel for every op, the probes
        in the groups of the first op)."""
        keys: list[Key] = []
        for size in self.sizes:
            for op in self.ops:
                keys += [(name, op, size) for name in self.strategies]
                if self.floors:
                    keys.append((KERNEL, op, size))
                    if op == self.ops[0]:
                        keys += [(probe, op, size) for probe in floor_turns.PROBES]
        return keys

    @property
    def cell_count(self) -> int:
        return len(self.cell_keys())
