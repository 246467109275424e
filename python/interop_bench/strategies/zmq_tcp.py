"""`zmq-tcp`: `zmq`'s exchange (pyzmq send/recv with copy=False, the cppzmq
worker's request handling) over tcp:// to ib_zmq_worker as a network peer,
CURVE-encrypted: what a service built on ZeroMQ across hosts runs.

The peer is the strategy's own on 127.0.0.1 by default (started at open,
serving this client until its STOP, dying with this process), or one already
running, maybe on another host (`interop-bench run --peer zmq-tcp=HOST:PORT`,
as _transport/net_peer.py describes; started there with `ib_zmq_worker
--listen=HOST:PORT --allow-remote --secret-file=FILE`).

Security: the peer serves only clients holding the shared secret, by CURVE with
both key pairs derived from it (_transport/zmq_tcp_channel.py): the secret never crosses
the network. CURVE also encrypts every frame, on loopback too: the strategy
measures it by default because ZeroMQ has no mechanism that authenticates
without encrypting (PLAIN sends the password in clear), a peer reachable from
the network must authenticate, and one protocol on every link keeps loopback
and emulated-link files comparable. `zmq-tcp-plain` (ZmqTcpPlainStrategy: NULL
security, the peer's --no-curve, which it refuses with --allow-remote) measures
what the encryption costs, on loopback only.

Phases as zmq's: send, round_trip, receive.
"""

from __future__ import annotations

import os
from typing import ClassVar

from interop_bench.strategies._transport import net_peer, zmq_channel
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess
from interop_bench.strategies._transport.zmq_strategy import ZmqExchangeStrategy
from interop_bench.strategies._transport.zmq_tcp_channel import ZmqTcpChannel
from interop_bench.strategies.base import Family


class ZmqTcpStrategy(ZmqExchangeStrategy):
    name = "zmq-tcp"
    family: ClassVar[Family] = "network"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/zmq/zmq_peer.cpp",
        "strategies/_net_peer/net_listen.cpp",
        "strategies/zmq/curve_keys.cpp",
        "strategies/zmq/zmq_server.cpp",
        "strategies/zmq/zmq_worker.cpp",
        "strategies/_ipc_core/frames.cpp",
        "strategies/_ipc_core/requests.cpp",
    )
    description = (
        "C++ peer (cppzmq) over a ZeroMQ DEALER/REP pair on tcp:// (loopback, or --peer "
        "HOST:PORT), CURVE-encrypted with keys from the shared secret: pyzmq send(copy=False), "
        "recv(copy=False) wrapped by NumPy"
    )
    copies_note = (
        "in: pyzmq hands libzmq the array's own memory (no copy, copy_threshold 0); CURVE "
        "copies each frame into a plaintext buffer and encrypts it into a new message, the "
        "kernel copies it into the TCP socket and out of it on the peer's side (through the "
        "link), where libzmq decrypts it into a buffer and copies that into a message of its "
        "own, which the worker's kernel reads (or an aligned copy of it); out: the same way "
        "back from the worker's output buffer (square: the request's message squared in "
        "place), recv(copy=False) keeps the decrypted message as a Frame that NumPy wraps as "
        "scale's and frame's result and square copies into the caller's array; without CURVE "
        "(zmq-tcp-plain) only the kernel's copies remain; a strided matrix is packed first; a "
        "padded or cropped frame goes out with its padding while that is no larger than its "
        "pixels, else packed first"
    )

    # CURVE on every frame; False (zmq-tcp-plain): NULL security, loopback only.
    curve: ClassVar[bool] = True
    address: net_peer.Address | None = None  # the peer's, while open

    def _open(self) -> None:
        address = net_peer.configured(self.name)
        local: WorkerProcess | None = None
        if address is None:
            flags = ["--once", f"--max-message-bytes={zmq_channel.MAX_MESSAGE_BYTES}"]
            flags += self._worker_flags
            flags += [] if self.curve else ["--no-curve"]
            local, address, secret = net_peer.start_local(flags, program=zmq_channel.WORKER)
        else:
            secret = net_peer.configured_secret()
        try:
            channel = ZmqTcpChannel(
                address, secret, worker=local, curve=self.curve, copy_threshold=0
            )
        except BaseException:
            if local is not None:
                local.kill()
                local.stop()
            raise
        self._channel, self.address = channel, address
        self._worker = local if local is not None else net_peer.RemotePeer(address)


class ZmqTcpPlainStrategy(ZmqTcpStrategy):
    """zmq-tcp without CURVE, next to it in one run: what the encryption costs.
    ZeroMQ's NULL security lets in any client, so this variant only ever talks
    to a peer of its own on loopback, and refuses a run against peers elsewhere
    (whose files are labelled with their link) rather than measure loopback there."""

    name = "zmq-tcp-plain"
    curve: ClassVar[bool] = False
    description = (
        "zmq-tcp without CURVE (ZeroMQ's NULL security, loopback only): the C++ peer (cppzmq) "
        "over a DEALER/REP pair on tcp://127.0.0.1, pyzmq send(copy=False), recv(copy=False) "
        "wrapped by NumPy"
    )
    copies_note = (
        "in: pyzmq hands libzmq the array's own memory (no copy, copy_threshold 0), the kernel "
        "copies it into the TCP socket and out of it on the peer's side, into a message of "
        "libzmq's, which the worker's kernel reads (or an aligned copy of it); out: the same "
        "way back from the worker's output buffer (square: the request's message squared in "
        "place), recv(copy=False) keeps the message as a Frame that NumPy wraps as scale's and "
        "frame's result and square copies into the caller's array; a strided matrix is packed "
        "first; a padded or cropped frame goes out with its padding while that is no larger "
        "than its pixels, else packed first"
    )

    def _open(self) -> None:
        if os.environ.get(net_peer.PEERS_VARIABLE):
            raise WorkerError(
                f"{self.name} runs on loopback only (ZeroMQ's NULL security lets in anyone), "
                f"and this run measures peers elsewhere ({net_peer.PEERS_VARIABLE}); "
                "zmq-tcp is its authenticated, encrypted counterpart"
            )
        super()._open()
