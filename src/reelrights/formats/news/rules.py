"""The rules that read deals out of deal news, sentence by sentence (rule 23).

A deal is announced by a *trigger*: a verb of acquiring ("acquired", "picked up", "paid"),
of selling or licensing ("sold ... to", "licensed ... to / from"), of signing ("signed a
deal with", "renewed its licence with"), of investing ("put ... into", "finance ... in
exchange for"), or a role ("has become the exclusive online distributor of"). The trigger
decides which side its subject is on; the parties on the other side come from "from X",
"to X", "with X" or "produced by X". A sentence with several triggers that each have
their own subject is cut into clauses, one deal (or none) per clause. Titles are the
quoted names; media, territories, exclusivity, fee and dates come from the clause through
the gazetteers, and from the sentences that follow it when those only add detail ("The
non-exclusive deal runs for three years."). Nothing is guessed: a territory given as a
count ("15 Asian countries") is unknown, an exclusivity not stated is unknown.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from reelrights.formats.news import gazetteer as g

Span = tuple[int, int]

# -- tokens and sentences --------------------------------------------------------------------

_TOKEN = re.compile(r"[\w$€£¥₩₹][\w'’.+&$-]*|[&+]|\S")
_ABBREVIATIONS = frozenset(
    {
        "bros.",
        "inc.",
        "co.",
        "corp.",
        "ltd.",
        "jr.",
        "sr.",
        "mr.",
        "ms.",
        "mrs.",
        "st.",
        "no.",
        "vs.",
        "dr.",
        "rs.",
        "int'l.",
    }
)
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    """Words (with inner punctuation: ``Bros.``, ``U-Next``, ``Disney+``) and marks; a
    sentence's final period and a possessive ``'s`` are tokens of their own."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        word, start, end = match.group(), match.start(), match.end()
        tail: list[Token] = []
        if (
            len(word) > 1
            and word.endswith(".")
            and not (word.lower() in _ABBREVIATIONS or _INITIALS.fullmatch(word))
        ):
            tail.insert(0, Token(".", end - 1, end))
            word, end = word[:-1], end - 1
        for mark in ("'s", "’s"):
            if len(word) > 2 and word.endswith(mark):
                tail.insert(0, Token("'s", end - 2, end))
                word, end = word[:-2], end - 2
        while len(word) > 1 and word[-1] in "'’-":
            tail.insert(0, Token(word[-1], end - 1, end))
            word, end = word[:-1], end - 1
        tokens.append(Token(word, start, end))
        tokens.extend(tail)
    return tokens


def split_sentences(text: str, tokens: list[Token]) -> list[Span]:
    """Sentence spans: a ``.``, ``!`` or ``?`` token ends one, unless it sits inside quotes
    that are still open; an abbreviation (``Bros.``, ``U.S.``) is one token and ends none,
    except ``U.S.`` at the very end of a paragraph."""
    spans: list[Span] = []
    start: int | None = None
    quotes = 0
    for i, token in enumerate(tokens):
        if start is None:
            start = token.start
        if token.text == '"':
            quotes += 1
        ends = token.text in (".", "!", "?") and quotes % 2 == 0
        if token.text == '"' and quotes % 2 == 0 and i > 0 and tokens[i - 1].text in ".!?":
            ends = True  # a quotation that ends a sentence: "... we are thrilled."
        gap = text[token.end : tokens[i + 1].start] if i + 1 < len(tokens) else ""
        if ends or "\n\n" in gap:  # a blank line ends a paragraph, and its sentence
            spans.append((start, token.end))
            start, quotes = None, 0
    if start is not None:
        spans.append((start, tokens[-1].end))
    return spans


# -- the words that announce deals -------------------------------------------------------------

BUY, LICENSE, SELL, DEAL, BECOME, INVEST, COPRO, RETAIN = (
    "buy",
    "license",
    "sell",
    "deal",
    "become",
    "invest",
    "copro",
    "retain",
)

_TRIGGERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (COPRO, r"\bco-?produce[sd]?\b"),
        (
            BUY,
            r"\b(?:acquir(?:ed|es|e)|picked up|picks up|pick up|bought|buys|snapped up|"
            r"snaps up|nabbed|nabs|snagged|snags|grabbed|grabs|scooped up|landed|lands|secured|"
            r"secures|paid|pays|taken|takes|took|"
            r"receives|received|will get|gets|got|holds|hold)\b",
        ),
        (LICENSE, r"\blicen[cs](?:ed|es)\b"),
        (SELL, r"\b(?:sold|sells|pre-?sold|pre-?sells)\b"),
        (
            DEAL,
            r"\b(?:signed|signs|struck|strikes|inked|inks|sealed|seals|renewed|renews|"
            r"extended|extends|closed|clinched|agreed)\b",
        ),
        (BECOME, r"\bbecome?s?\b"),
        (INVEST, r"\b(?:put|puts|invested|invests|will invest|financ(?:e|es|ed)|co-financ\w+)\b"),
        (RETAIN, r"\b(?:keeps|keep|retains|retain|retained)\b"),
    )
)
_NEEDS_RIGHTS = re.compile(
    r"^(?:landed|lands|secured|secures|taken|takes|took|receives|received|will get|gets|got|"
    r"holds?|grabbed|grabs)$",
    re.IGNORECASE,
)
_RIGHTS = re.compile(r"\brights?\b", re.IGNORECASE)
_GENRE = re.compile(
    r"\b(?:drama|dramas|film|series|thriller|comedy|movie|documentary|anime|sitcom|"
    r"telenovela|feature|show|miniseries|franchise|romance|horror|musical)\s+(?=[A-Z0-9])"
)
_CONTENT = r"(?:films|movies|titles|series|library|catalog(?:ue)?|slate|releases|content)\b"
_TITLE_JOINERS = frozenset({"of", "the", "and", "a", "an", "&"})
_NO_TITLE = re.compile(r"\b(?:output|slate|library|catalogu?e)\b", re.IGNORECASE)
_DEAL_NOUN = re.compile(
    r"\b(?:deal|agreement|pact|licen[cs]e|partnership|contract|output)\b", re.IGNORECASE
)
_SALES_NOUN = re.compile(r"\b(?:sales|deals)\b", re.IGNORECASE)
_TITLE_REFERENCE = re.compile(
    r"\b(?:series|film|films|drama|show|movie|format|it|them|title|feature|documentary|"
    r"anime|telenovela|novelization|sitcom|thriller|comedy)\b",
    re.IGNORECASE,
)
_AUXILIARIES = frozenset(
    {
        "has",
        "have",
        "had",
        "will",
        "would",
        "is",
        "are",
        "was",
        "were",
        "also",
        "now",
        "to",
        "agreed",
        "recently",
        "reportedly",
        "quietly",
        "officially",
        "set",
        "been",
        "just",
        "finally",
        "already",
        "jointly",
        "in",
        "turn",
    }
)
_MODIFIED_NOUNS = frozenset(
    {
        "winner",
        "drama",
        "film",
        "films",
        "series",
        "thriller",
        "comedy",
        "movie",
        "show",
        "documentary",
        "franchise",
        "box",
        "office",
        "festival",
        "market",
        "prize",
        "hit",
        "favourite",
        "favorite",
        "entry",
        "title",
        "awards",
        "award",
        "edition",
        "season",
    }
)


@dataclass
class Trigger:
    kind: str
    start: int
    end: int
    subject: Party | None


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    start: int
    end: int
    descriptor: str = ""  # the words before the name ("streaming service")
    descriptor_start: int = -1


# -- the proposed deal ---------------------------------------------------------------------------


@dataclass
class Found:
    """A deal as the rules find it, with the article spans each field came from."""

    licensor: str | None = None
    licensee: str | None = None
    titles: list[str] = field(default_factory=list)
    media: list[str] | None = None
    territories: list[str] | None = None
    territories_as_written: str | None = None
    exclusive: bool | None = None
    fee: tuple[Decimal, str] | None = None
    start: date | None = None
    end: date | None = None
    sentence: Span = (0, 0)
    evidence: dict[str, list[Span]] = field(default_factory=dict)
    inferred: set[str] = field(default_factory=set)
    years: int | None = None

    def cite(self, name: str, span: Span) -> None:
        spans = self.evidence.setdefault(name, [])
        if span not in spans:
            spans.append(span)

    @property
    def confidence(self) -> float:
        """How much of the deal the article states outright: each of the five core fields
        stated adds, each one filled from context or a default takes away."""
        stated = sum(
            1
            for value in (self.licensor, self.licensee, self.titles, self.media, self.territories)
            if value
        )
        score = 0.3 + 0.13 * stated - 0.1 * len(self.inferred)
        return round(max(0.05, min(0.95, score)), 2)


