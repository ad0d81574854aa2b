"""The in-app inbox: one's own notifications, newest first, unread said in words, each leading to its report."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.categories import Category
from incidents.models import Channel, Notification
from incidents.services.handling import report_acknowledge
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def unread(user):
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()


def test_the_inbox_lists_my_notifications_newest_first_with_links(client, production, crew, department_head):
    first = file_report(production, crew, title="First sandbag")
    second = file_report(production, crew, Category.FATIGUE, title="Second: sixteen-hour day")
    client.force_login(department_head)
    page = client.get(reverse("inbox")).content.decode()
    assert page.index("Second: sixteen-hour day") < page.index("First sandbag")
    assert first.get_absolute_url() in page and second.get_absolute_url() in page
    assert page.count(">New</span>") == 2
    assert "New safety report" in page


def test_the_reporter_is_told_who_acknowledged(client, production, crew, department_head):
    report = file_report(production, crew)
    report_acknowledge(report_id=report.pk, user=department_head)
    client.force_login(crew)
    page = client.get(reverse("inbox")).content.decode()
    assert "Kay Keygrip acknowledged your report" in page


def test_nobody_sees_anyone_elses_notifications(client, production, crew, department_head, armorer, outsider):
    file_report(production, crew, title="Only for level one")
    for stranger in (crew, outsider):
        client.force_login(stranger)
        assert "Only for level one" not in client.get(reverse("inbox")).content.decode()


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_inbox_is_paginated(client, production, crew, department_head):
    for number in range(27):
        file_report(production, crew, title=f"Concern {number:02d}")
    client.force_login(department_head)
    page_one = client.get(reverse("inbox")).content.decode()
    assert "Concern 26" in page_one and "Concern 01" not in page_one
    page_two = client.get(reverse("inbox") + "?page=2").content.decode()
    assert "Concern 01" in page_two and "Page 2 of 2" in page_two


def test_marking_one_notification_read(client, production, crew, department_head):
    file_report(production, crew)
    file_report(production, crew)
    one = Notification.objects.filter(recipient=department_head, channel=Channel.IN_APP).first()
    client.force_login(department_head)
    response = client.post(reverse("inbox_mark_read"), {"notification": one.pk, "next": "/inbox/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/inbox/?page=1"
    one.refresh_from_db()
    assert one.read_at is not None and unread(department_head) == 1
    page = client.get(reverse("inbox")).content.decode()
    assert page.count(">New</span>") == 1 and page.count(">Read</span>") == 1


def test_marking_all_read(client, production, crew, department_head, armorer):
    for _ in range(3):
        file_report(production, crew)
    client.force_login(department_head)
    client.post(reverse("inbox_mark_read"), {"all": "1"})
    assert unread(department_head) == 0
    assert unread(armorer) == 3


def test_nobody_can_mark_someone_elses_notification_read(client, production, crew, department_head, outsider):
    file_report(production, crew)
    theirs = Notification.objects.filter(recipient=department_head, channel=Channel.IN_APP).get()
    client.force_login(outsider)
    client.post(reverse("inbox_mark_read"), {"notification": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_mark_read_never_redirects_off_site(client, department_head, next_url):
    client.force_login(department_head)
    response = client.post(reverse("inbox_mark_read"), {"all": "1", "next": next_url})
    assert response["Location"] == reverse("inbox")


def test_mark_read_is_post_only_and_needs_csrf(department_head):
    client = Client(enforce_csrf_checks=True)
    client.force_login(department_head)
    assert client.get(reverse("inbox_mark_read")).status_code == 405
    assert client.post(reverse("inbox_mark_read"), {"all": "1"}).status_code == 403


def test_opening_the_report_marks_its_notifications_read(client, production, crew, department_head):
    report = file_report(production, crew)
    other = file_report(production, crew)
    client.force_login(department_head)
    client.get(report.get_absolute_url())
    assert Notification.objects.get(recipient=department_head, report=report, channel=Channel.IN_APP).read_at
    assert not Notification.objects.get(recipient=department_head, report=other, channel=Channel.IN_APP).read_at


def test_the_inbox_runs_a_constant_number_of_queries(
    client, production, crew, department_head, django_assert_num_queries
):
    report = file_report(production, crew, Category.MISFIRE, ammunition="live")
    client.force_login(department_head)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox"))
    for number in range(15):
        report = file_report(production, crew, Category.FATIGUE if number % 2 else Category.OTHER)
    report_acknowledge(report_id=report.pk, user=department_head)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("inbox"))
