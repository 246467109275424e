"""`json`: the array as a JSON message, stdlib json in Python, nlohmann/json in C++.

Request ``{"op": "sum", "shape": [n], "dtype": "int16", "data": [...], "k": 3}``
(k for scale only; matrix_sum sends [rows, cols] and the row-major values,
frame [height, width] and the image's rows packed, 3 values a pixel), reply
``{"value": x}`` or ``{"dtype": "int16", "data": [...]}``; the format is the one
of strategies/json/json_codec.hpp. Python encodes with
``json.dumps({..., "data": a.tolist()}, allow_nan=False).encode("ascii")``: the
values become Python ints (integer dtypes: written as JSON integers) or floats
(shortest round-trip decimal text; float32 widened exactly). C++ parses it with
nlohmann's SAX interface straight into a std::vector of the dtype (a value that
does not fit it is refused), runs that dtype's kernel on it (in place for
square and scale; integers wrap around there, as NumPy's) and dumps the reply;
Python parses it with ``json.loads`` and builds the array with
``np.array(values, dtype)``. Every value is one JSON number whatever its
width, so a uint8 costs about what a float64 costs: per element, not per byte.

NaN and Inf: JSON has no literal for them. A message holding one is refused
with a ValueError naming the element (``allow_nan=False``), before anything
crosses; a result that overflows to Inf is refused by the C++ encoder the same
way. Never a silently wrong answer.
"""

from __future__ import annotations

import json
from typing import Any

from interop_bench.strategies._json_message import JsonMessageStrategy
from interop_bench.strategies._serialization import Message, non_finite_error, request_fields


class JsonStrategy(JsonMessageStrategy):
    name = "json"
    sources = (
        "strategies/json/module.cpp",
        "strategies/json/json_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("python", "nlohmann_json")
    description = "JSON message: json.dumps(a.tolist()) -> nlohmann/json (SAX) -> json.loads"
    copies_note = (
        "encode: a.tolist() + json text + ascii bytes; native: text -> std::vector of the dtype, "
        "reply DOM -> text -> bytearray; decode: json.loads -> list -> np.array; a padded or "
        "cropped frame's rows are packed first"
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
