"""The app in a real browser: load, step, change the scenario, play, compare; charts change.

Drives the system's Chromium (Debian's `chromium`, /usr/bin/chromium) with Playwright; .ci/run
installs it. Without Chromium, Playwright or Solara the test skips with the reason, except in
CI (CI=true), where it fails. ~60 s on 2 busy cores (starting the server is most of it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW = 120_000  # ms: the machine is shared; a loaded server can take this long to start


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser test: see .ci/run and the Makefile)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    if not CHROMIUM.exists():
        _missing("no Chromium at /usr/bin/chromium: apt-get install chromium")
    for module in ("playwright", "solara"):
        try:
            __import__(module)
        except ImportError:
            _missing(f"{module} is not installed: pip install -e '.[test,viz]'")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sim", "app", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, ended below by its id
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SLOW / 1000
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start: {server.stderr.read()}") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _charts(page) -> list[str]:
    """The charts' pictures, read in one step in the page: an element screenshot fails when a
    chart is redrawn between finding it and taking it (seen on a busy machine)."""
    return page.locator("img").evaluate_all("images => images.map(image => image.src)")


def _choose(page, select_label: re.Pattern[str], item: str) -> None:
    page.locator(".v-select").filter(has_text=select_label).click()
    page.locator(".v-menu__content.menuable__content__active .v-list-item", has_text=item).click()


def test_app_loads_steps_plays_changes_scenario_and_compares(app_url):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=SLOW)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.set_default_timeout(SLOW)
            page.goto(app_url)
            status = page.locator(".sim-status")
            expect(status).to_contain_text("Month 0 of 120")
            expect(status).to_contain_text("1,000 runs, scenario baseline, seed 20221028")
            expect(page.locator("img")).to_have_count(2)  # Mesa's two plot components
            start = _charts(page)

            for month in (1, 2, 3):
                page.get_by_role("button", name="Step").click()
                expect(status).to_contain_text(f"Month {month} of 120")
            stepped = _charts(page)
            assert all(a != b for a, b in zip(start, stepped, strict=True)), "charts did not change"

            _choose(page, re.compile("^Scenario"), "war_favorable_russia")
            expect(status).to_contain_text("Month 0 of 120")
            expect(status).to_contain_text("scenario war_favorable_russia")
            expect(page.locator(".v-select").filter(has_text="war.outcome")).to_contain_text(
                "favorable"
            )

            page.get_by_role("button", name="▶").click()
            expect(status).not_to_contain_text("Month 0 of 120")
            with contextlib.suppress(PlaywrightTimeout):  # it may have reached the horizon
                page.get_by_role("button", name="❚❚").click(timeout=2_000)
            expect(page.get_by_role("button", name="▶")).to_be_visible()
            played = _charts(page)
            assert all(a != b for a, b in zip(start, played, strict=True))

            _choose(page, re.compile("^compare with"), "baseline")
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("same seeds")).to_be_visible()
            expect(status).to_contain_text("scenario war_favorable_russia")  # kept by Reset
            for month in (1, 2):
                page.get_by_role("button", name="Step").click()
                expect(status).to_contain_text(f"Month {month} of 120")
            expect(page.get_by_text("rung >= 3", exact=True)).to_be_visible()  # the comparison
            expect(page.get_by_text("Run shown")).to_be_visible()  # the event feed
            expect(page.locator("table").last).to_contain_text("Kazakhstan")
            if os.environ.get("APP_SCREENSHOT"):  # make app-screenshot: the figure in docs/app.md
                page.screenshot(path=os.environ["APP_SCREENSHOT"])
        finally:
            browser.close()
