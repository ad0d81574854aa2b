"""Investigations of critical and firearm reports (issue 20): what happened, the "why" chain, the
contributing factors, linked reports and witness statements.

Each write locks the report row (the trail's head lives there) and then the investigation row, checks
who may write (`access.can_investigate`: a handler who may act on the report and is not too close to
it) and which reports get one (`selectors.investigations.investigation_applies`), and appends one
`investigation_recorded` event carrying what changed, in the same transaction: the trail holds every
version of the investigation, and `verify_trail` vouches for it. Events are for handlers only (not
public): the reporter does not see the investigation.

An edit sent from a page loaded before someone else's change is refused (the investigation's
`version`), so two investigators never overwrite each other without knowing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from incidents import access
from incidents.ladder import ladder_for
from incidents.models import MAX_WHYS, EventKind, Factor, Investigation, Report, WitnessStatement
from incidents.selectors.investigations import investigation_applies, linkable_reports

from .attachments import CleanUpload
from .trail import event_append

WHAT_HAPPENED_MAX = 10000
WHY_MAX = 500
OTHER_MAX = 200
WITNESS_MAX = 200
LINKS_MAX = 20
STATEMENTS_MAX = 20
CONTENT_FIELDS = ["what_happened", "whys", "factors", "factors_other"]


@dataclass(frozen=True)
class InvestigationDraft:
    """What an investigator typed, before it is checked."""

    what_happened: str
    whys: Sequence[str]
    factors: Sequence[str]
    factors_other: str = ""
    linked_reports: Sequence[int] = ()


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """An error about one field of the investigation (a form shows it beside that field)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise _invalid(field, _("Remove the invisible control character from this text."), "nul")
    if len(value) > limit:
        raise _invalid(
            field,
            _("Keep this under %(limit)s characters (it has %(count)s).") % {"limit": limit, "count": len(value)},
            "too_long",
        )
    return value


def _whys(whys: Sequence[str]) -> list[str]:
    """The chain as typed, first why first: empty boxes at the end are dropped, a gap is refused."""
    answers = [_text(why, WHY_MAX, "whys") for why in whys]
    while answers and not answers[-1]:
        answers.pop()
    if len(answers) > MAX_WHYS:
        raise _invalid("whys", _("Keep the chain to %(count)s whys.") % {"count": MAX_WHYS}, "too_many_whys")
    if any(not answer for answer in answers):
        raise _invalid("whys", _("Fill the whys in order, without leaving one empty."), "why_gap")
    return answers


def _factors(factors: Sequence[str], other: str) -> tuple[list[str], str]:
    chosen = set(factors)
    unknown = chosen - set(Factor.values)
    if unknown:
        raise _invalid("factors", _("Choose factors from the list."), "unknown_factor")
    other = _text(other, OTHER_MAX, "factors_other")
    if other:
        chosen.add(Factor.OTHER)
    elif Factor.OTHER in chosen:
        raise _invalid("factors_other", _("Say what the other factor was."), "other_required")
    return [value for value in Factor.values if value in chosen], other


def _links(report: Report, user: User, numbers: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(n) for n in numbers))
    if len(wanted) > LINKS_MAX:
        raise _invalid("linked_reports", _("Link at most %(count)s reports.") % {"count": LINKS_MAX}, "too_many_links")
    if report.pk in wanted:
        raise _invalid("linked_reports", _("A report cannot be linked to itself."), "self_link")
    found = linkable_reports(report, user, wanted)
    missing = [n for n in wanted if n not in found]
    if missing:
        # The same words whether the report does not exist, is another production's or is not visible.
        words = ngettext(
            "There is no report %(numbers)s in this production that you can open.",
            "There are no reports %(numbers)s in this production that you can open.",
            len(missing),
        ) % {"numbers": ", ".join(f"#{n}" for n in missing)}
        raise _invalid("linked_reports", words, "unknown_reports")
    return sorted(wanted)


def _locked(report_id: int, user: User) -> tuple[Report, Investigation | None]:
    report = Report.objects.select_for_update(of=("self",)).select_related("production").get(pk=report_id)
    if not access.can_investigate(user, report, ladder_for(report.production_id)):
        raise PermissionDenied(
            _("Only a handler who may act on this report, and is not involved in it, can write its investigation.")
        )
    investigation = Investigation.objects.select_for_update().filter(report_id=report.pk).first()
    if investigation is None and not investigation_applies(report):
        raise ValidationError(_("Only critical and firearm reports get an investigation."), code="not_applicable")
    return report, investigation


