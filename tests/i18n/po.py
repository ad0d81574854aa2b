"""Just enough of the PO format to check a catalog written by makemessages (no polib needed)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')
# %(name)s / %(count)d from gettext and blocktranslate, a bare %s, and HTML tags in blocktranslate bodies.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[str, str] = field(default_factory=dict)  # "msgstr" or "msgstr[0]", "msgstr[1]", ...
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def untranslated(self) -> bool:
        return not self.msgstr or any(value == "" for value in self.msgstr.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def where(self) -> str:
        return f"{self.msgid!r} ({', '.join(self.references) or 'no reference'})"


def _string(literal: str) -> str:
    return ast.literal_eval(literal)  # a PO string is a C string: the escapes Python reads the same way


def parse(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for block in re.split(r"\n[ \t]*\n", path.read_text(encoding="utf-8").strip()):
        entry, key = Entry(), None
        for line in block.splitlines():
            if line.startswith("#~"):  # obsolete: no longer in the source
                entry = None
                break
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            elif line.startswith("#"):
                continue
            elif match := KEYWORD.match(line):
                key, value = match.group(1), _string(match.group(2))
                if key.startswith("msgstr"):
                    entry.msgstr[key] = value
                else:
                    setattr(entry, key, value)
            elif line.startswith('"') and key is not None:
                if key.startswith("msgstr"):
                    entry.msgstr[key] += _string(line)
                else:
                    setattr(entry, key, getattr(entry, key) + _string(line))
        if entry is not None:
            entries.append(entry)
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))
