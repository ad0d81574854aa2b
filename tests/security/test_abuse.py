"""Abuse of the public pages: rate limits with a clear 429, single-use expiring acknowledge links that need
the recipient's login, join codes nobody can guess (and that can be replaced), login lockout."""

import time

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.urls import reverse

from accounts.models import CODE_ALPHABET, JOIN_CODE_LENGTH, Department, Membership, User, new_join_code
from incidents.categories import Category
from incidents.models import Channel, Notification, Report, ReportStatus
from incidents.notifications.message import ACK_SALT, ack_token
from tests.factories import PASSWORD, UserFactory, file_report
from tests.security.world import anonymous_form_started

pytestmark = pytest.mark.django_db

IP = "198.51.100.23"


def _signup(client, n: int, ip: str = IP):
    data = {
        "full_name": f"Person {n}",
        "email": f"person.{n}@example.org",
        "language": "en",
        "password1": "a long enough passphrase",
        "password2": "a long enough passphrase",
    }
    response = client.post(reverse("signup"), data, REMOTE_ADDR=ip)
    client.logout()
    return response


def test_sign_ups_past_the_limit_get_429_with_a_clear_message_and_create_nobody(client):
    for n in range(10):
        assert _signup(client, n).status_code == 302
    limited = _signup(client, 10)
    assert limited.status_code == 429
    assert "Too many sign-ups from this network. Try again in an hour." in limited.content.decode()
    assert "Person 10" in limited.content.decode()  # what was typed is kept
    assert not User.objects.filter(email="person.10@example.org").exists()
    assert _signup(client, 11, ip="203.0.113.9").status_code == 302  # another network is not affected


def test_joining_past_the_limit_gets_429_with_a_clear_message(client, production, outsider):
    client.force_login(outsider)
    for n in range(30):
        client.get(reverse("join", args=[f"GUESS{n:07d}"]))
    limited = client.post(reverse("join", args=[production.join_code]), {"department": Department.GRIP})
    assert limited.status_code == 429
    assert "Too many attempts. Try again in an hour." in limited.content.decode()
    assert not Membership.objects.filter(user=outsider, production=production).exists()


def test_anonymous_filing_past_the_limit_gets_429_with_the_text_kept(client, production, ladder_cast):
    data = {
        "category": Category.OTHER,
        "title": "Cable across the walkway",
        "description": "No ramp over the cable to stage 4.",
        "occurred_at": "2025-01-10T09:30",
        "started": anonymous_form_started(),
        "website": "",
    }
    url = reverse("anonymous_new", args=[production.join_code])
    for _ in range(10):
        response = client.post(url, {**data, "started": anonymous_form_started()}, REMOTE_ADDR=IP)
        assert response.status_code == 303  # filed, then redirected to its receipt
    limited = client.post(url, {**data, "started": anonymous_form_started()}, REMOTE_ADDR=IP)
    page = limited.content.decode()
    assert limited.status_code == 429
    assert (
        "Too many reports were sent from this network in the last hour" in page and "Cable across the walkway" in page
    )
    assert Report.objects.count() == 10


