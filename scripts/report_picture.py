"""Write docs/report.png, the README's picture: the first screen of a report opened
in chromium (through Playwright) at 1400 px, the decision card asked about one
situation.

    .venv/bin/python scripts/report_picture.py reports/index.html docs/report.png \
        [--place "another process"] [--size "8 MB"] [--op sum]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

WIDTH, HEIGHT = 1400, 1000  # the window; the card and the verdict's start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("picture", type=Path)
    parser.add_argument("--place", default="another process", help="where the C++ side runs")
    parser.add_argument("--size", default="8 MB", help="the payload the card is asked about")
    parser.add_argument("--op", default="sum", help="the op the card is asked about")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not args.report.is_file():
        print("needs chromium and an existing report", file=sys.stderr)
        return 2
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(args.report.resolve().as_uri())
        page.wait_for_selector("body[data-figures-ready=true]", state="attached")
        page.check(f"input[name=ib-where][value='{args.place}']")
        page.select_option("#ib-card-op", args.op)
        page.fill("#ib-card-size", args.size)
        page.dispatch_event("#ib-card-size", "change")
        page.screenshot(path=str(args.picture))
        browser.close()
    print(f"picture written to {args.picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
