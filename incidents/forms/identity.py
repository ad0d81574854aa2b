"""The reveal form: a required reason, kept in the trail and sent to the reporter."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import TextField
from incidents.services.identity import REASON_MAX_LENGTH


class RevealForm(forms.Form):
    reason = TextField(
        label=_("Why must the name be revealed?"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("This reason is kept in the report's trail and sent to the reporter."),
        error_messages={
            "required": _("Say why the name must be revealed."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Reveal the name"), css_class="btn-danger btn-lg w-100"))
