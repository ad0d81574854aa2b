"""The account page's choice of channels per severity (below critical: critical always uses them all)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.categories import Severity
from incidents.models import Channel
from incidents.selectors.contacts import CHOOSABLE

CHOOSABLE_SEVERITIES = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


class ChannelsForm(forms.Form):
    def __init__(self, *args: Any, chosen: dict[str, list[str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        labels = dict(Channel.choices)
        for severity in CHOOSABLE_SEVERITIES:
            self.fields[severity] = forms.MultipleChoiceField(
                label=Severity(severity).label,
                choices=[(channel, labels[channel]) for channel in CHOOSABLE],
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                required=False,
                initial=chosen.get(severity, list(CHOOSABLE)),
                error_messages={"invalid_choice": _("Choose email or push notifications.")},
            )

    def by_severity(self) -> dict[str, list[str]]:
        return {severity: list(self.cleaned_data.get(severity) or []) for severity in CHOOSABLE_SEVERITIES}
