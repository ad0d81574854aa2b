"""Who may see and do what, for every URL in the URL conf and every role.

Every pattern of `get_resolver()` (the admin's included) must be covered by a case below, so a new URL
without a rule fails `test_every_url_pattern_has_a_rule`. A case names the URL with objects of THE
production (see tests/security/world.py) and gives, per role, the status code expected; for actions it
also says whose POST changes anything (everyone else's must change nothing). Cases that name a report,
an attachment or a production are repeated with the same object of a production nobody in the cast
belongs to: 404 for everyone but superusers.

Each request runs in a savepoint that is rolled back, so every role meets the same untouched objects.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Department, Production, User
from incidents.categories import Category
from incidents.models import Event, EventKind, Report
from tests.security.world import GROUPS, ROLES, Objects, World, anonymous_form_started, build_world

pytestmark = pytest.mark.django_db

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


def _report_form(world: World, role: str) -> dict[str, Any]:
    return {
        "category": Category.OTHER,
        "title": "Cable across the walkway",
        "description": "A cable runs across the walkway to stage 4 without a ramp.",
        "occurred_at": "2025-01-10 09:30",
        "identity": "named",
    }


def _anonymous_form(world: World, role: str) -> dict[str, Any]:
    return {**_report_form(world, role), "started": anonymous_form_started(), "website": ""}


LOGGED_IN_200 = roles(200, anonymous=LOGIN)
EVERYONE_200 = roles(200)
# The production's admins read its reports on the site too (the admin links them), and act on nothing.
REPORT_PAGE = roles(404, anonymous=LOGIN, reporter=200, handlers=200, staff=200, superuser=200)
POST_ONLY = roles(405, anonymous=LOGIN)
HANDLER_PAGE = roles(404, anonymous=LOGIN, crew_here=403, handlers=200)
RECORD = roles(404, anonymous=LOGIN, reporter=403, handlers=200, staff=403, superuser=200)


def app_cases() -> list[Case]:
    cases = [
        Case("home", "home", url("home"), EVERYONE_200),
        Case("healthz", "healthz", url("healthz"), EVERYONE_200),
        Case("set_language", "set_language", url("set_language"), roles(302), "POST", lambda w, r: {"language": "en"}),
        # Accounts
        Case("login", "login", url("login"), roles(302, anonymous=200)),
        Case("logout", "GET logout", url("logout"), roles(405)),
        Case("logout", "POST logout", url("logout"), roles(302), "POST"),
        Case("signup", "GET signup", url("signup"), roles(302, anonymous=200)),
        Case(
            "signup",
            "POST signup",
            url("signup"),
            roles(302),
            "POST",
            lambda w, r: {
                "full_name": "New Person",
                "email": "new.person@example.com",
                "language": "en",
                "password1": "a long enough passphrase",
                "password2": "a long enough passphrase",
            },
            frozenset({"anonymous"}),
        ),
        Case("password_reset", "password_reset", url("password_reset"), EVERYONE_200),
        Case(
            "password_reset",
            "POST password_reset",
            url("password_reset"),
            roles(302),
            "POST",
            lambda w, r: {"email": "gabi@example.com"},
            frozenset(),
        ),
        Case("password_reset_done", "password_reset_done", url("password_reset_done"), EVERYONE_200),
        Case(
            "password_reset_confirm",
            "password_reset_confirm (a made-up link)",
            url("password_reset_confirm", "MQ", "set-password"),
            EVERYONE_200,
        ),
        Case("password_reset_complete", "password_reset_complete", url("password_reset_complete"), EVERYONE_200),
        Case("password_change", "password_change", url("password_change"), LOGGED_IN_200),
        Case("password_change_done", "password_change_done", url("password_change_done"), LOGGED_IN_200),
        Case("join_enter", "join_enter", url("join_enter"), LOGGED_IN_200),
        Case(
            "join_enter",
            "POST join_enter",
            url("join_enter"),
            roles(302, anonymous=LOGIN),
            "POST",
            lambda w, r: {"join_code": w.production.join_code},
            frozenset(),
        ),
        Case("join", "join", lambda w: reverse("join", args=[w.production.join_code]), LOGGED_IN_200),
        Case(
            "join",
            "POST join",
            lambda w: reverse("join", args=[w.production.join_code]),
            roles(302, anonymous=LOGIN),
            "POST",
            lambda w, r: {"department": Department.GRIP},
            frozenset({"stranger", "outsider", "staff", "superuser"}),  # anyone with the code may join
        ),
        # Filing and following reports
        Case("report_list", "report_list", url("report_list"), LOGGED_IN_200),
        Case(
            "report_list",
            "report_list (production tab)",
            url("report_list", query="?tab=production"),
            LOGGED_IN_200,
        ),
        Case(
            "report_new",
            "report_new for THE production",
            lambda w: reverse("report_new") + f"?production={w.production.pk}",
            roles(200, anonymous=LOGIN, strangers=404, staff=302, superuser=302),
        ),
        Case(
            "report_new",
            "POST report_new for THE production",
            lambda w: reverse("report_new") + f"?production={w.production.pk}",
            roles(302, anonymous=LOGIN, strangers=404),
            "POST",
            _report_form,
            frozenset(GROUPS["members"]),
        ),
        Case(
            "stop_work_new",
            "stop_work_new",
            url("stop_work_new"),
            roles(200, anonymous=LOGIN, staff=302, superuser=302),
        ),
        Case(
            "stop_work_new",
            "POST stop_work_new on THE production",
            url("stop_work_new"),
            roles(302, anonymous=LOGIN, strangers=200),  # strangers: "choose one of your productions"
            "POST",
            lambda w, r: {
                "production": w.production.pk,
                "title": "Smoke in the rafters",
                "identity": "named",
                "confirm": "on",
            },
            frozenset(GROUPS["members"]),
        ),
        # Anonymous reporting and receipts: no account needed
        Case(
            "anonymous_new",
            "anonymous_new",
            lambda w: reverse("anonymous_new", args=[w.production.join_code]),
            EVERYONE_200,
        ),
        Case(
            "anonymous_new",
            "POST anonymous_new",
            lambda w: reverse("anonymous_new", args=[w.production.join_code]),
            EVERYONE_200,
            "POST",
            _anonymous_form,
            frozenset(ROLES),
        ),
        Case("receipt", "receipt", url("receipt"), EVERYONE_200),
        Case(
            "receipt",
            "POST receipt (look-up)",
            url("receipt"),
            EVERYONE_200,
            "POST",
            lambda w, r: {"receipt": w.here.receipt},
            frozenset(),
        ),
        # Dashboard and exports, for THE production
        *[
            Case(
                name,
                f"{name} for THE production",
                lambda w, n=name: reverse(n) + f"?production={w.production.pk}",
                HANDLER_PAGE | {"strangers": 404},
            )
            for name in ("dashboard", "dashboard_queue", "dashboard_export_csv")
        ],
        *[
            Case(
                name,
                f"{name} for another production",
                lambda w, n=name: reverse(n) + f"?production={w.elsewhere.production.pk}",
                roles(404, anonymous=LOGIN),
            )
            for name in ("dashboard", "dashboard_queue", "dashboard_export_csv")
        ],
        # The inbox
        Case("inbox", "inbox", url("inbox"), LOGGED_IN_200),
        Case("inbox_mark_read", "GET inbox_mark_read", url("inbox_mark_read"), POST_ONLY),
        Case(
            "inbox_mark_read",
            "POST inbox_mark_read",
            url("inbox_mark_read"),
            roles(302, anonymous=LOGIN),
            "POST",
            lambda w, r: {"all": "1"},
        ),
    ]
    # Productions
    cases += on_report(
        "production_detail",
        lambda o: reverse("production_detail", args=[o.production.pk]),
        get=roles(404, anonymous=LOGIN, members=200),
    )
    cases += on_report(
        "production_poster",
        lambda o: reverse("production_poster", args=[o.production.pk]),
        # The admin's production page links to the poster: its admins print it too.
        get=roles(404, anonymous=LOGIN, crew_here=403, handlers=200, staff=200, superuser=200),
    )
    cases += on_report(
        "production_switch",
        lambda o: reverse("production_switch", args=[o.production.pk]),
        get=POST_ONLY,
        post=roles(302, anonymous=LOGIN),  # switching to a production one is not in does nothing
        elsewhere={role: 302 for role in GROUPS["logged_in"]},
    )
    # Reports
    for key in ("report_detail", "report_filed"):
        cases += on_report(key, lambda o, k=key: reverse(k, args=[o.report.pk]), get=REPORT_PAGE)
    cases += on_report(
        "attachment_download",
        lambda o: reverse("attachment_download", args=[o.report.pk, o.attachment.pk]),
        get=REPORT_PAGE,
    )
    cases += on_report(
        "report_acknowledge",
        lambda o: reverse("report_acknowledge", args=[o.report.pk]),
        get=POST_ONLY,
        # The reporter and the production's admins are sent back with "only a handler can acknowledge".
        post=roles(404, anonymous=LOGIN, reporter=302, handlers=302, staff=302, superuser=302),
        takes_effect=[*GROUPS["handlers"], "superuser"],
    )
    cases += on_report(
        "report_comment",
        lambda o: reverse("report_comment", args=[o.report.pk]),
        get=POST_ONLY,
        # A production admin gets the page back with "you cannot comment on this report".
        post=roles(404, anonymous=LOGIN, reporter=302, handlers=302, staff=200, superuser=302),
        data=lambda w, r: {"body": "Moved the cable, please check.", "visibility": "reporter"},
        takes_effect=["reporter", *GROUPS["handlers"], "superuser"],
    )
    cases += on_report(
        "report_resolve",
        lambda o: reverse("report_resolve", args=[o.report.pk]),
        get=POST_ONLY,
        # The reporter and the production's admins get the page back with "you cannot resolve this report".
        post=roles(404, anonymous=LOGIN, reporter=200, handlers=302, staff=200, superuser=302),
        data=lambda w, r: {"resolution": "Sandbags doubled on every stand."},
        takes_effect=[*GROUPS["handlers"], "superuser"],
    )
    cases += on_report(
        "report_reopen",
        lambda o: reverse("report_reopen", args=[o.resolved.pk]),
        get=POST_ONLY,
        # Handlers get the page back with "only the person who filed this report can reopen it".
        post=roles(404, anonymous=LOGIN, reporter=302, handlers=200, staff=200, superuser=200),
        data=lambda w, r: {"reason": "The truss moved again."},
        takes_effect=["reporter"],
    )
    reveal = roles(404, anonymous=LOGIN, reporter=403, handlers=403, staff=403, safety=200, superuser=200)
    cases += on_report(
        "report_reveal",
        lambda o: reverse("report_reveal", args=[o.confidential.pk]),
        get=reveal,
        post=reveal | {"safety": 302, "superuser": 302},
        data=lambda w, r: {"reason": "The reporter is the only witness of the injury."},
        takes_effect=["safety", "superuser"],
    )
    lift = roles(
        404, anonymous=LOGIN, reporter=403, handlers=403, staff=403, producer=200, executive=200, superuser=200
    )
    cases += on_report(
        "stop_work_lift",
        lambda o: reverse("stop_work_lift", args=[o.stop_work.pk]),
        get=lift,
        post=lift | {"producer": 302, "executive": 302, "superuser": 302},
        data=lambda w, r: {"clearance_note": "Armorer checked every round in the cart: all dummies."},
        takes_effect=["producer", "executive", "superuser"],
    )
    for key in ("report_record", "report_record_pdf"):
        cases += on_report(key, lambda o, k=key: reverse(k, args=[o.report.pk]), get=RECORD)
    # The emailed acknowledge link works only for the person it was sent to (the level-1 department head).
    link = roles(403, anonymous=LOGIN, department_head=200)
    cases += [
        Case(
            "report_acknowledge_link",
            "GET report_acknowledge_link",
            lambda w: reverse("report_acknowledge_link", args=[w.here.report.pk, w.here.ack_token]),
            link,
        ),
        Case(
            "report_acknowledge_link",
            "POST report_acknowledge_link",
            lambda w: reverse("report_acknowledge_link", args=[w.here.report.pk, w.here.ack_token]),
            link | {"department_head": 302},
            "POST",
            takes_effect=frozenset({"department_head"}),
        ),
        Case(
            "report_acknowledge_link",
            "POST report_acknowledge_link (another production's)",
            lambda w: reverse("report_acknowledge_link", args=[w.elsewhere.report.pk, w.elsewhere.ack_token]),
            roles(403, anonymous=LOGIN),
            "POST",
            takes_effect=frozenset(),
        ),
        Case(
            "report_acknowledge_link",
            "GET report_acknowledge_link with THE report and another production's token",
            lambda w: reverse("report_acknowledge_link", args=[w.here.report.pk, w.elsewhere.ack_token]),
            roles(400, anonymous=LOGIN),
        ),
    ]
    return cases


# --- the admin ----------------------------------------------------------------------------------------
# Per registered model, what a production-scoped staff user and a superuser may do: v(iew), a(dd),
# c(hange), d(elete). A model registered without a line here fails the test until it gets one.
ADMIN_PERMS: dict[str, tuple[str, str]] = {
    "auth.group": ("", "vacd"),
    "axes.accessattempt": ("", "vcd"),
    "axes.accesslog": ("", "vcd"),
    "axes.accessfailurelog": ("", "vcd"),
    "incidents.heartbeat": ("", "v"),
    "incidents.digestrun": ("v", "v"),
    "admin.logentry": ("v", "v"),
    "incidents.escalationpolicy": ("vc", "vc"),
    "incidents.report": ("v", "v"),
    "incidents.event": ("v", "v"),
    "incidents.notification": ("v", "v"),
    "incidents.attachment": ("v", "v"),
    "accounts.user": ("v", "vac"),
    "accounts.production": ("vc", "vacd"),
    "accounts.membership": ("vacd", "vacd"),
}
# Rows that belong to no production: there is no "another production's" object to try.
GLOBAL_ADMIN_MODELS = {
    "auth.group",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "incidents.heartbeat",
}
# Where Django's admin answers differently from the rule above. The history page looks the row up before
# it checks permissions: a row the staff user's scoped list does not hold "does not exist" (no hint either way).
ADMIN_OVERRIDES: dict[tuple[str, str, str], Expect] = {("incidents.heartbeat", "history", "staff"): 302}
# Deleting a production with reports is refused (the reports are protected): the page says so.
ADMIN_DELETE_REFUSED = {"accounts.production"}


def admin_objects(world: World) -> dict[str, tuple[Any, Any]]:
    """Per model: an object the scoped staff user administers, and one they must not see (or None)."""
    here, far = world.here, world.elsewhere
    return {
        "auth.group": (world.users["staff"].groups.get(), None),
        "axes.accessattempt": (world.axes["accessattempt"], None),
        "axes.accesslog": (world.axes["accesslog"], None),
        "axes.accessfailurelog": (world.axes["accessfailurelog"], None),
        "incidents.heartbeat": (world.heartbeat, None),
        "incidents.digestrun": (here.digest, far.digest),
        "admin.logentry": (world.log_entries["staff"], world.log_entries["superuser"]),
        "incidents.escalationpolicy": (here.production.policy, far.production.policy),
        "incidents.report": (here.report, far.report),
        "incidents.event": (here.event, far.event),
        "incidents.notification": (here.ack_notification, far.ack_notification),
        "incidents.attachment": (here.attachment, far.attachment),
        "accounts.user": (here.reporter, far.reporter),
        "accounts.production": (here.production, far.production),
        "accounts.membership": (here.membership, far.membership),
    }


def _admin_status(kind: str, perms: str, hidden: bool, method: str, refused: bool) -> Expect:
    sees = "v" in perms or "c" in perms
    if kind == "changelist":
        return 200 if sees else 403
    if kind == "add":
        return 200 if "a" in perms else 403
    if kind == "redirect":  # /admin/<app>/<model>/<id>/ forwards to the change page
        return 302
    needed = "d" if kind == "delete" else ("v" if sees else "-")
    if needed not in perms and not (needed == "v" and sees):
        return 403
    if hidden:
        return 302  # the admin says "does not exist" and sends the user to its index
    if kind == "delete" and method == "POST":
        return 200 if refused else 302
    return 200


def _admin_model_cases(model: type, model_admin: admin.ModelAdmin) -> Iterator[Case]:
    label = model._meta.label_lower
    assert label in ADMIN_PERMS, f"{label} is registered in the admin without a rule in ADMIN_PERMS"
    staff_perms, super_perms = ADMIN_PERMS[label]
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    for pattern in model_admin.urls:
        key = (
            f"admin:{pattern.name}"
            if pattern.name
            else f"route:admin/{model._meta.app_label}/{model._meta.model_name}/{pattern.pattern}"
        )
        kind = pattern.name.removeprefix(info + "_") if pattern.name else "redirect"
        if kind not in ("changelist", "add", "change", "delete", "history", "redirect"):
            continue  # a custom admin URL: covered by ADMIN_EXTRA_CASES, or the coverage test fails
        variants = [("here", False)]
        if kind not in ("changelist", "add") and label not in GLOBAL_ADMIN_MODELS:
            variants.append(("far", True))
        methods = ["GET", "POST"] if kind == "delete" else ["GET"]
        for which, hidden in variants:
            for method in methods:

                def make_url(w: World, which: str = which, kind: str = kind) -> str:
                    obj = admin_objects(w)[label][0 if which == "here" else 1]
                    if kind in ("changelist", "add"):
                        return reverse(f"admin:{info}_{kind}")
                    if kind == "redirect":
                        return reverse(f"admin:{info}_change", args=[obj.pk]).removesuffix("change/")
                    return reverse(f"admin:{info}_{kind}", args=[obj.pk])

                refused = label in ADMIN_DELETE_REFUSED
                expect = roles(LOGIN)
                expect["superuser"] = _admin_status(kind, super_perms, False, method, refused)
                expect["staff"] = _admin_status(kind, staff_perms, hidden, method, refused)
                expect["staff"] = ADMIN_OVERRIDES.get((label, kind, "staff"), expect["staff"])
                effect = None
                if method == "POST":
                    deleted = {"superuser": expect["superuser"] == 302, "staff": expect["staff"] == 302 and not hidden}
                    effect = frozenset(role for role, done in deleted.items() if done)
                yield Case(
                    key,
                    f"{method} admin {label} {kind}" + (" (another production's)" if which == "far" else ""),
                    make_url,
                    expect,
                    method,
                    (lambda w, r: {"post": "yes"}) if method == "POST" else None,
                    effect,
                )


def _escalate_now(report: Report) -> dict[str, Any]:
    return {
        "action": "escalate_now",
        "_selected_action": [report.pk],
        "post": "yes",
        f"level_{report.pk}": report.escalation_level,
    }


def admin_cases() -> list[Case]:
    cases: list[Case] = []
    for model, model_admin in admin.site._registry.items():
        cases += _admin_model_cases(model, model_admin)
    staff_only = roles(LOGIN, staff=200, superuser=200)
    cases += [
        Case("admin:index", "admin index", url("admin:index"), staff_only),
        Case(
            "admin:login",
            "admin login",
            url("admin:login"),
            roles(200, staff=302, superuser=302),  # others: "you are not authorised", with a login form
        ),
        # Logging out of the admin is POST-only; anyone else is sent to the admin's index (and from there to log in).
        Case("admin:logout", "GET admin logout", url("admin:logout"), roles(302, staff=405, superuser=405)),
        Case("admin:logout", "POST admin logout", url("admin:logout"), roles(302), "POST"),
        Case("admin:password_change", "admin password_change", url("admin:password_change"), staff_only),
        Case("admin:password_change_done", "admin password_change_done", url("admin:password_change_done"), staff_only),
        Case("admin:jsi18n", "admin jsi18n", url("admin:jsi18n"), staff_only),
        Case(
            "admin:autocomplete",
            "admin autocomplete (members' users)",
            url(
                "admin:autocomplete",
                query="?app_label=accounts&model_name=membership&field_name=user&term=",
            ),
            staff_only,
        ),
        Case(
            "admin:view_on_site",
            "admin view_on_site (THE report)",
            lambda w: reverse(
                "admin:view_on_site", args=[ContentType.objects.get_for_model(Report).pk, w.here.report.pk]
            ),
            roles(LOGIN, staff=302, superuser=302),
        ),
        Case(
            "admin:auth_user_password_change",
            "admin user password change",
            lambda w: reverse("admin:auth_user_password_change", args=[w.here.reporter.pk]),
            roles(LOGIN, staff=403, superuser=200),
        ),
        Case(
            "route:admin/(?P<url>.*)$",
            "admin catch-all",
            lambda w: "/admin/no-such-page/",
            roles(LOGIN, staff=404, superuser=404),
        ),
    ]
    # Admin actions run on the rows a staff user's own list holds: another production's rows are left alone.
    for which in ("here", "elsewhere"):
        suffix = "" if which == "here" else " (another production's)"
        cases += [
            Case(
                "admin:incidents_report_changelist",
                "POST admin report action escalate_now" + suffix,
                url("admin:incidents_report_changelist"),
                roles(LOGIN, staff=302, superuser=302),
                "POST",
                lambda w, r, which=which: _escalate_now(getattr(w, which).report),
                frozenset({"staff", "superuser"} if which == "here" else {"superuser"}),
            ),
            Case(
                "admin:accounts_production_changelist",
                "POST admin production action regenerate_join_code" + suffix,
                url("admin:accounts_production_changelist"),
                roles(LOGIN, staff=302, superuser=302),
                "POST",
                lambda w, r, which=which: {
                    "action": "regenerate_join_code",
                    "_selected_action": [getattr(w, which).production.pk],
                },
                frozenset({"staff", "superuser"} if which == "here" else {"superuser"}),
            ),
        ]
    for app_label, staff_sees in (
        ("auth", False),
        ("axes", False),
        ("admin", True),
        ("incidents", True),
        ("accounts", True),
    ):
        cases.append(
            Case(
                "admin:app_list",
                f"admin app index {app_label}",
                url("admin:app_list", app_label),
                roles(LOGIN, staff=200 if staff_sees else 404, superuser=200),
            )
        )
    return cases


def all_cases() -> list[Case]:
    return app_cases() + admin_cases()


# --- running the matrix -------------------------------------------------------------------------------


def pattern_keys(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from pattern_keys(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                yield f"route:{prefix}{pattern.pattern}"


def test_every_url_pattern_has_a_rule():
    patterns = set(pattern_keys(get_resolver().url_patterns))
    covered = {case.key for case in all_cases()}
    assert sorted(patterns - covered) == [], "URL patterns without a rule in the authorisation matrix"
    assert sorted(covered - patterns) == [], "rules for URL patterns that no longer exist"


def fingerprint() -> tuple:
    """What an action can change: rows of every kind, and each report's state."""
    tables = [model._meta.db_table for model in admin.site._registry if model is not Event]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables))  # noqa: S608
        counts = cursor.fetchone()
    return (
        counts,
        Event.objects.exclude(kind=EventKind.VIEWED).count(),  # a handler opening a page is not an action
        tuple(
            Report.objects.order_by("pk").values_list(
                "pk", "status", "escalation_level", "lifted_at", "revealed_at", "reopen_count", "acknowledged_by"
            )
        ),
        tuple(Production.objects.order_by("pk").values_list("join_code", flat=True)),
    )


