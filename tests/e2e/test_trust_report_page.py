"""Issue 21 in the browser (2): the report page moves by itself (an acknowledgement made in another
browser shows within 10 s, without a reload, and is announced to screen readers), and after commenting
on a phone the page returns to the comment in a newest-first trail with "Show earlier"."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from incidents.models import EventKind
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_comment
from incidents.views.report_live import LATEST_ENTRIES
from tests.e2e.conftest import PHONE, Browsing, Scene, axe_violations, describe_violations

LIVE_WITHIN_MS = 10_000


def test_an_acknowledgement_made_in_another_browser_shows_within_10_s_without_a_reload(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    report = world.report
    reporter = open_page(user=world.crew, bypass_csp=True)  # axe is injected later
    reporter.goto(report.get_absolute_url())
    expect(reporter.get_by_text("Waiting for acknowledgement.")).to_be_visible()
    reporter.evaluate("window.__notReloaded = true")

    # The level climbs (a worker would do this at the deadline): the badge and the trail follow.
    report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at)
    expect(reporter.locator('[data-part="badges"]')).to_contain_text("Level 2 of ", timeout=LIVE_WITHIN_MS)
    expect(reporter.locator("[data-announcer]")).to_have_text(re.compile("Now at level 2", re.IGNORECASE))

    # The armorer, on their own phone, takes it.
    armorer = open_page(user=world.handlers["armorer"])
    armorer.goto(report.get_absolute_url())
    armorer.get_by_role("button", name="Acknowledge: I am on it").click()
    expect(armorer.get_by_text("You acknowledged report #")).to_be_visible()

    expect(reporter.get_by_text("Acknowledged by Arden Armorer")).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(reporter.locator('[data-part="badges"]')).to_contain_text("Acknowledged")
    expect(reporter.locator("[data-announcer]")).to_have_text("Status: Acknowledged.")
    latest = reporter.locator('[data-part="timeline-latest"] > li').first
    expect(latest).to_contain_text("Acknowledged")
    assert reporter.evaluate("window.__notReloaded === true"), "the page was reloaded"
    browsing.screenshot(reporter, "report-page-moved-by-itself")
    violations = axe_violations(reporter)
    assert not violations, describe_violations(violations)


def test_a_handler_sees_a_new_reply_and_the_take_button_go_when_someone_else_takes_it(
    scene: Callable[..., Scene], open_page: Callable[..., Page]
):
    world = scene()
    report = world.report
    head = open_page(user=world.handlers["department_head"])
    head.goto(report.get_absolute_url())
    take = head.locator('[data-part="acknowledge"] button')
    expect(take).to_be_visible()
    report_comment(report_id=report.pk, user=world.crew, body="It fired again after the reload.")
    expect(head.locator('[data-part="timeline-latest"] > li').first).to_contain_text(
        "It fired again after the reload.", timeout=LIVE_WITHIN_MS
    )
    report_acknowledge(report_id=report.pk, user=world.handlers["armorer"])
    expect(take).to_have_count(0, timeout=LIVE_WITHIN_MS)


def test_after_commenting_on_a_phone_the_page_returns_to_the_comment(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    report = world.report
    head = world.handlers["department_head"]
    for n in range(LATEST_ENTRIES + 3):
        report_comment(report_id=report.pk, user=head, body=f"Question {n}: which chamber?")
    page = open_page(user=world.crew, bypass_csp=True)
    page.goto(report.get_absolute_url())
    latest = page.locator('[data-part="timeline-latest"] > li')
    expect(latest).to_have_count(LATEST_ENTRIES)
    expect(latest.first).to_contain_text(f"Question {LATEST_ENTRIES + 2}")
    expect(page.get_by_text("Question 0: which chamber?")).to_be_hidden()

    page.locator("#comment-form textarea").fill("The third chamber, after the reload.")
    page.get_by_role("button", name="Send to the handlers").click()
    seq = report.events.filter(kind=EventKind.COMMENTED).order_by("-seq").first().seq
    expect(page).to_have_url(re.compile(rf"#event-{seq}$"))
    mine = page.locator(f"#event-{seq}")
    expect(mine).to_contain_text("The third chamber, after the reload.")
    expect(mine).to_be_in_viewport()
    box = mine.bounding_box()
    assert box is not None and 0 <= box["y"] < PHONE["height"]
    browsing.screenshot(page, "back-at-my-comment", full_page=False)

    page.get_by_text("Show earlier").click()
    expect(page.get_by_text("Question 0: which chamber?")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
