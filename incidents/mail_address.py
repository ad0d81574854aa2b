"""A production's reporting address, `report+<join code>@MAILIN_DOMAIN`, and reading one back.

One home for the address's shape: the production page and the poster show it, `manage.py mailin`
accepts mail only for it."""

from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings

from accounts.models import Production

LOCAL_PREFIX = "report+"


def reporting_address(production: Production) -> str:
    """The address crew can write to, or "" when reports by email are off (MAILIN_DOMAIN unset)."""
    domain = settings.MAILIN_DOMAIN
    if not domain:
        return ""
    return f"{LOCAL_PREFIX}{production.join_code.lower()}@{domain}"


def join_code_in(address: str) -> str | None:
    """The join code a recipient address names (`report+ab12cd@domain`, any case, with or without
    angle brackets), or None for any other address or another domain."""
    domain = settings.MAILIN_DOMAIN
    _name, bare = parseaddr(address or "")
    local, at, host = bare.rpartition("@")
    if not domain or not at or host.strip().lower() != domain:
        return None
    local = local.strip().lower()
    if not local.startswith(LOCAL_PREFIX):
        return None
    code = local[len(LOCAL_PREFIX) :].upper()
    if not code or len(code) > 32 or not (code.isascii() and code.isalnum()):
        return None
    return code


def sender_address(header_or_envelope: str) -> str:
    """The bare address, lower-cased, of a From header or an envelope sender ("" when there is none)."""
    _name, bare = parseaddr(header_or_envelope or "")
    bare = bare.strip().lower()
    if "@" not in bare or any(ch.isspace() or not ch.isprintable() for ch in bare):
        return ""
    try:
        Address(addr_spec=bare)
    except (ValueError, IndexError, TypeError):
        return ""
    return bare
