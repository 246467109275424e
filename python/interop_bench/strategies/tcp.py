"""`tcp`: the ib_worker as a network peer, over a TCP stream socket.

The same length-prefixed protocol as `pipe` and `uds` (strategies/_ipc_core/protocol.hpp)
after a handshake that proves both ends hold a shared secret (_transport/net_peer.py).
Best honest use: TCP_NODELAY on both ends (a request's header never waits for
the previous segment's ACK), header and array go out in one sendmsg of a
memoryview of the array (the rest with sendall), the answer is read with
recv_into straight into its final, preallocated array, and the kernel's TCP
buffer autotuning is left on (setting SO_SNDBUF / SO_RCVBUF would cap it at
net.core.*mem_max, below what it reaches by itself). Every transfer is bounded
by SO_RCVTIMEO / SO_SNDTIMEO (IO_TIMEOUT_S): a peer that stops answering half
way gives a clear error, never a hang.

The peer is the strategy's own on 127.0.0.1 by default (started at open,
serving only this client, dying with this process), or one that is already
running, maybe on another host: `interop-bench run --peer tcp=HOST:PORT`
(INTEROP_BENCH_PEERS, see _transport/net_peer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport.socket_stream import SocketStreamStrategy
from interop_bench.strategies._transport.worker import WorkerProcess
from interop_bench.strategies.base import Family


class TcpStrategy(SocketStreamStrategy):
    name = "tcp"
    family: ClassVar[Family] = "network"
    description = (
        "ib_worker as a network peer over TCP (loopback, or --peer HOST:PORT): one sendmsg "
        "of header + array, recv_into the result array, TCP_NODELAY"
    )
    copies_note = (
        "bytes cross twice each way (into the kernel's socket buffer, out of it, through "
        "the TCP stack and the link); a strided matrix is packed first, a frame as pipe's is "
        "(in place unless its padding outweighs its pixels)"
    )
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/_net_peer/tcp_peer.cpp",
        "strategies/_net_peer/net_listen.cpp",
        "strategies/_net_peer/peer_auth.cpp",
        "strategies/_ipc_core/pipe_server.cpp",
        "strategies/_ipc_core/requests.cpp",
    )

    def __init__(
        self, worker_flags: Sequence[str] = (), io_timeout_s: float = net_peer.IO_TIMEOUT_S
    ) -> None:
        """`worker_flags` (tests): flags of the local peer, e.g. ("--fault=slow",)."""
        super().__init__(worker_flags)
        self._io_timeout_s = io_timeout_s
        self.address: net_peer.Address | None = None  # the peer's, while open

    def _open(self) -> None:
        address = net_peer.configured(self.name)
        if address is None:
            worker, address, secret = net_peer.start_local(("--once", *self._worker_flags))
            self._worker = worker
        else:
            secret = net_peer.configured_secret()
            self._worker = net_peer.RemotePeer(address)
        try:
            self._socket = net_peer.connect(address, secret, self._io_timeout_s or 0.0)
        except BaseException:
            peer, self._worker = self._worker, None
            peer.kill()
            if isinstance(peer, WorkerProcess):
                peer.stop()
            raise
        self.address = address
