"""Random and hostile input at every form: the answer is a page with a message (2xx/3xx/4xx), never a
500, and nothing is half-saved: a report exists with its whole trail, or not at all; a refused comment,
resolution, reopening, reply, stop-work call, join or sign-up changes no row.

The profile (examples, deadline) is set in tests/security/conftest.py; HYPOTHESIS_PROFILE=thorough
runs ten times as many."""

import io
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.urls import reverse
from django.utils.html import escape
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from accounts.models import Department, Membership, User
from incidents.categories import Category
from incidents.models import (
    ActionStatus,
    Attachment,
    CorrectiveAction,
    Event,
    EventKind,
    Identity,
    Notification,
    Report,
    ReportStatus,
)
from incidents.services.actions import action_mark_done
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_resolve
from incidents.services.receipt import receipt_new
from tests.factories import draft, file_report, plan_actions, plan_form_data
from tests.security.world import anonymous_form_started, jpeg_bytes

pytestmark = pytest.mark.django_db

# --- what is thrown at the forms -------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",  # right-to-left override
    "Robert'); DROP TABLE incidents_report;--",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }}{% debug %}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "=cmd|' /C calc'!A0",
    "\r\n\r\nSet-Cookie: x=1",
    "💥" * 300,
    "x" * 250,
    "y" * 12000,
    "\uff21\uff22\uff23\uff11\uff12\uff13",  # full-width letters and digits
    "null",
    "None",
    "-1",
    "1e309",
    "NaN",
]
text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "-1", "1.5", "0x10", "1e9", "٣", "9" * 40]),
    text,
)
dates = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.sampled_from(
        ["2025-02-30 10:00", "2025-13-01T10:00", "0000-01-01T00:00", "9999-12-31T23:59", "yesterday", "now", "", "T"]
    ),
    text,
)
choice = st.one_of(
    st.sampled_from([c.value for c in Category] + [d.value for d in Department] + ["named", "anonymous"]),
    numbers,
)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge picture (a decompression bomb), with almost no data."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return bytes(data)


HOSTILE_FILES = [
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120,
    jpeg_bytes() + b"<script>alert(1)</script>",
    jpeg_bytes()[:40],
    b"%PDF-1.4\n%%EOF\n",
    b"%PDF-1.4 no end",
    _png_claiming(100_000, 100_000),
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,
    b"GIF89a" + b"\x00" * 20,
    b"",
]
file_names = st.one_of(
    st.sampled_from(["photo.jpg", "x.svg", "../../etc/passwd", "a" * 300 + ".jpg", "con.jpg", ".htaccess", "p.php"]),
    # Any name a browser can send that Django passes on: it drops a file part whose name is empty once it keeps
    # the last path part and only printable characters (MultiPartParser.sanitize_file_name), before any form
    # or view of ours sees it.
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80).filter(
        lambda name: MultiPartParser.sanitize_file_name(None, name) is not None
    ),
)
uploads = st.lists(
    st.tuples(file_names, st.one_of(st.sampled_from(HOSTILE_FILES), st.binary(max_size=512), st.just(jpeg_bytes()))),
    max_size=7,
)

# --- what every answer must be ---------------------------------------------------------------------------

COUNTED = (Report, Event, Attachment, Notification, Membership, User, CorrectiveAction)


def counts() -> dict[str, int]:
    """Rows a submission may write. A handler shown the page again has viewed the report: not counted."""
    found = {model.__name__: model.objects.count() for model in COUNTED}
    found["Event"] = Event.objects.exclude(kind=EventKind.VIEWED).count()
    return found


def _bound_forms(response: Any) -> list[forms.BaseForm]:
    if response.context is None:
        return []
    found = []
    for context in response.context:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound and value not in found:
                found.append(value)
    return found


def assert_refused_with_a_message(response: Any, before: dict[str, int]) -> None:
    """Nothing changed, and the person is told why."""
    assert counts() == before, "a refused submission changed rows"
    assert response.status_code in (200, 400, 403, 404, 405, 410, 429), response.status_code
    html = response.content.decode()
    if response.status_code == 200:
        errors = [str(m) for form in _bound_forms(response) for ms in form.errors.values() for m in ms]
        assert errors, "refused without saying why"
        assert any(escape(m) in html or m in html for m in errors), f"the messages are not on the page: {errors}"
    else:
        assert html.strip(), "an empty error page"


