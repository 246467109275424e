"""`zmq` and `zmq-copy`: a C++ worker (cppzmq, strategies/zmq) answering over a
ZeroMQ DEALER/REP pair on ipc:// in Linux's abstract namespace, what a service
built on ZeroMQ does.

The requests and replies are the pipe protocol's (strategies/_ipc_core/protocol.hpp)
framed by zmq: a request is one message of two frames (the header, with the
array's dtype code, and the array's bytes), a reply one of two (the header,
the result's bytes), each behind the empty delimiter frame that the REP
socket expects and echoes, and the worker checks them with the pipe server's code
(strategies/_ipc_core/frames.cpp) and runs the kernel of the array's own type. A
frame goes out as its rows where they lie (padding included while it is no
larger than the pixels, with the row stride in the header: worker_strategy.frame_payload),
so zmq hands libzmq a padded or cropped image's own memory too.

`zmq` is pyzmq's zero-copy use: send(copy=False) hands libzmq the array's own
memory (zmq_msg_init_data), with the socket's copy_threshold at 0 so that this
holds at every size (by default pyzmq copies anything under 64 kB instead,
because zero-copy costs more than a small memcpy: pyzmq#1032 and #1036, which
this variant next to `zmq-copy` shows); the reply comes with recv(copy=False) as
Frames over libzmq's own messages, and NumPy wraps scale's and frame's. `zmq-copy` is what
users write by default: send(a) copies the array into a message, recv() copies
each reply frame into bytes.

Unlike `uds`, the kernel's socket buffers stay at the system's default: libzmq
applies ZMQ_SNDBUF and ZMQ_RCVBUF to TCP connections only, not to ipc ones.

Phases (`call_with_phases`): send, round_trip, receive, as
_transport/zmq_strategy.py says, which also says how frames pipeline (depth 2).
"""

from __future__ import annotations

from typing import ClassVar

import zmq

from interop_bench.strategies._transport.zmq_channel import ZmqChannel
from interop_bench.strategies._transport.zmq_strategy import ZmqExchangeStrategy


class ZmqStrategy(ZmqExchangeStrategy):
    name = "zmq"
    sources: ClassVar[tuple[str, ...]] = (
        "strategies/zmq/zmq_server.cpp",
        "strategies/zmq/zmq_worker.cpp",
        "strategies/_ipc_core/frames.cpp",
        "strategies/_ipc_core/requests.cpp",
    )
    description = (
        "C++ worker (cppzmq) over a ZeroMQ DEALER/REP pair on ipc:// (abstract namespace): "
        "pyzmq send(copy=False) of the array's buffer, recv(copy=False) wrapped by NumPy"
    )
    copies_note = (
        "in: pyzmq hands libzmq the array's own memory (zmq_msg_init_data, no copy, at every "
        "size: copy_threshold 0) and the socket copies it twice (libzmq's I/O thread writes it, "
        "the worker's reads it into a message of its own, or a small one into its 8 KiB receive "
        "batch); the worker's kernel reads it there, or from an aligned copy when it lies "
        "unaligned in the batch; out: the worker writes scale's result into a buffer it hands "
        "libzmq without a copy and sends square's request message back squared in place (a "
        "copy of the aligned block when it made one), the socket copies it twice, and "
        "recv(copy=False) keeps libzmq's message as a Frame, which NumPy wraps as scale's "
        "and frame's result (no copy; unaligned when it arrived in the receive batch) and "
        "square copies into the caller's array; a strided matrix is packed first; a padded or "
        "cropped frame goes out in place with its padding while that is no larger than its "
        "pixels, else packed first"
    )

    def _open(self) -> None:
        # copy=True ignores the threshold; copy=False honours it, so 0 makes it zero-copy always.
        threshold = zmq.COPY_THRESHOLD if self.copy_frames else 0
        channel = ZmqChannel(self._worker_flags, copy_threshold=threshold)
        self._channel, self._worker = channel, channel.worker


class ZmqCopyStrategy(ZmqStrategy):
    name = "zmq-copy"
    description = (
        "C++ worker (cppzmq) over a ZeroMQ DEALER/REP pair on ipc:// (abstract namespace): "
        "pyzmq's default send(a) and recv(), which copy each frame"
    )
    copies_note = (
        "in: send(copy=True) copies the array into a message libzmq allocates "
        "(zmq_msg_init_size + memcpy), then the bytes cross the socket as for zmq (the kernel "
        "copies them twice; the worker side is zmq's); out: recv() copies each reply frame out "
        "of libzmq's message into bytes, which NumPy wraps read-only as scale's result and "
        "square copies again into the caller's array; a strided matrix is packed first"
    )
    copy_frames = True
