"""Never filed twice: every report form and stop-work call carries a key, and a key files one report."""

import re
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Department
from incidents.categories import Category
from incidents.forms.anonymous import started_token
from incidents.models import Channel, EventKind, Identity, Notification, Report
from incidents.services.filing import report_file
from incidents.services.receipt import report_for_receipt
from tests.factories import draft, member
from tests.incidents.test_report_form import form_data, new_url

KEY_INPUT = re.compile(r'name="idempotency_key" value="([0-9a-f-]{36})"')


@pytest.fixture
def crew_client(client, crew):
    client.force_login(crew)
    return client


def _receipt_code(page: str) -> str:
    match = re.search(r"\b([A-Z2-9]{5}(?:-[A-Z2-9]{5}){4})\b", page)
    assert match, "no receipt code on the page"
    return match.group(1)


@pytest.mark.django_db
def test_the_report_form_carries_a_fresh_key_in_the_page_without_javascript(crew_client, production):
    first = KEY_INPUT.search(crew_client.get(new_url(production)).content.decode())
    second = KEY_INPUT.search(crew_client.get(new_url(production)).content.decode())
    assert first and second
    assert first.group(1) != second.group(1)


@pytest.mark.django_db
def test_a_report_sent_twice_with_the_same_key_is_filed_once_and_both_answers_show_it(
    crew_client, production, ladder_cast
):
    data = form_data(production, idempotency_key=str(uuid.uuid4()))
    first = crew_client.post(new_url(production), data)
    emails_after_first = Notification.objects.filter(channel=Channel.EMAIL).count()
    second = crew_client.post(new_url(production), data)
    report = Report.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("report_filed", args=[report.pk])
    assert report.events.filter(kind=EventKind.FILED).count() == 1
    assert Notification.objects.filter(channel=Channel.EMAIL).count() == emails_after_first  # nobody told twice


@pytest.mark.django_db
def test_different_keys_file_different_reports(crew_client, production):
    crew_client.post(new_url(production), form_data(production, idempotency_key=str(uuid.uuid4())))
    crew_client.post(new_url(production), form_data(production, idempotency_key=str(uuid.uuid4())))
    assert Report.objects.count() == 2


JUNK_KEYS = ["'; DROP TABLE x; --", "\x00", "abc\x00def", "9" * 500]


@pytest.mark.django_db
@pytest.mark.parametrize("junk", JUNK_KEYS)
def test_a_junk_key_is_ignored_and_the_report_is_filed(crew_client, production, junk):
    """The key is hidden: nothing in it may refuse the report with an error nobody can see."""
    response = crew_client.post(new_url(production), form_data(production, idempotency_key=junk))
    assert response.status_code == 302
    assert Report.objects.get().idempotency_key is None


@pytest.mark.django_db
@pytest.mark.parametrize("junk", JUNK_KEYS)
def test_a_stop_work_call_with_a_junk_key_is_called_all_the_same(client, production, crew, ladder_cast, junk):
    client.force_login(crew)
    data = {"production": production.pk, "title": "Live round", "identity": Identity.NAMED, "confirm": "on"}
    response = client.post(reverse("stop_work_new"), {**data, "idempotency_key": junk})
    call = Report.objects.get()
    assert response["Location"] == call.get_absolute_url()
    assert call.idempotency_key is None


@pytest.mark.django_db
def test_a_nul_byte_alone_in_the_save_time_reads_as_no_save_time(crew_client, production):
    response = crew_client.post(new_url(production), form_data(production, saved_at="\x00"))
    assert response.status_code == 302
    assert "filed_late" not in Report.objects.get().events.get(kind=EventKind.FILED).payload


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["1" * 500, "yesterday\x00\x00"])
def test_a_junk_save_time_is_said_on_the_page_and_nothing_is_filed(crew_client, production, junk):
    response = crew_client.post(new_url(production), form_data(production, saved_at=junk))
    assert response.status_code == 200
    assert Report.objects.count() == 0
    [message] = response.context["form"].non_field_errors()
    assert escape(message) in response.content.decode()


