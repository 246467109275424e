"""`arrow-flight`: the array crosses to a C++ Arrow Flight server
(strategies/arrow_flight/, ib_flight_peer, linked against the Arrow and Flight
libraries that the pinned pyarrow wheel bundles) in one DoExchange stream.

Best honest use: one DoExchange per call (one HTTP/2 stream, no
GetFlightInfo/DoGet round trips); the array goes out as a record batch of one
column of its own Arrow type (float64, float32, int32, int16 or uint8: Arrow's
columns are typed, so the dtype travels with the data and the peer runs the
kernel of that type), which ``pa.array(a)`` builds over the NumPy buffer
without a copy (Flight hands Arrow buffers to gRPC without copying them); the
operation and its parameters travel in the descriptor's command (name, NUL,
packed little-endian values: scale's factor a double for float columns, an
int64 for integer ones; matrix_sum's and frame's rows and columns). A frame is
a uint8 column of its rows packed back to back, its height and width in the
command. The server runs the kernel core on the received column's buffer and
answers sum / matrix_sum with the scalar in app_metadata (no batch at all: a
double for floats, an int64 or uint64 for integers, np.sum's types), square /
scale / frame with a batch of one column, which the client views with
``to_numpy(zero_copy_only=True)``.

What costs copies here is gRPC's framing: the IPC body sits at whatever offset
the received message leaves, so the values arrive misaligned for any type wider than a
byte on both sides (seen at every size tried); each side copies them into an
aligned buffer before use (the peer's kernel core reads typed values, and an
unaligned NumPy array is outside what C extensions expect); uint8 is never
misaligned. copies_note lists them. The peer refuses a column of more than its
--max-bytes (1 GiB by default, the other peers' limit) before it allocates
anything for it; gRPC inside pyarrow's libarrow_flight has received the message
by then (Flight lifts gRPC's message limit and its symbols are hidden, so no
receive limit can be set from outside).

The peer is the strategy's own on 127.0.0.1 (an ephemeral port read from its
first line, a fresh secret on its stdin, one client, dying with this process),
or one that runs elsewhere: ``ib_flight_peer --listen=HOST:PORT --allow-remote
--secret-file=FILE`` there and ``interop-bench run --peer
arrow-flight=HOST:PORT --peer-secret-file FILE`` here. Authentication is the
HMAC handshake of the other network peers (_transport/net_peer.py) carried by Flight's
Handshake call: each side proves it holds the secret over the other's nonce,
the secret never crosses the network, and the server then issues a random
session token that every call carries (Flight's ServerAuthHandler). Chosen over
TLS because it needs no certificates and matches the other peers; like them it
authenticates and does not encrypt, and the token crosses in clear, so on a
network you do not trust, run the peer behind a tunnel. Every call carries a
deadline (FlightCallOptions.timeout).

Frames pipeline (depth 2, frame_submit and frame_collect) over one long
DoExchange of the command "frames", opened by the first frame_submit: each
frame one record batch written with its number, rows and cols as app_metadata,
the peer answering frame after frame in order with the gray column and the
same number, which must be the frame's. The exchange lasts as long as the
stream, so it has no deadline; each wait for an answer has one
(_transport/wait_watch.py, which cancels the exchange).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import struct
import threading
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pyarrow import flight

from interop_bench import ops
from interop_bench.strategies import validation
from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.in_flight import InFlight, break_off
from interop_bench.strategies._transport.wait_watch import WaitWatch
from interop_bench.strategies._transport.worker import (
    UNCOUNTABLE,
    Peer,
    WorkerError,
    WorkerRefusedError,
    out_of_step_closes,
    pids,
)
from interop_bench.strategies.base import Family, Strategy, not_open_error

PROGRAM = "ib_flight_peer"
_ADDRESS = struct.Struct("<Q")
_MATRIX = struct.Struct("<QQ")
_FLOAT = struct.Struct("<d")
_SIGNED = struct.Struct("<q")
_FRAME = struct.Struct("<QQQ")  # a pipelined frame's number, rows and cols


class _Column:
    """How one dtype crosses: its Arrow schema, how the peer sends its sum (np.sum's
    type on 8 bytes: a double for floats, int64 or uint64 for integers) and
    reads scale's factor (a double for floats, an int64 for integers)."""

    def __init__(self, type_: pa.DataType, total: struct.Struct, factor: struct.Struct) -> None:
        self.schema = pa.schema([pa.field("values", type_, nullable=False)])
        self.total = total
        self.factor = factor


