"""What the pages draw, computed from service answers: the avails grid and the rights
timeline. Pure presentation: no request, no template, no store."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

STATES = {
    "available": ("✓", "available"),
    "partial": ("◐", "partly available"),
    "unavailable": ("✕", "unavailable"),
    "held": ("✓H", "available, held for negotiation"),
}
"""Cell state → (symbol, words): every state has a symbol and a pattern, not a colour alone."""

# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


@dataclass
class GridCell:
    medium: str
    territory: str
    state: str
    symbol: str
    words: str
    reasons: list[dict[str, Any]]
    windows: list[dict[str, Any]]
    holds: list[dict[str, Any]]

    @property
    def summary(self) -> str:
        """One line for the tooltip and the screen reader."""
        parts = [f"{self.medium} {self.territory} {self.words}"]
        for reason in self.reasons[:3]:
            parts.append(
                f"{reason['reason']} by {reason['contract'] or 'no contract'} "
                f"({reason['start'] or 'since always'} to {reason['end'] or 'open end'})"
            )
        if self.state == "held":
            # the right underneath is available: say who holds it and until when
            held = [
                f"{hold['contract'] or 'a contract you cannot see'} until "
                f"{hold.get('until', hold['end']) or 'open end'}"
                for hold in self.holds[:2]
            ]
            parts = [f"{self.medium} {self.territory} {self.words} by {', '.join(held)}"]
        else:
            for hold in self.holds[:2]:
                parts.append(f"held for negotiation by {hold['contract']}")
        if len(self.reasons) > 3:
            parts.append(f"and {len(self.reasons) - 3} more")
        return "; ".join(parts)


ROW_STATES = ("available", "held", "partial", "unavailable")
"""A territory's summary over the media shown, in the order a region counts them."""


def row_state(cells: list[GridCell]) -> str:
    """A territory over the media shown: ``available`` (every cell), ``held`` (every cell
    available, some held for negotiation), ``unavailable`` (no cell has a free day), else
    ``partial``."""
    states = {cell.state for cell in cells}
    if states <= {"available"}:
        return "available"
    if states <= {"available", "held"}:
        return "held"
    if states == {"unavailable"}:
        return "unavailable"
    return "partial"


@dataclass
class GridRegion:
    name: str
    open: bool = False  # shown unfolded: it has something other than available
    rows: list[tuple[str, str, list[GridCell]]] = field(default_factory=list)  # code, name, cells
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # territories

    @property
    def summary(self) -> list[tuple[str, int]]:
        """(state, territories) in a fixed order, states with none left out."""
        return [(state, self.counts[state]) for state in ROW_STATES if self.counts.get(state)]

    @property
    def spoken(self) -> str:
        """The summary in words: "4 territories: 3 available, 1 unavailable"."""
        count = len(self.rows)
        words = {
            "available": "all available",
            "held": "available, held for negotiation",
            "partial": "partly available",
            "unavailable": "unavailable",
        }
        parts = ", ".join(f"{n} {words[state]}" for state, n in self.summary)
        return f"{count} {'territory' if count == 1 else 'territories'}: {parts}"


def build_grid(
    answer: dict[str, Any], media: list[str], regions: dict[str, str], names: dict[str, str]
) -> list[GridRegion]:
    """The service's grid answer as regions (collapsible) of territory rows × media; a
    region counts its territories by their state over the media shown (:func:`row_state`)."""
    by_key = {(c["medium"], c["territory"]): c for c in answer["cells"]}
    territories = sorted({c["territory"] for c in answer["cells"]})
    grouped: dict[str, GridRegion] = {}
    for code in territories:
        region = grouped.setdefault(
            regions.get(code, "Other"), GridRegion(regions.get(code, "Other"))
        )
        cells = []
        for medium in media:
            raw = by_key.get((medium, code))
            if raw is None:
                continue
            state = raw["status"]
            if state == "available" and raw["holds"]:
                state = "held"
            symbol, words = STATES[state]
            cells.append(
                GridCell(
                    medium, code, state, symbol, words, raw["reasons"], raw["windows"], raw["holds"]
                )
            )
            if state != "available":
                region.open = True
        if cells:
            region.counts[row_state(cells)] += 1
        region.rows.append((code, names.get(code, code), cells))
    return [grouped[name] for name in sorted(grouped)]


@dataclass
class Bar:
    """One grant or holdback of a title on the timeline."""

    contract: str
    label: str
    start: date
    end: date | None
    colour: str
    exclusive: bool
    holdback: bool
    hold: bool = False
    clipped: bool = False  # starts before the axis
    terminated: date | None = None  # ends early: the contract was terminated from this day
    x: float = 0.0
    width: float = 0.0


@dataclass
class Lane:
    media: str
    territories: str
    bars: list[Bar]


@dataclass
class Timeline:
    lanes: list[Lane]
    first: date
    last: date
    today_x: float | None
    ticks: list[tuple[float, str]]
    width: int
    legend: list[tuple[str, str]]


def build_timeline(items: list[dict[str, Any]], today: date, width: int = 900) -> Timeline:
    """Lanes of one title's rights (one per media group × territory group), bars placed
    on a common time axis. ``items``: dicts with contract, licensee, media, territories,
    start, end, exclusive, holdback."""
    # The axis follows the licenses; an ownership record since the release would squeeze
    # them, so it is clipped at the left edge (and marked so).
    deals = [i for i in items if not i.get("owner")] or items
    starts = [i["start"] or today for i in deals]
    ends = [i["end"] for i in items if i["end"]]
    first = min([*starts, today - timedelta(days=365)]) - timedelta(days=365)
    first = date(first.year, 1, 1)
    last = max([*ends, today + timedelta(days=365 * 2), *starts])
    last = max(last, first + timedelta(days=30))
    span: int = (last - first).days
    lanes: dict[tuple[str, str], Lane] = {}
    legend: dict[str, str] = {}

    def x_of(day: date) -> float:
        offset: int = (day - first).days
        return round(offset / span * width, 1)

    for item in items:
        key = (item["media"], item["territories"])
        lane = lanes.setdefault(key, Lane(item["media"], item["territories"], []))
        if item["holdback"]:
            colour = "#777777"
        else:
            # colours in order of appearance: no two parties on one page share one
            colour = legend.setdefault(item["licensee"], PALETTE[len(legend) % len(PALETTE)])
        start = max(item["start"] or first, first)
        end = item["end"]
        bar = Bar(
            item["contract"],
            item["label"],
            start,
            end,
            colour,
            item["exclusive"],
            item["holdback"],
            item.get("hold", False),
            (item["start"] or first) < first,
            item.get("terminated"),
        )
        bar.x = x_of(start)
        bar.width = max(3.0, x_of(end or last) - bar.x)
        lane.bars.append(bar)
    ticks = []
    for year in range(first.year + 1, last.year + 1):
        ticks.append((x_of(date(year, 1, 1)), str(year)))
    step = max(1, len(ticks) // 12)
    ticks = ticks[::step]
    today_x = x_of(today) if first <= today <= last else None
    ordered = sorted(lanes.values(), key=lambda lane: (lane.media, lane.territories))
    return Timeline(ordered, first, last, today_x, ticks, width, sorted(legend.items()))
