"""The interactive report in a real browser (Playwright driving Debian's chromium),
on the report of a real tiny run: what a user clicks changes what is drawn, the
ranking follows the data, the code is there, and the page asks the network for
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_browser import browser, browser_marks, open_report
from report_expect import ranked

pytestmark = browser_marks
__all__ = ["browser"]  # the fixture, shared with the other browser tests
REPOSITORY = Path(__file__).resolve().parents[2]
FIGURES = ("latency", "throughput", "xkernel", "memory")
POINTS = "path[aria-roledescription=point]"
LINES = 'path[aria-roledescription="line mark"]'


@pytest.fixture
def page(browser: Any, real_report_file: Path) -> Iterator[Any]:
    """The report, opened from file:// with every request outside it refused and recorded."""
    context, opened = open_report(browser, real_report_file, 1500)
    yield opened
    context.close()


def drawn(page: Any, figure: str) -> list[str]:
    """The strategy of every point drawn in one interactive figure."""
    labels = page.eval_on_selector_all(
        f"#vl-{figure} {POINTS}", "nodes => nodes.map(n => n.getAttribute('aria-label'))"
    )
    return [label.split(" ")[0] for label in labels]


def settle(page: Any, before: str) -> None:
    """Wait until the page has applied a change to every figure."""
    page.wait_for_function(f"document.body.dataset.applied !== {before!r}", timeout=10_000)


def applied(page: Any) -> str:
    return str(page.evaluate("document.body.dataset.applied || ''"))


