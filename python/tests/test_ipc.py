"""The cross-process strategies (shm, shm-futex, shm-copy, mp-shm, pipe, uds,
file-mmap, tcp, zmq, zmq-copy, zmq-tcp): the protocol mirror matches the C++ header, faults are
survived and detected, and nothing (segment or worker process) is left behind in any
way a call can end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from worker_faults import gone, stall_fifo, wait_gone, when_stalled

from interop_bench import native, ops
from interop_bench.strategies import get
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.segments import leftover_segments
from interop_bench.strategies._transport.shm_strategy import ShmStrategyBase
from interop_bench.strategies._transport.worker import WorkerError, WorkerRefusedError
from interop_bench.strategies._transport.worker_strategy import WorkerStrategy
from interop_bench.strategies.base import Strategy
from interop_bench.strategies.file_mmap import FileMmapStrategy
from interop_bench.strategies.mp_shm import MpShmStrategy
from interop_bench.strategies.pipe import PipeStrategy
from interop_bench.strategies.shm import ShmStrategy
from interop_bench.strategies.shm_copy import ShmCopyStrategy
from interop_bench.strategies.shm_futex import ShmFutexStrategy
from interop_bench.strategies.tcp import TcpStrategy
from interop_bench.strategies.uds import UdsStrategy
from interop_bench.strategies.zmq import ZmqCopyStrategy, ZmqStrategy
from interop_bench.strategies.zmq_tcp import ZmqTcpPlainStrategy, ZmqTcpStrategy

IPC: dict[str, type[ShmStrategyBase] | type[WorkerStrategy]] = {
    "shm": ShmStrategy,
    "shm-futex": ShmFutexStrategy,
    "shm-copy": ShmCopyStrategy,
    "pipe": PipeStrategy,
    "uds": UdsStrategy,
    "mp-shm": MpShmStrategy,
    "file-mmap": FileMmapStrategy,
    "tcp": TcpStrategy,
    "zmq": ZmqStrategy,
    "zmq-copy": ZmqCopyStrategy,
    "zmq-tcp": ZmqTcpStrategy,
    "zmq-tcp-plain": ZmqTcpPlainStrategy,
}


def _assert_nothing_left(pids: list[int]) -> None:
    assert leftover_segments(os.getpid()) == []
    assert pids and all(gone(pid) for pid in pids), f"worker left running: {pids}"


@pytest.fixture(params=list(IPC))
def make(request: pytest.FixtureRequest) -> Iterator[Callable[..., Strategy]]:
    """Opens a strategy of one IPC kind with worker flags; closes it at the end."""
    opened: list[Strategy] = []

    def factory(*flags: str) -> Strategy:
        strategy = IPC[request.param](worker_flags=flags)
        strategy.open()
        opened.append(strategy)
        return strategy

    yield factory
    for strategy in opened:
        strategy.close()


# -- the protocol ------------------------------------------------------------


def test_python_mirror_matches_the_cpp_layout() -> None:
    printed = subprocess.run(
        [native.executable("ib_worker"), "--print-layout"], capture_output=True, check=True
    )
    layout = json.loads(printed.stdout)
    mirrors = {"Control": proto.CONTROL, "PipeRequest": proto.PIPE_REQUEST}
    mirrors["PipeResponse"] = proto.PIPE_RESPONSE
    mirrors |= {"PeerHello": proto.PEER_HELLO, "PeerProof": proto.PEER_PROOF}
    mirrors["PeerVerdict"] = proto.PEER_VERDICT
    for struct_name, dtype in mirrors.items():
        cpp = layout["structs"][struct_name]
        assert dtype.itemsize == cpp["size"], struct_name
        assert dtype.fields is not None
        python = {name: [field[1], field[0].itemsize] for name, field in dtype.fields.items()}
        assert python == cpp["fields"], struct_name
    constants = layout["constants"]
    assert constants["ops"] == {op.name.lower(): op.value for op in proto.Op}
    assert constants["dtypes"] == proto.DTYPE_CODES
    assert (constants["magic"], constants["version"]) == (proto.MAGIC, proto.VERSION)
    assert constants["segment_prefix"] == proto.SEGMENT_PREFIX
    assert constants["no_response"] == proto.NO_RESPONSE
    assert constants["max_arenas"] == proto.MAX_ARENAS
    assert (constants["peer_magic"], constants["peer_version"]) == (
        proto.PEER_MAGIC,
        proto.PEER_VERSION,
    )
    assert constants["peer_client_label"].encode() == proto.PEER_CLIENT_LABEL
    assert constants["peer_server_label"].encode() == proto.PEER_SERVER_LABEL
    assert (constants["status_ok"], constants["status_error"]) == (
        proto.STATUS_OK,
        proto.STATUS_ERROR,
    )


def test_unknown_op_is_refused_with_text_and_the_worker_stays_usable() -> None:
    strategy = ShmStrategy()
    with strategy:
        with pytest.raises(WorkerRefusedError, match="unknown op 99"):
            strategy.channel.request(99)
        with pytest.raises(WorkerRefusedError, match="outside the mapped arenas"):
            strategy.channel.request(proto.Op.SUM, count=1 << 40, place=(0, 0))
        a = ops.make_vector(100)
        ops.check_sum(strategy.sum(a), a)


# -- faults ------------------------------------------------------------------


def test_worker_killed_mid_call_raises_then_reopen_starts_afresh(
    make: Callable[..., Strategy], tmp_path: Path
) -> None:
    # The worker stalls for a minute: a call that ends at all ended by the death.
    fifo = stall_fifo(tmp_path)
    strategy = make("--fault=slow", f"--stall-fifo={fifo}")
    pids = strategy.worker_pids()
    killer = when_stalled(fifo, lambda: os.kill(pids[0], signal.SIGKILL))
    with pytest.raises(WorkerError, match="SIGKILL"):
        strategy.sum(ops.make_vector(10))
    killer.join()
    assert not strategy.is_open
    _assert_nothing_left(pids)
    strategy.open()
    assert strategy.worker_pids() != pids


def test_ctrl_c_during_a_call_leaves_nothing(make: Callable[..., Strategy], tmp_path: Path) -> None:
    fifo = stall_fifo(tmp_path)
    strategy = make("--fault=slow", f"--stall-fifo={fifo}")
    pids = strategy.worker_pids()
    main = threading.main_thread().ident
    assert main is not None
    interrupter = when_stalled(fifo, lambda: signal.pthread_kill(main, signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        strategy.sum(ops.make_vector(10))
    interrupter.join()
    # Interrupted inside the call (not after it returned): the strategy closed itself.
    assert not strategy.is_open
    _assert_nothing_left(pids)


@pytest.mark.parametrize("fault", ["bad-seq", "bad-status", "bad-magic"])
def test_a_misbehaving_worker_is_detected_not_trusted(
    make: Callable[..., Strategy], fault: str
) -> None:
    strategy = make(f"--fault={fault}")
    pids = strategy.worker_pids()
    with pytest.raises(WorkerError, match="broke the protocol"):
        strategy.sum(ops.make_vector(10))
    assert not strategy.is_open
    _assert_nothing_left(pids)


def test_close_after_calls_leaves_nothing(make: Callable[..., Strategy]) -> None:
    strategy = make()
    a = strategy.prepare(ops.make_vector(2_000_000))  # big enough to need its own arena
    ops.check_sum(strategy.sum(a), a)
    pids = strategy.worker_pids()
    strategy.close()
    _assert_nothing_left(pids)
    ops.check_sum(float(np.sum(a)), a)  # arrays from the segment outlive the strategy


@pytest.mark.parametrize("name", ["shm", "mp-shm", "zmq"])
def test_a_killed_caller_leaves_no_worker_and_no_segment(name: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(name=name)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    worker = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert wait_gone(worker)  # the kernel kills the worker (PR_SET_PDEATHSIG); init reaps it
    assert leftover_segments(child.pid) == []


_CHILD = """
import signal
import numpy as np
from interop_bench.strategies import get
s = get("{name}")
s.open()
s.sum(s.prepare(np.ones(3_000_000)))
print(s.worker_pids()[0], flush=True)
signal.pause()  # until killed
"""


def test_mp_shm_exits_without_a_resource_tracker_warning() -> None:
    """The standard library's segments, used through every op and closed with a
    result still alive: the interpreter exits clean, nothing left in /dev/shm."""
    done = subprocess.run(
        [sys.executable, "-c", _MP_SHM_CHILD],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "leaked shared_memory objects", no "Exception ignored"
    pid = int(done.stdout.split()[0])
    assert leftover_segments(pid) == []


_MP_SHM_CHILD = """
import os
import numpy as np
from interop_bench import ops
from interop_bench.strategies import get
with get("mp-shm") as s:
    a = ops.make_vector(3_000_000)
    ops.check_sum(s.sum(a), a)
    kept = s.scale(a, 2.0)
    b = a.copy()
    s.square(b)
    ops.check_sum(s.matrix_sum(a.reshape(1000, 3000)), a)
