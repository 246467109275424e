"""The native layout, enforced: a folder under strategies/ depends on the kernel
core and on shared folders (`strategies/_*`) only, never on a strategy's folder
other than its own. Read from the CMake files (paths and the targets another
strategy's folder defines) and from the `#include` lines of the sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".i", ".pyx", ".pxd"}

# The commands that define a target, and its name.
TARGET_DEFINITION = re.compile(
    r"\b(?:add_library|add_executable|python_add_library|ib_add_python_module|"
    r"nanobind_add_module|pybind11_add_module|swig_add_library|ib_add_fuzzer|ib_add_gtest)"
    r"\(\s*([A-Za-z0-9_]+)"
)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def cmake_code(folder: Path) -> str:
    """The folder's CMake code without its comments (which may name anything)."""
    lines = []
    for path in sorted(folder.rglob("CMakeLists.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            lines.append(line.split("#", 1)[0])
    return "\n".join(lines)


def sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())


def header_names(folder: Path) -> set[str]:
    """What an `#include "..."` can name in the folder: a path relative to it, or a file name."""
    files = sources(folder)
    return {str(p.relative_to(folder)) for p in files} | {p.name for p in files}


def native_folders(root: Path) -> list[Path]:
    """Every folder under strategies/ that the build adds (it has a CMakeLists.txt)."""
    return sorted(p.parent for p in (root / "strategies").glob("*/CMakeLists.txt"))


def violations(root: Path) -> list[str]:
    """Each dependency of a folder under strategies/ on another strategy's folder
    (one whose name does not start with "_")."""
    folders = native_folders(root)
    strategies = [f for f in folders if not f.name.startswith("_")]
    shared = set().union(*(header_names(f) for f in folders if f.name.startswith("_")))
    shared |= header_names(root / "kernels")
    targets = {f.name: set(TARGET_DEFINITION.findall(cmake_code(f))) for f in strategies}
    headers = {f.name: header_names(f) for f in strategies}
    found = []
    for folder in folders:
        code = cmake_code(folder)
        cmake_file = f"strategies/{folder.name}/CMakeLists.txt"
        own = header_names(folder)
        included = [
            (source, include)
            for source in sources(folder)
            for include in INCLUDE.findall(source.read_text(encoding="utf-8", errors="replace"))
        ]
        for other in (f.name for f in strategies if f != folder):
            if re.search(rf"\bstrategies/{re.escape(other)}\b", code):
                found.append(f"{cmake_file} names strategies/{other}")
            for target in sorted(targets[other]):
                if re.search(rf"(?<!\w){re.escape(target)}(?!\w)", code):
                    found.append(f"{cmake_file} uses {target} of strategies/{other}")
            for source, include in included:
                named_there = f"strategies/{other}/" in include or f"../{other}/" in include
                only_there = include in headers[other] and include not in own | shared
                if named_there or only_there:
                    where = source.relative_to(root)
                    found.append(f"{where} includes {include} of strategies/{other}")
    return found


def test_no_strategy_folder_depends_on_another_strategys() -> None:
    assert violations(REPOSITORY) == []


@pytest.mark.parametrize(
    ("cmake", "include"),
    [
        ("target_link_libraries(ib_beta PRIVATE ib_alpha_core)", None),
        (
            "target_include_directories(ib_beta PRIVATE ${PROJECT_SOURCE_DIR}/strategies/alpha)",
            None,
        ),
        ("add_library(ib_beta STATIC beta.cpp)", "alpha_wire.hpp"),
        ("add_library(ib_beta STATIC beta.cpp)", "../alpha/alpha_wire.hpp"),
    ],
)
def test_a_dependency_on_another_strategys_folder_is_found(
    tmp_path: Path, cmake: str, include: str | None
) -> None:
    alpha = tmp_path / "strategies" / "alpha"
    beta = tmp_path / "strategies" / "beta"
    shared = tmp_path / "strategies" / "_shared"
    for folder in (alpha, beta, shared):
        folder.mkdir(parents=True)
    (tmp_path / "kernels").mkdir()
    (alpha / "CMakeLists.txt").write_text("add_library(ib_alpha_core STATIC alpha_wire.cpp)\n")
    (alpha / "alpha_wire.hpp").write_text("#pragma once\n")
    (shared / "CMakeLists.txt").write_text("add_library(ib_shared INTERFACE)\n")
    (shared / "wire.hpp").write_text("#pragma once\n")
    (beta / "CMakeLists.txt").write_text(f"# ib_alpha_core is named in a comment only\n{cmake}\n")
    lines = ['#include "wire.hpp"', '#include "interop_bench/kernels.hpp"']
    if include:
        lines.append(f'#include "{include}"')
    (beta / "beta.cpp").write_text("\n".join(lines) + "\n")
    assert len(violations(tmp_path)) == 1, violations(tmp_path)
    (beta / "CMakeLists.txt").write_text("add_library(ib_beta STATIC beta.cpp)\n")
    (beta / "beta.cpp").write_text('#include "wire.hpp"\n')
    assert violations(tmp_path) == []
