"""Members cannot flood a production (issue 15, items 4 and 5): anyone with the poster's join code can
become a member, and every report and stop-work call emails its levels."""

import time

import pytest
from django.core import mail
from django.urls import reverse

from incidents.categories import Category
from incidents.forms.anonymous import started_token
from incidents.models import Identity, Report
from incidents.services.stop_work import stop_work_call, stop_work_lift
from tests.factories import UserFactory
from tests.incidents.test_report_form import form_data, new_url

pytestmark = pytest.mark.django_db


def test_a_member_filing_past_ten_a_minute_gets_429_with_the_text_kept(client, production, crew, ladder_cast):
    client.force_login(crew)
    for n in range(10):
        data = form_data(production, identity=Identity.ANONYMOUS, title=f"Flood {n}")
        assert client.post(new_url(production), data).status_code == 303  # anonymous: on to the receipt page
    data = form_data(production, title="The eleventh", description="Typed with care, not lost.")
    response = client.post(new_url(production), data)
    page = response.content.decode()
    assert response.status_code == 429
    assert "You sent too many reports in a short time" in page
    assert "The eleventh" in page and "Typed with care, not lost." in page
    assert Report.objects.count() == 10


def test_the_filing_limit_is_per_member(client, production, crew, other_crew, ladder_cast):
    client.force_login(crew)
    for n in range(10):
        client.post(new_url(production), form_data(production, title=f"Mine {n}"))
    client.force_login(other_crew)
    assert client.post(new_url(production), form_data(production, title="Theirs")).status_code == 302


def stop_work_data(production, reason="Live round in the prop box", identity=Identity.NAMED):
    return {
        "production": production.pk,
        "title": reason,
        "description": "",
        "location": "",
        "identity": identity,
        "confirm": "on",
    }


def test_a_stop_work_call_while_the_members_own_is_active_is_refused_with_a_link(client, production, crew, ladder_cast):
    first = stop_work_call(production=production, caller=crew, reason="Gas smell on stage 2")
    sent = len(mail.outbox)
    client.force_login(crew)
    response = client.post(reverse("stop_work_new"), stop_work_data(production))
    page = response.content.decode()
    assert response.status_code == 409
    assert "Your stop-work call on this production is still active" in page
    assert f'href="{first.get_absolute_url()}"' in page
    assert Report.objects.filter(category=Category.STOP_WORK).count() == 1
    assert len(mail.outbox) == sent


def test_a_member_may_call_stop_work_three_times_an_hour_per_production(client, production, crew, ladder_cast):
    client.force_login(crew)
    for n in range(3):
        response = client.post(reverse("stop_work_new"), stop_work_data(production, f"Call {n}", Identity.ANONYMOUS))
        assert response.status_code == 303  # anonymous: on to the receipt page
    response = client.post(reverse("stop_work_new"), stop_work_data(production, "Call 4", Identity.ANONYMOUS))
    assert response.status_code == 429
    assert "too often in the last hour" in response.content.decode()
    assert Report.objects.filter(category=Category.STOP_WORK).count() == 3


def test_a_member_may_call_stop_work_again_once_their_call_is_lifted(client, production, crew, ladder_cast):
    first = stop_work_call(production=production, caller=crew, reason="Gas smell on stage 2")
    stop_work_lift(report_id=first.pk, user=ladder_cast["producer"], clearance_note="Gas line checked")
    client.force_login(crew)
    response = client.post(reverse("stop_work_new"), stop_work_data(production))
    assert response.status_code == 302
    assert Report.objects.filter(category=Category.STOP_WORK).count() == 2


def test_the_anonymous_forms_start_token_files_one_report_only(client, production, ladder_cast):
    started = started_token(time.time() - 30)
    url = reverse("anonymous_new", args=[production.join_code])
    data = form_data(production, title="Cable across the walkway", started=started, website="")
    data.pop("identity")
    data.pop("idempotency_key", None)
    assert client.post(url, data).status_code == 303  # filed: on to the receipt page
    again = client.post(url, {**data, "title": "Replayed with the same token"})
    page = again.content.decode()
    assert "This form already sent a report" in page
    assert "Replayed with the same token" in page
    assert Report.objects.count() == 1


def test_password_reset_sends_at_most_three_emails_per_address_an_hour(client, db):
    UserFactory(email="crew@example.com")
    answers = [client.post(reverse("password_reset"), {"email": "crew@example.com"}) for _ in range(12)]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("password_reset_done"))}
    assert len(mail.outbox) == 3
    client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert client.get(reverse("password_reset_done")).status_code == 200
