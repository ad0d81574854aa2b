"""The report form's own fields and widgets, and the short category labels of its choices."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Membership, Production, Role, User
from incidents.categories import Category
from incidents.models import Report

# Short enough for two choices side by side on a 360 px phone; the full name and the help are shown
# for the chosen one only.
CATEGORY_SHORT_LABELS = {
    Category.MISFIRE: _("Misfire / discharge"),
    Category.LIVE_AMMUNITION: _("Live round"),
    Category.UNSAFE_HANDLING: _("Unsafe gun handling"),
    Category.STOP_WORK: pgettext_lazy("report category", "Stop work"),
    Category.IGNORED_WARNING: _("Ignored warning"),
    Category.STUNTS: _("Stunts"),
    Category.PYROTECHNICS: _("Pyro / effects"),
    Category.VEHICLES: _("Vehicles"),
    Category.RIGGING: _("Rigging / falls"),
    Category.FATIGUE: _("Fatigue / hours"),
    Category.ENVIRONMENT: _("Environment / health"),
    Category.OTHER: _("Other"),
}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (the camera input and the file chooser share it); each is checked
    by `upload_clean` in the form."""

    widget = MultipleFileInput

    def to_python(self, data: Any) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = self.to_python(data)
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return files

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


class EarlierReportsField(forms.ModelMultipleChoiceField):
    """Validates the chosen ids against every report the reporter may link; the page itself only lists
    the latest few and the results of a search (`ReportForm.earlier_choices`)."""

    def label_from_instance(self, obj: Report) -> str:
        return earlier_label(obj)


def earlier_label(report: Report) -> str:
    local = timezone.localtime(report.created_at, report.production.tzinfo)
    return f"#{report.pk} · {local:%Y-%m-%d} · {report.title}"


class UnrequiredDateTimeInput(forms.DateTimeInput):
    """Required by the server, but without the browser's `required`: it sits in the folded "Add
    details" part, where a browser cannot point at an empty required box and would refuse silently."""

    input_type = "datetime-local"

    def use_required_attribute(self, initial: Any) -> bool:
        return False


def is_id(value: object) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < len(text) <= 18


def posted_list(data: Any, name: str) -> list[Any]:
    """All values sent under `name` (a QueryDict, or a plain dict as tests and scripts pass)."""
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name) if data else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def bootstrap_classes(form_class: type[forms.Form]) -> None:
    """Bootstrap's classes on the widgets, once for the class (not per request, as a template filter would)."""
    for field in form_class.base_fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css


class ConcernsField(forms.ChoiceField):
    """ "This concerns…": a person of the production ("person:<id>") or a role ("role:<role>"), or nobody.
    Cleans to (person, role). Only what the form offered is accepted: another production's member, a
    made-up id or role, or junk is "not one of the choices".

    The people are listed only when the form is drawn (one query, no model instances); a submission
    checks the one person it names (one query), so filing never reads the whole cast and crew."""

    def __init__(self, **kwargs: Any):
        super().__init__(required=False, choices=[], **kwargs)
        self.production: Production | None = None
        self.reporter: User | None = None
        self._people: list[tuple[str, str]] | None = None

    def offer(self, *, production: Production, reporter: User | None) -> None:
        """The roles always; the people only to a member filing under their name or in confidence (the
        anonymous page, open to whoever has the join code, lists no names)."""
        self.production, self.reporter = production, reporter
        self.choices = CallableChoiceIterator(self._offered)

    def _roles(self) -> list[tuple[str, Any]]:
        return [(f"role:{role}", label) for role, label in Role.choices if role != Role.CREW]

    def _offered(self) -> list[Any]:
        choices: list[Any] = [("", _("Nobody in particular")), (_("A role"), self._roles())]
        if self.reporter is not None:
            choices.append((_("A person"), self._people_offered()))
        return choices

    def _members(self) -> QuerySet[Membership]:
        return Membership.objects.filter(production=self.production, user__is_active=True).exclude(user=self.reporter)

    def _people_offered(self) -> list[tuple[str, str]]:
        if self._people is None:
            role_labels = {role: str(label) for role, label in Role.choices}
            rows = self._members().order_by("user__full_name", "user__pk")
            self._people = [
                (f"person:{user_id}", f"{full_name or email} ({role_labels.get(role, role)})")
                for user_id, full_name, email, role in rows.values_list(
                    "user_id", "user__full_name", "user__email", "role"
                )
            ]
        return self._people

    def _person(self, value: str) -> User | None:
        """The member a "person:<id>" names, if the form offers them (never on the anonymous page)."""
        user_id = value.removeprefix("person:")
        if self.reporter is None or not user_id.isascii() or not user_id.isdigit() or len(user_id) > 18:
            return None
        membership = self._members().filter(user_id=int(user_id)).select_related("user").first()
        return membership.user if membership is not None else None

    def clean(self, value: Any) -> tuple[User | None, str]:
        """Checks only what was sent: a role against the roles, a person with one query."""
        value = self.to_python(value)
        self.run_validators(value)
        if not value:
            return None, ""
        if value in dict(self._roles()):
            return None, value.removeprefix("role:")
        person = self._person(value) if value.startswith("person:") else None
        if person is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return person, ""
