"""Plain-text and Markdown tables: the one place that pads columns and escapes pipes."""

from __future__ import annotations

from collections.abc import Sequence


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], fmt: str) -> str:
    """A table as aligned text (`text`) or GitHub-flavoured Markdown (`markdown`).

    Columns whose header starts with a space are right-aligned (numbers)."""
    if fmt == "markdown":
        return _markdown(headers, rows)
    return _text(headers, rows)


def _markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.strip().replace("|", "\\|") for c in cells) + " |"

    rule = ["---:" if h.startswith(" ") else "---" for h in headers]
    return "\n".join([line(headers), "| " + " | ".join(rule) + " |", *map(line, rows)])


def _text(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = [[h.strip() for h in headers], *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if h.startswith(" ") else c.ljust(w)
            for c, w, h in zip(cells, widths, headers, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join(line(row) for row in table)
