"""Receipts for anonymous reports: a random code shown once to the reporter; only a slow hash is kept.

The hash is keyed by `settings.RECEIPT_PEPPER` (the same salt for every code, so a receipt is found by
its hash with one indexed query). The code has ~124 bits of entropy, so the slow hash is a second wall
for a leaked database, not the first. Every look-up does the same work (one hash, one query) whether or
not the report exists.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

from accounts.models import CODE_ALPHABET
from incidents.models import Report

RECEIPT_GROUPS = 5
RECEIPT_GROUP_LENGTH = 5
RECEIPT_LENGTH = RECEIPT_GROUPS * RECEIPT_GROUP_LENGTH
# PBKDF2-SHA256 rounds: about 50 ms on a small server; enough to make a stolen hash column useless.
RECEIPT_HASH_ITERATIONS = 120_000


@dataclass(frozen=True)
class Receipt:
    code: str  # shown to the reporter once, never stored
    hash: str  # stored on the report


def receipt_normalize(code: str) -> str:
    """What the reporter typed, without spaces, dashes or case: `abcde-fghjk ...` -> `ABCDEFGHJK...`."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[: RECEIPT_LENGTH * 2]


def receipt_format(code: str) -> str:
    plain = receipt_normalize(code)
    return "-".join(plain[i : i + RECEIPT_GROUP_LENGTH] for i in range(0, len(plain), RECEIPT_GROUP_LENGTH))


def receipt_hash(code: str) -> str:
    digest = hashlib.pbkdf2_hmac(
        "sha256",
        receipt_normalize(code).encode(),
        settings.RECEIPT_PEPPER.encode(),
        RECEIPT_HASH_ITERATIONS,
    )
    return digest.hex()


def receipt_new() -> Receipt:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return Receipt(code=receipt_format(code), hash=receipt_hash(code))


def receipt_for_key(key: uuid.UUID) -> Receipt:
    """The receipt of a submission with an idempotency key: derived from the key with the server's
    secret, so a repeat of the same submission (its answer lost on a bad connection, an offline draft
    sent twice) shows the same code again, the one that opens the report. Only the phone that made the
    submission knows the key; the code has the same length and alphabet as a random one."""
    number = int.from_bytes(salted_hmac("safetrack.receipt-for-key", key.hex, algorithm="sha256").digest(), "big")
    characters = []
    for _ in range(RECEIPT_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        characters.append(CODE_ALPHABET[index])
    code = "".join(characters)
    return Receipt(code=receipt_format(code), hash=receipt_hash(code))


def report_for_receipt(code: str, *, join_code: str | None = None) -> Report | None:
    """The anonymous report this receipt belongs to, or None.

    A malformed code is hashed all the same, so a wrong receipt costs the same as a right one. With
    `join_code` (the follow-up link of one production's anonymous page), a right receipt of another
    production is answered exactly like a wrong one, by the same single query.
    """
    digest = receipt_hash(code)
    queryset = Report.objects.select_related("production").filter(receipt_hash=digest)
    if join_code is not None:
        queryset = queryset.filter(production__join_code=join_code)
    return queryset.first()
