"""What the browser tests share: Debian's Chromium under Playwright (one headless profile per
test module), numbered screenshots in one folder, and pages that shut down the kernels they
started. A module that drives the browser calls ``need_chromium()`` first, and imports the
fixtures ``browser`` and ``shots``."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import playwright.sync_api as playwright_api   # a test dependency (pyproject.toml, environment.yml)
import pytest

expect = playwright_api.expect

CHROMIUM = os.environ.get("NN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# as root, in a closed network: no sandbox, no GPU, nothing that phones home
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SECOND = 1000                                     # Playwright counts milliseconds
PAGE_TIMEOUT = 300 * SECOND                       # a page, a kernel start, a save, a dialog
COMMAND_TIMEOUT = 600                             # seconds, for commands and kernel shutdowns


def need_chromium() -> None:
    """Skip the calling test module, with the reason, only where Chromium is not installed."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set "
                    "NN_CHROMIUM)", allow_module_level=True)


class Screenshots:
    """Numbered screenshots of each step, in one folder."""

    def __init__(self, folder: Path):
        self.folder, self.count = folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str, **options) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), **options)
        return path


@pytest.fixture(scope="module")
def shots(report_note) -> Screenshots:
    """$NN_SCREENSHOTS, else a new folder in the system's temporary directory (not pytest's,
    whose old runs are deleted when later ones start, by whoever runs them)."""
    named = os.environ.get("NN_SCREENSHOTS")
    folder = Path(named) if named else Path(tempfile.mkdtemp(prefix="nn-course-screenshots-"))
    report_note(f"browser screenshots: {folder}")
    return Screenshots(folder)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium, headless, with a new empty profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 900})
        except playwright_api.Error as error:
            # installed but broken is a failure, not a reason to skip
            pytest.fail(f"Chromium ({CHROMIUM}) does not start under Playwright: "
                        f"{str(error).splitlines()[0]}")
        context.set_default_timeout(PAGE_TIMEOUT)
        expect.set_options(timeout=PAGE_TIMEOUT)
        yield context
        context.close()


@contextlib.contextmanager
def open_page(browser, shots: Screenshots, name: str, server=None):
    """A new page, closed at the end, and then the kernels it started on ``server`` shut down
    (each test starts its notebooks afresh); if the block fails, a screenshot of it first."""
    page = browser.new_page()
    try:
        yield page
    except BaseException:
        with contextlib.suppress(Exception):
            shots.take(page, f"FAILED-{name}")
        raise
    finally:
        page.close()
        if server is not None:          # (a failure here comes after the block's own, if any)
            for session in server.get_json("/api/sessions"):
                status, text = server.request("DELETE", f"/api/sessions/{session['id']}",
                                              timeout=COMMAND_TIMEOUT)
                assert status == 204, f"could not shut down {session['path']}'s kernel: {text}"
