"""What waits for a handler, for their home page: the open reports they can take now and the reports
they acknowledged and still have to resolve, most urgent first, in every production they handle.

A constant number of queries whatever the number of productions or reports: the memberships (cached
per request by access), the ladders, one query per list. The dashboard has the whole queue of one
production; this is the short list that answers "is anything waiting for me?" on opening the app.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F

from accounts.models import User
from incidents import access
from incidents.formatting import Countdown, countdown
from incidents.ladder import ladders_for, level_words
from incidents.models import Report, ReportStatus

HOME_LIMIT = 8
# Open reports looked at to find the ones this person may take (the rest are someone else's level).
CANDIDATES = 100


@dataclass(frozen=True)
class WaitingRow:
    report: Report
    level_label: str
    countdown: Countdown


@dataclass
class Waiting:
    handles: bool = False
    to_acknowledge: list[WaitingRow] = field(default_factory=list)
    to_resolve: list[WaitingRow] = field(default_factory=list)
    more: bool = False  # more than the lists show: the dashboard has them

    @property
    def anything(self) -> bool:
        return bool(self.to_acknowledge or self.to_resolve)


def waiting_for(user: User, now: datetime) -> Waiting:
    production_ids = access.handler_production_ids(user)
    if not production_ids:
        return Waiting()
    ladders = ladders_for(set(production_ids))
    reports = Report.objects.filter(production_id__in=production_ids).select_related("production")
    by_deadline = (F("next_escalation_at").asc(nulls_last=True), "created_at", "pk")
    # Unanswered at the top first: they have no deadline left, and nobody answered every reminder.
    open_reports = list(
        reports.filter(status=ReportStatus.OPEN).order_by(F("unanswered_at_top_at").asc(nulls_last=True), *by_deadline)[
            :CANDIDATES
        ]
    )
    # Anyone a report has reached may take it (access.may_act_on): one more query at most, for who was told.
    allowed = access.reports_may_act_on(user, open_reports, lambda r: ladders[r.production_id])
    takeable = [r for r in open_reports if r.pk in allowed]
    mine = list(
        reports.filter(status=ReportStatus.ACKNOWLEDGED, acknowledged_by=user).order_by(*by_deadline)[: HOME_LIMIT + 1]
    )

    def rows(chosen: list[Report]) -> list[WaitingRow]:
        return [
            WaitingRow(
                report=report,
                level_label=level_words(ladders[report.production_id], report),
                countdown=countdown(report, now),
            )
            for report in chosen[:HOME_LIMIT]
        ]

    return Waiting(
        handles=True,
        to_acknowledge=rows(takeable),
        to_resolve=rows(mine),
        more=len(takeable) > HOME_LIMIT or len(mine) > HOME_LIMIT or len(open_reports) == CANDIDATES,
    )
