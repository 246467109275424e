"""What the interactive page is built from: its data, the code behind each strategy,
the figures as files. (The page in a browser: test_report_browser.py.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import REPOSITORY
from results_factory import make_results, write_results
from results_models import OPS

from interop_bench import cli
from interop_bench.analysis.load import Results, load
from interop_bench.report import decision, page_data, render, source_code

pytestmark = pytest.mark.slow

FIGURES = ("latency", "throughput", "overhead", "phases", "memory")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = tmp_path_factory.mktemp("page")
    return load(write_results(folder / "run.json", make_results(samples=20)))


def test_every_cell_and_floor_is_in_the_page_data(results: Results) -> None:
    data = page_data.document([results], render.palette_of([results]), REPOSITORY)
    assert len(data["cells"]) == len(results.cells)
    by_key = {(r["s"], r["op"], r["bytes"]): r for r in data["cells"]}
    for cell in results.cells:
        row = by_key[(cell.strategy, cell.op, cell.payload_bytes)]
        assert row["ok"] == cell.ok
        if cell.ok:
            assert row["med"] == pytest.approx(cell.median_ns, rel=1e-5)
            assert row["n"] == len(cell.process_medians_ns)
    floors = {(r["floor"], r["op"], r["bytes"]) for r in data["floors"]}
    assert floors == {(c.strategy, c.op, c.payload_bytes) for c in results.floor_cells if c.ok}
    names = [s["name"] for s in data["strategies"]]
    assert sorted(names) == results.strategies()
    assert data["families"][0] == "reference"  # numpy, the baseline, first


def test_the_page_json_cannot_close_its_script() -> None:
    text = page_data.to_script_json({"reason": "bad </script><script>alert(1)</script>"})
    assert "</" not in text
    assert json.loads(text)["reason"].startswith("bad </script>")


def test_every_figure_has_a_spec_per_layout(results: Results) -> None:
    data = page_data.document([results], render.palette_of([results]), REPOSITORY)
    specs = render.specs(data)
    sized = {"latency", "throughput", "xkernel", "memory"}
    assert set(specs) == sized | {"overhead", "phases"}  # the bars: one row per strategy
    for name, spec in specs.items():
        assert {p["name"] for p in spec["combined"]["params"]} == {"op", "hidden", "hl"}
        if name in sized:
            assert len(spec["split"]["concat"]) == len(data["families"])


# -- the code behind each strategy ---------------------------------------------
def git(tree: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A repository whose adapter changed after the commit the results name."""
    root = tmp_path / "tree"
    (root / "strategies").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "strategies" / "mine.cpp").write_text("int measured() { return 1; }\n")
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    (root / "strategies" / "mine.cpp").write_text("int changed_later() { return 2; }\n")
    return root


def results_naming(tmp_path: Path, commit: str, sources: list[str]) -> Results:
    document = make_results(strategies=["capi"], samples=10)
    document["environment"]["git"] = {"commit": commit, "dirty": False}
    document["strategies"]["capi"]["sources"] = sources
    return load(write_results(tmp_path / "named.json", document))


def test_code_comes_from_the_commit_the_results_were_measured_at(
    tmp_path: Path, tree: Path
) -> None:
    results = results_naming(tmp_path, git(tree, "rev-parse", "HEAD"), ["strategies/mine.cpp"])
    code = source_code.collect(results, tree)
    shown = code.files["strategies/mine.cpp"]
    assert "measured" in shown.html and "changed_later" not in shown.html
    assert shown.origin.startswith("commit ")
    assert "the one the results were measured at" in code.note


def test_code_of_an_unknown_commit_comes_from_the_working_tree_and_says_so(
    tmp_path: Path, tree: Path
) -> None:
    results = results_naming(tmp_path, "0" * 40, ["strategies/mine.cpp", "strategies/gone.cpp"])
    code = source_code.collect(results, tree)
    assert "changed_later" in code.files["strategies/mine.cpp"].html
    assert "does not have" in code.note
    missing = code.files["strategies/gone.cpp"]
    assert missing.html == "" and missing.origin.startswith("not found")


def test_code_is_escaped_html(tmp_path: Path, tree: Path) -> None:
    (tree / "strategies" / "tags.cpp").write_text('const char* s = "</pre><script>x</script>";\n')
    results = results_naming(tmp_path, "", ["strategies/tags.cpp"])
    html = source_code.collect(results, tree).files["strategies/tags.cpp"].html
    assert "<script>" not in html and "&lt;/pre&gt;" in html


