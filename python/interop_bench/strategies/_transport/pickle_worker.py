"""The Python worker behind the `pickle5` and `pickle` strategies, as multiprocessing
users write one: ``python -m interop_bench.strategies._transport.pickle_worker``.

It reads request frames (_transport/pickle_frames.py) from stdin, runs the kernel core
through the capi extension module (interop_bench._native.ib_capi: the kernel of
each array's own dtype, frame_to_gray for frame) and writes reply frames to
stdout:

    request  (seq, op, args)          op in sum, square, matrix_sum, scale, frame, data_address
    reply    (seq, "ok", result) | (seq, "error", text)
    ready    (0, "ok", pid)           once, after the imports, before any request

Replies use the transport of the request (out-of-band buffers or in-band).
It ends at EOF on stdin, dies with its parent (PR_SET_PDEATHSIG, then a check
that the parent did not go before that was set) and leaves Ctrl-C to the
parent, which decides what to do with it.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import cast

from interop_bench import native
from interop_bench.strategies._transport import pickle_frames as frames

PR_SET_PDEATHSIG = 1  # <sys/prctl.h>
STDIN, STDOUT = 0, 1


def die_with_parent(parent_pid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:  # the parent went before prctl took effect
        os._exit(1)


def operations() -> dict[str, Callable[..., object]]:
    capi = native.extension("ib_capi")
    names = ("sum", "matrix_sum", "scale", "frame", "data_address")
    # A capi built before it carried frames has no frame: the worker still
    # serves the other ops, and refuses frame by name (KeyError: 'frame').
    table: dict[str, Callable[..., object]] = {
        name: getattr(capi, name) for name in names if hasattr(capi, name)
    }

    def square(a: object) -> object:
        capi.square(a)
        return a  # the changed array goes back: the caller's copy is not this one

    table["square"] = square
    return table


# How long a call stalls under --stall-fifo (tests): far longer than a test that
# kills the worker or interrupts the caller needs, as ib_worker's --fault=slow.
STALL_S = 60.0


def stall(fifo: str) -> None:
    """Tests: say "stalled" through the FIFO (waiting for its reader), then stall."""
    with open(fifo, "w") as stream:
        stream.write("stalled\n")
    time.sleep(STALL_S)


def serve(out_of_band: bool, stall_fifo: str | None) -> None:
    ops = operations()
    frames.send(STDOUT, frames.dumps((0, "ok", os.getpid()), out_of_band))
    while True:
        try:
            request, _ = frames.receive(STDIN)
        except frames.PeerClosedError:
            return  # EOF: the parent closed the pipe
        seq, op, args = cast(tuple[int, str, tuple[object, ...]], request)
        if stall_fifo:
            stall(stall_fifo)
        try:
            reply: tuple[object, ...] = (seq, "ok", ops[op](*args))
        except (KeyError, TypeError, ValueError) as error:
            reply = (seq, "error", f"{type(error).__name__}: {error}")
        frames.send(STDOUT, frames.dumps(reply, out_of_band))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parent", type=int, required=True, help="pid of the parent process")
    parser.add_argument("--in-band", action="store_true", help="reply with in-band pickles")
    parser.add_argument(
        "--stall-fifo",
        metavar="PATH",
        help="tests: stall each call, after writing a line to this FIFO",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(args.parent)
    serve(out_of_band=not args.in_band, stall_fifo=args.stall_fifo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
