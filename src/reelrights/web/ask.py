"""*Can I sell …?*: the home page's question box. A person types the question as they would
say it ("Star Wars SVOD Hong Kong 2016") and gets the engine's answer at once: yes, yes but
look first (a hold or an option), partly, or no, with every reason and the contract behind
it, and links to the title's grid and timeline for the same question.

The words are read by :func:`read_question`: a year or two ISO dates are the term, media
and territory codes, groups and names are the rights, and what is left names the title
(the catalog search). What it understood is shown beside the answer, so a misreading is
seen and corrected in the form.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import CodeError, InvalidInput, Problem
from reelrights.domain.terms import from_end, from_start
from reelrights.domain.territories import Geography
from reelrights.service import ApiKey, Service
from reelrights.service.permissions import Permissions

Page = Callable[..., HTMLResponse]
FILLER = {
    "can", "could", "i", "we", "you", "sell", "license", "licence", "is", "are", "am",
    "available", "avail", "avails", "in", "for", "to", "on", "from", "during", "and",
    "if", "not", "why", "rights", "right", "the", "of", "what", "about", "still", "it",
}  # fmt: skip
"""Words of the question that name nothing (a title keeps them when it has them)."""
REASON_WORDS = {
    "not-held": "the licensor does not hold these rights",
    "held-non-exclusively": "the licensor holds them only non-exclusively",
    "exclusive-license": "licensed exclusively",
    "holdback": "under a holdback",
    "non-exclusive-license": "licensed non-exclusively (an exclusive sale would clash)",
    "already-owned": "already owned",
}
WORD = re.compile(r"[\w.'’&:-]+", re.UNICODE)
DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
YEAR = re.compile(r"\b((?:19|20)\d{2})(?:\s*(?:-|–|to)\s*((?:19|20)\d{2}))?\b")


@dataclass
class Question:
    """What a typed question was read as."""

    text: str
    title_words: str = ""
    media: list[str] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None


def read_question(text: str, media: MediaTaxonomy, geography: Geography) -> Question:
    """The term, media, territories and title words of ``text``.

    >>> q = read_question("Can I sell SVOD in Hong Kong for 2016?", MediaTaxonomy(), Geography())
    >>> (q.media, q.territories, q.start, q.end, q.title_words)
    (['SVOD'], ['Hong Kong'], datetime.date(2016, 1, 1), datetime.date(2016, 12, 31), '')
    >>> words = "star wars svod HK, TW 2016-03-01 2016-05-31"
    >>> q = read_question(words, MediaTaxonomy(), Geography())
    >>> (q.media, q.territories, q.start, q.end, q.title_words)
    (['SVOD'], ['HK', 'TW'], datetime.date(2016, 3, 1), datetime.date(2016, 5, 31), 'star wars')
    """
    question = Question(text)
    rest = text
    days = DAY.findall(rest)
    if days:
        question.start = date.fromisoformat(days[0])
        question.end = date.fromisoformat(days[1]) if len(days) > 1 else None
        rest = DAY.sub(" ", rest)
    else:
        years = YEAR.search(rest)
        if years:
            first = int(years.group(1))
            last = int(years.group(2) or first)
            question.start, question.end = date(first, 1, 1), date(last, 12, 31)
            rest = rest[: years.start()] + " " + rest[years.end() :]
    words = [w.strip(".,:;'’") for w in WORD.findall(rest.replace(",", " , "))]
    words = [w for w in words if w]
    used = [False] * len(words)
    for i, word in enumerate(words):
        if word.lower() in FILLER or (len(word) < 3 and not word.isupper()):
            continue
        try:
            media.code(word.upper())
        except CodeError:
            continue
        question.media.append(word.upper())
        used[i] = True
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            if any(used[i : i + size]):
                continue
            span = " ".join(words[i : i + size])
            if size == 1 and (span.lower() in FILLER or (len(span) <= 3 and not span.isupper())):
                continue
            try:
                geography.code(span)
            except CodeError:
                continue
            question.territories.append(span)
            used[i : i + size] = [True] * size
    # the title: what is left, without the question's own words at either end
    left = [w for w, u in zip(words, used, strict=True) if not u and w not in {",", "?"}]
    while left and left[0].lower() in FILLER:
        left.pop(0)
    while left and left[-1].lower() in FILLER:
        left.pop()
    question.title_words = " ".join(left)
    order = {w: text.find(w) for w in question.territories}
    question.territories.sort(key=lambda w: order[w])
    return question


def add_ask_page(app: FastAPI, service: Service, page: Page, signed: Any) -> None:
    """``/ui/ask?q=...``: the answer to the home page's question."""

    def owner_of(title: str) -> str | None:
        for contract in service.contracts(title=title):
            if contract.licensor is None and contract.in_force():
                return contract.licensee
        return None

    def answer(key: ApiKey, question: Question, title: str, licensor: str) -> dict[str, Any]:
        problems: list[Problem] = []
        if not question.media:
            problems.append(Problem("which media? (SVOD, ONLINE, PAY_TV, ...)", field="media"))
        if not question.territories:
            problems.append(Problem("where? (Hong Kong, HK, LATAM, ...)", field="territories"))
        if question.start is None:
            problems.append(Problem("when? (a year such as 2016, or two dates)", field="term"))
        found = (
            service.find_titles(title or question.title_words)
            if (title or question.title_words)
            else []
        )
        if not found:
            problems.append(
                Problem(
                    f"which title? nothing in the catalog is called '{question.title_words}'"
                    if question.title_words
                    else "which title? (its name or id)",
                    field="title",
                )
            )
        if problems:
            raise InvalidInput(problems)
        chosen = found[0]
        may = Permissions.of(key)
        seller = may.party or licensor or owner_of(chosen.title.id)
        if seller is None:
            raise InvalidInput(
                [
                    Problem(
                        f"nobody owns '{chosen.label}' in this book; give the licensor",
                        field="licensor",
                    )
                ]
            )
        may.require_asking_as(seller)
        request = service.request(
            seller,
            [chosen.title.id],
            question.media,
            question.territories,
            question.start or date.today(),
            question.end,
        )
        report = service.redact_report(key, service.avails(request))
        named = {u.contract for u in report.unavailable} | {w.contract for w in report.warnings}
        # who holds each contract's rights: the reason a person gives ("licensed to Tencent")
        licensees = {c.id: c.licensee for c in service.contracts_named(named - {None})}
        return {
            "title": chosen,
            "licensor": seller,
            "report": report,
            "licensees": licensees,
            "others": found[1:6],
        }

    @app.get("/ui/ask", response_class=HTMLResponse, include_in_schema=False)
    def ask(
        request: Request, key: signed, q: str = "", title: str = "", licensor: str = ""
    ) -> HTMLResponse:
        media, geography = service.vocabularies()
        question = read_question(q[:300], media, geography)
        context: dict[str, Any] = {"q": q, "question": question, "problems": [], "result": None}
        if q.strip():
            try:
                context["result"] = answer(key, question, title[:300], licensor[:200])
            except InvalidInput as error:
                context["problems"] = error.problems
        result = context["result"]
        if result is not None:
            grid = {
                "title": result["title"].title.id,
                "licensor": result["licensor"],
                "start": question.start.isoformat() if question.start else "",
                "end": question.end.isoformat() if question.end else "",
                "territories": ", ".join(question.territories),
            }
            context["grid_query"] = urlencode(grid)
        names = {p.id: p.name for p in service.parties()}
        return page(
            request,
            "ask.html",
            key,
            reason_words=REASON_WORDS,
            party_names=names,
            box_media=lambda box: media.describe(box.media),
            box_territories=lambda box: geography.describe(box.territories),
            box_start=lambda box: from_start(box.start) or "always",
            box_end=lambda box: from_end(box.end) or "open end",
            **context,
        )


__all__ = ["Question", "add_ask_page", "read_question"]
