"""`grpc` and `grpc-stream`: a grpcio client calling a C++ gRPC server
(ib_grpc_peer, Debian's libgrpc++, strategies/grpc), what a service built on
gRPC does.

`grpc` is one unary Call per operation, the array as the `bytes` field of a
protobuf message (strategies/grpc/grpc_array.proto), with both sides' message
limits raised to the largest payload (gRPC's 4 MiB default refuses 1e6
elements: grpc #15738, #31506). Best honest use: the request is written in
protobuf's wire format straight from the array's buffer into the one bytes
object grpcio sends (no message object, whose field assignment and
serialization would copy the array twice more), and the answer's array is a
view of the bytes grpcio received. `grpc-stream` sends the array in 1 MiB
messages over a client stream and gets square's and scale's results back the
same way, into their final arrays, the way large arrays are usually sent:
every message stays under gRPC's default limit. Its frames pipeline (depth 2)
over one long Frames call whose messages carry each frame's sequence number
(_transport/grpc_frames.py).

A stream costs ~1.1-1.6 ms a call even at one element (grpc's unary call
~0.25-0.6 ms): grpcio's synchronous API starts two Python threads per stream
call; the README's "gRPC" paragraph has the measurements and why grpc.aio was
not taken instead.

Every dtype travels as its raw bytes in `data` with its dtype code in the
request (grpc_array.proto's `dtype`), and the server runs the kernel of that
type; an integer sum comes back exact in `integer_result`. A frame goes out as
its rows where they lie (padding included while it is no larger than the
pixels, the row stride in the request: worker_strategy.frame_payload), its gray image
back into a new array.

The peer is the strategy's own on 127.0.0.1 by default (started at open, dying
with this process), or one already running, maybe on another host: `interop-bench
run --peer grpc=HOST:PORT` (see _transport/net_peer.py). Every call is signed with the
shared secret (_transport/grpc_channel.py), on loopback too: a loopback port is open to
every local user, and the signature costs two HMACs of 90 bytes a call.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import ClassVar

import grpc
import numpy as np

from interop_bench.strategies import validation
from interop_bench.strategies._transport import grpc_wire as wire
from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.grpc_channel import (
    ENVELOPE_BYTES,
    MAX_PAYLOAD_BYTES,
    PROGRAM,
    GrpcChannel,
    failure,
)
from interop_bench.strategies._transport.grpc_frames import FramesCall
from interop_bench.strategies._transport.in_flight import InFlight, break_off
from interop_bench.strategies._transport.worker import Peer, WorkerError, array_bytes
from interop_bench.strategies._transport.worker_strategy import (
    Request,
    WorkerStrategy,
    frame_payload,
)
from interop_bench.strategies.base import Family, not_open_error

CHUNK_BYTES = 1 << 20  # grpc_service.hpp's kChunkBytes
# A stream's messages stay under gRPC's default limit: the channel keeps it.
_DEFAULT_LIMIT_BYTES = 4 << 20


class GrpcStrategy(WorkerStrategy):
    name = "grpc"
    family: ClassVar[Family] = "network"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/grpc/grpc_service.cpp",
        "strategies/grpc/grpc_auth.cpp",
        "strategies/grpc/grpc_peer.cpp",
        "strategies/_net_peer/net_listen.cpp",
        "strategies/grpc/grpc_array.proto",
    )
    description = (
        "grpcio client, C++ gRPC server (libgrpc++): one unary call, the array as a protobuf "
        "bytes field, message limits raised to the largest payload"
    )
    copies_note = (
        "in: the array is joined with its fields into one bytes object (a copy), grpcio copies "
        "that into gRPC's slice, the socket copies it twice, the server's protobuf parse copies "
        "it into the request's string, where the kernel reads it (square: into the answer's "
        "string first, squared there); out: the server's serializer copies the answer into a "
        "slice, the socket twice, grpcio copies it into bytes, of which scale's result is a "
        "read-only view (no copy; unaligned, after the field's 2 to 6 bytes of tag and "
        "length), square and frame copy into the caller's array and a new gray one; a "
        "strided matrix is packed first; a padded or cropped frame goes out with its padding "
        "while that is no larger than its pixels, else packed first"
    )
    packages = ("grpcio", "libgrpc++")
    phase_names = ()  # grpcio's call sends, waits and receives as one step
    # The largest message of this variant's channel.
    limit_bytes: ClassVar[int] = MAX_PAYLOAD_BYTES + ENVELOPE_BYTES
    # Refused here rather than by gRPC's limit.
    max_payload_bytes: ClassVar[int | None] = MAX_PAYLOAD_BYTES
    max_payload_reason: ClassVar[str] = "the peer accepts (its --max-bytes)"

    def __init__(
        self, worker_flags: Sequence[str] = (), io_timeout_s: float = net_peer.IO_TIMEOUT_S
    ) -> None:
        """`worker_flags` (tests): flags of the local peer, e.g. ("--fault=slow",)."""
        super().__init__(worker_flags)
        self._io_timeout_s = io_timeout_s
        self._channel: GrpcChannel | None = None
        self._reply: memoryview | None = None  # scale's result, until taken
        self.address: net_peer.Address | None = None  # the peer's, while open

    def _open(self) -> None:
        address = net_peer.configured(self.name)
        if address is None:
            worker, address, secret = net_peer.start_local(self._worker_flags, program=PROGRAM)
            self._worker = worker
        else:
            secret = net_peer.configured_secret()
            self._worker = net_peer.RemotePeer(address)
        try:
            self._channel = GrpcChannel(address, secret, self._io_timeout_s, self.limit_bytes)
        except BaseException:
            self._close()
            raise
        self.address = address

    def _close(self) -> None:
        channel, self._channel = self._channel, None
        worker, self._worker = self._worker, None
        self._reply = None
        if channel is not None:
            channel.close()
        if worker is not None:
            worker.kill()  # a local peer holds nothing to flush; a remote one stays up
            worker.stop()

    # -- the operation whose result is the answer itself -------------------
    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        self._scale(a, validation.factor(k, a.dtype))
        data, self._reply = self._reply, None
        assert data is not None, "a scale answer carries its result"
        return np.frombuffer(data, dtype=a.dtype)

    # -- one exchange ----------------------------------------------------
    def _exchange(self, worker: Peer, request: Request) -> float | int:
        channel = self._connected()
        payload = request.payload
        fields = _call_fields(request)
        message = b"".join((fields, wire.data_prefix(payload.nbytes), payload))
        try:
            answer = wire.answer(channel.unary(message))
        except grpc.RpcError as error:
            raise failure(error, worker, self._io_timeout_s) from None
        # square's and frame's land in `reply`; scale's is as large as its input.
        reply = request.reply
        expected = reply.nbytes or (payload.nbytes if request.op == proto.Op.SCALE else 0)
        if answer.data.nbytes != expected:
            raise WorkerError(
                f"{worker.program} broke the protocol: answered with {answer.data.nbytes} "
                f"bytes, {expected} expected"
            )
        if reply.nbytes:
            reply[:] = answer.data  # square: into the caller's array
        else:
            self._reply = answer.data
        self._detail = answer.detail
        return proto.result_of(request.dtype, answer.result, answer.integer_result)

    def _connected(self) -> GrpcChannel:
        if self._channel is None:
            raise not_open_error(self.name)
        return self._channel


def _call_fields(request: Request, payload_bytes: int = 0) -> bytes:
    """`request`'s fields other than data (a stream's announce the payload's size)."""
    return wire.call_fields(
        request.op, request.elements, rows=request.rows, cols=request.cols,
        factor=request.factor, payload_bytes=payload_bytes, dtype=request.dtype,
        row_stride=request.row_stride,
    )  # fmt: skip