class Reader:
    """One article being read: its tokens, sentences and the context that carries from one
    sentence to the next (the titles last named, the seller of a round of sales, the
    co-producers)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.starts = [t.start for t in self.tokens]
        self.sentences = split_sentences(text, self.tokens) if self.tokens else []
        self.quotes = _quoted_titles(text)
        self.titles_in_context: list[tuple[str, Span]] = []
        self.seller: Party | None = None
        self.coproducers: list[Party] = []
        self.deals: list[Found] = []
        self._name_spans: list[Span] = []  # names of the clause being read (see _blocked)
        self._quote_starts = [span[0] for _, span in self.quotes]

    # -- names -----------------------------------------------------------------------------

    def _index(self, offset: int) -> int:
        return bisect_left(self.starts, offset)

    def _in_quotes(self, offset: int) -> bool:
        i = bisect_left(self._quote_starts, offset + 1) - 1
        return i >= 0 and offset < self.quotes[i][1][1]

    def _name_token(self, token: Token) -> bool:
        word = token.text
        if word in ("&", "+"):
            return True
        if self._in_quotes(token.start) or word == '"':
            return False
        first = word[0]
        return (
            first.isupper()
            or first.isdigit()
            or (first.islower() and any(c.isupper() for c in word[1:]))
        )

    def _describes(self, i: int) -> bool:
        """Whether token ``i`` describes the party named after it rather than being part of
        the name: a lower-case descriptor ("broadcaster"), a place word ("Australian",
        "Seoul-based") before one, or either at the start of a sentence or clause
        ("Streamer Vidora")."""
        token = self.tokens[i]
        lower = token.lower
        describing = lower in g.DESCRIPTOR_WORDS or lower in g.NATIONALITIES
        if lower.endswith("-based"):
            return True
        if not describing:
            return False
        if token.text[0].islower():
            return True
        nxt = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        if nxt is not None and nxt.text[0].islower() and nxt.text not in ("&", "+"):
            return True  # "Australian broadcaster ABC"
        prev = self.tokens[i - 1] if i > 0 else None
        return prev is None or prev.text in (".", ",", ";", ":", '"', "!", "?", "(")

    def _clean_run(self, run: list[Token]) -> tuple[list[Token], list[Token]]:
        """Split a run of capitalised tokens into (describing words, the name)."""
        lead: list[Token] = []
        while len(run) > 1:
            i = self._index(run[0].start)
            if run[0].lower == "the":
                lead.append(run.pop(0))  # "The Walt Disney Company": the name drops "The"
                break
            if run[0].lower in g.NOT_NAMES or self._describes(i):
                lead.append(run.pop(0))
                continue
            break
        while run and run[-1].text in ("&", "+"):
            run.pop()
        return lead, run

    def _make_party(self, run: list[Token], lead: list[Token]) -> Party | None:
        if not run:
            return None
        name = self.text[run[0].start : run[-1].end]
        lower = name.lower()
        if (
            lower in g.PLACES
            or lower in g.NOT_NAMES
            or lower in g.NATIONALITIES
            or lower in g.DEMONYMS
            or re.fullmatch(r"[\d.,]+", name)
            or g.media_code(lower) is not None
            or lower in {"ceo", "tv", "the"}
        ):
            return None
        descriptor = " ".join(t.text for t in lead)
        return Party(name, run[0].start, run[-1].end, descriptor, lead[0].start if lead else -1)

    def name_after(self, offset: int, limit: int) -> Party | None:
        """The party named right after ``offset`` (a preposition), skipping describing
        words ("from sales agent Rediance"); None if what follows is no name."""
        i = self._index(offset)
        lead: list[Token] = []
        while i < len(self.tokens) and self.tokens[i].start < limit:
            token = self.tokens[i]
            if self._describes(i):
                lead.append(token)
                i += 1
                if len(lead) > 5:
                    return None
                continue
            break
        run: list[Token] = []
        while i < len(self.tokens) and self.tokens[i].start < limit:
            token = self.tokens[i]
            if not self._name_token(token):
                break
            run.append(token)
            i += 1
        lead2, run = self._clean_run(run)
        nxt = self.tokens[i] if i < len(self.tokens) else None
        if nxt is not None and nxt.lower in _MODIFIED_NOUNS:
            return None
        if nxt is not None and nxt.text == "'s":
            place = self.text[run[0].start : run[-1].end].lower() if run else ""
            if place in g.PLACES:  # "Spain's Telecinco Cinema": the place describes
                return self.name_after(nxt.end, limit)
            return None
        return self._make_party(run, lead + lead2)

    def name_before(self, offset: int, floor: int) -> Party | None:
        """The party named right before ``offset`` (a trigger verb), past auxiliaries
        ("Netflix has acquired")."""
        i = self._index(offset) - 1
        while i >= 0 and self.tokens[i].start >= floor and self.tokens[i].lower in _AUXILIARIES:
            i -= 1
        run: list[Token] = []
        while i >= 0 and self.tokens[i].start >= floor and self._name_token(self.tokens[i]):
            run.insert(0, self.tokens[i])
            i -= 1
        lead, run = self._clean_run(run)
        while (
            i >= 0
            and self.tokens[i].start >= floor
            and (
                self.tokens[i].lower in g.DESCRIPTOR_WORDS
                or self.tokens[i].lower in g.NATIONALITIES
                or self.tokens[i].lower.endswith("-based")
            )
        ):
            lead.insert(0, self.tokens[i])
            i -= 1
        return self._make_party(run, lead)

    def _and_before(self, party: Party, floor: int) -> Party | None:
        """The X of "X and <party>"."""
        i = self._index(party.descriptor_start if party.descriptor_start >= 0 else party.start)
        if i >= 1 and self.tokens[i - 1].lower == "and":
            return self.name_before(self.tokens[i - 1].start, floor)
        if i >= 2 and self.tokens[i - 1].text == "'s" and self.tokens[i - 2].start >= floor:
            # "South Korea's Studio Maru and Japan's Fuji Vista": skip the possessive place
            j = i - 2
            while j >= 0 and self._name_token(self.tokens[j]) and self.tokens[j].start >= floor:
                j -= 1
            if j >= 0 and self.tokens[j].lower == "and":
                return self.name_before(self.tokens[j].start, floor)
        return None

    # -- the reading -------------------------------------------------------------------------

    def read(self) -> list[Found]:
        previous: list[Found] = []
        for sentence in self.sentences:
            found = self._sentence(sentence, previous)
            if found:
                previous = found
        return _without_repeats(self.deals)

    def _triggers(self, start: int, end: int) -> list[Trigger]:
        hits: list[Trigger] = []
        taken: list[Span] = []
        for kind, pattern in _TRIGGERS:
            for match in pattern.finditer(self.text, start, end):
                if self._in_quotes(match.start()):
                    continue
                if any(s <= match.start() < e for s, e in taken):
                    continue
                subject = self.name_before(match.start(), start)
                hits.append(Trigger(kind, match.start(), match.end(), subject))
                taken.append((match.start(), match.end()))
        hits.sort(key=lambda t: t.start)
        # Only a trigger with its own subject opens a clause, except the first of a sentence.
        kept: list[Trigger] = []
        for hit in hits:
            if not kept or hit.subject is not None:
                kept.append(hit)
        return kept

    def _sentence(self, sentence: Span, previous: list[Found]) -> list[Found]:
        start, end = sentence
        titles = [(t, s) for t, s in self.quotes if start <= s[0] < end]
        triggers = self._triggers(start, end)
        made: list[Found] = []
        for n, trigger in enumerate(triggers):
            # a clause runs from its subject (with the words describing it) to the next one's
            clause_start = start if n == 0 else _opening(trigger)
            clause_end = _opening(triggers[n + 1]) if n + 1 < len(triggers) else end
            made.extend(self._clause(trigger, clause_start, clause_end, sentence, previous))
        if titles:
            self.titles_in_context = titles
        if not triggers and previous:
            self._add_detail(sentence, previous)
        return made

    def _clause(
        self, trigger: Trigger, start: int, end: int, sentence: Span, previous: list[Found]
    ) -> list[Found]:
        clause = self.text[start:end]
        titles = [(t, s) for t, s in self.quotes if start <= s[0] < end]
        unquoted = False
        if not titles:
            titles = self._unquoted_titles(start, end)
            unquoted = bool(titles)
        word = self.text[trigger.start : trigger.end].lower()
        kind = trigger.kind
        subject = trigger.subject
        has_rights = bool(_RIGHTS.search(clause))

        if kind == COPRO:
            if subject is not None:
                other = self._and_before(subject, sentence[0])
                self.coproducers = [p for p in (other, subject) if p is not None]
            return []
        if kind == RETAIN:
            return []
        if (
            kind == DEAL
            and _SALES_NOUN.search(self.text, trigger.end, end)
            and not (_DEAL_NOUN.search(self.text, trigger.end, end))
        ):
            self.seller = subject  # "Fremantle has closed a raft of sales for ..."
            return []
        if kind == DEAL and word == "closed" and re.search(r"\bsales\b", clause, re.I):
            self.seller = subject
            return []
        if kind == BUY and _NEEDS_RIGHTS.match(word) and not has_rights:
            return []
        if kind == BUY and word in ("paid", "pays") and not (has_rights or titles):
            return []
        if kind == DEAL and not _DEAL_NOUN.search(self.text, trigger.end, end):
            return []
        if kind == BECOME and not re.search(
            r"\b(?:distributor|home|partner|licensee|broadcaster)\b",
            self.text[trigger.end : end],
            re.I,
        ):
            return []
        if kind == INVEST and not (
            re.search(r"\b(?:into|in exchange for|rights)\b", clause, re.I)
            or _MONEY_IN.match(self.text, trigger.end, end)  # "invested RMB 50 million in"
        ):
            return []

        def parties_after(preposition: str) -> list[tuple[Party, int]]:
            out = []
            pattern = _PREPOSITIONS[preposition]
            for m in pattern.finditer(self.text, trigger.end, end):
                before = self.text[max(start, m.start() - 12) : m.start()].lower()
                if preposition == "to" and re.search(r"rights?,?\s*$|licen[cs]e\s*$", before):
                    continue
                party = self.name_after(m.end(), end)
                if party is not None:
                    out.append((party, m.start()))
            return out

        froms = parties_after("from")
        tos = parties_after("to")
        withs = parties_after("with")
        bys = parties_after("by")
        produced = re.search(r"\bproduced by\b", self.text[sentence[0] : sentence[1]], re.I)
        producer = self.name_after(sentence[0] + produced.end(), sentence[1]) if produced else None

        licensors: list[Party | None] = [None]
        licensees: list[tuple[Party | None, int, int]] = []  # licensee, segment start, end
        inferred: set[str] = set()
        if kind == SELL or (kind == LICENSE and not froms and tos):
            licensors = [subject]
            if tos:
                for n, (party, at) in enumerate(tos):
                    seg_end = tos[n + 1][1] if n + 1 < len(tos) else end
                    licensees.append((party, at, seg_end))
            else:
                licensees = [(None, start, end)]
        else:
            licensee = subject
            licensor: Party | None = None
            if kind == BUY and subject is None and bys:
                licensee = bys[0][0]
            if froms:
                licensor = froms[0][0]
            elif withs:
                licensor = withs[0][0]
            elif kind == INVEST and producer is not None:
                licensor = producer
            if kind in (DEAL, BECOME) and licensor is not None and licensee is not None:
                after_with = self.text[licensor.end : end]
                swap = (
                    _descriptor_side(licensor) == "buyer"
                    or _descriptor_side(licensee) == "seller"
                    or re.match(r"\s*,\s*which will become\b", after_with) is not None
                    or re.search(rf"\b{re.escape(licensor.name)}'s\b", after_with) is not None
                    # "... with Britbox Plus for Lionsgate films", "... rights to its library":
                    # who owns the content sells
                    or re.search(rf"\b{re.escape(licensee.name)}(?:'s)?\s+{_CONTENT}", clause)
                    is not None
                    or re.search(rf"\b(?:its|their)\s+(?:[\w-]+\s+)?{_CONTENT}", clause) is not None
                )
                if swap:
                    licensor, licensee = licensee, licensor
            if licensor is None and licensee is not None:
                others = [p for p in self.coproducers if p.name != licensee.name]
                if len(others) == 1 and any(p.name == licensee.name for p in self.coproducers):
                    licensor = others[0]
                    inferred.add("licensor")
                elif self.seller is not None and self.seller.name != licensee.name:
                    licensor = self.seller
                    inferred.add("licensor")
            licensors = [licensor]
            licensees = [(licensee, start, end)]

        if not titles and self.titles_in_context and not _NO_TITLE.search(clause):
            titles = list(self.titles_in_context)
            inferred.add("titles")
        media = self._media(start, end)
        # licensing or selling to or from someone names a right by itself; other verbs need
        # a title, the word "rights", a medium or a deal
        stated = (
            bool(titles)
            or has_rights
            or bool(media)
            or bool(_DEAL_NOUN.search(clause))
            or (kind in (LICENSE, SELL) and bool(froms or tos))
        )
        if "titles" in inferred and not (has_rights or media or _DEAL_NOUN.search(clause)):
            stated = _TITLE_REFERENCE.search(clause) is not None
        if not stated:
            return []

        if unquoted:
            inferred.add("titles-unquoted")  # read from capitals, not quotes: less sure
        made: list[Found] = []
        licensor_party = licensors[0]
        for licensee_party, seg_start, seg_end in licensees:
            if licensee_party is None and licensor_party is None:
                continue
            found = Found(sentence=sentence)
            found.inferred = set(inferred)
            if licensor_party is not None:
                found.licensor = licensor_party.name
                found.cite("licensor", (licensor_party.start, licensor_party.end))
            if licensee_party is not None:
                found.licensee = licensee_party.name
                found.cite("licensee", (licensee_party.start, licensee_party.end))
            for title, span in titles:
                if title not in found.titles:
                    found.titles.append(title)
                found.cite("titles", span)
            if media:
                found.media = sorted({code for code, _ in media})
                for _, span in media:
                    found.cite("media", span)
            if len(licensees) > 1:
                self._territories(found, seg_start, seg_end)
            else:
                self._territories(found, start, end)
            self._exclusivity(found, start, end)
            self._fee(found, start, end)
            self._dates(found, start, end)
            made.append(found)
        return self._merge(made, previous)

    def _unquoted_titles(self, start: int, end: int) -> list[tuple[str, Span]]:
        """Titles the press did not quote, read after a word of genre: "the Korean drama
        Descendants of the Sun from KBS" (capitalised words, with "of", "the", "and", "a"
        inside them when a capitalised word follows)."""
        out: list[tuple[str, Span]] = []
        for match in _GENRE.finditer(self.text, start, end):
            i = self._index(match.end())
            run: list[Token] = []
            while i < len(self.tokens) and self.tokens[i].start < end:
                token = self.tokens[i]
                if token.text[:1].isupper() or token.text[:1].isdigit():
                    run.append(token)
                elif run and token.lower in _TITLE_JOINERS:
                    j = i
                    while j < len(self.tokens) and self.tokens[j].lower in _TITLE_JOINERS:
                        j += 1
                    if j >= len(self.tokens) or not self.tokens[j].text[:1].isupper():
                        break
                    run.extend(self.tokens[i:j])
                    i = j
                    continue
                else:
                    break
                i += 1
            if not run or run[0].lower in g.NOT_NAMES or run[0].text == '"':
                continue
            span = (run[0].start, run[-1].end)
            name = self.text[span[0] : span[1]]
            if name.lower() in g.PLACES or name.lower() in g.DEMONYMS:
                continue
            out.append((name, span))
        return out

    def _merge(self, made: list[Found], previous: list[Found]) -> list[Found]:
        """A clause that names the same licensee as a deal of the sentence before, and no
        other title, adds to that deal ("In return, X receives the right to ...")."""
        out: list[Found] = []
        for found in made:
            target = next(
                (
                    p
                    for p in previous
                    if p.licensee
                    and p.licensee == found.licensee
                    and (
                        not found.titles
                        or "titles" in found.inferred
                        or set(found.titles) <= set(p.titles)
                    )
                    and (found.licensor is None or found.licensor == p.licensor)
                ),
                None,
            )
            if target is None:
                self.deals.append(found)
                out.append(found)
                continue
            if found.media:
                target.media = sorted(set(target.media or []) | set(found.media))
            for name in ("territories", "exclusive", "fee", "start", "end"):
                if getattr(target, name) is None and getattr(found, name) is not None:
                    setattr(target, name, getattr(found, name))
            if target.territories_as_written is None:
                target.territories_as_written = found.territories_as_written
            for name, spans in found.evidence.items():
                if name in ("licensor", "licensee", "titles"):
                    continue
                for span in spans:
                    target.cite(name, span)
            target.cite("sentence", found.sentence)
            out.append(target)
        return out

    # -- fields ----------------------------------------------------------------------------

    def _blocked(self, start: int, end: int) -> bool:
        """Whether a span falls in a name, a title or a party's describing words, where
        place and media words say nothing about the rights ("Apple TV", "streaming
        service Britbox Plus")."""
        return self._in_quotes(start) or any(s <= start < e for s, e in self._name_spans)

    def _collect_names(self, start: int, end: int) -> list[Span]:
        spans: list[Span] = []
        first, last = self._index(start), self._index(end)
        for i in range(first, last):
            token = self.tokens[i]
            if token.lower in ("from", "to", "with", "by") or (i == 0 or token.start == start):
                party = self.name_after(
                    token.end if token.lower in ("from", "to", "with", "by") else token.start, end
                )
                if party is not None:
                    spans.append(
                        (
                            party.descriptor_start if party.descriptor_start >= 0 else party.start,
                            party.end,
                        )
                    )
        for kind, pattern in _TRIGGERS:
            del kind
            for match in pattern.finditer(self.text, start, end):
                party = self.name_before(match.start(), start)
                if party is not None:
                    spans.append(
                        (
                            party.descriptor_start if party.descriptor_start >= 0 else party.start,
                            party.end,
                        )
                    )
        # Capitalised runs followed by a possessive ("ABC's") and "X's" places.
        for i in range(first, last):
            token = self.tokens[i]
            if token.text == "'s":
                j = i - 1
                while j >= 0 and self._name_token(self.tokens[j]):
                    j -= 1
                if j + 1 < i:
                    spans.append((self.tokens[j + 1].start, token.end))
        return spans

    def _media(self, start: int, end: int) -> list[tuple[str, Span]]:
        """Media phrases in a clause, the longest phrase winning where two overlap; a verb
        of use ("will stream") counts only when no right is named."""
        self._name_spans = self._collect_names(start, end)
        candidates: list[tuple[str, Span, bool]] = []
        for pattern, code in _MEDIA_PATTERNS:
            for match in pattern.finditer(self.text, start, end):
                span = (match.start(), match.end())
                if not self._blocked(*span):
                    candidates.append((code, span, match.group().lower().startswith(_WEAK)))
        for acronym, code in g.MEDIA_ACRONYMS.items():
            for match in re.compile(rf"\b{acronym}\b").finditer(self.text, start, end):
                if not self._blocked(match.start(), match.end()):
                    candidates.append((code, (match.start(), match.end()), False))
        candidates.sort(key=lambda c: (c[1][0] - c[1][1], c[1][0]))
        chosen: list[tuple[str, Span, bool]] = []
        for code, span, weak in candidates:
            if not any(s < span[1] and span[0] < e for _, (s, e), _ in chosen):
                chosen.append((code, span, weak))
        if any(not weak for _, _, weak in chosen):
            chosen = [c for c in chosen if not c[2]]
        return sorted(((code, span) for code, span, _ in chosen), key=lambda c: c[1])

    def _territories(self, found: Found, start: int, end: int) -> None:
        count = _COUNT.search(self.text, start, end)
        if count is not None:
            found.territories = None
            found.territories_as_written = count.group()
            found.cite("territories", (count.start(), count.end()))
            return
        codes: list[str] = []
        excluded: list[str] = []
        used: list[Span] = []
        for match in _EXCLUDING.finditer(self.text, start, end):
            place = g.PLACES.get(match.group("place").lower())
            if place:
                excluded.extend(place)
                used.append((match.start(), match.end()))
                found.cite("territories", (match.start(), match.end()))
        for match in _DEMONYM_RIGHTS.finditer(self.text, start, end):
            span = (match.start("adj"), match.end("adj"))
            if any(s <= span[0] < e for s, e in used):
                continue
            if self._blocked(*span):
                continue
            codes.extend(g.DEMONYMS[match.group("adj").lower()])
            used.append(span)
            found.cite("territories", span)
        for match in _PLACE.finditer(self.text, start, end):
            span = (match.start(), match.end())
            if any(s <= span[0] < e for s, e in used) or self._blocked(*span):
                continue
            if self.text[span[1] : span[1] + 2] in ("'s", "’s"):
                continue
            codes.extend(g.PLACES[match.group().lower()])
            used.append(span)
            found.cite("territories", span)
        if not codes:
            return
        unique = sorted(set(codes))
        if excluded:
            if len(unique) == 1:
                found.territories = [f"{unique[0]} except {', '.join(sorted(set(excluded)))}"]
                return
            unique = [c for c in unique if c not in excluded]
        found.territories = unique

    def _exclusivity(self, found: Found, start: int, end: int) -> None:
        match = _NON_EXCLUSIVE.search(self.text, start, end)
        if match is not None:
            found.exclusive = False
        else:
            match = _EXCLUSIVE.search(self.text, start, end)
            if match is not None:
                found.exclusive = True
        if match is not None:
            found.cite("exclusive", (match.start(), match.end()))

    def _fee(self, found: Found, start: int, end: int) -> None:
        for match in _MONEY.finditer(self.text, start, end):
            before = self.text[max(start, match.start() - 40) : match.start()].lower()
            if _NOT_FEE.search(before) or not _FEE_CUE.search(before):
                continue
            after = self.text[match.end() : min(end, match.end() + 25)].lower()
            if re.match(r"\s*(?:at the box office|in (?:box office|revenue|sales))", after):
                continue
            money = _money(match)
            if money is not None:
                found.fee = money
                found.cite("fee", (match.start(), match.end()))
                return

    def _dates(self, found: Found, start: int, end: int) -> None:
        window = self.text[start:end]
        for pattern, handler in _DATE_RULES:
            for match in pattern.finditer(window):
                values = handler(match)
                if values is None:
                    continue
                first, last = values
                span = (start + match.start(), start + match.end())
                if first is not None and found.start is None:
                    found.start = first
                    found.cite("start", span)
                if last is not None and found.end is None:
                    found.end = last
                    found.cite("end", span)
        years = _YEARS.search(window)
        if years is not None:
            number = years.group("n").lower()
            found.years = int(number) if number.isdigit() else g.NUMBER_WORDS.get(number)
        if found.start is not None and found.end is None and found.years:
            found.end = _add_years(found.start, found.years) - timedelta(days=1)
            if years is not None:
                found.cite("end", (start + years.start(), start + years.end()))

    def _add_detail(self, sentence: Span, previous: list[Found]) -> None:
        """A sentence with no deal of its own that follows one: it may state the deals'
        exclusivity, term, fee, or (for a deal with none yet) territory."""
        start, end = sentence
        self._name_spans = self._collect_names(start, end)
        for found in previous:
            before = (found.exclusive, found.fee, found.start, found.end, found.territories)
            if found.exclusive is None:
                self._exclusivity(found, start, end)
            if found.fee is None:
                self._fee(found, start, end)
            self._dates(found, start, end)
            if found.territories is None and found.territories_as_written is None:
                probe = Found()
                self._territories(probe, start, end)
                if probe.territories and re.search(r"\b(?:in|for|across)\b", self.text[start:end]):
                    found.territories = probe.territories
                    for span in probe.evidence.get("territories", []):
                        found.cite("territories", span)
            if before != (found.exclusive, found.fee, found.start, found.end, found.territories):
                found.cite("sentence", sentence)


def _opening(trigger: Trigger) -> int:
    """Where a trigger's clause opens: its subject's describing words, its subject, or the
    trigger itself."""
    subject = trigger.subject
    if subject is None:
        return trigger.start
    return subject.descriptor_start if subject.descriptor_start >= 0 else subject.start


def _without_repeats(deals: list[Found]) -> list[Found]:
    """One deal per deal reported: a headline and the paragraph under it, or a deal told
    twice, name the same licensee and titles; the fuller telling keeps its place and takes
    what only the other states."""
    kept: list[Found] = []
    for deal in deals:
        twin = next(
            (
                k
                for k in kept
                if deal.licensee
                and deal.titles
                and k.licensee == deal.licensee
                and set(k.titles) == set(deal.titles)
                and (k.licensor is None or deal.licensor is None or k.licensor == deal.licensor)
                and (
                    k.territories is None
                    or deal.territories is None
                    or k.territories == deal.territories
                )
            ),
            None,
        )
        if twin is None:
            kept.append(deal)
            continue
        fuller, other = (deal, twin) if deal.confidence > twin.confidence else (twin, deal)
        for name in ("licensor", "media", "territories", "exclusive", "fee", "start", "end"):
            if getattr(fuller, name) is None and getattr(other, name) is not None:
                setattr(fuller, name, getattr(other, name))
                for span in other.evidence.get(name, []):
                    fuller.cite(name, span)
        kept[kept.index(twin)] = fuller
    return kept


def _descriptor_side(party: Party) -> str | None:
    words = set(party.descriptor.lower().split())
    if words & g.BUYER_WORDS:
        return "buyer"
    if words & g.SELLER_WORDS:
        return "seller"
    return None


_QUOTED = re.compile(
    r'"(?P<double>[^"\n]{1,80})"|(?<![\w])\'(?P<single>[A-Z0-9][^\'\n]{0,80}?)\'(?![\w])'
)


def _quoted_titles(text: str) -> list[tuple[str, Span]]:
    """Quoted names that read as titles, in double quotes or (as headlines write them) in
    single ones: short, starting with a capital or digit, not a quotation of speech (which
    ends in a comma or full stop inside the quotes)."""
    out: list[tuple[str, Span]] = []
    for match in _QUOTED.finditer(text):
        inner = (match.group("double") or match.group("single") or "").strip()
        if not inner or not (inner[0].isupper() or inner[0].isdigit()):
            continue
        if inner[-1] in ",.!?;:" or len(inner.split()) > 9:
            continue
        out.append((inner, (match.start(), match.end())))
    return out


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(p) for p in phrases), key=len, reverse=True))


