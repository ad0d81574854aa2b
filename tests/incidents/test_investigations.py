"""Investigations of critical and firearm reports (issue 20): who may open and write one, which reports get
one, what the page keeps when something typed is wrong, and that every change is on a trail that verifies."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Department, Role
from incidents.categories import Category, Severity
from incidents.models import EventKind, FirearmFlag, Identity, Investigation
from incidents.services.firearm_flags import firearm_flag_confirm
from incidents.services.investigations import InvestigationDraft, investigation_save
from incidents.trail import verify_trail
from tests.factories import file_report, investigate, member

pytestmark = pytest.mark.django_db


def form_data(**fields):
    data = {
        "what_happened": "The revolver went off during the rehearsal of scene 12.",
        "why_1": "A blank was loaded for a dry rehearsal.",
        "why_2": "The call sheet said 'hot' for the wrong scene.",
        "why_3": "",
        "why_4": "",
        "why_5": "",
        "factors": ["fatigue", "time_pressure"],
        "factors_other": "",
        "linked_reports": "",
    }
    data.update(fields)
    return data


@pytest.fixture
def firearm_report(production, crew, ladder_cast):
    return file_report(
        production,
        crew,
        Category.MISFIRE,
        title="Revolver went off at rehearsal",
        identity=Identity.CONFIDENTIAL,
        weapon="Colt SAA",
        ammunition="blank",
        armorer_present=True,
    )


def url(report):
    return reverse("investigation", args=[report.pk])


# --- who may open and write it ------------------------------------------------------------------------


def test_the_productions_handlers_open_the_investigation_and_those_who_may_act_can_write_it(
    client, firearm_report, ladder_cast
):
    for role, handler in ladder_cast.items():
        client.force_login(handler)
        response = client.get(url(firearm_report))
        assert response.status_code == 200, role
        assert "Start the investigation" in response.content.decode(), role


def test_the_reporter_may_not_open_the_investigation_of_their_own_report(client, firearm_report, crew):
    client.force_login(crew)
    assert client.get(url(firearm_report)).status_code == 403
    assert client.post(url(firearm_report), form_data()).status_code == 403
    assert not Investigation.objects.exists()


def test_crew_and_people_of_other_productions_get_nothing(client, firearm_report, other_crew, outsider):
    for person in (other_crew, outsider):
        client.force_login(person)
        assert client.get(url(firearm_report)).status_code in (403, 404)
        assert client.post(url(firearm_report), form_data()).status_code in (403, 404)
    client.force_login(outsider)
    assert client.get(url(firearm_report)).status_code == 404  # not even a hint that it exists
    assert not Investigation.objects.exists()


def test_a_handler_who_filed_the_report_reads_its_investigation_but_may_not_write_it(client, production, ladder_cast):
    safety = ladder_cast["safety"]
    report = file_report(production, safety, Category.LIVE_AMMUNITION, title="Live round in the cart")
    investigate(report, ladder_cast["producer"])
    client.force_login(safety)

    response = client.get(url(report))

    assert response.status_code == 200
    assert "Change the investigation" not in response.content.decode()
    assert client.post(url(report), form_data()).status_code == 403
    with pytest.raises(PermissionDenied):
        investigation_save(
            report_id=report.pk,
            user=safety,
            draft=InvestigationDraft(what_happened="Nothing to see.", whys=[], factors=[]),
        )


def test_a_handler_the_report_concerns_reads_its_investigation_but_may_not_write_it(
    client, production, crew, ladder_cast
):
    safety = ladder_cast["safety"]
    report = file_report(production, crew, Category.LIVE_AMMUNITION, title="Handed a hot gun", concerns_person=safety)
    investigate(report, ladder_cast["producer"])
    client.force_login(safety)

    assert client.get(url(report)).status_code == 200
    assert client.post(url(report), form_data()).status_code == 403
    with pytest.raises(PermissionDenied):
        investigation_save(
            report_id=report.pk,
            user=safety,
            draft=InvestigationDraft(what_happened="It was fine.", whys=[], factors=[]),
        )


def test_a_confidential_reporter_is_never_named_on_the_investigation_page(client, firearm_report, crew, producer):
    investigate(firearm_report, producer)
    client.force_login(producer)
    html = client.get(url(firearm_report)).content.decode()
    assert crew.full_name not in html
    assert "A crew member" in html


# --- which reports get one ---------------------------------------------------------------------------


def test_a_low_severity_report_that_is_not_about_firearms_offers_no_investigation(client, production, crew, producer):
    report = file_report(production, crew, Category.ENVIRONMENT, title="No drinking water on stage 4")
    assert report.severity == Severity.LOW
    client.force_login(producer)

    page = client.get(report.get_absolute_url()).content.decode()

    assert "Start the investigation" not in page
    assert url(report) not in page
    assert client.get(url(report)).status_code == 404
    with pytest.raises(ValidationError) as refused:
        investigation_save(
            report_id=report.pk, user=producer, draft=InvestigationDraft(what_happened="x", whys=[], factors=[])
        )
    assert refused.value.code == "not_applicable"


def test_a_critical_report_of_any_category_offers_one_on_its_page(client, production, crew, producer):
    report = file_report(production, crew, Category.RIGGING, title="Truss fell", severity=Severity.CRITICAL)
    client.force_login(producer)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Start the investigation" in page
    assert url(report) in page


def test_a_fatigue_report_gets_an_investigation_once_its_firearm_concern_is_confirmed(
    client, production, crew, ladder_cast
):
    report = file_report(
        production,
        crew,
        Category.FATIGUE,
        title="Eighteen-hour day",
        description="We were exhausted. During the rehearsal the gun went off twice.",
    )
    producer = ladder_cast["producer"]
    client.force_login(producer)
    assert client.get(url(report)).status_code == 404  # flagged, not yet confirmed

    flag = FirearmFlag.objects.get(report=report)
    firearm_flag_confirm(flag_id=flag.pk, user=ladder_cast["safety"])

    assert client.get(url(report)).status_code == 200
    assert "Start the investigation" in client.get(report.get_absolute_url()).content.decode()


def test_the_reporter_sees_no_investigation_on_their_report_page(client, firearm_report, crew, producer):
    investigate(firearm_report, producer)
    client.force_login(crew)
    page = client.get(firearm_report.get_absolute_url()).content.decode()
    assert url(firearm_report) not in page
    assert "Investigation opened" not in page
    assert "Nobody checked it at the handover." not in page


# --- writing it --------------------------------------------------------------------------------------


def test_saving_the_investigation_redirects_shows_it_and_puts_it_on_a_trail_that_verifies(
    client, firearm_report, producer
):
    client.force_login(producer)

    response = client.post(url(firearm_report), form_data())

    assert response.status_code == 302 and response["Location"] == url(firearm_report)
    page = client.get(url(firearm_report)).content.decode()
    assert "Investigation saved" in page
    assert "The call sheet said &#x27;hot&#x27; for the wrong scene." in page
    assert "Root cause:" in page
    assert "Fatigue" in page and "Time pressure" in page
    event = firearm_report.events.get(kind=EventKind.INVESTIGATION_RECORDED)
    assert event.actor == producer and not event.public
    assert event.payload["whys"] == [
        "A blank was loaded for a dry rehearsal.",
        "The call sheet said 'hot' for the wrong scene.",
    ]
    firearm_report.refresh_from_db()
    assert verify_trail(firearm_report).intact


def test_every_change_is_an_event_and_an_unchanged_save_writes_nothing(client, firearm_report, producer):
    client.force_login(producer)
    client.post(url(firearm_report), form_data())
    investigation = Investigation.objects.get()
    client.post(url(firearm_report), form_data(version=investigation.version))  # the same again
    client.post(
        url(firearm_report),
        form_data(
            version=investigation.version,
            why_3="Nobody owned the call sheet.",
            factors=["other"],
            factors_other="New gun",
        ),
    )

    events = list(firearm_report.events.filter(kind=EventKind.INVESTIGATION_RECORDED).order_by("seq"))
    assert [e.payload["change"] for e in events] == ["opened", "updated"]
    assert events[1].payload["whys"][-1] == "Nobody owned the call sheet."
    assert events[1].payload["factors"] == ["other"]
    assert "what_happened" not in events[1].payload  # only what changed
    firearm_report.refresh_from_db()
    assert verify_trail(firearm_report).intact
    page = client.get(firearm_report.get_absolute_url()).content.decode()
    assert "Investigation changed" in page  # on the handlers' trail
    assert "Other: New gun" in client.get(url(firearm_report)).content.decode()


def test_linked_reports_of_the_same_production_are_listed_with_links(
    client, firearm_report, production, crew, producer
):
    earlier = file_report(production, crew, Category.MISFIRE, title="Hang-fire last week")
    client.force_login(producer)

    response = client.post(url(firearm_report), form_data(linked_reports=f"#{earlier.pk}"))

    assert response.status_code == 302
    page = client.get(url(firearm_report)).content.decode()
    assert earlier.get_absolute_url() in page and "Hang-fire last week" in page
    # The linked report's page points back to the investigation, for handlers only.
    back = client.get(earlier.get_absolute_url()).content.decode()
    assert "Linked from the investigation of:" in back and url(firearm_report) in back
    client.force_login(crew)
    assert url(firearm_report) not in client.get(earlier.get_absolute_url()).content.decode()


def test_a_low_severity_report_linked_from_an_investigation_points_back_to_it(
    client, firearm_report, production, crew, producer
):
    low = file_report(production, crew, Category.ENVIRONMENT, title="Dust on stage 4")
    investigate(firearm_report, producer, linked_reports=[low.pk])
    client.force_login(producer)
    page = client.get(low.get_absolute_url()).content.decode()
    assert url(firearm_report) in page
    assert "Start the investigation" not in page
    assert client.get(url(low)).status_code == 404


# --- hostile and malformed input ---------------------------------------------------------------------


def _errors_keep_what_was_typed(client, report, data, message):
    response = client.post(url(report), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html, html
    assert "A blank was loaded for a dry rehearsal." in html  # what was typed is still there
    assert not Investigation.objects.exists()
    return html


def test_leaving_what_happened_empty_says_so_and_keeps_the_whys(client, firearm_report, producer):
    client.force_login(producer)
    _errors_keep_what_was_typed(client, firearm_report, form_data(what_happened="  "), "Say what happened.")


def test_a_gap_in_the_why_chain_is_refused(client, firearm_report, producer):
    client.force_login(producer)
    _errors_keep_what_was_typed(
        client, firearm_report, form_data(why_2="", why_3="Skipped one"), "Fill the whys in order"
    )


def test_other_factor_without_words_is_refused(client, firearm_report, producer):
    client.force_login(producer)
    _errors_keep_what_was_typed(client, firearm_report, form_data(factors=["other"]), "Say what the other factor was.")


def test_an_unknown_factor_is_refused(client, firearm_report, producer):
    client.force_login(producer)
    _errors_keep_what_was_typed(client, firearm_report, form_data(factors=["drunk"]), "Choose factors from the list.")


def test_too_long_answers_are_refused_with_the_limit(client, firearm_report, producer):
    client.force_login(producer)
    html = client.post(url(firearm_report), form_data(why_2="x" * 501)).content.decode()
    assert "Keep each answer under 500 characters." in html
    html = client.post(url(firearm_report), form_data(what_happened="x" * 10001)).content.decode()
    assert "Keep it under 10,000 characters" in html
    assert not Investigation.objects.exists()


def test_linked_reports_that_are_not_numbers_are_refused_and_the_text_kept(client, firearm_report, producer):
    client.force_login(producer)
    html = _errors_keep_what_was_typed(
        client, firearm_report, form_data(linked_reports="12, DROP TABLE"), "Write report numbers separated by commas"
    )
    assert "12, DROP TABLE" in html


def test_linking_another_productions_report_says_the_same_as_a_missing_one(
    client, firearm_report, other_production, producer
):
    elsewhere = file_report(other_production, member(other_production), Category.MISFIRE, title="Secret")
    client.force_login(producer)
    for number in (elsewhere.pk, 999999):
        html = _errors_keep_what_was_typed(
            client,
            firearm_report,
            form_data(linked_reports=str(number)),
            f"There is no report #{number} in this production",
        )
        assert "Secret" not in html


def test_a_report_cannot_be_linked_to_itself(client, firearm_report, producer):
    client.force_login(producer)
    _errors_keep_what_was_typed(
        client, firearm_report, form_data(linked_reports=str(firearm_report.pk)), "cannot be linked to itself"
    )


def test_markup_and_control_characters_are_shown_as_text_or_refused(client, firearm_report, producer):
    client.force_login(producer)
    html = client.post(url(firearm_report), form_data(why_2="bad\x00byte")).content.decode()
    assert "Null characters are not allowed." in html or "control character" in html
    assert not Investigation.objects.exists()

    client.post(url(firearm_report), form_data(what_happened="<script>alert(1)</script>"))
    html = client.get(url(firearm_report)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_change_sent_from_a_stale_page_is_refused_and_the_typed_text_kept(client, firearm_report, producer, safety):
    investigate(firearm_report, safety)
    stale = Investigation.objects.get().version
    investigation_save(
        report_id=firearm_report.pk,
        user=safety,
        draft=InvestigationDraft(what_happened="Safety's newer version.", whys=[], factors=[]),
    )
    client.force_login(producer)

    response = client.post(url(firearm_report), form_data(version=stale, what_happened="Producer's older view."))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this investigation" in html
    assert "Producer&#x27;s older view." in html  # kept in the form
    assert "Safety&#x27;s newer version." in html  # theirs, shown above
    assert Investigation.objects.get().what_happened == "Safety's newer version."


def test_the_investigation_survives_a_report_in_another_department_of_a_handler_named_only_by_level(
    client, production, crew, ladder_cast
):
    """A department head of another department is still a handler at level 1: they may write it."""
    head = member(production, Role.DEPARTMENT_HEAD, Department.CAMERA, full_name="Cam Head")
    report = file_report(production, crew, Category.MISFIRE, title="Misfire")
    client.force_login(head)
    assert client.post(url(report), form_data()).status_code == 302


def test_a_mangled_hidden_version_is_refused_where_the_investigator_sees_it(client, firearm_report, producer):
    client.force_login(producer)
    html = _errors_keep_what_was_typed(
        client, firearm_report, form_data(version="1 OR 1=1"), "This page is out of date or damaged"
    )
    assert 'role="alert"' in html
