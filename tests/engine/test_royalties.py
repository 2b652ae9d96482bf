"""Money by hand and by property (docs/semantics.md rules 14-19).

Every worked example states its arithmetic in a comment; amounts are USD (2 decimals)
unless said otherwise.
"""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Contract, Grant, Money
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.money import Period, ShareEntry, Tier, round_money
from reelrights.domain.terms import DateBound
from reelrights.domain.territories import Geography
from reelrights.domain.titles import Catalog, Title
from reelrights.engine.royalties import (
    AMBIGUOUS,
    NO_GRANT,
    OUTSIDE_TERM,
    UNKNOWN_TITLE,
    LineMatcher,
    Payable,
    Payment,
    RatedLine,
    Rates,
    ledger,
    rate_lines,
    statement,
    statements,
)

D = Decimal
MEDIA, GEO = MediaTaxonomy(), Geography()


def contract(share: tuple[ShareEntry, ...], mg: str | None = None, **kw: object) -> Contract:
    return Contract(
        "c",
        "kbs",
        "sohu",
        currency="USD",
        minimum_guarantee=Money(D(mg), "USD") if mg else None,
        revenue_share=share,
        **kw,  # type: ignore[arg-type]
    )


def line(
    end: date,
    gross: str,
    order: int,
    title: str = "drama",
    medium: str = "SVOD",
    territory: str = "CN",
) -> RatedLine:
    return RatedLine.plain(title, medium, territory, end, D(gross), order)


Q1, Q2, Q3 = date(2017, 3, 31), date(2017, 6, 30), date(2017, 9, 30)


def test_rounding_is_half_even_to_the_minor_unit() -> None:
    assert round_money(D("2.675"), "USD") == D("2.68")  # 7 is odd: up
    assert round_money(D("2.665"), "USD") == D("2.66")  # 6 is even: stays
    assert round_money(D("1234.5"), "JPY") == D("1234")
    assert round_money(D("1.0005"), "KWD") == D("1.000")


def test_mg_recouped_across_two_quarters() -> None:
    # MG 1000, flat 20%.
    # Q1: gross 3000 -> royalty 600; earned 600; recouped 600; unrecouped 400; due 0.
    # Q2: gross 4000 -> royalty 800; earned 1400; recouped 1000; unrecouped 0;
    #     overage 1400 - 1000 = 400; previously due 0; due 400.
    c = contract((ShareEntry.flat(D("0.2")),), mg="1000")
    q1, q2 = statements(c, [line(Q1, "3000", 1), line(Q2, "4000", 2)])
    assert q1.to_json()["royalties"] == "600.00"
    assert (q1.recouped_to_date, q1.unrecouped, q1.due) == (D(600), D(400), D(0))
    j = q2.to_json()
    assert (j["earned_to_date"], j["recouped_to_date"], j["unrecouped"]) == (
        "1400.00",
        "1000.00",
        "0.00",
    )
    assert (j["overage_to_date"], j["previously_due"], j["due"]) == ("400.00", "0.00", "400.00")


def test_a_tier_crossed_inside_one_line_splits_it() -> None:
    # Tiers: up to 1000 at 10%, the rest at 20%.
    # Line 1: 600 -> 60 (cumulative 600).
    # Line 2: 800 crosses 1000: 400 at 10% = 40, then 400 at 20% = 80 (cumulative 1400).
    # Royalties 60 + 40 + 80 = 180.
    tiers = (Tier(D(1000), D("0.1")), Tier(None, D("0.2")))
    c = contract((ShareEntry(tiers),))
    s = statement(c, [line(Q1, "600", 1), line(Q1, "800", 2)], Period.parse("2017-Q1"))
    rows = s.to_json()["lines"]
    assert [(r["gross_converted"], r["rate"], r["royalty"]) for r in rows] == [
        ("600.00", "0.1", "60.00"),
        ("400.00", "0.1", "40.00"),
        ("400.00", "0.2", "80.00"),
    ]
    assert [r.get("piece") for r in rows] == [None, "1 of 2", "2 of 2"]
    assert s.royalties == D(180)


