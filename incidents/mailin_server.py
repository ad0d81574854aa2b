"""The SMTP side of reports by email (`manage.py mailin`, on aiosmtpd): what is refused, when, and with
which answer. Filing itself is incidents.services.mailin.

- RCPT: anything but a production's reporting address (`report+<join code>@MAILIN_DOMAIN`) is refused
  with 550, so the sender's server bounces it at once and nothing is kept.
- MAIL / DATA: a message over MAILIN_MAX_BYTES is refused with 552 (aiosmtpd's SIZE limit, announced in
  EHLO); one that cannot be read safely with 554; text over MAILIN_MAX_TEXT_CHARS with 552.
- Automatic mail (bounces, auto-replies, bulk, and SafeTrack's own messages coming back) is accepted
  with 250 and dropped: answering it, or refusing it, is how mail loops start.
- Over MAILIN_SENDER_RATE (per From address) or MAILIN_PRODUCTION_RATE: 451, the sending server tries
  again later. A failure of ours (the database away) is 451 as well: mail is never lost for it.

The database work runs in a small thread pool (the Django ORM is synchronous); each job opens or
reuses its thread's connection the way a request does.
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections
from django_ratelimit.core import is_ratelimited

from accounts.models import Production
from accounts.services import production_for_join_code
from incidents.inbound_mail import UnreadableMail, mail_read
from incidents.mail_address import join_code_in, sender_address
from incidents.services.mailin import mail_reply_send, mail_report_file

logger = logging.getLogger("incidents.mailin")

MAX_RECIPIENTS = 5
T = TypeVar("T")

NO_SUCH_ADDRESS = "550 5.1.1 No such reporting address here"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
SENDER_LIMITED = "451 4.7.1 Too many reports from this address; try again later"
PRODUCTION_LIMITED = "451 4.7.1 Too many reports for this production; try again later"
TEXT_TOO_LONG = "552 5.3.4 The text of this message is too long to file as one report"
TEMPORARY_FAILURE = "451 4.3.0 The report could not be filed just now; try again later"
IGNORED = "250 2.0.0 Automatic message: ignored"
FILED = "250 2.0.0 Report filed"


def production_for_address(address: str) -> Production | None:
    code = join_code_in(address)
    return production_for_join_code(code) if code else None


def _limited(group: str, value: str, rate: str) -> bool:
    # django-ratelimit without a request: the key is ours (it is hashed into the cache key).
    return is_ratelimited(None, group=group, key=lambda _group, _request: value, rate=rate, increment=True)


def mail_receive(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
    """Turn one received message into reports; returns the SMTP answer."""
    try:
        mail = mail_read(raw, envelope_sender=mail_from)
    except UnreadableMail as exc:
        return f"554 5.6.0 This message cannot be read: {exc}"
    if mail.machine:
        logger.info("mailin: ignored an automatic message (%s)", mail.machine)
        return IGNORED
    if len(mail.text) > settings.MAILIN_MAX_TEXT_CHARS:
        return TEXT_TOO_LONG
    mail.sender = mail.sender or sender_address(mail_from)
    productions: dict[int, Production] = {}
    for address in rcpt_tos:
        production = production_for_address(address)
        if production is not None:
            productions.setdefault(production.pk, production)
    if not productions:
        return NO_SUCH_ADDRESS  # the production's code changed between RCPT and DATA
    if mail.sender and _limited("mailin-sender", mail.sender, settings.MAILIN_SENDER_RATE):
        return SENDER_LIMITED
    for production in productions.values():
        if _limited("mailin-production", str(production.pk), settings.MAILIN_PRODUCTION_RATE):
            return PRODUCTION_LIMITED
        filing = mail_report_file(production=production, mail=mail)
        logger.info("mailin: filed report %s for production %s", filing.report.pk, production.pk)
        if mail.sender and not filing.repeat:
            mail_reply_send(filing=filing, mail=mail, to=mail.sender)
    return FILED


def _in_thread(function: Callable[..., T], *args: Any) -> T:
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


class MailinHandler:
    """aiosmtpd handler: the hooks answer from the database through the thread pool."""

    def __init__(self, workers: int = 2):
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailin")

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, _in_thread, function, *args)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        try:
            production = await self._run(production_for_address, address)
        except Exception:
            logger.exception("mailin: checking a recipient failed")
            return TEMPORARY_FAILURE
        if production is None:
            return NO_SUCH_ADDRESS
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            return await self._run(mail_receive, raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:
            logger.exception("mailin: filing a message failed")
            return TEMPORARY_FAILURE

    def close(self) -> None:
        self.executor.shutdown(wait=True)