@pytest.mark.django_db
def test_a_key_that_filed_someone_elses_report_is_refused_and_what_was_typed_stays(
    client, production, crew, other_crew
):
    key = uuid.uuid4()
    report_file(production=production, reporter=crew, draft=draft(idempotency_key=key))
    client.force_login(other_crew)
    response = client.post(
        new_url(production), form_data(production, title="Cable across the walkway", idempotency_key=str(key))
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This form was already used to send another report" in page
    assert "Cable across the walkway" in page
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_an_anonymous_report_sent_twice_shows_the_same_receipt_which_opens_it(crew_client, production):
    data = form_data(production, identity=Identity.ANONYMOUS, idempotency_key=str(uuid.uuid4()))
    # The receipt crosses a redirect (post/redirect/get) to the page that shows it once.
    first = _receipt_code(crew_client.post(new_url(production), data, follow=True).content.decode())
    second = _receipt_code(crew_client.post(new_url(production), data, follow=True).content.decode())
    report = Report.objects.get()
    assert first == second
    assert report_for_receipt(first) == report
    assert report.reporter is None


@pytest.mark.django_db
def test_the_no_account_anonymous_page_files_a_repeat_once_with_the_same_receipt(client, production):
    url = reverse("anonymous_new", args=[production.join_code])
    data = form_data(
        production, idempotency_key=str(uuid.uuid4()), started=started_token(timezone.now().timestamp() - 60)
    )
    del data["identity"]
    codes = [_receipt_code(client.post(url, data, follow=True).content.decode()) for _ in range(2)]
    assert codes[0] == codes[1]
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_stop_work_call_sent_twice_alerts_everyone_once(client, production, crew, ladder_cast):
    client.force_login(crew)
    page = client.get(reverse("stop_work_new")).content.decode()
    key = KEY_INPUT.search(page).group(1)
    data = {
        "production": production.pk,
        "title": "Live round in the prop cart",
        "identity": Identity.NAMED,
        "confirm": "on",
        "idempotency_key": key,
    }
    first = client.post(reverse("stop_work_new"), data)
    alerted = Notification.objects.count()
    second = client.post(reverse("stop_work_new"), data)
    call = Report.objects.get()
    assert first["Location"] == second["Location"] == call.get_absolute_url()
    assert call.events.filter(kind=EventKind.STOP_WORK_CALLED).count() == 1
    assert Notification.objects.filter(channel=Channel.IN_APP, recipient=ladder_cast["producer"]).count() == 1
    assert Notification.objects.count() == alerted  # nobody alerted twice


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_file_one_report(production, crew, ladder_cast):
    """Both pass the "already filed?" look-up before either commits; the unique key decides."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")
    key = uuid.uuid4()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def file_it() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(report_file(production=production, reporter=crew, draft=draft(idempotency_key=key)).pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    report = Report.objects.get()
    assert results == [report.pk] * 4
    assert report.events.filter(kind=EventKind.FILED).count() == 1


# --- drafts saved on the phone without signal ---------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_saved_offline_is_filed_late_and_the_trail_says_when_it_was_saved(crew_client, production):
    saved = timezone.now() - timedelta(hours=3)
    data = form_data(production, occurred_at="", saved_at=saved.isoformat(), idempotency_key=str(uuid.uuid4()))
    response = crew_client.post(new_url(production), data, HTTP_ACCEPT="application/json")
    report = Report.objects.get()
    assert response.status_code == 200
    assert response.json() == {"report": report.pk, "url": report.get_absolute_url(), "receipt": ""}
    assert report.occurred_at == saved  # nobody typed a time: it happened when it was saved
    filed = report.events.get(kind=EventKind.FILED)
    assert filed.payload["filed_late"] is True
    assert filed.payload["saved_on_phone_at"] == saved.isoformat()
    page = crew_client.get(report.get_absolute_url()).content.decode()
    assert "Filed late: saved on the phone without signal at" in page


@pytest.mark.django_db
def test_a_draft_keeps_the_time_typed_on_the_phone(crew_client, production):
    saved = timezone.now() - timedelta(hours=1)
    typed = timezone.localtime(saved - timedelta(minutes=20), production.tzinfo)
    data = form_data(production, occurred_at=typed.strftime("%Y-%m-%dT%H:%M"), saved_at=saved.isoformat())
    crew_client.post(new_url(production), data)
    assert Report.objects.get().occurred_at == typed.replace(second=0, microsecond=0)


@pytest.mark.parametrize(
    ("saved_at", "message"),
    [
        ("2999-01-01T00:00:00Z", "saved on the phone in the future"),
        ("2001-01-01T00:00:00Z", "more than 30 days ago"),
        ("yesterday-ish", "is not a time"),
    ],
)
@pytest.mark.django_db
def test_a_draft_with_an_impossible_save_time_is_refused_with_a_clear_message(
    crew_client, production, saved_at, message
):
    data = form_data(production, saved_at=saved_at, title="Frayed safety cable")
    html = crew_client.post(new_url(production), data)
    assert message in html.content.decode()
    assert "Frayed safety cable" in html.content.decode()
    answer = crew_client.post(new_url(production), data, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400
    assert any(message in error for error in answer.json()["errors"])
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_form_without_a_time_or_a_save_time_asks_when_it_happened(crew_client, production):
    response = crew_client.post(new_url(production), form_data(production, occurred_at=""))
    assert "Say when it happened (now is fine)." in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_draft_for_a_production_the_sender_left_is_not_filed(client, production):
    former = member(production, department=Department.CAMERA)
    former.memberships.all().delete()
    client.force_login(former)
    response = client.post(new_url(production), form_data(production), HTTP_ACCEPT="application/json")
    assert response.status_code in (302, 404)
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_a_firearm_draft_keeps_its_category_and_key(crew_client, production, ladder_cast):
    key = str(uuid.uuid4())
    crew_client.post(new_url(production), form_data(production, Category.MISFIRE, idempotency_key=key))
    assert str(Report.objects.get().idempotency_key) == key
