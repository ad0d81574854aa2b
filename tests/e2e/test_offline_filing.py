"""The installable app on a phone: found and installable, the report form opening and saving a report
with no signal, and that report filed exactly once, with its photo, when the signal comes back."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, Playwright, expect

from accounts.models import Production, User
from incidents.models import Attachment, EventKind, Report
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, Browsing, chromium_path, jpeg_bytes
from tests.factories import PASSWORD
from tests.live import wait_until

SAVED_MESSAGE = (
    "Saved on this phone. It will be sent as soon as you have signal. "
    "Do not rely on it for an emergency: tell someone now."
)


def _controlled(page: Page, path: str) -> None:
    """Open `path` under the service worker's control (the first visit installs it, the second is its)."""
    page.goto(path)
    page.evaluate("() => navigator.serviceWorker.ready")
    if not page.evaluate("() => Boolean(navigator.serviceWorker.controller)"):
        page.reload()
    wait_until(
        lambda: page.evaluate("() => Boolean(navigator.serviceWorker.controller)"),
        timeout=15,
        message="the service worker to control the page",
    )


def _save_without_signal(page: Page, production: Production) -> None:
    """With no signal, a crew member writes a fatigue report on the form and sends it: saved on the phone."""
    _controlled(page, f"/reports/new/?production={production.pk}")
    page.context.set_offline(True)
    page.get_by_label("Fatigue / hours").check()
    page.get_by_label("In a few words").fill("Sixteen hours on the night shoot")
    page.get_by_label("What happened?").fill("Third day running past sixteen hours; drivers are falling asleep.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text(SAVED_MESSAGE)).to_be_visible()


def _drafts(page: Page) -> list[dict]:
    return page.evaluate(
        "() => SafeTrackOutbox.all().then(ds => ds.map(d => ({key: d.key, status: d.status, report: d.report || null,"
        " files: d.files.length, title: d.title})))"
    )


def test_the_manifest_and_the_service_worker_are_found_and_the_app_is_installable(
    production: Production, crew: User, playwright_instance: Playwright, live_server: Any, tmp_path: Path
):
    # Chrome never offers installing from an incognito window, which a new browser context is: this test
    # uses a profile on disk, as a phone's browser does.
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        viewport=PHONE,
        has_touch=True,
    )
    try:
        client = Client()
        client.force_login(crew)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        _controlled(page, "/")
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert not manifest["errors"], manifest["errors"]
        assert '"display": "standalone"' in manifest["data"]
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
        icon = page.request.get("/static/icons/icon-512.png")
        assert icon.ok and icon.headers["content-type"] == "image/png"
        assert page.request.get("/favicon.ico").ok
    finally:
        context.close()


def test_a_report_written_without_signal_is_saved_then_filed_once_with_its_photo_when_signal_returns(
    production: Production,
    crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
    tmp_path: Path,
):
    photo = tmp_path / "cable.jpg"
    photo.write_bytes(jpeg_bytes(size=(320, 240)))
    page = open_page(user=crew)
    _controlled(page, "/")
    form_url = f"/reports/new/?production={production.pk}"
    page.goto(form_url)  # with signal: the service worker keeps a copy

    page.context.set_offline(True)
    assert page.evaluate("() => fetch('/healthz').then(() => 'online', () => 'offline')") == "offline"
    page.goto(form_url)
    expect(page.get_by_role("heading", name="Report a concern")).to_be_visible()
    page.get_by_label("Rigging / falls").check()
    page.get_by_label("In a few words").fill("Cable across the walkway at the ranch")
    page.get_by_label("What happened?").fill("A power cable runs across the path to the corral, not taped down.")
    page.get_by_label("Photos or PDFs").set_input_files(str(photo))
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text(SAVED_MESSAGE)).to_be_visible()
    browsing.screenshot(page, "saved-offline")
    drafts = _drafts(page)
    assert [(d["status"], d["files"], d["title"]) for d in drafts] == [
        ("waiting", 1, "Cable across the walkway at the ranch")
    ]
    assert not Report.objects.exists()

    page.goto("/")  # the home page, from the service worker's copy, lists it
    waiting = page.locator("#outbox li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Waiting for signal")

    page.context.set_offline(False)
    expect(waiting).to_contain_text("Sent: report #", timeout=20_000)
    browsing.screenshot(page, "sent-when-online")
    report = Report.objects.get()
    expect(waiting).to_contain_text(f"Sent: report #{report.pk}")
    assert report.title == "Cable across the walkway at the ranch"
    assert report.reporter == crew
    attachment = Attachment.objects.get(report=report)
    assert attachment.content_type == "image/jpeg"
    filed = report.events.get(kind=EventKind.FILED)
    assert filed.payload["filed_late"] is True
    # Nobody typed a time: it happened when it was saved on the phone.
    assert report.occurred_at.isoformat(timespec="seconds") == filed.payload["saved_on_phone_at"][:19] + "+00:00"


def test_a_draft_sent_again_after_its_answer_was_lost_is_filed_once(
    production: Production,
    crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    page = open_page(user=crew)
    _save_without_signal(page, production)
    page.context.set_offline(False)

    # The page and the service worker send it at the same moment; then, as if the answer had been lost on
    # the way back, it is marked waiting again and sent once more.
    page.evaluate(
        """() => navigator.serviceWorker.ready.then(reg => {
             reg.active.postMessage({type: 'send-outbox'});
             return SafeTrackOutbox.sendAll();
           })"""
    )
    wait_until(lambda: _drafts(page)[0]["status"] == "sent", timeout=20, message="the draft to be sent")
    first = _drafts(page)[0]["report"]
    page.evaluate(
        """() => SafeTrackOutbox.all().then(ds => { const d = ds[0]; d.status = 'waiting';
             return SafeTrackOutbox.put(d); }).then(() => SafeTrackOutbox.sendAll())"""
    )
    wait_until(lambda: _drafts(page)[0]["status"] == "sent", timeout=20, message="the draft to be sent again")
    assert _drafts(page)[0]["report"] == first
    report = Report.objects.get()
    assert report.pk == first
    assert report.events.filter(kind=EventKind.FILED).count() == 1


def test_with_signal_the_form_files_as_before_and_lands_on_the_confirmation(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page]
):
    page = open_page(user=crew)
    _controlled(page, f"/reports/new/?production={production.pk}")
    page.get_by_label("Other").check()
    page.get_by_label("In a few words").fill("Ladder with a cracked rung")
    page.get_by_label("What happened?").fill("The A-frame by the grip truck has a cracked second rung.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    page.go_back()  # the same page, the same key: sending it again files nothing new
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    assert Report.objects.filter(title="Ladder with a cracked rung").count() == 1


def test_signed_out_the_phone_says_reports_are_waiting_for_a_log_in_and_sends_them_after_it(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page]
):
    page = open_page(user=crew)
    _save_without_signal(page, production)

    # The session ends while the report waits (cookies gone), and the signal comes back.
    page.context.clear_cookies()
    page.context.set_offline(False)
    page.goto("/accounts/login/")
    note = page.locator("#outbox-login")
    expect(note).to_have_text(
        "1 report saved on this phone is waiting to be sent: log in with the account that saved it, and it is sent."
    )
    expect(note).not_to_contain_text("Sixteen hours")  # a shared phone: how many, never what they say
    assert not Report.objects.exists()

    page.get_by_label("Email").fill(crew.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_until(lambda: Report.objects.exists(), timeout=20, message="the waiting report to be sent after log-in")
    assert Report.objects.get().reporter == crew
    expect(page.locator("#outbox-login")).to_have_count(0)
