"""Headless chromium through Playwright for the report's browser tests: the
browser, and a page of a report opened from file:// that may ask for nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The marks of a test module that drives chromium: skipped without it, and in
# the fast subset (`-m "not slow"`).
browser_marks = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (`make deps` installs it)"
    ),
    pytest.mark.browser,
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_report(browser: Any, report: Path, width: int) -> tuple[Any, Any]:
    """(context, page) of `report` once its figures are drawn; every request
    outside the file is refused and recorded in page.requests, script errors in
    page.errors."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    opened = context.new_page()
    requests: list[str] = []
    errors: list[str] = []

    def refuse(route: Any) -> None:
        if route.request.url == report.as_uri():
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    context.route("**/*", refuse)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(report.as_uri())
    opened.wait_for_selector("body[data-figures-ready=true]", state="attached", timeout=30_000)
    opened.requests, opened.errors = requests, errors
    return context, opened
