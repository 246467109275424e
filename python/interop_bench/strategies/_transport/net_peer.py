"""The peer of the network strategies: where it is, how it is started on this
machine, and the client's side of its handshake.

By default a network strategy starts its own peer (ib_worker --listen) on
127.0.0.1 with an ephemeral port, which it reads from the peer's first line of
output; that peer serves this one client and dies with this process. With
INTEROP_BENCH_PEERS set (`interop-bench run --peer` sets it for the passes),
the strategy connects to a peer that is already running, maybe on another
host, instead:

    INTEROP_BENCH_PEERS="10.77.0.1:7700"                  every network strategy
    INTEROP_BENCH_PEERS="tcp=10.77.0.1:7700,grpc=...:7701"  one address each
    INTEROP_BENCH_PEER_SECRET_FILE=/path/to/secret          the shared secret

Every peer serves only clients that prove they hold its secret
(strategies/_ipc_core/protocol.hpp, "handshake"); the secret never crosses the
network. That authenticates the connection; it does not encrypt the arrays or
protect them from someone on the path, so over a network you do not trust, run
the peer behind a tunnel (ssh -L, WireGuard) and give the tunnel's address.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import select
import socket
import stat
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess

PEERS_VARIABLE = "INTEROP_BENCH_PEERS"
SECRET_VARIABLE = "INTEROP_BENCH_PEER_SECRET_FILE"
# Bounds of every blocking step: connecting and the handshake (a peer that
# accepts nothing, or a process that is not a peer); a local peer saying where it
# listens; each transfer of a call (a peer that stops half way).
CONNECT_TIMEOUT_S = 10.0
START_TIMEOUT_S = 10.0
IO_TIMEOUT_S = 30.0
# A secret's length bounds, as the peer's (strategies/_net_peer/peer_auth.hpp).
MIN_SECRET_BYTES = 16
MAX_SECRET_BYTES = 4096
_LOCAL_SECRET_BYTES = 32
_LISTENING = "listening"

_HELLO = proto.packer(proto.PEER_HELLO, "magic", "nonce")
_PROOF = proto.packer(proto.PEER_PROOF, "magic", "mac")
_VERDICT = proto.packer(proto.PEER_VERDICT, "magic", "mac")


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_address(text: str) -> Address:
    """HOST:PORT or [V6HOST]:PORT; ValueError naming what is wrong."""
    host, colon, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT with a port in 1..65535, got {text!r}")
    return Address(host, int(port))


def parse_peers(text: str) -> dict[str, Address]:
    """Comma-separated [STRATEGY=]HOST:PORT entries: strategy -> address, "" for an
    address without a strategy (every network strategy's)."""
    peers: dict[str, Address] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, equals, address = entry.rpartition("=")
        peers[name if equals else ""] = parse_address(address)
    return peers


def configured(strategy: str) -> Address | None:
    """The peer `strategy` is to use, from PEERS_VARIABLE; None: start a local one."""
    peers = parse_peers(os.environ.get(PEERS_VARIABLE, ""))
    return peers.get(strategy, peers.get(""))


def read_secret(path: str | Path) -> bytes:
    """The secret in `path` without its trailing white space, as the peer reads it;
    ValueError when it is missing, too short or long, or readable by others."""
    try:
        with open(path, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if stat.S_ISREG(mode) and mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ValueError(
                    f"the secret file {path} may be read by others than its owner: chmod 600 it"
                )
            secret = file.read(MAX_SECRET_BYTES + 2).rstrip()
    except OSError as error:
        raise ValueError(f"cannot read the secret file {path}: {error.strerror}") from None
    if not MIN_SECRET_BYTES <= len(secret) <= MAX_SECRET_BYTES:
        raise ValueError(
            f"the secret in {path} must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes "
            "(e.g. `openssl rand -hex 32 > FILE`)"
        )
    return secret


def configured_secret() -> bytes:
    path = os.environ.get(SECRET_VARIABLE)
    if not path:
        raise ValueError(
            f"a peer was given ({PEERS_VARIABLE}) without its secret: set {SECRET_VARIABLE} "
            "(interop-bench run --peer-secret-file FILE)"
        )
    return read_secret(path)


def mac(secret: bytes, label: bytes, peer_nonce: bytes, client_nonce: bytes) -> bytes:
    return hmac.new(secret, label + peer_nonce + client_nonce, hashlib.sha256).digest()


class RemotePeer:
    """A peer that another process runs (maybe on another host): the strategy's
    connection is all of it that this process holds."""

    def __init__(self, address: Address) -> None:
        self.address = address
        self.program = f"the peer at {address}"
        self._connected = True

    def alive(self) -> bool:
        return self._connected

    def ended(self) -> str:
        return f"{self.program} closed the connection"

    def kill(self) -> None:
        self._connected = False  # the strategy closes the socket

    def stop(self, timeout_s: float = 0.0) -> None:
        self._connected = False


def start_local(
    flags: Sequence[str], program: str = "ib_worker"
) -> tuple[WorkerProcess, Address, bytes]:
    """A peer of this process's own on 127.0.0.1 (an ephemeral port), with `flags`
    (e.g. --once: serving one client), and a fresh secret handed over its standard
    input; where it listens. `program`: the peer's executable (ib_zmq_worker for
    zmq-tcp, ib_grpc_peer for grpc, ib_flight_peer for arrow-flight), taking the same flags."""
    secret = secrets.token_hex(_LOCAL_SECRET_BYTES).encode()
    args = ["--listen=127.0.0.1:0", "--secret-file=-", *flags]
    worker = WorkerProcess(args, pipes=True, program=program)
    try:
        worker.stdin.write(secret)
        worker.stdin.close()
        line = _first_line(worker)
        word, host, port = [*line.split(), "", "", ""][:3]
        if word != _LISTENING or not port.isdigit():
            raise WorkerError(f"{program} said {line!r} instead of where it listens")
        return worker, Address(host, int(port)), secret
    except BaseException:
        worker.kill()
        worker.stop()
        raise


def _first_line(worker: WorkerProcess) -> str:
    fd = worker.stdout.fileno()
    deadline = time.monotonic() + START_TIMEOUT_S
    received = b""
    while not received.endswith(b"\n"):
        left = deadline - time.monotonic()
        readable, _, _ = select.select([fd], [], [], max(left, 0.0))
        if not readable:
            raise WorkerError(
                f"{worker.program} did not say where it listens within {START_TIMEOUT_S} s"
            )
        chunk = os.read(fd, 256)
        if not chunk:
            raise WorkerError(f"{worker.ended()} before it said where it listens")
        received += chunk
    worker.stdout.close()
    return received.decode("utf-8", "replace").strip()


def connect(address: Address, secret: bytes, io_timeout_s: float) -> socket.socket:
    """A connection to the peer at `address`, authenticated both ways, TCP_NODELAY,
    blocking with SO_RCVTIMEO / SO_SNDTIMEO of `io_timeout_s` on every transfer."""
    try:
        end = socket.create_connection((address.host, address.port), CONNECT_TIMEOUT_S)
    except OSError as error:
        raise WorkerError(f"cannot connect to the peer at {address}: {error}") from None
    try:
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _handshake(end, secret, address)
        end.settimeout(None)  # blocking: the kernel bounds each call instead of a poll
        timeout = _timeval(io_timeout_s)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeout)
    except BaseException:
        end.close()
        raise
    return end


def _timeval(seconds: float) -> bytes:
    """A struct timeval, as SO_RCVTIMEO / SO_SNDTIMEO take it."""
    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1e6))


