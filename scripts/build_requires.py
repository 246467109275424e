"""Print what .venv needs before the package itself is built, one per line: the
build-system requirements of pyproject.toml, then the project's dependencies.

The Makefile (and the ab gate's baseline build) installs them into the venv so
that the project can be built with --no-build-isolation (fast, incremental
rebuilds in build/wheel-*). The dependencies come here too because that flag
holds for every source distribution pip builds in the same command: cppyy and
CPyCppyy are published as sources only, and their builds need packages
(cppyy-cling, wheel) that only their own isolated build environment provides.
"""

import re
import sys
from pathlib import Path

text = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text()


def _array(key: str) -> list[str]:
    """The strings of the first `key = [...]` array (Python 3.10 has no tomllib)."""
    block = re.search(rf"^{key}\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    entries = re.sub(r"#[^\n]*", "", block.group(1)) if block else ""
    return re.findall(r'"([^"]+)"', entries)


try:
    import tomllib

    parsed = tomllib.loads(text)
    requires = parsed["build-system"]["requires"] + parsed["project"].get("dependencies", [])
except ModuleNotFoundError:
    requires = _array("requires") + _array("dependencies")
print("\n".join(dict.fromkeys(requires)))
