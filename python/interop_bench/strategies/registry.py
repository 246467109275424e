"""Every strategy, by name. Adding a strategy is one line here.

Entries are "module:Class" strings, imported on first use, so that listing the
registry never needs a native module and one strategy that failed to build
does not take the others down.
"""

from __future__ import annotations

STRATEGIES: dict[str, str] = {
    "numpy": "numpy:NumpyStrategy",
}
