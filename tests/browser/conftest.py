"""Browser tests: headless Debian Chromium driven by Playwright's sync API against live_server.

Never downloads a browser: the system Chromium at CHROMIUM_PATH is required, and its absence
fails the tests (a skipped browser suite would hide a broken page). Every test saves a
screenshot to var/screenshots/<test>.png when it ends, pass or fail.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told it is fine (it is: the loop only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = os.environ.get("PLUMBLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct-horse-battery-staple-42"


def pytest_collection_modifyitems(items):
    # Everything in this folder drives a browser.
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}: install Debian's `chromium` package "
            "(or set PLUMBLINE_CHROMIUM). The browser tests never download a browser.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class ConsoleErrors(list):
    """Console messages of type error and uncaught page errors (CSP violations land here)."""

    def assert_none(self):
        assert not self, "browser console errors:\n" + "\n".join(self)


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser, live_server, console_errors, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    # Generous timeouts: the first request imports every URLconf, and CI machines are busy.
    context.set_default_timeout(20_000)
    expect.set_options(timeout=10_000)
    page = context.new_page()

    def on_console(msg):
        if msg.type == "error":
            console_errors.append(f"{msg.type}: {msg.text} ({msg.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"pageerror: {exc}"))
    yield page
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def mailbox():
    """django.core.mail.outbox: live_server runs in a thread of this process, so mail sent
    while serving a request lands in the same list."""
    from django.core import mail

    mail.outbox.clear()
    return mail.outbox


def link_in_mail(message, pattern: str) -> str:
    match = re.search(r"https?://\S*" + pattern + r"\S*", message.body)
    assert match, f"no link matching {pattern!r} in:\n{message.body}"
    return match.group(0)
