"""The armorer's time, written: a request for time or resources for safety work, and its answer.

The armorer, or any department head (or above), asks with a reason and the date it is needed; the UPM or
a producer (or above, never the person who asked) approves or refuses it with a reason. A refusal is
an event naming who refused, and a report SafeTrack files that starts at the ladder level above the
person who refused, tells the safety coordinator, and concerns the person who refused (who never
handles it): a refused request to secure the weapons is the warning that went nowhere. A request still
unanswered at `answer_by` files a report at the UPM's level (`time_requests_escalate_due`, from the
sweeper), which escalates like any report. Each transition
locks the request row and checks its state (compare-and-set), then the trail's head.
"""

import uuid
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Production, Role, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.formatting import local_datetime
from incidents.ladder import ladder_for
from incidents.models import ArmoryEventKind, GapKind, Report, TimeRequest, TimeRequestKind, TimeRequestStatus

from .days import DAYS_AHEAD, local_day
from .gaps import Gap, gap_language, gap_report_file, level_above_rank
from .trail import armory_event_append

WHAT_MAX_LENGTH = 200
REASON_MAX_LENGTH = 1000
# The same request sent again within this long is the one already asked (see time_request_make).
SAME_REQUEST_WINDOW = timedelta(minutes=10)
# An answer is due within this time, and before the day the time is needed begins; never sooner than
# ANSWER_AT_LEAST (a request made at 23:50 for tomorrow still gives the UPM an hour).
ANSWER_WITHIN = timedelta(hours=12)
ANSWER_AT_LEAST = timedelta(hours=1)


def _words(value: str, *, limit: int, required: str, too_long: str, code: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(required, code=code)
    if len(value) > limit:
        raise ValidationError(too_long % {"limit": limit}, code=code)
    return value


def answer_due(production: Production, needed_on: date, now: datetime) -> datetime:
    day_starts = timezone.make_aware(datetime.combine(needed_on, time(0, 0)), production.tzinfo)
    return max(min(now + ANSWER_WITHIN, day_starts), now + ANSWER_AT_LEAST)


def time_request_make(
    *,
    production: Production,
    user: User,
    kind: str,
    what: str,
    reason: str,
    needed_on: date,
    idempotency_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> TimeRequest:
    """Ask for the time. With `idempotency_key` (the form's), a repeat of the same submission (a double
    tap, a resend after a lost answer) returns the first request and asks nothing again: the key's
    unique index (per requester) decides, as for reports (`incidents.services.filing`)."""
    if not access.can_request_time(user, production.pk):
        raise PermissionDenied(_("Department heads, the armorer and those above them ask for time for safety work."))
    if kind not in TimeRequestKind.values:
        raise ValidationError(_("Choose what the time is for."), code="kind")
    what = " ".join(
        _words(
            what,
            limit=WHAT_MAX_LENGTH,
            required=_("Say what you need, e.g. two hours before call to secure the weapons."),
            too_long=_("Keep it under %(limit)s characters."),
            code="what",
        ).split()
    )
    reason = _words(
        reason,
        limit=REASON_MAX_LENGTH,
        required=_("Say why the safety work needs it."),
        too_long=_("Keep the reason under %(limit)s characters."),
        code="reason",
    )
    now = now or timezone.now()
    today = local_day(production, now)
    if not today <= needed_on <= today + timedelta(days=DAYS_AHEAD):
        raise ValidationError(_("Give a date from today to two years from now."), code="needed_on")
    # The same words sent again a moment later (the page reopened with "Back", which gives the form a new
    # key, then sent once more): the request already asked, not a second one.
    repeat = (
        TimeRequest.objects.filter(
            production=production,
            requested_by=user,
            kind=kind,
            what=what,
            reason=reason,
            needed_on=needed_on,
            status=TimeRequestStatus.PENDING,
            requested_at__gte=now - SAME_REQUEST_WINDOW,
        )
        .order_by("requested_at")
        .first()
    )
    if repeat is not None:
        return repeat
    try:
        with transaction.atomic():
            request = TimeRequest.objects.create(
                production=production,
                requested_by=user,
                kind=kind,
                what=what,
                reason=reason,
                needed_on=needed_on,
                requested_at=now,
                answer_by=answer_due(production, needed_on, now),
                idempotency_key=idempotency_key,
            )
            armory_event_append(
                production=production, kind=ArmoryEventKind.TIME_REQUESTED, actor=user, records=[request], at=now
            )
    except IntegrityError:
        earlier = _asked_with_key(idempotency_key, production, user)
        if earlier is None:
            raise
        return earlier
    return request


def _asked_with_key(key: uuid.UUID | None, production: Production, user: User) -> TimeRequest | None:
    """The request an earlier submission with this key made, or None. One made on another production is
    refused: the page must start a new submission."""
    earlier = TimeRequest.objects.filter(requested_by=user, idempotency_key=key).first() if key else None
    if earlier is not None and earlier.production_id != production.pk:
        raise ValidationError(
            _("This form was already used to send another request. Reload the page and send yours again."),
            code="key_used",
        )
    return earlier


def time_request_answer(
    *, request_id: int, user: User, approve: bool, answer: str, now: datetime | None = None
) -> TimeRequest:
    """Approve or refuse a waiting request. A refusal needs its reason, and files a report to the level
    above the person refusing and to the safety coordinator. A request already answered is not changed."""
    answer = (answer or "").strip()
    if not approve and not answer:
        raise ValidationError(_("Give the reason for refusing: it goes on the record."), code="answer")
    if len(answer) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}, code="answer"
        )
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            TimeRequest.objects.select_for_update(of=("self",))
            .select_related("production", "requested_by")
            .get(pk=request_id)
        )
        if not access.answers_time_requests(user, request.production_id):
            raise PermissionDenied(_("Only the UPM and the producers answer time requests."))
        if request.requested_by_id == user.pk:
            raise PermissionDenied(_("Someone else answers your own request."))
        if request.status != TimeRequestStatus.PENDING:
            raise ValidationError(
                _("%(person)s already answered this request at %(when)s.")
                % {"person": request.answered_by, "when": local_datetime(request.answered_at, request.production)},
                code="answered",
            )
        request.status = TimeRequestStatus.APPROVED if approve else TimeRequestStatus.REFUSED
        request.answered_by = user
        request.answered_at = now
        request.answer = answer
        request.save(update_fields=["status", "answered_by", "answered_at", "answer"])
        report = None if approve else _report_refused(request, user, now)
        armory_event_append(
            production=request.production,
            kind=ArmoryEventKind.TIME_APPROVED if approve else ArmoryEventKind.TIME_REFUSED,
            actor=user,
            records=[request],
            payload={
                "requested_by_name": str(request.requested_by),
                "answered_by_name": str(user),
                "report": report.pk if report else None,
            },
            at=now,
        )
    return request


