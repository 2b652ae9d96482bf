"""Deal-news extraction against the evaluation set: precision and recall per field, and
the time per article (``python -m benchmarks.extract [--split dev|heldout|heldout-2|all]``).

The set is ``benchmarks/extract_data/articles.yaml`` (paragraphs written for the project,
with the deals a rights analyst would record). Scoring, per article:

- predicted deals are paired with expected ones greedily, best agreement first
  (licensee, licensor, titles);
- **parties**: each licensor and licensee named is one item; a predicted item is right
  when its paired expected deal names the same party in the same role (names compared
  without case, punctuation, a leading "The" or a company suffix);
- **titles**: each title is one item, compared the same way;
- **media**, **territories**: one item per deal that states them, right when the set of
  leaves (media) or countries (territories) is the same; an expected "unknown"
  territory (a count without a list) is right only when the extractor says unknown too,
  and a territory the extractor states there counts against its precision;
- **exclusivity**, **fees**, **dates**: one item per deal that states them, right when
  equal.

Precision = right / predicted items, recall = right / expected items. Non-deal paragraphs
must yield no deal; any deal read from them is counted and lowers parties' precision.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.problems import CodeError
from reelrights.domain.territories import Geography
from reelrights.formats.news import extract_deals

DATA = Path(__file__).parent / "extract_data" / "articles.yaml"
FIELDS = ("parties", "titles", "media", "territories", "exclusivity", "fees", "dates")
_SUFFIX = re.compile(r"\b(?:inc|ltd|llc|corp|co|plc|gmbh|sa|ag|limited|corporation)$")
_MEDIA = MediaTaxonomy()
_GEO = Geography()


def load_cases(split: str = "all") -> list[dict[str, Any]]:
    """The articles of the evaluation set (``dev``, ``heldout`` or ``all``)."""
    cases: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))["articles"]
    return [c for c in cases if split == "all" or c["split"] == split]


def norm_name(name: str | None) -> str | None:
    """A name as compared: lower case, no punctuation but ``+``/``&``, no leading "the",
    no company suffix."""
    if name is None:
        return None
    text = re.sub(r"[^\w+&\s]", " ", name.lower())
    text = " ".join(text.split())
    text = re.sub(r"^the ", "", text)
    return _SUFFIX.sub("", text).strip()


def _media(codes: Iterable[str] | None) -> int | None:
    if not codes:
        return None
    try:
        return _MEDIA.parse(list(codes))
    except CodeError:
        return -1


def _territories(codes: Iterable[str] | None) -> int | None:
    if not codes:
        return None
    try:
        return _GEO.parse(list(codes))
    except CodeError:
        return -1


def _fee(value: Any) -> tuple[Decimal, str] | None:
    if not value:
        return None
    return Decimal(str(value["amount"])).normalize(), str(value["currency"]).upper()


def _dates(deal: dict[str, Any]) -> tuple[str | None, str | None] | None:
    start, end = deal.get("start"), deal.get("end")
    if start is None and end is None:
        return None
    return (str(start) if start else None, str(end) if end else None)


@dataclass
class Tally:
    right: int = 0
    predicted: int = 0
    expected: int = 0

    def add(self, other: Tally) -> None:
        self.right += other.right
        self.predicted += other.predicted
        self.expected += other.expected

    @property
    def precision(self) -> float:
        return self.right / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


@dataclass
class Scores:
    tallies: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in FIELDS})
    articles: int = 0
    non_deal_articles: int = 0
    non_deal_yielding: list[str] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def _agreement(gold: dict[str, Any], pred: dict[str, Any]) -> int:
    score = 0
    if gold.get("licensee") and norm_name(gold["licensee"]) == norm_name(pred.get("licensee")):
        score += 4
    if gold.get("licensor") and norm_name(gold["licensor"]) == norm_name(pred.get("licensor")):
        score += 2
    gold_titles = {norm_name(t) for t in gold.get("titles") or []}
    score += len(gold_titles & {norm_name(t) for t in pred.get("titles") or []})
    return score


def _pair(
    golds: list[dict[str, Any]], preds: list[dict[str, Any]]
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    options = sorted(
        (
            (_agreement(g, p), -i, -j, i, j)
            for i, g in enumerate(golds)
            for j, p in enumerate(preds)
        ),
        reverse=True,
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    for score, _, _, i, j in options:
        if score <= 0 or i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        pairs.append((golds[i], preds[j]))
    pairs += [(g, None) for i, g in enumerate(golds) if i not in used_g]
    pairs += [(None, p) for j, p in enumerate(preds) if j not in used_p]
    return pairs


def _score_pair(gold: dict[str, Any] | None, pred: dict[str, Any] | None) -> dict[str, Tally]:
    gold = gold or {}
    pred = pred or {}
    out = {f: Tally() for f in FIELDS}
    party = out["parties"]
    for role in ("licensor", "licensee"):
        g, p = norm_name(gold.get(role)), norm_name(pred.get(role))
        party.expected += g is not None
        party.predicted += p is not None
        party.right += g is not None and g == p
    g_titles = {norm_name(t) for t in gold.get("titles") or []}
    p_titles = {norm_name(t) for t in pred.get("titles") or []}
    out["titles"] = Tally(len(g_titles & p_titles), len(p_titles), len(g_titles))

    def single(name: str, g: Any, p: Any, unknown_is_answer: bool = False) -> None:
        tally = out[name]
        if unknown_is_answer and gold and g is None:
            tally.expected += 1
            tally.predicted += 1
            tally.right += p is None
            return
        tally.expected += g is not None
        tally.predicted += p is not None
        tally.right += g is not None and g == p

    single("media", _media(gold.get("media")), _media(pred.get("media")))
    territory_known = bool(gold) and "territories" in gold
    single(
        "territories",
        _territories(gold.get("territories")),
        _territories(pred.get("territories")),
        unknown_is_answer=territory_known and gold.get("territories") is None and bool(pred),
    )
    single("exclusivity", gold.get("exclusive"), pred.get("exclusive"))
    single("fees", _fee(gold.get("fee")), _fee(pred.get("fee")))
    single("dates", _dates(gold) if gold else None, _dates(pred) if pred else None)
    return out


def score(
    cases: list[dict[str, Any]],
    extract: Callable[[str], list[dict[str, Any]]] | None = None,
) -> Scores:
    """Run the extractor over the cases and tally every field."""
    run = extract or (lambda text: [d.to_json() for d in extract_deals(text).deals])
    scores = Scores()
    for case in cases:
        began = time.perf_counter()
        predicted = run(case["text"])
        scores.times_ms.append((time.perf_counter() - began) * 1000)
        scores.articles += 1
        golds = case["deals"]
        if not golds:
            scores.non_deal_articles += 1
            if predicted:
                scores.non_deal_yielding.append(case["id"])
        for gold, pred in _pair(golds, predicted):
            for name, tally in _score_pair(gold, pred).items():
                scores.tallies[name].add(tally)
                if tally.right < max(tally.predicted, tally.expected):
                    g = {k: (gold or {}).get(k) for k in ("licensor", "licensee", "titles")}
                    scores.misses.append(f"{case['id']}: {name} {g} -> {pred}")
    return scores


def report(scores: Scores, title: str) -> str:
    lines = [f"{title}: {scores.articles} articles ({scores.non_deal_articles} without a deal)"]
    lines.append(
        f"  {'field':<12} {'precision':>9} {'recall':>7} {'right':>6} {'pred':>5} {'exp':>5}"
    )
    for name, t in scores.tallies.items():
        lines.append(
            f"  {name:<12} {t.precision:>9.2f} {t.recall:>7.2f} {t.right:>6} "
            f"{t.predicted:>5} {t.expected:>5}"
        )
    yielding = ", ".join(scores.non_deal_yielding) or "none"
    lines.append(f"  non-deal paragraphs yielding a deal: {yielding}")
    times = sorted(scores.times_ms)
    lines.append(
        f"  time per article: median {statistics.median(times):.2f} ms, max {times[-1]:.2f} ms"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "heldout", "heldout-2", "all"), default=None)
    parser.add_argument("--misses", action="store_true", help="print every wrong field")
    args = parser.parse_args()
    extract_deals("Warm-up: Netflix has acquired the film.")  # compile the patterns once
    splits = [args.split] if args.split else ["dev", "heldout", "heldout-2", "all"]
    for split in splits:
        scores = score(load_cases(split))
        print(report(scores, split))
        if args.misses:
            for miss in scores.misses:
                print("   ", miss)


if __name__ == "__main__":
    main()
