"""Web Push through a real push-service process on 127.0.0.1 (tests/push_service.py), which checks the
VAPID signature and decrypts each payload with the subscription's own keys, as a browser would."""

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents.categories import Category
from incidents.models import Channel, EventKind, Identity, Notification, PushSubscription
from incidents.notifications.push import vapid_public_key
from incidents.services.delivery import Delivery, notification_deliver
from incidents.services.stop_work import stop_work_call
from support.processes import LiveStack, free_port, wait_for_port
from tests.factories import file_report

pytestmark = pytest.mark.django_db


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class PushService:
    origin: str
    folder: Path
    keys_file: Path
    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def subscription(self, user, kind: str = "push") -> PushSubscription:
        """A browser's subscription: a key pair and auth secret only it (and this service) knows."""
        name = secrets.token_hex(6)
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = secrets.token_bytes(16)
        self.keys[name] = {
            "private_key": b64(private.private_numbers().private_value.to_bytes(32, "big")),
            "auth": b64(auth),
        }
        self.keys_file.write_text(json.dumps(self.keys))
        return PushSubscription.objects.create(
            user=user, endpoint=f"{self.origin}/{kind}/{name}", p256dh=b64(public), auth=b64(auth), device="Test phone"
        )

    def received(self) -> list[dict]:
        return [json.loads(path.read_text()) for path in sorted(self.folder.glob("*.json"))]


@pytest.fixture
def push_service(settings, tmp_path: Path) -> Iterator[PushService]:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_SUBJECT = "mailto:safety@example.com"
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    settings.PUSH_SERVICE_HOSTS = [origin]
    folder, keys_file = tmp_path / "pushed", tmp_path / "push-keys.json"
    keys_file.write_text("{}")
    stack = LiveStack(folder=tmp_path, env={"PYTHONUNBUFFERED": "1"})
    args = ["-m", "tests.push_service", "--port", str(port), "--folder", str(folder), "--keys", str(keys_file)]
    process = stack.start("push-service", [*args, "--vapid-public-key", vapid_public_key()])
    wait_for_port(port)
    yield PushService(origin, folder, keys_file)
    process.stop()


def _deliver_all(channel: str, *, rounds: int = 1) -> list[Delivery]:
    """Run the deliveries of `channel` as the worker would, each retry as soon as its backoff allows."""
    outcomes = []
    for attempt in range(rounds):
        later = timezone.now() + timedelta(hours=attempt)
        for pk in Notification.objects.filter(channel=channel, status=Notification.Status.PENDING).values_list(
            "pk", flat=True
        ):
            outcomes.append(notification_deliver(notification_id=pk, now=later))
    return outcomes


def test_a_push_reaches_the_phone_signed_and_encrypted_and_says_what_and_how_urgent(
    production, crew, ladder_cast, push_service
):
    head = ladder_cast["department_head"]
    push_service.subscription(head)
    report = file_report(
        production, crew, Category.LIVE_AMMUNITION, title="Live round in the prop cart", ammunition="live"
    )
    assert _deliver_all(Channel.PUSH) == [Delivery.SENT]

    [received] = push_service.received()
    assert received["status"] == 201, received
    payload = received["payload"]
    assert payload["severity"] == "critical"
    assert payload["title"].startswith("CRITICAL · ")
    assert "Live round in the prop cart" in payload["body"]
    assert payload["url"] == report.get_absolute_url()
    assert payload["acknowledge"] == "Acknowledge"
    assert payload["acknowledge_url"] == reverse("report_acknowledge", args=[report.pk])
    assert received["urgency"] == "high"
    row = Notification.objects.get(channel=Channel.PUSH)
    assert row.recipient == head
    assert report.events.filter(kind=EventKind.NOTIFIED, payload__notification=row.pk).count() == 1


def test_a_push_never_names_a_confidential_or_anonymous_reporter(production, crew, ladder_cast, push_service):
    push_service.subscription(ladder_cast["department_head"])
    file_report(production, crew, Category.OTHER, title="Harassment on the night shoot", identity=Identity.CONFIDENTIAL)
    stop_work_call(
        production=production, caller=crew, reason="Unsafe rigging over the crowd", identity=Identity.ANONYMOUS
    )
    _deliver_all(Channel.PUSH)
    received = push_service.received()
    assert len(received) == 2
    for entry in received:
        text = json.dumps(entry["payload"])
        assert crew.full_name not in text
        assert crew.email not in text


def test_a_push_service_answering_gone_removes_the_subscription_and_the_row_fails_at_once(
    production, crew, ladder_cast, push_service
):
    head = ladder_cast["department_head"]
    push_service.subscription(head, kind="gone")
    file_report(production, crew, Category.OTHER)
    assert _deliver_all(Channel.PUSH) == [Delivery.FAILED]
    assert not PushSubscription.objects.filter(user=head).exists()
    row = Notification.objects.get(channel=Channel.PUSH)
    assert "gone (HTTP 410)" in row.last_error
    # The next report does not try push for this person any more.
    file_report(production, crew, Category.OTHER, title="Second")
    assert Notification.objects.filter(channel=Channel.PUSH).count() == 1


def test_a_refusing_push_service_ends_failed_with_its_error_while_email_still_goes_out(
    production, crew, ladder_cast, push_service, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    head = ladder_cast["department_head"]
    push_service.subscription(head, kind="refuse")
    file_report(production, crew, Category.OTHER)
    outcomes = _deliver_all(Channel.PUSH, rounds=3)
    assert outcomes == [Delivery.RETRY, Delivery.RETRY, Delivery.FAILED]
    row = Notification.objects.get(channel=Channel.PUSH)
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 3)
    assert "HTTP 503" in row.last_error
    assert not row.report.events.filter(kind=EventKind.NOTIFIED, payload__channel=Channel.PUSH).exists()
    assert PushSubscription.objects.filter(user=head).exists()  # down is not gone
    _deliver_all(Channel.EMAIL)
    assert head.email in [message.to[0] for message in mail.outbox]


def test_a_push_signed_with_another_key_is_refused_by_the_service(
    production, crew, ladder_cast, push_service, settings
):
    push_service.subscription(ladder_cast["department_head"])
    file_report(production, crew, Category.OTHER)
    other = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64(other.private_numbers().private_value.to_bytes(32, "big"))
    assert _deliver_all(Channel.PUSH) == [Delivery.RETRY]
    assert push_service.received()[0]["problem"] == "signed with another application server key"


def test_without_vapid_keys_nobody_is_offered_push(client, crew, settings):
    settings.VAPID_PRIVATE_KEY = ""
    client.force_login(crew)
    page = client.get(reverse("account")).content.decode()
    assert "Push notifications are not set up on this server yet" in page
    assert 'id="push-on"' not in page
