"""The socket strategies' request write, against a peer that dies once it has read it."""

from __future__ import annotations

import socket

from interop_bench.strategies.uds import UdsStrategy


class DiesAfterReading:
    """A socket whose peer reads the whole of each sendmsg, then dies (closes)."""

    def __init__(self) -> None:
        self.end, self.peer = socket.socketpair()
        self.sendall_calls = 0

    def sendmsg(self, parts: list[bytes | memoryview]) -> int:
        sent = self.end.sendmsg(parts)
        self.peer.recv(sent)
        self.peer.close()
        return sent

    def sendall(self, data: memoryview) -> None:
        self.sendall_calls += 1
        self.end.sendall(data)


def test_a_request_sent_whole_is_done_before_its_peer_dies() -> None:
    # The worker had the whole request (and stalled, or was killed) before the
    # caller's next syscall: a send of the empty rest would fail with EPIPE and
    # name a death that came after the request, as if it had cut it short.
    strategy = UdsStrategy()
    fake = DiesAfterReading()
    strategy._socket = fake  # type: ignore[assignment]
    try:
        strategy._write_all(b"header", memoryview(b"payload"))
    finally:
        fake.end.close()
    assert fake.sendall_calls == 0
