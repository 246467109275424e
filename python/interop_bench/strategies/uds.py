"""`uds`: the ib_worker over a Unix domain stream socket, what a local service does.

The same length-prefixed protocol as `pipe` (strategies/_ipc_core/protocol.hpp), and
the same worker loop: its stdin and stdout are one end of a socketpair
(AF_UNIX, SOCK_STREAM), so no socket file exists and none can be left behind.
Best honest use: header and array go out in one sendmsg (the rest with
sendall), the answer is read with recv_into straight into its final array,
and both ends' buffers are raised to the largest the system allows without
privileges (net.core.wmem_max / rmem_max).
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import ClassVar

from interop_bench.strategies._transport.socket_stream import SocketStreamStrategy
from interop_bench.strategies._transport.worker import WorkerProcess

_BUFFER_LIMITS = {
    socket.SO_SNDBUF: Path("/proc/sys/net/core/wmem_max"),
    socket.SO_RCVBUF: Path("/proc/sys/net/core/rmem_max"),
}


def enlarge_buffers(*ends: socket.socket) -> None:
    """Each end's send and receive buffers at the system's unprivileged maximum;
    where that cannot be read or set, the default stays."""
    for option, limit in _BUFFER_LIMITS.items():
        with contextlib.suppress(OSError, ValueError):
            size = int(limit.read_text())
            for end in ends:
                end.setsockopt(socket.SOL_SOCKET, option, size)


class UdsStrategy(SocketStreamStrategy):
    name = "uds"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/_ipc_core/pipe_server.cpp",
        "strategies/_ipc_core/frames.cpp",
        "strategies/_ipc_core/requests.cpp",
        "strategies/_ipc_core/stream_io.cpp",
    )
    description = (
        "worker process over a Unix domain stream socket (socketpair): one sendmsg of "
        "header + array, recv_into the result array"
    )
    copies_note = (
        "bytes cross twice each way (into the kernel's socket buffer, out of it); "
        "a strided matrix is packed first, a frame as pipe's is (in place unless its padding "
        "outweighs its pixels)"
    )

    def _open(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            enlarge_buffers(mine, theirs)
            self._worker = WorkerProcess(["--pipe", *self._worker_flags], stream=theirs)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()  # the worker holds its own copy
        self._socket = mine
