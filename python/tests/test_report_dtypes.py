"""Readers on the dtype axis: old files read as float64, compare pairs labels only,
frames in ms per frame and fps with honest 30/60 fps verdicts, sum's cost per
element and per byte in each dtype (summary and report)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from results_factory import make_results, write_results

from interop_bench import cli, ops, results_file
from interop_bench.analysis import compare_render, dtype_costs, frames
from interop_bench.analysis.compare import compare
from interop_bench.analysis.load import load
from interop_bench.analysis.summary import render as summary
from interop_bench.runner.workload import identity

P720 = ops.parse_size("720p")
P4K = ops.parse_size("4k")
DTYPE_RUN: dict[str, Any] = {
    "strategies": ["numpy", "capi", "json"],
    "ops": ["sum", "sum:uint8", "frame"],
    "sizes": [1, 1000, 10_000_000],
    "frame_sizes": [P720, P4K],
}
# numpy's modelled 4K frame takes 2.49 ms: this factor puts its median on the
# 60 fps budget (16.7 ms), so its interval straddles it. capi's 2.2 ms pass;
# json's 166 ms fail both budgets.
ON_THE_60_FPS_BUDGET = (1000 / 60) / 2.3226


def dtype_run(tmp_path: Path, name: str = "dtypes.json", **kwargs: Any) -> Path:
    slowdown = {("numpy", "frame", P4K): ON_THE_60_FPS_BUDGET}
    document = make_results(**{**DTYPE_RUN, "slowdown": slowdown, **kwargs})
    return write_results(tmp_path / name, document)


# -- the file --------------------------------------------------------------------


def test_a_file_without_dtypes_reads_as_float64(tmp_path: Path) -> None:
    """A file written before the dtype axis (no dtype, no resolution) is still valid
    and reads as float64 cells."""
    path = write_results(tmp_path / "old.json", make_results())
    raw = results_file.load(path, validate=True)
    assert all("dtype" not in cell for cell in raw["cells"])
    loaded = load(path)
    assert {c.dtype for c in (*loaded.cells, *loaded.floor_cells)} == {"float64"}
    assert all(c.resolution is None and c.width is None for c in loaded.cells)


def test_a_dtype_file_is_valid_and_names_each_cell(tmp_path: Path) -> None:
    raw = results_file.load(dtype_run(tmp_path), validate=True)
    assert raw["request"]["dtypes"] == ["float64", "uint8"]
    assert raw["request"]["resolutions"] == ["720p", "4k"]
    loaded = load(tmp_path / "dtypes.json")
    uint8 = loaded.cell_map()[("numpy", "sum:uint8", 1000)]
    assert (uint8.dtype, uint8.payload_bytes, uint8.base_op) == ("uint8", 1000, "sum")
    frame = loaded.cell_map()[("capi", "frame", P4K)]
    assert (frame.dtype, frame.resolution, frame.width, frame.height) == ("uint8", "4k", 3840, 2160)
    assert frame.size_text == "4k (3840x2160)"


def test_the_schema_refuses_a_label_that_is_not_one(tmp_path: Path) -> None:
    document = results_file.load(dtype_run(tmp_path))
    document["cells"][0]["op"] = "sum:float16"
    with pytest.raises(results_file.ResultsError):
        results_file.check(document)


# -- compare ----------------------------------------------------------------------


def with_dtype_fields(document: dict[str, Any]) -> dict[str, Any]:
    """The same file as the dtype-axis runner writes it: every cell's dtype added."""
    added = copy.deepcopy(document)
    for cell in added["cells"]:
        cell.update(identity(cell["op"], cell["size"]))
    return added


def test_compare_of_float64_files_is_unchanged_by_the_dtype_fields(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"strategies": ["numpy", "capi"], "ops": ["sum", "scale"]}
    old_doc = make_results(**kwargs, seed=1)
    new_doc = make_results(**kwargs, seed=2, slowdown={("capi", "sum", 1000): 1.4})
    renders = []
    for transform in (lambda d: d, with_dtype_fields):  # the same paths: json names them
        old = load(write_results(tmp_path / "old.json", transform(old_doc)))
        new = load(write_results(tmp_path / "new.json", transform(new_doc)))
        comparison = compare(old, new, threshold=0.10, alpha=0.01)
        renders.append(
            [compare_render.render(comparison, fmt) for fmt in ("text", "markdown", "json")]
        )
    assert renders[0] == renders[1]
    assert "capi" in renders[0][0]


def test_compare_pairs_a_label_with_the_same_label_only(tmp_path: Path) -> None:
    old = load(dtype_run(tmp_path, "old.json", seed=3))
    slower = {
        ("numpy", "frame", P4K): ON_THE_60_FPS_BUDGET,
        ("capi", "sum:uint8", 10_000_000): 1.5,
    }
    new = load(
        write_results(
            tmp_path / "new.json", make_results(**{**DTYPE_RUN, "slowdown": slower, "seed": 4})
        )
    )
    comparison = compare(old, new, threshold=0.10, alpha=0.01)
    flagged = {(c.strategy, c.op, c.size) for c in comparison.regressions}
    assert flagged == {("capi", "sum:uint8", 10_000_000)}  # not capi's float64 sum
    changes = {(c.strategy, c.op, c.size): c for c in comparison.changes}
    assert changes[("capi", "sum:uint8", 10_000_000)].ratio == pytest.approx(1.5, rel=0.1)
    assert changes[("capi", "sum", 10_000_000)].ratio == pytest.approx(1.0, rel=0.1)


