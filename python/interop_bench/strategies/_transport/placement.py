"""Where a run's processes run: the CPUs of the measuring (caller) process and of
every worker or local peer it starts, as the runner resolved them from a named
placement (runner/placement.py) and handed them down in CPUS_VARIABLE:

    INTEROP_BENCH_CPUS="caller=0;worker=1"    caller on CPU 0, each worker on CPU 1

Unset (the `os` placement): nothing is pinned and the scheduler decides, as
before placements existed. A process is started on its CPUs by `running_on`:
the starting thread moves there for the moment of the fork, so the child
inherits the affinity before it runs a line of its own or starts a thread of
its own (sched_setaffinity(pid) after the spawn would race with those threads).
A placed row (runner/placed_rows.py) starts its workers on its own CPUs
(`workers_on`) and runs its caller's turns on its caller CPUs (`running_on`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass

CPUS_VARIABLE = "INTEROP_BENCH_CPUS"


@dataclass(frozen=True)
class Cpus:
    """The CPUs the caller may run on, and those each worker it starts may run on."""

    caller: tuple[int, ...]
    worker: tuple[int, ...]

    def encoded(self) -> str:
        return f"caller={format_cpu_list(self.caller)};worker={format_cpu_list(self.worker)}"


def parse_cpu_list(text: str) -> tuple[int, ...]:
    """The kernel's CPU list format ("0-3,8,10-11") -> sorted CPUs; ValueError if malformed."""
    cpus: set[int] = set()
    for part in filter(None, (p.strip() for p in text.strip().split(","))):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"not a CPU list: {text!r}")
        cpus.update(range(int(first), int(last if dash else first) + 1))
    return tuple(sorted(cpus))


def format_cpu_list(cpus: Collection[int]) -> str:
    """Sorted CPUs -> the kernel's CPU list format, runs joined ("0-3,8")."""
    runs: list[list[int]] = []
    for cpu in sorted(cpus):
        if runs and cpu == runs[-1][1] + 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def decode(text: str) -> Cpus | None:
    """CPUS_VARIABLE's value -> Cpus; None when empty; ValueError naming a bad value."""
    if not text.strip():
        return None
    roles = dict(part.partition("=")[::2] for part in text.split(";"))
    if set(roles) != {"caller", "worker"}:
        raise ValueError(f"{CPUS_VARIABLE}={text!r}: expected caller=CPUS;worker=CPUS")
    cpus = Cpus(parse_cpu_list(roles["caller"]), parse_cpu_list(roles["worker"]))
    if not cpus.caller or not cpus.worker:
        raise ValueError(f"{CPUS_VARIABLE}={text!r}: a role without CPUs")
    return cpus


def configured() -> Cpus | None:
    """The CPUs this run's processes are pinned to; None: unpinned (`os`)."""
    return decode(os.environ.get(CPUS_VARIABLE, ""))


@contextlib.contextmanager
def running_on(cpus: Collection[int] | None) -> Iterator[None]:
    """This thread on `cpus` for the block (None: where it is), its own affinity
    restored afterwards. Around starting a process, the process starts there."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as error:  # e.g. a resumed run's CPUs, no longer allowed
        raise OSError(
            error.errno,
            f"cannot run on CPUs {format_cpu_list(cpus)} ({CPUS_VARIABLE}): {error.strerror}",
        ) from None
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextlib.contextmanager
def workers_on(cpus: Cpus) -> Iterator[None]:
    """The workers and local peers started in the block start on `cpus`'s worker
    CPUs, whatever the run's placement (a placed row's, runner/placed_rows.py)."""
    before = os.environ.get(CPUS_VARIABLE)
    os.environ[CPUS_VARIABLE] = cpus.encoded()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CPUS_VARIABLE, None)
        else:
            os.environ[CPUS_VARIABLE] = before


def starting_worker() -> contextlib.AbstractContextManager[None]:
    """Around starting a worker or a local peer: on the run's worker CPUs."""
    cpus = configured()
    return running_on(cpus.worker if cpus else None)


def starting_caller() -> contextlib.AbstractContextManager[None]:
    """Around starting a measuring process: on the run's caller CPUs."""
    cpus = configured()
    return running_on(cpus.caller if cpus else None)
