"""The dtype axis and the frame op over the worker protocols (pipe, uds, tcp, shm,
shm-futex, shm-copy, mp-shm): the element type travels with the bytes and the
worker runs that type's kernel (an integer is never summed as a float), a
dtype code the worker does not know is refused, and a frame is read where it
lies (a padded one in shared memory in place, its gray image viewed there)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from interop_bench import ops
from interop_bench.strategies import get
from interop_bench.strategies._transport import protocol as proto
from interop_bench.strategies._transport.shm_strategy import ShmStrategyBase
from interop_bench.strategies._transport.worker import WorkerRefusedError, array_bytes
from interop_bench.strategies._transport.worker_strategy import WorkerStrategy, frame_payload
from interop_bench.strategies.base import Strategy

TYPED = ("pipe", "uds", "tcp", "shm", "shm-futex", "shm-copy", "mp-shm")
SHM = ("shm", "shm-futex", "shm-copy", "mp-shm")


@pytest.fixture(params=TYPED)
def strategy(request: pytest.FixtureRequest) -> Iterator[Strategy]:
    with get(request.param) as opened:
        yield opened


def test_an_integer_sum_is_exact_beyond_a_doubles_53_bits(strategy: Strategy) -> None:
    # (2**31 - 1) * (2**22 + 1) = 2**53 + 2**31 - 2**22 - 1: odd and above 2**53,
    # so no double holds it; a sum that went through a float is off by one.
    a = strategy.prepare(np.full(2**22 + 1, 2**31 - 1, dtype=np.int32))
    expected = (2**31 - 1) * (2**22 + 1)
    assert float(expected) != expected
    got = strategy.sum(a)
    assert type(got) is int and got == expected
    assert strategy.matrix_sum(a[:-1].reshape(2**11, 2**11)) == expected - (2**31 - 1)


def test_uint8_sums_are_unsigned_and_int16_sums_signed(strategy: Strategy) -> None:
    assert strategy.sum(strategy.prepare(np.full(1000, 255, dtype=np.uint8))) == 255_000
    assert strategy.sum(strategy.prepare(np.full(1000, -30_000, dtype=np.int16))) == -30_000_000


def test_integer_scale_wraps_in_its_own_type_and_takes_integer_factors(strategy: Strategy) -> None:
    a = strategy.prepare(np.array([2**30 + 1, -7], dtype=np.int32))
    got = strategy.scale(a, 3)  # 3 * (2**30 + 1) wraps; a float32 would have lost the + 1
    ops.check_array(got, a * np.int32(3), "int32 scale")
    assert got.dtype == np.int32
    with pytest.raises(TypeError, match="integer"):
        strategy.scale(a, 1.5)
    with pytest.raises(ValueError, match="does not fit"):
        strategy.scale(strategy.prepare(np.ones(3, dtype=np.int16)), 40_000)


def _refused_code(strategy: Strategy, code: int) -> None:
    a = np.ones(16, dtype=np.float64)
    if isinstance(strategy, WorkerStrategy):
        strategy._call(proto.Op.SUM, 2, payload=array_bytes(a), dtype=code)
    else:
        assert isinstance(strategy, ShmStrategyBase)
        place = strategy.channel.find(strategy.asarray(a), a.nbytes)
        assert place is not None
        strategy.channel.request(proto.Op.SUM, 2, place, dtype=code)


@pytest.mark.parametrize("code", [5, 0xFFFFFFFF])
def test_an_unknown_dtype_code_is_refused_and_the_worker_stays_usable(
    strategy: Strategy, code: int
) -> None:
    with pytest.raises(WorkerRefusedError, match=f"unknown dtype code {code}"):
        _refused_code(strategy, code)
    a = ops.make_vector(100, dtype="int16")
    ops.check_sum(strategy.sum(a), a)


@pytest.mark.parametrize("name", SHM)
def test_a_frame_in_shared_memory_keeps_its_padding_and_is_read_in_place(name: str) -> None:
    with get(name) as strategy:
        assert isinstance(strategy, ShmStrategyBase)
        padded = ops.make_frame(60, 100, seed=4)[5:40, 10:80, :]  # rows 300 bytes apart
        placed = strategy.prepare(padded)
        row_stride = padded.strides[0]
        if not strategy.zero_copy:  # a copying strategy reads every array from scratch
            assert placed is padded
            ops.check_array(strategy.frame(padded), ops.gray_reference(padded), "frame")
            return
        assert placed.strides == padded.strides, "prepare keeps a padded image padded"
        place, stride = strategy._place_frame(placed, row_stride)
        index, offset = place
        assert strategy.channel.arenas[index].address + offset == placed.ctypes.data
        assert stride == row_stride, "the worker reads the padded rows where they lie"
        gray = strategy.frame(placed)
        ops.check_array(gray, ops.gray_reference(padded), "frame of the placed image")
        assert strategy.last_result_address() == gray.ctypes.data, "gray is viewed in place"
        assert not gray.flags.owndata


def test_shm_copy_returns_frames_and_results_of_its_own() -> None:
    with get("shm-copy") as strategy:
        image = ops.make_frame(31, 17)
        gray = strategy.frame(image)
        assert gray.flags.owndata and gray.dtype == np.uint8 and gray.shape == (31, 17)
        assert strategy.scale(np.arange(5, dtype=np.int16), 2).flags.owndata


def test_a_pipe_frame_goes_out_in_place_unless_its_padding_outweighs_it() -> None:
    big = ops.make_frame(60, 100, seed=4)
    cases = {
        "packed": (big, True),
        "padded": (big[:, :70, :], True),  # 210 bytes of pixels every 300
        "narrow crop": (big[:, 10:30, :], False),  # 60 of every 300: packed first
    }
    with get("pipe") as strategy:
        for what, (image, in_place) in cases.items():
            payload, row_stride = frame_payload(image, image.strides[0])
            sent = np.frombuffer(payload, dtype=np.uint8)
            assert (sent.ctypes.data == image.ctypes.data) == in_place, what
            assert row_stride == (image.strides[0] if in_place else image.shape[1] * 3), what
            ops.check_array(strategy.frame(image), ops.gray_reference(image), what)
