"""The HTML report: every section present, self-contained, graceful when pieces are missing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli
from interop_bench.analysis.load import load
from interop_bench.analysis.verdict import verdicts
from interop_bench.report import render
from interop_bench.report.cell_table import PER_FILE_COLUMNS
from interop_bench.report.palette import Palette

FIGURE_IDS = ("latency", "throughput", "overhead", "phases", "memory")
FIGURE = re.compile(r'<figure data-figure="(\w+)"[^>]*>(.*?)</figure>', re.S)


@pytest.fixture(scope="module")
def results_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic results file whose modelled strategies the verdict tests know
    (a real run is checked by test_chromium_renders_every_figure_of_a_real_run)."""
    return write_results(tmp_path_factory.mktemp("results") / "run.json", make_results(samples=40))


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory, results_file: Path) -> Path:
    """The report of `results_file`, written once for the tests of this module."""
    out = tmp_path_factory.mktemp("report") / "index.html"
    assert cli.main(["report", str(results_file), "-o", str(out)]) == 0
    return out


def report_of(tmp_path: Path, *files: Path) -> str:
    out = tmp_path / "report" / "index.html"
    assert cli.main(["report", *map(str, files), "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def figures_in(html: str) -> dict[str, str]:
    return dict(FIGURE.findall(html))


SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
NAMESPACE = re.compile(r'\sxmlns(:\w+)?="[^"]*"')


def assert_self_contained(html: str) -> None:
    """No URL outside the inlined scripts, no reference out of the page. (The Vega
    bundle's code holds URL strings it never fetches here: the browser test
    checks that the page makes no request.)"""
    markup = NAMESPACE.sub("", SCRIPT.sub("", html))  # SVG drawn by Vega declares its own
    assert not re.search(r"https?:", markup), "the report names a URL"
    for attribute in re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', markup):
        assert attribute.startswith("#"), f"the report refers to {attribute!r}"


def test_report_has_every_figure_with_drawn_paths(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    found = figures_in(html)
    assert tuple(found) == FIGURE_IDS
    for figure_id, svg in found.items():
        assert svg.lstrip().startswith("<svg"), figure_id
        assert len(re.findall(r"<path\b", svg)) > 5, f"{figure_id} draws (almost) nothing"
    assert_self_contained(html)


def test_report_sections_and_table(report_file: Path, results_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    for section in ("answer", "verdict", "cells", "environment"):
        assert f'<section id="{section}"' in html
    results = load(results_file)
    static = html[html.index('<details class="static-cells">') :]
    rows = re.findall(r"<tr><td", static[: static.index("</details>")])
    assert len(rows) == len(results.cells) + len(results.floor_cells)  # a row per cell
    assert results.floor_cells and '<td class="floor">kernel' in static  # the floors, marked
    assert "synthetic-host" in html and "0123456789ab" in html  # host and commit shown


def test_verdict_finds_the_modelled_winners_and_crossover(results_file: Path) -> None:
    # The factory's models: capi has the smallest overhead; ctypes the highest bandwidth;
    # pybind11 (150 ns, 9 GB/s) and ctypes (600 ns, 11.8 GB/s) cross near 16 KB.
    by_op = {v.op: v for v in verdicts(load(results_file))}
    sum_verdict = by_op["sum"]
    bands = {band.name: band for band in sum_verdict.bands}
    assert bands["small"].winner == "capi"
    assert bands["large"].winner in {"ctypes", "capi"}
    crossing = [
        c
        for c in sum_verdict.crossovers
        if {c.faster_small, c.faster_large} == {"pybind11", "ctypes"}
    ]
    assert len(crossing) == 1
    assert crossing[0].faster_small == "pybind11"
    assert crossing[0].last_small_bytes < crossing[0].estimate_bytes < crossing[0].first_large_bytes
    assert sum_verdict.closeness is not None
    closeness = sum_verdict.closeness
    assert {name for name, *_ in closeness.ratios} == {"capi", "pybind11", "ctypes"}
    assert closeness.same_rounds  # the kernel was a turn of the same rounds
    for _, ratio, low, high in closeness.ratios:
        assert low is not None and high is not None and low < ratio < high


def test_missing_pieces_are_reported_not_crashed_on(tmp_path: Path) -> None:
    document = make_results(strategies=["numpy", "ctypes"], sizes=[1000], floors=False)
    del document["strategies"]
    html = report_of(tmp_path, write_results(tmp_path / "bare.json", document))
    assert "no strategy in this input records phases" in html
    assert "no kernel-alone floor" in html
    assert "no kernel line" in html and "no rooflines" in html
    assert set(figures_in(html)) == {"latency", "throughput", "overhead", "memory"}


def test_all_cells_skipped(tmp_path: Path) -> None:
    statuses = {
        (s, op, n): ("skipped", "over the time budget")
        for s in ("numpy", "json")
        for op in ("sum", "scale")
        for n in (1, 1000)
    }
    document = make_results(
        strategies=["numpy", "json"], ops=["sum", "scale"], sizes=[1, 1000], status=statuses
    )
    html = report_of(tmp_path, write_results(tmp_path / "skipped.json", document))
    assert figures_in(html) == {}
    assert html.count('class="missing"') >= len(FIGURE_IDS)
    assert "skipped: over the time budget" in html


def test_several_files_side_by_side(tmp_path: Path) -> None:
    old = write_results(tmp_path / "old.json", make_results(seed=1, samples=20))
    new = write_results(tmp_path / "new.json", make_results(seed=2, samples=20, host="other"))
    html = report_of(tmp_path, old, new)
    assert "file: old" in html and "file: new" in html  # legend entries per line style
    columns = len(PER_FILE_COLUMNS)
    assert html.count(f'<th colspan="{columns}" class="text">old</th>') == 4  # one table per op
    assert_self_contained(html)


def test_bad_input_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = write_results(tmp_path / "v9.json", make_results(schema_version=9))
    assert cli.main(["report", str(wrong), "-o", str(tmp_path / "x.html")]) == 2
    assert "schema_version 9" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_colours_are_stable_by_name() -> None:
    one = Palette(["ctypes", "numpy", "json"])
    other = Palette(["json", "numpy", "ctypes", "ctypes"])
    assert all(one[s] == other[s] for s in ("ctypes", "numpy", "json"))
    many = Palette([f"s{i}" for i in range(30)])
    styles = {many[f"s{i}"] for i in range(30)}
    assert len(styles) == 30  # colour + marker tell every strategy apart


def test_figures_render_one_size_only(tmp_path: Path) -> None:
    document = make_results(strategies=["pybind11", "json"], ops=["sum"], sizes=[1_000_000])
    files = [load(write_results(tmp_path / "one.json", document))]
    rendered = {f.figure_id: f for f in render.figures(files)}
    assert all(f.svg for f in rendered.values()), {k: f.missing for k, f in rendered.items()}


# -- in a real browser ---------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (`make deps` installs it)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@needs_chromium
@pytest.mark.browser
def test_chromium_renders_every_figure(tmp_path: Path, report_file: Path) -> None:
    done = chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    found = figures_in(dom)
    assert tuple(found) == FIGURE_IDS, "the browser's DOM lacks a figure"
    for figure_id, svg in found.items():
        assert re.search(r"<svg\b", svg), figure_id
        assert len(re.findall(r"<path\b", svg)) > 5, f"{figure_id} is empty in the browser"
    assert_self_contained(dom)


@needs_chromium
@pytest.mark.browser
def test_chromium_renders_every_figure_of_a_real_run(
    tmp_path: Path, real_report_file: Path
) -> None:
    done = chromium(tmp_path, "--dump-dom", real_report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    found = figures_in(done.stdout)
    # the real run measures frames (conftest.real_run): their figure is in its section
    assert tuple(found) == (*FIGURE_IDS, "frames"), "the browser's DOM lacks a figure"
    for figure_id, svg in found.items():
        assert len(re.findall(r"<path\b", svg)) > 5, f"{figure_id} is empty in the browser"
    assert_self_contained(done.stdout)


@needs_chromium
@pytest.mark.browser
def test_chromium_screenshot(tmp_path: Path, report_file: Path) -> None:
    shot = tmp_path / "report.png"
    done = chromium(
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1400,3000",
        f"--screenshot={shot}",
        report_file.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few KB
