"""The grpc strategies' connection to ib_grpc_peer (strategies/grpc): a grpcio
channel with the message limits the arrays need, the session that signs every
call (strategies/grpc/grpc_auth.hpp: HMAC-SHA256 over the session's nonce and
a call number that only grows, so the secret never crosses and a recorded call
cannot be replayed), a deadline on every call, and grpcio's errors turned into
the harness's: a refusal keeps the peer trusted, anything else names how the
peer ended."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import grpc

from interop_bench.strategies._transport import grpc_wire as wire
from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport.protocol import NONCE_BYTES
from interop_bench.strategies._transport.worker import Peer, WorkerError, WorkerRefusedError

PROGRAM = "ib_grpc_peer"
SERVICE = "/interop_bench.grpc_array.ArrayService/"
HELLO_LABEL = b"interop-bench grpc v1 hello"
CALL_LABEL = b"interop-bench grpc v1 call"
# The largest payload (the peer's default --max-bytes, options.hpp's
# kDefaultMaxPayloadBytes: above the full profile's 800 MB) and what a message
# holds besides it (grpc_service.hpp's kEnvelopeBytes): the unary limits, on
# both sides, instead of gRPC's 4 MiB default that refuses arrays of 1e6 and up.
MAX_PAYLOAD_BYTES = 1 << 30
ENVELOPE_BYTES = 64
# The refusals of a peer that stays in step (the request was wrong, not the peer).
_REFUSALS = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED)


def call_block(seq: int) -> bytes:
    """The 32 bytes call number `seq` is signed as (grpc_auth.cpp's call_block)."""
    return seq.to_bytes(8, "little") + bytes(NONCE_BYTES - 8)


class GrpcChannel:
    """One channel to the peer at `address`, with a session opened on it."""

    def __init__(
        self, address: net_peer.Address, secret: bytes, io_timeout_s: float, limit_bytes: int
    ) -> None:
        self.address = address
        self.io_timeout_s = io_timeout_s
        self._secret = secret
        self._seq = 0
        options = [
            ("grpc.max_send_message_length", limit_bytes),
            ("grpc.max_receive_message_length", limit_bytes),
            ("grpc.enable_http_proxy", 0),  # the peer's address as given, never a proxy's
        ]
        self._channel = grpc.insecure_channel(str(address), options=options)
        self.hello = self._channel.unary_unary(SERVICE + "Hello")
        self.call = self._channel.unary_unary(SERVICE + "Call")
        self.stream = self._channel.stream_stream(SERVICE + "Stream")
        self.frames = self._channel.stream_stream(SERVICE + "Frames")
        try:
            self._session = self._open_session()
        except BaseException:
            self._channel.close()
            raise

    def close(self) -> None:
        self._channel.close()

    def _open_session(self) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        try:
            reply = self.hello(wire.hello_request(nonce), timeout=net_peer.CONNECT_TIMEOUT_S)
        except grpc.RpcError as error:
            raise WorkerError(
                f"cannot open a session with the gRPC peer at {self.address}: "
                f"{error.code().name}: {error.details()}"
            ) from None
        session, proof = wire.hello_reply(reply)
        expected = net_peer.mac(self._secret, HELLO_LABEL, session, nonce)
        if len(session) != NONCE_BYTES or not secrets.compare_digest(proof, expected):
            raise WorkerError(
                f"the gRPC peer at {self.address} did not prove that it holds the secret: its "
                f"secret differs from ours ({net_peer.SECRET_VARIABLE} / --peer-secret-file)"
            )
        return session

    def signed(self) -> tuple[tuple[str, Any], ...]:
        """The metadata of the next call: the session, its number, their HMAC."""
        self._seq += 1
        mac = net_peer.mac(self._secret, CALL_LABEL, self._session, call_block(self._seq))
        return (("ib-session-bin", self._session), ("ib-seq", str(self._seq)), ("ib-mac-bin", mac))

    def unary(self, request: bytes) -> bytes:
        """One Call with a deadline; grpc.RpcError as grpcio raises it."""
        reply: bytes = self.call(request, timeout=self.io_timeout_s, metadata=self.signed())
        return reply

    def streamed(self, requests: Iterator[bytes]) -> Any:
        """A Stream call with a deadline over the whole exchange: its answers' iterator."""
        return self.stream(requests, timeout=self.io_timeout_s, metadata=self.signed())

    def framed(self, requests: Iterator[bytes]) -> Any:
        """A Frames call, without a deadline (it lasts as long as the frames do:
        grpc_frames.py bounds each wait for an answer): its answers' iterator."""
        return self.frames(requests, metadata=self.signed())


def failure(error: grpc.RpcError, worker: Peer, io_timeout_s: float) -> WorkerError:
    """The harness's error for a failed call: a refusal (the peer stays trusted), a
    call that ran out of time, a client the peer refused, or a peer that ended."""
    code, details = error.code(), error.details()
    if code in _REFUSALS:
        return WorkerRefusedError(f"{worker.program} refused the request: {details}")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return WorkerError(f"no answer within {io_timeout_s} s")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return WorkerError(f"{worker.program} refused this client: {details}")
    if worker.alive() and code != grpc.StatusCode.UNAVAILABLE:
        return WorkerError(f"{worker.program} failed the call: {code.name}: {details}")
    return WorkerError(f"{worker.ended()} during the call ({code.name}: {details})")
