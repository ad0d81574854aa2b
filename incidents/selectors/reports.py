"""Reports read for a page: the people a report's page names, active stop-work calls, warnings that went
nowhere, and a report's links."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import PRODUCER_RANK, ROLE_RANKS, Membership, Production, Role, User
from accounts.services import user_memberships
from incidents import access
from incidents.categories import Category
from incidents.models import Event, EventKind, Report

BANNER_LIMIT = 3
# Read at most this many active calls per request for the banner and the dashboard (a real set has one or
# two); past it, a page that needs them all asks for its production's alone.
STOP_WORK_READ_LIMIT = 100
# The people a report's page names. Read in one query by `report_people_attach`: joined to the report
# (five joins of the user table), PostgreSQL spent ~3 ms planning each page, ten times the query itself.
REPORT_PEOPLE = ("reporter", "acknowledged_by", "resolved_by", "lifted_by", "concerns_person")


def reports_people_attach(
    reports: Iterable[Report], people: Sequence[str] = REPORT_PEOPLE, columns: Sequence[str] = ()
) -> None:
    """Set each report's `people` relations from one query of the users they name (only `columns` of
    them if given), instead of one join of the user table per relation: PostgreSQL plans a query with a
    few such joins for longer than it runs it."""
    reports = list(reports)
    ids = {getattr(report, f"{name}_id") for report in reports for name in people} - {None}
    users = User.objects.only(*columns) if columns else User.objects.all()
    found = users.in_bulk(ids) if ids else {}
    for report in reports:
        for name in people:
            setattr(report, name, found.get(getattr(report, f"{name}_id")))


def report_people_attach(report: Report) -> Report:
    """The report with the people its page names (REPORT_PEOPLE), read in one query."""
    reports_people_attach([report])
    return report


def active_stop_work_for(
    production_ids: list[int], limit: int | None = None, productions: dict[int, Production] | None = None
) -> list[Report]:
    """Active stop-work calls of these productions, newest first. `productions` (by id), when the caller
    has them already (a member's memberships), spares reading them."""
    if not production_ids:
        return []
    calls = Report.objects.active_stop_work().filter(production_id__in=production_ids).order_by("-created_at")
    calls = list(calls[:limit] if limit is not None else calls)
    # Read apart, and only when there is a call (on most pages there is none): joined, PostgreSQL planned
    # this query, asked on every page for the banner, for several times as long as it ran it.
    if calls:
        if productions is None:
            productions = Production.objects.in_bulk({call.production_id for call in calls})
        for call in calls:
            call.production = productions[call.production_id]
        reports_people_attach(calls, ("reporter",))
    return calls


def active_stop_work_seen_by(user: User, production_id: int | None = None) -> list[Report]:
    """The active stop-work calls of the user's productions (of `production_id` alone when given), newest
    first: one query per request, however many parts of the page ask (the banner on every page, the
    dashboard's list). Kept on the request's user object, which lives as long as the request."""
    # During a stop-work call every member opens the app: their memberships already hold the productions.
    productions = {m.production_id: m.production for m in user_memberships(user)}
    if production_id is not None and production_id not in productions:
        return active_stop_work_for([production_id])  # a superuser looking at another production
    calls = getattr(user, "_active_stop_work", None)
    if calls is None:
        calls = active_stop_work_for(sorted(productions), limit=STOP_WORK_READ_LIMIT, productions=productions)
        user._active_stop_work = calls
    if production_id is None:
        return calls
    if len(calls) >= STOP_WORK_READ_LIMIT:
        return active_stop_work_for([production_id], productions=productions)
    return [call for call in calls if call.production_id == production_id]


RECENTLY_LIFTED = timedelta(days=7)


def recently_lifted_stop_work(production_id: int, *, now: datetime | None = None, limit: int = 10) -> list[Report]:
    """A production's stop-work calls lifted in the last week, newest lift first, with who called and who
    lifted them: every member it reached was told of the lift, and its clearance is for them all."""
    since = (now or timezone.now()) - RECENTLY_LIFTED
    calls = list(
        Report.objects.filter(category=Category.STOP_WORK, production_id=production_id, lifted_at__gte=since)
        .select_related("production")
        .order_by("-lifted_at")[:limit]
    )
    reports_people_attach(calls, ("reporter", "lifted_by"))
    return calls


def stop_work_contacts(production: Production) -> list[Membership]:
    """Who a member asks about a stop-work call: the safety coordinators, and the producers and above
    (the people who can lift it), highest rank first."""
    lifting = [role for role, rank in ROLE_RANKS.items() if rank >= PRODUCER_RANK]
    members = Membership.objects.filter(production=production, role__in=[Role.SAFETY, *lifting]).select_related("user")
    return sorted(members, key=lambda m: (-m.rank, m.user.full_name))


@dataclass(frozen=True)
class IgnoredWarningCounts:
    """Warnings that went nowhere: ignored-warning reports, and reports reopened as "not fixed"."""

    reports: int
    reopened: int

    @property
    def total(self) -> int:
        return self.reports + self.reopened


def ignored_warning_counts(production: Production | int, since: datetime) -> IgnoredWarningCounts:
    production_id = production if isinstance(production, int) else production.pk
    reports = Report.objects.filter(
        production_id=production_id, category=Category.IGNORED_WARNING, created_at__gte=since
    ).count()
    reopened = Event.objects.filter(
        report__production_id=production_id, kind=EventKind.REOPENED, created_at__gte=since
    ).count()
    return IgnoredWarningCounts(reports=reports, reopened=reopened)


@dataclass
class ReportLinks:
    """The reports one report is linked to, as far as the viewer may open them (others are only counted)."""

    repeat_of: Report | None = None
    repeat_of_hidden: bool = False
    repeats: list[Report] = field(default_factory=list)
    repeats_hidden: int = 0
    earlier: list[Report] = field(default_factory=list)
    earlier_hidden: int = 0
    later: list[Report] = field(default_factory=list)
    later_hidden: int = 0
    # What the viewer may do from the report page about a stop-work call or a confidential reporter.
    can_lift: bool = False
    can_reveal: bool = False

    @property
    def any(self) -> bool:
        return bool(
            self.repeat_of
            or self.repeat_of_hidden
            or self.repeats
            or self.repeats_hidden
            or self.earlier
            or self.earlier_hidden
            or self.later
            or self.later_hidden
        )


def report_links_for(report: Report, viewer: User) -> ReportLinks:
    """Repeat-incident and ignored-warning links of a report, in four queries whatever their number."""

    def split(reports: list[Report]) -> tuple[list[Report], int]:
        visible = [r for r in reports if access.can_view_report(viewer, r)]
        return visible, len(reports) - len(visible)

    links = ReportLinks(
        can_lift=access.can_lift_stop_work(viewer, report), can_reveal=access.can_reveal_identity(viewer, report)
    )
    if report.repeat_of_id:
        earlier = Report.objects.filter(pk=report.repeat_of_id).select_related("production").first()
        if earlier is not None and access.can_view_report(viewer, earlier):
            links.repeat_of = earlier
        else:
            links.repeat_of_hidden = True
    links.repeats, links.repeats_hidden = split(list(report.repeats.select_related("production").order_by("pk")))
    links.earlier, links.earlier_hidden = split(
        list(report.earlier_reports.select_related("production").order_by("pk"))
    )
    links.later, links.later_hidden = split(list(report.later_warnings.select_related("production").order_by("pk")))
    return links