def assert_answered(response: Any) -> None:
    assert response.status_code < 500
    assert response.status_code in (200, 201, 302, 303, 400, 403, 404, 405, 410, 429), response.status_code


def assert_report_whole(report: Report) -> None:
    events = list(report.events.order_by("seq"))
    assert events and events[0].kind in (EventKind.FILED, EventKind.STOP_WORK_CALLED)
    assert report.trail_seq == len(events) and [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].payload["attachments"] == report.attachments.count()


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.RATELIMIT_ENABLE = False  # the limits have their own tests; these send many requests
    settings.ATTACHMENT_MAX_BYTES = 4096  # "too large" reached without generating megabytes


# --- the report form -------------------------------------------------------------------------------------


def _multipart(fields: dict[str, Any], files: list[tuple[str, bytes]]) -> dict[str, Any]:
    data = dict(fields)
    if files:
        data["attachments"] = [SimpleUploadedFile(name, content) for name, content in files]
    return data


@given(
    category=choice,
    severity=choice,
    title=text,
    description=text,
    occurred_at=dates,
    location=text,
    department=choice,
    injuries=st.sampled_from(["", "on", "off", "1", "true", "x"]),
    weapon=text,
    ammunition=choice,
    armorer_present=st.sampled_from(["", "unknown", "true", "false", "2", "3", "x"]),
    identity=choice,
    warned_on=dates,
    warned_how=text,
    earlier=numbers,
    earlier_q=text,
    kept=st.lists(text, max_size=3),
    files=uploads,
)
def test_the_report_form_answers_any_input_and_saves_a_whole_report_or_nothing(
    client, production, crew, ladder_cast, files, earlier, kept, **fields
):
    client.force_login(crew)
    before, known = counts(), set(Report.objects.values_list("pk", flat=True))
    data = _multipart({**fields, "earlier_reports": earlier, "kept_attachments": kept}, files)
    response = client.post(reverse("report_new") + f"?production={production.pk}", data)
    assert_answered(response)
    new = list(Report.objects.exclude(pk__in=known))
    if not new:
        assert_refused_with_a_message(response, before)
        return
    (report,) = new
    assert_report_whole(report)
    assert report.attachments.count() <= len(files)
    for attachment in report.attachments.all():
        assert attachment.content_type in ("image/jpeg", "image/png", "image/webp", "application/pdf")


@given(category=st.sampled_from([c.value for c in Category]), files=uploads)
def test_only_photos_and_pdfs_are_ever_stored_whatever_the_files(
    client, production, crew, ladder_cast, category, files
):
    client.force_login(crew)
    before, known = counts(), set(Report.objects.values_list("pk", flat=True))
    fields = {
        "category": category,
        "title": "Files attached",
        "description": "See the files.",
        "occurred_at": "2025-01-10T09:30",
        "ammunition": "unknown",
        "warned_how": "Told the key grip.",
        "identity": Identity.NAMED,
    }
    response = client.post(reverse("report_new") + f"?production={production.pk}", _multipart(fields, files))
    assert_answered(response)
    new = list(Report.objects.exclude(pk__in=known))
    if not new:
        assert_refused_with_a_message(response, before)
        return
    (report,) = new
    assert_report_whole(report)
    for attachment in report.attachments.all():
        with attachment.file.open("rb") as handle:
            stored = handle.read()
        assert b"<script" not in stored.lower() and b"<svg" not in stored.lower() and not stored.startswith(b"MZ")


@given(production_id=numbers)
def test_the_report_form_for_any_production_number_is_a_page_or_not_found(client, production, crew, production_id):
    client.force_login(crew)
    response = client.get(reverse("report_new") + "?production=" + quote(production_id))
    if "\x00" in production_id:  # any address with a NUL byte is refused up front
        assert response.status_code == 400
    else:
        assert response.status_code in (200, 404)


# --- comment, resolve, reopen ----------------------------------------------------------------------------


