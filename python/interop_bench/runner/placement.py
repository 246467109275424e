"""Named placements of a run's processes on the machine's CPUs, from its topology.

A cross-process strategy's small calls wait for another process, and what that
wait costs depends on where the two run: on one CPU (each call switches from
one process to the other), on two cores (each call wakes the other core, or
moves cache lines between them), or wherever the scheduler puts them this time.
A placement names that choice for the measuring (caller) process and every
worker or local peer it starts:

    os            nothing pinned: the scheduler decides, afresh in every run
    same-core     caller and workers pinned to one CPU
    other-core    caller on one CPU, workers on a CPU of another core of the same
                  package, one that shares the caller's L3 where there is one
    other-l3      workers on another core of the same package with another L3
    other-socket  workers on a CPU of another package

A machine offers those its topology has (this process's affinity counts: CPUs
it may not use are not offered). The caller takes the lowest CPU it may use.
The runner hands the CPUs down in strategies/_transport/placement.py's variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interop_bench.runner.plan import PlanError
from interop_bench.strategies._transport.placement import CPUS_VARIABLE, Cpus, parse_cpu_list

SYSFS_CPUS = Path("/sys/devices/system/cpu")
OS = "os"
NAMES = (OS, "same-core", "other-core", "other-l3", "other-socket")


class PlacementError(PlanError):
    """A placement that is unknown or that this machine cannot provide; the message
    says which (a PlanError: the commands report it as they report a bad selection)."""


@dataclass(frozen=True)
class Cpu:
    cpu: int
    core_id: int
    package_id: int
    l3_cpus: tuple[int, ...]  # the CPUs sharing its L3 cache; () when the kernel does not tell

    @property
    def core(self) -> tuple[int, int]:
        """core_id is unique within a package only."""
        return (self.package_id, self.core_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "cpu": self.cpu,
            "core_id": self.core_id,
            "package_id": self.package_id,
            "l3_cpus": list(self.l3_cpus),
        }


@dataclass(frozen=True)
class Placement:
    name: str
    cpus: Cpus | None  # None: unpinned (os)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "caller_cpus": list(self.cpus.caller) if self.cpus else None,
            "worker_cpus": list(self.cpus.worker) if self.cpus else None,
        }


UNPINNED = Placement(OS, None)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def read_topology(root: Path = SYSFS_CPUS) -> tuple[Cpu, ...]:
    """The online CPUs under `root` (a /sys/devices/system/cpu tree) with their
    core, package and L3; () when the tree does not tell (not Linux, no sysfs)."""
    try:
        online = set(parse_cpu_list((root / "online").read_text()))
    except (OSError, ValueError):
        online = None
    found = []
    for entry in sorted(root.glob("cpu[0-9]*")):
        match = re.fullmatch(r"cpu(\d+)", entry.name)
        if match is None or (online is not None and int(match.group(1)) not in online):
            continue
        core = _read_int(entry / "topology" / "core_id")
        package = _read_int(entry / "topology" / "physical_package_id")
        if core is None or package is None:
            continue
        try:
            l3 = parse_cpu_list((entry / "cache" / "index3" / "shared_cpu_list").read_text())
        except (OSError, ValueError):
            l3 = ()
        found.append(Cpu(int(match.group(1)), core, package, l3))
    return tuple(sorted(found, key=lambda cpu: cpu.cpu))


def available(topology: Collection[Cpu], allowed: Collection[int]) -> dict[str, Cpus | None]:
    """Every placement the CPUs of `topology` that are `allowed` support, resolved
    (the caller on the lowest of them), in NAMES order."""
    usable = [cpu for cpu in topology if cpu.cpu in allowed]
    found: dict[str, Cpus | None] = {OS: None}
    if not usable:
        return found
    caller = usable[0]
    others = [cpu for cpu in usable if cpu.core != caller.core]
    same_package = [cpu for cpu in others if cpu.package_id == caller.package_id]
    shared_l3 = [cpu for cpu in same_package if cpu.cpu in caller.l3_cpus]
    other_l3 = [cpu for cpu in same_package if caller.l3_cpus and cpu.cpu not in caller.l3_cpus]
    candidates = {
        "same-core": [caller],
        "other-core": shared_l3 or same_package,
        "other-l3": other_l3,
        "other-socket": [cpu for cpu in others if cpu.package_id != caller.package_id],
    }
    for name, workers in candidates.items():
        if workers:
            found[name] = Cpus((caller.cpu,), (workers[0].cpu,))
    return found


def resolve(
    name: str,
    topology: Collection[Cpu] | None = None,
    allowed: Collection[int] | None = None,
) -> Placement:
    """The placement `name` on this machine (or on `topology` with `allowed` CPUs);
    PlacementError naming what is wrong."""
    if name not in NAMES:
        raise PlacementError(f"unknown placement {name!r}: choose one of {', '.join(NAMES)}")
    if name == OS:
        return UNPINNED
    cpus_seen = read_topology() if topology is None else tuple(topology)
    may_use = os.sched_getaffinity(0) if allowed is None else set(allowed)
    offered = available(cpus_seen, may_use)
    if name not in offered:
        raise PlacementError(
            f"this machine cannot provide placement {name}: {describe(cpus_seen, may_use)}; "
            f"it offers {', '.join(offered)}"
        )
    return Placement(name, offered[name])


def describe(topology: Collection[Cpu], allowed: Collection[int]) -> str:
    """'CPUs 0-1 on 2 cores of 1 package' (those this process may use)."""
    usable = [cpu for cpu in topology if cpu.cpu in allowed]
    if not usable:
        return "the kernel does not tell its CPU topology"
    cores = len({cpu.core for cpu in usable})
    packages = len({cpu.package_id for cpu in usable})
    listed = ",".join(str(cpu.cpu) for cpu in usable)
    return (
        f"this process may run on CPUs {listed}, on {cores} core{'s' * (cores != 1)} "
        f"of {packages} package{'s' * (packages != 1)}"
    )


def stored(block: Mapping[str, Any] | None) -> Placement:
    """The placement a results file's request records (Placement.as_json); files
    written before placements ran unpinned."""
    if not block:
        return UNPINNED
    caller, worker = block.get("caller_cpus"), block.get("worker_cpus")
    cpus = Cpus(tuple(caller), tuple(worker)) if caller and worker else None
    return Placement(str(block["name"]), cpus)


def configure(chosen: Placement) -> None:
    """Hand the placement to the processes this one starts (runner/passes.py,
    strategies/_transport/worker.py read it)."""
    if chosen.cpus is None:
        os.environ.pop(CPUS_VARIABLE, None)
    else:
        os.environ[CPUS_VARIABLE] = chosen.cpus.encoded()


def check_baseline(chosen: Placement, source: Path) -> None:
    """`ab`'s baseline built from `source` pins its workers as this placement says:
    a tree from before placements starts them on its caller's CPUs (same-core)."""
    moved = chosen.cpus is not None and chosen.cpus.worker != chosen.cpus.caller
    module = source / "python" / "interop_bench" / "strategies" / "_transport" / "placement.py"
    if moved and not module.exists():
        raise PlacementError(
            f"the baseline predates placements: its workers would run on the caller's CPU, "
            f"not as {chosen.name} says; compare with --placement same-core or os"
        )


def topology_json(topology: Collection[Cpu] | None = None) -> dict[str, Any]:
    """The `environment.topology` block: the online CPUs and the placements this run could use."""
    cpus = read_topology() if topology is None else tuple(topology)
    return {
        "cpus": [cpu.as_json() for cpu in cpus],
        "placements": list(available(cpus, os.sched_getaffinity(0))),
    }
