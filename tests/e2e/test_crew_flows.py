"""The crew's and the handlers' main journeys, clicked through in a real browser on a phone."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Membership, Production, User
from incidents.categories import Category
from incidents.models import EscalationLevel, EscalationPolicy, Report, ReportStatus
from incidents.services.policy import policy_set_speed
from tests.e2e.conftest import Browsing, jpeg_bytes, log_in
from tests.factories import PASSWORD, file_report
from tests.live import LiveProcess, wait_until


def test_crew_member_signs_up_joins_with_the_code_and_files_a_misfire_report_with_a_photo(
    production: Production,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
    tmp_path: Path,
):
    photo = tmp_path / "misfire.jpg"
    photo.write_bytes(jpeg_bytes())
    page = open_page()
    page.goto("/")
    browsing.screenshot(page, "home-visitor")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Rosa Rigger")
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    browsing.screenshot(page, "signup")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Welcome to SafeTrack.")).to_be_visible()

    page.get_by_role("link", name="Join a production with a code").click()
    page.get_by_label("Join code").fill(production.join_code.lower())  # as typed from the call sheet
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Join Dust Devil")).to_be_visible()
    page.get_by_label("Your department").select_option(label="Grip")
    page.get_by_role("button", name="Join this production").click()
    expect(page.get_by_text("You joined Dust Devil.")).to_be_visible()

    page.get_by_role("link", name="Report a concern").first.click()
    expect(page.get_by_role("heading", name="Report a concern")).to_be_visible()
    page.get_by_label("Misfire / discharge").check()
    # The firearm questions appear once a firearm category is chosen; the severity follows the category.
    expect(page.get_by_role("textbox", name="Weapon")).to_be_visible()
    expect(page.get_by_label("How serious is it?")).to_have_value("high")
    page.get_by_label("In a few words").fill("Revolver went off during the rehearsal")
    page.get_by_label("What happened?").fill("The prop revolver fired a blank while the actor was still walking in.")
    page.get_by_role("textbox", name="Weapon").fill("Prop revolver #7")
    page.get_by_label("Blank", exact=True).check()
    page.get_by_label("Was the armorer there?").select_option(label="No")
    page.get_by_label("Choose photos or PDFs").set_input_files(str(photo))
    page.get_by_text("Add details").click()
    page.get_by_label("Where?").fill("Stage 4, saloon")
    browsing.screenshot(page, "report-form-filled")
    page.get_by_role("button", name="Send the report").click()

    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    expect(page.get_by_text("Level 1: Department head, Armorer")).to_be_visible()
    expect(page.get_by_text("2 people were notified just now")).to_be_visible()
    expect(page.get_by_text(re.compile(r"If nobody acknowledges it by .*, it goes up to level 2"))).to_be_visible()
    browsing.screenshot(page, "report-sent")

    report = Report.objects.get()
    assert report.reporter.email == "rosa@example.com"
    assert (report.category, report.severity, report.weapon, report.ammunition) == (
        Category.MISFIRE,
        "high",
        "Prop revolver #7",
        "blank",
    )
    assert report.armorer_present is False
    assert Membership.objects.get(user=report.reporter).production == production
    attachment = report.attachments.get()
    assert attachment.content_type == "image/jpeg"

    page.get_by_role("link", name="Follow this report").click()
    expect(page.locator("img.attachment-thumb")).to_be_visible()
    # The photo really loads (served through the access-checked view); on a busy machine it may take a moment.
    page.wait_for_function(
        "() => { const img = document.querySelector('img.attachment-thumb');"
        " return img.complete && img.naturalWidth > 0; }",
        timeout=15_000,
    )
    browsing.screenshot(page, "report-page")


def test_crew_member_files_a_misfire_with_a_photo_after_a_refused_try_without_choosing_the_photo_again(
    production: Production,
    crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
    tmp_path: Path,
):
    photo = tmp_path / "muzzle-flash.jpg"
    photo.write_bytes(jpeg_bytes((220, 120, 20), (320, 240)))
    page = open_page(user=crew)
    page.goto("/reports/new/")
    page.get_by_label("Misfire / discharge").check()
    page.get_by_label("Unknown", exact=True).check()
    page.get_by_label("In a few words").fill("Hang-fire on the shotgun")
    page.get_by_label("What happened?").fill("The shotgun clicked, then fired a second later as it was lowered.")
    page.get_by_label("Take a photo").set_input_files(str(photo))
    expect(page.locator(".attachment-preview img")).to_have_count(1)  # what is attached, before sending
    # A typo in the time: tomorrow. Only the server can tell, so the first try is refused.
    page.get_by_text("Add details").click()
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1), production.tzinfo)
    page.get_by_label("When did it happen?").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send the report").click()

    expect(page.get_by_text("The report was not sent yet. Please fix:")).to_be_visible()
    expect(page.get_by_text("That is in the future.").first).to_be_visible()
    assert not Report.objects.exists()
    # The photo is still attached, shown as a thumbnail; nothing has to be chosen again.
    kept = page.get_by_label("muzzle-flash.jpg")
    expect(kept).to_be_checked()
    page.wait_for_function(
        "() => { const img = document.querySelector('img.kept-thumb'); return img && img.naturalWidth > 0; }"
    )
    assert page.locator("input[type=file]").evaluate_all("inputs => inputs.every(i => i.files.length === 0)")
    expect(page.get_by_label("What happened?")).to_have_value(
        "The shotgun clicked, then fired a second later as it was lowered."
    )
    browsing.screenshot(page, "refused-with-the-photo-kept")
    page.get_by_label("When did it happen?").fill(
        timezone.localtime(timezone.now(), production.tzinfo).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Send the report").click()

    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    report = Report.objects.get()
    assert (report.category, report.ammunition, report.reporter) == (Category.MISFIRE, "unknown", crew)
    attachment = report.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("muzzle-flash.jpg", "image/jpeg")


@pytest.mark.worker
def test_unanswered_report_climbs_the_ladder_until_a_producer_acknowledges_it_from_the_dashboard(
    production: Production,
    crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
    celery_worker_process: Callable[..., LiveProcess],
    celery_beat_process: Callable[..., LiveProcess],
):
    # Short demo timeouts below the producer; the producer's own level waits long enough for the click.
    policy = EscalationPolicy.objects.get(production=production)
    policy_set_speed(policy=policy, per_level=timedelta(seconds=3), resolve=timedelta(hours=1))
    EscalationLevel.objects.filter(policy=policy, number__gte=4).update(high_timeout=timedelta(minutes=10))
    celery_worker_process(concurrency=1)
    celery_beat_process()

    report = file_report(production, crew, Category.MISFIRE, title="Gun fired with the safety on")
    head = open_page(user=ladder_cast["department_head"])
    head.goto("/inbox/")
    expect(head.get_by_role("link", name=re.compile(rf"#{report.pk} Gun fired with the safety on"))).to_be_visible()
    browsing.screenshot(head, "level-1-inbox")

    # Nobody at levels 1 to 3 answers: the worker climbs it to the producers.
    wait_until(
        lambda: Report.objects.get(pk=report.pk).escalation_level >= 4, timeout=40, message="escalation to level 4"
    )
    producer = open_page(user=ladder_cast["producer"])
    producer.goto("/inbox/")
    expect(producer.get_by_role("link", name=re.compile(rf"#{report.pk} "))).to_be_visible()
    producer.goto("/dashboard/")
    row = producer.locator(f"li.queue-row[data-report='{report.pk}']")
    expect(row).to_contain_text("Level 4 of 5 (Producer / line producer)")
    browsing.screenshot(producer, "dashboard-escalated")
    row.get_by_text("Acknowledge", exact=False).first.click()
    row.get_by_role("button", name=f"Yes, acknowledge #{report.pk}").click()
    expect(producer.get_by_text("You acknowledged report #")).to_be_visible()

    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    assert report.acknowledged_by == ladder_cast["producer"]
    kinds = list(report.events.order_by("seq").values_list("kind", flat=True))
    assert kinds.count("escalated") >= 3

    reporter = open_page(user=crew)
    reporter.goto(report.get_absolute_url())
    expect(reporter.get_by_text(re.compile(r"Acknowledged by Pia Producer at"))).to_be_visible()
    browsing.screenshot(reporter, "reporter-sees-who-acknowledged")


def test_stop_work_call_shows_the_red_banner_to_every_member_until_a_producer_lifts_it(
    production: Production,
    crew: User,
    other_crew: User,
    producer: User,
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    caller = open_page()
    log_in(caller, crew.email)
    caller.get_by_role("link", name="Call STOP WORK").click()
    caller.get_by_label("Why must work stop?").fill("Live round found in the prop cart")
    caller.get_by_label("I am calling STOP WORK now").check()
    caller.get_by_role("button", name="Call STOP WORK").click()
    expect(caller.get_by_role("heading", name="Work is stopped")).to_be_visible()
    stop = Report.objects.get(category=Category.STOP_WORK)

    colleague = open_page(user=other_crew)
    colleague.goto("/")
    banner = colleague.locator(".stop-work-banner")
    expect(banner).to_contain_text("Stop work")
    expect(banner).to_contain_text("Live round found in the prop cart")
    expect(banner).to_contain_text("Gabi Grip called it at")
    browsing.screenshot(colleague, "banner-on")

    boss = open_page(user=producer)
    boss.goto("/")
    boss.locator(".stop-work-banner").get_by_role("link", name="Lift stop-work").click()
    assert boss.url.endswith(f"/reports/{stop.pk}/lift/")
    boss.get_by_label("Clearance: what was checked, and by whom").fill(
        "Armorer checked every round in the cart: all dummies. The live round was removed and logged."
    )
    browsing.screenshot(boss, "lift")
    boss.get_by_role("button", name="Lift stop-work").click()
    expect(boss.get_by_text("Stop-work lifted on Dust Devil.")).to_be_visible()
    expect(boss.get_by_role("heading", name="Stop-work lifted")).to_be_visible()

    colleague.reload()
    expect(colleague.locator(".stop-work-banner")).to_have_count(0)
    browsing.screenshot(colleague, "banner-off")
    stop.refresh_from_db()
    assert stop.lifted_by == producer
    assert "all dummies" in stop.clearance_note