@given(body=text, visibility=st.one_of(st.sampled_from(["reporter", "internal", ""]), text), as_handler=st.booleans())
def test_a_comment_is_saved_whole_or_refused_with_a_message(
    client, production, crew, ladder_cast, body, visibility, as_handler
):
    report = file_report(production, crew, Category.OTHER)
    client.force_login(ladder_cast["safety"] if as_handler else crew)
    before = counts()
    response = client.post(reverse("report_comment", args=[report.pk]), {"body": body, "visibility": visibility})
    assert_answered(response)
    comments = list(report.events.filter(kind=EventKind.COMMENTED))
    if not comments:
        assert_refused_with_a_message(response, before)
        return
    assert response.status_code == 302 and len(comments) == 1
    assert comments[0].payload["body"] == body.strip()


@given(resolution=text, acknowledged=st.booleans())
def test_a_resolution_is_saved_whole_or_refused_with_a_message(
    client, production, crew, ladder_cast, resolution, acknowledged
):
    report = file_report(production, crew, Category.OTHER)
    handler = ladder_cast["armorer"]
    if acknowledged:
        report_acknowledge(report_id=report.pk, user=handler)
    client.force_login(handler)
    before = counts()
    response = client.post(reverse("report_resolve", args=[report.pk]), plan_form_data(resolution, crew))
    assert_answered(response)
    report.refresh_from_db()
    if not report.actions.exists():
        assert_refused_with_a_message(response, before)
        assert report.status != ReportStatus.RESOLVED
        return
    assert report.resolution == resolution.strip() and report.events.filter(kind=EventKind.ACTIONS_PLANNED).count() == 1


# Each example renders the whole report page (or an action's) again: slower than the profile's deadline
# on a loaded machine, whatever the input.
SLOW_PAGE = settings(deadline=timedelta(seconds=30))


@SLOW_PAGE
@given(
    what=text,
    owner=numbers,
    due_on=dates,
    done_means=text,
    total=st.one_of(st.sampled_from(["1", "3", "11", "1000", "-1", ""]), numbers),
    initial=st.sampled_from(["0", "1", "x", ""]),
)
@example(what="Re-rig", owner="me", due_on="2020-01-01", done_means="Signed", total="3", initial="0")
@example(what="Re-rig", owner="1", due_on="9999-12-31", done_means="Signed", total="3", initial="0")
@example(what="'", owner="0", due_on="2025-02-30 10:00", done_means="", total="0", initial="0")
def test_a_plan_of_actions_is_saved_whole_or_refused_with_a_message(
    client, production, crew, ladder_cast, what, owner, due_on, done_means, total, initial
):
    """Every field of an action row, and the formset's own counters, thrown at the resolve form: the plan
    is saved whole (every action, one event) or refused with a message, and the typed text comes back."""
    report = file_report(production, crew, Category.OTHER)
    handler = ladder_cast["armorer"]
    client.force_login(handler)
    data = plan_form_data("Plan", *(() if owner == "me" else (crew,)))
    data.update(
        {
            "action-TOTAL_FORMS": total,
            "action-INITIAL_FORMS": initial,
            "action-0-what": what,
            "action-0-owner": str(handler.pk) if owner == "me" else owner,
            "action-0-due_on": due_on,
            "action-0-done_means": done_means,
        }
    )
    before = counts()
    response = client.post(reverse("report_resolve", args=[report.pk]), data)
    assert_answered(response)
    if not report.actions.exists():
        assert counts() == before, "a refused plan changed rows"
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="alert alert-danger"' in html or "invalid-feedback" in html, "refused without saying why"
        formset = response.context.get("action_formset") if response.context else None
        # What was typed comes back, when it was in a row the form counts (a browser always sends the
        # counters it was given; tampered ones leave no rows to show).
        counted = formset is not None and formset.management_form.is_valid() and formset.total_form_count() > 0
        if what.strip() and "\x00" not in what and counted:
            assert escape(what.strip()) in html or escape(what) in html, "the typed action was lost"
        return
    assert report.events.filter(kind=EventKind.ACTIONS_PLANNED).count() == 1
    assert report.actions.first().what == what.strip()


