"""The machine's noise during a run, from what the results file recorded.

Each pass records, per (op, size) group, the share of CPU time the
hypervisor gave to other guests (steal) and the share other processes of
this machine used; a group above the thresholds below is named, so the
reader knows which cells were measured in bad weather (their intervals say
how much it mattered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop_bench.analysis.load import Results

# Above these shares of all CPU time a group's measurements compete with
# something: on 2 cores, another process using a quarter of the machine is
# half a core, and 5% steal is the hypervisor taking one core for 1 ms in 10.
HIGH_STEAL_SHARE = 0.05
HIGH_OTHERS_SHARE = 0.25


@dataclass(frozen=True)
class NoisyGroup:
    pass_index: int
    op: str
    size: int
    steal_share: float
    others_busy_share: float

    def sentence(self) -> str:
        parts = []
        if self.steal_share > HIGH_STEAL_SHARE:
            parts.append(f"the hypervisor took {self.steal_share:.0%} of the CPU time (steal)")
        if self.others_busy_share > HIGH_OTHERS_SHARE:
            parts.append(f"other processes used {self.others_busy_share:.0%} of the CPUs")
        return f"pass {self.pass_index}, {self.op} at {self.size:,} elements: " + " and ".join(
            parts
        )


def noisy_groups(results: Results) -> list[NoisyGroup]:
    found = []
    for launch in results.passes:
        for group in launch.get("groups") or []:
            steal = _share(group, "steal_share")
            others = _share(group, "others_busy_share")
            if steal > HIGH_STEAL_SHARE or others > HIGH_OTHERS_SHARE:
                found.append(
                    NoisyGroup(
                        int(launch["pass"]), str(group["op"]), int(group["size"]), steal, others
                    )
                )
    return found


def worst_shares(results: Results) -> tuple[float, float] | None:
    """The largest steal and others-busy shares of any group, or None without records."""
    groups = [g for launch in results.passes for g in launch.get("groups") or []]
    if not groups:
        return None
    return (
        max(_share(g, "steal_share") for g in groups),
        max(_share(g, "others_busy_share") for g in groups),
    )


def _share(group: dict[str, Any], key: str) -> float:
    value = group.get(key)
    return float(value) if isinstance(value, int | float) else 0.0
