"""Typed text that looks empty or lies about its direction: shared by every form that takes a name or
free text (accounts and incidents alike)."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Characters that reverse or isolate the direction of the text after them (U+202A-U+202E, U+2066-U+2069):
# in a name they make "Pia Producer" read as something else on every page and in every email.
DIRECTION_OVERRIDES = frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


# Letters and symbols that draw nothing: the Hangul fillers, the blank Braille pattern, the Mongolian
# vowel separator, the Khmer inherent vowels.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")


def is_invisible(character: str) -> bool:
    """Whitespace, or a character that takes no room (zero-width space and joiners, word joiner, byte
    order mark, soft hyphen, direction marks: Unicode's "format" characters) or draws nothing."""
    return character.isspace() or unicodedata.category(character) == "Cf" or character in BLANK_LOOKING


def strip_invisible(text: str) -> str:
    """The text without whitespace and invisible characters at its ends: "" when nothing visible is left."""
    start, end = 0, len(text)
    while start < end and is_invisible(text[start]):
        start += 1
    while end > start and is_invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def validate_name(value: str) -> None:
    """A person's or a production's name: something visible, and no direction overrides."""
    if not strip_invisible(value):
        raise ValidationError(_("Enter a name people can read: this one has no visible letters."), code="invisible")
    if any(character in DIRECTION_OVERRIDES for character in value):
        raise ValidationError(
            _("Names cannot contain characters that reverse the direction of the text."), code="direction"
        )
