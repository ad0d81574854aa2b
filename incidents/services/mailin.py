"""Reports by email: a message to a production's reporting address becomes a report through the same
filing as the site's form (incidents.services.filing), so it gets the same deadline, notifications,
trail and buried-warning scan; its `filed` event says it came by email.

- From a member's address: a named report, or a confidential one when the subject starts with
  CONFIDENTIAL. The member gets a confirmation by reply, so a report filed in their name by a forged
  From is noticed by the person it names.
- From any other address: an anonymous report with a receipt code, sent back by reply; the address is
  not kept anywhere (not on the report, not in the trail, not in the log).
- Files go through the same checks as uploads (incidents.services.attachments); one that fails is not
  kept, and the reply says which and why.

A sending server that did not hear our answer sends the message again: the same message (Message-ID)
from the same sender to the same production files one report, and is not answered twice.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from accounts.models import Membership, Production, User
from incidents.categories import Category
from incidents.inbound_mail import InboundMail, MailFile
from incidents.models import Identity, Report

from . import attachments as attachment_service
from .filing import ReportDraft, report_file
from .receipt import receipt_for_key, receipt_new

logger = logging.getLogger(__name__)

TITLE_MAX = 200
REPLY_NAME_MAX = 80
_KEY_NAMESPACE = uuid.UUID("5f0e7c1a-3d7b-4c55-9d0a-6a1f2e0b9c41")
# A Date header further back than this, or in the future, is a wrong clock: the report says "now".
PLAUSIBLE_DATE = timedelta(days=30)


@dataclass(frozen=True)
class RefusedFile:
    name: str
    reasons: dict[str, str]  # why it was not kept, in each of the site's languages (the reply may use both)


@dataclass
class MailFiling:
    report: Report
    reporter: User | None
    receipt_code: str = ""  # for an anonymous sender only; never stored
    refused: list[RefusedFile] = field(default_factory=list)
    repeat: bool = False  # the same message again: nothing new was filed


def _member(production: Production, sender: str) -> User | None:
    if not sender:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(production=production, user__email__iexact=sender, user__is_active=True)
        .first()
    )
    return membership.user if membership else None


def _key(production: Production, sender: str, message_id: str) -> uuid.UUID | None:
    """One key per (production, sender, message): a retry of the same message finds its report. The
    sender is part of it, so someone who copies another's Message-ID from their own address files a
    new report instead of receiving the first one's receipt."""
    if not message_id:
        return None
    return uuid.uuid5(_KEY_NAMESPACE, f"{production.pk}\n{sender}\n{message_id}")


def _in_each_language(words: Callable[[], str]) -> dict[str, str]:
    reasons = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reasons[code] = words()
    return reasons


def _as_upload(file: MailFile, name: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name or file.name, file.content, content_type=file.content_type)


def _short(name: str) -> str:
    """A file name as the reply quotes it: the sender chose it, and the reply may go to whoever they claim to be."""
    return name if len(name) <= REPLY_NAME_MAX else name[: REPLY_NAME_MAX - 1] + "…"


def _why_refused(file: MailFile) -> str:
    try:
        attachment_service.upload_clean(_as_upload(file, _short(file.name)))
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _uploads(mail: InboundMail) -> tuple[list[attachment_service.CleanUpload], list[RefusedFile]]:
    kept: list[attachment_service.CleanUpload] = []
    refused: list[RefusedFile] = []
    limit = settings.ATTACHMENT_MAX_COUNT
    for file in mail.files:
        if len(kept) >= limit:
            words = _in_each_language(lambda: _("A report keeps at most %(count)s files.") % {"count": limit})
            refused.append(RefusedFile(_short(file.name), words))
            continue
        try:
            kept.append(attachment_service.upload_clean(_as_upload(file)))
        except ValidationError:
            # Checked again in each language for the reply's words: a refusal is quick (size, type, header).
            refused.append(RefusedFile(_short(file.name), _in_each_language(lambda file=file: _why_refused(file))))
    return kept, refused


def _occurred_at(mail: InboundMail, now: datetime) -> datetime:
    sent = mail.sent_at
    if sent is None or sent > now + timedelta(minutes=5) or sent < now - PLAUSIBLE_DATE:
        return now
    return min(sent, now)


def mail_report_file(*, production: Production, mail: InboundMail, now: datetime | None = None) -> MailFiling:
    """File the message as a report of `production` (the caller has checked it is not a machine's)."""
    now = now or timezone.now()
    reporter = _member(production, mail.sender)
    if reporter is None:
        identity = Identity.ANONYMOUS
    else:
        identity = Identity.CONFIDENTIAL if mail.confidential else Identity.NAMED
    key = _key(production, mail.sender, mail.message_id)
    repeat = key is not None and Report.objects.filter(idempotency_key=key).exists()
    uploads, refused = _uploads(mail)
    draft = ReportDraft(
        category=Category.OTHER,
        title=(mail.title or _("Report by email"))[:TITLE_MAX],
        description=mail.text or _("(The email had no text.)"),
        occurred_at=_occurred_at(mail, now),
        identity=identity,
        uploads=uploads,
        idempotency_key=key,
        via_email=True,
    )
    receipt = None
    if reporter is None:
        receipt = receipt_for_key(key) if key is not None else receipt_new()
    report = report_file(
        production=production, reporter=reporter, draft=draft, receipt_hash=receipt.hash if receipt else None, now=now
    )
    return MailFiling(
        report=report, reporter=reporter, receipt_code=receipt.code if receipt else "", refused=refused, repeat=repeat
    )


def reply_message_id() -> str:
    """A Message-ID incidents.inbound_mail recognises as ours, so a reply that comes back is a loop."""
    return f"<safetrack-mailin.{get_random_string(24)}@{settings.MAILIN_DOMAIN or 'safetrack.invalid'}>"


def mail_reply_send(*, filing: MailFiling, mail: InboundMail, to: str) -> None:
    """Answer the sender: the receipt code (anonymous) or a confirmation with the link (a member).
    A failure is logged (without the code or the address) and never undoes the report."""
    report = filing.report
    production = report.production
    context = {
        "report": report,
        "production": production,
        "filing": filing,
        "receipt_url": settings.SITE_URL + reverse("receipt") + f"?production={production.join_code}",
        "report_url": settings.SITE_URL + report.get_absolute_url(),
    }
    # An anonymous sender's language is unknown: every language, Spanish first, as on the poster.
    language = filing.reporter.language if filing.reporter else "es"
    languages = sorted((code for code, _name in settings.LANGUAGES), key=lambda code: code != "es")
    context["sections"] = [
        {"language": code, "refused": [(file.name, file.reasons.get(code, "")) for file in filing.refused]}
        for code in languages
    ]
    context["refused"] = [(file.name, file.reasons.get(language, "")) for file in filing.refused]
    name = "mailin-member" if filing.reporter else "mailin-receipt"
    with translation.override(language), timezone.override(production.tzinfo):
        subject = render_to_string(f"emails/{name}-subject.txt", context)
        text = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    headers = {
        "Message-ID": reply_message_id(),
        "X-SafeTrack-Mailin": "reply",
        "Auto-Submitted": "auto-replied",  # RFC 3834: no auto-reply to this one
    }
    if mail.message_id:
        headers["In-Reply-To"] = mail.message_id
        headers["References"] = mail.message_id
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception:
        logger.warning("mailin: the reply for report %s could not be sent", report.pk, exc_info=True)
