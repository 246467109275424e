"""The channel behind `zmq-tcp`: a DEALER socket connected over tcp:// to the
ib_zmq_worker listening as a network peer (strategies/zmq/zmq_peer.cpp),
CURVE-encrypted with keys derived from the peer's shared secret.

Keys: each side's CURVE secret key is HMAC-SHA256(secret, its label), its public
key follows from it (zmq.curve_public), exactly as the peer derives them
(strategies/zmq/curve_keys.hpp). The client knows the server's public key from
the secret, the peer's ZAP handler lets in only the client key derived from it:
a client without the secret fails the CURVE handshake, and the secret never
crosses the network.

Liveness: a monitor socket reports the handshake's outcome and every lost
connection (a peer killed, a frame over ZMQ_MAXMSGSIZE dropped, TCP keep-alive
unanswered), and a local peer's pidfd its death: a wait ends in a clear error at
once instead of a wait for a reply that can no longer come; a peer that
lives but says nothing, or a host that vanished without a reset, meets
REPLY_TIMEOUT_S. (No ZMTP heartbeats: libzmq resets their timeout only on a whole
message, so a PONG queued behind a large frame on a slow link would drop a
healthy connection.)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import select
from time import monotonic

import zmq
from zmq.utils import z85
from zmq.utils.monitor import recv_monitor_message

from interop_bench.strategies._transport.net_peer import CONNECT_TIMEOUT_S, SECRET_VARIABLE, Address
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess
from interop_bench.strategies._transport.zmq_channel import ZmqRequester

# The labels of the two key pairs, as strategies/zmq/curve_keys.hpp has them.
SERVER_KEY_LABEL = b"interop-bench zmq-tcp curve server"
CLIENT_KEY_LABEL = b"interop-bench zmq-tcp curve client"
# A local peer's connection may close a moment before its pidfd says it died:
# this long for the pidfd, to name the death rather than only the lost connection.
DEATH_GRACE_S = 1.0
_HANDSHAKE_FAILED = (
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
    zmq.EVENT_HANDSHAKE_FAILED_AUTH,
)
_WATCHED = (
    zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


def key_pair(secret: bytes, label: bytes) -> tuple[bytes, bytes]:
    """(public, secret) CURVE keys of `label` for `secret`, in Z85."""
    secret_key = z85.encode(hmac.new(secret, label, hashlib.sha256).digest())
    return zmq.curve_public(secret_key), secret_key


class ZmqTcpChannel(ZmqRequester):
    """One DEALER socket connected to the peer at `address`; `worker`: that peer,
    when this process started it (its pidfd is watched too; it is the caller's
    to stop before `close`)."""

    def __init__(
        self,
        address: Address,
        secret: bytes,
        *,
        worker: WorkerProcess | None,
        curve: bool,
        copy_threshold: int,
    ) -> None:
        super().__init__(copy_threshold=copy_threshold)
        self.address, self.worker = address, worker
        try:
            self._configure(secret, curve)
            self._monitor = self.socket.get_monitor_socket(_WATCHED)
            self._pidfd = os.pidfd_open(worker.pid) if worker is not None else -1
            self._watch(self._monitor, *([self._pidfd] if self._pidfd >= 0 else []))
            self.socket.connect(f"tcp://{address}")
            self._await_handshake()
        except BaseException:
            self.close()
            raise

    def _configure(self, secret: bytes, curve: bool) -> None:
        end = self.socket
        end.ipv6 = ":" in self.address.host
        end.tcp_keepalive = 1
        if curve:
            end.curve_serverkey, _ = key_pair(secret, SERVER_KEY_LABEL)
            end.curve_publickey, end.curve_secretkey = key_pair(secret, CLIENT_KEY_LABEL)

    def _await_handshake(self) -> None:
        """Until the ZMTP (and CURVE) handshake succeeded; WorkerError when it
        failed, the peer went, or nothing answered within CONNECT_TIMEOUT_S."""
        poller = zmq.Poller()
        for source in (self._monitor, *([self._pidfd] if self._pidfd >= 0 else [])):
            poller.register(source, zmq.POLLIN)
        deadline = monotonic() + CONNECT_TIMEOUT_S
        while (left := deadline - monotonic()) > 0:
            ready = dict(poller.poll(round(left * 1000)))
            dead = self._dead_worker(ready)
            if dead is not None:
                raise WorkerError(f"{dead} before the handshake")
            if self._monitor not in ready:
                continue
            if recv_monitor_message(self._monitor)["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                return
            raise WorkerError(
                f"{self._name()} refused this client's handshake: it is not a zmq-tcp peer "
                f"of this security, or its secret differs from ours ({SECRET_VARIABLE} / "
                "--peer-secret-file)"
            )
        raise WorkerError(
            f"no zmq-tcp peer answered at {self.address} within {CONNECT_TIMEOUT_S:g} s"
        )

    def _dead_worker(self, ready: dict[object, int]) -> str | None:
        """How the local peer ended, when its pidfd is among the `ready`."""
        if self.worker is None or self._pidfd not in ready:
            return None
        self.worker.process.wait()
        return self.worker.death()

    def _gone(self, ready: dict[object, int]) -> str | None:
        dead = self._dead_worker(ready)
        if dead is not None:
            return dead
        while self._monitor in ready and self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)["event"]
            if event == zmq.EVENT_DISCONNECTED or event in _HANDSHAKE_FAILED:
                return self._dying_worker() or f"{self._name()} closed the connection"
        return None

    def _dying_worker(self) -> str | None:
        """How the local peer ended, if it does within DEATH_GRACE_S."""
        if self._pidfd < 0 or not select.select([self._pidfd], [], [], DEATH_GRACE_S)[0]:
            return None
        return self._dead_worker({self._pidfd: zmq.POLLIN})

    def _name(self) -> str:
        if self.worker is not None:
            return f"{self.worker.program} (pid {self.worker.pid}) at {self.address}"
        return f"the peer at {self.address}"