def _outcome(response: Any) -> Expect:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith((reverse("login"), reverse("admin:login"))):
            return LOGIN
    return response.status_code


def _login(client: Client, user: User | None) -> None:
    if user is not None:
        client.force_login(user)


def run_case(client: Client, world: World, role: str, case: Case) -> tuple[Expect, bool | None]:
    """The outcome of one request, and whether it changed anything; undone afterwards."""
    target = case.url(world)
    data = case.data(world, role) if case.data else {}
    with transaction.atomic():
        before = fingerprint() if case.takes_effect is not None else None
        response = client.post(target, data) if case.method == "POST" else client.get(target)
        changed = None if before is None else fingerprint() != before
        transaction.set_rollback(True)
    if case.method == "POST" and role != "anonymous" and "_auth_user_id" not in client.session:
        _login(client, world.users[role])  # logged out (or the new session was rolled back)
    return _outcome(response), changed


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_and_cache(settings, media_root):
    """Overrides tests/conftest.py's: the attachments of the module's world stay where they were saved."""
    settings.MEDIA_ROOT = media_root
    cache.clear()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_root):
    """One world for the whole module, in a transaction rolled back at its end (each test's own
    transaction, and each request's savepoint, nest inside it)."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", ROLES)
def test_the_authorisation_matrix(role, world, settings):
    settings.RATELIMIT_ENABLE = False  # the limits have their own tests; here each role asks many times
    client = Client()
    _login(client, world.users[role])
    failures = []
    for case in all_cases():
        outcome, changed = run_case(client, world, role, case)
        expected = case.expect[role]
        if outcome != expected:
            failures.append(f"{case.label} [{case.url(world)}]: expected {expected}, got {outcome}")
        if changed is not None and changed != (role in case.takes_effect):
            failures.append(
                f"{case.label} [{case.url(world)}]: "
                + ("changed something but must not" if changed else "changed nothing but should")
            )
    assert failures == [], f"as {role}:\n" + "\n".join(failures)