def test_a_real_run_records_the_files_behind_each_strategy(real_run: Path) -> None:
    info = json.loads(real_run.read_text("utf-8"))["strategies"]
    assert info["capi"]["sources"][0] == "python/interop_bench/strategies/capi.py"
    assert "strategies/capi/ib_capi.cpp" in info["capi"]["sources"]
    for name in ("numpy", "capi", "json", "shm"):
        assert all((REPOSITORY / path).is_file() for path in info[name]["sources"]), name


# -- interop-bench plot ----------------------------------------------------------
def test_plot_writes_every_figure_as_svg_and_png(tmp_path: Path, results: Results) -> None:
    svg_dir, png_dir = tmp_path / "svg", tmp_path / "png"
    assert cli.main(["plot", str(results.path), "-o", str(svg_dir), "--format", "svg"]) == 0
    assert cli.main(["plot", str(results.path), "-o", str(png_dir), "--scale", "1"]) == 0
    for figure in FIGURES:
        svg = (svg_dir / f"{figure}.svg").read_text("utf-8")
        assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"'), figure
        assert (png_dir / f"{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", figure
    assert not list(tmp_path.rglob("*.partial"))


def test_plot_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plot", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err
    assert cli.main(["plot", str(tmp_path / "missing.json"), "--scale", "0"]) == 2
    assert "--scale must be positive" in capsys.readouterr().err


def test_the_releases_behind_each_strategy_are_shown(tmp_path: Path) -> None:
    document = make_results(strategies=["capi", "numpy"], samples=10)
    document["environment"]["versions"] = {"numpy": "9.9.1"}
    document["environment"]["python"] = "3.99.0"
    document["strategies"]["capi"]["packages"] = ["python", "numpy", "absent"]
    results = load(write_results(tmp_path / "releases.json", document))
    data = page_data.document([results], render.palette_of([results]), REPOSITORY)
    releases = {s["name"]: s["releases"] for s in data["strategies"]}
    assert releases == {"capi": "python 3.99.0, numpy 9.9.1, absent ?", "numpy": ""}


# -- the decision card's facts and the default view ------------------------------
def placed(tmp_path: Path, strategies: tuple[str, ...]) -> Results:
    document = make_results(strategies=strategies, samples=10, sizes=(1, 1000, 100_000))
    return load(write_results(tmp_path / "placed.json", document))


def test_the_default_view_is_each_familys_best_ctypes_and_numpy(tmp_path: Path) -> None:
    results = placed(tmp_path, ("numpy", "capi", "pybind11", "ctypes", "json", "shm", "pipe"))
    data = page_data.document([results], render.palette_of([results]), REPOSITORY)
    # capi beats pybind11 at every size; shm's bandwidth beats pipe's overhead at 800 KB
    # only, but pipe is 5x slower there and shm 2.5x at 8 B: shm is the better overall.
    assert data["default_view"] == ["capi", "ctypes", "json", "numpy", "shm"]


def test_a_skipped_cell_counts_as_its_familys_slowest(tmp_path: Path) -> None:
    """pybind11, faster than capi at 1,000 elements and skipped at one, would be
    the best on its one size alone; counted as ctypes's time (the slowest) at one
    element, it is not."""
    document = make_results(
        strategies=("capi", "pybind11", "ctypes"),
        samples=10,
        sizes=(1, 1000),
        status={("pybind11", op, 1): ("skipped", "over the budget") for op in OPS},
        slowdown={("capi", op, 1000): 1.5 for op in OPS},
    )
    results = load(write_results(tmp_path / "skipped.json", document))
    families = dict.fromkeys(("capi", "pybind11", "ctypes"), "ffi")
    assert decision.default_view([results], families) == ["capi", "ctypes"]


def test_the_card_starts_from_the_most_common_case(tmp_path: Path) -> None:
    results = placed(tmp_path, ("numpy", "capi", "ctypes", "shm"))
    card = page_data.document([results], render.palette_of([results]), REPOSITORY)["card"]
    cells = {p["name"]: p["cells"] for p in card["placements"]}
    assert cells == {"same process": 24, "another process": 12, "another host": 0}
    # the first label of a tie, the place with the most cells, the middle payload
    assert card["start"] == {"label": "sum", "placement": "same process", "bytes": 8000}
    assert card["overhead_decides_ratio"] == decision.OVERHEAD_DECIDES_RATIO
