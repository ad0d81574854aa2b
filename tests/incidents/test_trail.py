"""The append-only, hash-chained trail: nobody edits it, and an edit made behind the app's back is found."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from incidents.categories import Category
from incidents.models import Event, EventKind
from incidents.models.event import AppendOnlyError
from incidents.services.handling import (
    report_acknowledge,
    report_comment,
    report_mark_viewed,
    report_reopen,
    report_resolve,
)
from incidents.trail import verify_trail
from tests.factories import file_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(production, crew, ladder_cast):
    report = file_report(production, crew, Category.MISFIRE, ammunition="blank")
    head = ladder_cast["department_head"]
    report_mark_viewed(report=report, user=head)
    report_acknowledge(report_id=report.pk, user=head)
    report_comment(report_id=report.pk, user=head, body="Checking the log")
    report_resolve(report_id=report.pk, user=head, resolution="Armorer retrained")
    report_reopen(report_id=report.pk, user=crew, reason="Jammed again")
    report.refresh_from_db()
    return report


def behind_the_apps_back(sql, params):
    """Change the events table with raw SQL, the way someone with database access would. On PostgreSQL
    the append-only trigger refuses that, so it is switched off inside this test's transaction only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses to run while deferred foreign-key checks are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE incidents_event DISABLE TRIGGER incidents_event_append_only")
        cursor.execute(sql, params)


def test_every_action_writes_its_event_and_the_chain_holds(report):
    assert list(report.events.order_by("seq").values_list("kind", flat=True)) == [
        EventKind.FILED,
        EventKind.VIEWED,
        EventKind.ACKNOWLEDGED,
        EventKind.COMMENTED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
    ]
    check = verify_trail(report)
    assert check.intact and check.events == 6


def test_an_event_cannot_be_changed_or_removed_through_the_orm(report):
    event = report.events.order_by("seq").first()
    event.payload = {"severity": "low"}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(kind=EventKind.COMMENTED)
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(report=report).delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.bulk_update([event], ["payload"])
    assert verify_trail(report).intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_on_postgresql_the_database_itself_refuses_an_update_or_delete(report):
    event = report.events.order_by("seq").first()
    for sql in (
        "UPDATE incidents_event SET kind = 'commented' WHERE id = %s",
        "DELETE FROM incidents_event WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])


def test_a_hand_edited_event_breaks_the_chain_at_that_row(report, ladder_cast):
    acknowledged = report.events.get(kind=EventKind.ACKNOWLEDGED)
    behind_the_apps_back(
        "UPDATE incidents_event SET actor_id = %s WHERE id = %s", [ladder_cast["executive"].pk, acknowledged.pk]
    )
    check = verify_trail(report)
    assert not check.intact
    assert check.broken_seq == acknowledged.seq == 3
    assert check.reason == "content does not match its hash"


def test_a_rehashed_forgery_still_breaks_the_chain_at_the_next_row(report):
    """Someone who recomputes the edited row's own hash still breaks the link from the row after it."""
    resolved = report.events.get(kind=EventKind.RESOLVED)
    behind_the_apps_back("UPDATE incidents_event SET hash = %s WHERE id = %s", ["f" * 64, resolved.pk])
    check = verify_trail(report)
    assert not check.intact and check.broken_seq == resolved.seq


def delete_event(event):
    behind_the_apps_back("DELETE FROM incidents_notification WHERE event_id = %s", [event.pk])
    behind_the_apps_back("DELETE FROM incidents_event WHERE id = %s", [event.pk])


def test_a_deleted_event_is_found(report):
    last = report.events.order_by("-seq").first()
    delete_event(last)
    check = verify_trail(report)
    assert not check.intact and check.reason == "events are missing at the end of the trail"

    middle = report.events.get(kind=EventKind.COMMENTED)
    delete_event(middle)
    assert verify_trail(report).broken_seq == middle.seq + 1


def test_verify_trail_command_passes_when_every_chain_is_intact(report, production, crew, capsys):
    file_report(production, crew)
    call_command("verify_trail")
    assert "2 trails intact (7 events)." in capsys.readouterr().out


def test_verify_trail_command_names_the_first_broken_row_and_fails(report, production, crew, capsys):
    intact = file_report(production, crew)
    comment = report.events.get(kind=EventKind.COMMENTED)
    behind_the_apps_back("UPDATE incidents_event SET public = %s WHERE id = %s", [False, comment.pk])
    with pytest.raises(CommandError, match="1 of 2 trails are broken"):
        call_command("verify_trail")
    err = capsys.readouterr().err
    assert f"Report #{report.pk}: trail broken at event {comment.seq}: content does not match its hash" in err
    assert f"Report #{intact.pk}" not in err
    call_command("verify_trail", str(intact.pk))
    with pytest.raises(CommandError, match="No report with id 999999"):
        call_command("verify_trail", "999999")
