"""The corrective-action forms: the rows of a plan (on the report page, under the summary), the owner's
"done" with evidence, and the verifier's "send back". They validate what was typed; the services check
the report's state, the owners' memberships, the dates in the production's time zone and who may act."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import TextField, text_box
from incidents.forms.kept_files import KeptFilesMixin
from incidents.forms.report_fields import MultipleFileField, MultipleFileInput
from incidents.services.actions import DONE_MEANS_MAX, LONGEST_DUE, MAX_ACTIONS_PER_PLAN, WHAT_MAX, ActionPlan
from incidents.services.attachments import CleanUpload

ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,application/pdf"
KEPT_FIELD = "kept_evidence"
ROWS = 3  # empty rows shown; more can be added once these are planned


class ActionRowForm(forms.Form):
    """One action. A row left wholly empty is skipped; a row started must be finished."""

    what = TextField(
        label=_("What to do"),
        max_length=WHAT_MAX,
        required=False,
        error_messages={"max_length": _("Keep it under %(limit_value)d characters (it has %(show_value)d).")},
    )
    owner = forms.TypedChoiceField(
        label=_("Who does it"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose someone from this production.")},
    )
    due_on = forms.DateField(
        label=_("Due by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, like 2026-12-24.")},
    )
    done_means = TextField(
        label=_("Done means"),
        max_length=DONE_MEANS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the person verifying it will check."),
        error_messages={"max_length": _("Keep it under %(limit_value)d characters (it has %(show_value)d).")},
    )

    def __init__(self, *args: Any, owners: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Choose a person")), *(owners or [])]

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("what", "owner", "due_on", "done_means"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.is_blank and not self.errors:
            return data
        # A row someone started: everything it still lacks is said at once, beside a value that was refused.
        missing = {
            "what": _("Say what to do."),
            "owner": _("Choose who does it."),
            "due_on": _("Choose a due date."),
            "done_means": _("Say what done means."),
        }
        for name, message in missing.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    def clean_due_on(self) -> date | None:
        due_on = self.cleaned_data.get("due_on")
        today = timezone.localdate()
        if due_on is not None and not (today - timedelta(days=1) <= due_on <= today + LONGEST_DUE):
            # A day's slack for productions west of the server; the service decides in the production's zone.
            raise ValidationError(_("Choose a date from today to two years ahead."), code="out_of_range")
        return due_on

    def plan(self) -> ActionPlan:
        data = self.cleaned_data
        return ActionPlan(
            what=data["what"], done_means=data["done_means"], owner_id=data["owner"], due_on=data["due_on"]
        )


class BaseActionFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, owners: list[tuple[int, str]] | None = None, **kwargs: Any):
        self.owners = owners or []
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "owners": self.owners}

    def plans(self) -> list[ActionPlan]:
        return [form.plan() for form in self.forms if form.is_valid() and not form.is_blank]

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.plans():
            raise ValidationError(_("List at least one corrective action."), code="no_actions")


ActionFormSet = forms.formset_factory(
    ActionRowForm,
    formset=BaseActionFormSet,
    extra=ROWS,
    max_num=MAX_ACTIONS_PER_PLAN,
    absolute_max=MAX_ACTIONS_PER_PLAN,
    validate_max=True,
)


def action_formset(data: Any = None, *, owners: list[tuple[int, str]]) -> BaseActionFormSet:
    return ActionFormSet(data, prefix="action", owners=owners)


class ActionDoneForm(KeptFilesMixin, forms.Form):
    """The owner's evidence: what was done, and photos or PDFs (checked like a report's uploads). Files
    chosen for a refused submission are kept on the server and sent back as tokens, like the report form's."""

    kept_field = KEPT_FIELD

    note = text_box(
        label=_("What did you do?"),
        required=_("Say what was done, as evidence."),
        too_long=_("Keep it under %(limit_value)d characters (it has %(show_value)d)."),
        help_text=_("The person verifying it reads this, and sees the photos."),
    )
    evidence = MultipleFileField(
        label=_("Photos or PDFs (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )

    def __init__(self, *args: Any, owner: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.kept_files_start()

    def clean_evidence(self) -> list[CleanUpload]:
        return self.kept_files_clean(self.cleaned_data.get("evidence") or [])


class ActionSendBackForm(forms.Form):
    reason = text_box(
        label=_("What is still missing?"),
        required=_("Say what is still missing."),
        too_long=_("Keep it under %(limit_value)d characters (it has %(show_value)d)."),
        help_text=_("It goes back to its owner to do again."),
    )
