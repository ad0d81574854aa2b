"""The account page: push on a phone, channels per severity, and the floor (critical reports and stop-work
calls reach every channel a person set up, whatever they chose)."""

import base64
import json
import secrets

import pytest
from django.urls import reverse

from incidents.categories import Category, Severity
from incidents.models import Channel, ChannelPreference, Notification, PushSubscription
from incidents.services.contacts import channels_choose
from incidents.services.stop_work import stop_work_call
from tests.factories import file_report

pytestmark = pytest.mark.django_db

ORIGIN = "https://fcm.googleapis.com"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscription_json(endpoint: str = f"{ORIGIN}/fcm/send/abc123") -> dict:
    return {
        "endpoint": endpoint,
        "keys": {"p256dh": b64(b"\x04" + secrets.token_bytes(64)), "auth": b64(secrets.token_bytes(16))},
    }


def _channels_for(user, event_report) -> set[str]:
    return set(Notification.objects.filter(report=event_report, recipient=user).values_list("channel", flat=True))


@pytest.fixture
def head_with_push(ladder_cast):
    head = ladder_cast["department_head"]
    PushSubscription.objects.create(user=head, endpoint=f"{ORIGIN}/fcm/send/head", p256dh="k", auth="a")
    return head


def test_without_a_choice_every_channel_set_up_is_used(production, crew, head_with_push):
    report = file_report(production, crew, Category.OTHER, severity=Severity.MEDIUM)
    assert _channels_for(head_with_push, report) == {Channel.IN_APP, Channel.EMAIL, Channel.PUSH}


def test_a_choice_below_critical_is_followed_and_the_inbox_always_stays(production, crew, head_with_push):
    channels_choose(user=head_with_push, by_severity={Severity.MEDIUM: [Channel.PUSH], Severity.HIGH: []})
    medium = file_report(production, crew, Category.OTHER, severity=Severity.MEDIUM)
    high = file_report(production, crew, Category.RIGGING, severity=Severity.HIGH)
    assert _channels_for(head_with_push, medium) == {Channel.IN_APP, Channel.PUSH}
    assert _channels_for(head_with_push, high) == {Channel.IN_APP}


def test_critical_reports_and_stop_work_calls_ignore_the_choice(production, crew, head_with_push):
    channels_choose(
        user=head_with_push, by_severity={severity: [] for severity in (Severity.HIGH, Severity.MEDIUM, Severity.LOW)}
    )
    critical = file_report(production, crew, Category.OTHER, severity=Severity.CRITICAL)
    call = stop_work_call(production=production, caller=crew, reason="Live round found")
    everything = {Channel.IN_APP, Channel.EMAIL, Channel.PUSH}
    assert _channels_for(head_with_push, critical) == everything
    assert _channels_for(head_with_push, call) == everything


def test_a_choice_for_critical_cannot_be_stored(production, crew, head_with_push):
    preference = channels_choose(
        user=head_with_push, by_severity={Severity.CRITICAL: [], Severity.LOW: ["fax", "sms", "push"]}
    )
    assert preference.by_severity == {Severity.LOW: [Channel.PUSH, Channel.SMS]}


def test_the_account_page_saves_the_choices_and_says_the_floor(client, head_with_push):
    client.force_login(head_with_push)
    page = client.get(reverse("account")).content.decode()
    assert "Critical, and stop-work calls" in page
    response = client.post(
        reverse("account"), {Severity.HIGH: [Channel.EMAIL, Channel.PUSH], Severity.LOW: [Channel.EMAIL]}
    )
    assert response.status_code == 302
    assert ChannelPreference.objects.get(user=head_with_push).by_severity == {
        Severity.HIGH: [Channel.EMAIL, Channel.PUSH],
        Severity.MEDIUM: [],
        Severity.LOW: [Channel.EMAIL],
    }
    page = client.get(reverse("account")).content.decode()
    assert "Critical reports and stop-work calls still reach you on every channel." in page


def test_the_account_page_refuses_a_made_up_channel_with_a_message(client, head_with_push):
    client.force_login(head_with_push)
    response = client.post(reverse("account"), {Severity.HIGH: ["carrier-pigeon"]})
    assert response.status_code == 400
    assert "Choose email, push notifications or text messages." in response.content.decode()
    assert not ChannelPreference.objects.exists()


def test_a_phone_turns_push_on_and_off(client, crew, settings):
    settings.VAPID_PRIVATE_KEY = b64(secrets.token_bytes(31) + b"\x01")
    client.force_login(crew)
    response = client.post(
        reverse("push_subscription_add"), json.dumps(subscription_json()), content_type="application/json"
    )
    assert response.status_code == 201
    subscription = PushSubscription.objects.get(user=crew)
    assert "Turn off" in client.get(reverse("account")).content.decode()
    client.post(reverse("push_subscription_remove", args=[subscription.pk]))
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json at all", "cannot read"),
        (json.dumps(subscription_json("http://127.0.0.1:6379/steal")), "push service is not one SafeTrack can use"),
        (
            json.dumps({"endpoint": f"{ORIGIN}/x", "keys": {"p256dh": "short", "auth": "x"}}),
            "keys SafeTrack cannot use",
        ),
        (json.dumps(["a", "list"]), "cannot read"),
    ],
)
def test_a_bad_subscription_is_refused_with_a_message(client, crew, settings, body, message):
    settings.VAPID_PRIVATE_KEY = b64(secrets.token_bytes(31) + b"\x01")
    client.force_login(crew)
    response = client.post(reverse("push_subscription_add"), body, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_nobody_turns_off_someone_elses_phone(client, crew, other_crew):
    theirs = PushSubscription.objects.create(
        user=other_crew, endpoint=f"{ORIGIN}/fcm/send/theirs", p256dh="k", auth="a"
    )
    client.force_login(crew)
    client.post(reverse("push_subscription_remove", args=[theirs.pk]))
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()


def test_unticking_every_box_saves_inbox_only(client, head_with_push):
    client.force_login(head_with_push)
    assert client.post(reverse("account"), {}).status_code == 302
    assert ChannelPreference.objects.get(user=head_with_push).by_severity == {
        Severity.HIGH: [],
        Severity.MEDIUM: [],
        Severity.LOW: [],
    }
