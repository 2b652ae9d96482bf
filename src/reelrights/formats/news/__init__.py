"""Deal news: read a trade-press article in English and propose the deals it reports.

Pure text logic (docs/semantics.md rule 23): no database, no network, nothing downloaded.
The service matches the names found here to stored parties and titles and turns the deals
into a draft deal sheet; this package only reads. Every field of a proposed deal keeps the
spans of the article it came from, and a field the article does not state stays unknown
(``None``) rather than defaulted.

>>> deals = extract_deals('Tencent Video has become the exclusive online distributor of '
...     'the "Star Wars" films in China under a deal with The Walt Disney Company.').deals
>>> d = deals[0].to_json()
>>> d["licensor"], d["licensee"], d["titles"], d["media"], d["territories"], d["exclusive"]
('Walt Disney Company', 'Tencent Video', ['Star Wars'], ['ONLINE'], ['CN'], True)
>>> extract_deals('"Iron Tide" topped the box office, grossing $8.2 million.').deals
()
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from reelrights.domain.problems import InvalidInput, Problem

if TYPE_CHECKING:  # the rules (and their gazetteers) load on the first extraction
    from reelrights.formats.news.rules import Found, Span

# The largest article read, in bytes of UTF-8: a long trade feature is 20-60 KB; anything
# past this is not one article, and reading it would hold a request for over a second.
MAX_ARTICLE_BYTES = 100_000
# An English article has at least this share of its words among the commonest English
# function words (English prose runs near 40%; French or German with English names in it
# stays well under).
MIN_ENGLISH_SHARE = 0.12
_ENGLISH = frozenset(
    {
        *("the", "a", "an", "of", "to", "in", "for", "and", "has", "have", "had", "with"),
        *("from", "on", "its", "is", "was", "will", "by", "at", "as", "that", "which"),
        *("it", "be", "are", "were", "this", "their", "or", "rights", "deal"),
    }
)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})


@dataclass(frozen=True)
class ProposedDeal:
    """One deal the article reports: names as written, media and territories as codes,
    ``None`` where the article does not say; ``evidence`` maps each field to the spans of
    the article it was read from."""

    licensor: str | None
    licensee: str | None
    titles: tuple[str, ...]
    media: tuple[str, ...] | None
    territories: tuple[str, ...] | None
    exclusive: bool | None
    fee: tuple[Decimal, str] | None
    start: date | None
    end: date | None
    sentence: str
    confidence: float
    sentence_span: Span = (0, 0)
    evidence: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    territories_as_written: str | None = None
    inferred: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The deal as rule 23's JSON: ``{"licensor", "licensee", "titles", "media",
        "territories", "exclusive", "fee", "start", "end", "sentence", "confidence"}``;
        ``fee`` is ``{"amount": "2400000", "currency": "USD"}`` or null."""
        return {
            "licensor": self.licensor,
            "licensee": self.licensee,
            "titles": list(self.titles),
            "media": list(self.media) if self.media is not None else None,
            "territories": list(self.territories) if self.territories is not None else None,
            "exclusive": self.exclusive,
            "fee": ({"amount": str(self.fee[0]), "currency": self.fee[1]} if self.fee else None),
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "sentence": self.sentence,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Extraction:
    """What an article yields: the text as read (line ends and quotes made plain; every
    span refers to it), its sentences and the proposed deals in the order the article
    reports them."""

    text: str
    sentences: tuple[Span, ...]
    deals: tuple[ProposedDeal, ...]


def read_article(data: bytes | str, source: str = "article") -> str:
    """The text of an article, or :class:`InvalidInput` naming ``source`` when it is empty,
    binary, larger than :data:`MAX_ARTICLE_BYTES`, or not English."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_ARTICLE_BYTES:
        raise InvalidInput(
            [
                Problem(
                    f"the article is {size:,} bytes; the limit is {MAX_ARTICLE_BYTES:,} "
                    "(one article, not a collection)",
                    source,
                )
            ]
        )
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise InvalidInput([Problem("not a text file (it holds binary data)", source)])
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidInput(
                [Problem(f"not UTF-8 text (byte {error.start} cannot be read)", source)]
            ) from None
    else:
        text = data
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if controls:
        raise InvalidInput([Problem("not a text file (it holds control characters)", source)])
    if not text.strip():
        raise InvalidInput([Problem("the article is empty", source)])
    if not reads_as_english(text):
        raise InvalidInput(
            [Problem("the article does not read as English; deal news is read in English", source)]
        )
    return text


def reads_as_english(text: str) -> bool:
    """Whether a text is English prose: mostly Latin letters, and enough of its words
    among the commonest English function words (short texts get the benefit of the
    doubt on the second test).

    >>> reads_as_english("Netflix has acquired the rights to the film in France.")
    True
    >>> reads_as_english("Netflix a acquis les droits du film pour la France et la Belgique.")
    False
    >>> reads_as_english("腾讯视频成为星球大战系列电影在中国的独家网络发行商。")
    False
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if c.isascii())
    if latin / len(letters) < 0.8:
        return False
    words = re.findall(r"[A-Za-z]+", text)
    if len(words) < 6:
        return True
    common = sum(1 for w in words if w.lower() in _ENGLISH)
    return common / len(words) >= MIN_ENGLISH_SHARE


def extract_deals(text: str) -> Extraction:
    """The deals an article reports (see :mod:`reelrights.formats.news.rules`). The text
    is not checked here: :func:`read_article` does that at the edge."""
    plain = text.replace("\r\n", "\n").replace("\r", "\n").translate(_QUOTES)
    from reelrights.formats.news.rules import read_deals

    found, sentences = read_deals(plain)
    return Extraction(plain, tuple(sentences), tuple(_proposed(plain, f) for f in found))


def _proposed(text: str, found: Found) -> ProposedDeal:
    start, end = found.sentence
    evidence = {name: tuple(sorted(spans)) for name, spans in found.evidence.items()}
    return ProposedDeal(
        licensor=found.licensor,
        licensee=found.licensee,
        titles=tuple(found.titles),
        media=tuple(found.media) if found.media else None,
        territories=tuple(found.territories) if found.territories else None,
        exclusive=found.exclusive,
        fee=found.fee,
        start=found.start,
        end=found.end,
        sentence=" ".join(text[start:end].split()),
        confidence=found.confidence,
        sentence_span=found.sentence,
        evidence=evidence,
        territories_as_written=found.territories_as_written,
        inferred=tuple(sorted(found.inferred)),
    )


__all__ = [
    "MAX_ARTICLE_BYTES",
    "Extraction",
    "ProposedDeal",
    "extract_deals",
    "read_article",
    "reads_as_english",
]
