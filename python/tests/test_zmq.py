"""What `zmq` and `zmq-copy` promise beyond the IPC table's fault tests
(test_ipc.py): no socket file, only an abstract name that goes with the socket;
a dead, silent or oversized exchange ends in a clear error; and who copies the
array is what the strategy says. And `zmq-tcp`'s: a peer killed mid-call (its
own, or one on another host) is named, clients without the secret are refused,
an oversized frame is dropped, and `run --peer zmq-tcp=...` measures against a
running peer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import zmq
from peer_secret import SECRET
from worker_faults import gone, stall_fifo, wait_gone, when_stalled

from interop_bench import cli, native, ops, results_file
from interop_bench.strategies import get
from interop_bench.strategies._transport import net_peer, zmq_channel, zmq_tcp_channel
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.net_peer import Address
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess
from interop_bench.strategies._transport.zmq_tcp_channel import ZmqTcpChannel
from interop_bench.strategies.zmq import ZmqCopyStrategy, ZmqStrategy
from interop_bench.strategies.zmq_tcp import ZmqTcpPlainStrategy, ZmqTcpStrategy

VARIANTS = {"zmq": ZmqStrategy, "zmq-copy": ZmqCopyStrategy}


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> type[ZmqStrategy]:
    return VARIANTS[request.param]


def _our_unix_sockets() -> list[str]:
    """The paths of this process's zmq endpoints in /proc/net/unix ("@..." when abstract)."""
    marker = f"{zmq_channel.ENDPOINT_PREFIX}{os.getpid()}_"
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
    monkeypatch.setattr(zmq_channel, "REPLY_TIMEOUT_S", 2.0)
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
    monkeypatch.setattr(variant, "max_payload_bytes", 800)
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
    monkeypatch.setattr(zmq_channel, "MAX_MESSAGE_BYTES", 800)  # what the worker is told
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


_HEADER = proto.packer(proto.PIPE_REQUEST, "magic", "row_stride")


def test_zmq_sends_a_typed_array_as_its_own_bytes_with_its_dtype_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ZmqStrategy() as strategy:
        channel = strategy._channel
        assert channel is not None
        spy = _SendSpy(channel.socket)
        monkeypatch.setattr(channel.socket, "send", spy)
        for dtype in ops.DTYPES:
            a = ops.make_vector(10, dtype=dtype)
            ops.check_sum(strategy.sum(a), a)
            (header, _), (payload, _) = spy.sent[-2:]
            assert isinstance(payload, memoryview)
            assert (payload.nbytes, np.frombuffer(payload, dtype=a.dtype).ctypes.data) == (
                a.nbytes, a.ctypes.data,
            )  # fmt: skip
            fields = _HEADER.unpack(header)
            assert (fields[9], fields[8]) == (proto.DTYPE_CODES[dtype], a.nbytes)


def test_zmq_hands_libzmq_a_padded_frames_own_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    image = ops.make_frame(40, 100, seed=3)[:, :70, :]  # rows 300 bytes apart, 210 of pixels
    with ZmqStrategy() as strategy:
        channel = strategy._channel
        assert channel is not None
        spy = _SendSpy(channel.socket)
        monkeypatch.setattr(channel.socket, "send", spy)
        gray = strategy.frame(image)
        (header, _), (payload, copy) = spy.sent[-2:]
    ops.check_array(gray, ops.gray_reference(image), "frame")
    assert isinstance(payload, memoryview) and not copy
    assert np.frombuffer(payload, dtype=np.uint8).ctypes.data == image.ctypes.data
    assert payload.nbytes == 39 * 300 + 210  # the padding between rows goes too
    assert _HEADER.unpack(header)[11] == 300  # row_stride, in bytes
    wrapped = gray.base.base  # the reshape's base is the array NumPy made over the message
    assert isinstance(wrapped, memoryview) and isinstance(wrapped.obj, zmq.Frame)


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


# -- zmq-tcp: the same exchange over tcp:// to a network peer, CURVE ------------


