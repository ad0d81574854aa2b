"""The trail holds against someone with database access (issue 15, items 10 and 11): the report row is
replayed from its trail, chain heads are sealed with a key outside the database, TRUNCATE is refused,
verify_trail reads one snapshot, and an event keeps its actor's name as it was."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from accounts.models import Production
from incidents.categories import Category
from incidents.models import Event, EventKind, Identity, Report
from incidents.selectors.timeline import report_timeline
from incidents.services.digest import digest_send
from incidents.services.handling import report_acknowledge, report_comment, report_resolve
from incidents.trail import event_hash, verify_trail
from tests.factories import file_report
from tests.incidents.test_trail import behind_the_apps_back

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="raw SQL and triggers of PostgreSQL")


@pytest.fixture
def report(db, production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE, ammunition="blank", identity=Identity.CONFIDENTIAL)
    head = ladder_cast["department_head"]
    report_acknowledge(report_id=report.pk, user=head)
    report_comment(report_id=report.pk, user=head, body="Checking the log")
    report_resolve(report_id=report.pk, user=head, resolution="Armorer retrained")
    return Report.objects.get(pk=report.pk)


def test_the_filed_event_holds_the_fields_as_filed(report):
    filed = report.events.get(kind=EventKind.FILED).payload["set"]
    assert filed["title"] == report.title and filed["description"] == report.description
    assert (filed["severity"], filed["identity"], filed["ammunition"]) == ("high", "confidential", "blank")


@pytest.mark.parametrize(
    ("column", "value"),
    [("title", "Nothing happened"), ("severity", "low"), ("identity", "named"), ("description", "All fine.")],
)
def test_a_report_field_edited_in_sql_breaks_the_trail(report, column, value):
    assert verify_trail(report).intact
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE incidents_report SET {column} = %s WHERE id = %s", [value, report.pk])  # noqa: S608
    check = verify_trail(Report.objects.get(pk=report.pk))
    assert not check.intact
    assert column in check.reason


def test_a_handler_field_edited_in_sql_breaks_the_trail(report, ladder_cast):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report SET resolved_by_id = %s WHERE id = %s", [ladder_cast["executive"].pk, report.pk]
        )
    assert "resolved_by" in verify_trail(Report.objects.get(pk=report.pk)).reason


def rehash_from(report, seq):
    """What someone with database access and the app's own hash function does after an edit: recompute
    every hash from `seq` on and move the report's head, so the chain itself is consistent again."""
    events = list(Event.objects.filter(report=report).order_by("seq"))
    prev = events[seq - 2].hash if seq > 1 else "0" * 64
    for event in events[seq - 1 :]:
        event.refresh_from_db()
        digest = event_hash(
            prev_hash=prev,
            report_id=report.pk,
            seq=event.seq,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=event.payload,
            public=event.public,
            created_at=event.created_at,
        )
        behind_the_apps_back(
            "UPDATE incidents_event SET prev_hash = %s, hash = %s WHERE id = %s", [prev, digest, event.pk]
        )
        prev = digest
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report SET trail_seq = %s, trail_head = %s WHERE id = %s", [len(events), prev, report.pk]
        )


def test_a_payload_rewritten_with_recomputed_hashes_fails_the_seal(report):
    resolved = report.events.get(kind=EventKind.RESOLVED)
    behind_the_apps_back(
        "UPDATE incidents_event SET payload = jsonb_set(payload, '{resolution}', '\"Nothing needed\"') WHERE id = %s",
        [resolved.pk],
    )
    rehash_from(report, resolved.seq)
    check = verify_trail(Report.objects.get(pk=report.pk))
    assert not check.intact
    assert check.reason == "the seal of the trail's head does not match"