@SLOW_PAGE
@given(note=text, files=uploads)
def test_marking_an_action_done_is_saved_whole_or_refused_with_a_message(
    client, production, crew, ladder_cast, note, files
):
    report = file_report(production, crew, Category.OTHER)
    owner = ladder_cast["department_head"]
    (action,) = plan_actions(report, ladder_cast["safety"], owner)
    client.force_login(owner)
    before = counts()
    posted = [SimpleUploadedFile(name or "x", content) for name, content in files]
    response = client.post(reverse("action_done", args=[action.pk]), {"note": note, "evidence": posted})
    assert_answered(response)
    action.refresh_from_db()
    if action.status == ActionStatus.PLANNED:
        assert_refused_with_a_message(response, before)
        return
    assert action.done_note == note.strip()
    assert Attachment.objects.filter(action=action).count() == len(files)
    assert report.events.filter(kind=EventKind.ACTION_DONE).count() == 1


@SLOW_PAGE
@given(reason=text)
def test_sending_an_action_back_is_saved_whole_or_refused_with_a_message(client, production, crew, ladder_cast, reason):
    report = file_report(production, crew, Category.OTHER)
    owner = ladder_cast["department_head"]
    (action,) = plan_actions(report, ladder_cast["safety"], owner)
    action_mark_done(action_id=action.pk, user=owner, note="Done.")
    client.force_login(ladder_cast["upm"])
    before = counts()
    response = client.post(reverse("action_send_back", args=[action.pk]), {"reason": reason})
    assert_answered(response)
    action.refresh_from_db()
    if action.status == ActionStatus.DONE:
        assert_refused_with_a_message(response, before)
        return
    assert report.events.get(kind=EventKind.ACTION_SENT_BACK).payload["reason"] == reason.strip()


@given(reason=text)
def test_a_reopening_is_saved_whole_or_refused_with_a_message(client, production, crew, ladder_cast, reason):
    report = file_report(production, crew, Category.OTHER)
    handler = ladder_cast["armorer"]
    report_acknowledge(report_id=report.pk, user=handler)
    report_resolve(report_id=report.pk, user=handler, resolution="Fixed.")
    client.force_login(crew)
    before = counts()
    response = client.post(reverse("report_reopen", args=[report.pk]), {"reason": reason})
    assert_answered(response)
    report.refresh_from_db()
    if report.status != ReportStatus.OPEN:
        assert_refused_with_a_message(response, before)
        return
    assert report.events.get(kind=EventKind.REOPENED).payload["reason"] == reason.strip()


# --- without an account: the anonymous form and the receipt ---------------------------------------------


@given(
    category=choice,
    title=text,
    description=text,
    occurred_at=dates,
    ammunition=choice,
    website=st.one_of(st.just(""), text),
    started=st.one_of(st.just("fresh"), text),
    files=uploads,
)
def test_the_anonymous_form_answers_any_input_and_saves_a_whole_report_or_nothing(
    client, production, ladder_cast, files, started, **fields
):
    before, known = counts(), set(Report.objects.values_list("pk", flat=True))
    data = _multipart({**fields, "started": anonymous_form_started() if started == "fresh" else started}, files)
    response = client.post(reverse("anonymous_new", args=[production.join_code]), data)
    assert_answered(response)
    new = list(Report.objects.exclude(pk__in=known))
    if not new:
        assert_refused_with_a_message(response, before)
        return
    (report,) = new
    assert_report_whole(report)
    assert report.reporter_id is None and report.identity == Identity.ANONYMOUS and report.receipt_hash
    assert response.status_code == 303 and response["Location"] == reverse("receipt")  # the code goes with it


@pytest.fixture
def receipt_report(production, ladder_cast):
    receipt = receipt_new()
    report = report_file(production=production, reporter=None, draft=draft(), receipt_hash=receipt.hash)
    return report, receipt.code


