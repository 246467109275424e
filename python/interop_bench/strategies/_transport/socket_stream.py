"""What the strategies that speak the pipe protocol over a stream socket share
(`uds` over a socketpair, `tcp` over TCP): one sendmsg of header and array (the
rest with sendall), the answer read with recv_into straight into its final
array, and a socket error or timeout turned into a WorkerError that says what
ended and when."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from interop_bench.strategies._transport.stream_strategy import StreamStrategy
from interop_bench.strategies._transport.worker import Peer, WorkerError
from interop_bench.strategies.base import not_open_error

# What a socket with SO_RCVTIMEO / SO_SNDTIMEO raises when the time is up.
_TIMED_OUT = (BlockingIOError, TimeoutError)


class SocketStreamStrategy(StreamStrategy):
    """A StreamStrategy whose frames cross `self._socket` (set by the subclass's _open)."""

    def __init__(self, worker_flags: Sequence[str] = ()) -> None:
        super().__init__(worker_flags)
        self._socket: socket.socket | None = None
        self._io_timeout_s: float | None = None  # the socket's SO_*TIMEO, when it has them

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            end, self._socket = self._socket, None
            if end is not None:
                end.close()

    def _write_all(self, header: bytes, payload: memoryview) -> None:
        end = self._connected()
        try:
            sent = end.sendmsg([header, payload])
            for part in (memoryview(header), payload):  # after a partial send, the rest
                skip = min(sent, part.nbytes)
                sent -= skip
                # Only what is left: a send of nothing still fails on a socket whose
                # peer died since, and the request was whole before it did.
                if skip < part.nbytes:
                    end.sendall(part[skip:])
        except _TIMED_OUT:
            raise WorkerError(f"the request was not read within {self._io_timeout_s} s") from None
        except ConnectionError as error:
            raise WorkerError(self._ended(error, "while the request was sent")) from error

    def _read_all(self, into: memoryview, worker: Peer) -> None:
        end = self._connected()
        try:
            while into.nbytes:
                got = end.recv_into(into)
                if not got:
                    raise WorkerError(f"{worker.ended()} before it answered")
                into = into[got:]
        except _TIMED_OUT:
            raise WorkerError(f"no answer within {self._io_timeout_s} s") from None
        except ConnectionError as error:
            raise WorkerError(self._ended(error, "before it answered")) from error

    def _ended(self, error: OSError, when: str) -> str:
        worker = self._worker
        ended = worker.ended() if worker is not None else "the other side"
        return f"{ended} {when} ({error.strerror or error})"

    def _connected(self) -> socket.socket:
        if self._socket is None:
            raise not_open_error(self.name)
        return self._socket
