"""arrow-flight and its peer (ib_flight_peer): a peer that dies or stalls mid-call
gives a clear error, a client without the secret or without its session token is
refused, hostile requests (lying shapes and frames, wrong types, nulls, missing
parameters, factors an integer column cannot hold, columns over the peer's
--max-bytes) are refused with the problem named, integer columns are summed
as integers and answered in their own type, the peer binds loopback unless told
otherwise, and `run --peer arrow-flight=HOST:PORT` measures against a running
peer."""

from __future__ import annotations

import signal
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from peer_secret import SECRET
from pyarrow import flight
from runner_helpers import check_a_dead_peers_cell_is_an_error
from worker_faults import wait_gone

from interop_bench import cli, native, ops, results_file
from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess
from interop_bench.strategies.arrow_flight import (
    PROGRAM,
    ArrowFlightStrategy,
    SecretHandshake,
    command,
)

pytestmark = pytest.mark.network

_SCHEMA = pa.schema([pa.field("values", pa.float64())])


@contextmanager
def running_peer(
    secret_file: Path, *flags: str, host: str = "127.0.0.1"
) -> Iterator[net_peer.Address]:
    """A peer serving client after client on loopback, as one started by hand would."""
    args = [f"--listen={host}:0", f"--secret-file={secret_file}", *flags]
    worker = WorkerProcess(args, pipes=True, program=PROGRAM)
    try:
        _, host, port = net_peer._first_line(worker).split()
        yield net_peer.Address(host, int(port))
    finally:
        worker.kill()
        worker.stop()


@contextmanager
def connected(
    secret_file: Path, *flags: str, host: str = "127.0.0.1"
) -> Iterator[flight.FlightClient]:
    """A client of a running peer, authenticated, that may send anything."""
    with running_peer(secret_file, *flags, host=host) as address:
        end = flight.FlightClient(f"grpc+tcp://{address}")
        end.authenticate(SecretHandshake(SECRET), options=flight.FlightCallOptions(timeout=10))
        yield end
        end.close()


@pytest.fixture
def client(secret_file: Path) -> Iterator[flight.FlightClient]:
    with connected(secret_file) as end:
        yield end


def exchange(
    end: flight.FlightClient, request: bytes, *batches: pa.RecordBatch
) -> flight.FlightStreamChunk:
    options = flight.FlightCallOptions(timeout=10)
    writer, reader = end.do_exchange(flight.FlightDescriptor.for_command(request), options)
    with writer:
        writer.begin(batches[0].schema)
        for batch in batches:
            writer.write_batch(batch)
        writer.done_writing()
        return reader.read_chunk()


def column(values: object, type_: pa.DataType | None = None) -> pa.RecordBatch:
    # NumPy arrays keep their type; a list of floats is float64.
    values = pa.array(values, type=type_)
    return pa.RecordBatch.from_arrays([values], names=["values"])


# -- a peer that fails mid-call ----------------------------------------------------


def test_a_peer_killed_mid_call_gives_a_clear_error_and_closes_the_strategy() -> None:
    strategy = ArrowFlightStrategy(worker_flags=("--fault=die-mid-call",))
    with strategy:
        with pytest.raises(WorkerError, match=r"ib_flight_peer \(pid \d+\) exited with status 3"):
            strategy.sum(ops.make_vector(1000))
        assert not strategy.is_open and strategy.worker_pids() == []
    with ArrowFlightStrategy() as fresh:  # the next one starts afresh
        a = ops.make_vector(1000)
        ops.check_sum(fresh.sum(a), a)


def test_a_peer_that_stops_answering_times_out_instead_of_hanging() -> None:
    strategy = ArrowFlightStrategy(worker_flags=("--fault=stall",), io_timeout_s=0.5)
    with strategy, pytest.raises(WorkerError, match=r"gave no answer within 0\.5 s"):
        strategy.sum(ops.make_vector(10))


# -- who may call ------------------------------------------------------------------


def test_a_client_with_the_wrong_secret_is_refused(secret_file: Path) -> None:
    with running_peer(secret_file) as address:
        end = flight.FlightClient(f"grpc+tcp://{address}")
        with pytest.raises(flight.FlightUnauthenticatedError, match="does not hold this peer's"):
            end.authenticate(
                SecretHandshake(b"x" * 32), options=flight.FlightCallOptions(timeout=10)
            )
        end.close()


def test_a_client_that_skips_the_handshake_is_refused(secret_file: Path) -> None:
    with running_peer(secret_file) as address:
        end = flight.FlightClient(f"grpc+tcp://{address}")
        with pytest.raises(flight.FlightUnauthenticatedError, match="no valid session token"):
            exchange(end, command("sum"), column([1.0]))
        end.close()


def test_the_local_peer_serves_its_own_client_only() -> None:
    strategy = ArrowFlightStrategy()
    with strategy:
        end = flight.FlightClient(f"grpc+tcp://{strategy.address}")
        with pytest.raises(flight.FlightUnauthenticatedError, match="does not hold this peer's"):
            end.authenticate(SecretHandshake(SECRET), options=flight.FlightCallOptions(timeout=10))
        end.close()