_PREPOSITIONS = {word: re.compile(rf"\b{word}\b") for word in ("from", "to", "with", "by")}
_WEAK = ("will stream", "to stream")
_MEDIA_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{pattern}\b", re.IGNORECASE), code)
    for pattern, code in sorted(g.MEDIA_PHRASES, key=lambda pc: len(pc[0]), reverse=True)
)
_PLACE = re.compile(rf"(?<![\w-])(?:{_alternation(g.PLACES)})(?![\w-])", re.IGNORECASE)
_DEMONYM_RIGHTS = re.compile(
    rf"(?<![\w-])(?P<adj>{_alternation(g.DEMONYMS)})\s+(?:[\w-]+\s+){{0,3}}?rights\b",
    re.IGNORECASE,
)
_EXCLUDING = re.compile(
    rf"\b(?:excluding|except(?: for)?|outside(?: of)?|other than|but not)\s+(?:the\s+)?"
    rf"(?P<place>{_alternation(g.PLACES)})(?![\w-])",
    re.IGNORECASE,
)
_COUNT = re.compile(
    rf"\b(?:\d+|{_alternation(g.NUMBER_WORDS)}|several|multiple|dozens of|a number of|various|"
    r"more than \d+|over \d+)\s+(?:[\w-]+\s+){0,2}?(?:countries|territories|markets|nations)\b",
    re.IGNORECASE,
)
_MONEY_IN = re.compile(r"\s*\S+\s?[\d.,]+\s?(?:million|billion|bn|m)?\s+in\b", re.I)
_NON_EXCLUSIVE = re.compile(r"\bnon-?exclusive(?:ly)?\b", re.IGNORECASE)
_EXCLUSIVE = re.compile(r"\bexclusive(?:ly)?\b", re.IGNORECASE)
_MONEY = re.compile(
    r"(?P<sign>US\$|HK\$|NT\$|CA\$|A\$|C\$|\$|€|£|¥|₩|₹|Rs\.?|RMB|[A-Z]{3}(?=\s?\d))\s?"
    r"(?P<num>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<mult>million|billion|thousand|crore|lakh|mn|bn|m|k)"
    r"\b)?"
    r"|(?P<num2>\d[\d,]*(?:\.\d+)?)\s?(?P<mult2>million|billion|thousand|crore|lakh|mn|bn|m|k)?"
    r"\s(?P<word>dollars|euros?|pounds|yen|yuan|renminbi|won|rupees)\b"
)
_FEE_CUE = re.compile(
    r"\b(?:paid|pay|pays|paying|for|worth|valued at|price of|fee of|committing|commits|"
    r"invest\w*|put|puts|pouring|reported|reportedly|around|about|some|deal of|totall?ing)\b"
    r"[^.;]*$"
)
_NOT_FEE = re.compile(
    r"\b(?:gross\w*|budget|revenue|box office|earn\w*|royalt\w*|owes?|sales of|lost|loss|"
    r"raised|valuation)\b[^.;]*$"
)
_YEARS = re.compile(
    rf"\b(?P<n>\d+|{_alternation(g.NUMBER_WORDS)})[- ]years?\b(?![- ]old)", re.IGNORECASE
)


