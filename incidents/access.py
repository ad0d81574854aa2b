"""Who may see and do what. Every view, the admin, the exports and the fragments ask this module;
no view decides access on its own. Unauthorised requests for a report get 404, never a hint."""

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import PRODUCER_RANK, Membership, Production, Role, User, rank_of
from accounts.services import user_memberships
from incidents.models import (
    ActionStatus,
    AmmoLot,
    Attachment,
    CorrectiveAction,
    CustodyRecord,
    Event,
    EventKind,
    Identity,
    Notification,
    Report,
    ReportStatus,
    ShootingDay,
    TimeRequest,
    Weapon,
    WitnessStatement,
)

from .ladder import Ladder

AnyUser = User | AnonymousUser


def memberships_of(user: AnyUser) -> dict[int, Membership]:
    """The user's memberships by production id, read once per request object."""
    return {m.production_id: m for m in user_memberships(user)}


def membership_in(user: AnyUser, production_id: int) -> Membership | None:
    return memberships_of(user).get(production_id)


def is_handler_in(user: AnyUser, production_id: int) -> bool:
    membership = membership_in(user, production_id)
    return membership is not None and membership.is_handler


def handler_production_ids(user: AnyUser) -> list[int]:
    return [pid for pid, m in memberships_of(user).items() if m.is_handler]


# --- productions -------------------------------------------------------------------------------------


def production_for_member(user: AnyUser, production_id: int) -> Production:
    membership = membership_in(user, production_id)
    if membership is None:
        raise Http404
    return membership.production


def production_for_handler(user: AnyUser, production_id: int) -> Production:
    """For handler pages (dashboard, exports): members who are crew get 403, strangers 404."""
    membership = membership_in(user, production_id)
    if membership is None:
        raise Http404
    if not membership.is_handler:
        raise PermissionDenied(_("Only handlers can open this page."))
    return membership.production


def production_for_poster(user: AnyUser, production_id: int) -> Production:
    """The anonymous-reporting poster: the production's handlers, and those who run it in the admin (its
    production admins and superusers; the admin's production page links here). Crew 403, strangers 404."""
    if admin_views_production(user, production_id, "accounts.view_production"):
        production = Production.objects.filter(pk=production_id).first()
        if production is None:
            raise Http404
        return production
    return production_for_handler(user, production_id)


def handler_productions(user: AnyUser) -> list[Production]:
    return [m.production for m in user_memberships(user) if m.is_handler]


def production_for_dashboard(user: AnyUser, production_id: int | None, preferred_id: int | None = None) -> Production:
    """The production whose dashboard to show: the one asked for (crew 403, strangers 404); else the
    preferred one (the session's) when the user handles it, else the first they handle. Someone who
    handles none gets 403 if they are crew somewhere, 404 otherwise."""
    if production_id is not None:
        return production_for_handler(user, production_id)
    handled = handler_productions(user)
    if not handled:
        if memberships_of(user):
            raise PermissionDenied(_("Only handlers can open this page."))
        raise Http404
    return next((p for p in handled if p.pk == preferred_id), handled[0])


# --- reports -----------------------------------------------------------------------------------------


def reports_visible_to(user: AnyUser) -> QuerySet[Report]:
    """Reports a user may open: their own, and every report of the productions they handle."""
    if not user.is_authenticated:
        return Report.objects.none()
    if user.is_superuser:
        return Report.objects.all()
    return Report.objects.filter(
        Q(reporter=user, identity__in=[Identity.NAMED, Identity.CONFIDENTIAL])
        | Q(production_id__in=handler_production_ids(user) + admin_report_production_ids(user))
    )


def _is_own_report(user: AnyUser, report: Report) -> bool:
    return user.is_authenticated and report.reporter_id == user.pk and report.identity != Identity.ANONYMOUS


