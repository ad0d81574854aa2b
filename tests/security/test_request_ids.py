"""Ids read from a request are ASCII digits only (issue 15, item 6): Unicode digits such as "²" made
`str.isdigit()` say yes and `int()` answer 500; Arabic-Indic digits were read as another number."""

import pytest
from django.urls import reverse

from incidents.models import Notification
from safetrack.ids import id_from
from tests.factories import file_report

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + digit) for digit in range(10)))
SUPERSCRIPT_TWO = "\u00b2"
ARABIC_ONE = "\u0661"
FULLWIDTH_TWELVE = "\uff11\uff12"


@pytest.mark.parametrize(
    "raw",
    [SUPERSCRIPT_TWO, ARABIC_ONE, FULLWIDTH_TWELVE, "12a", "-3", "0", "", " ", "99999999999999999999", "1e3", "+4"],
)
def test_id_from_refuses_anything_but_ascii_digits(raw):
    assert id_from(raw) is None


def test_id_from_reads_ascii_digits():
    assert id_from(" 42 ") == 42
    assert id_from(None) is None


@pytest.mark.parametrize("name", ["dashboard", "dashboard_queue", "dashboard_export_csv"])
@pytest.mark.parametrize("raw", [SUPERSCRIPT_TWO, ARABIC_ONE])
def test_dashboard_pages_answer_404_for_a_production_in_unicode_digits(client, department_head, name, raw):
    client.force_login(department_head)
    assert client.get(reverse(name), {"production": raw}).status_code == 404


def test_dashboard_does_not_read_arabic_indic_digits_as_a_production_number(client, department_head, production):
    client.force_login(department_head)
    assert client.get(reverse("dashboard"), {"production": str(production.pk)}).status_code == 200
    assert (
        client.get(reverse("dashboard"), {"production": str(production.pk).translate(ARABIC_INDIC)}).status_code == 404
    )


def test_report_form_answers_404_for_a_production_in_unicode_digits(client, crew, production):
    client.force_login(crew)
    assert client.get(reverse("report_new"), {"production": "²"}).status_code == 404
    assert (
        client.get(reverse("report_new"), {"production": str(production.pk).translate(ARABIC_INDIC)}).status_code == 404
    )


def test_marking_a_notification_read_with_unicode_digits_changes_nothing(client, production, crew, department_head):
    file_report(production, crew)
    notification = Notification.objects.get(recipient=department_head, channel="in_app")
    client.force_login(department_head)
    for raw in (SUPERSCRIPT_TWO, str(notification.pk).translate(ARABIC_INDIC)):
        response = client.post(reverse("inbox_mark_read"), {"notification": raw})
        assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is None
