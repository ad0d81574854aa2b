"""The schedule, the safety meeting and the time requests on a phone, without JavaScript: native date and
time inputs, radio buttons, and every refusal of the services said on the field it is about."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from incidents.forms.fields import SubmissionKeyField, TextField
from incidents.models import TimeRequestKind
from incidents.services.armory.days import SCENES_MAX_LENGTH, TOPICS_MAX_LENGTH, DayPlan
from incidents.services.armory.time_requests import REASON_MAX_LENGTH, WHAT_MAX_LENGTH

from .armory import submit_helper
from .armory_custody import PersonChoiceField

DATE_ERRORS = {"required": _("Give the date."), "invalid": _("Give the date as a date, like 2026-12-24.")}
TIME_ERRORS = {"required": _("Give the time."), "invalid": _("Give the time as hours and minutes, like 07:30.")}


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), error_messages=DATE_ERRORS
    )


def _time_field(label: str, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        help_text=help_text,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages=TIME_ERRORS,
    )


class RefusalsOnFields(forms.Form):
    def add_refusal(self, error: ValidationError) -> None:
        field = error.code if error.code in self.fields else None
        self.add_error(field, error)


class DayForm(RefusalsOnFields):
    date = _date_field(_("Date"))
    scenes = TextField(
        label=_("Scenes"),
        max_length=SCENES_MAX_LENGTH,
        help_text=_("As on the call sheet, e.g. 12, 14A, 15."),
        error_messages={
            "required": _("Give the day's scenes, e.g. 12, 14A, 15."),
            "max_length": _("Keep the scenes under %(limit_value)d characters."),
        },
    )
    first_scene = _time_field(_("First scene at"))
    wrap = _time_field(_("Wrap at"), _("Earlier than the first scene means the next morning (a night shoot)."))
    firearms = forms.BooleanField(
        label=_("Firearms"), required=False, help_text=_("A safety meeting is needed before any firearm goes out.")
    )
    stunts = forms.BooleanField(label=_("Stunts"), required=False)
    pyrotechnics = forms.BooleanField(label=_("Pyrotechnics"), required=False)
    vehicles = forms.BooleanField(label=_("Vehicles"), required=False)

    def __init__(self, *args: Any, submit_label: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(submit_label or str(_("Add the day")))

    def plan(self) -> DayPlan:
        data = self.cleaned_data
        return DayPlan(
            date=data["date"],
            scenes=data["scenes"],
            first_scene=data["first_scene"],
            wrap=data["wrap"],
            firearms=data["firearms"],
            stunts=data["stunts"],
            pyrotechnics=data["pyrotechnics"],
            vehicles=data["vehicles"],
        )


class MeetingForm(RefusalsOnFields):
    held_at = _time_field(_("Held at"))
    led_by = PersonChoiceField(
        label=_("Led by"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose who led the meeting."),
            "invalid_choice": _("Choose a member of this production."),
        },
    )
    topics = TextField(
        label=_("Topics"),
        max_length=TOPICS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was covered: the weapons and loads of the day, cold checks, sightlines, who handles what."),
        error_messages={
            "required": _("Say what the meeting covered."),
            "max_length": _("Keep the topics under %(limit_value)d characters."),
        },
    )

    def __init__(self, *args: Any, members: list[User], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["led_by"].queryset = User.objects.filter(pk__in=[m.pk for m in members]).order_by(
            "full_name", "email"
        )
        self.helper = submit_helper(str(_("Record the meeting")))


class TimeRequestForm(RefusalsOnFields):
    kind = forms.ChoiceField(
        label=_("For"),
        choices=TimeRequestKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what the time is for."),
            "invalid_choice": _("Choose what the time is for."),
        },
    )
    what = TextField(
        label=_("Time or resources you need"),
        max_length=WHAT_MAX_LENGTH,
        help_text=_("E.g. two hours before call to secure the weapons; a second armorer for scene 40."),
        error_messages={
            "required": _("Say what you need, e.g. two hours before call to secure the weapons."),
            "max_length": _("Keep it under %(limit_value)d characters."),
        },
    )
    reason = TextField(
        label=_("Why"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Say why the safety work needs it."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )
    needed_on = _date_field(_("Needed on"))
    # One request per key (time_request_make): a double tap without JavaScript asks once.
    idempotency_key = SubmissionKeyField()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(str(_("Send the request")))


class AnswerForm(RefusalsOnFields):
    decision = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Approve or refuse."), "invalid_choice": _("Approve or refuse.")},
    )
    answer = TextField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to refuse. A refusal names you and tells the level above you and the safety coordinator."),
        error_messages={"max_length": _("Keep the reason under %(limit_value)d characters.")},
    )

    def __init__(self, *args: Any, action: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(str(_("Send the answer")))
        self.helper.form_action = action

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("answer") or "").strip():
            self.add_error("answer", _("Give the reason for refusing: it goes on the record."))
        return cleaned