def _money(match: re.Match[str]) -> tuple[Decimal, str] | None:
    raw = match.group("num") or match.group("num2")
    mult = (match.group("mult") or match.group("mult2") or "").lower()
    if match.group("sign"):
        sign = match.group("sign")
        currency = g.CURRENCY_SIGNS.get(sign) or g.CURRENCY_SIGNS.get(sign.rstrip("."))
        if currency is None and sign in g.currency_codes():
            currency = sign
    else:
        currency = g.CURRENCY_WORDS.get(match.group("word").lower().rstrip("s"))
        currency = currency or g.CURRENCY_WORDS.get(match.group("word").lower())
    if currency is None:
        return None
    try:
        amount = Decimal(raw.replace(",", "")) * g.MULTIPLIERS.get(mult, 1)
    except InvalidOperation:
        return None
    if amount == amount.to_integral():
        amount = amount.quantize(Decimal(1))
    return amount, currency


_MONTH = _alternation(g.MONTHS)
_DAY = (
    rf"(?:(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTH})\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
_MONTH_YEAR = rf"(?:{_MONTH})\s+\d{{4}}"


def _parse_day(text: str) -> date | None:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    words = re.sub(r"(?<=\d)(?:st|nd|rd|th)|[,.]", " ", text).lower().split()
    month = next((g.MONTHS[w] for w in words if w in g.MONTHS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    if month is None or not numbers:
        return None
    year = max(numbers)
    day = next((n for n in numbers if n != year), 1)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_start(text: str) -> date | None:
    return _parse_day(text)


def _month_end(text: str) -> date | None:
    first = _parse_day(text)
    if first is None:
        return None
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _range_days(m: re.Match[str]) -> tuple[date | None, date | None] | None:
    return _parse_day(m.group("a")), _parse_day(m.group("b"))


def _range_years(m: re.Match[str]) -> tuple[date | None, date | None] | None:
    return date(int(m.group("a")), 1, 1), date(int(m.group("b")), 12, 31)


def _start_day(m: re.Match[str]) -> tuple[date | None, date | None] | None:
    text = m.group("a")
    return (_parse_day(text) if re.search(r"\d{1,2}\D+\d{4}|-", text) else _month_start(text)), None


def _end_day(m: re.Match[str]) -> tuple[date | None, date | None] | None:
    text = m.group("a")
    if re.fullmatch(r"\d{4}", text):
        return None, date(int(text), 12, 31)
    if re.fullmatch(_MONTH_YEAR, text, re.IGNORECASE):
        return None, _month_end(text)
    return None, _parse_day(text)


DateRule = Callable[[re.Match[str]], tuple[date | None, date | None] | None]
_DATE_RULES: tuple[tuple[re.Pattern[str], DateRule], ...] = (
    (
        re.compile(rf"\bfrom\s+(?P<a>{_DAY})\s+(?:to|through|until|till)\s+(?P<b>{_DAY})", re.I),
        _range_days,
    ),
    (
        re.compile(
            r"\bfrom\s+(?P<a>(?:19|20)\d{2})\s+(?:to|through|until|till)\s+(?P<b>(?:19|20)\d{2})",
            re.I,
        ),
        _range_years,
    ),
    (
        re.compile(
            rf"\b(?:starting|starts|beginning|begins|effective|commencing|from)\s+(?:on\s+|in\s+)?"
            rf"(?P<a>{_DAY}|{_MONTH_YEAR})",
            re.I,
        ),
        _start_day,
    ),
    (
        re.compile(
            rf"\b(?:until|through|till|expiring(?: on| in)?|ending(?: on| in)?)\s+"
            rf"(?:the end of\s+)?(?P<a>{_DAY}|{_MONTH_YEAR}|(?:19|20)\d{{2}})",
            re.I,
        ),
        _end_day,
    ),
)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def read_deals(text: str) -> tuple[list[Found], list[Span]]:
    """The deals an article reports, in the order it reports them, and its sentences."""
    reader = Reader(text)
    return reader.read(), reader.sentences
