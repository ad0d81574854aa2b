"""Reporting without an account, following up with the receipt code; and the admin editing a policy."""

import re
import time
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from incidents.forms.anonymous import MIN_FILL_SECONDS
from incidents.models import EscalationLevel, EventKind, Identity, Report
from incidents.services.handling import report_comment
from tests.e2e.conftest import DESKTOP, Browsing
from tests.factories import PASSWORD


def test_anonymous_report_from_the_poster_link_then_a_follow_up_with_the_receipt_code(
    production: Production, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing
):
    page = open_page()
    page.goto(f"/anonymous/{production.join_code}/")
    opened = time.monotonic()
    page.get_by_label("Fatigue / hours").check()
    page.get_by_label("In a few words").fill("Drivers on their third sixteen-hour day")
    page.get_by_label("What happened?").fill("The unit drivers have not had a turnaround longer than eight hours.")
    page.get_by_text("Add details").click()
    page.get_by_label("Where?").fill("Base camp")
    browsing.screenshot(page, "anonymous-form")
    # A person takes more than the form's minimum fill time; the honeypot stays empty.
    time.sleep(max(0.0, MIN_FILL_SECONDS + 0.5 - (time.monotonic() - opened)))
    page.get_by_role("button", name="Send anonymously").click()

    expect(page.get_by_role("heading", name="Your report was sent")).to_be_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}(-[A-Z0-9]{5}){4}", code), code
    browsing.screenshot(page, "receipt-shown-once")
    report = Report.objects.get()
    assert (report.identity, report.reporter, report.category) == (Identity.ANONYMOUS, None, Category.FATIGUE)

    report_comment(report_id=report.pk, user=ladder_cast["department_head"], body="Which unit? We will check the logs.")

    # Right after filing, this browser still holds the code for a few minutes: the link opens the report.
    page.get_by_role("link", name="Follow up an anonymous report").click()
    expect(page.get_by_role("heading", name="Drivers on their third sixteen-hour day")).to_be_visible()
    assert code not in page.locator("main").inner_text()  # the code itself was shown once

    # Later, on another phone: the code typed from a photo of it.
    page = open_page()
    page.goto("/receipt/")
    page.get_by_label("Receipt code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Show my report").click()
    expect(page.get_by_role("heading", name="Drivers on their third sixteen-hour day")).to_be_visible()
    assert page.url.endswith("/receipt/")  # the code is in no URL
    expect(page.locator("main .badge").first).to_have_text("Open")
    expect(page.get_by_text("Which unit? We will check the logs.")).to_be_visible()
    page.get_by_label("Your reply to the handlers").fill("Unit 2, the camera truck drivers.")
    page.get_by_role("button", name="Send my reply").click()
    expect(page.get_by_text("Your reply was sent to the handlers.")).to_be_visible()
    expect(page.get_by_text("Unit 2, the camera truck drivers.")).to_be_visible()
    browsing.screenshot(page, "receipt-follow-up")
    # Reloading (or coming back to the tab) sends nothing again: the page after a reply is a GET.
    page.reload()
    expect(page.get_by_text("Unit 2, the camera truck drivers.")).to_have_count(1)
    expect(page.get_by_text("Your reply was sent to the handlers.")).to_have_count(0)
    replies = report.events.filter(kind=EventKind.COMMENTED, payload__from_reporter=True)
    assert replies.count() == 1
    reply = replies.get()
    assert reply.actor is None
    assert reply.payload["body"] == "Unit 2, the camera truck drivers."
    # On a shared phone the reporter can make this browser forget the code at once.
    page.get_by_role("button", name="Forget my code on this phone now").click()
    expect(page.get_by_label("Receipt code")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Receipt code")).to_be_visible()


def test_superuser_edits_an_escalation_level_inline_on_the_production_page(
    production: Production, superuser: User, open_page: Callable[..., Page], browsing: Browsing
):
    page = open_page(viewport=DESKTOP)
    page.goto("/admin/")
    page.locator("#id_username").fill(superuser.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Productions", exact=True).click()
    page.get_by_role("link", name="Dust Devil").click()

    level_one = page.locator("#levels-0")
    expect(level_one).to_be_visible()
    level_one.locator("input[name='levels-0-critical_timeout']").fill("0:02:00")
    level_one.get_by_label("Safety coordinator / 1st AD").check()
    browsing.screenshot(page, "production-levels-inline")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()

    level = EscalationLevel.objects.get(policy__production=production, number=1)
    assert level.critical_timeout == timedelta(minutes=2)
    assert set(level.roles) == {"department_head", "armorer", "safety"}