def test_a_cny_report_converted_to_a_usd_contract() -> None:
    # Quotes: 1 USD = 6.9 CNY from 2017-01-01, 6.8 from 2017-03-01.
    # A line ending 2017-02-28 uses 6.9 (the latest on or before its end), as an inverse:
    # 1000.00 CNY / 6.9 = 144.927536... -> 144.93 USD; at 50%: 72.465 -> half-even 72.46.
    rates = Rates(
        [(date(2017, 1, 1), "USD", "CNY", D("6.9")), (date(2017, 3, 1), "USD", "CNY", D("6.8"))]
    )
    conversion = rates.convert(D("1000.00"), "CNY", "USD", date(2017, 2, 28))
    assert conversion is not None
    assert (conversion.amount, conversion.rate, conversion.inverse) == (D("144.93"), D("6.9"), True)
    assert conversion.day == date(2017, 1, 1)
    c = contract((ShareEntry.flat(D("0.5")),))
    rated = RatedLine(
        "drama",
        "SVOD",
        "CN",
        date(2017, 2, 1),
        date(2017, 2, 28),
        D("1000.00"),
        "CNY",
        conversion.amount,
        1,
        "r.csv:2",
        conversion,
    )
    s = statement(c, [rated], Period.parse("2017-Q1"))
    out = s.to_json()["lines"][0]
    assert (out["gross"], out["currency"], out["gross_converted"]) == ("1000.00", "CNY", "144.93")
    assert (out["fx_rate"], out["fx_inverse"], out["royalty"]) == ("6.9", True, "72.46")
    # A direct quote wins over the inverse: 100 USD -> CNY at 6.8 on 2017-03-31 = 680.00.
    direct = rates.convert(D(100), "USD", "CNY", date(2017, 3, 31))
    assert direct is not None and direct.amount == D("680.00") and not direct.inverse
    assert rates.convert(D(100), "USD", "EUR", date(2017, 3, 31)) is None


def test_a_return_after_the_mg_is_recouped_never_claws_back() -> None:
    # MG 100, flat 50%.
    # Q1: gross 400 -> royalty 200; earned 200; overage 100; due 100.
    # Q2: gross -100 (a return) -> royalty -50; earned 150; overage 50; previously due 100;
    #     due max(0, 50 - 100) = 0 (nothing is clawed back).
    # Q3: gross 200 -> royalty 100; earned 250; overage 150; previously due 100; due 50.
    # Due in all: 100 + 0 + 50 = 150 = final overage (nothing due twice).
    c = contract((ShareEntry.flat(D("0.5")),), mg="100")
    q1, q2, q3 = statements(c, [line(Q1, "400", 1), line(Q2, "-100", 2), line(Q3, "200", 3)])
    assert (q1.due, q2.royalties, q2.earned_to_date, q2.due) == (D(100), D(-50), D(150), D(0))
    assert (q2.overage_to_date, q2.previously_due) == (D(50), D(100))
    assert (q3.previously_due, q3.due) == (D(100), D(50))


def test_a_return_walks_the_tiers_back_down() -> None:
    # Tiers up to 1000 at 10%, then 20%. 1200 reported: 1000 at 10% = 100, 200 at 20% = 40.
    # A return of 300: 200 back at 20% = -40, then 100 back at 10% = -10. Earned 90.
    tiers = (Tier(D(1000), D("0.1")), Tier(None, D("0.2")))
    c = contract((ShareEntry(tiers),))
    rated = rate_lines(c, [line(Q1, "1200", 1), line(Q2, "-300", 2)])
    assert [(x.gross_converted, x.royalty) for x in rated] == [
        (D(1000), D("100.00")),
        (D(200), D("40.00")),
        (D(-200), D("-40.00")),
        (D(-100), D("-10.00")),
    ]


def test_the_first_entry_covering_the_cell_rates_it() -> None:
    # SVOD in CN at 50%; everything else at 20%; AVOD in CN gets 20%.
    share = (
        ShareEntry.flat(D("0.5")).__class__(
            (Tier(None, D("0.5")),), MEDIA.parse("SVOD"), GEO.parse("CN")
        ),
        ShareEntry.flat(D("0.2")),
    )
    c = contract(share)
    rated = rate_lines(c, [line(Q1, "100", 1), line(Q1, "100", 2, medium="AVOD")])
    assert [(x.line.medium, x.rate, x.entry) for x in rated] == [
        ("AVOD", D("0.2"), 1),
        ("SVOD", D("0.5"), 0),
    ]
    # no entry covers a cell: rate 0, nothing earned, the line still shown
    only_svod = contract(share[:1])
    rated = rate_lines(only_svod, [line(Q1, "100", 1, medium="AVOD")])
    assert (rated[0].rate, rated[0].royalty, rated[0].entry) == (D(0), D(0), None)