def _pieces(fields: bytes, payload: memoryview) -> Iterator[bytes]:
    """A stream's messages: the fields with the first piece, then a piece each."""
    for start in range(0, max(payload.nbytes, 1), CHUNK_BYTES):
        piece = payload[start : start + CHUNK_BYTES]
        yield b"".join((fields if start == 0 else b"", wire.data_prefix(piece.nbytes), piece))


class GrpcStreamStrategy(GrpcStrategy):
    name = "grpc-stream"
    description = (
        "grpcio client, C++ gRPC server (libgrpc++): the array in 1 MiB messages over a "
        "bidirectional stream, results streamed back into their final arrays"
    )
    copies_note = (
        "in: each 1 MiB piece is joined with its field's prefix into a bytes object (a copy), "
        "grpcio copies it into gRPC's slice, the socket copies it twice, the server's protobuf "
        "parse copies it into the piece's string and the server into one array, where the "
        "kernel reads it (square squares it there); out: each 1 MiB piece of the result is "
        "copied into an answer's string, serialized into a slice, crosses the socket (two "
        "copies), is copied by grpcio into bytes and from there into the final array (NumPy's, "
        "the caller's for square, a new gray one for frame); a strided matrix is packed first; "
        "a padded or cropped frame goes out with its padding while that is no larger than its "
        "pixels, else packed first"
    )
    limit_bytes: ClassVar[int] = _DEFAULT_LIMIT_BYTES
    max_payload_bytes: ClassVar[int | None] = None  # no message as large as the array
    scale = WorkerStrategy.scale  # into an array allocated here, piece by piece
    frames_in_flight = 2

    def __init__(
        self, worker_flags: Sequence[str] = (), io_timeout_s: float = net_peer.IO_TIMEOUT_S
    ) -> None:
        super().__init__(worker_flags, io_timeout_s)
        self._frames: FramesCall | None = None  # opened by the first frame_submit
        self._frame_seq = 0
        # Frames in flight: each one's sequence number and the gray image its answers fill.
        self._in_flight: InFlight[tuple[int, np.ndarray]] = InFlight(self.frames_in_flight)
        self._closing = threading.Lock()  # one close at a time, from either thread

    def _close(self) -> None:
        frames, self._frames = self._frames, None
        self._in_flight.clear()
        if frames is not None:
            frames.close()
        super()._close()

    def _exchange(self, worker: Peer, request: Request) -> float | int:
        channel = self._connected()
        payload = request.payload
        fields = _call_fields(request, payload_bytes=payload.nbytes)
        answers = channel.streamed(_pieces(fields, payload))
        try:
            return self._receive(answers, request.reply, worker, request.dtype)
        except grpc.RpcError as error:
            raise failure(error, worker, self._io_timeout_s) from None
        finally:
            with contextlib.suppress(grpc.RpcError):
                answers.cancel()  # a no-op once the stream ended; ends it otherwise

    def _receive(
        self, answers: Iterator[bytes], reply: memoryview, worker: Peer, dtype: int
    ) -> float | int:
        filled, first = 0, True
        result: float | int = 0.0
        for message in answers:
            answer = wire.answer(message)
            if first:
                result = proto.result_of(dtype, answer.result, answer.integer_result)
                self._detail, first = answer.detail, False
            size = answer.data.nbytes
            if size > reply.nbytes - filled:
                raise WorkerError(
                    f"{worker.program} broke the protocol: answered with more than the "
                    f"{reply.nbytes} bytes expected"
                )
            if size:
                reply[filled : filled + size] = answer.data
                filled += size
        if first or filled != reply.nbytes:
            raise WorkerError(
                f"{worker.program} broke the protocol: answered with {filled} bytes, "
                f"{reply.nbytes} expected"
            )
        return result

    # -- pipelined frames ------------------------------------------------
    def frame_submit(self, image: np.ndarray) -> int:
        rgb, row_stride = validation.frame(image)
        rows, cols, _ = rgb.shape
        payload, row_stride = frame_payload(rgb, row_stride)
        gray = validation.new_gray(rgb)
        frames = self._frames_call()
        seq = self._frame_seq = (self._frame_seq + 1) & proto.SEQ_MASK
        fields = wire.call_fields(
            proto.Op.FRAME, 0, rows=rows, cols=cols, payload_bytes=payload.nbytes,
            dtype=proto.FRAME_DTYPE_CODE, row_stride=row_stride, seq=seq,
        )  # fmt: skip
        ticket = self._in_flight.admit((seq, gray))
        frames.send(_pieces(fields, payload))
        return ticket

    def frame_collect(self, ticket: int) -> np.ndarray:
        seq, gray = self._in_flight.oldest(ticket)
        frames, worker = self._frames, self._worker
        if frames is None or worker is None:
            raise not_open_error(self.name)
        try:
            self._receive_frame(frames, seq, array_bytes(gray), worker)
        except BaseException:
            self._break()
            raise
        self._in_flight.done(ticket)
        return gray

    def _frames_call(self) -> FramesCall:
        if self._frames is None:
            self._frames = FramesCall(self._connected(), self._io_timeout_s)
        return self._frames

    def _receive_frame(self, frames: FramesCall, seq: int, gray: memoryview, worker: Peer) -> None:
        """Fill `gray` from the answers to frame `seq`, each of which must say it is
        that frame's."""
        filled, first = 0, True
        while first or filled < gray.nbytes:
            try:
                answer = wire.answer(frames.next_answer())
            except grpc.RpcError as error:
                if frames.watch.expired:
                    raise WorkerError(f"no answer within {frames.watch.timeout_s} s") from None
                raise failure(error, worker, frames.watch.timeout_s) from None
            except StopIteration:
                raise WorkerError(
                    f"{worker.program} ended the frames' call before frame {seq}'s answer"
                ) from None
            size = answer.data.nbytes
            if answer.seq != seq or size > gray.nbytes - filled:
                raise WorkerError(
                    f"{worker.program} broke the protocol: answered frame {seq} with "
                    f"{size} bytes of frame {answer.seq}'s answer, {gray.nbytes - filled} "
                    "bytes of it awaited"
                )
            gray[filled : filled + size] = answer.data
            filled, first = filled + size, False

    def _frames_pending(self) -> int:
        return len(self._in_flight)

    def _break(self) -> None:
        worker = self._worker
        break_off(worker.kill if worker is not None else None, self._closing, self.close)
