"""Check-out and check-in on a phone, without JavaScript. A routine check-out is prefilled from the
weapon's last one (same person, 1st AD, scene, load): the armorer ticks "shown and checked" and taps
"Check out". Refusals from the service come back on the field they are about."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from incidents.forms.fields import TextField
from incidents.models import AmmoLot, CustodyRecord, Load, Weapon
from incidents.selectors.armory import HELD_NO_FIREARMS_DAY
from incidents.services.armory.custody import SCENE_MAX_LENGTH, CheckOut
from incidents.services.armory.days import OVERRIDE_MAX_LENGTH

from .armory import count_field, submit_helper

# Which field a refusal of custody_check_out is about (its ValidationError code).
ERROR_FIELDS = {
    "scene": "scene",
    "first_ad": "first_ad",
    "handed_to": "handed_to",
    "unchecked": "checked",
    "load": "load",
    "lot": "lot",
    "rounds": "rounds",
    "meeting": "meeting_override",
    "firearms_day": "meeting_override",
    "meeting_override": "meeting_override",
}


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class OtherPersonChoiceField(PersonChoiceField):
    """A person other than the one filling the form in (`refused_pk`): not offered, and if sent anyway,
    refused with the field's "self" message rather than "choose a member"."""

    refused_pk: int | None = None

    def to_python(self, value: Any) -> User | None:
        if self.refused_pk is not None and value not in self.empty_values and str(value) == str(self.refused_pk):
            raise ValidationError(self.error_messages["self"], code="self")
        return super().to_python(value)


class CheckOutForm(forms.Form):
    handed_to = OtherPersonChoiceField(
        label=_("Handed to"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose who receives the weapon."),
            "invalid_choice": _("Choose a member of this production."),
            "self": _("You are checking the weapon out: someone else must receive it."),
        },
    )
    scene = TextField(
        label=_("Scene"),
        max_length=SCENE_MAX_LENGTH,
        error_messages={
            "required": _("Give the scene, e.g. 42A."),
            "max_length": _("Keep the scene under %(limit_value)d characters."),
        },
    )
    load = forms.ChoiceField(
        label=_("Load"),
        choices=Load.choices,
        initial=Load.COLD,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose cold, dummies or blanks."),
            "invalid_choice": _("Choose cold, dummies or blanks."),
        },
    )
    lot = forms.ModelChoiceField(
        label=_("Rounds from"),
        queryset=AmmoLot.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a lot of this armory.")},
    )
    rounds = count_field(_("How many rounds"), initial=0)
    first_ad = OtherPersonChoiceField(
        label=_("1st AD"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose the 1st AD who saw the check."),
            "invalid_choice": _("Choose a member of this production."),
            "self": _("You are checking the weapon out: someone else must be the 1st AD who sees the check."),
        },
    )
    checked = forms.BooleanField(
        label=_("I showed it and checked it in front of them and the 1st AD"),
        required=False,
    )
    both_present = forms.TypedChoiceField(
        label=_("Their confirmations"),
        choices=[
            ("", _("Each confirms on their own phone")),
            ("1", _("Both were here: I record that they were present")),
        ],
        coerce=bool,
        empty_value=False,
        required=False,
        widget=forms.RadioSelect,
    )
    meeting_override = TextField(
        label=_("Check it out before the safety meeting anyway, because"),
        required=False,
        max_length=OVERRIDE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only if it cannot wait. The safety coordinator is told at once, with your reason."),
        error_messages={"max_length": _("Keep the reason under %(limit_value)d characters.")},
    )
    unchecked_handover = forms.BooleanField(
        label=_("Hand it over without the check anyway (this files a report)"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        weapon: Weapon,
        keeper: User,
        members: list[User],
        lots: list[AmmoLot],
        may_override: str = "",
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.weapon = weapon
        # The person checking it out is neither its receiver nor its 1st AD (custody_check_out refuses it).
        member_ids = [member.pk for member in members if member.pk != keeper.pk]
        for name in ("handed_to", "first_ad"):
            self.fields[name].queryset = User.objects.filter(pk__in=member_ids).order_by("full_name", "email")
            self.fields[name].refused_pk = keeper.pk
        self.fields["lot"].queryset = AmmoLot.objects.filter(pk__in=[lot.pk for lot in lots]).order_by(
            "kind", "description"
        )
        self.fields["rounds"].required = False
        self.helper = submit_helper(str(_("Check out")))
        if not (self.is_bound and not self.data.get("checked")):
            # Offered only once the armorer tried without the check: a routine check-out never sees it.
            del self.fields["unchecked_handover"]
        if not may_override:
            # Offered to the armorer only while a firearm is held (FirearmsHold.reason): today's firearms
            # meeting is not recorded, or today is not a firearms day.
            del self.fields["meeting_override"]
        elif may_override == HELD_NO_FIREARMS_DAY:
            self.fields["meeting_override"].label = _("Check it out anyway, with no firearms day today, because")
        if not weapon.loadable:
            # A prop or an airsoft gun goes out cold: no load, lot or rounds to tap.
            for name in ("load", "lot", "rounds"):
                del self.fields[name]

    def checkout(self) -> CheckOut:
        data = self.cleaned_data
        load = data.get("load") or Load.COLD
        return CheckOut(
            handed_to=data["handed_to"],
            first_ad=data["first_ad"],
            scene=data["scene"],
            load=load,
            lot=data.get("lot") if load != Load.COLD else None,
            rounds=(data.get("rounds") or 0) if load != Load.COLD else 0,
            checked=data["checked"],
            unchecked_handover=data.get("unchecked_handover", False),
            both_present=data["both_present"],
        )

    def override_reason(self) -> str:
        return self.cleaned_data.get("meeting_override", "")

    def add_refusal(self, error: ValidationError) -> None:
        field = ERROR_FIELDS.get(error.code or "")
        self.add_error(field if field in self.fields else None, error)


class CheckInForm(forms.Form):
    rounds_back = count_field(_("Rounds back"))
    rounds_fired = count_field(_("Rounds fired"), initial=0)

    def __init__(self, *args: Any, record: CustodyRecord, **kwargs: Any):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("rounds_back", record.rounds_out)
        initial.setdefault("rounds_fired", 0)
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(str(_("Check in")))
        if record.load == Load.COLD:
            # Nothing went out; a cold weapon that fired is still said here.
            self.fields["rounds_back"].help_text = _("It went out cold: 0 unless rounds came back with it.")
            self.fields["rounds_fired"].help_text = _("0 unless it fired.")
