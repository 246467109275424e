"""Progress of a run: a tqdm bar on a terminal, a plain line now and then in a log.

A CI log is not a terminal: tqdm's carriage-return updates would pile up into
one enormous line there, so when stderr is not a TTY a line like
`pass 2 of 5: 183 of 1840 cell-passes (10%), about 3.2 min left` is printed
every LOG_EVERY_S seconds instead.

Cells differ a thousandfold in length (a call of 8 B against one of 80 MB), so
a rate of cell-passes misleads; every pass measures the same cells, so once a
pass has ended the time left is the mean pass's length times the passes to
go, less what the current one has run. Before that the rate is all there is,
and the line says the estimate is rough.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from time import monotonic
from typing import TextIO

from tqdm import tqdm

LOG_EVERY_S = 10.0


class Progress:
    def __init__(
        self,
        processes: int,
        quiet: bool,
        stream: TextIO | None = None,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self.processes = processes
        self.stream = stream if stream is not None else sys.stderr  # the one of the moment
        self.quiet = quiet
        self.interactive = not quiet and _is_terminal(self.stream)
        self._bar: tqdm | None = None
        self._clock = clock
        self._started = clock()
        self._first_done: int | None = None
        self._last_line = -LOG_EVERY_S
        self._pass_started: dict[int, float] = {}  # pass index -> when it was first seen

    def update(self, done: int, expected: int, pass_index: int) -> None:
        if self.quiet:
            return
        self._pass_started.setdefault(pass_index, self._clock())
        where = f"pass {pass_index + 1} of {self.processes}"
        if self.interactive:
            self._tty(done, expected, where)
        elif self._clock() - self._last_line >= LOG_EVERY_S:
            self._log(done, expected, where, pass_index)

    def _tty(self, done: int, expected: int, where: str) -> None:
        if self._bar is None:
            self._bar = tqdm(
                total=expected, initial=done, unit="cell", file=self.stream, dynamic_ncols=True
            )
        self._bar.total = max(expected, done)
        self._bar.n = done
        self._bar.set_postfix_str(where, refresh=False)
        self._bar.refresh()

    def _log(self, done: int, expected: int, where: str, pass_index: int) -> None:
        now = self._clock()
        if self._first_done is None:  # a resumed run: rate from what this session measured
            self._first_done, self._started = done, now
        self._last_line = now
        share = done / expected if expected else 1.0
        seconds, rough = self._seconds_left(done, expected, pass_index, now)
        left = "" if seconds is None else f", about {seconds / 60:.1f} min left"
        if seconds is not None and rough:
            left += " (rough until a pass has ended)"
        print(
            f"interop-bench run: {where}: {done} of {expected} cell-passes ({share:.0%}){left}",
            file=self.stream,
            flush=True,
        )

    def _seconds_left(
        self, done: int, expected: int, pass_index: int, now: float
    ) -> tuple[float | None, bool]:
        """Seconds to go, and whether they rest on the cell-pass rate alone."""
        starts = self._pass_started
        lengths = [starts[i + 1] - starts[i] for i in starts if i < pass_index and i + 1 in starts]
        if lengths:
            mean = sum(lengths) / len(lengths)
            into = now - starts[pass_index]
            return max(0.0, mean * (self.processes - pass_index) - into), False
        measured = done - (self._first_done or 0)
        if measured <= 0 or expected <= done:
            return None, True
        return (now - self._started) / measured * (expected - done), True

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False
