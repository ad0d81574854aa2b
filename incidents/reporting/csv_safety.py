"""Every cell SafeTrack writes to a CSV file is safe to open in a spreadsheet."""

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection); a
# leading line break hides the rest of the cell from a quick look and some programs read past it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value: object) -> str:
    """The value as text, with a leading apostrophe when it would start a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