ops.check_array(kept, a * 2.0, "a result after close")
print(os.getpid())
"""


# -- isolation and input checks ---------------------------------------------


def test_two_strategies_at_once_do_not_collide() -> None:
    with get("shm") as first, get("shm-copy") as second, get("shm") as third:
        pids = first.worker_pids() + second.worker_pids() + third.worker_pids()
        assert len(set(pids)) == 3
        for i in range(50):
            for strategy in (first, second, third):
                a = strategy.prepare(ops.make_vector(1000, seed=i))
                ops.check_sum(strategy.sum(a), a)


@pytest.mark.parametrize("name", list(IPC))
def test_bad_input_is_refused_before_anything_is_sent(name: str) -> None:
    with get(name) as strategy:
        sent = _sequence(strategy)
        for bad in (np.arange(10, dtype=np.float16), [1.0, 2.0], np.ones(20)[::2], None):
            with pytest.raises((TypeError, ValueError)):
                strategy.sum(bad)  # type: ignore[arg-type]
        frozen = np.ones(3)
        frozen.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            strategy.square(frozen)
        assert _sequence(strategy) == sent


def _sequence(strategy: Strategy) -> int:
    if isinstance(strategy, WorkerStrategy):
        return strategy._seq
    assert isinstance(strategy, ShmStrategyBase)
    return strategy.channel.seq


def test_shm_copies_ordinary_arrays_and_says_so() -> None:
    with get("shm") as strategy:
        ordinary = ops.make_vector(1000)
        placed = strategy.prepare(ordinary)
        assert strategy.data_address(placed) == placed.ctypes.data
        assert strategy.data_address(ordinary) != ordinary.ctypes.data
        ops.check_sum(strategy.sum(ordinary), ordinary)
        expected = np.square(ordinary)
        strategy.square(ordinary)
        ops.check_array(ordinary, expected, "square of an ordinary array")


# -- the native fast path ------------------------------------------------------


def test_copying_strategy_copies_even_arrays_in_its_segment() -> None:
    with get("shm-copy") as strategy:
        assert isinstance(strategy, ShmStrategyBase)
        in_segment = strategy.asarray(ops.make_vector(1000))
        ordinary = ops.make_vector(1000)
        for a in (ordinary, in_segment, ordinary):  # the Python path first, then the native one
            ops.check_sum(strategy.sum(a), a)
            expected = np.square(a)
            strategy.square(a)
            ops.check_array(a, expected, "square through the scratch block")
            assert strategy.data_address(a) != a.ctypes.data


def test_shm_sum_is_one_native_call_while_open() -> None:
    strategy = ShmStrategy()
    with strategy:
        client = strategy.channel.client
        assert strategy.sum == client.sum and strategy.square == client.square
        a = strategy.prepare(ops.make_vector(100))
        sent = _sequence(strategy)
        ops.check_sum(strategy.sum(a), a)
        assert _sequence(strategy) == sent + 1  # one exchange, no arena traffic
        ordinary = ops.make_vector(100, seed=2)
        ops.check_sum(strategy.sum(ordinary), ordinary)  # copied in: reserves the scratch block
        sent = _sequence(strategy)
        ops.check_sum(strategy.sum(ordinary), ordinary)
        assert _sequence(strategy) == sent + 1  # later copies go natively into that block
        stale = strategy.sum
    assert "sum" not in vars(strategy)  # the Python method answers a closed strategy
    with pytest.raises(RuntimeError, match="not open"):
        stale(a)  # a method bound before close() says so too
    with pytest.raises(RuntimeError, match="not open"):
        strategy.sum(a)


def test_rows_of_a_prepared_matrix_are_read_in_place() -> None:
    with get("shm") as strategy:
        pool = strategy.prepare(np.tile(ops.make_vector(50), (4, 1)))
        expected = np.square(pool)
        for row in pool:  # the runner's square pool: views, not the arrays prepare made
            assert strategy.data_address(row) == row.ctypes.data
            strategy.square(row)
        ops.check_array(pool, expected, "square of the rows")


def test_overlapping_calls_from_two_threads_are_refused_and_close_ends_a_call(
    tmp_path: Path,
) -> None:
    fifo = stall_fifo(tmp_path)
    strategy = ShmStrategy(worker_flags=("--fault=slow", f"--stall-fifo={fifo}"))
    strategy.open()
    pids = strategy.worker_pids()
    a = strategy.prepare(ops.make_vector(10))
    errors: list[BaseException] = []

    def first_call() -> None:
        try:
            strategy.sum(a)
        except BaseException as error:  # handed to the main thread
            errors.append(error)

    caller = threading.Thread(target=first_call)
    caller.start()
    with open(fifo) as told:  # the first call is now stalled in the worker
        told.read()
    with pytest.raises(RuntimeError, match="must not overlap"):
        strategy.sum(a)
    strategy.close()  # from another thread than the caller's, in the middle of its call
    caller.join()  # the stall lasts a minute: the call ended because close ended it
    assert len(errors) == 1 and isinstance(errors[0], WorkerError), errors
    _assert_nothing_left(pids)


# -- phases ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(IPC))
@pytest.mark.parametrize("op", ["sum", "square", "matrix_sum", "scale"])
def test_phases_add_up_to_the_call_and_the_answer_is_right(name: str, op: str) -> None:
    with get(name) as strategy:
        source = ops.make_input(op, 3_000_000, seed=1)
        args: tuple[object, ...] = (source.copy(),) if op != "scale" else (source, 2.0)
        result, phases = strategy.call_with_phases(op, *args)
        assert tuple(phases) == strategy.phase_names
        assert all(isinstance(ns, int) and ns >= 0 for ns in phases.values()), phases
        if op in ("sum", "matrix_sum"):
            ops.check_sum(result, source)  # type: ignore[arg-type]
        elif op == "scale":
            ops.check_array(result, source * 2.0, "scale")  # type: ignore[arg-type]
        else:
            ops.check_array(args[0], np.square(source), "square")  # type: ignore[arg-type]
        if name in ("shm-copy", "mp-shm", "pipe", "uds", "file-mmap", "tcp"):
            # 24 MB cross the boundary: the copy is a phase of its own, and it took time
            assert phases["copy_in" if "shm" in name else "send"] > 0, phases


FUTEX_SYSCALL = 202  # x86-64; /proc/<pid>/syscall names the call a process is blocked in
SYSCALL_READS = 1_000_000  # a bound on polling the worker's state, not a pace


def _blocked_in_futex(pid: int) -> bool:
    """Whether the worker is blocked in futex(2) (sleeping, its core given back)."""
    fields = Path(f"/proc/{pid}/syscall").read_text().split()
    return bool(fields) and fields[0] == str(FUTEX_SYSCALL)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="futex(2) is syscall 202 on x86-64")
@pytest.mark.parametrize("name", ["shm", "shm-copy"])
def test_an_idle_spinning_worker_gives_its_core_back(name: str) -> None:
    """After its bounded spin, a worker with nothing to do sleeps in futex(2)."""
    with get(name) as strategy:
        a = strategy.prepare(ops.make_vector(10))
        for _ in range(100):
            strategy.sum(a)  # the worker now spins for the next request, then sleeps
        pid = strategy.worker_pids()[0]
        assert any(_blocked_in_futex(pid) for _ in range(SYSCALL_READS)), "it never slept"


def test_large_results_reuse_their_arena_instead_of_mapping_a_new_one() -> None:
    # Growing sizes leave arenas whose indices do not follow their sizes; a freed
    # result's arena must then be kept, not unmapped and mapped again per call.
    with ShmStrategy() as s:
        channel = s.channel
        for size in (10**3, 10**5, 10**6, 3 * 10**6, 10**7):
            a = s.prepare(ops.make_vector(size))
            s.prepare(ops.make_vector(size))  # freed at once, as a square pool is
            s.scale(a, 2.0)
        mapped: list[int] = []
        map_arena = channel._map_arena

        def counting(nbytes: int) -> object:
            mapped.append(nbytes)
            return map_arena(nbytes)

        channel._map_arena = counting
        for _ in range(3):
            s.scale(a, 2.0)
        assert mapped == [], "every call mapped a fresh arena"
