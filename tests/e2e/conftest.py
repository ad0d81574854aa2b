"""Browser tests: Debian's headless Chromium, driven by Playwright, against pytest-django's live server.

Every test in this folder is marked `e2e`. Without a Chromium they are skipped locally, with the reason;
in CI (CI=true) a missing browser fails them instead. Screenshots go to $ARTIFACTS_DIR/screenshots
(default ./artifacts/screenshots, git-ignored) and are kept by CI as artefacts.

Tests that also need the Celery worker and beat use `celery_worker_process` / `celery_beat_process` from
tests/live.py (PostgreSQL and Redis; skipped locally without them, like every `worker` test).
"""

import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, expect, sync_playwright

from accounts.models import Production, User
from incidents.categories import Category
from incidents.models import Identity, Report
from incidents.services.attachments import CleanUpload
from incidents.services.filing import report_file
from incidents.services.handling import report_comment
from incidents.services.receipt import receipt_new
from incidents.services.stop_work import stop_work_call
from tests.factories import PASSWORD, draft, file_report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AXE_JS = HERE / "vendor" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a busy 2-core CI machine; a passing run never waits this long.
ACTION_TIMEOUT_MS = 15_000
expect.set_options(timeout=10_000)


def chromium_path() -> str | None:
    return os.environ.get("PLAYWRIGHT_CHROMIUM") or shutil.which("chromium")


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "artifacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(tryfirst=True)  # before `-m e2e` selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = chromium_path() is None and os.environ.get("CI") != "true"
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if missing:
            item.add_marker(
                pytest.mark.skip(
                    reason="no Chromium: install Debian's `chromium` or set PLAYWRIGHT_CHROMIUM (CI fails instead)"
                )
            )


# Package scope: Playwright's event loop must be gone before the other suites (which may run asyncio) start.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    # Playwright's sync API runs an event loop in this thread, so the ORM calls of the tests (factories,
    # assertions) would be refused by Django's async-safety check; allowed for this package only.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        yield playwright
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        pytest.fail("CI=true but no Chromium found: .ci/run installs Debian's `chromium` and sets PLAYWRIGHT_CHROMIUM")
    # launch() starts from a new, empty, temporary profile (Playwright deletes it on close).
    browser = playwright_instance.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Browsing:
    """Opens pages on the live server for one test; collects CSP violations and page errors."""

    browser: Browser
    base_url: str
    test_name: str
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shots: int = 0

    def page(
        self,
        *,
        viewport: dict[str, int] = PHONE,
        javascript: bool = True,
        bypass_csp: bool = False,
        user: User | None = None,
        language: str = "en-US",
    ) -> Page:
        """A fresh browser context (its own cookies) and a page in it; logged in as `user` if given
        (a session made on the server, for tests that are not about logging in)."""
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport,
            java_script_enabled=javascript,
            bypass_csp=bypass_csp,
            locale=language,
            reduced_motion="reduce",  # no smooth scrolling: screenshots show where the page really is
            has_touch=viewport["width"] < 600,
            is_mobile=False,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        self.contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base_url}])
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        # A Content-Security-Policy violation means an inline script or style slipped into a template.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")

    def screenshot(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        self.shots += 1
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.test_name}-{self.shots:02d}-{name}".lower()).strip("-")
        path = artifacts_dir() / f"{slug}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Browsing]:
    browsing = Browsing(browser=browser, base_url=live_server.url, test_name=request.node.name.removeprefix("test_"))
    yield browsing
    browsing.close()
    assert not browsing.problems, "the browser reported problems:\n" + "\n".join(browsing.problems)


@pytest.fixture
def open_page(browsing: Browsing) -> Callable[..., Page]:
    return browsing.page


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person does."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def scroll_overflow(page: Page) -> dict[str, Any]:
    """The page's scroll width and the elements sticking out past the right edge of the viewport
    (ignoring what sits inside a horizontally scrollable box, such as a .table-responsive)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const rect = el.getBoundingClientRect();
            if (rect.width === 0 || rect.right <= width + 1) continue;
            let clipped = false;
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              const o = getComputedStyle(p).overflowX;
              if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') { clipped = true; break; }
            }
            if (clipped || el.closest('.visually-hidden, .hp-field, .collapse:not(.show)')) continue;
            const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
            const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes.map(c => '.' + c).join('');
            out.push(name + ' right=' + Math.round(rect.right));
          }
          return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width, overflowing: out.slice(0, 10)};
        }"""
    )


