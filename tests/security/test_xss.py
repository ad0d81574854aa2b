"""Hostile text in every field a person can type is shown as text everywhere: pages, the admin, emails,
the webhook. Every text field of reports, comments, resolutions, reopenings, stop-work calls, clearances,
reveal reasons and receipt replies, and the names of people and of the production, hold script, markup,
`javascript:` URLs and template syntax; each page that shows them must show them escaped."""

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Role, User
from incidents.categories import Category
from incidents.models import Channel, CorrectiveAction, Identity, Notification, Report
from incidents.notifications.webhook import payload_for
from incidents.services.actions import action_mark_done, action_verify
from incidents.services.delivery import notification_deliver
from incidents.services.digest import digest_send
from tests.factories import PASSWORD, ProductionFactory, member, plan_form_data
from tests.security.world import anonymous_form_started, jpeg_bytes, photo

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
TEMPLATE = "{{ 7*7 }}"
PAYLOAD = f"{SCRIPT} {IMG} {JS_URL} {TEMPLATE}"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def hostile(label: str) -> str:
    return f"{label} {PAYLOAD}"


class _Scanner(HTMLParser):
    """Finds markup that would run: a script element or an event handler carrying the payload, or a
    `javascript:` URL in an attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert(1)" in value:
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("an <img src=x> made of typed text")
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(1)" in data:
            self.problems.append(f"<script>{data}</script>")


def assert_escaped_html(html: str, where: str, *, shows_payload: bool = True) -> None:
    scanner = _Scanner()
    scanner.feed(html)
    assert scanner.problems == [], f"{where}: {scanner.problems}"
    assert SCRIPT not in html and not re.search(r"<img[^>]*onerror", html, re.IGNORECASE), where
    if shows_payload:  # the page did show the typed text, escaped (else the check above proves nothing)
        assert SCRIPT_ESCAPED in html, f"{where}: the hostile text is not on the page at all"
        assert TEMPLATE in html, f"{where}: template syntax in typed text was interpreted"


@dataclass
class Hostile:
    production: object
    users: dict[str, User]
    reports: dict[str, Report] = field(default_factory=dict)
    receipt: str = ""
    action: CorrectiveAction | None = None  # the firearm report's, hostile text in every field


def _as(client: Client, user: User | None) -> Client:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _ok(response, where: str) -> None:
    assert response.status_code in (200, 302), f"{where}: {response.status_code} {response.content[:500]!r}"


def _report_form(production, category: str, **fields) -> dict:
    when = timezone.localtime(timezone.now() - timedelta(minutes=10), production.tzinfo)
    data = {
        "category": category,
        "title": hostile("title"),
        "description": hostile("description") + "\nsecond line",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "location": hostile("location"),
        "department": Department.GRIP,
        "identity": Identity.NAMED,
        "witnesses": hostile("witnesses"),
        "injuries": "on",
        "injury_description": hostile("injuries"),
    }
    data.update(fields)
    return data


def _file(client: Client, production, category: str, **fields) -> Report:
    before = set(Report.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("report_new") + f"?production={production.pk}", _report_form(production, category, **fields)
    )
    _ok(response, f"filing {category}")
    (new,) = Report.objects.exclude(pk__in=before)
    return new


def build_hostile_world(client: Client) -> Hostile:
    production = ProductionFactory(name=hostile("Production"), webhook_url="https://hooks.example.com/x")
    names = {
        "reporter": (Role.CREW, Department.GRIP),
        "department_head": (Role.DEPARTMENT_HEAD, Department.GRIP),
        "armorer": (Role.ARMORER, Department.PROPS),
        "safety": (Role.SAFETY, Department.PRODUCTION),
        "producer": (Role.PRODUCER, Department.PRODUCTION),
        "executive": (Role.EXECUTIVE, Department.PRODUCTION),
    }
    users = {key: member(production, role, dept, full_name=hostile(key)[:150]) for key, (role, dept) in names.items()}
    world = Hostile(production=production, users=users)
    reporter, head = users["reporter"], users["department_head"]

    _as(client, reporter)
    hostile_photo = photo(IMG + ".jpg", jpeg_bytes())
    world.reports["firearm"] = _file(
        client,
        production,
        Category.MISFIRE,
        weapon=hostile("weapon"),
        ammunition="blank",
        armorer_present="true",
        attachments=[hostile_photo],
    )
    world.reports["warning"] = _file(
        client,
        production,
        Category.IGNORED_WARNING,
        warned_whom=hostile("warned whom")[:200],
        warned_how=hostile("warned how"),
        warned_on=timezone.localdate().isoformat(),
    )
    world.reports["confidential"] = _file(client, production, Category.FATIGUE, identity=Identity.CONFIDENTIAL)
    response = client.post(
        reverse("stop_work_new"),
        {
            "production": production.pk,
            "title": hostile("stop"),
            "description": hostile("stop details"),
            "location": hostile("stop location"),
            "identity": Identity.NAMED,
            "confirm": "on",
        },
    )
    _ok(response, "stop-work call")
    world.reports["stop_work"] = Report.objects.get(category=Category.STOP_WORK)

    _as(client, None)
    response = client.post(
        reverse("anonymous_new", args=[production.join_code]),
        {**_report_form(production, Category.VEHICLES), "started": anonymous_form_started(), "website": ""},
        follow=True,
    )
    _ok(response, "anonymous filing")
    world.receipt = response.context["receipt"]
    world.reports["anonymous"] = Report.objects.get(identity=Identity.ANONYMOUS)
    client.post(reverse("receipt"), {"receipt": world.receipt, "action": "reply", "body": hostile("receipt reply")})

    firearm = world.reports["firearm"]
    _as(client, head)
    for report in world.reports.values():
        _ok(
            client.post(
                reverse("report_comment", args=[report.pk]), {"body": hostile("handler"), "visibility": "reporter"}
            ),
            "handler comment",
        )
    _ok(client.post(reverse("report_acknowledge", args=[firearm.pk])), "acknowledge")
    # Resolving is planning a corrective action (owned by the reporter here), done and verified.
    plan = plan_form_data(hostile("resolution"), reporter)
    plan.update({"action-0-what": hostile("action")[:300], "action-0-done_means": hostile("done means")})
    _ok(client.post(reverse("report_resolve", args=[firearm.pk]), plan), "resolve")
    action = CorrectiveAction.objects.get(report=firearm)
    world.action = action
    action_mark_done(action_id=action.pk, user=reporter, note=hostile("evidence"))
    action_verify(action_id=action.pk, user=head)
    _as(client, reporter)
    _ok(client.post(reverse("report_comment", args=[firearm.pk]), {"body": hostile("reporter")}), "comment")
    _ok(client.post(reverse("report_reopen", args=[firearm.pk]), {"reason": hostile("reopen")}), "reopen")
    _as(client, users["safety"])
    confidential = world.reports["confidential"]
    _ok(client.post(reverse("report_reveal", args=[confidential.pk]), {"reason": hostile("reveal")}), "reveal")
    # A second stop-work call stays in force for the banner; the first one is lifted with a hostile clearance.
    _as(client, users["producer"])
    _ok(
        client.post(
            reverse("stop_work_lift", args=[world.reports["stop_work"].pk]), {"clearance_note": hostile("clearance")}
        ),
        "lift",
    )
    _as(client, reporter)
    client.post(
        reverse("stop_work_new"),
        {"production": production.pk, "title": hostile("banner"), "identity": Identity.NAMED, "confirm": "on"},
    )
    return world


def test_hostile_text_is_escaped_on_every_page_that_shows_it(client):
    world = build_hostile_world(client)
    users, reports, production = world.users, world.reports, world.production
    head, reporter = users["department_head"], users["reporter"]
    on_production = f"?production={production.pk}"
    pages: list[tuple[User | None, str]] = [
        (reporter, reverse("home")),  # the stop-work banner
        (head, reverse("home")),
        (reporter, reverse("report_list")),
        (head, reverse("report_list") + "?tab=production"),
        (head, reverse("dashboard") + on_production),
        (head, reverse("dashboard_queue") + on_production),
        (head, reverse("dashboard") + on_production + "&q=script"),
        (head, reverse("inbox")),
        (reporter, reverse("inbox")),
        (head, reverse("production_detail", args=[production.pk])),
        (reporter, reverse("stop_work_new")),
    ]
    for report in reports.values():
        pages += [
            (head, reverse("report_detail", args=[report.pk])),
            (head, reverse("report_record", args=[report.pk])),
        ]
        if report.reporter_id:
            pages += [
                (reporter, reverse("report_detail", args=[report.pk])),
                (reporter, reverse("report_filed", args=[report.pk])),
            ]
    pages += [
        (users["producer"], reverse("stop_work_lift", args=[reports["stop_work"].pk])),
        (reporter, reverse("action_detail", args=[world.action.pk])),
        (head, reverse("action_detail", args=[world.action.pk])),
    ]
    for user, url in pages:
        response = _as(client, user).get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_escaped_html(response.content.decode(), url)

    _as(client, None)
    status = client.post(reverse("receipt"), {"receipt": world.receipt}, follow=True)
    assert_escaped_html(status.content.decode(), "receipt status")

    notification = Notification.objects.filter(recipient=head, report=reports["firearm"]).order_by("pk").first()
    link = reverse("report_acknowledge_link", args=[reports["firearm"].pk, "forged-token"])
    assert_escaped_html(_as(client, head).get(link).content.decode(), "acknowledge link page", shows_payload=False)
    assert notification is not None


def test_hostile_text_is_escaped_in_the_admin(client, superuser):
    world = build_hostile_world(client)
    _as(client, superuser)
    firearm = world.reports["firearm"]
    pages = [
        reverse("admin:incidents_report_changelist"),
        reverse("admin:incidents_report_changelist") + "?q=script",
        reverse("admin:incidents_report_change", args=[firearm.pk]),
        reverse("admin:incidents_report_change", args=[world.reports["stop_work"].pk]),
        reverse("admin:incidents_event_changelist"),
        reverse("admin:incidents_notification_changelist"),
        reverse("admin:incidents_attachment_changelist"),
        reverse("admin:accounts_production_changelist"),
        reverse("admin:accounts_production_change", args=[world.production.pk]),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[world.users["reporter"].pk]),
        reverse("admin:accounts_membership_changelist"),
        reverse("admin:incidents_escalationpolicy_changelist"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped_html(response.content.decode(), url)


def test_the_csv_export_is_a_download_never_a_page(client):
    world = build_hostile_world(client)
    _as(client, world.users["department_head"])
    response = client.get(reverse("dashboard_export_csv") + f"?production={world.production.pk}")
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT in body  # the text as typed: a spreadsheet shows it, nothing renders it


def test_hostile_text_is_escaped_in_the_html_part_of_every_email_and_kept_as_typed_in_the_text_part(client):
    """Notifications of every kind, and the weekly digest."""
    world = build_hostile_world(client)
    mail.outbox.clear()
    emails = Notification.objects.filter(channel=Channel.EMAIL, report__production=world.production)
    for notification_id in emails.values_list("pk", flat=True):
        notification_deliver(notification_id=notification_id)
    digests = digest_send(production=world.production, now=timezone.now() + timedelta(days=8))
    assert digests and len(mail.outbox) >= 10 + digests
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        ((html, mimetype),) = message.alternatives
        assert mimetype == "text/html"
        assert_escaped_html(html, f"email {message.subject!r}")
        assert "&lt;" not in message.body, "the text part is not HTML: escaping there would garble it"
        assert SCRIPT in message.body


def test_the_webhook_payload_escapes_hostile_text_for_slack(client):
    """Slack reads `<...>` in a message as a link or a mention (`<!channel>`): typed text must not make one."""
    world = build_hostile_world(client)
    hooks = Notification.objects.filter(channel=Channel.WEBHOOK, report__production=world.production)
    assert hooks.exists()
    for notification in hooks.select_related("report__production", "event", "recipient"):
        payload = payload_for(notification)
        text = payload["text"]
        json.dumps(payload)  # serialisable as it is sent
        links = re.findall(r"<([^>]*)>", text)
        assert links == [settings.SITE_URL + notification.report.get_absolute_url()], links
        assert SCRIPT not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize("target", [JS_URL, "https://evil.example/phish", "//evil.example/phish", "/\\evil.example"])
def test_no_next_parameter_sends_anyone_to_a_script_or_another_site(client, production, crew, target):
    client.force_login(crew)
    answers = [
        client.post(reverse("inbox_mark_read"), {"all": "1", "next": target}),
        client.post(reverse("production_switch", args=[production.pk]), {"next": target}),
    ]
    client.logout()
    answers.append(client.post(reverse("login") + f"?next={target}", {"username": crew.email, "password": PASSWORD}))
    client.logout()
    answers.append(
        client.post(
            reverse("signup") + f"?next={target}",
            {
                "full_name": "New Person",
                "email": "new.person@example.com",
                "language": "en",
                "password1": "a long enough passphrase",
                "password2": "a long enough passphrase",
            },
        )
    )
    for response in answers:
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
