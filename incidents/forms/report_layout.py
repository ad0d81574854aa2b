"""How the report form is laid out on its page: which field goes where, the choices as the template
draws them (short labels, each option's help), and the earlier-reports list (the latest few, or a
search's results). A mixin of `ReportForm`, kept apart so the form module stays about validation."""

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Production
from incidents.categories import CATEGORY_INFO, Category, Severity
from incidents.models import Identity

from .report_fields import CATEGORY_SHORT_LABELS, earlier_label, is_id, posted_list

EARLIER_SHOWN = 20  # the latest this many, or this many search results

IDENTITY_HELP = {
    Identity.NAMED: _("Handlers see your name, so they can come and ask you about it."),
    Identity.CONFIDENTIAL: _(
        "Handlers see “a crew member”, never your name. You can still follow the report and answer questions here."
    ),
    Identity.ANONYMOUS: _(
        "Your name is not stored with the report at all, and it will not appear in your reports. You get a "
        "receipt code, shown once, to follow it up without your account."
    ),
}
# Where each field sits on the page; a field another feature adds to the form and that is not placed
# here is shown in "Add details" (hidden ones go with the form's hidden inputs, at its top).
FIRST_FIELDS = ("category", "title", "description")
FIREARM_FIELDS = ("weapon", "ammunition", "armorer_present")
WARNING_FIELDS = ("earlier_reports", "earlier_q", "warned_whom", "warned_on", "warned_how")
DETAIL_FIELDS = (
    "occurred_at",
    "location",
    "department",
    "injuries",
    "injury_description",
    "witnesses",
    "concerns",
    "severity",
)
LAST_FIELDS = ("attachments", "identity", "show_department")
PLACED = frozenset(FIRST_FIELDS + FIREARM_FIELDS + WARNING_FIELDS + DETAIL_FIELDS + LAST_FIELDS)


class ReportFormLayout:
    """Rendering helpers of `ReportForm` (see templates/incidents/includes/report_form_fields.html); it
    relies on the form's `fields`, `data`, `production`, `self[name]` and `earlier_linkable()`."""

    fields: dict[str, forms.Field]
    data: Any
    is_bound: bool
    production: Production
    # Fields of a subclass that its page places itself (the anonymous page's honeypot).
    placed_by_page: tuple[str, ...] = ()

    def _options(
        self, name: str, labels: dict[str, Any], help_texts: dict[str, Any], data: dict[str, dict[str, str]]
    ) -> list[dict[str, Any]]:
        field = self[name]
        current = str(field.value() or "")
        return [
            {
                "value": value,
                "label": labels.get(value, label),
                "long_label": label,
                "help": help_texts.get(value, ""),
                "id": f"id_{name}_{index}",
                "checked": value == current,
                "data": data.get(value, {}),
            }
            for index, (value, label) in enumerate(field.field.choices)
        ]

    def category_options(self) -> list[dict[str, Any]]:
        return self._options(
            "category",
            CATEGORY_SHORT_LABELS,
            {c: info.help_text for c, info in CATEGORY_INFO.items()},
            {
                c: {
                    "severity": info.default_severity,
                    "severity_label": Severity(info.default_severity).label,
                    "firearm": "1" if info.firearm else "",
                    "warning": "1" if c == Category.IGNORED_WARNING else "",
                }
                for c, info in CATEGORY_INFO.items()
            },
        )

    def identity_options(self) -> list[dict[str, Any]]:
        return self._options("identity", {}, IDENTITY_HELP, {})

    def ammunition_options(self) -> list[dict[str, Any]]:
        return self._options("ammunition", {}, {}, {})

    @cached_property
    def earlier_choices(self) -> list[dict[str, Any]]:
        """What the earlier-reports list shows: the ones already ticked, then the search's results (or
        the latest few): at most 2 queries, whatever the number of reports."""
        if "earlier_reports" not in self.fields:
            return []
        chosen_ids = [int(v) for v in posted_list(self.data, "earlier_reports") if is_id(v)]
        # Only what the label shows; every linkable report is of this form's production, so it is not joined.
        linkable = self.earlier_linkable().only("pk", "title", "created_at", "production_id")
        chosen = list(linkable.filter(pk__in=chosen_ids[:EARLIER_SHOWN]).order_by("-created_at")) if chosen_ids else []
        raw = str(self.data.get("earlier_q", "") if self.is_bound else "")
        query = "".join(ch for ch in raw if ch.isprintable())[:100].strip()  # no NUL byte reaches the database
        found = linkable.exclude(pk__in=[r.pk for r in chosen]).order_by("-created_at", "-pk")
        if query:
            number = query.lstrip("#")
            matches = Q(title__icontains=query)
            if is_id(number):
                matches |= Q(pk=int(number))
            found = found.filter(matches)
        shown = chosen + list(found[: max(0, EARLIER_SHOWN - len(chosen))])
        for report in shown:
            report.production = self.production
        return [
            {"value": r.pk, "label": earlier_label(r), "id": f"id_earlier_reports_{r.pk}", "checked": r in chosen}
            for r in shown
        ]

    @property
    def earlier_searched(self) -> bool:
        return self.is_bound and bool(str(self.data.get("earlier_q", "")).strip())

    def fields_in(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    @property
    def detail_fields(self) -> list[forms.BoundField]:
        placed = self.fields_in(DETAIL_FIELDS)
        added = [self[n] for n, f in self.fields.items() if self._unplaced(n) and not f.widget.is_hidden]
        return placed + added

    def _unplaced(self, name: str) -> bool:
        return name not in PLACED and name not in self.placed_by_page

    @property
    def details_open(self) -> bool:
        """The folded "Add details" starts open when something in it needs the reporter's attention."""
        return self.is_bound and any(field.errors for field in self.detail_fields)