def _handshake(end: socket.socket, secret: bytes, address: Address) -> None:
    try:
        hello = _receive(end, proto.PEER_HELLO.itemsize, address)
        magic, version, peer_nonce = _HELLO.unpack(hello)
        if (magic, version) != (proto.PEER_MAGIC, proto.PEER_VERSION):
            raise WorkerError(
                f"{address} is not an interop-bench peer of protocol {proto.PEER_VERSION} "
                f"(hello {magic:#x}, version {version})"
            )
        nonce = secrets.token_bytes(proto.NONCE_BYTES)
        proof = mac(secret, proto.PEER_CLIENT_LABEL, peer_nonce, nonce)
        end.sendall(_PROOF.pack(proto.PEER_MAGIC, proto.PEER_VERSION, nonce, proof))
        verdict = _receive(end, proto.PEER_VERDICT.itemsize, address)
    except OSError as error:
        raise WorkerError(f"the handshake with the peer at {address} failed: {error}") from None
    magic, status, answer = _VERDICT.unpack(verdict)
    if magic != proto.PEER_MAGIC or status != proto.STATUS_OK:
        raise WorkerError(
            f"the peer at {address} refused this client: its secret differs from ours "
            f"({SECRET_VARIABLE} / --peer-secret-file)"
        )
    expected = mac(secret, proto.PEER_SERVER_LABEL, peer_nonce, nonce)
    if not hmac.compare_digest(answer, expected):
        raise WorkerError(f"the peer at {address} did not prove that it holds the secret")


def _receive(end: socket.socket, size: int, address: Address) -> bytes:
    received = bytearray()
    while len(received) < size:
        chunk = end.recv(size - len(received))
        if not chunk:
            raise WorkerError(f"the peer at {address} closed the connection during the handshake")
        received += chunk
    return bytes(received)
