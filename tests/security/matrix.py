"""The authorisation matrix's vocabulary: a Case (one URL, one method, an expectation per role) and the
helpers that build them. The cases are in matrix_app.py and matrix_admin.py; the test that runs them is
test_authorisation_matrix.py."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.urls import reverse

from tests.security.world import GROUPS, ROLES, Objects, World

LOGIN = "login"  # a redirect to a login page (the site's or the admin's)
Expect = int | str


def roles(default: Expect, **spec: Expect) -> dict[str, Expect]:
    """An expectation per role: `default`, then each keyword (a group of tests/security/world.GROUPS or
    a role) in the order given."""
    table = dict.fromkeys(ROLES, default)
    for name, value in spec.items():
        names = GROUPS.get(name, [name])
        assert set(names) <= set(ROLES), f"unknown role or group {name}"
        for role in names:
            table[role] = value
    return table


@dataclass(frozen=True)
class Case:
    key: str  # the URL pattern covered: "name", "admin:name" or "route:<pattern>" for unnamed ones
    label: str
    url: Callable[[World], str]
    expect: dict[str, Expect]
    method: str = "GET"
    data: Callable[[World, str], dict[str, Any]] | None = None
    takes_effect: frozenset[str] | None = None  # roles whose POST changes something; None: not checked


# --- the app's own URLs -----------------------------------------------------------------------------------


def _same_object_elsewhere(case: Case, url: Callable[[World], str], overrides: dict[str, Expect]) -> Case:
    """The case again, with the same kind of object in a production nobody in the cast belongs to."""
    expect = {
        role: (LOGIN if role == "anonymous" else case.expect[role] if role == "superuser" else 404) for role in ROLES
    }
    expect.update(overrides)
    for role in ROLES:
        if case.expect[role] == 405:  # the method is refused before anything is looked up
            expect[role] = 405
    effect = case.takes_effect & {"superuser"} if case.takes_effect is not None else None
    return replace(case, label=case.label + " (another production's)", url=url, expect=expect, takes_effect=effect)


def on_report(
    key: str,
    pick: Callable[[Objects], str],
    *,
    get: dict[str, Expect] | None = None,
    post: dict[str, Expect] | None = None,
    data: Callable[[World, str], dict[str, Any]] | None = None,
    takes_effect: list[str] | None = None,
    elsewhere: dict[str, Expect] | None = None,
) -> list[Case]:
    """Cases for a URL naming something of a production, here and elsewhere. `pick(objects)` gives the URL."""
    cases = []
    for method, expect in (("GET", get), ("POST", post)):
        if expect is None:
            continue
        effect = frozenset(takes_effect) if method == "POST" and takes_effect is not None else None
        case = Case(key, f"{method} {key}", lambda w, p=pick: p(w.here), expect, method, data, effect)
        cases += [case, _same_object_elsewhere(case, lambda w, p=pick: p(w.elsewhere), elsewhere or {})]
    return cases


def url(name: str, *args: Any, query: str = "") -> Callable[[World], str]:
    return lambda w: reverse(name, args=args) + query
