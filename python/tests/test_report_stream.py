"""The report's Streams section: stream files taken by their kind, a table per
resolution and rate against the kernel floor, the percentile spectrum's data,
and where the isolated-call median and the stream disagree (computed here from
the two files, without the report's code)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from results_factory import make_results, write_results
from stream_factory import make_stream, write_stream

from interop_bench import cli, ops
from interop_bench.analysis.load import load_all
from interop_bench.report import page_data, render
from interop_bench.stream.files import partition

pytestmark = pytest.mark.slow  # each report takes seconds

STRATEGIES = ("numpy", "capi", "pybind11", "ctypes", "json", "shm", "pipe", "tcp", "grpc")
RESOLUTIONS = ("1080p", "4k")


def frame_bytes(resolution: str) -> int:
    height, width = ops.RESOLUTIONS[resolution]
    return height * width * ops.CHANNELS


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A matrix file named like a stream file and a stream file named like a
    results file: the report must tell them apart by their kind alone."""
    folder = tmp_path_factory.mktemp("streams")
    matrix = make_results(
        strategies=STRATEGIES,
        ops=("sum", "frame"),
        sizes=(1, 1000, 1_000_000),
        frame_sizes=[frame_bytes(r) for r in RESOLUTIONS],
        samples=12,
    )
    stream = make_stream(strategies=STRATEGIES[1:], resolutions=RESOLUTIONS)
    return (
        write_results(folder / "stream-20260101T000000Z.json", matrix),
        write_stream(folder / "results.json", stream),
    )


@pytest.fixture(scope="module")
def html(files: tuple[Path, Path]) -> str:
    out = files[0].parent / "index.html"
    assert cli.main(["report", *map(str, files), "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def stream_document(files: tuple[Path, Path]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(files[1].read_text("utf-8"))
    return document


def test_files_are_told_apart_by_their_kind_not_their_name(files: tuple[Path, Path]) -> None:
    matrix, streams = partition([str(files[1]), str(files[0])])
    assert matrix == [str(files[0])]
    assert [s.path for s in streams] == [files[1]]


def test_two_stream_files_of_one_name_get_two_labels(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    other = tmp_path / files[1].name
    other.write_bytes(files[1].read_bytes())
    _, streams = partition([str(files[1]), str(other)])
    assert [s.label for s in streams] == ["1:results", "2:results"]


def test_a_table_per_resolution_and_rate_with_the_floor_row(
    html: str, files: tuple[Path, Path]
) -> None:
    section = html.split('id="streams"', 1)[1].split("</section>", 1)[0]
    tables = re.findall(r'<details class="stream-table"( open)? data-stream="([^"]+)"', section)
    assert [key for _, key in tables] == ["1080p 30 fps", "1080p 60 fps", "4k 30 fps", "4k 60 fps"]
    assert [bool(opened) for opened, _ in tables] == [False, False, False, True]  # the heaviest
    rows = re.findall(r'<tr data-strategy="([^"]+)">', section)
    document = stream_document(files)
    assert len(rows) == len(document["cells"])  # every cell, the kernel's too
    assert rows.count("kernel") == 4
    assert "scheduled" in section and "no coordinated omission" in section  # the latency rule
    assert "one period (1/fps) after it" in section  # the deadline rule
    for cell in document["cells"]:
        assert f">{cell['stats']['verdict']}<" in section


def test_the_disagreements_are_those_of_the_two_files(html: str, files: tuple[Path, Path]) -> None:
    matrix = json.loads(files[0].read_text("utf-8"))
    medians = {
        (c["strategy"], c["resolution"]): c["stats"]
        for c in matrix["cells"]
        if c["op"] == "frame" and c["status"] == "ok"
    }
    expected = set()
    for cell in stream_document(files)["cells"]:
        stats = medians.get((cell["strategy"], cell["resolution"]))
        if cell["strategy"] == "kernel" or stats is None:
            continue
        budget = 1e9 / cell["fps"]
        low, high = stats["ci_low_ns"], stats["ci_high_ns"]
        median = "pass" if high <= budget else "fail" if low > budget else "borderline"
        carried = cell["stats"]["verdict"] == "carries it"
        if median == "borderline" or (median == "pass") != carried:
            expected.add(f"{cell['strategy']} at {cell['resolution']} {cell['fps']:g} fps")
    found = set(re.findall(r"<li>(\S+ at \S+ \d+ fps): the median says", html))
    assert found == expected
    assert expected  # the models make the two disagree somewhere


def test_the_page_data_holds_each_cells_spectrum_up_to_its_maximum(
    files: tuple[Path, Path],
) -> None:
    matrix, streams = partition(list(map(str, files)))
    results = load_all(matrix)
    data = page_data.document(
        results, render.palette_of(results, tuple(streams)), files[0].parent, tuple(streams)
    )
    document = stream_document(files)
    ok = [c for c in document["cells"] if c["status"] == "ok"]
    assert len(data["streams"]["cells"]) == len(ok)
    rows = {(r["s"], r["key"], r["d"]): r for r in data["streams"]["cells"]}
    percentiles = dict(data["streams"]["spectrum"])
    for cell in ok:
        row = rows[(cell["strategy"], f"{cell['resolution']} {cell['fps']:g} fps", cell["depth"])]
        frames = sum(p["done"] for p in cell["processes"])
        assert row["sp"][-1] == pytest.approx(cell["stats"]["max_ns"], rel=1e-3)
        assert row["mx"] == pytest.approx(math.log10(frames), abs=1e-4)
        # p50 and p99 where the frames resolve them (10 frames past it), in order
        assert row["sp"][0] == pytest.approx(cell["stats"]["percentiles_ns"]["p50"], rel=1e-3)
        resolved = [q for q in percentiles if frames * (100 - float(q[1:])) / 100 >= 10]
        assert len(row["sp"]) == len(resolved) + 1
        assert row["sp"] == sorted(row["sp"])
    assert data["streams"]["headline"] == "4k 60 fps"
    assert data["card"]["stream_rates"] == [30.0, 60.0]
    specs = render.specs(data)
    assert "stream" in specs


def test_a_report_of_stream_files_alone_is_refused(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(files[1]), "-o", str(tmp_path / "x.html")]) == 2
    assert "only stream files" in capsys.readouterr().err


def test_without_a_stream_file_the_section_says_how_to_get_one(tmp_path: Path) -> None:
    path = write_results(tmp_path / "run.json", make_results(samples=8))
    out = tmp_path / "index.html"
    assert cli.main(["report", str(path), "-o", str(out)]) == 0
    assert "No stream file in the input" in out.read_text("utf-8")