# By NumPy dtype: a lookup by `a.dtype` costs some 50 ns, by `a.dtype.name` microseconds.
_COLUMNS = {
    np.dtype(dtype): _Column(type_, total, factor)
    for dtype, type_, total, factor in (
        ("float64", pa.float64(), _FLOAT, _FLOAT),
        ("float32", pa.float32(), _FLOAT, _FLOAT),
        ("int32", pa.int32(), _SIGNED, _SIGNED),
        ("int16", pa.int16(), _SIGNED, _SIGNED),
        ("uint8", pa.uint8(), _ADDRESS, _SIGNED),
    )
}
assert tuple(_COLUMNS) == tuple(np.dtype(dtype) for dtype in ops.DTYPES), "every dtype"


def command(op: str, params: bytes = b"") -> bytes:
    """The descriptor's command of one request: the op's name, a NUL, its parameters."""
    return op.encode() + b"\0" + params


class SecretHandshake(flight.ClientAuthHandler):
    """The client's side of the peer's handshake (strategies/arrow_flight/flight_auth.hpp)."""

    def __init__(self, secret: bytes) -> None:
        super().__init__()
        self._secret = secret
        self._token = b""

    def authenticate(
        self, outgoing: flight.ClientAuthSender, incoming: flight.ClientAuthReader
    ) -> None:
        peer_nonce = incoming.read()
        nonce = secrets.token_bytes(len(peer_nonce))
        proof = net_peer.mac(self._secret, proto.PEER_CLIENT_LABEL, peer_nonce, nonce)
        outgoing.write(nonce + proof)
        answer = incoming.read()
        expected = net_peer.mac(self._secret, proto.PEER_SERVER_LABEL, peer_nonce, nonce)
        if not hmac.compare_digest(answer[: len(expected)], expected):
            raise WorkerError("the Flight peer did not prove that it holds the secret")
        self._token = answer[len(expected) :]

    def get_token(self) -> bytes:
        return self._token


