"""The report's first screen and its table in a real browser: the decision card
answers as the results file says (computed here without the report's code),
the figures open on the default view, and the table of every cell is searched,
filtered and sorted; on a synthetic file with strategies in every place. For
frames at a rate a stream file measured, the card answers from the stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_browser import browser, browser_marks, open_report
from report_expect import at_payload, ranked
from results_factory import make_results, write_results
from stream_factory import make_stream, write_stream

from interop_bench import cli, ops

pytestmark = browser_marks
__all__ = ["browser"]

STRATEGIES = ("numpy", "capi", "pybind11", "ctypes", "json", "shm", "pipe", "tcp", "grpc")
SIZES = (1, 1000, 100_000, 1_000_000, 10_000_000)  # 8 B .. 80 MB of float64
PLACES = {
    "same process": {"ffi", "serialization"},
    "another process": {"ipc"},
    "another host": {"network"},
}
MISCALIBRATED = ("pipe", "sum", 1000)
WIDTH = 1400  # the window
FIRST_SCREEN_PX = 900


@pytest.fixture(scope="module")
def results_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = make_results(
        strategies=STRATEGIES,
        ops=("sum", "scale"),
        sizes=SIZES,
        samples=12,
        status={MISCALIBRATED: ("miscalibrated", "samples broke the sampling rule")},
    )
    document["link"] = {"description": "loopback: each network strategy ran its own peer"}
    return write_results(tmp_path_factory.mktemp("card") / "run.json", document)


@pytest.fixture(scope="module")
def results(results_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(results_path.read_text("utf-8"))
    return document


@pytest.fixture(scope="module")
def report(results_path: Path) -> Path:
    out = results_path.parent / "index.html"
    assert cli.main(["report", str(results_path), "-o", str(out)]) == 0
    return out


@pytest.fixture
def page(browser: Any, report: Path) -> Iterator[Any]:
    context, opened = open_report(browser, report, WIDTH)
    yield opened
    assert opened.errors == [] and opened.requests == []
    context.close()


def ask(
    page: Any,
    place: str,
    payload: str,
    op: str = "sum",
    *,
    dtype: str = "float64",
    rate: str | None = None,
) -> dict[str, str]:
    """Set the card's situation (with a frame rate for a stream); its answer's data attributes."""
    page.check(f"input[name=ib-where][value='{place}']")
    page.select_option("#ib-card-op", op)
    page.select_option("#ib-card-dtype", dtype)
    if rate is not None:
        page.select_option("#ib-card-rate", rate)
    page.fill("#ib-card-size", payload)
    page.dispatch_event("#ib-card-size", "change")
    found: dict[str, str] = page.eval_on_selector("#ib-card-answer", "box => ({...box.dataset})")
    return found


@pytest.mark.parametrize(
    ("place", "payload", "payload_bytes"),
    [
        ("same process", "1 KB", 1e3),
        ("another process", "8 MB", 8e6),
        ("another host", "8 MB", 8e6),
    ],
)
def test_the_card_answers_as_the_results_say(
    page: Any, results: dict[str, Any], place: str, payload: str, payload_bytes: float
) -> None:
    answer = ask(page, place, payload)
    expected = ranked(results, "sum", payload_bytes, PLACES[place])
    assert answer["strategy"] == expected[0][0]
    assert float(answer["ns"]) == pytest.approx(expected[0][1], rel=1e-4)
    assert answer["next"].split(",") == [name for name, _ in expected[1:3]]
    assert page.inner_text("#ib-card-answer .headline strong") == expected[0][0]
    text = page.inner_text("#ib-card-answer")
    assert "Why:" in text
    best = [c for c in results["cells"] if c["strategy"] == expected[0][0] and c["op"] == "sum"]
    versus_kernel = at_payload(best, payload_bytes, "kernel_ratio")
    # the ratio to the kernel and what decides, where the file pairs the kernel alone
    assert ("the kernel alone" in text) == (versus_kernel is not None)
    assert ("loopback" in text) == (place == "another host")  # the link it crossed


def test_changing_the_situation_changes_the_answer_where_the_data_does(
    page: Any, results: dict[str, Any]
) -> None:
    flipped = 0
    for place, families in PLACES.items():
        small = ask(page, place, "8 B")["strategy"]
        large = ask(page, place, "80 MB")["strategy"]
        expected = [ranked(results, "sum", p, families)[0][0] for p in (8, 8e7)]
        assert [small, large] == expected, place
        flipped += small != large
    assert flipped  # the models make at least one place's answer depend on the size
    scale = ask(page, "another process", "8 MB", op="scale")
    assert scale["label"] == "scale"
    assert scale["strategy"] == ranked(results, "scale", 8e6, PLACES["another process"])[0][0]


def test_the_card_opens_on_the_most_common_case_in_the_first_screen(page: Any) -> None:
    box = page.locator("#answer").bounding_box()
    assert box is not None and box["y"] + box["height"] <= FIRST_SCREEN_PX
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # no sideways scroll
    answer = page.eval_on_selector("#ib-card-answer", "box => ({...box.dataset})")
    assert answer["placement"] == "same process"  # the place with the most cells
    assert answer["strategy"]


def test_a_miscalibrated_cell_is_shown_never_ranked(page: Any) -> None:
    answer = ask(page, "another process", "8 KB")
    assert answer["strategy"] == "shm"
    assert "pipe (miscalibrated: samples broke" in page.text_content("#ib-card-answer details")
    statuses = page.eval_on_selector_all("#ib-cell-status option", "os => os.map(o => o.value)")
    assert statuses == ["", "miscalibrated", "ok"]
    page.click("#ib-cells-details summary")
    page.select_option("#ib-cell-status", "miscalibrated")
    rows = page.eval_on_selector_all("#ib-cells tbody tr", "rs => rs.map(r => r.innerText)")
    assert len(rows) == 1 and "samples broke the sampling rule" in rows[0]


def test_the_table_finds_a_cell_by_typing_and_sorts_by_median(
    page: Any, results: dict[str, Any]
) -> None:
    page.click("#ib-cells-details summary")
    page.fill("#ib-cell-search", "shm 1e6 scale")
    keys = page.eval_on_selector_all("#ib-cells tbody tr", "rs => rs.map(r => r.dataset.key)")
    assert keys == ["shm scale 1000000"]
    page.fill("#ib-cell-search", "sum")
    page.click("#ib-cells th:has-text('median')")
    medians = page.eval_on_selector_all("#ib-cells tbody tr", "rs => rs.map(r => r.dataset.key)")
    by_key = {
        f"{c['strategy']} {c['op']} {c['size']}": c["stats"]["median_ns"]
        for c in results["cells"]
        if c["status"] == "ok"
    }
    ok = [by_key[k] for k in medians if k in by_key]
    assert ok == sorted(ok) and len(ok) == sum(
        1
        for c in results["cells"]
        if c["op"] == "sum" and c["status"] == "ok" and c["strategy"] in STRATEGIES
    )
    first = next(
        c for c in results["cells"] if f"{c['strategy']} {c['op']} {c['size']}" == medians[0]
    )
    counts = [p["calls_per_sample"] for p in first["processes"]]
    dash = "\N{EN DASH}"
    shown = (
        str(min(counts)) if min(counts) == max(counts) else f"{min(counts)} {dash} {max(counts)}"
    )
    assert shown in page.inner_text("#ib-cells tbody tr:first-child")  # calls per sample


def test_the_figures_open_on_the_default_view(page: Any, results: dict[str, Any]) -> None:
    drawn = set(
        page.eval_on_selector_all(
            "#vl-latency path[aria-roledescription=point]",
            "ns => ns.map(n => n.getAttribute('aria-label').split(' ')[0])",
        )
    )
    families = {n: i["family"] for n, i in results["strategies"].items() if i["family"] != "floor"}
    assert "numpy" in drawn and "ctypes" in drawn
    assert {families[n] for n in drawn} == set(families.values())  # one of each family or more
    assert len(drawn) < len(families)
    assert "Default view" in page.inner_text("#ib-view")
    before = page.evaluate("document.body.dataset.applied || ''")
    page.click("#ib-show-all")
    page.wait_for_function(f"document.body.dataset.applied !== {before!r}")
    every = page.eval_on_selector_all(
        "#vl-latency path[aria-roledescription=point]",
        "ns => ns.map(n => n.getAttribute('aria-label').split(' ')[0])",
    )
    assert set(every) == set(families)


@pytest.fixture(scope="module")
def two_files(results_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The file above as "old" and a "new" one whose shm is ten times slower."""
    folder = results_path.parent / "two"
    folder.mkdir()
    slower = {("shm", "sum", size): 10.0 for size in SIZES}
    documents = [
        make_results(
            strategies=STRATEGIES,
            ops=("sum",),
            sizes=SIZES,
            samples=12,
            seed=seed,
            slowdown=slowdown,
        )
        for seed, slowdown in ((0, {}), (1, slower))
    ]
    paths = [
        write_results(folder / f"{n}.json", d)
        for n, d in zip(("old", "new"), documents, strict=True)
    ]
    out = folder / "index.html"
    assert cli.main(["report", *map(str, paths), "-o", str(out)]) == 0
    return out, documents


