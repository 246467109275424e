"""What `json` and `json-fast` share: the reply, ``{"value": x}`` or
``{"dtype": "int16", "data": [...]}`` (strategies/json/json_codec.hpp), parsed
by the strategy's `_loads` and checked against the request."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np

from interop_bench.strategies._serialization import (
    Message,
    SerializationStrategy,
    check_reply_dtype,
)


class JsonMessageStrategy(SerializationStrategy):
    """A SerializationStrategy whose replies are JSON text."""

    @abstractmethod
    def _loads(self, reply: bytearray) -> Any:
        """The reply's JSON value, parsed."""

    def _decode_value(self, reply: bytearray) -> float | int:
        value: float | int = self._loads(reply)["value"]
        return value

    def _decode_array(self, reply: bytearray, request: Message) -> np.ndarray:
        fields = self._loads(reply)
        dtype = check_reply_dtype(fields.get("dtype"), request, self.name)
        return np.array(fields["data"], dtype=dtype)
