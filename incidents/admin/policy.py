"""Escalation policies in the admin: the levels, edited inline with the production or the policy.

The levels belong to the policy (a one-to-one of the production), so the production page edits them
through an inline whose formset swaps the production for its policy. Validation lives in the formset:
at least one level, level numbers increasing from top to bottom, every timeout longer than zero.
"""

from datetime import timedelta
from itertools import pairwise
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F, Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.duration import duration_string
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import HANDLER_MIN_RANK, Membership, Production, Role
from incidents.admin_scope import ProductionScopedAdmin, ScopedChoicesMixin
from incidents.categories import Severity
from incidents.ladder import ladder_for, levels_reaching_nobody
from incidents.models import EscalationLevel, EscalationPolicy

MAX_LEVEL = 99
# Renumbered rows are parked above every real number first, so swapping numbers never collides.
PARKING = 1000
DURATION_HELP = _("hours:minutes:seconds, e.g. 0:05:00 for five minutes, or days and time: 1 00:00:00")
TIMEOUT_FIELDS = ("critical_timeout", "high_timeout", "medium_timeout", "low_timeout")
RESOLVE_FIELDS = ("resolve_critical", "resolve_high", "resolve_medium", "resolve_low")
# The longest a level may wait for an acknowledgement, and a report for its resolution or for a repeat
# to count: longer is a report nobody answers (and, far longer, a deadline past the end of the calendar).
MAX_TIMEOUT_DAYS = 30
MAX_RESOLVE_DAYS = 365
MAX_TOP_REMINDERS = 20


def duration_in_range(value: timedelta, *, most_days: int) -> timedelta:
    """A deadline longer than zero and at most `most_days`, or the ValidationError saying so plainly."""
    if value <= timedelta(0):
        raise ValidationError(
            _("Must be longer than zero, e.g. 0:05:00 for five minutes."), code="timeout_not_positive"
        )
    if value > timedelta(days=most_days):
        raise ValidationError(
            _("Give at most %(days)s days (%(days)s 00:00:00)."), code="timeout_too_long", params={"days": most_days}
        )
    return value


