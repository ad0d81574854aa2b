"""The account page's choice of channels per severity (below critical: critical always uses them all)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.categories import Severity
from incidents.forms.fields import TextField
from incidents.models import Channel
from incidents.selectors.contacts import CHOOSABLE, DEFAULT_CHOSEN

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
                initial=chosen.get(severity, list(DEFAULT_CHOSEN)),
                error_messages={"invalid_choice": _("Choose email, push notifications or text messages.")},
            )

    def by_severity(self) -> dict[str, list[str]]:
        return {severity: list(self.cleaned_data.get(severity) or []) for severity in CHOOSABLE_SEVERITIES}


class PhoneForm(forms.Form):
    """The mobile number to verify (checked and normalised by services.contacts.phone_normalise)."""

    number = TextField(
        label=_("Mobile number, with its country code"),
        max_length=64,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "placeholder": "+34 612 345 678"}
        ),
        error_messages={
            "required": _("Write your mobile number."),
            "max_length": _("That is too long for a phone number."),
        },
    )


class PhoneCodeForm(forms.Form):
    code = TextField(
        label=_("The 6-digit code in the text message"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={
            "required": _("Write the code from the text message."),
            "max_length": _("The code is the 6 digits in the text message."),
        },
    )
