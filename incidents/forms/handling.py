"""The forms on a report's page: acknowledge, comment, resolve, reopen. Each only validates what was
typed; the services check the report's state and who may act."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import text_box


class AcknowledgeForm(forms.Form):
    """Nothing to type: the button (and its CSRF token) is the confirmation."""


class CommentForm(forms.Form):
    TO_REPORTER = "reporter"
    INTERNAL = "internal"

    body = text_box(
        label=_("Comment"),
        required=_("Write a comment first."),
        too_long=_("Keep a comment under 4,000 characters (it has %(show_value)d)."),
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it?"),
        choices=[
            (TO_REPORTER, _("The reporter and the handlers")),
            (INTERNAL, _("Handlers only (internal note)")),
        ],
        initial=TO_REPORTER,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who sees this comment.")},
    )

    def __init__(self, *args: Any, handler: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not handler:
            # A reporter's comment always goes to the handlers: there is nothing to choose.
            del self.fields["visibility"]

    @property
    def to_reporter(self) -> bool:
        return self.cleaned_data.get("visibility", self.TO_REPORTER) == self.TO_REPORTER


class ResolveForm(forms.Form):
    """Resolving is planning corrective actions (incidents.forms.actions, the rows under this summary).
    The field keeps its old name: reports resolved before actions existed hold their one free-text
    corrective action in it, and are shown as they were."""

    resolution = text_box(
        label=_("What was found, and what will be done"),
        required=_("Say what was found and what will be done."),
        too_long=_("Keep it under %(limit_value)d characters (it has %(show_value)d)."),
        max_length=10000,
        rows=3,
        help_text=_("A short summary. The reporter sees it; the actions below say who does what, by when."),
    )


class ReopenForm(forms.Form):
    """Reopen a resolved report as "not fixed": from the report page, and from the receipt page."""

    reason = text_box(
        label=_("What is still wrong?"),
        required=_("Say what is still wrong."),
        too_long=_("Keep it under %(limit_value)d characters."),
        help_text=_("The report opens again and goes back to the handlers at its level."),
    )
