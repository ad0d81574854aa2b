"""The chain of custody in a real browser on a 360 px phone, without JavaScript: the armorer checks a
weapon out (a routine check-out: at most three taps after choosing the weapon) and in, the actor who
received it confirms from their own phone, and the custody log shows all of it. The gun waits for a
firearms day on the schedule and for its safety meeting, which the coordinator records and the crew
confirm from their phones."""

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from accounts.models import Department, Production, Role, User
from incidents.models import AmmoKind, CustodyRecord, Load, Presence
from incidents.services.armory.custody import custody_check_in, custody_confirm
from tests.e2e.conftest import PHONE, Browsing, scroll_overflow
from tests.factories import ammo_lot, check_out, firearms_day, member, weapon


class Taps:
    """Counts what the armorer taps (clicks and ticks), the measure of a routine check-out."""

    def __init__(self) -> None:
        self.count = 0

    def click(self, target: Locator) -> None:
        self.count += 1
        target.click()

    def check(self, target: Locator) -> None:
        self.count += 1
        target.check()


def _fits_the_phone(page: Page) -> None:
    layout = scroll_overflow(page)
    assert layout["scrollWidth"] <= PHONE["width"], layout


def test_the_armorer_checks_a_weapon_out_and_in_the_receiver_confirms_and_the_log_shows_it(
    production: Production,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    actor = member(production, Role.CREW, Department.CAST, full_name="Rhett Actor")
    revolver = weapon(production, armorer)
    firearms_day(production, safety)  # today, its safety meeting recorded: the gun may go out
    blanks = ammo_lot(production, armorer, kind=AmmoKind.BLANK, count=50, description=".45 Colt quarter-load blanks")
    # Yesterday's check-out of the same weapon to the same actor: today's is routine.
    earlier = check_out(revolver, armorer, actor, safety, scene="42A", load=Load.BLANKS, lot=blanks, rounds=6)
    custody_confirm(record_id=earlier.pk, user=actor)
    custody_check_in(record_id=earlier.pk, user=armorer, rounds_back=6, rounds_fired=0)

    page = open_page(user=armorer, javascript=False)
    page.goto(f"/productions/{production.pk}/armory/")
    _fits_the_phone(page)
    browsing.screenshot(page, "armory")
    page.get_by_role("link", name="Check out Colt Single Action Army #SAA-7").click()  # choosing the weapon
    expect(page.get_by_role("heading", name="Check out Colt Single Action Army #SAA-7")).to_be_visible()
    # Prefilled from the last check-out: the actor, the 1st AD, the scene and six blanks.
    expect(page.get_by_label("Handed to")).to_have_value(str(actor.pk))
    expect(page.get_by_role("combobox", name="1st AD")).to_have_value(str(safety.pk))
    expect(page.get_by_label("Scene")).to_have_value("42A")
    expect(page.get_by_label("How many rounds")).to_have_value("6")
    _fits_the_phone(page)
    browsing.screenshot(page, "check-out")
    taps = Taps()
    taps.check(page.get_by_label("I showed it and checked it in front of them and the 1st AD"))
    taps.click(page.get_by_role("button", name="Check out"))
    expect(page.get_by_text("Colt Single Action Army #SAA-7 is out with Rhett Actor.")).to_be_visible()
    assert taps.count <= 3
    browsing.screenshot(page, "out")
    record = CustodyRecord.objects.get(checked_in_at__isnull=True)
    assert (record.handed_to, record.first_ad, record.rounds_out, record.checked) == (actor, safety, 6, True)

    actor_page = open_page(user=actor, javascript=False)
    actor_page.goto(f"/productions/{production.pk}/armory/")
    expect(actor_page.get_by_role("heading", name="Waiting for your confirmation")).to_be_visible()
    actor_page.get_by_role("link", name="Colt Single Action Army #SAA-7").click()
    _fits_the_phone(actor_page)
    browsing.screenshot(actor_page, "receiver-confirms")
    actor_page.get_by_role("button", name="I confirm: it was shown to me cold and checked").click()
    expect(actor_page.get_by_text("Thank you: your confirmation is on the record.")).to_be_visible()
    record.refresh_from_db()
    assert record.receiver_confirmed_how == Presence.OWN_PHONE

    page.reload()
    page.get_by_role("link", name="Check in").click()
    expect(page.get_by_role("heading", name="Check in Colt Single Action Army #SAA-7")).to_be_visible()
    _fits_the_phone(page)
    browsing.screenshot(page, "check-in")
    page.get_by_label("Rounds back").fill("4")
    page.get_by_label("Rounds fired").fill("2")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Colt Single Action Army #SAA-7 is back in the armory.")).to_be_visible()

    page.goto(revolver.get_absolute_url())
    log = page.locator("table")
    expect(log.locator("tbody tr")).to_have_count(2)
    today = log.locator("tbody tr").first
    expect(today).to_contain_text("Rhett Actor")
    expect(today).to_contain_text("4 back, 2 fired")
    expect(today).to_contain_text("shown and checked")
    expect(page.get_by_text("Rhett Actor (who received it) confirmed on their own phone")).to_have_count(2)
    check_ins = page.get_by_text("Arden Armorer checked in Colt Single Action Army #SAA-7 from Rhett Actor")
    expect(check_ins).to_have_count(2)
    _fits_the_phone(page)
    browsing.screenshot(page, "custody-log")


def test_the_gun_waits_for_a_firearms_day_and_its_meeting_the_crew_confirm_from_their_phones_then_it_goes_out(
    production: Production,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    actor = member(production, Role.CREW, Department.CAST, full_name="Rhett Actor")
    revolver = weapon(production, armorer)

    # Nothing on today's schedule yet: the page says so before the form, and offers the armorer the override.
    gun = open_page(user=armorer, javascript=False)
    gun.goto(f"/productions/{production.pk}/armory/weapons/{revolver.pk}/check-out/")
    expect(gun.get_by_text("Today is not a firearms day on the schedule")).to_be_visible()
    expect(gun.get_by_label("Check it out anyway, with no firearms day today, because")).to_be_visible()
    _fits_the_phone(gun)
    browsing.screenshot(gun, "check-out-with-no-firearms-day")

    coordinator = open_page(user=safety, javascript=False)
    coordinator.goto(f"/productions/{production.pk}/days/")
    coordinator.get_by_role("link", name="Add a shooting day").click()
    coordinator.get_by_label("Scenes").fill("12, 14A")
    coordinator.get_by_label("First scene at").fill("23:58")
    coordinator.get_by_label("Wrap at").fill("23:59")
    coordinator.get_by_label("Firearms").check()
    _fits_the_phone(coordinator)
    browsing.screenshot(coordinator, "day-new")
    coordinator.get_by_role("button", name="Add the day").click()
    expect(coordinator.get_by_text("Not recorded yet. No firearm leaves the armory until it is.")).to_be_visible()

    gun.reload()
    expect(gun.get_by_text("Today is not a firearms day on the schedule")).to_have_count(0)
    expect(gun.get_by_text("its safety meeting is not recorded yet")).to_be_visible()
    _fits_the_phone(gun)
    browsing.screenshot(gun, "check-out-waits-for-the-meeting")

    coordinator.get_by_role("link", name="Record the safety meeting").click()
    coordinator.get_by_label("Held at").fill("00:00")
    coordinator.get_by_label("Topics").fill("Blanks on set; cold check at the cart; sightlines for 14A")
    _fits_the_phone(coordinator)
    coordinator.get_by_role("button", name="Record the meeting").click()
    expect(coordinator.get_by_text("The safety meeting is on the record.")).to_be_visible()

    crew_page = open_page(user=actor, javascript=False)
    crew_page.goto(f"/productions/{production.pk}/days/")
    crew_page.get_by_role("link", name=re.compile(r"\d{4}")).first.click()
    _fits_the_phone(crew_page)
    browsing.screenshot(crew_page, "crew-confirms-attendance")
    crew_page.get_by_role("button", name="I was at this safety meeting").click()
    expect(crew_page.get_by_text("You confirmed that you were at this meeting.")).to_be_visible()

    gun.reload()
    expect(gun.get_by_text("its safety meeting is not recorded yet")).to_have_count(0)
    gun.get_by_label("Handed to").select_option(str(actor.pk))
    gun.get_by_role("combobox", name="1st AD").select_option(str(safety.pk))
    gun.get_by_label("Scene").fill("12")
    gun.get_by_label("I showed it and checked it in front of them and the 1st AD").check()
    gun.get_by_role("button", name="Check out").click()
    expect(gun.get_by_text("Colt Single Action Army #SAA-7 is out with Rhett Actor.")).to_be_visible()

    coordinator.reload()
    expect(coordinator.get_by_text("Rhett Actor", exact=False).first).to_be_visible()
    expect(coordinator.get_by_text("confirmed on their own phone that they were at the safety meeting")).to_be_visible()
