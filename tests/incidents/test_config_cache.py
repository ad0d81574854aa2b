"""The ladder, the handlers and the people's contacts are cached per process, keyed on
Production.config_version, which database triggers bump on every change to them: a warm filing reads none
of them, and no edit, however it is made, is ever served stale to the next request (which loads the
production row afresh)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Department, Membership, Production, Role
from incidents.categories import Severity
from incidents.ladder import ladder_for
from incidents.models import (
    Channel,
    EscalationLevel,
    EscalationPolicy,
    PhoneNumber,
    PushSubscription,
    Report,
    WarningTerm,
)
from incidents.selectors.contacts import ContactBook
from incidents.services.contacts import channels_choose
from incidents.services.firearm_flags import scanner_for
from incidents.services.recipients import Crew
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db


def fresh(production: Production) -> Production:
    """The production row as the next request loads it."""
    return Production.objects.get(pk=production.pk)


def test_a_warm_ladder_and_crew_cost_no_query(production, ladder_cast, django_assert_num_queries):
    ladder_for(fresh(production))
    Crew.of_production(fresh(production))
    row = fresh(production)
    with django_assert_num_queries(0):
        assert ladder_for(row).levels[0].number == 1
        assert Crew.of_production(row).level_recipients
    assert ladder_for(row) is ladder_for(fresh(production))  # the same object: nothing rebuilt


def test_a_level_changed_by_a_raw_update_is_seen_by_the_next_request(production, ladder_cast):
    assert ladder_for(fresh(production)).level(1).critical_timeout == timedelta(minutes=5)
    level_one = EscalationLevel.objects.filter(policy__production=production, number=1)
    level_one.update(critical_timeout=timedelta(seconds=7))
    assert ladder_for(fresh(production)).level(1).critical_timeout == timedelta(seconds=7)


def test_policy_settings_people_on_a_level_and_a_deleted_level_are_seen(production, ladder_cast, outsider):
    before = fresh(production).config_version
    policy = EscalationPolicy.objects.get(production=production)
    policy.repeat_incident_enabled = False
    policy.save()
    assert ladder_for(fresh(production)).policy.repeat_incident_enabled is False
    level = policy.levels.get(number=2)
    level.people.add(outsider)
    assert [p.pk for p in ladder_for(fresh(production)).level(2).people.all()] == [outsider.pk]
    policy.levels.filter(number=5).delete()
    assert ladder_for(fresh(production)).top == 4
    assert fresh(production).config_version > before


def test_a_handler_who_joins_changes_role_or_leaves_is_seen(production, ladder_cast, django_assert_num_queries):
    report = Report(production_id=production.pk, department="")  # unsaved: concerns nobody, no reporter
    level_one = ladder_for(fresh(production)).level(1)
    names = lambda: {u.full_name for u in Crew.of_production(fresh(production)).level_recipients(level_one, report)}  # noqa: E731
    assert names() == {"Kay Keygrip", "Arden Armorer"}
    newcomer = member(production, Role.ARMORER, Department.PROPS, full_name="New Armorer")
    assert "New Armorer" in names()
    Membership.objects.filter(user=newcomer).update(role=Role.CREW)
    assert "New Armorer" not in names()
    Membership.objects.filter(user=ladder_cast["armorer"]).delete()
    assert names() == {"Kay Keygrip"}


def test_a_deactivated_handler_or_a_changed_email_is_seen(production, ladder_cast):
    level_one = ladder_for(fresh(production)).level(1)
    report = Report(production_id=production.pk, department="")  # unsaved: concerns nobody, no reporter
    head = ladder_cast["department_head"]
    head.email = "kay.new@example.com"
    head.save()
    recipients = Crew.of_production(fresh(production)).level_recipients(level_one, report)
    assert "kay.new@example.com" in {u.email for u in recipients}
    head.is_active = False
    head.save()
    assert head.pk not in {u.pk for u in Crew.of_production(fresh(production)).level_recipients(level_one, report)}


def test_a_change_unrelated_to_handling_leaves_the_version_alone(production, ladder_cast):
    before = fresh(production).config_version
    head = ladder_cast["department_head"]
    head.full_name = "Kay K."
    head.save()  # the whole row is written, the trigger sees nothing that matters changed
    assert fresh(production).config_version == before


def test_another_productions_edit_leaves_this_cache_warm(
    production, other_production, ladder_cast, django_assert_num_queries
):
    ladder_for(fresh(production))
    EscalationLevel.objects.filter(policy__production=other_production).update(low_timeout=timedelta(hours=1))
    row = fresh(production)
    with django_assert_num_queries(0):
        ladder_for(row)


def channels_of(production: Production, user, severity: str = Severity.MEDIUM) -> list[str]:
    """The channels a report of `severity` reaches `user` by, as the next request's filing reads them."""
    return ContactBook.of_production(fresh(production), [user.pk]).reach(user).channels(severity=severity)