def test_a_period_with_no_lines_is_a_statement_of_zeros() -> None:
    c = contract((ShareEntry.flat(D("0.5")),), mg="100")
    s = statement(c, [line(Q1, "400", 1)], Period.parse("2017-Q3"))
    assert (s.lines, s.royalties, s.due) == ((), D(0), D(0))
    assert (s.earned_to_date, s.previously_due) == (D(200), D(100))  # carried from Q1


def test_a_line_that_matches_no_grant_says_why() -> None:
    catalog = Catalog([Title("drama", "Drama"), Title("film", "Film")])
    grant = Grant(
        ("drama",),
        MEDIA.parse("ONLINE"),
        GEO.parse("CN, HK"),
        start=DateBound(date(2016, 1, 1)),
        end=DateBound(date(2016, 12, 31)),
    )
    sohu = Contract("sohu-deal", "kbs", "sohu", grants=(grant,))
    other = Contract("sohu-other", "kbs", "sohu", grants=(grant,), status="draft")
    matcher = LineMatcher(catalog, [sohu, other])
    on = date(2016, 4, 1)
    assert matcher.match("sohu", "drama", "SVOD", "CN", on).contract == sohu
    assert matcher.match("sohu", "drama", "PAY_TV", "CN", on).reason == NO_GRANT
    assert matcher.match("sohu", "drama", "SVOD", "JP", on).reason == NO_GRANT
    assert matcher.match("iqiyi", "drama", "SVOD", "CN", on).reason == NO_GRANT
    assert matcher.match("sohu", "film", "SVOD", "CN", on).reason == NO_GRANT
    assert matcher.match("sohu", "nope", "SVOD", "CN", on).reason == UNKNOWN_TITLE
    assert matcher.match("sohu", "drama", "SVOD", "CN", date(2017, 1, 1)).reason == OUTSIDE_TERM
    assert matcher.match("sohu", "drama", "SVOD", "CN", on, "sohu-other").reason == NO_GRANT
    matcher.add(Contract("sohu-again", "kbs", "sohu", grants=(grant,)))
    found = matcher.match("sohu", "drama", "SVOD", "CN", on)
    assert (found.reason, found.candidates) == (AMBIGUOUS, ("sohu-again", "sohu-deal"))
    assert matcher.match("sohu", "drama", "SVOD", "CN", on, "sohu-again").contract is not None


def test_payments_set_against_payables_oldest_first_with_credit() -> None:
    # Fee 300 in two instalments (100 on Jan 1, 200 on Feb 1); paid 150 then 250 = 400.
    # Jan: 100 paid; Feb: 200 paid; 100 left over is credit.
    fee = [
        Payable(
            "c", "sohu", "kbs", "fee", "fee instalment 1 of 2", date(2017, 1, 1), D(100), "USD"
        ),
        Payable(
            "c", "sohu", "kbs", "fee", "fee instalment 2 of 2", date(2017, 2, 1), D(200), "USD"
        ),
    ]
    rows = ledger(fee, [Payment("c", date(2017, 1, 5), D(150))], date(2017, 3, 1))
    # 150 paid: Jan settled, 50 on Feb; Feb is 28 days late on Mar 1 with 150 left.
    assert [(r.paid, r.balance, r.days_overdue) for r in rows] == [
        (D(100), D(0), 0),
        (D(50), D(150), 28),
    ]
    rows = ledger(
        fee,
        [Payment("c", date(2017, 1, 5), D(150)), Payment("c", date(2017, 2, 5), D(250))],
        date(2017, 3, 1),
    )
    assert [(r.payable.kind, r.balance) for r in rows] == [
        ("fee", D(0)),
        ("fee", D(0)),
        ("credit", D(-100)),
    ]


# -- properties ---------------------------------------------------------------------------

