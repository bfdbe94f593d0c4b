"""The web console in Debian's Chromium, driven by Playwright, against the `e2e` stack (tests/conftest.py).

Playwright never downloads a browser here: it launches the system's /usr/bin/chromium. The
console must have been built (`make console`, a dependency of `make test`). Screenshots of the
main pages land in var/screenshots/ (gitignored) as artefacts of the run."""
from __future__ import annotations

import os
import shutil
import sys
import time
from collections import deque
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
        # the API calls of this tab, for the failure record: the last answers and those in flight
        self.answered: deque[str] = deque(maxlen=12)
        self.in_flight: dict[object, str] = {}
        self.page.on("request", self._asked)
        self.page.on("response", self._answered)
        self.page.on("requestfailed", self._answered)

    def _asked(self, request) -> None:
        if "/api/" in request.url:
            self.in_flight[request] = f"{time.strftime('%H:%M:%S')} {request.method} {request.url.split('/api/', 1)[1]}"

    def _answered(self, event) -> None:
        request = getattr(event, "request", event)
        asked = self.in_flight.pop(request, None)
        if asked:
            outcome = getattr(event, "status", None) or f"failed: {request.failure}"
            self.answered.append(f"{asked} -> {outcome} at {time.strftime('%H:%M:%S')}")

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

    def choose(self, select: str, option: str, search: bool = False) -> None:
        """Pick `option` in the antd Select or TreeSelect inside `select` (a CSS selector), and wait until
        the select shows it. Its list is rendered at the end of the page and is virtual (a long list
        shows only some options: a searchable one is narrowed by typing first). A click that lands
        while the list is still sliding open can miss the option's label: the pick is tried again."""
        page = self.page
        options = (".ant-select-dropdown:visible "
                   ":is(.ant-select-item-option, .ant-select-tree-node-content-wrapper)")
        shown = page.locator(f"{select} .ant-select-selection-item:has-text({option!r})").first
        for attempt in range(3):
            page.click(f"{select} .ant-select-selector")
            if search:
                page.keyboard.type(option)
            page.click(f"{options}:has-text({option!r})")
            try:
                shown.wait_for(timeout=3_000)
                return
            except Exception:
                if attempt == 2:
                    raise
                page.keyboard.press("Escape")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_call_failed = report.failed


def _record_failure(name: str, tabs: list[Console]) -> None:
    """A failed browser test leaves a screenshot of each of its tabs and prints what they show (the
    open dialogs, alerts and messages) and their last API calls: in CI the printed text is the only
    artefact one sees."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, tab in enumerate(tabs):
        try:
            tab.page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}-{n}.png"), full_page=True)
            shown = tab.page.eval_on_selector_all(
                ".ant-modal-wrap, .ant-alert, .ant-message, .ant-form-item-explain, .ant-select-dropdown",
                "els => els.filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed')"
                ".map(e => e.className.split(' ')[0] + ': ' + e.innerText.slice(0, 400))")
            now = time.strftime("%H:%M:%S")
            lines = [*(f"  {line}" for line in shown), *(f"  api {call}" for call in tab.answered),
                     *(f"  api {call} -> still waiting at {now}" for call in tab.in_flight.values())]
            sys.stdout.write(f"[browser tab {n}] {tab.page.url}\n" + "".join(f"{line}\n" for line in lines))
        except Exception as exc:  # the tab may be gone; the failure itself is what matters
            sys.stdout.write(f"[browser tab {n}] could not be recorded: {exc}\n")


@pytest.fixture
def console(e2e, browser, request):
    """console(login, password=None) -> a Console signed in (password: the demo one)."""
    tabs: list[Console] = []

    def open_console(login: str | None = None, password: str | None = None, lang: str = "en",
                     motion: bool = False) -> Console:
        """The browser asks for reduced motion unless ``motion``: the console then opens and closes
        dialogs and lists at once, so no click lands on a button still zooming in (a missed click
        looked like a dialog that ignored its OK on a loaded machine). The sign-in tests keep the
        motion, the default theme and its styles extracted at build time."""
        from deploy import demo

        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai",
                                      reduced_motion="no-preference" if motion else "reduce")
        tab = Console(e2e, context)
        tabs.append(tab)
        if login:
            tab.sign_in(login, password or demo.DEMO_PASSWORD, lang)
        return tab

    yield open_console
    if getattr(request.node, "browser_call_failed", False):
        _record_failure(request.node.name, tabs)
    for tab in tabs:
        tab.context.close()
