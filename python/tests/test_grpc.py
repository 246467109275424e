"""The grpc strategies and ib_grpc_peer: a server killed mid-call gives a clear
error and reopening starts afresh, sizes over the limit or that lie are refused
before anything is allocated for them, an unsigned, wrongly signed or replayed
call is refused, the server binds loopback unless told otherwise, and a server
that is already running is used when it is named. (Answers, layouts and bad
arguments are test_conformance.py's; the emulated link test_netns_link.py's.)"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import numpy as np
import pytest
from peer_secret import SECRET
from runner_helpers import check_a_dead_peers_cell_is_an_error
from worker_faults import check_a_stall_runs_into_the_deadline, stall_fifo, wait_gone, when_stalled

from interop_bench import native, ops
from interop_bench.strategies._transport import grpc_wire as wire
from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.grpc_channel import PROGRAM, SERVICE, GrpcChannel
from interop_bench.strategies._transport.worker import (
    WorkerError,
    WorkerProcess,
    WorkerRefusedError,
)
from interop_bench.strategies.grpc_array import GrpcStrategy, GrpcStreamStrategy

pytestmark = pytest.mark.network

BOTH = [GrpcStrategy, GrpcStreamStrategy]
TIMEOUT_S = 30.0


@contextmanager
def running_server(
    secret_file: Path, *flags: str
) -> Iterator[tuple[WorkerProcess, net_peer.Address]]:
    """An ib_grpc_peer on loopback, as one started by hand would be."""
    args = ["--listen=127.0.0.1:0", f"--secret-file={secret_file}", *flags]
    worker = WorkerProcess(args, pipes=True, program=PROGRAM)
    try:
        _, host, port = net_peer._first_line(worker).split()
        yield worker, net_peer.Address(host, int(port))
    finally:
        worker.kill()
        worker.stop()


@contextmanager
def raw_channel(address: net_peer.Address) -> Iterator[grpc.Channel]:
    channel = grpc.insecure_channel(str(address), options=[("grpc.enable_http_proxy", 0)])
    try:
        yield channel
    finally:
        channel.close()


def _code(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code(), caught.value.details()


# -- a server that fails mid-call ------------------------------------------------


@pytest.mark.parametrize("cls", BOTH)
def test_a_server_killed_mid_call_gives_a_clear_error_and_reopen_starts_afresh(
    cls: type[GrpcStrategy], tmp_path: Path
) -> None:
    fifo = stall_fifo(tmp_path)
    strategy = cls(worker_flags=("--fault=slow", f"--stall-fifo={fifo}"))
    strategy.open()
    [pid] = strategy.worker_pids()
    killer = when_stalled(fifo, lambda: os.kill(pid, signal.SIGKILL))
    with pytest.raises(WorkerError, match=r"killed by SIGKILL during the call \(UNAVAILABLE"):
        strategy.sum(ops.make_vector(300_000))
    killer.join()
    assert not strategy.is_open and wait_gone(pid)
    strategy._worker_flags = ()  # the next server without the stall
    with strategy:
        a = ops.make_vector(1000)
        ops.check_sum(strategy.sum(a), a)


@pytest.mark.parametrize("cls", BOTH)
def test_a_server_that_stops_answering_runs_into_the_deadline(
    cls: type[GrpcStrategy], tmp_path: Path
) -> None:
    check_a_stall_runs_into_the_deadline(cls, tmp_path)


# -- sizes over the limit, or that lie ---------------------------------------------


def test_a_unary_call_over_the_servers_limit_is_refused_and_the_strategy_goes_on() -> None:
    with GrpcStrategy(worker_flags=("--max-bytes=4096",)) as strategy:
        with pytest.raises(WorkerRefusedError, match="larger than max"):
            strategy.sum(ops.make_vector(1000))  # 8000 bytes: gRPC's own limit refuses it
        a = ops.make_vector(100)
        ops.check_sum(strategy.sum(a), a)


class _HugeView:
    """What _call reads of a payload over 1 GiB, without a GiB allocated."""

    nbytes = (1 << 30) + 8


def test_the_client_refuses_an_array_over_the_limit_before_sending_it() -> None:
    with GrpcStrategy() as strategy, pytest.raises(ValueError, match="larger than the"):
        strategy._call(proto.Op.SUM, 1 << 27, payload=_HugeView())


def test_a_call_whose_data_does_not_hold_its_count_is_refused(secret_file: Path) -> None:
    with running_server(secret_file) as (_, address):
        channel = GrpcChannel(address, SECRET, TIMEOUT_S, 1 << 20)
        try:
            fields = wire.call_fields(proto.Op.SUM, 1000)
            request = fields + wire.data_prefix(80) + bytes(80)
            code, details = _code(lambda: channel.unary(request))
        finally:
            channel.close()
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "payload of 80 bytes does not hold" in details


def test_an_integer_sum_comes_back_exact_in_integer_result(secret_file: Path) -> None:
    values = np.array([2**31 - 1, 2**31 - 1, -5], dtype=np.int32)
    with running_server(secret_file) as (_, address):
        channel = GrpcChannel(address, SECRET, TIMEOUT_S, 1 << 20)
        try:
            fields = wire.call_fields(proto.Op.SUM, 3, dtype=proto.DTYPE_CODES["int32"])
            answer = wire.fields(channel.unary(fields + wire.data_prefix(12) + values.tobytes()))
        finally:
            channel.close()
    assert answer[4] == 2 * (2**31 - 1) - 5  # integer_result, exact
    assert 2 not in answer  # no double on the way


@pytest.mark.parametrize(
    ("fields", "data", "named"),
    [
        ({"count": 1, "dtype": 7}, bytes(8), "unknown dtype code 7"),
        ({"count": 0, "rows": 1, "cols": 1, "dtype": 0}, bytes(24), "a frame is uint8"),
        ({"count": 0, "rows": 2, "cols": 2, "dtype": 4, "row_stride": 5}, bytes(11), "stride"),
        ({"count": 0, "rows": 1 << 62, "cols": 1 << 62, "dtype": 4}, b"", "overflow"),
    ],
)
def test_a_call_with_a_hostile_dtype_or_frame_is_refused(
    secret_file: Path, fields: dict[str, int], data: bytes, named: str
) -> None:
    op = proto.Op.FRAME if "rows" in fields else proto.Op.SUM
    with running_server(secret_file) as (_, address):
        channel = GrpcChannel(address, SECRET, TIMEOUT_S, 1 << 20)
        try:
            request = wire.call_fields(op, **fields) + wire.data_prefix(len(data)) + data
            code, details = _code(lambda: channel.unary(request))
        finally:
            channel.close()
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert named in details


def _stream(channel: GrpcChannel, messages: list[bytes]) -> tuple[grpc.StatusCode, str]:
    def drain() -> None:
        for _ in channel.streamed(iter(messages)):
            pass

    return _code(drain)


def test_a_stream_announcing_more_than_the_limit_is_refused_before_allocating_it(
    secret_file: Path,
) -> None:
    with running_server(secret_file) as (worker, address):
        channel = GrpcChannel(address, SECRET, TIMEOUT_S, 4 << 20)
        try:
            fields = wire.call_fields(proto.Op.SUM, 1 << 57, payload_bytes=1 << 60)
            code, details = _stream(channel, [fields])
        finally:
            channel.close()
        assert _peak_resident_bytes(worker.pid) < 256 << 20
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"payload of {1 << 60} bytes is over this peer's limit" in details


@pytest.mark.parametrize(
    ("pieces", "message"),
    [([8000, 8], "sent more than the 8000 bytes it announced"), ([4000], "ended after 4000")],
)
def test_a_stream_whose_pieces_lie_about_its_size_is_refused(
    secret_file: Path, pieces: list[int], message: str
) -> None:
    with running_server(secret_file) as (_, address):
        channel = GrpcChannel(address, SECRET, TIMEOUT_S, 4 << 20)
        try:
            fields = wire.call_fields(proto.Op.SUM, 1000, payload_bytes=8000)
            messages = [(fields if i == 0 else b"") + wire.data_prefix(n) + bytes(n)
                        for i, n in enumerate(pieces)]  # fmt: skip
            code, details = _stream(channel, messages)
        finally:
            channel.close()
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert message in details


def _peak_resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize(
    "answer",
    [
        b"\x0a\x10" + bytes(4),  # data announces 16 bytes, 4 follow
        b"\x0a" + b"\xff" * 11,  # an overlong varint
        b"\x11\x00\x00",  # result cut short
        b"\x0b",  # wire type 3 (a group) is not in the schema
        b"\x10\x01",  # result as a varint, not a double
        b"\x22\x00",  # integer_result as bytes, not a varint
        b"\x20" + b"\xff" * 9 + b"\x03",  # integer_result of 65 bits
    ],
)
def test_an_answer_that_breaks_the_wire_format_is_refused(answer: bytes) -> None:
    with pytest.raises(WorkerError, match="broke the protocol"):
        wire.answer(answer)


def test_the_wire_format_round_trips_an_answer() -> None:
    values = np.arange(4.0)
    message = (b"\x0a" + wire.varint(32) + values.tobytes() + b"\x11" + np.float64(2.5).tobytes()
               + b"\x18" + wire.varint(1 << 40))  # fmt: skip
    answer = wire.answer(message)
    assert np.array_equal(np.frombuffer(answer.data), values)
    assert (answer.result, answer.detail, answer.integer_result) == (2.5, 1 << 40, 0)
    assert wire.answer(b"\x20" + wire.varint((1 << 64) - 1)).integer_result == (1 << 64) - 1


def test_a_request_carries_its_dtype_and_row_stride() -> None:
    fields = wire.call_fields(proto.Op.FRAME, 0, rows=2, cols=3, dtype=4, row_stride=12)
    assert wire.fields(fields) == {1: proto.Op.FRAME, 3: 2, 4: 3, 7: 4, 8: 12}
    assert 7 not in wire.fields(wire.call_fields(proto.Op.SUM, 5))  # float64: left out


# -- who may call the server --------------------------------------------------


def test_an_unsigned_call_is_refused(secret_file: Path) -> None:
    with running_server(secret_file) as (_, address), raw_channel(address) as channel:
        call = channel.unary_unary(SERVICE + "Call")
        request = wire.call_fields(proto.Op.SUM, 1) + wire.data_prefix(8) + bytes(8)
        code, details = _code(lambda: call(request, timeout=TIMEOUT_S))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "not signed" in details


def test_a_call_signed_with_another_secret_or_replayed_is_refused(secret_file: Path) -> None:
    request = wire.call_fields(proto.Op.SUM, 1) + wire.data_prefix(8) + bytes(8)
    with running_server(secret_file) as (_, address):
        channel = GrpcChannel(address, SECRET, TIMEOUT_S, 1 << 20)
        try:
            signed = channel.signed()
            assert wire.answer(channel.call(request, timeout=TIMEOUT_S, metadata=signed))
            code, details = _code(lambda: channel.call(request, timeout=TIMEOUT_S,
                                                       metadata=signed))  # fmt: skip
            assert (code, "a replay" in details) == (grpc.StatusCode.UNAUTHENTICATED, True)
            channel._secret = b"not the secret but long enough"
            code, details = _code(lambda: channel.unary(request))
            assert code == grpc.StatusCode.UNAUTHENTICATED
            assert "the client's secret differs" in details
        finally:
            channel.close()


def test_a_client_with_the_wrong_secret_learns_it_at_hello(secret_file: Path) -> None:
    with running_server(secret_file) as (_, address):
        with pytest.raises(WorkerError, match="did not prove that it holds the secret"):
            GrpcChannel(address, b"not the secret but long enough", TIMEOUT_S, 1 << 20)
        GrpcChannel(address, SECRET, TIMEOUT_S, 1 << 20).close()  # and it serves those who hold it


def test_the_server_binds_loopback_unless_told_otherwise(secret_file: Path) -> None:
    done = subprocess.run(
        [native.executable(PROGRAM), "--listen=0.0.0.0:0", f"--secret-file={secret_file}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 4
    assert "not a loopback address: binding it needs --allow-remote" in done.stderr


# -- a server that is already running ------------------------------------------


@pytest.mark.parametrize("cls", BOTH)
def test_the_strategy_uses_the_server_it_is_given(
    cls: type[GrpcStrategy], secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_server(secret_file) as (worker, address):
        monkeypatch.setenv(net_peer.PEERS_VARIABLE, f"{cls.name}={address}")
        monkeypatch.setenv(net_peer.SECRET_VARIABLE, str(secret_file))
        for _ in range(2):  # one client after the other, as the passes of a run
            with cls() as strategy:
                assert strategy.address == address and strategy.worker_pids() == []
                a = ops.make_vector(3_000_000)  # several stream pieces, over 4 MiB unary
                ops.check_array(strategy.scale(a, 3.0), a * 3.0, "scale")
                squared = a.copy()
                strategy.square(squared)
                ops.check_array(squared, np.square(a), "square")
        assert worker.alive()


class KilledGrpc(GrpcStrategy):
    """Its local peer is killed by SIGKILL just before each scale call: the call
    meets a peer that is gone, in every pass."""

    name = "killed-grpc"

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        for pid in self.worker_pids():
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid)
        return super().scale(a, k)


def test_a_run_records_the_cell_whose_peer_died_as_an_error_and_goes_on(tmp_path: Path) -> None:
    check_a_dead_peers_cell_is_an_error(tmp_path, "killed-grpc", KilledGrpc)
