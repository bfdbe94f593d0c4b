"""The web console in Debian's Chromium, driven by Playwright, against the `e2e` stack (tests/conftest.py).

Playwright never downloads a browser here: it launches the system's /usr/bin/chromium. The
console must have been built (`make console`, a dependency of `make test`). Screenshots of the
main pages land in var/screenshots/ (gitignored) as artefacts of the run."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not (ROOT / "console" / "dist" / "index.html").exists():
        pytest.fail("the console is not built: run `make console`")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver")
    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                  args=["--no-sandbox", "--disable-dev-shm-usage"])
    yield chromium
    chromium.close()
    # no pw.stop(): under nameko's eventlet monkey-patching it waits forever for the driver, which
    # ends with this process anyway (its stdin closes)


class Console:
    """One signed-in browser tab (its own context: storage and tokens are not shared)."""

    def __init__(self, e2e, context):
        self.e2e, self.context = e2e, context
        self.page = context.new_page()
        self.page.set_default_timeout(20_000)

    def open(self, hash_path: str = "") -> None:
        self.page.goto(self.e2e.url(f"/console/#{hash_path}"))

    def sign_in(self, login: str, password: str, lang: str = "en") -> None:
        self.open()
        self.page.evaluate(f"localStorage.setItem('console.lang', '{lang}')")
        self.page.reload()
        self.page.fill("#login_name", login)
        self.page.fill("#password", password)
        self.page.click("[data-testid=sign-in] button[type=submit]")

    def wait_signed_in(self) -> None:
        self.page.wait_for_selector("[data-testid=menu]")

    def menus(self) -> list[str]:
        self.wait_signed_in()
        return self.page.eval_on_selector_all("[data-menu]", "els => els.map(e => e.dataset.menu)")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def console(e2e, browser):
    """console(login, password=None) -> a Console signed in (password: the demo one)."""
    contexts = []

    def open_console(login: str | None = None, password: str | None = None, lang: str = "en") -> Console:
        from deploy import demo

        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        contexts.append(context)
        tab = Console(e2e, context)
        if login:
            tab.sign_in(login, password or demo.DEMO_PASSWORD, lang)
        return tab

    yield open_console
    for context in contexts:
        context.close()