def test_a_deleted_last_event_with_the_head_moved_back_fails_the_seal(report):
    last = report.events.order_by("-seq").first()
    before = report.events.get(seq=last.seq - 1)
    behind_the_apps_back("DELETE FROM incidents_notification WHERE event_id = %s", [last.pk])
    behind_the_apps_back("DELETE FROM incidents_event WHERE id = %s", [last.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report SET trail_seq = %s, trail_head = %s, status = 'acknowledged' WHERE id = %s",
            [before.seq, before.hash, report.pk],
        )
    check = verify_trail(Report.objects.get(pk=report.pk))
    assert not check.intact and "seal" in check.reason


def test_truncating_the_events_table_is_refused(report):
    with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL safetrack.trail_truncate_allowed = 'off'")
        cursor.execute("TRUNCATE incidents_event CASCADE")
    assert report.events.count() == 4


def test_an_event_keeps_the_actors_name_after_a_rename(report, ladder_cast, client):
    head = ladder_cast["department_head"]
    head.full_name = "Zed Scapegoat"
    head.save(update_fields=["full_name"])
    entries = report_timeline(Report.objects.get(pk=report.pk), ladder_cast["producer"])
    resolved = next(entry for entry in entries if entry.event.kind == EventKind.RESOLVED)
    assert resolved.actor == "Kay Keygrip"
    client.force_login(ladder_cast["producer"])
    record = client.get(f"/reports/{report.pk}/record/").content.decode()
    assert "Kay Keygrip" in record
    assert verify_trail(Report.objects.get(pk=report.pk)).intact


@pytest.mark.django_db(transaction=True)
def test_verify_trail_raises_no_alarm_while_events_are_appended(production, crew, ladder_cast, monkeypatch, capsys):
    """The command reads each report's head and its events in one snapshot: an event appended (and
    committed) by someone else between reading the report list and reading a trail is not half seen."""
    first = file_report(production, crew)
    second = file_report(production, crew)
    head = ladder_cast["department_head"]
    from incidents.management.commands import verify_trail as command

    real = command.verify_trail
    appended = []

    def verify_then_someone_appends(report):
        check = real(report)
        if report.pk == first.pk:

            def append():
                try:
                    for n in range(3):
                        report_comment(report_id=second.pk, user=head, body=f"Delivery note {n}")
                    appended.append(True)
                finally:
                    connections.close_all()

            worker = threading.Thread(target=append)
            worker.start()
            worker.join()
        return check

    monkeypatch.setattr(command, "verify_trail", verify_then_someone_appends)
    call_command("verify_trail")
    assert appended == [True]
    assert "2 trails intact" in capsys.readouterr().out
    assert verify_trail(Report.objects.get(pk=second.pk)).intact


# --- the seal kept outside the database --------------------------------------------------------------


def seal_line(capsys, production):
    call_command("trail_seal", str(production.pk))
    out = capsys.readouterr().out
    return next(line.split() for line in out.splitlines() if line.startswith(f"  {production.pk} "))


def test_a_printed_seal_still_verifies_after_more_events_are_written(report, production, ladder_cast, capsys):
    line = seal_line(capsys, production)
    report_comment(report_id=report.pk, user=ladder_cast["department_head"], body="Later note")
    call_command("verify_trail", "--seal", *line)
    assert "the trails match the seal" in capsys.readouterr().out


def test_a_rollback_with_the_old_head_and_seal_restored_fails_the_kept_seal(report, production, ladder_cast, capsys):
    """Someone restores the report's earlier head and its earlier (valid) seal after removing the last
    event: the report's own check cannot tell, the seal kept outside the database can."""
    before = Report.objects.get(pk=report.pk)
    report_comment(report_id=report.pk, user=ladder_cast["department_head"], body="The armorer was not there")
    line = seal_line(capsys, production)
    last = report.events.order_by("-seq").first()
    behind_the_apps_back("DELETE FROM incidents_notification WHERE event_id = %s", [last.pk])
    behind_the_apps_back("DELETE FROM incidents_event WHERE id = %s", [last.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report SET trail_seq = %s, trail_head = %s, trail_seal = %s WHERE id = %s",
            [before.trail_seq, before.trail_head, before.trail_seal, report.pk],
        )
    assert verify_trail(Report.objects.get(pk=report.pk)).intact
    with pytest.raises(CommandError, match="no longer match the seal"):
        call_command("verify_trail", "--seal", *line)


def test_the_weekly_digest_carries_the_seal(production, ladder_cast, crew):
    Production.objects.filter(pk=production.pk).update(created_at=timezone.now() - timedelta(days=30))
    production.refresh_from_db()
    file_report(production, crew)
    digest_send(production=production, now=timezone.now())
    email = mail.outbox[-1]
    line = next(line for line in email.body.splitlines() if line.startswith(f"{production.pk} "))
    call_command("verify_trail", "--seal", *line.split())
    assert "Seal of the trails" in email.body
