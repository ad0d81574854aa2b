"""The report form's fields are written in Python (incidents.forms.render) for speed: each must say
exactly what Django's own widget rendering says (tags, names, values, ids, required, aria), bound or not,
with errors or without."""

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from incidents.categories import Category
from incidents.forms.render import field_html, widget_html
from incidents.forms.report import ReportForm
from tests.factories import member
from tests.incidents.test_report_form import form_data

pytestmark = pytest.mark.django_db


class Tags(HTMLParser):
    """(tag, sorted attributes) of every element, and the text, ignoring whitespace between tags."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, tuple(sorted((k, v or "") for k, v in attrs))))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def parsed(html: str) -> list[tuple]:
    tags = Tags()
    tags.feed(str(html))
    return tags.items


def forms_to_check(production, crew):
    junk = form_data(production, Category.MISFIRE, title="x" * 300, occurred_at="never", severity="low")
    junk.update({"department": "nope", "armorer_present": "true", "injuries": "on", "warned_on": "31/31/31"})
    return [
        ReportForm(production=production, user=crew),
        ReportForm(form_data(production, Category.MISFIRE), production=production, user=crew),
        ReportForm(junk, production=production, user=crew),
    ]


def test_every_widget_is_written_as_django_writes_it(production, crew):
    for form in forms_to_check(production, crew):
        form.is_valid() if form.is_bound else None
        for field in form:
            assert parsed(widget_html(field)) == parsed(field.as_widget()), field.name


def test_a_field_says_its_help_and_errors_where_its_input_points(production, crew):
    form = forms_to_check(production, crew)[2]
    form.is_valid()
    html = field_html(form["title"], required=True)
    assert 'aria-describedby="id_title_helptext id_title_error"' in html
    assert 'id="id_title_helptext"' in html and 'id="id_title_error"' in html
    assert "Ensure this value has at most 200 characters" in html
    assert 'aria-invalid="true"' in html and 'class="required-mark"' in html
    assert html.startswith('<div class="mb-3 has-error" id="div_id_title">')


def test_text_typed_into_the_form_is_escaped(production, crew):
    data = form_data(production, title='"><script>alert(1)</script>', description="</textarea><b>x</b>")
    form = ReportForm(data, production=production, user=crew)
    assert "<script>" not in widget_html(form["title"]) and "&lt;script&gt;" in widget_html(form["title"])
    assert "</textarea><b>" not in widget_html(form["description"])


def test_a_members_name_with_markup_is_shown_as_text_in_this_concerns(production, crew):
    from accounts.models import Role
    from tests.factories import member

    member(production, Role.ARMORER, full_name='<img src=x onerror=alert(1)> "Bo" & Co')
    html = str(widget_html(ReportForm(production=production, user=crew)["concerns"]))
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;Bo&quot; &amp; Co (" in html
    assert html.count("<optgroup") == 2 and html.count("</optgroup>") == 2


def test_a_submission_checks_only_the_person_it_names_and_never_reads_the_whole_cast(production, crew):
    """The list of every member is read to draw the form, never to check a submission."""
    named = member(production, Role.ARMORER, full_name="Ari Armorer")
    for n in range(30):
        member(production, full_name=f"Crew {n}")

    def member_lists(captured) -> list[str]:
        """Reads of the production's members that are not about one person (a lookup ends in LIMIT 1)."""
        sqls = [q["sql"] for q in captured.captured_queries]
        of_production = re.compile(r'"accounts_membership"\."production_id" = \d')
        return [sql for sql in sqls if of_production.search(sql) and " LIMIT " not in sql]

    data = form_data(production, concerns=f"person:{named.pk}")
    with CaptureQueriesContext(connection) as submitted:
        form = ReportForm(data, production=production, user=crew)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["concerns"] == (named, "")
    assert member_lists(submitted) == []

    with CaptureQueriesContext(connection) as drawn:
        html = str(widget_html(ReportForm(production=production, user=crew)["concerns"]))
    assert len(member_lists(drawn)) == 1
    assert html.count('value="person:') == 31
