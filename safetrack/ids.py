"""Ids read from a request (query strings, form fields): ASCII digits only.

`str.isdigit()` is true for "²" and Arabic-Indic digits too, and `int()` then either fails ("²": a 500) or reads a
different script's digits as a number (U+0661 U+0662 is 12). Every id a view reads from a request goes through
`id_from`, which answers None for anything else, so the view can say 404 or ignore it.
"""

import re

ASCII_ID = re.compile(r"[0-9]{1,19}")
# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1


def id_from(raw: object) -> int | None:
    """The id in `raw` (surrounding spaces allowed), or None unless it is 1 to 19 ASCII digits and fits."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not ASCII_ID.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