class ArrowFlightStrategy(Strategy):
    name = "arrow-flight"
    family: ClassVar[Family] = "network"
    description = (
        "C++ Arrow Flight server (pyarrow's bundled libarrow_flight), one DoExchange per call: "
        "a record batch over the NumPy buffer out, a scalar in app_metadata or a batch back"
    )
    copies_in = "copy"
    copies_out = "copy"
    copies_note = (
        "pa.array(a) wraps the NumPy buffer (a column of the array's own type) and Flight "
        "hands it to gRPC without a copy; the bytes cross through the kernel's socket buffers "
        "into gRPC's slices, which the reader joins into one buffer (a copy) when a message "
        "spans several; gRPC leaves the values misaligned in that buffer (in practice always, "
        "for types wider than a byte), so the peer copies them to an aligned one before the "
        "kernel reads them; back the same way, and the client copies a misaligned result "
        "column (to_numpy(zero_copy_only=True) views it) into an aligned array; square's is "
        "then copied into the caller's array; a strided matrix and a padded or cropped frame "
        "are packed first (their rows back to back)"
    )
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/arrow_flight/flight_exchange.cpp",
        "strategies/arrow_flight/flight_peer.cpp",
        "strategies/arrow_flight/flight_auth.cpp",
        "strategies/_net_peer/peer_auth.cpp",
        "strategies/_net_peer/net_listen.cpp",
    )
    packages: ClassVar[tuple[str, ...]] = ("pyarrow",)
    uncountable = UNCOUNTABLE
    frames_in_flight = 2

    def __init__(
        self, worker_flags: Sequence[str] = (), io_timeout_s: float = net_peer.IO_TIMEOUT_S
    ) -> None:
        """`worker_flags` (tests): flags of the local peer, e.g. ("--fault=stall",)."""
        super().__init__()
        self._worker_flags = tuple(worker_flags)
        self._options = flight.FlightCallOptions(timeout=io_timeout_s)
        self._io_timeout_s = io_timeout_s
        self._worker: Peer | None = None
        self._client: flight.FlightClient | None = None
        self.address: net_peer.Address | None = None  # the peer's, while open
        self._frames: _FramesExchange | None = None  # opened by the first frame_submit
        self._frame_seq = 0
        # Frames in flight: each one's number, rows and cols.
        self._in_flight: InFlight[tuple[int, int, int]] = InFlight(self.frames_in_flight)
        self._closing = threading.Lock()  # one close at a time, from either thread

    # -- lifecycle -----------------------------------------------------------
    def _open(self) -> None:
        address = net_peer.configured(self.name)
        if address is None:
            worker, address, secret = net_peer.start_local(("--once", *self._worker_flags), PROGRAM)
            self._worker = worker
        else:
            secret = net_peer.configured_secret()
            self._worker = net_peer.RemotePeer(address)
        try:
            self._client = flight.FlightClient(f"grpc+tcp://{address}")
            handshake = flight.FlightCallOptions(timeout=net_peer.CONNECT_TIMEOUT_S)
            self._client.authenticate(SecretHandshake(secret), options=handshake)
        except pa.ArrowException as error:
            self._release()
            raise WorkerError(
                f"the handshake with the Flight peer at {address} failed: {error}"
            ) from None
        except BaseException:
            self._release()
            raise
        self.address = address

    def _close(self) -> None:
        self._release()

    def _release(self) -> None:
        frames, self._frames = self._frames, None
        self._in_flight.clear()
        if frames is not None:
            frames.close()
        client, self._client = self._client, None
        if client is not None:
            client.close()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()  # it serves until killed; it holds nothing to clean up
            worker.stop()
        self.address = None

    def worker_pids(self) -> list[int]:
        return pids(self._worker)

    # -- the operations ------------------------------------------------------
    def sum(self, a: np.ndarray) -> float | int:
        a = validation.vector(a)
        return self._scalar(self._exchange(command("sum"), a), _COLUMNS[a.dtype].total)

    def square(self, a: np.ndarray) -> None:
        a = validation.vector(a, writable=True)
        np.copyto(a, self._column(self._exchange(command("square"), a), a.shape[0], a.dtype))

    def matrix_sum(self, m: np.ndarray) -> float | int:
        view, _ = validation.row_major(m)
        rows, cols = view.shape
        packed = np.ascontiguousarray(view).reshape(-1)  # rows go out back to back
        request = command("matrix_sum", _MATRIX.pack(rows, cols))
        return self._scalar(self._exchange(request, packed), _COLUMNS[view.dtype].total)

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        a = validation.vector(a)
        factor = validation.factor(k, a.dtype)
        request = command("scale", _COLUMNS[a.dtype].factor.pack(factor))
        return self._column(self._exchange(request, a), a.shape[0], a.dtype)

    def frame(self, image: np.ndarray) -> np.ndarray:
        rgb, _ = validation.frame(image)
        height, width, _ = rgb.shape
        packed = np.ascontiguousarray(rgb).reshape(-1)  # rows go out back to back
        request = command("frame", _MATRIX.pack(height, width))
        gray = self._column(self._exchange(request, packed), height * width, packed.dtype)
        return gray.reshape(height, width)

    def data_address(self, a: np.ndarray) -> int:
        """The peer's own address of the values it received (another address space)."""
        a = validation.vector(a)
        return int(self._scalar(self._exchange(command("probe"), a), _ADDRESS))

    # -- pipelined frames ----------------------------------------------------
    def frame_submit(self, image: np.ndarray) -> int:
        rgb, _ = validation.frame(image)
        height, width, _ = rgb.shape
        packed = np.ascontiguousarray(rgb).reshape(-1)  # rows go out back to back
        batch = pa.RecordBatch.from_arrays([pa.array(packed)], schema=_FRAMES_SCHEMA)
        frames, worker = self._frames_exchange()
        seq = self._frame_seq = (self._frame_seq + 1) & proto.SEQ_MASK
        ticket = self._in_flight.admit((seq, height, width))
        try:
            frames.writer.write_with_metadata(batch, _FRAME.pack(seq, height, width))
        except pa.ArrowException as error:
            self._break()
            raise self._failure(error, worker) from None
        except BaseException:
            self._break()
            raise
        return ticket

    def frame_collect(self, ticket: int) -> np.ndarray:
        seq, height, width = self._in_flight.oldest(ticket)
        frames, worker = self._frames, self._worker
        if frames is None or worker is None:
            raise not_open_error(self.name)
        try:
            gray = self._frame_answer(frames, seq, height * width, worker)
        except BaseException:
            self._break()
            raise
        self._in_flight.done(ticket)
        return gray.reshape(height, width)

    def _frames_exchange(self) -> tuple[_FramesExchange, Peer]:
        client, worker = self._client, self._worker
        if client is None or worker is None:
            raise not_open_error(self.name)
        if self._frames is None:
            try:
                self._frames = _FramesExchange(client, self._io_timeout_s)
            except pa.ArrowException as error:
                raise self._failure(error, worker) from None
        return self._frames, worker

    def _frame_answer(
        self, frames: _FramesExchange, seq: int, pixels: int, worker: Peer
    ) -> np.ndarray:
        """Frame `seq`'s gray column, which must come with its number."""
        frames.watch.begin()
        try:
            chunk = frames.reader.read_chunk()
        except StopIteration:
            raise WorkerError(f"{worker.program} ended the frames' exchange") from None
        except pa.ArrowException as error:
            if frames.watch.expired:
                raise WorkerError(
                    f"{worker.program} gave no answer within {self._io_timeout_s} s"
                ) from None
            raise self._failure(error, worker) from None
        finally:
            frames.watch.end()
        metadata = chunk.app_metadata
        number = metadata.to_pybytes() if metadata is not None else b""
        if number != _ADDRESS.pack(seq):
            raise WorkerError(
                f"{worker.program} broke the protocol: answered frame {seq} with the "
                f"number {number.hex() or 'none'}"
            )
        return self._column(chunk, pixels, validation.UINT8)

    def _break(self) -> None:
        worker = self._worker
        break_off(worker.kill if worker is not None else None, self._closing, self.close)

    # -- one exchange --------------------------------------------------------
    def _exchange(self, request: bytes, values: np.ndarray) -> flight.FlightStreamChunk:
        client = self._client
        worker = self._worker
        if client is None or worker is None:
            raise not_open_error(self.name)
        schema = _COLUMNS[values.dtype].schema
        batch = pa.RecordBatch.from_arrays([pa.array(values)], schema=schema)
        descriptor = flight.FlightDescriptor.for_command(request)
        with out_of_step_closes(worker.kill, self.close):
            try:
                writer, reader = client.do_exchange(descriptor, options=self._options)
                with writer:
                    writer.begin(schema)
                    writer.write_batch(batch)
                    writer.done_writing()
                    return reader.read_chunk()
            except pa.ArrowException as error:
                raise self._failure(error, worker) from None

    def _failure(self, error: pa.ArrowException, worker: Peer) -> WorkerError:
        if isinstance(error, flight.FlightTimedOutError):
            return WorkerError(f"{worker.program} gave no answer within {self._io_timeout_s} s")
        if isinstance(error, flight.FlightUnavailableError):
            # The connection is gone: say how the peer ended (a local one is
            # given a moment to be reaped, then killed).
            return WorkerError(f"{worker.ended()} during the call ({error})")
        if isinstance(error, pa.ArrowInvalid):
            return WorkerRefusedError(f"{worker.program} refused the request: {error}")
        return WorkerError(f"the call to {worker.program} failed: {error}")

    def _scalar(self, chunk: flight.FlightStreamChunk, layout: struct.Struct) -> float | int:
        metadata = chunk.app_metadata
        if chunk.data is not None or metadata is None or metadata.size != layout.size:
            raise WorkerError(f"{PROGRAM} answered without its {layout.size}-byte scalar")
        (value,) = layout.unpack(metadata.to_pybytes())
        return value

    def _column(self, chunk: flight.FlightStreamChunk, length: int, dtype: np.dtype) -> np.ndarray:
        batch = chunk.data
        schema = _COLUMNS[dtype].schema
        if batch is None or batch.schema != schema or batch.num_rows != length:
            raise WorkerError(f"{PROGRAM} answered without a {dtype} column of {length} values")
        view = batch.column(0).to_numpy(zero_copy_only=True)
        # gRPC leaves the values misaligned in its received message (in practice
        # always, but for uint8): an unaligned array is outside what C extensions
        # expect, so it is copied into an aligned one.
        return view if view.flags.aligned else view.copy()


_FRAMES_SCHEMA = _COLUMNS[validation.UINT8].schema


class _FramesExchange:
    """The long DoExchange of the command "frames" (see the module's docstring):
    its writer begun with a frame's schema, its reader, and the watch on each wait."""

    def __init__(self, client: flight.FlightClient, io_timeout_s: float) -> None:
        descriptor = flight.FlightDescriptor.for_command(command("frames"))
        self.writer, self.reader = client.do_exchange(descriptor)  # no deadline: see WaitWatch
        self.writer.begin(_FRAMES_SCHEMA)
        self.watch = WaitWatch(self.reader.cancel, io_timeout_s)

    def close(self) -> None:
        """Cancel the exchange (a wait or a write in progress raises) and stop the watch."""
        self.reader.cancel()
        with contextlib.suppress(pa.ArrowException):
            self.writer.close()
        self.watch.close()
