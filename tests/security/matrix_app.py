"""The matrix's cases for the app's own URLs (accounts and incidents)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.urls import reverse

from accounts.models import Department
from incidents.categories import Category
from tests.factories import plan_form_data
from tests.security.matrix import LOGIN, Case, on_report, roles, url
from tests.security.matrix_investigations import investigation_cases
from tests.security.world import GROUPS, ROLES, Objects, World, anonymous_form_started


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
# The armory: members open it (crew see what was handed to them), handlers its inventory and logs, and
# those who keep it (the armorer, the safety coordinator, producers and above) change it.
ARMORY = roles(404, anonymous=LOGIN, members=200)
ARMORY_LOGS = roles(404, anonymous=LOGIN, crew_here=403, handlers=200)
KEEPERS = ("armorer", "safety", "producer", "executive")
ARMORY_KEEPER = roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(KEEPERS, 200))
ARMORY_KEEPER_POST = roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(KEEPERS, 302))
# Shooting days: every member reads them and confirms attendance; the safety coordinator, the UPM and
# the producers (and above) plan them and record the meetings. Time requests: handlers ask; the one who
# asked, the safety coordinator and the UPM and above read one; the UPM and above answer (not their own).
PLANNERS = ("safety", "upm", "producer", "executive")
PLANNER = roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(PLANNERS, 200))
PLANNER_POST = roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(PLANNERS, 302))
ANSWERERS = ("upm", "producer", "executive")
RECORD = roles(404, anonymous=LOGIN, reporter=403, handlers=200, staff=403, superuser=200)


def app_cases() -> list[Case]:
    cases = [
        Case("home", "home", url("home"), EVERYONE_200),
        Case("healthz", "healthz", url("healthz"), EVERYONE_200),
        # The installable app: public files, and the outbox's session check (401 without a login)
        Case("manifest", "manifest", url("manifest"), EVERYONE_200),
        Case("service_worker", "service_worker", url("service_worker"), EVERYONE_200),
        Case("favicon", "favicon", url("favicon"), roles(302)),
        Case("offline", "offline", url("offline"), EVERYONE_200),
        Case("offline_session", "offline_session", url("offline_session"), roles(200, anonymous=401)),
        Case("javascript-catalog", "javascript-catalog", url("javascript-catalog"), EVERYONE_200),
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
            # strangers: "choose one of your productions"; the reporter's own call in this world is still
            # active, so a second one is refused with a link to it (409, issue 15)
            roles(302, anonymous=LOGIN, strangers=200, reporter=409),
            "POST",
            lambda w, r: {
                "production": w.production.pk,
                "title": "Smoke in the rafters",
                "identity": "named",
                "confirm": "on",
            },
            frozenset(GROUPS["members"]) - {"reporter"},
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
            roles(303),  # filed, then to /receipt/ (post/redirect/get)
            "POST",
            _anonymous_form,
            frozenset(ROLES),
        ),
        Case("receipt", "receipt", url("receipt"), EVERYONE_200),
        Case(
            "receipt",
            "POST receipt (look-up)",
            url("receipt"),
            roles(303),  # found: to the follow-up page (post/redirect/get)
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
        # The account page: each person's own push subscriptions and channel choices, nobody else's
        Case("account", "account", url("account"), LOGGED_IN_200),
        Case("account", "POST account", url("account"), roles(302, anonymous=LOGIN), "POST", lambda w, r: {"low": []}),
        Case("push_subscription_add", "GET push_subscription_add", url("push_subscription_add"), POST_ONLY),
        # Without VAPID keys (the test settings) the server has no push to offer: 409, whoever asks.
        Case(
            "push_subscription_add",
            "POST push_subscription_add",
            url("push_subscription_add"),
            roles(409, anonymous=LOGIN),
            "POST",
            lambda w, r: {},
        ),
        Case(
            "push_subscription_remove",
            "GET push_subscription_remove",
            url("push_subscription_remove", 1),
            POST_ONLY,
        ),
        Case(
            "push_subscription_remove",
            "POST push_subscription_remove (someone else's or nobody's: nothing removed)",
            url("push_subscription_remove", 999999),
            roles(302, anonymous=LOGIN),
            "POST",
            lambda w, r: {},
        ),
        # A mobile number for text messages: each person's own. The test settings have no SMS provider: 409.
        Case("phone_add", "GET phone_add", url("phone_add"), POST_ONLY),
        Case(
            "phone_add",
            "POST phone_add",
            url("phone_add"),
            roles(409, anonymous=LOGIN),
            "POST",
            lambda w, r: {"number": "+34612345678"},
        ),
        Case("phone_confirm", "GET phone_confirm", url("phone_confirm"), POST_ONLY),
        # Nobody asked for a code: refused with a message, nothing verified.
        Case(
            "phone_confirm",
            "POST phone_confirm",
            url("phone_confirm"),
            roles(400, anonymous=LOGIN),
            "POST",
            lambda w, r: {"code": "123456"},
        ),
        Case("phone_remove", "GET phone_remove", url("phone_remove"), POST_ONLY),
        Case("phone_remove", "POST phone_remove", url("phone_remove"), roles(302, anonymous=LOGIN), "POST"),
        # The SMS provider's webhook: no login, no CSRF; only a request signed by the provider is read.
        Case("sms_inbound", "GET sms_inbound", url("sms_inbound"), roles(405)),
        Case(
            "sms_inbound",
            "POST sms_inbound (unsigned: refused, whoever sends it)",
            url("sms_inbound"),
            roles(403),
            "POST",
            lambda w, r: {"From": "+34612345678", "Body": "ACK 123456"},
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
    for key in ("report_detail", "report_filed", "report_live"):
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
        # Resolving is planning corrective actions; their owner works on both productions.
        data=lambda w, r: plan_form_data("Sandbags doubled on every stand.", w.freelancer),
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
    # Buried warnings: the production's handlers (never the reporter) confirm or clear the scanner's flag.
    for key, data in (
        ("firearm_flag_confirm", lambda w, r: {"reason": ""}),
        ("firearm_flag_clear", lambda w, r: {"reason": "Only a prop discussion."}),
    ):
        cases += on_report(
            key,
            lambda o, k=key: reverse(k, args=[o.flagged.pk]),
            get=POST_ONLY,
            # The reporter and the production's admins may read the report: the page comes back with "only a handler".
            post=roles(404, anonymous=LOGIN, reporter=200, handlers=302, staff=200, superuser=302),
            data=data,
            takes_effect=[*GROUPS["handlers"], "superuser"],
        )
    cases += action_cases()
    cases += armory_cases()
    cases += investigation_cases()
    cases += days_cases()
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


def armory_cases() -> list[Case]:
    def keeper_form(
        key: str,
        pick: Callable[[Objects], str],
        fields: dict[str, Any],
        data: Callable[[World, str], dict[str, Any]] = lambda w, r: {},
    ) -> list[Case]:
        return on_report(
            key,
            pick,
            get=ARMORY_KEEPER,
            post=ARMORY_KEEPER_POST,
            data=lambda w, r: {**fields, **data(w, r)},
            takes_effect=list(KEEPERS),
        )

    cases = on_report("armory", lambda o: reverse("armory", args=[o.production.pk]), get=ARMORY)
    cases += on_report(
        "armory_weapon", lambda o: reverse("armory_weapon", args=[o.production.pk, o.weapon.pk]), get=ARMORY_LOGS
    )
    weapon = {"kind": "replica", "make": "Colt", "model_name": "M1911", "serial": "NEW-1"}
    cases += keeper_form("armory_weapon_new", lambda o: reverse("armory_weapon_new", args=[o.production.pk]), weapon)
    cases += keeper_form(
        "armory_weapon_edit",
        lambda o: reverse("armory_weapon_edit", args=[o.production.pk, o.weapon.pk]),
        {**weapon, "serial": "SAA-7B"},
    )
    cases += keeper_form(
        "armory_weapon_retire",
        lambda o: reverse("armory_weapon_retire", args=[o.production.pk, o.weapon.pk]),
        {"reason": "Cracked frame"},
    )
    cases += keeper_form(
        "armory_ammunition_new",
        lambda o: reverse("armory_ammunition_new", args=[o.production.pk]),
        {"kind": "dummy", "description": ".45 Colt dummies", "count": "6"},
    )
    cases += keeper_form(
        "armory_ammunition_count",
        lambda o: reverse("armory_ammunition_count", args=[o.production.pk, o.lot.pk]),
        {"count": "44", "reason": "Recounted"},
    )
    # The chain of custody: the receiver (here the reporter) and the 1st AD (the safety coordinator) open
    # and confirm their check-out; other members may not. The safety coordinator checking a weapon out
    # names the armorer as 1st AD: nobody witnesses their own check.
    cases += keeper_form(
        "armory_check_out",
        lambda o: reverse("armory_check_out", args=[o.production.pk, o.weapon.pk]),
        {"scene": "12", "load": "cold", "checked": "on", "both_present": ""},
        data=lambda w, r: {
            "handed_to": w.here.reporter.pk,
            "first_ad": w.users["armorer" if r == "safety" else "safety"].pk,
        },
    )
    cases += keeper_form(
        "armory_check_in",
        lambda o: reverse("armory_check_in", args=[o.production.pk, o.custody.pk]),
        {"rounds_back": "0", "rounds_fired": "0"},
    )
    cases += on_report(
        "armory_custody",
        lambda o: reverse("armory_custody", args=[o.production.pk, o.custody.pk]),
        get=roles(404, anonymous=LOGIN, crew=403, reporter=200, handlers=200),
    )
    parties = ["reporter", "safety"]
    cases += on_report(
        "armory_custody_confirm",
        lambda o: reverse("armory_custody_confirm", args=[o.production.pk, o.custody.pk]),
        get=POST_ONLY,
        post=roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(parties, 302)),
        takes_effect=parties,
    )
    cases += on_report(
        "armory_custody_present",
        lambda o: reverse("armory_custody_present", args=[o.production.pk, o.custody.pk]),
        get=POST_ONLY,
        post=ARMORY_KEEPER_POST,
        data=lambda w, r: {"party": "receiver"},
        takes_effect=list(KEEPERS),
    )
    return cases


def days_cases() -> list[Case]:
    def planner_form(
        key: str, pick: Callable[[Objects], str], data: Callable[[World, str], dict[str, Any]]
    ) -> list[Case]:
        return on_report(key, pick, get=PLANNER, post=PLANNER_POST, data=data, takes_effect=list(PLANNERS))

    def plan(w: World, r: str, days_ahead: int) -> dict[str, Any]:
        day = w.here.day.date + timedelta(days=days_ahead)
        return {"date": day.isoformat(), "scenes": "40, 41", "first_scene": "07:00", "wrap": "19:00", "firearms": "on"}

    cases = on_report("days", lambda o: reverse("days", args=[o.production.pk]), get=ARMORY)
    cases += planner_form("day_new", lambda o: reverse("day_new", args=[o.production.pk]), lambda w, r: plan(w, r, 3))
    cases += on_report("day", lambda o: reverse("day", args=[o.production.pk, o.day.pk]), get=ARMORY)
    cases += on_report(
        "day_evidence", lambda o: reverse("day_evidence", args=[o.production.pk, o.day.pk]), get=ARMORY_LOGS
    )
    cases += on_report(
        "armory_weapon_evidence",
        lambda o: reverse("armory_weapon_evidence", args=[o.production.pk, o.weapon.pk]),
        get=ARMORY_LOGS,
    )
    cases += planner_form(
        "day_edit", lambda o: reverse("day_edit", args=[o.production.pk, o.day.pk]), lambda w, r: plan(w, r, 0)
    )
    cases += planner_form(
        "day_meeting",
        lambda o: reverse("day_meeting", args=[o.production.pk, o.day_without_meeting.pk]),
        lambda w, r: {"held_at": "07:30", "led_by": w.users["safety"].pk, "topics": "Stunt fall, pads"},
    )
    cases += on_report(
        "day_attend",
        lambda o: reverse("day_attend", args=[o.production.pk, o.day.pk]),
        get=POST_ONLY,
        post=roles(404, anonymous=LOGIN, members=302),
        takes_effect=GROUPS["members"],
    )
    requests = lambda o: reverse("time_requests", args=[o.production.pk])  # noqa: E731
    cases += on_report("time_requests", requests, get=HANDLER_PAGE)
    cases += on_report(
        "time_request_new",
        lambda o: reverse("time_request_new", args=[o.production.pk]),
        get=HANDLER_PAGE,
        post=roles(404, anonymous=LOGIN, crew_here=403, handlers=302),
        data=lambda w, r: {
            "kind": "training",
            "what": "A dry run with the cast",
            "reason": "New actors on the gunfight",
            "needed_on": (w.here.day.date + timedelta(days=2)).isoformat(),
        },
        takes_effect=GROUPS["handlers"],
    )
    readers = ("armorer", "safety", *ANSWERERS)
    cases += on_report(
        "time_request",
        lambda o: reverse("time_request", args=[o.production.pk, o.time_request.pk]),
        get=roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(readers, 200)),
    )
    cases += on_report(
        "time_request_answer",
        lambda o: reverse("time_request_answer", args=[o.production.pk, o.time_request.pk]),
        get=POST_ONLY,
        post=roles(404, anonymous=LOGIN, members=403, **dict.fromkeys(ANSWERERS, 302)),
        data=lambda w, r: {"decision": "approve", "answer": ""},
        takes_effect=list(ANSWERERS),
    )
    return cases


def action_cases() -> list[Case]:
    """Corrective actions: their owner (crew who did not file the report) and everyone who may read the
    report open one; only the owner marks it done; a handler who is neither its owner nor its reporter
    verifies it or sends it back."""
    action_page = roles(404, anonymous=LOGIN, reporter=200, crew=200, handlers=200, staff=200, superuser=200)
    # Those who may open it but not do this get the page back with the reason.
    judges = roles(404, anonymous=LOGIN, reporter=200, crew=200, handlers=302, staff=200, superuser=302)
    cases = on_report("action_detail", lambda o: reverse("action_detail", args=[o.action_todo.pk]), get=action_page)
    cases += on_report(
        "action_evidence",
        lambda o: reverse("action_evidence", args=[o.action_done.pk, o.evidence.pk]),
        get=action_page,
    )
    cases += on_report(
        "action_done",
        lambda o: reverse("action_done", args=[o.action_todo.pk]),
        get=POST_ONLY,
        post=roles(404, anonymous=LOGIN, reporter=200, crew=302, handlers=200, staff=200, superuser=200),
        data=lambda w, r: {"note": "New ladders with rubber feet are on the truck."},
        takes_effect=["crew"],
    )
    cases += on_report(
        "action_verify",
        lambda o: reverse("action_verify", args=[o.action_done.pk]),
        get=POST_ONLY,
        post=judges,
        takes_effect=[*GROUPS["handlers"], "superuser"],
    )
    cases += on_report(
        "action_send_back",
        lambda o: reverse("action_send_back", args=[o.action_done.pk]),
        get=POST_ONLY,
        post=judges,
        data=lambda w, r: {"reason": "No photo of the new ladder."},
        takes_effect=[*GROUPS["handlers"], "superuser"],
    )
    return cases
