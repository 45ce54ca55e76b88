"""Browser tests: the mini-app served by the test app on a real HTTP port, driven by Playwright
in headless Chromium (Debian's `chromium`, DESIGN §3). Screenshots go to test-artifacts/miniapp/."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from server.demo import DEMO_LOCATION
from tests.celery_worker import worker_on
from tests.http_server import serving
from tests.redis_server import REDIS_URL

CHROMIUM = os.environ.get("GRIDHUB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "miniapp"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"no Chromium at {CHROMIUM} (the README's test command installs Debian's chromium)"
        if os.environ.get("GRIDHUB_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app, demo):
    """The test app on 127.0.0.1 with the demo county, as `gridhub run` would offer it: demo
    mode and the dev SSO provider. One request at a time (the pages need no more), so the
    in-process database sees one writer."""
    saved = {key: app.config.get(key) for key in ("DEMO", "IDENTITY_PROVIDER")}
    app.config.update(DEMO=True, IDENTITY_PROVIDER="dev")
    app.extensions.pop("gridhub_idp", None)
    with serving(app) as base:
        yield base
    app.config.update(saved)
    app.extensions.pop("gridhub_idp", None)


@pytest.fixture
def alerts(app):
    """A real Celery worker on Redis, so transitions reach the handler's inbox."""
    with worker_on(app, REDIS_URL) as celery:
        yield celery


def until(phone, expression: str, timeout_ms: int = 15_000) -> None:
    """Wait for a page expression to hold (the page's CSP forbids wait_for_function's eval)."""
    for _ in range(timeout_ms // 100):
        if phone.page.evaluate(expression):
            return
        phone.page.wait_for_timeout(100)
    raise AssertionError(f"never true: {expression}")


class Phone:
    """One user's phone: a browser context with location granted, its page, and the console
    errors and failed requests it saw (a page that logs an error fails the test)."""

    def __init__(self, browser, base: str, shots: Path, *, service_workers: str = "block") -> None:
        # The worker page registers a service worker; a test that intercepts requests
        # (page.route) or does not test the offline page blocks it, so every request is seen.
        self.context = browser.new_context(
            **PHONE, geolocation={"latitude": DEMO_LOCATION[0], "longitude": DEMO_LOCATION[1]},
            permissions=["geolocation"], service_workers=service_workers)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.base, self.shots = base, shots
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, page: str) -> None:
        """`open("worker")`, `open("worker#case/ID")`: a role's page of the mini-app."""
        self.page.goto(f"{self.base}/miniapp/app.html?role={page}")

    def sign_in(self, username: str, password: str = "demo-password", *, accepted: bool = True) -> None:
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form button[type=submit]")
        if accepted:
            self.page.wait_for_selector("nav.tabs:not(.hidden)")

    def tab(self, label: str) -> None:
        self.page.click(f"nav.tabs button:has-text('{label}')")

    def photo(self, trigger: str, path: Path) -> None:
        before = self.page.locator("img[data-attachment]").count()
        with self.page.expect_file_chooser() as chooser:
            self.page.click(trigger)
        chooser.value.set_files(str(path))
        self.page.locator("img[data-attachment]").nth(before).wait_for()

    def act(self, action: str, **fields: str) -> None:
        """Open an action's sheet on the case page, fill it, confirm, and wait for the page to reload."""
        self.page.click(f"button[data-action={action}]")
        for name, value in fields.items():
            self.page.fill(f"form.sheet [name={name}]", value)
        self.page.click(f"button[data-confirm={action}]")
        self.page.locator(".toast").filter(has_text="成功").wait_for()

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def phones(browser, live_server):
    """`phones("worker", user="gridworker")`: a new phone on the live server with that role's
    page open (and signed in as `user`); all closed after the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    made: list[Phone] = []

    def make(page: str, user: str | None = None, service_workers: str = "block") -> Phone:
        phone = Phone(browser, live_server, ARTIFACTS, service_workers=service_workers)
        made.append(phone)
        phone.open(page)
        if user:
            phone.sign_in(user)
        return phone

    yield make
    for phone in made:
        phone.close()


@pytest.fixture(scope="session")
def photo_file(tmp_path_factory) -> Path:
    """A real JPEG as a phone would take it (big enough to be shrunk before upload)."""
    path = tmp_path_factory.mktemp("photos") / "scene.jpg"
    image = Image.new("RGB", (2400, 1800), (90, 140, 60))
    for x in range(0, 2400, 200):
        image.paste((200, 180, 40), (x, 600, x + 100, 1200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path
