"""Deciding a "possible firearm concern": confirm it, or clear it with a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import TextField


class FirearmFlagForm(forms.Form):
    reason = TextField(
        label=_("Why?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('Needed to clear it (for example: "a stunt dummy, no weapon involved").'),
        error_messages={"max_length": _("Keep the reason under 2,000 characters (it has %(show_value)d).")},
    )