def test_several_files_answer_and_rank_each_from_its_own_data(
    browser: Any, two_files: tuple[Path, list[dict[str, Any]]]
) -> None:
    report, documents = two_files
    context, page = open_report(browser, report, WIDTH)
    try:
        answers = []
        for index, name in enumerate(("old", "new")):
            page.select_option("#ib-card-file", str(index))
            answer = ask(page, "another process", "8 MB")
            expected = ranked(documents[index], "sum", 8e6, PLACES["another process"])
            assert answer["strategy"] == expected[0][0], name
            assert f"from {name}" in page.inner_text("#ib-card-answer .situation")
            answers.append(answer["strategy"])
        assert answers == ["shm", "pipe"]  # the new file's shm is ten times slower
        page.click("#ib-show-all")
        page.select_option("#ib-rank-op", "sum")
        page.fill("#ib-size", "8 MB")
        page.dispatch_event("#ib-size", "change")
        page.check("#ib-rank-side")
        for index, name in enumerate(("old", "new")):
            shown = page.eval_on_selector_all(
                f"#ib-rank-files table[data-file={name}] tr[data-strategy]",
                "rows => rows.map(r => r.dataset.strategy)",
            )
            assert shown == [s for s, _ in ranked(documents[index], "sum", 8e6)], name
    finally:
        context.close()