@contextmanager
def zmq_peer(secret_file: Path, *flags: str) -> Iterator[tuple[WorkerProcess, Address]]:
    """A zmq-tcp peer serving client after client on loopback, as one started by hand."""
    args = ["--listen=127.0.0.1:0", f"--secret-file={secret_file}", *flags]
    worker = WorkerProcess(args, pipes=True, program=zmq_channel.WORKER)
    try:
        _, host, port = net_peer._first_line(worker).split()
        yield worker, Address(host, int(port))
    finally:
        worker.kill()
        worker.stop()


@pytest.fixture
def use_peer(secret_file: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Address], None]:
    """Point zmq-tcp at a peer that is already running (what run --peer does)."""

    def use(address: Address) -> None:
        monkeypatch.setenv(net_peer.PEERS_VARIABLE, f"zmq-tcp={address}")
        monkeypatch.setenv(net_peer.SECRET_VARIABLE, str(secret_file))

    return use


@pytest.mark.parametrize("kind", [ZmqTcpStrategy, ZmqTcpPlainStrategy])
def test_zmq_tcp_answers_every_op_and_its_own_peer_goes_with_it(kind: type[ZmqTcpStrategy]) -> None:
    strategy, curve = kind(), kind is ZmqTcpStrategy
    with strategy:
        assert strategy.address is not None and strategy.address.host == "127.0.0.1"
        channel = strategy._channel
        assert channel is not None
        assert channel.socket.mechanism == (zmq.CURVE if curve else zmq.NULL)
        for size in (1, 1000, 300_000):
            a = ops.make_vector(size, seed=size)
            ops.check_sum(strategy.sum(a), a)
            ops.check_array(strategy.scale(a, 3.0), a * 3.0, "scale")
        pids = strategy.worker_pids()
    assert pids and all(wait_gone(pid) for pid in pids)


def test_a_zmq_tcp_peer_killed_mid_call_is_named_and_the_next_strategy_works(
    tmp_path: Path,
) -> None:
    fifo = stall_fifo(tmp_path)
    strategy = ZmqTcpStrategy(worker_flags=("--fault=slow", f"--stall-fifo={fifo}"))
    strategy.open()
    [pid] = strategy.worker_pids()
    killer = when_stalled(fifo, lambda: os.kill(pid, signal.SIGKILL))
    wanted = rf"ib_zmq_worker \(pid {pid}\) was killed by SIGKILL before it answered"
    with pytest.raises(WorkerError, match=wanted):
        strategy.sum(ops.make_vector(1000))
    killer.join()
    assert not strategy.is_open and wait_gone(pid)
    with ZmqTcpStrategy() as after:  # the next cell of a run
        a = ops.make_vector(100)
        ops.check_sum(after.sum(a), a)


def test_a_remote_zmq_tcp_peer_killed_mid_call_is_a_lost_connection(
    tmp_path: Path, secret_file: Path, use_peer: Callable[[Address], None]
) -> None:
    """No pidfd for a peer on another host: the monitor's DISCONNECTED ends the wait."""
    fifo = stall_fifo(tmp_path)
    with zmq_peer(secret_file, "--fault=slow", f"--stall-fifo={fifo}") as (worker, address):
        use_peer(address)
        strategy = ZmqTcpStrategy()
        strategy.open()
        assert strategy.worker_pids() == []
        killer = when_stalled(fifo, worker.kill)
        wanted = rf"the peer at {re.escape(str(address))} closed the connection before it answered"
        with pytest.raises(WorkerError, match=wanted):
            strategy.sum(ops.make_vector(1000))
        killer.join()
        assert not strategy.is_open


def test_zmq_tcp_serves_client_after_client_of_a_running_peer(
    secret_file: Path, use_peer: Callable[[Address], None]
) -> None:
    with zmq_peer(secret_file) as (worker, address):
        use_peer(address)
        for _ in range(2):  # one pass after the other; each one's STOP ends only its own turn
            with ZmqTcpStrategy() as strategy:
                assert strategy.address == address
                a = ops.make_vector(100_000)
                ops.check_array(strategy.scale(a, 2.0), a * 2.0, "scale")
        assert worker.alive()


def _client(address: Address, secret: bytes, *, curve: bool = True) -> ZmqTcpChannel:
    return ZmqTcpChannel(address, secret, worker=None, curve=curve, copy_threshold=0)


