"""The armory's inventory forms: a weapon, a lot of rounds (live rounds may be chosen, and are refused
by the service with a report), a recount and a retirement. Every field says what went wrong in words."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import SubmissionKeyField, TextField
from incidents.models import AmmoKind, WeaponKind
from incidents.services.armory.inventory import COUNT_MAX, LIVE, REASON_MAX_LENGTH, WeaponDraft


def submit_helper(label: str, css_class: str = "btn-primary btn-lg w-100") -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class=css_class))
    return helper


def reason_field(label: str, help_text: str = "") -> forms.CharField:
    return TextField(
        label=label,
        max_length=REASON_MAX_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Give the reason: it goes on the armory's trail."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )


def count_field(label: str, initial: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=COUNT_MAX,
        initial=initial,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Give the number of rounds."),
            "invalid": _("Give the number of rounds as a whole number, like 12."),
            "min_value": _("The number of rounds cannot be negative."),
            "max_value": _("Give a number of rounds up to %(limit_value)s."),
        },
    )


class WeaponForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=WeaponKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of weapon it is."), "invalid_choice": _("Choose a kind.")},
    )
    make = TextField(
        label=_("Make"),
        max_length=100,
        error_messages={"required": _("Give the make, e.g. Colt."), "max_length": _("Keep the make short.")},
    )
    model_name = TextField(
        label=_("Model"),
        max_length=100,
        error_messages={
            "required": _("Give the model, e.g. Single Action Army."),
            "max_length": _("Keep the model short."),
        },
    )
    serial = TextField(
        label=_("Serial or prop number"),
        max_length=100,
        help_text=_("The number people call the weapon by on set; unique in this production."),
        error_messages={
            "required": _("Give the serial or prop number."),
            "max_length": _("Keep the number under %(limit_value)d characters."),
        },
    )

    def __init__(self, *args: object, submit_label: str = "", **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = submit_helper(submit_label or str(_("Add the weapon")))

    def draft(self) -> WeaponDraft:
        data = self.cleaned_data
        return WeaponDraft(kind=data["kind"], make=data["make"], model_name=data["model_name"], serial=data["serial"])


class RetireForm(forms.Form):
    reason = reason_field(_("Why is it retired?"), _("e.g. “Cylinder does not lock: returned to the rental house.”"))

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = submit_helper(str(_("Retire this weapon")), "btn-danger btn-lg w-100")


class AmmunitionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What rounds?"),
        choices=[*AmmoKind.choices, (LIVE, _("Live rounds"))],
        widget=forms.RadioSelect,
        help_text=_("Live rounds are never stocked: choosing them files a critical report instead."),
        error_messages={
            "required": _("Choose dummies or blanks."),
            "invalid_choice": _("Choose dummies or blanks."),
        },
    )
    description = TextField(
        label=_("Type"),
        max_length=200,
        help_text=_("Calibre, maker and load, e.g. “.45 Colt quarter-load blanks”."),
        error_messages={
            "required": _("Say what the rounds are (calibre, maker, type)."),
            "max_length": _("Keep the type under %(limit_value)d characters."),
        },
    )
    count = count_field(_("How many rounds?"))
    # One lot per key (ammunition_stock): a double tap without JavaScript stocks the rounds once.
    idempotency_key = SubmissionKeyField()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(str(_("Add to the armory")))


class RecountForm(forms.Form):
    count = count_field(_("Rounds in the armory now"))
    reason = reason_field(_("Why does the count change?"), _("e.g. “Restocked from the rental house” or “Recounted”."))

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = submit_helper(str(_("Save the count")))
