"""What `zmq` and `zmq-copy` promise beyond the IPC table's fault tests
(test_ipc.py): no socket file, only an abstract name that goes with the socket;
a dead, silent or oversized exchange ends in a clear error; and who copies the
array is what the strategy says."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zmq
from worker_faults import gone, wait_gone

from interop_bench import ops
from interop_bench.strategies import _zmq_channel, get
from interop_bench.strategies import zmq as zmq_strategies
from interop_bench.strategies._ipc_worker import WorkerError
from interop_bench.strategies.zmq import ZmqCopyStrategy, ZmqStrategy

VARIANTS = {"zmq": ZmqStrategy, "zmq-copy": ZmqCopyStrategy}


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> type[ZmqStrategy]:
    return VARIANTS[request.param]


def _our_unix_sockets() -> list[str]:
    """The paths of this process's zmq endpoints in /proc/net/unix ("@..." when abstract)."""
    marker = f"{_zmq_channel.ENDPOINT_PREFIX}{os.getpid()}_"
    lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    paths = [line.split()[-1] for line in lines if len(line.split()) == 8]
    return [path for path in paths if marker in path]


def test_the_endpoint_is_an_abstract_name_that_goes_with_the_socket(
    variant: type[ZmqStrategy],
) -> None:
    strategy = variant()
    with strategy:
        ops.check_sum(strategy.sum(ops.make_vector(10)), ops.make_vector(10))
        names = _our_unix_sockets()
        assert names, "the bound endpoint is not listed"
        assert all(name.startswith("@") for name in names), f"a socket file: {names}"
        pids = strategy.worker_pids()
    assert _our_unix_sockets() == []
    assert all(gone(pid) for pid in pids)


def test_two_strategies_at_once_have_their_own_endpoints() -> None:
    with ZmqStrategy() as first, ZmqCopyStrategy() as second:
        assert first._channel is not None and second._channel is not None
        assert first._channel.endpoint != second._channel.endpoint
        for i in range(20):
            for strategy in (first, second):
                a = ops.make_vector(1000, seed=i)
                ops.check_sum(strategy.sum(a), a)


def test_a_worker_killed_between_calls_is_named_at_the_next_call(
    variant: type[ZmqStrategy],
) -> None:
    strategy = variant()
    strategy.open()
    pid = strategy.worker_pids()[0]
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    with pytest.raises(WorkerError, match=rf"ib_zmq_worker \(pid {pid}\) was killed by SIGKILL"):
        strategy.sum(ops.make_vector(10))
    assert not strategy.is_open
    with strategy:  # reopening starts a new worker
        a = ops.make_vector(100)
        ops.check_sum(strategy.sum(a), a)


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """A reply deadline short enough for a test, long enough for a worker to start
    and answer on a loaded machine (a bound, not a pace)."""
    monkeypatch.setattr(_zmq_channel, "REPLY_TIMEOUT_S", 2.0)
    yield 2.0


def test_a_silent_worker_ends_in_a_clear_error(
    variant: type[ZmqStrategy], short_timeout: float
) -> None:
    strategy = variant(worker_flags=("--fault=slow",))  # stalls for a minute in every call
    strategy.open()
    pids = strategy.worker_pids()
    with pytest.raises(WorkerError, match=f"gave no answer within {short_timeout:g} s"):
        strategy.sum(ops.make_vector(10))
    assert not strategy.is_open
    assert wait_gone(pids[0])
    assert _our_unix_sockets() == []


def test_an_array_over_the_frame_limit_is_refused_before_it_is_sent(
    variant: type[ZmqStrategy], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zmq_strategies, "MAX_MESSAGE_BYTES", 800)
    with variant() as strategy:
        sent = strategy._seq
        with pytest.raises(ValueError, match="8080 bytes is larger than the 800 bytes"):
            strategy.sum(np.ones(1010))
        assert strategy._seq == sent
        ops.check_sum(strategy.sum(np.ones(100)), np.ones(100))


def test_the_worker_refuses_an_oversized_frame_before_allocating_it(
    variant: type[ZmqStrategy], monkeypatch: pytest.MonkeyPatch, short_timeout: float
) -> None:
    """Past the Python check (as a hostile peer would be), the worker's libzmq drops
    the connection on reading the frame's length: the worker lives on, no reply comes."""
    monkeypatch.setattr(_zmq_channel, "MAX_MESSAGE_BYTES", 800)  # what the worker is told
    with variant() as strategy:
        ops.check_sum(strategy.sum(np.ones(100)), np.ones(100))
        with pytest.raises(WorkerError, match="gave no answer"):  # not "killed", not "exited"
            strategy.sum(np.ones(1010))


class _SendSpy:
    """Records the frames a socket is asked to send, then sends them."""

    def __init__(self, socket: zmq.Socket[bytes]) -> None:
        self.socket = socket
        self.sent: list[tuple[object, bool]] = []

    def __call__(self, data: object, flags: int = 0, copy: bool = True, **kwargs: bool) -> object:
        self.sent.append((data, copy))
        return type(self.socket).send(self.socket, data, flags, copy=copy, **kwargs)


def test_zmq_hands_libzmq_the_arrays_own_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    for strategy_class, zero_copy in ((ZmqStrategy, True), (ZmqCopyStrategy, False)):
        with strategy_class() as strategy:
            channel = strategy._channel
            assert channel is not None
            spy = _SendSpy(channel.socket)
            monkeypatch.setattr(channel.socket, "send", spy)
            a = ops.make_vector(10)  # far below pyzmq's default copy threshold
            ops.check_sum(strategy.sum(a), a)
            payload, copy = spy.sent[-1]
            assert isinstance(payload, memoryview)
            assert np.frombuffer(payload).ctypes.data == a.ctypes.data
            assert copy is not zero_copy
            assert (channel.socket.copy_threshold == 0) is zero_copy


def test_zmq_scale_wraps_the_received_message_and_zmq_copy_its_bytes() -> None:
    a = ops.make_vector(10_000)
    with get("zmq") as strategy:
        wrapped = strategy.scale(a, 2.0)
    with get("zmq-copy") as strategy:
        copied = strategy.scale(a, 2.0)
    for result in (wrapped, copied):  # each outlives its strategy
        ops.check_array(result, a * 2.0, "scale")
        assert not result.flags.owndata
    assert isinstance(wrapped.base, memoryview) and isinstance(wrapped.base.obj, zmq.Frame)
    assert wrapped.flags.writeable
    assert isinstance(copied.base, memoryview) and isinstance(copied.base.obj, bytes)
    assert not copied.flags.writeable