def investigation_save(
    *,
    report_id: int,
    user: User,
    draft: InvestigationDraft,
    version: int | None = None,
    now: datetime | None = None,
) -> Investigation:
    """Open the report's investigation, or change it. `version`: the one the investigator's page showed
    (None from the admin or a script: no check). Nothing changed, nothing written."""
    what_happened = _text(draft.what_happened, WHAT_HAPPENED_MAX, "what_happened")
    if not what_happened:
        raise _invalid("what_happened", _("Say what happened."), "required")
    whys = _whys(draft.whys)
    factors, other = _factors(draft.factors, draft.factors_other)
    now = now or timezone.now()
    with transaction.atomic():
        report, investigation = _locked(report_id, user)
        links = _links(report, user, draft.linked_reports)
        content: dict[str, Any] = {
            "what_happened": what_happened,
            "whys": whys,
            "factors": factors,
            "factors_other": other,
            "linked_reports": links,
        }
        if investigation is None:
            investigation = Investigation.objects.create(
                report=report,
                what_happened=what_happened,
                whys=whys,
                factors=factors,
                factors_other=other,
                opened_by=user,
                opened_at=now,
                updated_by=user,
                updated_at=now,
            )
            investigation.linked_reports.set(links)
            changed, change = content, "opened"
        else:
            if version is not None and version != investigation.version:
                raise ValidationError(
                    _(
                        "Someone else changed this investigation while you were writing. Their version is shown; "
                        "what you typed is kept below: check it and save again."
                    ),
                    code="stale",
                )
            before = {
                "what_happened": investigation.what_happened,
                "whys": investigation.whys,
                "factors": investigation.factors,
                "factors_other": investigation.factors_other,
                "linked_reports": sorted(investigation.linked_reports.values_list("pk", flat=True)),
            }
            changed = {key: value for key, value in content.items() if before[key] != value}
            if not changed:
                investigation.report = report
                return investigation
            investigation.what_happened, investigation.whys = what_happened, whys
            investigation.factors, investigation.factors_other = factors, other
            investigation.version += 1
            investigation.updated_by, investigation.updated_at = user, now
            investigation.save(update_fields=[*CONTENT_FIELDS, "version", "updated_by", "updated_at"])
            if "linked_reports" in changed:
                investigation.linked_reports.set(links)
            change = "updated"
        event_append(
            report=report,
            kind=EventKind.INVESTIGATION_RECORDED,
            actor=user,
            at=now,
            payload={"change": change, "investigation": investigation.pk, "version": investigation.version, **changed},
        )
    investigation.report = report
    return investigation


def statement_add(
    *, report_id: int, user: User, witness: str, upload: CleanUpload, now: datetime | None = None
) -> WitnessStatement:
    """Keep a witness's statement (a photo or PDF that went through `upload_clean`) with the investigation;
    the trail names the file and its SHA-256."""
    witness = _text(witness, WITNESS_MAX, "witness")
    if not witness:
        raise _invalid("witness", _("Say whose statement this is."), "required")
    now = now or timezone.now()
    with transaction.atomic():
        report, investigation = _locked(report_id, user)
        if investigation is None:
            raise ValidationError(
                _("Write what happened and save the investigation first; then add statements."), code="not_opened"
            )
        if investigation.statements.count() >= STATEMENTS_MAX:
            raise ValidationError(
                _("This investigation already has %(count)s statements, the most it can hold.")
                % {"count": STATEMENTS_MAX},
                code="too_many_statements",
            )
        investigation.report = report
        statement = WitnessStatement(
            investigation=investigation,
            witness=witness,
            original_name=upload.name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            added_by=user,
            added_at=now,
        )
        statement.file.save(upload.name, ContentFile(upload.content), save=False)
        statement.save()
        Investigation.objects.filter(pk=investigation.pk).update(
            version=investigation.version + 1, updated_by=user, updated_at=now
        )
        event_append(
            report=report,
            kind=EventKind.INVESTIGATION_RECORDED,
            actor=user,
            at=now,
            payload={
                "change": "statement",
                "investigation": investigation.pk,
                "version": investigation.version + 1,
                "statement": statement.pk,
                "witness": witness,
                "file": {
                    "name": upload.name,
                    "content_type": upload.content_type,
                    "size": upload.size,
                    "sha256": upload.sha256,
                },
            },
        )
    return statement
