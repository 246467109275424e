"""`json`: the array as a JSON message, stdlib json in Python, nlohmann/json in C++.

Request ``{"op": "sum", "shape": [n], "data": [...], "k": 2.0}`` (k for scale
only; matrix_sum sends [rows, cols] and the row-major values), reply
``{"value": x}`` or ``{"data": [...]}``; the format is the one of
strategies/json/json_codec.hpp. Python encodes with
``json.dumps({...,"data": a.tolist()}, allow_nan=False).encode("ascii")``: the
values become Python floats, then shortest round-trip decimal text. C++ parses
it with nlohmann's SAX interface straight into a std::vector<double>, runs the
kernel on it (in place for square and scale) and dumps the reply; Python parses
it with ``json.loads`` and builds the array with ``np.array(values, float64)``.

NaN and Inf: JSON has no literal for them. A message holding one is refused
with a ValueError naming the element (``allow_nan=False``), before anything
crosses; a result that overflows to Inf is refused by the C++ encoder the same
way. Never a silently wrong answer.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from interop_bench.strategies._serialization import (
    Message,
    SerializationStrategy,
    non_finite_error,
    request_fields,
)


class JsonStrategy(SerializationStrategy):
    name = "json"
    sources = (
        "strategies/json/module.cpp",
        "strategies/json/json_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("python", "nlohmann_json")
    description = "JSON message: json.dumps(a.tolist()) -> nlohmann/json (SAX) -> json.loads"
    copies_note = (
        "encode: a.tolist() + json text + ascii bytes; native: text -> std::vector<double>, "
        "reply DOM -> text -> bytearray; decode: json.loads -> list -> np.array"
    )
    extension_name = "ib_json"

    def _encode(self, request: Message) -> object:
        try:
            text = json.dumps(request_fields(request, request.data.tolist()), allow_nan=False)
        except ValueError as error:  # "Out of range float values are not JSON compliant"
            raise non_finite_error(request, "json", "JSON") from error
        return text.encode("ascii")

    def _loads(self, reply: bytearray) -> Any:
        return json.loads(reply)

    def _decode_value(self, reply: bytearray) -> float:
        return float(self._loads(reply)["value"])

    def _decode_array(self, reply: bytearray) -> np.ndarray:
        return np.array(self._loads(reply)["data"], dtype=np.float64)
