"""An anonymous report cannot be tied to its author through "Earlier reports that were ignored"
(issue 15, item 3): linking one's own named or confidential report would say who wrote it."""

import pytest

from accounts.models import Department
from incidents.categories import Category
from incidents.models import Identity, Report
from tests.factories import file_report
from tests.incidents.test_report_form import form_data, new_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("earlier_identity", [Identity.NAMED, Identity.CONFIDENTIAL])
def test_an_anonymous_report_cannot_link_the_reporters_own_earlier_report(
    client, production, crew, ladder_cast, earlier_identity
):
    mine = file_report(production, crew, title="Stand 3 unsafe", identity=earlier_identity)
    data = form_data(
        production,
        Category.IGNORED_WARNING,
        identity=Identity.ANONYMOUS,
        title="Nobody fixed stand 3",
        description="Reported it last week, still wobbling.",
        warned_whom="",
        warned_how="",
    )
    data["earlier_reports"] = [mine.pk]
    client.force_login(crew)
    response = client.post(new_url(production), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "would tell who wrote this report" in page
    assert "describe the earlier warning in words instead" in page
    assert "Reported it last week, still wobbling." in page  # nothing typed is lost
    assert list(Report.objects.values_list("pk", flat=True)) == [mine.pk]


def test_an_anonymous_report_may_describe_the_earlier_warning_in_words(client, production, crew, ladder_cast):
    file_report(production, crew, title="Stand 3 unsafe")
    data = form_data(
        production,
        Category.IGNORED_WARNING,
        identity=Identity.ANONYMOUS,
        warned_whom="The key grip",
        warned_how="Told them on Monday that stand 3 wobbles.",
    )
    client.force_login(crew)
    client.post(new_url(production), data)
    later = Report.objects.get(identity=Identity.ANONYMOUS)  # filed: its receipt code is shown once
    assert later.reporter is None and later.earlier_reports.count() == 0


def test_a_handler_filing_anonymously_may_link_someone_elses_report(client, production, crew, ladder_cast):
    theirs = file_report(production, crew, title="Stand 3 unsafe")
    client.force_login(ladder_cast["department_head"])
    data = form_data(production, Category.IGNORED_WARNING, identity=Identity.ANONYMOUS, warned_whom="", warned_how="")
    data["department"] = Department.GRIP
    data["earlier_reports"] = [theirs.pk]
    client.post(new_url(production), data)
    assert list(Report.objects.get(identity=Identity.ANONYMOUS).earlier_reports.all()) == [theirs]