def can_view_report(user: AnyUser, report: Report) -> bool:
    """The reporter, the production's handlers, superusers, and its production admins (read-only: the
    admin links the report page and its attachments; they act on nothing there)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or _is_own_report(user, report):
        return True
    return is_handler_in(user, report.production_id) or report.production_id in admin_report_production_ids(user)


def report_for_viewer(user: AnyUser, report_id: int, queryset: QuerySet[Report] | None = None) -> Report:
    """The report if the user may see it; 404 otherwise (whether or not it exists)."""
    qs = queryset if queryset is not None else Report.objects.select_related("production")
    report = qs.filter(pk=report_id).first()
    if report is None or not can_view_report(user, report):
        raise Http404
    return report


def is_report_handler(user: AnyUser, report: Report) -> bool:
    return user.is_authenticated and (user.is_superuser or is_handler_in(user, report.production_id))


def report_for_investigator(user: AnyUser, report_id: int, queryset: QuerySet[Report] | None = None) -> Report:
    """The investigation record and its PDF: handlers of the report's production and superusers.
    Someone else who may see the report (its reporter) gets 403; everyone else 404."""
    report = report_for_viewer(user, report_id, queryset)
    if not is_report_handler(user, report):
        raise PermissionDenied(_("Only the production's handlers can export the investigation record."))
    return report


def is_concerned(user: AnyUser, report: Report) -> bool:
    """Whether the report says it is about this person ("This concerns…": them, or their role here)."""
    if not user.is_authenticated:
        return False
    if report.concerns_person_id is not None and report.concerns_person_id == user.pk:
        return True
    if report.concerns_role:
        membership = membership_in(user, report.production_id)
        return membership is not None and membership.role == report.concerns_role
    return False


def is_conflicted(user: AnyUser, report: Report) -> bool:
    """Whether this person is too close to the report to handle it: its reporter (whatever their role,
    they are never a handler of their own report) and everyone it concerns. The one place conflicts of
    interest are decided (the recipients' side is services.recipients.Crew.left_out)."""
    if not user.is_authenticated:
        return False
    return (report.reporter_id is not None and report.reporter_id == user.pk) or is_concerned(user, report)


def _reached_without_notifications(user: AnyUser, report: Report, ladder: Ladder) -> bool | None:
    """The part of `may_act_on` that needs no query: True or False when it decides, None when only the
    notifications sent so far can tell (a handler below the level reached, who may have been told)."""
    if not user.is_authenticated or is_conflicted(user, report):
        return False
    if user.is_superuser:
        return True
    membership = membership_in(user, report.production_id)
    if membership is None or not membership.is_handler:
        return False
    # The producers and the safety coordinator may take any report, at any time.
    if membership.role == Role.SAFETY or membership.rank >= PRODUCER_RANK:
        return True
    # A stop-work call reaches every level at once, so anyone it reached may take it on.
    reached = ladder.levels[0] if report.is_stop_work else ladder.level(report.escalation_level)
    if membership.rank >= reached.min_rank:
        return True
    if any(
        level.number <= report.escalation_level and any(p.pk == user.pk for p in level.people.all())
        for level in ladder.levels
    ):
        return True
    return None


def notified_report_ids(user: AnyUser, report_ids: Iterable[int]) -> set[int]:
    """Which of these reports have reached this person (any notification about it was sent to them): one query."""
    ids = list(report_ids)
    if not user.is_authenticated or not ids:
        return set()
    return set(
        Notification.objects.filter(recipient_id=user.pk, report_id__in=ids)
        .values_list("report_id", flat=True)
        .distinct()
    )


def may_act_on(user: AnyUser, report: Report, ladder: Ladder, *, notified: bool | None = None) -> bool:
    """Who may act on a report (acknowledge, resolve, comment as a handler): anyone it has reached.

    That is every handler it was sent to at any level so far, any handler at or above the level it has
    reached, and the producers and the safety coordinator at any time; never its reporter (DESIGN.md,
    Flows 3). Passing a report's level takes nobody's right away. `notified` says whether it was sent to
    this person (lists ask `notified_report_ids` once for all their rows); None reads it when needed."""
    decided = _reached_without_notifications(user, report, ladder)
    if decided is not None:
        return decided
    if notified is None:
        notified = Notification.objects.filter(report_id=report.pk, recipient_id=user.pk).exists()
    return notified


def reports_may_act_on(user: AnyUser, reports: Sequence[Report], ladder_of: Callable[[Report], Ladder]) -> set[int]:
    """The ids of the reports in a list this person may act on: `may_act_on` for each, with one query at
    most (who was told), and none when every row is decided without it."""
    undecided, allowed = [], set()
    for report in reports:
        decided = _reached_without_notifications(user, report, ladder_of(report))
        if decided:
            allowed.add(report.pk)
        elif decided is None:
            undecided.append(report.pk)
    return allowed | notified_report_ids(user, undecided)


def can_acknowledge(user: AnyUser, report: Report, ladder: Ladder, *, notified: bool | None = None) -> bool:
    return report.status == ReportStatus.OPEN and may_act_on(user, report, ladder, notified=notified)


def can_resolve(user: AnyUser, report: Report, ladder: Ladder) -> bool:
    if not user.is_authenticated or report.status == ReportStatus.RESOLVED:
        return False
    if report.stop_work_active:
        return False  # a stop-work call ends by being lifted, with a clearance note (can_lift_stop_work)
    if is_conflicted(user, report):
        return False
    return report.acknowledged_by_id == user.pk or may_act_on(user, report, ladder)


def can_reopen(user: AnyUser, report: Report) -> bool:
    return (
        user.is_authenticated
        and report.status == ReportStatus.RESOLVED
        and report.reporter_id == user.pk
        and report.identity != Identity.ANONYMOUS
    )


def can_comment(user: AnyUser, report: Report, ladder: Ladder) -> bool:
    """The reporter and the handlers it has reached talk on a report (`may_act_on`); a production admin
    who can only read it does not."""
    return _is_own_report(user, report) or may_act_on(user, report, ladder)


def comments_as_handler(user: AnyUser, report: Report) -> bool:
    """Whether this person's comments are a handler's (they may keep one internal) rather than the
    reporter's: a handler of the production who is not too close to the report."""
    return is_report_handler(user, report) and not is_conflicted(user, report)


def can_lift_stop_work(user: AnyUser, report: Report) -> bool:
    if not (user.is_authenticated and report.stop_work_active):
        return False
    if user.is_superuser:
        return True
    membership = membership_in(user, report.production_id)
    return membership is not None and membership.rank >= PRODUCER_RANK


def can_reveal_identity(user: AnyUser, report: Report) -> bool:
    if not user.is_authenticated or report.identity != Identity.CONFIDENTIAL or report.revealed_at:
        return False
    if is_concerned(user, report):
        return False
    if user.is_superuser:
        return True
    membership = membership_in(user, report.production_id)
    return membership is not None and membership.role == Role.SAFETY


# --- buried warnings, corrective actions and investigations (issue 20) ---------------------------------


def can_decide_firearm_flag(user: AnyUser, report: Report) -> bool:
    """Confirm or clear a "possible firearm concern": the production's handlers who are not too close."""
    return is_report_handler(user, report) and not is_conflicted(user, report)


def can_plan_actions(user: AnyUser, report: Report, ladder: Ladder) -> bool:
    """Resolving a report is planning its corrective actions: whoever may resolve it."""
    return can_resolve(user, report, ladder)


def can_mark_action_done(user: AnyUser, action: CorrectiveAction) -> bool:
    """Only the action's owner marks it done (with evidence)."""
    return user.is_authenticated and action.status == ActionStatus.PLANNED and action.owner_id == user.pk


def can_verify_action(user: AnyUser, action: CorrectiveAction, report: Report) -> bool:
    """Verify (or send back) an action marked done: a handler of the production who is neither its owner
    nor too close to the report (its reporter, anyone it concerns)."""
    return (
        action.status == ActionStatus.DONE
        and is_report_handler(user, report)
        and action.owner_id != user.pk
        and not is_conflicted(user, report)
    )


def can_view_action(user: AnyUser, action: CorrectiveAction, report: Report) -> bool:
    """An action's page: its owner (who may be crew and not see the report itself), and everyone who
    may see the report."""
    return user.is_authenticated and (action.owner_id == user.pk or can_view_report(user, report))


def action_for_viewer(user: AnyUser, action_id: int) -> CorrectiveAction:
    """The action if the user may open it; 404 otherwise (whether or not it exists)."""
    action = (
        CorrectiveAction.objects.select_related("report__production", "owner", "planned_by", "verified_by")
        .filter(pk=action_id)
        .first()
    )
    if action is None or not can_view_action(user, action, action.report):
        raise Http404
    return action


def evidence_for_viewer(user: AnyUser, action_id: int, attachment_id: int) -> Attachment:
    """A photo or document given as an action's evidence, to whoever may open the action; 404 otherwise."""
    action = action_for_viewer(user, action_id)
    attachment = Attachment.objects.filter(pk=attachment_id, action_id=action.pk).first()
    if attachment is None:
        raise Http404
    attachment.report = action.report
    return attachment


def can_investigate(user: AnyUser, report: Report, ladder: Ladder) -> bool:
    """Write a report's investigation (critical and firearm reports; the services check which): a
    handler who may act on the report (`may_act_on`: anyone it has reached, never someone too close to it:
    `is_conflicted`). Every handler of the production (and a superuser) may read it."""
    return may_act_on(user, report, ladder)


def statement_for_investigator(user: AnyUser, report_id: int, statement_id: int) -> WitnessStatement:
    """A witness statement of a report's investigation: whoever may read the investigation record (the
    production's handlers and superusers); the reporter 403, everyone else 404."""
    report = report_for_investigator(user, report_id)
    statement = (
        WitnessStatement.objects.filter(pk=statement_id, investigation__report_id=report.pk)
        .select_related("investigation")
        .first()
    )
    if statement is None:
        raise Http404
    statement.investigation.report = report
    return statement


# --- identity ----------------------------------------------------------------------------------------


def reporter_visible(user: AnyUser, report: Report) -> bool:
    """Whether this viewer may know who filed the report."""
    if report.identity == Identity.NAMED:
        return True
    if report.identity == Identity.CONFIDENTIAL:
        if user.is_authenticated and report.reporter_id == user.pk:
            return True
        # Whom the report is about never learns who filed it in confidence, even once it is revealed.
        return bool(report.revealed_at) and not is_concerned(user, report)
    return False


def reporter_label(report: Report, user: AnyUser | None = None, *, mid_sentence: bool = False) -> str:
    """What a handler (or an export, an email) shows as the reporter. `mid_sentence`: the words for
    after "reported by" ("a crew member", not "A crew member"); a name is a name either way."""
    viewer = user or AnonymousUser()
    if report.identity == Identity.SYSTEM:
        return _("SafeTrack (automatic)")
    if report.identity == Identity.ANONYMOUS:
        return _("an anonymous crew member") if mid_sentence else _("Anonymous crew member")
    if report.identity == Identity.CONFIDENTIAL and not reporter_visible(viewer, report):
        if report.show_department and report.department:
            department = report.get_department_display()
            if mid_sentence:
                return _("a crew member (%(department)s)") % {"department": department}
            return _("A crew member (%(department)s)") % {"department": department}
        return _("a crew member") if mid_sentence else _("A crew member")
    if report.reporter_id:
        return str(report.reporter)
    return _("a crew member") if mid_sentence else _("A crew member")


# Events a reporter makes themselves: an anonymous reporter's carry no actor.
REPORTER_EVENT_KINDS = frozenset({EventKind.FILED, EventKind.STOP_WORK_CALLED, EventKind.COMMENTED, EventKind.REOPENED})


def person_label(person: User | None, report: Report, user: AnyUser | None = None) -> str:
    """A person named in a report's trail (an actor, a notified recipient): the reporter of a
    confidential or anonymous report is shown as `reporter_label`, never by name."""
    viewer = user or AnonymousUser()
    if person is None:
        return ""
    if person.pk == report.reporter_id and not reporter_visible(viewer, report):
        return reporter_label(report, viewer)
    return str(person)


def concerns_label(report: Report) -> str:
    """Whom a report says it concerns ("This concerns…"), in words: the person, or the role; "" if nobody."""
    parts = []
    if report.concerns_person_id is not None:
        parts.append(str(report.concerns_person))
    if report.concerns_role:
        parts.append(str(Role(report.concerns_role).label) if report.concerns_role in Role.values else "")
    return " · ".join(part for part in parts if part)


def event_actor_label(event: Event, report: Report, user: AnyUser | None = None) -> str:
    """Who did a trail event, as this viewer may know it."""
    if event.actor_id is None:
        # A confidential reporter's comments are stored without an actor too (see report_comment).
        from_reporter = event.kind == EventKind.COMMENTED and (event.payload or {}).get("from_reporter")
        if from_reporter or (report.identity == Identity.ANONYMOUS and event.kind in REPORTER_EVENT_KINDS):
            return reporter_label(report, user)
        return _("SafeTrack (automatic)")
    label = person_label(event.actor, report, user)
    if label != str(event.actor):
        return label  # a hidden reporter
    # The name as it was when the event was written: renaming someone does not rewrite past trails.
    name = (event.payload or {}).get("actor_name") if isinstance(event.payload, dict) else None
    return name if isinstance(name, str) and name else label


# --- the report page: trail, attachments, acknowledge links ------------------------------------------


def sees_internal_events(user: AnyUser, report: Report) -> bool:
    """Handlers see the whole trail; the reporter sees the public events (filed, answers, resolution),
    even when they are a handler: internal notes about a report are not for the people it is about."""
    return comments_as_handler(user, report)


def attachment_for_viewer(user: AnyUser, report_id: int, attachment_id: int) -> Attachment:
    """An attachment of a report the user may see; 404 otherwise (whether or not either exists)."""
    report = report_for_viewer(user, report_id)
    attachment = Attachment.objects.filter(pk=attachment_id, report_id=report.pk).first()
    if attachment is None:
        raise Http404
    attachment.report = report
    return attachment


class AckLinkRefusal(StrEnum):
    """Why a validly signed acknowledge link may not be used."""

    WRONG_REPORT = "wrong_report"
    WRONG_USER = "wrong_user"
    USED = "used"


def ack_link_refusal(user: AnyUser, notification: Notification, report_id: int) -> AckLinkRefusal | None:
    """Why a (validly signed, unexpired) acknowledge link may not be used by this user, or None.

    The link works only for the person it was sent to, only for its own report, and only once."""
    if notification.report_id != report_id or notification.recipient_id is None:
        return AckLinkRefusal.WRONG_REPORT
    if not user.is_authenticated or notification.recipient_id != user.pk:
        return AckLinkRefusal.WRONG_USER
    if notification.ack_link_used_at is not None:
        return AckLinkRefusal.USED
    return None


# --- the admin ---------------------------------------------------------------------------------------
# Superusers see everything. A staff user sees and edits only the productions they are linked to
# (Production.admins) and what belongs to them; a staff user linked to none sees nothing.


def admin_sees_all(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def admin_production_ids(user: AnyUser) -> list[int]:
    """The productions a staff user administers, read once per request object ([] if none or not staff).
    Superusers are not limited to this list: ask `admin_sees_all` first."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return []
    cached = getattr(user, "_admin_production_ids", None)
    if cached is None:
        cached = list(Production.objects.filter(admins=user).order_by("pk").values_list("pk", flat=True))
        user._admin_production_ids = cached
    return cached


def admin_views_production(user: AnyUser, production_id: int, permission: str) -> bool:
    """A superuser, or a staff user who administers this production and holds `permission`."""
    if admin_sees_all(user):
        return True
    return production_id in admin_production_ids(user) and user.has_perm(permission)


def admin_report_production_ids(user: AnyUser) -> list[int]:
    """The productions whose reports a production admin may read on the site (superusers: ask first)."""
    ids = admin_production_ids(user)
    return ids if ids and user.has_perm("incidents.view_report") else []


def can_admin_production(user: AnyUser, production_id: int | None) -> bool:
    if admin_sees_all(user):
        return True
    return production_id is not None and production_id in admin_production_ids(user)


def admin_productions(user: AnyUser) -> QuerySet[Production]:
    if admin_sees_all(user):
        return Production.objects.all()
    return Production.objects.filter(pk__in=admin_production_ids(user))


def admin_users(user: AnyUser) -> QuerySet[User]:
    """People a staff user may see and pick in the admin: the members of the productions they administer
    (and themselves). Superusers: everyone."""
    if admin_sees_all(user):
        return User.objects.all()
    members = Membership.objects.filter(production_id__in=admin_production_ids(user)).values("user_id")
    return User.objects.filter(Q(pk__in=Subquery(members)) | Q(pk=user.pk))


# --- the armory (DESIGN.md flow 6) -------------------------------------------------------------------
# Every member opens the armory (crew see what was handed to them, and confirm it); handlers see the
# inventory and its logs; the armorer, the safety coordinator and the producers (and above) keep it:
# they change the inventory and check weapons out and in. Strangers get 404, other members 403.


def keeps_armory(user: AnyUser, production_id: int) -> bool:
    membership = membership_in(user, production_id)
    return membership is not None and (
        membership.role in (Role.ARMORER, Role.SAFETY) or membership.rank >= PRODUCER_RANK
    )


def can_change_armory(user: AnyUser, production_id: int) -> bool:
    """The services' rule: those who keep the armory on set, and those who run the production in the
    admin (its production admins and superusers, who change the inventory there)."""
    if keeps_armory(user, production_id):
        return True
    return bool(user.is_authenticated and user.is_staff) and can_admin_production(user, production_id)


def production_for_armory_keeper(user: AnyUser, production_id: int) -> Production:
    production = production_for_member(user, production_id)
    if not keeps_armory(user, production_id):
        raise PermissionDenied(_("Only the armorer, the safety coordinator and the producers keep the armory."))
    return production


def production_for_armory_logs(user: AnyUser, production_id: int) -> Production:
    production = production_for_member(user, production_id)
    if not is_handler_in(user, production_id):
        raise PermissionDenied(_("Only handlers can open the armory's inventory and logs."))
    return production


def weapon_for_handler(user: AnyUser, production_id: int, weapon_id: int) -> Weapon:
    production = production_for_armory_logs(user, production_id)
    weapon = Weapon.objects.filter(pk=weapon_id, production=production).first()
    if weapon is None:
        raise Http404
    weapon.production = production
    return weapon


def weapon_for_keeper(user: AnyUser, production_id: int, weapon_id: int) -> Weapon:
    production = production_for_armory_keeper(user, production_id)
    weapon = Weapon.objects.filter(pk=weapon_id, production=production).first()
    if weapon is None:
        raise Http404
    weapon.production = production
    return weapon


def lot_for_keeper(user: AnyUser, production_id: int, lot_id: int) -> AmmoLot:
    production = production_for_armory_keeper(user, production_id)
    lot = AmmoLot.objects.filter(pk=lot_id, production=production).first()
    if lot is None:
        raise Http404
    lot.production = production
    return lot


def custody_for_viewer(user: AnyUser, production_id: int, record_id: int) -> CustodyRecord:
    """A custody record: the production's handlers, and the two people it names (the receiver and the
    1st AD, who confirm the check from it). Other members 403, strangers 404."""
    production = production_for_member(user, production_id)
    record = (
        CustodyRecord.objects.filter(pk=record_id, production=production)
        .select_related("weapon", "handed_to", "first_ad", "lot", "checked_out_by", "checked_in_by")
        .first()
    )
    if record is None:
        raise Http404
    if not (is_handler_in(user, production_id) or user.pk in (record.handed_to_id, record.first_ad_id)):
        raise PermissionDenied(_("Only handlers and the people named on this check-out can open it."))
    record.production = production
    return record


def custody_for_keeper(user: AnyUser, production_id: int, record_id: int) -> CustodyRecord:
    production = production_for_armory_keeper(user, production_id)
    record = (
        CustodyRecord.objects.filter(pk=record_id, production=production).select_related("weapon", "handed_to").first()
    )
    if record is None:
        raise Http404
    record.production = production
    return record


# --- shooting days, safety meetings and time requests (DESIGN.md flow 6) ------------------------------
# Every member reads the schedule and confirms their own attendance at a day's safety meeting; the
# safety coordinator, the UPM and the producers (and above) schedule days and record the meetings.
# Department heads and above ask for time for safety work; the UPM and above answer (never their own).


def plans_days(user: AnyUser, production_id: int) -> bool:
    membership = membership_in(user, production_id)
    return membership is not None and (membership.role == Role.SAFETY or membership.rank >= rank_of(Role.UPM))


def can_plan_days(user: AnyUser, production_id: int) -> bool:
    """The services' rule: the planners on set, and those who run the production in the admin."""
    if plans_days(user, production_id):
        return True
    return bool(user.is_authenticated and user.is_staff) and can_admin_production(user, production_id)


def overrides_meeting(user: AnyUser, production_id: int) -> bool:
    """Only the armorer may check a firearm out before the firearms day's safety meeting (with a reason)."""
    membership = membership_in(user, production_id)
    return membership is not None and membership.role == Role.ARMORER


def day_for_member(user: AnyUser, production_id: int, day_id: int) -> ShootingDay:
    production = production_for_member(user, production_id)
    day = ShootingDay.objects.filter(pk=day_id, production=production).first()
    if day is None:
        raise Http404
    day.production = production
    return day


def day_for_handler(user: AnyUser, production_id: int, day_id: int) -> ShootingDay:
    """A day's evidence (custody, attendance, requests): the production's handlers."""
    production_for_armory_logs(user, production_id)
    return day_for_member(user, production_id, day_id)


def production_for_day_planner(user: AnyUser, production_id: int) -> Production:
    production = production_for_member(user, production_id)
    if not plans_days(user, production_id):
        raise PermissionDenied(_("Only the safety coordinator, the UPM and the producers plan the shooting days."))
    return production


def day_for_planner(user: AnyUser, production_id: int, day_id: int) -> ShootingDay:
    day = day_for_member(user, production_id, day_id)
    if not plans_days(user, production_id):
        raise PermissionDenied(_("Only the safety coordinator, the UPM and the producers plan the shooting days."))
    return day


def can_request_time(user: AnyUser, production_id: int) -> bool:
    return is_handler_in(user, production_id)


def answers_time_requests(user: AnyUser, production_id: int) -> bool:
    membership = membership_in(user, production_id)
    return membership is not None and membership.rank >= rank_of(Role.UPM)


def sees_every_time_request(user: AnyUser, production_id: int) -> bool:
    membership = membership_in(user, production_id)
    return membership is not None and (membership.role == Role.SAFETY or membership.rank >= rank_of(Role.UPM))


def production_for_time_requester(user: AnyUser, production_id: int) -> Production:
    production = production_for_member(user, production_id)
    if not can_request_time(user, production_id):
        raise PermissionDenied(_("Department heads, the armorer and those above them ask for time for safety work."))
    return production


def time_request_for_viewer(user: AnyUser, production_id: int, request_id: int) -> TimeRequest:
    """A time request: the person who asked, the safety coordinator, and the UPM and above. Other
    members 403, strangers 404."""
    production = production_for_member(user, production_id)
    request = (
        TimeRequest.objects.filter(pk=request_id, production=production)
        .select_related("requested_by", "answered_by")
        .first()
    )
    if request is None:
        raise Http404
    if not (request.requested_by_id == user.pk or sees_every_time_request(user, production_id)):
        raise PermissionDenied(_("Only the person who asked, the safety coordinator and the UPM and above see it."))
    request.production = production
    return request


def time_request_for_answerer(user: AnyUser, production_id: int, request_id: int) -> TimeRequest:
    request = time_request_for_viewer(user, production_id, request_id)
    if not answers_time_requests(user, production_id):
        raise PermissionDenied(_("Only the UPM and the producers answer time requests."))
    if request.requested_by_id == user.pk:
        raise PermissionDenied(_("Someone else answers your own request."))
    return request