@pytest.fixture(scope="module")
def placed_report(results_path: Path, results: dict[str, Any]) -> Path:
    """The file above with a placed row: shm@same-core at 8 B, an eighth of shm's time."""
    document = json.loads(json.dumps(results))
    [plain] = [c for c in document["cells"] if (c["strategy"], c["op"], c["size"]) == PLAIN_SHM]
    row = json.loads(json.dumps(plain)) | {"strategy": "shm@same-core"}
    for name in ("median_ns", "ci_low_ns", "ci_high_ns"):
        row["stats"][name] /= 8
    document["cells"].append(row)
    pinned = {"name": "same-core", "caller_cpus": [0], "worker_cpus": [0]}
    facts = document["strategies"]["shm"] | {"row_of": "shm", "placement": pinned}
    document["strategies"]["shm@same-core"] = facts
    path = write_results(results_path.parent / "placed.json", document)
    out = results_path.parent / "placed.html"
    assert cli.main(["report", str(path), "-o", str(out)]) == 0
    return out


PLAIN_SHM = ("shm", "sum", 1)


def test_a_placed_row_answers_with_the_pinning_it_needs_and_the_unpinned_time(
    browser: Any, placed_report: Path
) -> None:
    context, page = open_report(browser, placed_report, WIDTH)
    try:
        answer = ask(page, "another process", "8 B")
        assert answer["strategy"] == "shm@same-core"
        text = page.inner_text("#ib-card-answer")
        assert "shm@same-core is shm with the caller pinned to CPU 0 and its worker to CPU 0" in (
            text
        )
        assert "Unpinned, shm took 8.00\u00d7 the time here." in text
        assert "pinned" not in ask(page, "another process", "8 MB")["strategy"]
        assert "with the caller pinned" not in page.inner_text("#ib-card-answer")
    finally:
        context.close()


def test_without_script_the_verdict_leads_and_every_cell_is_there(
    browser: Any, report: Path, results: dict[str, Any]
) -> None:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 1000}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        assert not page.locator("#answer").is_visible()  # the card needs the page's script
        assert page.locator("#verdict").bounding_box()["y"] < FIRST_SCREEN_PX
        assert page.locator("figure[data-figure=latency]").is_visible()
        page.click(".static-cells summary")
        rows = page.locator(".static-cells tbody tr").count()
        assert rows == len(results["cells"])  # every cell, the floors too
    finally:
        context.close()