amounts = st.integers(-50_000, 200_000).map(lambda cents: D(cents).scaleb(-2))
gains = st.integers(0, 200_000).map(lambda cents: D(cents).scaleb(-2))
ends = st.sampled_from([date(2017, m, 28) for m in range(1, 13)] + [date(2018, 2, 28)])
tier_sets = st.lists(st.integers(1, 3000), min_size=0, max_size=3, unique=True).flatmap(
    lambda limits: st.tuples(
        st.just(sorted(limits)),
        st.lists(
            st.integers(0, 100).map(lambda p: D(p).scaleb(-2)),
            min_size=len(limits) + 1,
            max_size=len(limits) + 1,
        ),
    )
)


def _entry(spec: tuple[list[int], list[Decimal]]) -> ShareEntry:
    limits, rates = spec
    return ShareEntry(
        (*(Tier(D(u), r) for u, r in zip(limits, rates, strict=False)), Tier(None, rates[-1]))
    )


def _lines(draw_amounts: list[Decimal], draw_ends: list[date]) -> list[RatedLine]:
    media = ("SVOD", "AVOD")
    return [
        line(end, str(a), i, title=f"t{i % 3}", medium=media[i % 2])
        for i, (a, end) in enumerate(zip(draw_amounts, draw_ends, strict=False))
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(amounts, ends), max_size=25), tier_sets, st.integers(0, 3000))
def test_statement_totals_are_the_sums_of_their_lines(pairs, tiers, mg) -> None:
    c = contract((_entry(tiers),), mg=str(mg))
    lines = _lines([a for a, _ in pairs], [e for _, e in pairs])
    for s in statements(c, lines):
        assert s.royalties == sum((x.royalty for x in s.lines), D(0))
        assert s.gross_converted == sum(
            (x.line.gross_converted for x in s.lines if x.piece == 1), D(0)
        )
        assert s.recouped_to_date + s.unrecouped == s.minimum_guarantee
        for x in s.lines:
            assert x.royalty == round_money(x.gross_converted * x.rate, "USD")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(gains, ends), max_size=25), tier_sets, st.integers(0, 3000))
def test_due_over_all_periods_is_what_is_earned_beyond_the_mg(pairs, tiers, mg) -> None:
    c = contract((_entry(tiers),), mg=str(mg))
    found = statements(c, _lines([a for a, _ in pairs], [e for _, e in pairs]))
    earned = sum((s.royalties for s in found), D(0))
    assert sum((s.due for s in found), D(0)) == max(D(0), earned - D(mg))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(amounts, ends), max_size=20), tier_sets, st.randoms())
def test_the_same_data_give_the_same_bytes_in_any_order(pairs, tiers, rnd) -> None:
    c = contract((_entry(tiers),), mg="100")
    lines = _lines([a for a, _ in pairs], [e for _, e in pairs])
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    first = [json.dumps(s.to_json()) for s in statements(c, lines)]
    again = [json.dumps(s.to_json()) for s in statements(c, shuffled)]
    assert first == again


@settings(max_examples=300, deadline=None)
@given(tier_sets, st.integers(-3000, 5000), st.integers(-3000, 3000))
def test_tier_pieces_agree_with_a_unit_by_unit_walk(tiers, before, amount) -> None:
    # Oracle: walk one unit at a time; a unit step from x to x+1 lies in the tier holding
    # (x, x+1], i.e. the first tier whose upto >= x+1 (or the last); downward the same.
    entry = _entry(tiers)
    expected: dict[int, int] = {}
    x, step = before, (1 if amount > 0 else -1)
    for _ in range(abs(amount)):
        top = x + 1 if step > 0 else x
        index = next((i for i, t in enumerate(entry.tiers) if t.upto is None or top <= t.upto), 0)
        if top <= 0:
            index = 0 if step < 0 and top <= 0 else index
        expected[index] = expected.get(index, 0) + step
        x += step
    got: dict[int, int] = {}
    for piece, rate, index in entry.pieces(D(before), D(amount)):
        assert rate == entry.tiers[index].rate
        got[index] = got.get(index, 0) + int(piece)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


def test_random_books_are_reproducible() -> None:
    rng = random.Random(7)
    c = contract((ShareEntry((Tier(D(500), D("0.15")), Tier(None, D("0.3")))),), mg="250")
    lines = [
        line(date(2017, rng.randint(1, 12), 1), str(rng.randint(-50, 400)), i) for i in range(200)
    ]
    one = [s.to_json() for s in statements(c, lines)]
    two = [s.to_json() for s in statements(c, list(reversed(lines)))]
    assert one == two
