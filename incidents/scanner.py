"""Buried warnings: find firearm and live-ammunition concerns written inside any report or comment, in
English and Spanish. Pure text work (no database): the caller passes the terms an admin added.

How a sentence is read:
- Text is cut into sentences; each is matched on whole words (`\\b`), case and accents ignored, so
  "Revólver", "revolver" and "REVOLVERS" match and "begun" or "shotgunning" do not match "gun".
- Strong terms (gun, firearm, live round, bala, disparo, ...) flag a sentence on their own. Everyday
  words that only mean a gun around one ("blank", "dummy", "went off", "pointed at", "discharge",
  "apuntó") flag it only next to another term or a weapon word ("prop", "weapon", "armorer"): "my mind
  went blank" and "the stunt dummy" stay quiet, "the prop went off in his hand" does not.
- A simple negation right before a term ("no guns on set today", "without a weapon", "sin armas",
  "no hay balas") cancels that term, within its own clause and at most two words before it. Verbs
  negated later in the sentence do not: "nobody checked the gun" is still a concern.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Term patterns are written accent-free and lower-case: the text is folded the same way before matching.
STRONG_TERMS = {
    "en": [
        r"guns?",
        r"handguns?",
        r"shotguns?",
        r"firearms?",
        r"revolvers?",
        r"pistols?",
        r"rifles?",
        r"live (?:rounds?|ammo|ammunition|fire|bullets?|cartridges?)",
        r"real (?:rounds?|bullets?|ammo|ammunition)",
        r"bullets?",
        r"ammo",
        r"ammunition",
        r"blank (?:rounds?|ammo|ammunition|cartridges?|guns?|firing)",
        r"blanks",
        r"dummy (?:rounds?|ammo|ammunition|cartridges?|bullets?)",
        r"misfire[sd]?",
        r"misfiring",
        r"hang ?fires?",
        r"(?:accidental|negligent|unintended) discharges?",
        r"squib loads?",
        r"muzzles?",
    ],
    "es": [
        r"armas?",
        r"armas? de fuego",
        r"pistolas?",
        r"revolver(?:es)?",
        r"rifles?",
        r"escopetas?",
        r"fusil(?:es)?",
        r"balas?",
        r"balas? reales?",
        r"municion(?:es)?",
        r"cartuchos?",
        r"disparos?",
        r"disparo accidental",
        r"se (?:le )?disparo",
        r"fogueo",
        r"encasquill\w*",
        r"tiro accidental",
    ],
}
WEAK_TERMS = {
    "en": [
        r"blank",
        r"dummy",
        r"dummies",
        r"discharge[sd]?",
        r"went off",
        r"go(?:es)? off",
        r"pointed (?:it )?at",
        r"pointing (?:it )?at",
        r"rounds?",
        r"shots? fired",
        r"cartridges?",
        r"barrel",
        r"trigger",
    ],
    "es": [
        r"apunt(?:o|aba|ando|aron) (?:a|al|hacia)",
        r"se (?:le )?fue un tiro",
        r"salvas?",
        r"detonacion(?:es)?",
        r"gatillo",
        r"tiros?",
        r"cañon",
    ],
}
# Words that make a weak term mean a gun when they share its sentence.
CONTEXT_WORDS = [
    r"props?",
    r"weapons?",
    r"armou?rers?",
    r"armory",
    r"armoury",
    r"holsters?",
    r"shoot(?:ing)?",
    r"fired",
    r"armero",
    r"armera",
    r"armeria",
    r"utileria",
    r"utilero",
]
# Only negations that deny the thing itself ("no guns", "sin armas"), never a negated verb.
NEGATIONS = ["no", "zero", "without", "sin", "ningun", "ninguna", "ninguno", "ningunos", "ningunas", "ni", "cero"]
NEGATION_REACH = 2  # words between the negation and the term ("no real guns", "no hay balas")
SENTENCE_LIMIT = 300  # characters of a sentence shown; a longer one is cut around its first term

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\s\"'”»)]+|[¡¿]")
_QUOTE_MARKS = re.compile(r"^\s*(?:>\s*)+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]\"“”«»\u2014\u2013]| - ")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """One term: a regex fragment over folded text (accent-free, lower-case), and whether it flags alone."""

    pattern: str
    strong: bool = True
    language: str = ""


@dataclass(frozen=True)
class Match:
    sentence: str  # as written (cut to SENTENCE_LIMIT around the term)
    term: str  # the words that matched, as written


def fold(text: str) -> str:
    """Lower-case without accents (ñ kept, as the Spanish word lists spell it), one character for one:
    positions in the folded text are positions in the original."""
    out = []
    for ch in text:
        if ch in "ñÑ":
            out.append("ñ")
            continue
        base = unicodedata.normalize("NFKD", ch)
        stripped = "".join(c for c in base if not unicodedata.combining(c)).lower()
        out.append(stripped[:1] if len(stripped) >= 1 else ch.lower()[:1] or " ")
    return "".join(out)


def builtin_terms() -> list[Term]:
    terms = [Term(p, True, lang) for lang, patterns in STRONG_TERMS.items() for p in patterns]
    terms += [Term(p, False, lang) for lang, patterns in WEAK_TERMS.items() for p in patterns]
    return terms


def term_from_words(words: str, *, strong: bool = True, language: str = "") -> Term | None:
    """A term an admin typed ("pistola de utilería"): literal words, an optional plural ending. None if
    it has no letters."""
    folded = " ".join(_WORD.findall(fold(words)))
    if not folded:
        return None
    pattern = r"\s+".join(re.escape(word) for word in folded.split()) + r"(?:s|es)?"
    return Term(pattern, strong, language)


def _compile(terms: Iterable[Term]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    strong = [t.pattern for t in terms if t.strong]
    weak = [t.pattern for t in terms if not t.strong]

    def join(patterns: list[str]) -> re.Pattern[str] | None:
        if not patterns:
            return None
        # Longest first, so "live rounds" wins over "rounds" at the same place.
        ordered = sorted(set(patterns), key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)")

    return join(strong), join(weak)


_CONTEXT = re.compile(r"(?<!\w)(?:" + "|".join(CONTEXT_WORDS) + r")(?!\w)")


def _negated(folded_sentence: str, start: int) -> bool:
    """A negation word at most NEGATION_REACH words before the term, in the same clause."""
    before = folded_sentence[:start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    words = _WORD.findall(clause)
    return any(word in NEGATIONS for word in words[-(NEGATION_REACH + 1) :])


def sentences(text: str) -> list[str]:
    """Sentences of a text as people write it, emails included: a sentence may wrap over several lines
    (and over quoted "> " lines of a forwarded thread); a blank line or a list item starts a new one."""
    paragraphs: list[list[str]] = [[]]
    for raw in (text or "").splitlines():
        line = _QUOTE_MARKS.sub("", raw).strip()
        if not line or _LIST_ITEM.match(line):
            paragraphs.append([])
        if line:
            paragraphs[-1].append(line)
    found = []
    for lines in paragraphs:
        for part in _SENTENCE_END.split(" ".join(lines)):
            part = part.strip()
            if part and _WORD.search(part):
                found.append(part)
    return found


def _shown(sentence: str, start: int, end: int) -> str:
    sentence = " ".join(sentence.split())
    if len(sentence) <= SENTENCE_LIMIT:
        return sentence
    half = (SENTENCE_LIMIT - (end - start)) // 2
    left = max(0, start - half)
    right = min(len(sentence), left + SENTENCE_LIMIT)
    left = max(0, right - SENTENCE_LIMIT)
    return ("…" if left else "") + sentence[left:right].strip() + ("…" if right < len(sentence) else "")


class Scanner:
    """The compiled word lists: build once per scan (they change only when an admin adds a term)."""

    def __init__(self, extra_terms: Sequence[Term] = ()):
        self.strong, self.weak = _compile([*builtin_terms(), *extra_terms])

    def _hits(self, pattern: re.Pattern[str] | None, folded: str) -> list[re.Match[str]]:
        if pattern is None:
            return []
        return [m for m in pattern.finditer(folded) if not _negated(folded, m.start())]

    def sentence_match(self, sentence: str) -> Match | None:
        # Whitespace collapsed first so positions in the folded text are positions in what is shown.
        sentence = " ".join(sentence.split())
        folded = fold(sentence)
        strong = self._hits(self.strong, folded)
        if strong:
            first = strong[0]
        else:
            weak = self._hits(self.weak, folded)
            distinct = {m.group(0) for m in weak}
            if not weak or (len(distinct) < 2 and not _CONTEXT.search(folded)):
                return None
            first = weak[0]
        return Match(sentence=_shown(sentence, first.start(), first.end()), term=sentence[first.start() : first.end()])

    def scan(self, text: str, limit: int = 5) -> list[Match]:
        """The sentences of `text` that raise a firearm concern, first ones first, at most `limit`."""
        found: list[Match] = []
        seen: set[str] = set()
        for sentence in sentences(text):
            match = self.sentence_match(sentence)
            if match is not None and match.sentence not in seen:
                seen.add(match.sentence)
                found.append(match)
                if len(found) >= limit:
                    break
        return found


def scan(text: str, extra_terms: Sequence[Term] = (), limit: int = 5) -> list[Match]:
    return Scanner(extra_terms).scan(text, limit=limit)