# -- frames -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "low", "high", "fps", "expected"),
    [
        (10.0, 9.0, 11.0, 60, frames.PASS),
        (16.0, 15.0, 16.7, 60, frames.BORDERLINE),  # 16.7 > 16.67: the interval crosses it
        (17.0, 16.8, 18.0, 60, frames.FAIL),
        (17.0, 16.8, 18.0, 30, frames.PASS),
        (30.0, None, None, 30, frames.PASS),  # no interval: the median decides
        (34.0, None, None, 30, frames.FAIL),
    ],
)
def test_a_budget_is_met_missed_or_straddled(
    ms: float, low: float | None, high: float | None, fps: int, expected: str
) -> None:
    assert frames.verdict(ms, low, high, fps) == expected


def test_who_carries_a_4k_stream_at_60_fps(tmp_path: Path) -> None:
    loaded = load(dtype_run(tmp_path))
    assert frames.resolutions(loaded) == ["720p", "4k"]
    carried = frames.carriers(loaded, "4k", 60)
    assert carried == {"pass": ["capi"], "borderline": ["numpy"], "fail": ["json"]}
    numpy_4k = frames.by_strategy(loaded)["numpy"]["4k"]
    assert isinstance(numpy_4k, frames.FrameTime)
    assert numpy_4k.ms == pytest.approx(1000 / 60, rel=0.05)
    assert numpy_4k.fps == pytest.approx(60, rel=0.05)
    assert numpy_4k.verdicts[30] == frames.PASS


def test_summary_prints_frames_per_second_and_per_dtype_costs(tmp_path: Path) -> None:
    text = summary(load(dtype_run(tmp_path)), "text")
    assert "sum:uint8: small = 1 element (1 B)" in text
    frame_lines = {line.split()[0]: line for line in text.splitlines() if " fps)" in line}
    assert re.search(r"numpy .* \(60\.\d fps\)\s+pass\s+borderline$", frame_lines["numpy"])
    assert re.search(r"json .*fail\s+fail$", frame_lines["json"])
    assert re.search(r"kernel .*pass\s+pass$", frame_lines["kernel"])  # the core alone
    assert "30 fps = 33.3 ms, 60 fps = 16.7 ms" in text
    assert "sum per dtype at 10,000,000 elements" in text
    assert "frame: small" not in text  # frames are not ranked by GB/s


def test_sum_costs_per_element_and_per_byte_in_each_dtype(tmp_path: Path) -> None:
    loaded = load(dtype_run(tmp_path))
    assert dtype_costs.chosen_size(loaded) == 10_000_000
    by_dtype = {(c.strategy, c.dtype): c for c in dtype_costs.costs(loaded)}
    f64, u8 = by_dtype[("capi", "float64")], by_dtype[("capi", "uint8")]
    # The models are bound by bytes: an eighth of the bytes, an eighth of the time
    # per element, the same time per byte.
    assert f64.ns_per_element / u8.ns_per_element == pytest.approx(8, rel=0.1)
    assert f64.ns_per_byte == pytest.approx(u8.ns_per_byte, rel=0.1)
    assert dtype_costs.costs(load(write_results(tmp_path / "f64.json", make_results()))) == []


def test_the_report_shows_frames_budgets_and_dtypes(tmp_path: Path) -> None:
    out = tmp_path / "report" / "index.html"
    assert cli.main(["report", str(dtype_run(tmp_path)), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    frames_section = html[html.index('<section id="frames">') : html.index('<section id="dtypes">')]
    text = " ".join(re.sub(r"<[^>]+>", " ", frames_section).split())
    assert "At 4k, 60 fps: carried by capi; borderline: numpy; too slow: json." in text
    assert '<td data-sort="kernel" class="floor text" title="the kernel alone">' in frames_section
    assert "30 fps = 33.3 ms, 60 fps = 16.7 ms" in text
    assert frames_section.count('<td data-sort="borderline"') == 1
    assert '<figure data-figure="frames"' in frames_section
    assert "60 fps (16.7 ms)" in frames_section  # the budget line's label in the figure
    dtypes_section = html[html.index('<section id="dtypes">') : html.index('<section id="cells">')]
    assert "sum at 10,000,000 elements" in dtypes_section and ">uint8<" in dtypes_section
    # every label is its own table of cells, a frame's size shown as its resolution
    assert "<h3>sum:uint8</h3>" in html and "<h3>frame</h3>" in html
    assert "4k (3840x2160)" in html


def test_the_report_of_a_float64_file_says_there_are_no_frames(tmp_path: Path) -> None:
    out = tmp_path / "report" / "index.html"
    assert (
        cli.main(
            ["report", str(write_results(tmp_path / "f.json", make_results())), "-o", str(out)]
        )
        == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "No frame cells in the input" in html and "sum ran in one dtype only" in html
