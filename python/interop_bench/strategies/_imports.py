"""The modules of this package that a module imports, read from its source.

A strategy's Python files are derived from its imports rather than listed by
hand (a hand-kept list drifts), and the tests hold the layering to it: an
adapter module imports shared modules only, never another adapter.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = __name__.rpartition(".")[0]  # interop_bench.strategies
_FOLDER = Path(__file__).parent
_REPOSITORY_PREFIX = "python/"  # where the package lies in the repository


def module_file(module: str) -> Path | None:
    """The source file of `module` if it is a module or package of this package."""
    if module != PACKAGE and not module.startswith(f"{PACKAGE}."):
        return None
    path = _FOLDER.joinpath(*module.split(".")[2:])
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def is_package(module: str) -> bool:
    """Whether `module` is a package of this package (its file an __init__.py)."""
    file = module_file(module)
    return file is not None and file.name == "__init__.py"


def repository_path(module: str) -> str:
    """`module`'s file as the repository names it (python/interop_bench/...)."""
    file = module_file(module)
    assert file is not None, f"{module} is not a module of {PACKAGE}"
    return _REPOSITORY_PREFIX + file.relative_to(_FOLDER.parents[1]).as_posix()


@functools.cache
def direct_imports(module: str) -> tuple[str, ...]:
    """The modules of this package that `module` imports anywhere in its source
    (a function's deferred import too), in the order they appear."""
    file = module_file(module)
    if file is None:
        return ()
    nodes = [
        n
        for n in ast.walk(ast.parse(file.read_text()))
        if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    found: list[str] = []
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif node.module is not None and node.level == 0:
            # `from package import name`: the submodule `name` where there is one
            names = [
                f"{node.module}.{alias.name}"
                if module_file(f"{node.module}.{alias.name}")
                else node.module
                for alias in node.names
            ]
        else:
            names = []
        found += [name for name in names if module_file(name) is not None]
    return tuple(dict.fromkeys(found))


def imports(module: str) -> list[str]:
    """Every module of this package that `module` imports, directly or through
    the modules it imports, depth first in import order."""
    seen: dict[str, None] = {}
    pending = list(reversed(direct_imports(module)))
    while pending:
        name = pending.pop()
        if name in seen or name == module:
            continue
        seen[name] = None
        pending.extend(reversed(direct_imports(name)))
    return list(seen)