class EscalationLevelForm(forms.ModelForm):
    # Handler roles only: crew members cannot acknowledge, so a level of crew would reach nobody who can act.
    roles = forms.MultipleChoiceField(
        label=_("roles to notify"),
        choices=[(role.value, role.label) for role in Role if role.rank >= HANDLER_MIN_RANK],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = EscalationLevel
        fields = ["number", "roles", "people", *TIMEOUT_FIELDS]
        help_texts = {name: DURATION_HELP for name in TIMEOUT_FIELDS}
        # Short column heads (the table's title says "how long they have to acknowledge"): the long
        # "critical: acknowledge within" heads alone made the levels table wider than the page at 1280 px.
        labels = {
            "critical_timeout": Severity.CRITICAL.label,
            "high_timeout": Severity.HIGH.label,
            "medium_timeout": Severity.MEDIUM.label,
            "low_timeout": Severity.LOW.label,
        }

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        if not 1 <= number <= MAX_LEVEL:
            raise ValidationError(
                _("A level number is between 1 and %(max)s."), code="level_range", params={"max": MAX_LEVEL}
            )
        return number

    def _positive(self, name: str) -> timedelta:
        return duration_in_range(self.cleaned_data[name], most_days=MAX_TIMEOUT_DAYS)

    def clean_critical_timeout(self) -> timedelta:
        return self._positive("critical_timeout")

    def clean_high_timeout(self) -> timedelta:
        return self._positive("high_timeout")

    def clean_medium_timeout(self) -> timedelta:
        return self._positive("medium_timeout")

    def clean_low_timeout(self) -> timedelta:
        return self._positive("low_timeout")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "roles" in cleaned and "people" in cleaned and not cleaned["roles"] and not cleaned["people"]:
            self.add_error("roles", _("Pick at least one role or person to notify at this level."))
        timeouts = [cleaned.get(name) for name in TIMEOUT_FIELDS]
        if all(timeouts):
            for (name, value), (_less_name, less_serious) in pairwise(zip(TIMEOUT_FIELDS, timeouts, strict=True)):
                if value > less_serious:
                    self.add_error(
                        name,
                        _("A more serious report never waits longer: keep it at most the next column's %(less)s.")
                        % {"less": duration_string(less_serious)},
                    )
        return cleaned

    def validate_unique(self) -> None:
        # The formset checks the numbers of all the policy's levels together (strictly increasing, so
        # unique); a per-row check against the database would refuse a legitimate renumbering.
        return


class EscalationLevelFormSet(BaseInlineFormSet):
    """The levels of one policy. Given a production (the production page), edits that production's policy."""

    def __init__(self, data: Any = None, files: Any = None, instance: Model | None = None, **kwargs: Any) -> None:
        if isinstance(instance, Production):
            instance = policy_of(instance)
        super().__init__(data, files, instance=instance, **kwargs)

    def _kept_forms(self) -> list[forms.ModelForm]:
        kept = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            kept.append(form)
        return kept

    def clean(self) -> None:
        if any(self.errors):
            return
        numbers = [form.cleaned_data["number"] for form in self._kept_forms()]
        if not numbers:
            raise ValidationError(
                _("A policy needs at least one level: otherwise nobody is told about a report."), code="no_levels"
            )
        for previous, current in pairwise(numbers):
            if current <= previous:
                raise ValidationError(
                    _(
                        "Level numbers must increase from top to bottom: level %(current)s comes after "
                        "level %(previous)s."
                    ),
                    code="levels_not_increasing",
                    params={"current": current, "previous": previous},
                )
        self._people_are_members()
        super().clean()

    def _people_are_members(self) -> None:
        """People named on a level are told only while they are members of the production: naming anyone
        else would look like cover for a level that reaches nobody."""
        production_id = self.instance.production_id
        if production_id is None:
            return
        named = {person.pk: person for form in self._kept_forms() for person in form.cleaned_data.get("people", [])}
        members = set(
            Membership.objects.filter(production_id=production_id, user_id__in=named).values_list("user_id", flat=True)
        )
        outsiders = [person for pk, person in named.items() if pk not in members]
        if outsiders:
            raise ValidationError(
                _(
                    "Not members of this production, so never told: %(people)s. Add them as members first, or "
                    "leave them off the levels."
                ),
                code="people_not_members",
                params={"people": ", ".join(str(person) for person in outsiders)},
            )

    def save(self, commit: bool = True) -> list[EscalationLevel]:
        if commit:
            if self.instance.pk is None:
                self.instance.save()
            moving = [
                form.instance.pk
                for form in self.initial_forms
                if "number" in form.changed_data and not (self.can_delete and self._should_delete_form(form))
            ]
            if moving:
                EscalationLevel.objects.filter(pk__in=moving).update(number=F("number") + PARKING)
        return super().save(commit=commit)


def policy_of(production: Production) -> EscalationPolicy:
    """The production's policy; an unsaved empty one if it has none yet (saved with its first level)."""
    if production.pk is None:
        return EscalationPolicy(production=production)
    return EscalationPolicy.objects.filter(production=production).first() or EscalationPolicy(production=production)


def levels_warning_html(production_id: int) -> str:
    """The levels no member of the production sits at, as the policy and production pages warn: reports
    pass them on their way up, and whoever runs the production should know."""
    members = Membership.objects.filter(production_id=production_id).select_related("user")
    empty = levels_reaching_nobody(ladder_for(production_id), members)
    if not empty:
        return _("None: every level reaches someone.")
    return format_html_join(
        "",
        '<p class="errornote">{}</p>',
        (
            (
                _("Level %(number)s (%(roles)s) reaches nobody: reports pass it and go straight to the next level.")
                % {"number": level.number, "roles": level.roles_display()},
            )
            for level in empty
        ),
    )


class EscalationLevelInline(ScopedChoicesMixin, admin.TabularInline):
    """The policy's levels; also used on the production page (its parent is always the policy)."""

    model = EscalationLevel
    form = EscalationLevelForm
    formset = EscalationLevelFormSet
    extra = 0
    min_num = 0
    autocomplete_fields = ["people"]
    verbose_name = _("escalation level")
    verbose_name_plural = _("escalation levels (who is told, and how long they have to acknowledge)")

    class Media:
        css = {"all": ["css/admin.css"]}

    def __init__(self, parent_model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(EscalationPolicy, admin_site)

    def get_queryset(self, request: HttpRequest) -> QuerySet[EscalationLevel]:
        return super().get_queryset(request).prefetch_related("people").order_by("number")


class EscalationPolicyForm(forms.ModelForm):
    """The deadlines once acknowledged, the repeat window and the reminders, each in a range said plainly
    (not a database constraint's name)."""

    class Meta:
        model = EscalationPolicy
        fields = [*RESOLVE_FIELDS, "repeat_incident_enabled", "repeat_incident_window", "top_reminders"]
        help_texts = {name: DURATION_HELP for name in (*RESOLVE_FIELDS, "repeat_incident_window")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in (*RESOLVE_FIELDS, "repeat_incident_window"):
            if cleaned.get(name) is not None:
                try:
                    duration_in_range(cleaned[name], most_days=MAX_RESOLVE_DAYS)
                except ValidationError as error:
                    self.add_error(name, error)
        reminders = cleaned.get("top_reminders")
        if reminders is not None and reminders > MAX_TOP_REMINDERS:
            self.add_error(
                "top_reminders",
                _("Give at most %(most)s reminders: after them the admins are alerted.") % {"most": MAX_TOP_REMINDERS},
            )
        return cleaned


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ProductionScopedAdmin):
    form = EscalationPolicyForm
    list_display = ["production", "levels_count", "repeat_incident_enabled", "repeat_incident_window", "updated_at"]
    list_filter = ["repeat_incident_enabled"]
    search_fields = ["production__name"]
    list_select_related = ["production"]
    readonly_fields = ["production_link", "updated_at", "levels_warning"]
    fieldsets = [
        (
            None,
            {
                "fields": ["production_link", "updated_at", "levels_warning"],
                "description": _(
                    "Changes apply to reports filed from now on. An open report keeps the deadline it was given "
                    "until it climbs: its next level uses the new timeouts."
                ),
            },
        ),
        (
            _("Once acknowledged, resolve within"),
            {"fields": ["resolve_critical", "resolve_high", "resolve_medium", "resolve_low"]},
        ),
        (_("Repeat firearm incidents"), {"fields": ["repeat_incident_enabled", "repeat_incident_window"]}),
        (_("At the top level"), {"fields": ["top_reminders"]}),
    ]
    inlines = [EscalationLevelInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EscalationPolicy]:
        return super().get_queryset(request).prefetch_related("levels")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # every production gets its policy when it is created

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=_("levels"))
    def levels_count(self, obj: EscalationPolicy) -> int:
        return len(obj.levels.all())

    @admin.display(description=_("levels that reach nobody"))
    def levels_warning(self, obj: EscalationPolicy) -> str:
        return levels_warning_html(obj.production_id) if obj.pk is not None else "—"

    @admin.display(description=_("production"))
    def production_link(self, obj: EscalationPolicy) -> str:
        url = reverse("admin:accounts_production_change", args=[obj.production_id])
        return format_html('<a href="{}">{}</a>', url, obj.production)
