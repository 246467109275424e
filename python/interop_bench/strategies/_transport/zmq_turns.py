"""Turns at one ZeroMQ socket for the thread that sends frames and the one that
waits for their replies: libzmq lets a socket be used by one thread at a time
only (a full fence between uses), and a DEALER's send and its poll from two
threads at once corrupt it.

The receiving thread holds the socket for as long as it waits for a reply, in
a poll that also watches `ask_fd`. A thread that wants the socket while another
holds it (the sender of the next frame, a close) counts itself among the askers
and writes to `ask_fd`; the waiting receiver reads it, lets go of the socket
until no one is asking any more, and takes it back to poll again. The sender
thus waits for the receiver's wake-up, never for a reply, and no two threads
ever touch the socket at once. (The alternative, one I/O thread owning the
socket with inproc sockets to the other two, would add two thread wake-ups to
every frame instead of one to a send that meets a waiting receiver.)
"""

from __future__ import annotations

import contextlib
import os
import threading


class SocketClosedError(RuntimeError):
    """The socket was closed while this thread waited for its turn."""


class SocketTurns:
    """Who holds the socket: `take` and `give_back` around a use, `let_go` by a
    holder that is waiting in a poll when `ask_fd` became readable, `close` by
    the holder that closes the socket (every later `take` is refused)."""

    def __init__(self) -> None:
        self._held = threading.Lock()
        self._asking = threading.Condition()  # guards _askers, closed and ask_fd's life
        self._askers = 0
        self.closed = False
        # A counter: readable while a request to let go is unread (level-triggered).
        self.ask_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)

    def take(self) -> None:
        """The socket for this thread; one waiting on it is asked to let go.
        SocketClosedError once it is closed."""
        if not self._held.acquire(blocking=False):
            self._ask()
        if self.closed:
            self._held.release()
            raise SocketClosedError

    def _ask(self) -> None:
        with self._asking:
            if self.closed:
                raise SocketClosedError
            self._askers += 1
            os.eventfd_write(self.ask_fd, 1)
        try:
            self._held.acquire()
        finally:
            with self._asking:
                self._askers -= 1
                self._asking.notify_all()

    def give_back(self) -> None:
        self._held.release()

    def let_go(self) -> None:
        """Called by the holder whose poll found `ask_fd` readable: the socket to
        the askers until none is left, then back to the caller (SocketClosedError,
        still held, when one of them closed it)."""
        with contextlib.suppress(BlockingIOError):  # an asker served already
            os.eventfd_read(self.ask_fd)
        self._held.release()
        try:
            with self._asking:
                self._asking.wait_for(lambda: self._askers == 0)
        finally:
            self._held.acquire()
        if self.closed:
            raise SocketClosedError

    def close(self) -> None:
        """By the holder, as it closes the socket: no one is let in any more."""
        with self._asking:
            if not self.closed:
                self.closed = True
                os.close(self.ask_fd)
