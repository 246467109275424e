"""Print the build-system requirements of pyproject.toml, one per line.

The Makefile installs them into .venv so that the project can be built with
--no-build-isolation (fast, incremental rebuilds in build/wheel-*).
"""

import re
import sys
from pathlib import Path

text = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text()
try:
    import tomllib

    requires = tomllib.loads(text)["build-system"]["requires"]
except ModuleNotFoundError:  # Python 3.10: no tomllib; read the first `requires = [...]`.
    block = re.search(r"^requires\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    entries = re.sub(r"#[^\n]*", "", block.group(1)) if block else ""
    requires = re.findall(r'"([^"]+)"', entries)
print("\n".join(requires))
