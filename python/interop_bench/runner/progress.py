"""Progress of a run: a tqdm bar on a terminal, a plain line now and then in a log.

A CI log is not a terminal: tqdm's carriage-return updates would pile up into
one enormous line there, so when stderr is not a TTY a line like
`pass 2 of 5: 183 of 1840 cell-passes (10%), about 3.2 min left` is printed
every LOG_EVERY_S seconds instead.
"""

from __future__ import annotations

import sys
from time import monotonic
from typing import TextIO

from tqdm import tqdm

LOG_EVERY_S = 10.0


class Progress:
    def __init__(self, processes: int, quiet: bool, stream: TextIO | None = None) -> None:
        self.processes = processes
        self.stream = stream if stream is not None else sys.stderr  # the one of the moment
        self.quiet = quiet
        self.interactive = not quiet and _is_terminal(self.stream)
        self._bar: tqdm | None = None
        self._started = monotonic()
        self._first_done: int | None = None
        self._last_line = 0.0

    def update(self, done: int, expected: int, pass_index: int) -> None:
        if self.quiet:
            return
        where = f"pass {pass_index + 1} of {self.processes}"
        if self.interactive:
            self._tty(done, expected, where)
        elif monotonic() - self._last_line >= LOG_EVERY_S:
            self._log(done, expected, where)

    def _tty(self, done: int, expected: int, where: str) -> None:
        if self._bar is None:
            self._bar = tqdm(
                total=expected, initial=done, unit="cell", file=self.stream, dynamic_ncols=True
            )
        self._bar.total = max(expected, done)
        self._bar.n = done
        self._bar.set_postfix_str(where, refresh=False)
        self._bar.refresh()

    def _log(self, done: int, expected: int, where: str) -> None:
        now = monotonic()
        if self._first_done is None:  # a resumed run: rate from what this session measured
            self._first_done, self._started = done, now
        self._last_line = now
        share = done / expected if expected else 1.0
        measured = done - self._first_done
        left = ""
        if measured > 0 and expected > done:
            seconds = (now - self._started) / measured * (expected - done)
            left = f", about {seconds / 60:.1f} min left"
        print(
            f"interop-bench run: {where}: {done} of {expected} cell-passes ({share:.0%}){left}",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False
