"""The plain progress lines of a run whose stderr is not a terminal (a CI log),
on a fake clock: when they are printed and what time they say is left."""

from __future__ import annotations

import io

from interop_bench.runner.progress import LOG_EVERY_S, Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def progress() -> tuple[Progress, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    return Progress(processes=4, quiet=False, stream=stream, clock=clock), stream, clock


def test_a_plain_line_at_most_every_few_seconds() -> None:
    shown, stream, clock = progress()
    for step in range(100):  # 100 updates over 50 s
        clock.now = step * 0.5
        shown.update(step, 400, 0)
    lines = stream.getvalue().splitlines()
    assert len(lines) == int(50 / LOG_EVERY_S)
    assert all("\r" not in line for line in lines)
    assert lines[0].startswith("interop-bench run: pass 1 of 4: 0 of 400 cell-passes (0%)")


def test_time_left_is_the_mean_pass_once_one_has_ended() -> None:
    shown, stream, clock = progress()
    shown.update(0, 400, 0)
    # The first pass: 90 cell-passes in 20 s, 310 to go by that rate (69 s); marked rough.
    clock.now = 20.0
    shown.update(90, 400, 0)
    assert "about 1.1 min left (rough until a pass has ended)" in stream.getvalue()
    clock.now = 100.0  # pass 1 took 100 s
    shown.update(100, 400, 1)
    clock.now = 130.0  # 30 s into pass 2: 70 s of it and two more passes of 100 s
    shown.update(120, 400, 1)
    last = stream.getvalue().splitlines()[-1]
    assert last.endswith(f"about {270 / 60:.1f} min left")


def test_quiet_prints_nothing() -> None:
    stream = io.StringIO()
    Progress(processes=2, quiet=True, stream=stream).update(1, 2, 0)
    assert stream.getvalue() == ""
