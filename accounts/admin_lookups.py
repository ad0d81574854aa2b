"""Admin list pages filter only by what their sidebar offers.

Django's admin accepts any lookup on a model's own fields in the query string (`?reporter=3`,
`?reporter__in=3`, `/admin/incidents/event/?actor=3`), even ones that are not in `list_filter`. On
SafeTrack that singles out the reports a person filed, confidential ones included, without a trail
entry. Every admin of the project therefore mixes in `DeclaredLookupsOnly`: a query-string lookup must
start with a path named in `list_filter` or `date_hierarchy` and continue only with a comparison, for
every user, superusers included (the only way to learn a confidential reporter is the recorded reveal).
"""

from typing import Any

from django.contrib.admin import ListFilter
from django.http import HttpRequest

# What may follow a declared path: the comparisons Django's own filters and date hierarchy send.
COMPARISONS = frozenset(
    {"exact", "iexact", "in", "isnull", "gt", "gte", "lt", "lte", "range", "year", "month", "day", "date"}
)
KEYS = frozenset({"id", "pk"})


def declared_paths(list_filter: Any, date_hierarchy: str | None) -> tuple[list[list[str]], set[str]]:
    """The field paths (split on "__") and the custom filters' parameter names a list page declares."""
    paths: list[list[str]] = []
    parameters: set[str] = set()
    for item in list_filter or ():
        spec = item[0] if isinstance(item, (list, tuple)) else item
        if isinstance(spec, str):
            paths.append(spec.split("__"))
        elif isinstance(spec, type) and issubclass(spec, ListFilter):
            name = getattr(spec, "parameter_name", None)
            if name:
                parameters.add(name)
    if date_hierarchy:
        paths.append(date_hierarchy.split("__"))
    return paths, parameters


def lookup_declared(lookup: str, list_filter: Any, date_hierarchy: str | None) -> bool:
    paths, parameters = declared_paths(list_filter, date_hierarchy)
    if lookup in parameters:
        return True
    parts = lookup.split("__")
    for path in paths:
        if parts[: len(path)] != path:
            continue
        rest = parts[len(path) :]
        # A related filter sends `production__id__exact`; a plain one `status__exact` or `status__isnull`.
        if rest[:1] and rest[0] in KEYS:
            rest = rest[1:]
        if len(rest) <= 1 and all(part in COMPARISONS for part in rest):
            return True
    return False


class DeclaredLookupsOnly:
    """Refuse (400) any query-string lookup that the list page's filters do not declare."""

    list_filter: Any
    date_hierarchy: str | None

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if not lookup_declared(lookup, self.list_filter, self.date_hierarchy):
            return False
        return super().lookup_allowed(lookup, value, request)  # type: ignore[misc]
