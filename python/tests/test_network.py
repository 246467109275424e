"""The network strategies (tcp) and their peer: a peer that dies or lies mid-call
gives a clear error and the run goes on, a client without the secret is refused,
the peer binds loopback unless told otherwise, and `run --peer` measures against
a peer that is already running. (The fault tests shared with the IPC strategies
are test_ipc.py's; the emulated link is test_netns_link.py's.)"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from peer_secret import SECRET
from runner_helpers import cell, run_in_process
from worker_faults import check_a_stall_runs_into_the_deadline, stall_fifo, wait_gone, when_stalled

from interop_bench import cli, native, ops, results_file
from interop_bench.runner import peers
from interop_bench.strategies._transport import net_peer
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.worker import WorkerError, WorkerProcess
from interop_bench.strategies.grpc_array import GrpcStrategy
from interop_bench.strategies.numpy import NumpyStrategy
from interop_bench.strategies.tcp import TcpStrategy

pytestmark = pytest.mark.network


@contextmanager
def running_peer(
    secret_file: Path, *flags: str
) -> Iterator[tuple[WorkerProcess, net_peer.Address]]:
    """A peer serving client after client on loopback, as one started by hand would."""
    args = ["--listen=127.0.0.1:0", f"--secret-file={secret_file}", *flags]
    worker = WorkerProcess(args, pipes=True)
    try:
        _, host, port = net_peer._first_line(worker).split()
        yield worker, net_peer.Address(host, int(port))
    finally:
        worker.kill()
        worker.stop()


@pytest.fixture
def peer_in_environment(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[WorkerProcess, net_peer.Address]]:
    with running_peer(secret_file) as (worker, address):
        monkeypatch.setenv(net_peer.PEERS_VARIABLE, f"tcp={address}")
        monkeypatch.setenv(net_peer.SECRET_VARIABLE, str(secret_file))
        yield worker, address


# -- a peer that fails mid-call ----------------------------------------------------


def test_a_peer_killed_mid_transfer_gives_a_clear_error_and_reopen_starts_afresh(
    tmp_path: Path,
) -> None:
    fifo = stall_fifo(tmp_path)
    strategy = TcpStrategy(worker_flags=("--fault=stall-reply", f"--stall-fifo={fifo}"))
    strategy.open()
    [pid] = strategy.worker_pids()
    killer = when_stalled(fifo, lambda: os.kill(pid, signal.SIGKILL))
    with pytest.raises(WorkerError, match="killed by SIGKILL"):
        strategy.square(ops.make_vector(1_000_000))  # half of the 8 MB answer came
    killer.join()
    assert not strategy.is_open and wait_gone(pid)
    with strategy:
        a = ops.make_vector(1000)
        ops.check_sum(strategy.sum(a), a)


class DyingTcp(TcpStrategy):
    """A peer that exits half way through its first answer, in every pass."""

    name = "dying-tcp"

    def __init__(self) -> None:
        super().__init__(worker_flags=("--fault=die-mid-reply",))


def test_a_run_records_the_cell_whose_peer_died_as_an_error_and_goes_on(tmp_path: Path) -> None:
    factories = {"dying-tcp": DyingTcp, "numpy": NumpyStrategy}
    document = run_in_process(
        tmp_path / "dying.json", tuple(factories), ("scale",), (100_000,), factories=factories
    )
    died = cell(document, "dying-tcp", "scale", 100_000)
    assert died["status"] == "error"
    assert "exited with status 3 before it answered" in str(died["reason"])
    assert cell(document, "numpy", "scale", 100_000)["status"] == "ok"
    assert document["complete"] is True


def test_a_lying_length_is_refused_before_anything_is_allocated() -> None:
    strategy = TcpStrategy(worker_flags=("--fault=lying-length",))
    strategy.open()
    tracemalloc.start()
    try:
        with pytest.raises(WorkerError, match=f"sent {1 << 60} bytes, 8000 expected"):
            strategy.square(ops.make_vector(1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak} bytes allocated for a reply that claimed 2**60"
    assert not strategy.is_open


def test_the_peer_refuses_a_request_over_its_limit_without_allocating_it(
    secret_file: Path,
) -> None:
    with running_peer(secret_file, "--max-bytes=4096") as (worker, address):
        end = net_peer.connect(address, SECRET, io_timeout_s=10.0)
        with end:
            header = struct.pack("<IIIIQQQdQIIQ", proto.MAGIC, proto.VERSION, 1, proto.Op.SUM,
                                 1 << 57, 0, 0, 0.0, 1 << 60, 0, 0, 0)  # fmt: skip
            end.sendall(header)
            response = _receive_all(end, proto.PIPE_RESPONSE.itemsize)
        status = int.from_bytes(response[8:12], "little")
        text = proto.text(response[proto.offset(proto.PIPE_RESPONSE, "error_text") :])
        assert status == proto.STATUS_ERROR
        assert "over this worker's limit of 4096" in text
        assert _peak_resident_bytes(worker.pid) < 64 << 20
        # The peer dropped that client and serves the next one.
        with net_peer.connect(address, SECRET, io_timeout_s=10.0):
            pass


def _receive_all(end: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = end.recv(size - len(received))
        assert chunk, "the peer closed the connection before its answer"
        received += chunk
    return received


def _peak_resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_a_peer_that_stops_answering_times_out_instead_of_hanging(tmp_path: Path) -> None:
    check_a_stall_runs_into_the_deadline(TcpStrategy, tmp_path)


# -- who may drive a peer --------------------------------------------------------


def test_a_client_with_the_wrong_secret_is_refused(secret_file: Path) -> None:
    with running_peer(secret_file) as (_, address):
        with pytest.raises(WorkerError, match="refused this client: its secret differs"):
            net_peer.connect(address, b"not the secret but long enough", io_timeout_s=10.0)
        with net_peer.connect(address, SECRET, io_timeout_s=10.0):
            pass  # and the peer still serves those who hold it


def test_a_client_that_skips_the_handshake_is_refused_and_served_nothing(
    secret_file: Path,
) -> None:
    with (
        running_peer(secret_file) as (_, address),
        socket.create_connection((address.host, address.port), timeout=10.0) as end,
    ):
        hello = _receive_all(end, proto.PEER_HELLO.itemsize)
        assert int.from_bytes(hello[:4], "little") == proto.PEER_MAGIC
        # A pipe request straight away, as if no handshake existed.
        end.sendall(struct.pack("<IIIIQQQdQ", proto.MAGIC, proto.VERSION, 1, proto.Op.SUM,
                                    0, 0, 0, 0.0, 0) + bytes(16))  # fmt: skip
        verdict = _receive_all(end, proto.PEER_VERDICT.itemsize)
        assert int.from_bytes(verdict[4:8], "little") == proto.STATUS_ERROR
        assert end.recv(1) == b"", "the peer kept the connection open"


def test_the_proof_of_the_peer_is_checked_too(secret_file: Path) -> None:
    """A fake peer that answers "ok" without knowing the secret is not trusted."""
    with socket.create_server(("127.0.0.1", 0)) as fake:
        port = fake.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=10.0) as client:
            server, _ = fake.accept()
            with server:
                server.sendall(struct.pack("<II", proto.PEER_MAGIC, proto.PEER_VERSION) + bytes(32))
                server.sendall(struct.pack("<II", proto.PEER_MAGIC, proto.STATUS_OK) + bytes(32))
                with pytest.raises(WorkerError, match="did not prove that it holds the secret"):
                    net_peer._handshake(client, SECRET, net_peer.Address("127.0.0.1", port))


def test_a_peer_binds_loopback_unless_told_otherwise(secret_file: Path) -> None:
    worker = native.executable("ib_worker")
    done = subprocess.run(
        [worker, "--listen=0.0.0.0:0", f"--secret-file={secret_file}"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 4
    assert "not a loopback address: binding it needs --allow-remote" in done.stderr


@pytest.mark.parametrize(
    ("flags", "cls"), [((), TcpStrategy), (("--strategy", "grpc"), GrpcStrategy)]
)
def test_interop_bench_peer_runs_a_peer_the_strategy_can_use(
    flags: tuple[str, ...],
    cls: type[TcpStrategy | GrpcStrategy],
    secret_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = [sys.executable, "-m", "interop_bench", "peer", *flags, "--listen", "127.0.0.1:0"]
    peer = subprocess.Popen([*command, "--secret-file", str(secret_file)], stdout=subprocess.PIPE)
    try:
        assert peer.stdout is not None
        _, host, port = peer.stdout.readline().decode().split()
        monkeypatch.setenv(net_peer.PEERS_VARIABLE, f"{host}:{port}")
        monkeypatch.setenv(net_peer.SECRET_VARIABLE, str(secret_file))
        with cls() as strategy:
            a = ops.make_vector(1000)
            ops.check_sum(strategy.sum(a), a)
    finally:
        peer.kill()
        peer.wait()
    refused = subprocess.run(
        [*command[:-1], "0.0.0.0:0", "--secret-file", str(secret_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 4 and "needs --allow-remote" in refused.stderr


def test_a_secret_others_may_read_is_refused_by_both_sides(secret_file: Path) -> None:
    secret_file.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        net_peer.read_secret(secret_file)
    done = subprocess.run(
        [native.executable("ib_worker"), "--listen=127.0.0.1:0", f"--secret-file={secret_file}"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 64 and "chmod 600" in done.stderr


# -- a peer that is already running ------------------------------------------------


def test_the_strategy_uses_the_peer_it_is_given(
    peer_in_environment: tuple[WorkerProcess, net_peer.Address],
) -> None:
    worker, address = peer_in_environment
    for _ in range(2):  # one client after the other, as the passes of a run
        with TcpStrategy() as strategy:
            assert strategy.address == address and strategy.worker_pids() == []
            a = ops.make_vector(100_000)
            ops.check_array(strategy.scale(a, 3.0), a * 3.0, "scale")
    assert worker.alive()  # the clients' STOP ended their connections, not the peer


def test_run_peer_measures_against_it_and_records_the_link(
    tmp_path: Path, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `run --peer` hands the peer to its passes through these: undone after the test.
    monkeypatch.setenv(net_peer.PEERS_VARIABLE, "")
    monkeypatch.setenv(net_peer.SECRET_VARIABLE, "")
    with running_peer(secret_file) as (_, address):
        out = tmp_path / "peer.json"
        status = cli.main([
            "run", "--strategies", "tcp", "--ops", "sum", "--sizes", "1,1000", "--profile",
            "quick", "--processes", "1", "--no-instructions", "--quiet", "--out", str(out),
            "--peer", f"tcp={address}", "--peer-secret-file", str(secret_file), "--link", "lo",
        ])  # fmt: skip
    assert status == 0
    document = results_file.load(out)
    results_file.check(document)
    link = document["environment"]["link"]
    assert link == {
        "peers": {"tcp": str(address)},
        "rate": None,
        "delay": None,
        "description": "lo",
    }
    assert {c["status"] for c in document["cells"] if c["strategy"] == "tcp"} == {"ok"}


def test_a_resumed_run_needs_the_peers_it_was_measured_against(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(net_peer.PEERS_VARIABLE, "")
    document = {"environment": {"link": {"peers": {"tcp": "10.77.0.1:7700"}}}}
    wanted = r"resume it with --peer tcp=10\.77\.0\.1:7700"
    with pytest.raises(peers.PeerError, match=wanted):
        peers.check_resumed(document)
    monkeypatch.setenv(net_peer.PEERS_VARIABLE, "tcp=10.77.0.1:7700")
    peers.check_resumed(document)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--peer", "tcp=nowhere"], "expected HOST:PORT"),
        (["--peer", "uds=127.0.0.1:5000"], "uds is not a network strategy"),
        (["--peer", "127.0.0.1:5000"], "--peer needs --peer-secret-file"),
        (["--peer-secret-file", "x"], "give the peer too"),
    ],
)
def test_bad_peer_flags_are_refused_before_anything_runs(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.json"
    assert cli.main(["run", "--strategies", "tcp", "--out", str(out), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_the_peer_stays_in_step_with_many_calls_of_every_op(
    peer_in_environment: tuple[WorkerProcess, net_peer.Address],
) -> None:
    with TcpStrategy() as strategy:
        for size in (1, 1000, 300_000):
            a = ops.make_vector(size, seed=size)
            ops.check_sum(strategy.sum(a), a)
            squared = a.copy()
            strategy.square(squared)
            ops.check_array(squared, np.square(a), "square")
