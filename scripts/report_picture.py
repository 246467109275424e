"""Write docs/report.png, the README's picture: a report opened in chromium (through
Playwright), one strategy highlighted and the ranking at a chosen size.

    .venv/bin/python scripts/report_picture.py reports/index.html docs/report.png \
        [--highlight capi] [--size "1 MB"]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("picture", type=Path)
    parser.add_argument("--highlight", default="capi", help="the strategy to highlight")
    parser.add_argument("--size", default="1 MB", help="the payload of the ranking")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not args.report.is_file():
        print("needs chromium and an existing report", file=sys.stderr)
        return 2
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1700})
        page.goto(args.report.resolve().as_uri())
        page.wait_for_selector("body[data-figures-ready=true]", state="attached")
        page.fill("#ib-size", args.size)
        page.dispatch_event("#ib-size", "change")
        before = page.evaluate("document.body.dataset.applied || ''")
        page.click(f"#ib-strategies .strategy[data-strategy='{args.highlight}'] button.name")
        # every figure has redrawn with the highlight
        page.wait_for_function(f"document.body.dataset.applied !== {before!r}")
        page.evaluate("document.getElementById('at-my-size').scrollIntoView()")
        page.screenshot(path=str(args.picture))
        browser.close()
    print(f"picture written to {args.picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
