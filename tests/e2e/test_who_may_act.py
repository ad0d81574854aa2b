"""Who may act on a report (issue 14), in a real browser on a phone: the armorer told at level 1 takes a
report that has climbed to the producers, and the people it reached see who took it."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from incidents.models import ReportStatus
from incidents.services.escalation import report_escalate
from tests.e2e.conftest import Browsing, scroll_overflow
from tests.factories import file_report


def test_the_armorer_told_at_level_1_acknowledges_late_after_the_report_climbed_to_the_producers(
    production: Production,
    crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    report = file_report(production, crew, Category.MISFIRE, title="Revolver misfired twice")
    for level in (1, 2, 3):  # nobody answered: it is with the producers now
        report_escalate(report_id=report.pk, expected_level=level, force=True)

    armorer = open_page(user=ladder_cast["armorer"])
    armorer.goto("/")
    waiting = armorer.get_by_role("link", name=re.compile("Revolver misfired twice"))
    expect(waiting).to_be_visible()  # still waiting for them on their home page
    waiting.first.click()
    expect(armorer.get_by_text("Who may act on a report?")).to_be_visible()
    layout = scroll_overflow(armorer)
    assert layout["scrollWidth"] <= layout["clientWidth"], layout["overflowing"]  # fits a 360 px phone
    browsing.screenshot(armorer, "armorer-sees-the-button-at-level-4")
    armorer.get_by_role("button", name="Acknowledge: I am on it").click()
    expect(armorer.get_by_text("You acknowledged report #")).to_be_visible()

    report.refresh_from_db()
    assert (report.status, report.acknowledged_by, report.escalation_level) == (
        ReportStatus.ACKNOWLEDGED,
        ladder_cast["armorer"],
        4,
    )

    producer = open_page(user=ladder_cast["producer"])
    producer.goto("/inbox/")
    expect(producer.get_by_text("Arden Armorer took this report: no need to acknowledge it")).to_be_visible()
    browsing.screenshot(producer, "producer-told-who-took-it")
    producer.goto(report.get_absolute_url())
    expect(producer.get_by_role("button", name="Acknowledge: I am on it")).to_have_count(0)