# Serious and critical (labels, contrast, names), and moderate too: heading order and landmarks are there.
AXE_IMPACTS = ("moderate", "serious", "critical")


def axe_violations(page: Page, impacts: tuple[str, ...] = AXE_IMPACTS) -> list[dict[str, Any]]:
    """Run axe-core (vendored, tests only) on the page; the violations of the given impacts."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def jpeg_bytes(color: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG, as a phone's camera would send (Pillow checks uploads by content)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class Scene:
    """A production in the middle of a working day: the whole ladder, a crew member's misfire report
    with a photo and a comment, an anonymous report with its receipt code, and (optionally) work stopped."""

    production: Production
    crew: User
    handlers: dict[str, User]
    report: Report
    anonymous_report: Report
    receipt_code: str
    stop_work: Report | None

    @property
    def people(self) -> dict[str, User | None]:
        """Who looks at the pages: "anonymous" (nobody logged in), "crew" and each handler's rank."""
        return {"anonymous": None, "crew": self.crew, **self.handlers}


@pytest.fixture
def scene(production: Production, crew: User, ladder_cast: dict[str, User]) -> Callable[..., Scene]:
    def build(*, stopped: bool = False) -> Scene:
        photo = CleanUpload(name="muzzle.jpg", content_type="image/jpeg", content=jpeg_bytes())
        report = file_report(
            production,
            crew,
            Category.MISFIRE,
            title="Revolver misfired twice on the saloon set",
            weapon="Prop revolver #7",
            ammunition="blank",
            armorer_present=True,
            location="Stage 4, saloon",
            uploads=[photo],
        )
        report_comment(report_id=report.pk, user=ladder_cast["department_head"], body="Who was holding it?")
        receipt = receipt_new()
        anonymous = report_file(
            production=production,
            reporter=None,
            draft=draft(Category.FATIGUE, title="Fourteen-hour days all week", identity=Identity.ANONYMOUS),
            receipt_hash=receipt.hash,
        )
        stop = None
        if stopped:
            stop = stop_work_call(
                production=production, caller=crew, reason="Live round found in the prop cart", location="Stage 4"
            )
        return Scene(production, crew, ladder_cast, report, anonymous, receipt.code, stop)

    return build


def key_pages(scene: Scene, long_report: Report | None = None) -> dict[str, list[tuple[str, str]]]:
    """(name, path) of every key page, grouped by who looks at it (a `people` key of the scene)."""
    production, report, stop = scene.production, scene.report, scene.stop_work
    assert stop is not None
    pages = {
        "anonymous": [
            ("home-visitor", "/"),
            ("login", "/accounts/login/"),
            ("signup", "/accounts/signup/"),
            ("anonymous-report-form", f"/anonymous/{production.join_code}/"),
            ("receipt", "/receipt/"),
        ],
        "crew": [
            ("home", "/"),
            ("report-form", "/reports/new/"),
            ("report", f"/reports/{report.pk}/"),
            ("report-filed", f"/reports/{report.pk}/filed/"),
            ("reports", "/reports/"),
            ("stop-work", "/stop-work/"),
            ("join", "/join/"),
        ],
        "department_head": [
            ("inbox", "/inbox/"),
            ("report-handler", f"/reports/{report.pk}/"),
        ],
        "producer": [
            ("dashboard", "/dashboard/"),
            ("reports-production", "/reports/?tab=production"),
            ("stop-work-lift", f"/reports/{stop.pk}/lift/"),
            ("join-another", f"/join/{production.join_code}/"),
        ],
    }
    if long_report is not None:
        pages["crew"].insert(3, ("report-long-words", f"/reports/{long_report.pk}/"))
    return pages
