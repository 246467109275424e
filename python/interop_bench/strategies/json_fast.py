"""`json-fast`: the messages of `json`, with orjson in Python and simdjson in C++.

Python encodes with ``orjson.dumps({..., "data": a}, option=OPT_SERIALIZE_NUMPY)``
(orjson reads the ndarray's buffer directly in its own dtype, no list of Python
numbers: integers as JSON integers, float32 in its own shortest digits); C++
reads it with simdjson On-Demand (after copying it into a reused padded buffer)
into a std::vector of the dtype, runs that dtype's kernel and writes the reply
with std::to_chars of the dtype; Python parses it with ``orjson.loads`` and
builds the array with ``np.array(values, dtype)``. Per element, not per byte:
a uint8 is 1 to 3 digits of text, a float64 about 20.

NaN and Inf: orjson writes them as ``null``, which would be a silently wrong
message, so the adapter looks first (one sum over the array: a finite sum
proves there is none; only a non-finite one is searched element by element)
and refuses them with a ValueError naming the element, as `json` does. The C++
side refuses ``null`` in data anyway.
"""

from __future__ import annotations

from typing import Any

import orjson

from interop_bench.strategies._json_message import JsonMessageStrategy
from interop_bench.strategies._serialization import (
    Message,
    has_non_finite,
    non_finite_error,
    request_fields,
)


class JsonFastStrategy(JsonMessageStrategy):
    name = "json-fast"
    sources = (
        "strategies/json_fast/module.cpp",
        "strategies/json_fast/simdjson_codec.cpp",
        "strategies/_serialization_bridge/bridge/python_call.hpp",
    )
    packages = ("orjson", "simdjson")
    description = "JSON message: orjson (numpy) -> simdjson On-Demand -> orjson.loads"
    copies_note = (
        "encode: orjson writes text from the array's buffer; native: padded copy, "
        "text -> std::vector of the dtype, reply text -> bytearray; decode: orjson.loads -> "
        "list -> np.array; a padded or cropped frame's rows are packed first"
    )
    extension_name = "ib_json_fast"
    uncountable = (
        "simdjson picks AVX-512 code at run time on this kind of CPU, which Valgrind 3.19 "
        "cannot decode (it stops with SIGILL)"
    )

    def _loads(self, reply: bytearray) -> Any:
        return orjson.loads(reply)

    def _encode(self, request: Message) -> object:
        if has_non_finite(request):
            raise non_finite_error(request, "json-fast", "JSON")
        return orjson.dumps(
            request_fields(request, request.data), option=orjson.OPT_SERIALIZE_NUMPY
        )