@pytest.fixture(scope="module")
def stream_report(results_path: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """A report of a results file with frames and a stream file of the same frames."""
    folder = results_path.parent / "stream"
    folder.mkdir()
    matrix = make_results(
        strategies=STRATEGIES,
        ops=("sum", "frame"),
        sizes=SIZES[:3],
        frame_sizes=[frame_bytes(r) for r in FRAME_RESOLUTIONS],
        samples=12,
    )
    stream = make_stream(strategies=STRATEGIES[1:], resolutions=FRAME_RESOLUTIONS)
    paths = [write_results(folder / "run.json", matrix), write_stream(folder / "s.json", stream)]
    out = folder / "index.html"
    assert cli.main(["report", *map(str, paths), "-o", str(out)]) == 0
    return out, matrix, stream


FRAME_RESOLUTIONS = ("1080p", "4k")


def frame_bytes(resolution: str) -> int:
    height, width = ops.RESOLUTIONS[resolution]
    return height * width * ops.CHANNELS


def stream_ranked(
    matrix: dict[str, Any], stream: dict[str, Any], resolution: str, fps: float, place: str
) -> list[dict[str, Any]]:
    """The documented rule, from the stream file: the place's ok cells at that
    resolution and rate, each strategy's best depth; carries it first, then
    misses, then cannot keep up; then the missed share, then p99."""
    family = {name: info["family"] for name, info in matrix["strategies"].items()}

    def order(cell: dict[str, Any]) -> tuple[int, float, float]:
        verdict = cell["stats"]["verdict"]
        kind = 0 if verdict == "carries it" else 2 if verdict == "cannot keep up" else 1
        return kind, cell["stats"]["missed_share"], cell["stats"]["percentiles_ns"]["p99"]

    wanted = [
        cell
        for cell in stream["cells"]
        if cell["status"] == "ok"
        and cell["resolution"] == resolution
        and cell["fps"] == fps
        and family.get(cell["strategy"]) in PLACES[place]
    ]
    best: dict[str, dict[str, Any]] = {}
    for cell in sorted(wanted, key=order):
        best.setdefault(cell["strategy"], cell)
    return sorted(best.values(), key=lambda c: (order(c), c["strategy"]))


@pytest.fixture
def stream_page(
    browser: Any, stream_report: tuple[Path, dict[str, Any], dict[str, Any]]
) -> Iterator[Any]:
    context, opened = open_report(browser, stream_report[0], WIDTH)
    yield opened
    assert opened.errors == [] and opened.requests == []
    context.close()


def ask_frame(page: Any, place: str, resolution: str, fps: float) -> dict[str, str]:
    payload = f"{frame_bytes(resolution) / 1e6:.2f} MB"
    return ask(page, place, payload, op="frame", dtype="uint8", rate=f"{fps:g}")


@pytest.mark.parametrize(
    ("place", "resolution", "fps"),
    [
        ("same process", "4k", 60.0),
        ("another process", "4k", 60.0),
        ("another host", "1080p", 30.0),
    ],
)
def test_for_frames_the_card_answers_from_the_stream(
    stream_page: Any,
    stream_report: tuple[Path, dict[str, Any], dict[str, Any]],
    place: str,
    resolution: str,
    fps: float,
) -> None:
    _, matrix, stream = stream_report
    answer = ask_frame(stream_page, place, resolution, fps)
    expected = stream_ranked(matrix, stream, resolution, fps, place)
    assert answer["basis"] == "stream"
    assert answer["strategy"] == expected[0]["strategy"]
    assert answer["verdict"] == expected[0]["stats"]["verdict"]
    assert float(answer["ns"]) == pytest.approx(
        expected[0]["stats"]["percentiles_ns"]["p99"], rel=1e-5
    )  # the page carries six significant digits
    assert answer["next"].split(",") == [c["strategy"] for c in expected[1:3]]
    text = stream_page.inner_text("#ib-card-answer")
    assert "decided by the stream" in text and expected[0]["stats"]["verdict"] in text
    # a sum is still answered from the isolated calls
    assert "basis" not in ask(stream_page, place, "8 KB")


def test_the_streams_rate_changes_the_answer_where_the_data_does(
    stream_page: Any, stream_report: tuple[Path, dict[str, Any], dict[str, Any]]
) -> None:
    _, matrix, stream = stream_report
    verdicts = [
        ask_frame(stream_page, "another host", "4k", fps)["verdict"] for fps in (30.0, 60.0)
    ]
    expected = [
        stream_ranked(matrix, stream, "4k", fps, "another host")[0]["stats"]["verdict"]
        for fps in (30.0, 60.0)
    ]
    assert verdicts == expected
    assert verdicts[0] != verdicts[1]  # the models carry 4k at 30 fps over tcp, not at 60


def test_the_stream_figure_opens_on_the_default_view_beside_the_floor(
    stream_page: Any, stream_report: tuple[Path, dict[str, Any], dict[str, Any]]
) -> None:
    page, stream = stream_page, stream_report[2]

    def drawn() -> set[str]:
        labels = page.eval_on_selector_all(
            "#vl-stream path[aria-roledescription=point]",
            "ns => ns.map(n => n.getAttribute('aria-label').split(' ')[0])",
        )
        return set(labels)

    data = page.evaluate("JSON.parse(document.getElementById('ib-data').textContent)")
    streamed = {c["strategy"] for c in stream["cells"]}
    assert drawn() == (set(data["default_view"]) & streamed) | {"kernel"}
    before = page.evaluate("document.body.dataset.applied || ''")
    page.click("#ib-show-all")
    page.wait_for_function(f"document.body.dataset.applied !== {before!r}")
    assert drawn() == streamed
