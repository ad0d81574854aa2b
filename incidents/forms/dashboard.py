"""The dashboard's filters: a GET form whose values live in the URL, so a filtered view can be shared,
bookmarked, refreshed by the polling script and exported as CSV with the same query string."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from incidents.categories import Category, Severity
from incidents.forms.fields import TextField
from incidents.models import ReportStatus

SEARCH_MAX_LENGTH = 100


def _any(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class QueueFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_any(Category.choices))
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=_any(Severity.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(ReportStatus.choices))
    department = forms.ChoiceField(label=_("Department"), required=False, choices=_any(Department.choices))
    level = forms.IntegerField(label=_("Escalation level"), required=False, min_value=1, max_value=99)
    q = TextField(
        label=_("Search"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        strip=True,
        help_text=_("Words from the title, description, location or weapon, or a report number like #12."),
    )

    def filters(self) -> dict[str, Any]:
        """The valid filters only: a malformed value in the URL is dropped (and shown as an error), never
        turned into a server error or an empty result the user cannot explain."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
