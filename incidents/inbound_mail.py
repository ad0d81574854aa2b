"""Reading an email sent to a reporting address: who sent it, its subject, all of its text, its files,
and whether a machine sent it. Pure: bytes in, an InboundMail out, no database.

Mail comes from anywhere, so nothing here trusts it: a charset Python does not know is read as UTF-8
with replacement characters, HTML is turned into text by a parser that never runs or keeps markup,
control characters (a NUL PostgreSQL would refuse) are dropped, and a message nested deeper or split
into more parts than a person's mail ever is raises UnreadableMail instead of walking it.

Forwarded threads are kept whole: quoted lines stay, and a message forwarded as an attachment
(message/rfc822) is written out with its From, Date and Subject and all of its own text.
"""

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from incidents.mail_address import sender_address

MAX_DEPTH = 12  # multiparts inside multiparts; a forwarded forward of a forward is 4 or 5
MAX_PARTS = 200
CONFIDENTIAL_PREFIX = re.compile(r"^\s*\[?\s*(CONFIDENTIAL|CONFIDENCIAL)\b\s*\]?[\s:.\-]*", re.IGNORECASE)
# Marks of the messages SafeTrack itself sends (notifications, replies of `mailin`): one coming back
# to a reporting address (an auto-forward rule, a bounce) is a loop, never a report.
OWN_HEADERS = ("X-SafeTrack-Notification", "X-SafeTrack-Mailin")
OWN_MESSAGE_ID = re.compile(r"^<(notification-\d+\.\d+|safetrack-mailin\.[\w.-]+)@", re.IGNORECASE)
MACHINE_SENDERS = ("mailer-daemon", "postmaster")
BULK_PRECEDENCE = ("bulk", "junk", "list")
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UnreadableMail(Exception):
    """The message cannot be read safely; the text says why (it goes into the SMTP answer)."""


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    content: bytes


@dataclass
class InboundMail:
    sender: str  # the From address, bare and lower-cased ("" when there is none)
    subject: str
    text: str
    files: list[MailFile] = field(default_factory=list)
    message_id: str = ""
    sent_at: datetime | None = None
    machine: str = ""  # why it looks sent by a machine (an auto-reply, a bounce, a loop); "" for a person

    @property
    def confidential(self) -> bool:
        return bool(CONFIDENTIAL_PREFIX.match(self.subject))

    @property
    def title(self) -> str:
        """The subject without its CONFIDENTIAL mark."""
        return CONFIDENTIAL_PREFIX.sub("", self.subject, count=1).strip() if self.confidential else self.subject


def clean_text(text: str) -> str:
    """Line breaks made plain and control characters dropped (tabs and line breaks stay)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


class _TextFromHtml(HTMLParser):
    """HTML to readable text: tags dropped, scripts and styles skipped, blocks on their own lines."""

    BLOCKS = frozenset(
        {
            *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset"),
            *("figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li"),
            *("main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul"),
        }
    )
    SKIPPED = frozenset({"script", "style", "head", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser's complaints about broken markup
        pass
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _header(message: Message, name: str) -> str:
    """A header's value as text; a header that cannot be decoded reads as its raw characters."""
    try:
        value = message.get(name)
    except Exception:  # the email package raises many kinds on hostile headers
        value = None
    if value is None:
        return ""
    try:
        return _one_line(str(value))
    except Exception:
        return ""


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:  # a charset parameter that does not parse
        charset = "utf-8"
    try:
        text = payload.decode(charset, errors="replace")
    except (LookupError, TypeError, ValueError):  # an unknown or non-text codec ("rot13", "x-made-up")
        text = payload.decode("utf-8", errors="replace")
    return clean_text(text)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
    except Exception:
        return True
    return disposition == "attachment" or (bool(filename) and disposition != "inline")


def _file_name(part: Message, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return _one_line(name) or f"attachment-{number}"


class _Reader:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.files: list[MailFile] = []
        self.parts = 0

    def read(self, part: Message, depth: int) -> None:
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            raise UnreadableMail("message nested too deeply or in too many parts")
        content_type = part.get_content_type()
        if content_type == "message/rfc822" or (part.is_multipart() and content_type.startswith("message/")):
            self._forwarded(part, depth)
        elif part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return
            if content_type == "multipart/alternative":
                children = self._best_alternative(children)
            for child in children:
                if isinstance(child, Message):
                    self.read(child, depth + 1)
        elif _is_attachment(part):
            self._attachment(part)
        elif content_type == "text/html":
            self.texts.append(html_to_text(_decoded_text(part)))
        elif content_type.startswith("text/"):
            self.texts.append(_decoded_text(part))
        else:  # an inline photo, as phones send them
            self._attachment(part)

    @staticmethod
    def _best_alternative(children: list[Message]) -> list[Message]:
        """The plain-text version when there is one, else the last (richest) one."""
        for child in children:
            if isinstance(child, Message) and child.get_content_type() == "text/plain":
                return [child]
        return children[-1:]

    def _forwarded(self, part: Message, depth: int) -> None:
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if not isinstance(inner, Message):
            return
        lines = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To"):
            value = _header(inner, name)
            if value:
                lines.append(f"{name}: {value}")
        self.texts.append("\n".join(lines))
        self.read(inner, depth + 1)

    def _attachment(self, part: Message) -> None:
        content = part.get_payload(decode=True)
        name = _file_name(part, len(self.files) + 1)
        if part.get_content_type() == "text/plain" and name.lower().endswith(".txt"):
            # A thread saved as a text file: its words are read like the rest (no photo to keep).
            self.texts.append(f"---------- {name} ----------\n{_decoded_text(part)}")
            return
        if isinstance(content, bytes):
            self.files.append(MailFile(name=name, content_type=part.get_content_type(), content=content))


def _machine_reason(message: Message, sender: str, envelope_sender: str) -> str:
    if envelope_sender.strip() in ("", "<>"):
        return "bounce (empty envelope sender)"
    for address in (sender, envelope_sender.lower()):
        if address.split("@", 1)[0].strip("<") in MACHINE_SENDERS:
            return "bounce (mailer-daemon)"
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-submitted ({auto_submitted[:40]})"
    if _header(message, "Precedence").lower() in BULK_PRECEDENCE:
        return "bulk precedence"
    for name in AUTOREPLY_HEADERS:
        if _header(message, name):
            return "auto-reply header"
    for name in OWN_HEADERS:
        if _header(message, name):
            return "loop (a message SafeTrack sent)"
    if OWN_MESSAGE_ID.match(_header(message, "Message-ID")):
        return "loop (SafeTrack's own Message-ID)"
    return ""


def mail_read(raw: bytes, *, envelope_sender: str) -> InboundMail:
    """Read a message as received. Raises UnreadableMail when it cannot be read safely."""
    try:
        message = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient; anything it raises means unreadable
        raise UnreadableMail("message could not be parsed") from exc
    reader = _Reader()
    try:
        reader.read(message, 0)
    except RecursionError as exc:
        raise UnreadableMail("message nested too deeply") from exc
    sender = sender_address(_header(message, "From"))
    sent_at = None
    date = _header(message, "Date")
    if date:
        try:
            sent_at = parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            sent_at = None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = None
    text = "\n\n".join(part.strip("\n") for part in reader.texts if part.strip())
    return InboundMail(
        sender=sender,
        subject=_header(message, "Subject"),
        text=text,
        files=reader.files,
        message_id=_header(message, "Message-ID")[:250],
        sent_at=sent_at,
        machine=_machine_reason(message, sender, envelope_sender),
    )
