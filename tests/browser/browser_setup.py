"""What every browser test needs: Debian's Chromium driven by Playwright (or a skip that says
what to install), a page whose console errors and requests to other hosts are recorded, a
login, and screenshots.

Screenshots go to ``test-artifacts/`` (ignored by git). The pictures in docs/screenshots are
refreshed on purpose, not by every test run: ``REGISTRY_SCREENSHOTS=docs/screenshots pytest tests/browser``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("REGISTRY_SCREENSHOTS") or ROOT / "test-artifacts")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

NEEDS_CHROMIUM = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's tests (each test opens its own context)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Watched:
    """A browser page whose console errors and requests to other hosts are recorded."""

    def __init__(self, page):
        # errors: the console's (a failed request included) and the scripts'; script_errors: the scripts' alone
        self.page, self.errors, self.script_errors, self.outside = page, [], [], []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", self._script_error)
        page.context.route("**/*", self._only_loopback)

    def _script_error(self, error) -> None:
        self.errors.append(str(error))
        self.script_errors.append(str(error))

    def _only_loopback(self, route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def shot(self, name: str, *, full_page: bool = False) -> None:
        shot(self.page, name, full_page=full_page)

    def assert_clean(self):
        assert not self.outside, f"requests left 127.0.0.1: {self.outside}"
        assert not self.errors, f"console errors: {self.errors}"


def watched_page(browser, **context_options):
    """A new context's page, watched; ``context_options`` as Playwright's ``new_context``."""
    options = {"viewport": {"width": 1200, "height": 900}, **context_options}
    return Watched(browser.new_context(**options).new_page())


def log_in(watched: Watched, base: str, user: str, password: str) -> None:
    """Open the internal face at ``base``, which asks for a login first, and log in."""
    page = watched.page
    page.goto(base + "/")
    assert page.url.endswith("/-/login"), "the internal face must ask for a login first"
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")
    page.wait_for_url(base + "/")


def shot(page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