def test_warm_contacts_cost_no_query(production, ladder_cast, django_assert_num_queries):
    people = [ladder_cast["department_head"].pk, ladder_cast["armorer"].pk]
    ContactBook.of_production(fresh(production), people)
    row = fresh(production)
    with django_assert_num_queries(0):
        assert ContactBook.of_production(row, people).reach(ladder_cast["armorer"]).email


def test_a_new_channel_choice_phone_push_subscription_or_email_is_seen_by_the_next_filing(
    production, ladder_cast, settings
):
    settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN, settings.SMS_FROM_NUMBER = "AC1", "token", "+15550100"
    head = ladder_cast["department_head"]
    assert channels_of(production, head) == [Channel.IN_APP, Channel.EMAIL]
    channels_choose(user=head, by_severity={Severity.MEDIUM: []})
    assert channels_of(production, head) == [Channel.IN_APP]
    channels_choose(user=head, by_severity={Severity.MEDIUM: [Channel.EMAIL, Channel.PUSH]})
    subscription = PushSubscription.objects.create(user=head, endpoint="https://push.example/1", p256dh="k", auth="a")
    assert channels_of(production, head) == [Channel.IN_APP, Channel.EMAIL, Channel.PUSH]
    subscription.delete()
    assert channels_of(production, head) == [Channel.IN_APP, Channel.EMAIL]
    phone = PhoneNumber.objects.create(user=head, number="+15550123")
    reach = lambda: ContactBook.of_production(fresh(production), [head.pk]).reach(head)  # noqa: E731
    assert not reach().sms  # not verified yet
    PhoneNumber.objects.filter(pk=phone.pk).update(verified_at=timezone.now())
    assert reach().sms
    head.email = ""
    head.save()
    assert not reach().email


def test_someone_outside_the_production_is_read_fresh_every_time(production, ladder_cast, outsider):
    assert channels_of(production, outsider) == [Channel.IN_APP, Channel.EMAIL]
    before = fresh(production).config_version
    channels_choose(user=outsider, by_severity={Severity.MEDIUM: []})
    assert fresh(production).config_version == before  # no trigger of this production watches them
    assert channels_of(production, outsider) == [Channel.IN_APP]


def test_a_warning_word_an_admin_adds_or_retires_is_scanned_for_by_the_next_filing(
    production, crew, ladder_cast, django_assert_num_queries
):
    report = Report.objects.select_related("production").get(pk=file_report(production, crew, title="Quiet day").pk)
    before = fresh(production).config_version
    assert not scanner_for(report).scan("The zorblaster was left on the cart.")
    term = WarningTerm.objects.create(words="zorblaster")
    assert fresh(production).config_version > before  # every production's version follows the words
    report.production = fresh(production)
    assert scanner_for(report).scan("The zorblaster was left on the cart.")
    with django_assert_num_queries(0):
        scanner_for(report)  # warm
    term.active = False
    term.save()
    report.production = fresh(production)
    assert not scanner_for(report).scan("The zorblaster was left on the cart.")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has row triggers only")
def test_an_import_of_many_warning_words_bumps_each_production_once_and_is_still_scanned_for(production, crew):
    other = Production.objects.create(name="Second unit")
    before = {p.pk: p.config_version for p in (fresh(production), fresh(other))}

    WarningTerm.objects.bulk_create(WarningTerm(words=f"zorblaster{n}") for n in range(300))  # one statement

    assert fresh(production).config_version == before[production.pk] + 1
    assert fresh(other).config_version == before[other.pk] + 1
    report = Report.objects.select_related("production").get(pk=file_report(production, crew, title="Quiet").pk)
    assert scanner_for(report).scan("The zorblaster299 was left on the cart.")
    WarningTerm.objects.filter(words="zorblaster299").update(active=False)  # one more statement, one more bump
    assert fresh(production).config_version == before[production.pk] + 2