def test_zmq_tcp_clients_without_the_secret_are_refused(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = "refused this client's handshake"
    with zmq_peer(secret_file) as (worker, address):
        with pytest.raises(WorkerError, match=refused):  # wrong keys both ways
            _client(address, b"not the secret but long enough")
        with pytest.raises(WorkerError, match=refused):  # no CURVE at all
            _client(address, SECRET, curve=False)
        with monkeypatch.context() as patched:  # the server's key, a client key of its own:
            patched.setattr(zmq_tcp_channel, "CLIENT_KEY_LABEL", b"someone else")
            with pytest.raises(WorkerError, match=refused):  # the peer's ZAP handler says no
                _client(address, SECRET)
        _client(address, SECRET).close()  # and it still lets in those who hold the secret
        assert worker.alive()


def test_the_zmq_tcp_peer_drops_an_oversized_frame_before_allocating_it(
    secret_file: Path, use_peer: Callable[[Address], None]
) -> None:
    """Past the Python check (as a hostile client would be), the peer's libzmq drops
    the connection on reading the frame's length, and serves the next client."""
    with zmq_peer(secret_file, "--max-message-bytes=800") as (worker, address):
        use_peer(address)
        strategy = ZmqTcpStrategy()
        with strategy:
            ops.check_sum(strategy.sum(np.ones(90)), np.ones(90))
            with pytest.raises(WorkerError, match="closed the connection before it answered"):
                strategy.sum(np.ones(1010))
        assert worker.alive()
        with ZmqTcpStrategy() as again:
            ops.check_sum(again.sum(np.ones(90)), np.ones(90))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--listen=0.0.0.0:0"], "not a loopback address: binding it needs --allow-remote"),
        (["--listen=0.0.0.0:0", "--allow-remote", "--no-curve"], "--no-curve is for loopback"),
    ],
)
def test_the_zmq_tcp_peer_refuses_to_serve_the_network_unless_told_and_secured(
    flags: list[str], message: str, secret_file: Path
) -> None:
    done = subprocess.run(
        [native.executable(zmq_channel.WORKER), *flags, f"--secret-file={secret_file}"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode in (4, 64) and message in done.stderr


def test_run_peer_measures_zmq_tcp_against_a_running_peer_and_refuses_the_plain_variant(
    tmp_path: Path, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(net_peer.PEERS_VARIABLE, "")  # run --peer sets them: undone after
    monkeypatch.setenv(net_peer.SECRET_VARIABLE, "")
    with zmq_peer(secret_file) as (_, address):
        out = tmp_path / "zmq-tcp.json"
        status = cli.main([
            "run", "--strategies", "zmq-tcp,zmq-tcp-plain", "--ops", "sum", "--sizes", "1,1000",
            "--profile",
            "quick", "--processes", "1", "--no-instructions", "--quiet", "--out", str(out),
            "--peer", f"zmq-tcp={address}", "--peer-secret-file", str(secret_file),
        ])  # fmt: skip
    assert status == 0
    document = results_file.load(out)
    assert document["environment"]["link"]["peers"] == {"zmq-tcp": str(address)}
    assert {c["status"] for c in document["cells"] if c["strategy"] == "zmq-tcp"} == {"ok"}
    # NULL security authenticates nobody: the plain variant is not measured against peers.
    plain = [c for c in document["cells"] if c["strategy"] == "zmq-tcp-plain"]
    assert plain and all(c["status"] == "error" and "loopback only" in c["reason"] for c in plain)


def test_interop_bench_peer_runs_the_zmq_tcp_peer(
    secret_file: Path, use_peer: Callable[[Address], None]
) -> None:
    command = [sys.executable, "-m", "interop_bench", "peer", "--strategy", "zmq-tcp"]
    peer = subprocess.Popen(
        [*command, "--listen", "127.0.0.1:0", "--secret-file", str(secret_file)],
        stdout=subprocess.PIPE,
    )
    try:
        assert peer.stdout is not None
        _, host, port = peer.stdout.readline().decode().split()
        use_peer(Address(host, int(port)))
        with ZmqTcpStrategy() as strategy:
            a = ops.make_vector(1000)
            ops.check_sum(strategy.sum(a), a)
    finally:
        peer.kill()
        peer.wait()