@given(
    code=st.one_of(st.just("right"), text),
    action=st.one_of(st.sampled_from(["view", "reply", "reopen", ""]), text),
    body=text,
    reason=text,
    join_code=st.one_of(st.just(""), text),
)
@example(code="right", action="reopen", body="", reason="It is still broken.", join_code="")
@example(code="right", action="reply", body="", reason="", join_code="")
@example(code="right", action="reply", body="A reply.", reason="", join_code="")
def test_the_receipt_form_answers_any_input_and_changes_nothing_it_refuses(
    client, receipt_report, code, action, body, reason, join_code
):
    report, right = receipt_report
    before = counts()
    data = {
        "receipt": right if code == "right" else code,
        "action": action,
        "body": body,
        "reason": reason,
        "production": join_code,
    }
    response = client.post(reverse("receipt"), data)
    assert_answered(response)
    if counts() == before:
        if code != "right" or action in ("reply", "reopen"):
            assert_refused_with_a_message(response, before)
        return
    assert code == "right" and action in ("reply", "reopen")
    assert report.events.filter(kind__in=[EventKind.COMMENTED, EventKind.REOPENED]).exists()


# --- stop-work, joining, signing up -------------------------------------------------------------------------


@given(
    production_field=st.one_of(st.just("mine"), numbers),
    title=text,
    description=text,
    location=text,
    identity=choice,
    confirm=st.sampled_from(["on", "", "off", "yes"]),
)
def test_the_stop_work_form_answers_any_input_and_calls_it_whole_or_not_at_all(
    client, production, crew, ladder_cast, production_field, **fields
):
    client.force_login(crew)
    before, known = counts(), set(Report.objects.values_list("pk", flat=True))
    data = {**fields, "production": production.pk if production_field == "mine" else production_field}
    response = client.post(reverse("stop_work_new"), data)
    assert_answered(response)
    new = list(Report.objects.exclude(pk__in=known))
    if not new:
        assert_refused_with_a_message(response, before)
        return
    (report,) = new
    assert_report_whole(report)
    assert report.category == Category.STOP_WORK and report.production_id == production.pk


@given(code=st.one_of(st.just("right"), text.filter(lambda s: "/" not in s and s.strip())), department=choice)
def test_joining_answers_any_code_and_department(client, production, other_production, outsider, code, department):
    client.force_login(outsider)
    Membership.objects.filter(user=outsider, production=production).delete()
    before = counts()
    join_code = production.join_code if code == "right" else code
    response = client.post(
        reverse("join", args=["x"]).replace("x", quote(join_code, safe="")), {"department": department}
    )
    assert_answered(response)
    joined = Membership.objects.filter(user=outsider, production=production).exists()
    if not joined:
        if response.status_code == 404:
            assert counts() == before and response.content.strip()
        else:
            assert_refused_with_a_message(response, before)
        return
    assert code == "right" and response.status_code == 302


@given(
    full_name=text,
    email=st.one_of(st.emails(), text),
    language=choice,
    password1=text,
    password2=st.one_of(st.just("same"), text),
)
def test_signing_up_answers_any_input_and_creates_a_whole_account_or_none(
    client, db, full_name, email, language, password1, password2
):
    client.logout()
    before = counts()
    data = {
        "full_name": full_name,
        "email": email,
        "language": language,
        "password1": password1,
        "password2": password1 if password2 == "same" else password2,
    }
    response = client.post(reverse("signup"), data)
    assert_answered(response)
    if counts() == before:
        assert_refused_with_a_message(response, before)
        return
    user = User.objects.get(email=email.strip().lower())
    assert response.status_code == 302 and user.check_password(password1) and user.full_name


@pytest.mark.parametrize("code", ["%00", "A%00B", "%F0%9F%92%A5", "..", "%20", "x" * 300])
def test_a_junk_join_code_in_the_url_names_no_production(client, production, crew, code):
    """A NUL byte once reached PostgreSQL (which refuses it in text) and answered 500. Now any address
    with a NUL byte is refused up front (400); other junk names no production (404)."""
    if "%00" in code:
        assert client.get(f"/anonymous/{code}/").status_code == 400
        client.force_login(crew)
        assert client.get(f"/join/{code}/").status_code == 400
        return
    assert client.get(f"/anonymous/{code}/").status_code == 404
    client.force_login(crew)
    response = client.get(f"/join/{code}/")
    assert response.status_code == 404 and "join code" in response.content.decode().lower()
