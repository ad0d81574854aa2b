"""The armory's evidence: per weapon and per day, as CSV (safe to open in a spreadsheet) and in the
investigation record of a report SafeTrack filed about an armory record; the trail verifies."""

import csv
import io
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import GapKind, Report
from incidents.reporting.exports import record_build
from incidents.reporting.record_pdf import record_pdf
from incidents.services.armory.custody import CheckOut, custody_check_in, custody_check_out
from incidents.services.armory.days import DayPlan, attendance_confirm, day_schedule, days_sweep, meeting_record
from incidents.services.armory.time_requests import time_request_answer, time_request_make
from tests.factories import member, weapon

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def story(production, armorer, safety, upm, producer, crew):
    """A firearms day: the meeting, a crew member's attendance, the revolver out to an actor named like a
    formula and back, and a time request for that day refused by the UPM."""
    today = timezone.localtime(timezone.now(), production.tzinfo).date()
    plan = DayPlan(date=today, scenes="12", first_scene=time(7, 0), wrap=time(19, 0), firearms=True)
    day = day_schedule(production=production, user=safety, plan=plan)
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics='=HYPERLINK("x")')
    attendance_confirm(day_id=day.pk, user=crew)
    actor = member(production, full_name="=cmd|' /C calc'!A0", department="cast")
    revolver = weapon(production, armorer)
    record = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True),
    ).record
    custody_check_in(record_id=record.pk, user=armorer, rounds_back=0, rounds_fired=0)
    asked = time_request_make(
        production=production, user=armorer, kind="securing", what="Two hours", reason="No safe", needed_on=today
    )
    time_request_answer(request_id=asked.pk, user=upm, approve=False, answer="Over budget")
    return {"day": day, "revolver": revolver, "actor": actor}


def test_a_days_evidence_has_its_meeting_attendance_custody_and_refused_request(client, production, safety, story):
    client.force_login(safety)
    response = client.get(reverse("day_evidence", args=[production.pk, story["day"].pk]))

    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    text = "\n".join(row[4] for row in rows[1:-1])
    assert "recorded the safety meeting" in text
    assert "Gabi Grip confirmed on their own phone" in text
    assert "checked out Colt Single Action Army #SAA-7" in text
    assert "REFUSED the request" in text and "Over budget" in text
    assert rows[-1][0].startswith("Armory trail intact")
    # Nothing a spreadsheet would run: every cell that starts like a formula is quoted.
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_weapons_evidence_has_its_custody_and_the_meeting_of_its_day(client, production, safety, story):
    client.force_login(safety)
    rows = _rows(client.get(reverse("armory_weapon_evidence", args=[production.pk, story["revolver"].pk])))
    text = "\n".join(row[4] for row in rows[1:-1])
    assert "checked in Colt Single Action Army #SAA-7" in text
    assert "recorded the safety meeting" in text
    assert "REFUSED" not in text  # requests belong to days, not weapons


def test_crew_cannot_download_evidence(client, production, crew, story):
    client.force_login(crew)
    assert client.get(reverse("day_evidence", args=[production.pk, story["day"].pk])).status_code == 403


def test_the_investigation_record_of_a_refused_request_carries_the_armory_evidence(production, upm, producer, story):
    report = Report.objects.get(armory_gap__kind=GapKind.TIME_REFUSED)
    record = record_build(report=report, viewer=producer)

    sections = {section.title: section for section in record.sections}
    assert "The armory record" in sections and "Armory evidence" in sections
    evidence = "\n".join(field.value for field in sections["Armory evidence"].fields)
    assert "REFUSED the request" in evidence and "Armory trail intact" in evidence
    assert record_pdf(record).startswith(b"%PDF")


def test_the_record_of_a_missed_meeting_shows_the_day(production, armorer, safety, producer):
    today = timezone.localtime(timezone.now(), production.tzinfo).date() + timedelta(days=1)
    plan = DayPlan(date=today, scenes="40", first_scene=time(7, 0), wrap=time(19, 0), firearms=True)
    day = day_schedule(production=production, user=safety, plan=plan)
    days_sweep(now=day.first_scene_at)
    report = Report.objects.get(armory_gap__kind=GapKind.MEETING_MISSED)

    record = record_build(report=report, viewer=producer)

    evidence = "\n".join(field.value for section in record.sections for field in section.fields)
    assert "scheduled the shooting day" in evidence
    assert "no safety meeting on the record" in evidence
