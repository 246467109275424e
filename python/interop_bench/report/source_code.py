"""The code behind each strategy's numbers, copied into the report when it is built.

A results file names the files behind each strategy's call (`strategies.<name>.sources`,
repository-relative). They are read from the source tree the report is built in:
at the commit the file was measured at when that repository has it (what
produced the numbers), else from the working tree (and the page says so). The
code is highlighted by Pygments into static HTML: no script, no network.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from interop_bench.analysis.load import Results

CSS_SCOPE = ".code"
# A file longer than this is cut (with a note): the page stays light, and an
# adapter is a thin layer by design.
MAX_LINES = 600


@dataclass(frozen=True)
class SourceFile:
    path: str
    html: str  # highlighted lines, escaped; empty when the file was not found
    origin: str  # where the text came from, in words


@dataclass
class StrategyCode:
    """Per results file: each strategy's files, each file's text once."""

    by_strategy: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, SourceFile] = field(default_factory=dict)
    note: str = ""


def css() -> str:
    return str(HtmlFormatter(style="default").get_style_defs(CSS_SCOPE))


def collect(results: Results, tree: Path) -> StrategyCode:
    """The code of every strategy of `results`, read from the repository at `tree`."""
    code = StrategyCode()
    git = results.environment.get("git") or {}
    commit = str(git.get("commit") or "")
    revision = commit if commit and _has_commit(tree, commit) else ""
    code.note = _note(tree, commit, revision, bool(git.get("dirty")))
    for name, info in sorted(results.strategy_info.items()):
        paths = [str(p) for p in info.get("sources") or []]
        code.by_strategy[name] = paths
        for path in paths:
            if path not in code.files:
                code.files[path] = _read(tree, revision, path)
    return code


def _note(tree: Path, commit: str, revision: str, dirty: bool) -> str:
    if revision:
        dirty_note = " (its tree had uncommitted changes then, not shown)" if dirty else ""
        return f"from commit {commit[:12]}, the one the results were measured at{dirty_note}"
    if commit:
        return (
            f"from the working tree at {tree}: the results were measured at commit "
            f"{commit[:12]}, which this repository does not have"
        )
    return f"from the working tree at {tree}: the results file names no commit"


def _has_commit(tree: Path, commit: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(tree), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _read(tree: Path, revision: str, path: str) -> SourceFile:
    if revision:
        done = subprocess.run(
            ["git", "-C", str(tree), "show", f"{revision}:{path}"],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            text = done.stdout.decode("utf-8", errors="replace")
            return SourceFile(path, _highlight(path, text), f"commit {revision[:12]}")
    file = tree / path
    if file.is_file():
        return SourceFile(
            path, _highlight(path, file.read_text("utf-8", "replace")), "working tree"
        )
    return SourceFile(path, "", f"not found in {tree}")


def _highlight(path: str, text: str) -> str:
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        cut = len(lines) - MAX_LINES
        text = "\n".join([*lines[:MAX_LINES], f"... ({cut} more lines in {path})"])
    formatter = HtmlFormatter(style="default", nowrap=True)
    return str(highlight(text, _lexer(path), formatter))


def _lexer(path: str) -> Lexer:
    try:
        return get_lexer_for_filename(Path(path).name)
    except ClassNotFound:  # e.g. a FlatBuffers schema
        return TextLexer()