def results_of(report: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((report.parent / "run.json").read_text("utf-8"))
    return document


def test_every_figure_is_drawn_and_nothing_is_requested(page: Any, tmp_path: Path) -> None:
    for figure in FIGURES:
        assert set(drawn(page, figure)) == {"numpy", "capi", "json", "shm"}, figure
    assert page.errors == []
    assert page.requests == [], "the page asked for something outside itself"
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few KB


def test_hiding_a_family_removes_its_traces_everywhere(page: Any) -> None:
    before = applied(page)
    page.uncheck("#ib-strategies input[data-family=ipc]")
    settle(page, before)
    for figure in FIGURES:
        shown = set(drawn(page, figure))
        assert "shm" not in shown, figure
        assert {"numpy", "capi", "json"} <= shown, figure
    ranked = page.eval_on_selector_all(
        "#ib-ranking tbody tr", "rows => rows.map(r => r.dataset.strategy)"
    )
    assert "shm" not in ranked
    before = applied(page)
    page.check("#ib-strategies input[data-strategy=shm]")
    settle(page, before)
    assert "shm" in drawn(page, "latency")


def test_highlighting_one_strategy_dims_the_others_in_every_figure(page: Any) -> None:
    before = applied(page)
    page.click("#ib-strategies .strategy[data-strategy=json] button.name")
    settle(page, before)
    for figure in FIGURES:
        lines = page.eval_on_selector_all(
            f"#vl-{figure} {LINES}",
            "nodes => nodes.map(n => [n.getAttribute('aria-label'), n.getAttribute('opacity')])",
        )
        lines = [(label, opacity) for label, opacity in lines if " s: " in f" {label}"]
        assert lines, figure  # the strategies' lines (the floors' are always black)
        for label, opacity in lines:
            lit = "s: json;" in label
            assert (float(opacity) == 1.0) == lit, (figure, label, opacity)


def test_one_plot_per_family(page: Any) -> None:
    page.check("#ib-split")
    page.wait_for_function(
        "document.querySelectorAll('#vl-latency .role-title-text').length >= 4", timeout=10_000
    )
    titles = page.eval_on_selector_all(
        "#vl-latency .role-title-text", "nodes => nodes.map(n => n.textContent)"
    )
    assert {"reference", "ffi", "serialization", "ipc"} <= set(titles)


def expected_order(results: dict[str, Any], op: str, payload: float) -> list[str]:
    """The strategies by their median at `payload`, computed from the results file alone."""
    return [name for name, _ in ranked(results, op, payload)]


def ranking_at(page: Any, size: str, op: str) -> tuple[list[str], list[str]]:
    page.select_option("#ib-rank-op", op)
    page.fill("#ib-size", size)
    page.dispatch_event("#ib-size", "change")
    rows = page.eval_on_selector_all(
        "#ib-ranking tbody tr",
        "rows => rows.map(r => [r.dataset.strategy, r.cells[6].textContent])",
    )
    return [name for name, _ in rows], [how for _, how in rows]


@pytest.mark.parametrize("op", ["sum", "scale"])
def test_choosing_a_size_ranks_as_the_data_says(page: Any, real_report_file: Path, op: str) -> None:
    results = results_of(real_report_file)
    orders = {}
    for size, payload in (("8 B", 8), ("800 KB", 800_000), ("80 KB", 80_000)):
        names, hows = ranking_at(page, size, op)
        assert names == expected_order(results, op, payload), size
        orders[size] = names
        if size == "80 KB":
            assert all(how == "interpolated between 8 KB and 800 KB" for how in hows)
        else:
            assert all(how == "measured" for how in hows)
    # The ranking moved with the size exactly where the data's order changes.
    assert (orders["8 B"] != orders["800 KB"]) == (
        expected_order(results, op, 8) != expected_order(results, op, 800_000)
    )
    caption = page.inner_text("#ib-rank-caption")
    assert "80 KB" in caption and "medium" in caption


def test_a_dtypes_label_is_ranked_on_its_own_bytes(page: Any, real_report_file: Path) -> None:
    """sum:uint8 is its own choice of op: ranked by its cells only, whose 1,000
    elements are 1 KB (float64's 1,000 are 8 KB)."""
    names, hows = ranking_at(page, "1 KB", "sum:uint8")
    assert names == expected_order(results_of(real_report_file), "sum:uint8", 1000)
    assert len(names) > 1
    assert hows == ["measured"] * len(names)


def test_the_frames_table_is_rendered(page: Any) -> None:
    rows = page.eval_on_selector_all(
        "#frames table.frames tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))",
    )
    by_strategy = {row[0]: row[1:] for row in rows}
    assert set(by_strategy) == {"numpy", "capi", "json", "shm", "kernel"}  # kernel: the floor
    ms, fps, at_30, at_60 = by_strategy["numpy"]
    assert float(ms) > 0 and float(fps) > 0 and {at_30, at_60} <= {"pass", "fail", "borderline"}
    for name in ("capi", "shm"):  # every strategy carries frames
        assert float(by_strategy[name][0]) > 0 and float(by_strategy[name][1]) > 0, name
    # json's frame is checked but may be past the quick profile's cell budget.
    assert by_strategy["json"][0] == "skipped" or float(by_strategy["json"][0]) > 0
    assert float(by_strategy["kernel"][0]) < float(ms)  # the core alone beats numpy's gray
    assert "carried by" in page.inner_text("#frames .frame-headline")


def test_a_size_outside_the_run_is_not_ranked(page: Any) -> None:
    names, _ = ranking_at(page, "8 GB", "sum")
    assert names == []
    assert "outside its measured sizes" in page.inner_text("#ib-unranked")


def test_opening_a_strategys_code_shows_its_source(page: Any) -> None:
    # A size where capi is ranked (the default, 1 MB, is past its largest sum when
    # the run's largest cell is a frame).
    ranking_at(page, "800 KB", "sum")
    # The typed size commits now: else the click's blur of the field commits it, the
    # ranking is drawn anew between mousedown and mouseup, and the click is lost.
    page.eval_on_selector("#ib-size", "field => field.blur()")
    page.click("#ib-ranking tbody tr[data-strategy=capi] button.code")
    page.wait_for_selector("dialog#ib-code[open]")
    code = page.inner_text("dialog#ib-code pre")
    assert "class CapiStrategy" in code  # python/interop_bench/strategies/capi.py
    page.click("dialog#ib-code .tabs button:has-text('strategies/capi/ib_capi.cpp')")
    assert "PyInit_ib_capi" in page.inner_text("dialog#ib-code pre")
    assert "numpy 2." in page.inner_text("dialog#ib-code h3")  # the release measured
    note = page.inner_text("dialog#ib-code .note")
    assert "commit" in note
    page.click("#ib-code-close")
    assert page.eval_on_selector("dialog#ib-code", "d => d.open") is False