def test_receipt_look_ups_past_the_limit_get_429_with_a_clear_message(client, db):
    for _ in range(60):
        client.post(reverse("receipt"), {"receipt": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"}, REMOTE_ADDR=IP)
    limited = client.post(reverse("receipt"), {"receipt": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"}, REMOTE_ADDR=IP)
    assert limited.status_code == 429
    assert "Too many attempts from this network. Wait an hour and try again." in limited.content.decode()


# --- acknowledge links ------------------------------------------------------------------------------------


@pytest.fixture
def emailed(production, crew, ladder_cast):
    """The email the department head got about a new report, and the acknowledge link in it."""
    report = file_report(production, crew, Category.OTHER)
    notification = Notification.objects.get(
        report=report, recipient=ladder_cast["department_head"], channel=Channel.EMAIL
    )
    return report, notification, reverse("report_acknowledge_link", args=[report.pk, ack_token(notification)])


def test_an_acknowledge_link_needs_the_recipients_login(client, emailed, ladder_cast):
    report, _, link = emailed
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(ladder_cast["armorer"])  # a handler who could acknowledge, but not the recipient
    refused = client.post(link)
    assert refused.status_code == 403 and "This link was sent to someone else." in refused.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_an_acknowledge_link_works_once(client, emailed, ladder_cast):
    report, _, link = emailed
    client.force_login(ladder_cast["department_head"])
    assert client.post(link).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED
    again = client.post(link)
    assert again.status_code == 410 and "This link has already been used." in again.content.decode()


def test_an_acknowledge_link_expires(client, emailed, ladder_cast, settings, monkeypatch):
    report, notification, _ = emailed
    signed_then = time.time() - settings.ACK_LINK_MAX_AGE_SECONDS - 60
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(signed_then)))
    old = reverse("report_acknowledge_link", args=[report.pk, ack_token(notification)])
    monkeypatch.undo()
    client.force_login(ladder_cast["department_head"])
    response = client.post(old)
    assert response.status_code == 410 and "This link has expired." in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN


def test_an_acknowledge_token_is_bound_to_its_salt_and_key(emailed):
    _, notification, _ = emailed
    token = ack_token(notification)
    with pytest.raises(signing.BadSignature):
        signing.TimestampSigner(salt="safetrack.something-else").unsign(token)
    assert signing.TimestampSigner(salt=ACK_SALT).unsign(token) == str(notification.pk)


# --- join codes ---------------------------------------------------------------------------------------------


def test_join_codes_are_long_and_from_an_unambiguous_alphabet(production):
    codes = {new_join_code() for _ in range(2000)} | {production.join_code}
    assert len(codes) == 2001
    assert JOIN_CODE_LENGTH >= 12
    assert not set(CODE_ALPHABET) & set("0O1IL")
    for code in codes:
        assert len(code) >= 12 and set(code) <= set(CODE_ALPHABET)


def test_a_production_admin_regenerates_the_join_code_and_the_old_one_stops_working(client, production, crew):
    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name="Production admins"))
    production.admins.add(admin)
    old = production.join_code
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_production_changelist"),
        {"action": "regenerate_join_code", "_selected_action": [production.pk]},
        follow=True,
    )
    production.refresh_from_db()
    assert production.join_code != old and len(production.join_code) >= 12
    assert f"New join code for {production.name}: {production.join_code}" in response.content.decode()
    client.force_login(crew)
    assert client.get(reverse("join", args=[old])).status_code == 404
    assert client.get(reverse("anonymous_new", args=[old])).status_code == 404
    assert client.get(reverse("join", args=[production.join_code])).status_code == 200


# --- login lockout ------------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message_even_with_the_right_one(client, settings):
    user = UserFactory(email="locked@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post(reverse("login"), {"username": user.email, "password": "wrong"}, REMOTE_ADDR=IP)
        assert wrong.status_code == 200 and "Please enter a correct" in wrong.content.decode()
    last = client.post(reverse("login"), {"username": user.email, "password": "wrong"}, REMOTE_ADDR=IP)
    assert last.status_code == 429  # the failure that reaches the limit already says so
    locked = client.post(reverse("login"), {"username": user.email, "password": PASSWORD}, REMOTE_ADDR=IP)
    page = locked.content.decode()
    assert locked.status_code == 429
    assert "Too many failed logins" in page and "Reset my password" in page
    assert "locked for 30 minutes" in page and "PT30M" not in page  # words, not an ISO 8601 duration
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_locked_out_too(client, settings, superuser):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": superuser.email, "password": "wrong"}, REMOTE_ADDR=IP)
    locked = client.post(reverse("admin:login"), {"username": superuser.email, "password": PASSWORD}, REMOTE_ADDR=IP)
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
