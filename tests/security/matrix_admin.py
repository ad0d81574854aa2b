"""The matrix's cases for the admin: every registered model's pages (from the admin's own URL list, so a
new model or page cannot escape), its actions, and the admin's own pages."""

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from incidents.models import Report
from tests.security.matrix import LOGIN, Case, Expect, roles, url
from tests.security.world import World

# --- the admin ----------------------------------------------------------------------------------------
# Per registered model, what a production-scoped staff user and a superuser may do: v(iew), a(dd),
# c(hange), d(elete). A model registered without a line here fails the test until it gets one.
ADMIN_PERMS: dict[str, tuple[str, str]] = {
    "auth.group": ("", "vacd"),
    "axes.accessattempt": ("", "vcd"),
    "axes.accesslog": ("", "vcd"),
    "axes.accessfailurelog": ("", "vcd"),
    "incidents.heartbeat": ("", "v"),
    "incidents.warningterm": ("", "vacd"),
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
    # The armory: weapons and lots change through its services and are never deleted; its trail is read-only.
    "incidents.weapon": ("vac", "vac"),
    "incidents.ammolot": ("vac", "vac"),
    "incidents.armoryevent": ("v", "v"),
    "incidents.armorygap": ("v", "v"),
    "incidents.custodyrecord": ("v", "v"),
    # Investigations are written on the site only; production admins read them, as they read the trail.
    "incidents.investigation": ("v", "v"),
    # Shooting days change through the days service (never deleted); meetings, attendance and time requests
    # are written on set, read-only in the admin.
    "incidents.shootingday": ("vac", "vac"),
    "incidents.safetymeeting": ("v", "v"),
    "incidents.meetingattendance": ("v", "v"),
    "incidents.timerequest": ("v", "v"),
}
# Rows that belong to no production: there is no "another production's" object to try.
GLOBAL_ADMIN_MODELS = {
    "auth.group",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "incidents.heartbeat",
    "incidents.warningterm",
}
# Where Django's admin answers differently from the rule above. The history page looks the row up before
# it checks permissions: a row the staff user's scoped list does not hold "does not exist" (no hint either way).
ADMIN_OVERRIDES: dict[tuple[str, str, str], Expect] = {
    ("incidents.heartbeat", "history", "staff"): 302,
    ("incidents.warningterm", "history", "staff"): 302,
}
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
        "incidents.warningterm": (world.warning_term, None),
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
        "incidents.weapon": (here.weapon, far.weapon),
        "incidents.ammolot": (here.lot, far.lot),
        "incidents.armoryevent": (here.armory_event, far.armory_event),
        "incidents.armorygap": (here.armory_gap, far.armory_gap),
        "incidents.custodyrecord": (here.custody, far.custody),
        "incidents.investigation": (here.statement.investigation, far.statement.investigation),
        "incidents.shootingday": (here.day, far.day),
        "incidents.safetymeeting": (here.day.meeting, far.day.meeting),
        "incidents.meetingattendance": (here.attendance, far.attendance),
        "incidents.timerequest": (here.time_request, far.time_request),
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