def _report_refused(request: TimeRequest, refuser: User, now: datetime) -> Report:
    membership = access.membership_in(refuser, request.production_id)
    rank = membership.rank if membership else 0
    role = membership.get_role_display() if membership else ""
    with translation.override(gap_language(refuser)):
        gap = Gap(
            kind=GapKind.TIME_REFUSED,
            category=Category.OTHER,
            severity=Severity.MEDIUM,
            title=_("Time for safety work refused by %(person)s: %(what)s") % {"person": refuser, "what": request.what},
            description=_(
                "%(requester)s asked for %(what)s (%(kind)s) on %(date)s, because: %(reason)s\n"
                "%(person)s (%(role)s) refused it at %(when)s, because: %(answer)s"
            )
            % {
                "requester": request.requested_by,
                "what": request.what,
                "kind": request.get_kind_display().lower(),
                "date": request.needed_on.isoformat(),
                "reason": request.reason,
                "person": refuser,
                "role": role,
                "when": local_datetime(now, request.production),
                "answer": request.answer,
            },
            time_request=request,
            first_level=level_above_rank(ladder_for(request.production), rank),
            also_tell_roles=(Role.SAFETY,),
            # Their own answer: starting above them is not enough, a producer may take any report.
            concerns_person=refuser,
        )
        return gap_report_file(production=request.production, gap=gap, now=now)


def time_requests_escalate_due(*, now: datetime | None = None, limit: int = 50) -> int:
    """File a report for each request still unanswered at its `answer_by` (each once); how many."""
    now = now or timezone.now()
    filed = 0
    for _i in range(limit):
        with transaction.atomic():
            request = (
                TimeRequest.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("production", "requested_by")
                .filter(status=TimeRequestStatus.PENDING, escalated_at__isnull=True, answer_by__lte=now)
                .order_by("answer_by")
                .first()
            )
            if request is None:
                break
            request.escalated_at = now
            request.save(update_fields=["escalated_at"])
            report = _report_unanswered(request, now)
            armory_event_append(
                production=request.production,
                kind=ArmoryEventKind.TIME_UNANSWERED,
                records=[request],
                payload={"requested_by_name": str(request.requested_by), "report": report.pk},
                at=now,
            )
            filed += 1
    return filed


def _report_unanswered(request: TimeRequest, now: datetime) -> Report:
    with translation.override(gap_language(None)):
        gap = Gap(
            kind=GapKind.TIME_UNANSWERED,
            category=Category.OTHER,
            severity=Severity.MEDIUM,
            title=_("Time for safety work not answered: %(what)s") % {"what": request.what},
            description=_(
                "%(requester)s asked at %(asked)s for %(what)s (%(kind)s) on %(date)s, because: %(reason)s\n"
                "Nobody answered by %(due)s. Approve or refuse it on its page."
            )
            % {
                "requester": request.requested_by,
                "asked": local_datetime(request.requested_at, request.production),
                "what": request.what,
                "kind": request.get_kind_display().lower(),
                "date": request.needed_on.isoformat(),
                "reason": request.reason,
                "due": local_datetime(request.answer_by, request.production),
            },
            time_request=request,
            first_role=Role.UPM,
            also_tell_roles=(Role.SAFETY,),
        )
        return gap_report_file(production=request.production, gap=gap, now=now)
