"""Strategies whose native side is one extension module that checks its own arguments.

The module exports ``sum``, ``square``, ``matrix_sum``, ``scale`` and
``data_address`` (and ``frame``, if the strategy carries frames) with the
signatures of the Strategy methods. While the
strategy is open those functions are the instance's own attributes, so a call
costs what the binding costs and no extra Python frame (see base.py); the
methods below are what a closed strategy answers.
"""

from __future__ import annotations

from typing import ClassVar, NoReturn

import numpy as np

from interop_bench import native
from interop_bench.strategies.base import Strategy, not_open_error

BOUND_FUNCTIONS = ("sum", "square", "matrix_sum", "scale", "data_address")
# Bound too where the module has them: the frame op, and the record of its
# results (for the tests).
RECORD_FUNCTIONS = ("frame", "last_result_address", "result_buffers_alive")


class NotOpen:
    """Stands for a native library or module while its strategy is closed: any use says so."""

    def __init__(self, strategy_name: str) -> None:
        self._strategy_name = strategy_name

    def __getattr__(self, name: str) -> NoReturn:
        raise not_open_error(self._strategy_name)


class NativeModuleStrategy(Strategy):
    extension_name: ClassVar[str]  # interop_bench._native.<extension_name>

    def _open(self) -> None:
        module = native.extension(self.extension_name)
        vars(self).update({name: getattr(module, name) for name in BOUND_FUNCTIONS})
        vars(self).update(
            {name: getattr(module, name) for name in RECORD_FUNCTIONS if hasattr(module, name)}
        )

    def _close(self) -> None:
        for name in (*BOUND_FUNCTIONS, *RECORD_FUNCTIONS):
            vars(self).pop(name, None)

    def _not_open(self) -> NoReturn:
        raise not_open_error(self.name)

    def sum(self, a: np.ndarray) -> float | int:
        self._not_open()

    def square(self, a: np.ndarray) -> None:
        self._not_open()

    def matrix_sum(self, m: np.ndarray) -> float | int:
        self._not_open()

    def scale(self, a: np.ndarray, k: float | int) -> np.ndarray:
        self._not_open()

    def frame(self, image: np.ndarray) -> np.ndarray:
        self._not_open()

    def data_address(self, a: np.ndarray) -> int:
        self._not_open()