# The host as resolved, not as spelled: "127.example.invalid" starts like loopback.
@pytest.mark.parametrize("host", ["0.0.0.0", "127.example.invalid"])
def test_a_peer_binds_loopback_unless_told_otherwise(secret_file: Path, host: str) -> None:
    done = subprocess.run(
        [native.executable(PROGRAM), f"--listen={host}:0", f"--secret-file={secret_file}"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert (
        "is not a loopback address: binding it needs --allow-remote" in done.stderr
        or f"cannot resolve {host}:0" in done.stderr
    )
    assert "listening" not in done.stdout


# -- hostile requests --------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "batch", "named"),
    [
        (command("matrix_sum", struct.pack("<QQ", 3, 4)), column(np.ones(11)), "3 x 4 does not"),
        (command("matrix_sum", struct.pack("<QQ", 2**63, 2)), column(np.ones(0)), "does not match"),
        (command("matrix_sum", b"\1"), column(np.ones(1)), "expected 16 bytes of parameters"),
        (command("scale"), column(np.ones(1)), "expected 8 bytes of parameters"),
        (command("sum", b"extra"), column(np.ones(1)), "expected 0 bytes of parameters"),
        (b"sum", column(np.ones(1)), "no NUL"),
        (command("delete"), column(np.ones(1)), "unknown operation 'delete'"),
        (
            command("sum"),
            column([1, 2], pa.int64()),
            "column of float64, float32, int32, int16 or uint8, got int64",
        ),
        (command("sum"), column([1.0, None]), "the column has nulls"),
        (command("sum"), column([1, None], pa.uint8()), "the column has nulls"),
        (command("frame", struct.pack("<QQ", 1, 1)), column(np.ones(3)), "expected a uint8 column"),
        (
            command("frame", struct.pack("<QQ", 2, 2)),
            column(np.ones(11, np.uint8)),
            "frame: 2 x 2 x 3 does not match the column's 11 values",
        ),
        (
            command("frame", struct.pack("<QQ", 2**62, 2**62)),
            column(np.ones(0, np.uint8)),
            "does not match",
        ),
        (command("frame", b"\1"), column(np.ones(3, np.uint8)), "expected 16 bytes"),
        (
            command("scale", struct.pack("<q", 40_000)),
            column(np.ones(2, np.int16)),
            "the factor 40000 does not fit",
        ),
        (
            command("scale", struct.pack("<q", -1)),
            column(np.ones(2, np.uint8)),
            "the factor -1 does not fit",
        ),
    ],
)
def test_a_hostile_request_is_refused_with_the_problem_named(
    client: flight.FlightClient, request_: bytes, batch: pa.RecordBatch, named: str
) -> None:
    with pytest.raises(pa.ArrowInvalid, match=named):
        exchange(client, request_, batch)
    exchange(client, command("sum"), column([1.0]))  # the peer still serves


def test_a_peer_on_ipv6_loopback_serves(secret_file: Path) -> None:
    with connected(secret_file, host="[::1]") as end:  # a URI's IPv6 host is bracketed
        chunk = exchange(end, command("sum"), column([1.0, 2.5]))
        assert struct.unpack("<d", chunk.app_metadata.to_pybytes()) == (3.5,)


def test_integer_columns_are_summed_as_integers(client: flight.FlightClient) -> None:
    # int32's sum in int64 and uint8's in uint64, exactly: 3 x (2**31 - 1) and
    # sums past 2**53 would lose their last bits through a double.
    big = np.full(3, 2**31 - 1, dtype=np.int32)
    chunk = exchange(client, command("sum"), column(big, pa.int32()))
    assert struct.unpack("<q", chunk.app_metadata.to_pybytes()) == (3 * (2**31 - 1),)
    bytes_ = np.full(5, 255, dtype=np.uint8)
    chunk = exchange(client, command("sum"), column(bytes_, pa.uint8()))
    assert struct.unpack("<Q", chunk.app_metadata.to_pybytes()) == (5 * 255,)


def test_scale_answers_a_column_of_the_type_it_was_sent(client: flight.FlightClient) -> None:
    values = np.array([30_000, -7, 2], dtype=np.int16)
    chunk = exchange(client, command("scale", struct.pack("<q", 3)), column(values, pa.int16()))
    assert chunk.data.schema.field(0).type == pa.int16()
    ops.check_array(chunk.data.column(0).to_numpy(), values * np.int16(3), "int16 scale")


def test_a_column_over_the_peers_limit_is_refused(secret_file: Path) -> None:
    with connected(secret_file, "--max-bytes=4096") as end:
        with pytest.raises(pa.ArrowInvalid, match="over this peer's limit of 4096 bytes"):
            exchange(end, command("sum"), column(np.ones(513)))
        exchange(end, command("sum"), column(np.ones(512)))  # at the limit: served
        exchange(end, command("sum"), column(np.ones(4096, np.uint8)))  # bytes, not values


@pytest.mark.parametrize("flag", ["--max-bytes=0", "--max-bytes=-1", "--max-bytes=4k"])
def test_a_malformed_limit_is_refused(secret_file: Path, flag: str) -> None:
    done = subprocess.run(
        [native.executable(PROGRAM), "--listen=127.0.0.1:0", f"--secret-file={secret_file}", flag],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"malformed argument '{flag}'" in done.stderr


def test_more_than_one_batch_is_refused(client: flight.FlightClient) -> None:
    with pytest.raises(pa.ArrowInvalid, match="expected a single record batch"):
        exchange(client, command("sum"), column([1.0]), column([2.0]))


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (FlightData is encoded by hand, so that it
    can lie in ways pyarrow's writer will not)."""

    def varint(value: int) -> bytes:
        out = b""
        while value > 0x7F:
            out += bytes([value & 0x7F | 0x80])
            value >>= 7
        return out + bytes([value])

    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _flight_data(message: pa.Buffer, body: bytes, descriptor: bytes = b"") -> bytes:
    """FlightData {flight_descriptor = 1, data_header = 2, data_body = 1000} of an IPC
    message (continuation marker, metadata size, flatbuffer, body)."""
    raw = message.to_pybytes()
    (size,) = struct.unpack_from("<i", raw, 4)
    return descriptor + _field(2, raw[8 : 8 + size]) + _field(1000, body)


def test_a_body_shorter_than_its_buffers_is_refused_before_it_is_read(secret_file: Path) -> None:
    grpc = pytest.importorskip("grpc")
    batch = column(np.ones(1000))
    descriptor = _field(1, b"\x08\x02" + _field(2, command("sum")))  # type CMD, cmd
    with running_peer(secret_file) as address:
        handshake = SecretHandshake(SECRET)
        end = flight.FlightClient(f"grpc+tcp://{address}")
        end.authenticate(handshake, options=flight.FlightCallOptions(timeout=10))
        end.close()
        schema = _flight_data(batch.schema.serialize(), b"", descriptor)
        lying = _flight_data(batch.serialize(), b"\0" * 8)  # 8 of its 8000 bytes
        with grpc.insecure_channel(str(address)) as channel:
            call = channel.stream_stream("/arrow.flight.protocol.FlightService/DoExchange")
            answers = call(
                iter([schema, lying]),
                metadata=[("auth-token-bin", handshake.get_token())],
                timeout=10,
            )
            with pytest.raises(grpc.RpcError) as refused:
                list(answers)
    # Arrow's IPC reader checks every buffer against the body it received.
    assert "expected to be able to read 8000 bytes, got 8" in refused.value.details()


# -- a peer that is already running ------------------------------------------------


def test_run_peer_measures_against_a_running_flight_peer(
    tmp_path: Path, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(net_peer.PEERS_VARIABLE, "")
    monkeypatch.setenv(net_peer.SECRET_VARIABLE, "")
    with running_peer(secret_file) as address:
        out = tmp_path / "peer.json"
        status = cli.main([
            "run", "--strategies", "arrow-flight", "--ops", "sum,scale", "--sizes", "1,1000",
            "--profile", "quick", "--processes", "1", "--no-instructions", "--quiet",
            "--out", str(out), "--peer", f"arrow-flight={address}",
            "--peer-secret-file", str(secret_file),
        ])  # fmt: skip
    assert status == 0
    document = results_file.load(out)
    assert document["environment"]["link"]["peers"] == {"arrow-flight": str(address)}
    cells = [c for c in document["cells"] if c["strategy"] == "arrow-flight"]
    assert cells and {c["status"] for c in cells} == {"ok"}


# -- what a strategy leaves behind -------------------------------------------------

_CHILD = """
from interop_bench.strategies.arrow_flight import ArrowFlightStrategy
strategy = ArrowFlightStrategy()
strategy.open()
print(strategy.worker_pids()[0], flush=True)
input()
"""


def test_a_killed_caller_leaves_no_peer() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    peer = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert wait_gone(peer)  # the kernel kills the peer (PR_SET_PDEATHSIG); init reaps it


def test_close_stops_the_peer() -> None:
    strategy = ArrowFlightStrategy()
    with strategy:
        a = ops.make_vector(1000)
        ops.check_sum(strategy.sum(a), a)
        (peer,) = strategy.worker_pids()
    assert wait_gone(peer)


class DyingFlight(ArrowFlightStrategy):
    """A peer that exits in the middle of its first exchange, in every pass."""

    name = "dying-arrow-flight"

    def __init__(self) -> None:
        super().__init__(worker_flags=("--fault=die-mid-call",))


def test_a_run_records_the_cell_whose_peer_died_as_an_error_and_goes_on(tmp_path: Path) -> None:
    check_a_dead_peers_cell_is_an_error(tmp_path, "dying-arrow-flight", DyingFlight)
