"""`pipe`: the ib_worker over its stdin/stdout, what many subprocess users do.

Each request is a fixed header (strategies/_ipc_core/protocol.hpp) carrying the
array's dtype code, followed by its raw little-endian bytes (any dtype of
ops.DTYPES; the worker runs the kernel of that element type); each response a
header (an integer dtype's sum exact, in its own field) followed by the result
bytes (_transport/worker_strategy.py, _transport/stream_strategy.py). Best
honest use: the header and the array go out in one writev, the answer is read
with readinto straight into its final array (the caller's, for square), and
both pipes are enlarged to the system's maximum so that big arrays cross in
fewer, larger chunks.

Phases (`call_with_phases`): send (pack the header, write header and payload
into the pipe; for payloads larger than the pipe buffer this overlaps the
worker reading them), round_trip (until the response header arrives: the
worker's kernel and its reply), receive (read the reply payload, the checks).
"""

from __future__ import annotations

from typing import ClassVar

from interop_bench.strategies._transport.stream_strategy import PipeStreamStrategy
from interop_bench.strategies._transport.worker import WorkerProcess, enlarge_pipes


class PipeStrategy(PipeStreamStrategy):
    name = "pipe"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/_ipc_core/pipe_server.cpp",
        "strategies/_ipc_core/frames.cpp",
        "strategies/_ipc_core/requests.cpp",
        "strategies/_ipc_core/stream_io.cpp",
    )
    description = "worker process over stdin/stdout pipes: length-prefixed raw typed bytes"
    copies_note = (
        "bytes cross twice each way (write into the kernel's pipe buffer, read out of it); "
        "a strided matrix is packed first; a padded or cropped frame goes out in place with "
        "its padding while that is no larger than its pixels, else packed first"
    )

    def _open(self) -> None:
        worker = self._worker = WorkerProcess(["--pipe", *self._worker_flags], pipes=True)
        self._use_pipes(worker)
        enlarge_pipes(self._to_fd, self._from_fd)
