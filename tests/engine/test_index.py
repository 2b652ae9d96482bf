"""The index's fast paths give the oracle's answers, and the engine agrees with the
benchmark's independent cell-per-row baseline on a generated catalog."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest
from benchmarks.avails import same_answer
from benchmarks.baseline import Baseline
from benchmarks.generate import generate
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.media import ALL_MEDIA, LEAVES
from reelrights.domain.territories import COUNTRIES, WORLD, mask_of
from reelrights.domain.titles import Catalog
from reelrights.engine import AvailsRequest, RightsBook
from reelrights.engine import book as book_module
from tests.engine import test_options as options
from tests.engine import test_properties as properties  # a module: pytest collects no test


def test_vector_and_settle_paths_match_the_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(book_module, "VECTOR_FROM", 1)
    monkeypatch.setattr(book_module, "SETTLE_AFTER", 2)
    monkeypatch.setattr(book_module, "SETTLE_SHARE", 1 << 30)  # settle however long
    properties.test_avails_partition_the_request_and_match_the_oracle()
    properties.test_the_bulk_loads_verdict_is_the_checks()
    properties.test_the_order_contracts_were_stored_in_never_changes_an_answer()
    properties.test_after_executing_an_approved_contract_its_exclusive_cells_are_unavailable()
    properties.test_a_contract_is_checked_against_the_book_without_it()
    options.test_option_warnings_match_the_oracle()


def test_the_engine_agrees_with_the_baseline_on_a_generated_catalog(tmp_path) -> None:
    generated = generate(3000, n_titles=70, n_parties=20, seed=11)
    catalog = Catalog(generated.titles)
    book = RightsBook(Catalog(generated.titles), generated.contracts, keep_contracts=False)
    baseline = Baseline(str(tmp_path / "baseline.db"), catalog)
    baseline.create()
    baseline.load(generated.contracts)
    rng = random.Random(3)
    every = sorted(t.id for t in generated.titles if t.kind != "collection")
    checked = warned = 0
    for _ in range(60):
        root = rng.choice(generated.roots)
        licensor = (
            generated.owner_of[root]
            if rng.random() < 0.8
            else rng.choice([p.id for p in generated.parties])
        )
        year = rng.randint(2000, 2040)
        shape = rng.random()
        if shape < 0.2:  # a grid
            titles, media, territories = [root], ALL_MEDIA, WORLD
        elif shape < 0.3:  # a whole-catalog report
            titles, media, territories = (
                every,
                1 << rng.randrange(20),
                mask_of([rng.choice(COUNTRIES)]),
            )
        else:
            titles = [root]
            media = sum(1 << LEAVES.index(m) for m in rng.sample(LEAVES, 5))
            territories = mask_of(rng.sample(COUNTRIES, 40))
        start = date(year, 1, 1).toordinal()
        end = date(year + rng.randint(1, 3), 1, 1).toordinal()
        exclusive = rng.random() < 0.4
        report = book.avails(
            AvailsRequest(
                licensor, tuple(titles), media, territories, ALL_LANGUAGES, start, end, exclusive
            )
        )
        answer = baseline.avails(
            licensor, titles, media, territories, ALL_LANGUAGES, start, end, exclusive
        )
        assert same_answer(report, answer), (licensor, titles[:3], year, exclusive)
        checked += bool(report.unavailable) and bool(report.available)
        if report.warnings:
            warned += 1
            assert not same_answer(replace(report, warnings=()), answer)  # they are compared
    # The seed is fixed, so these counts are too: the questions are not all one-sided, and
    # some meet a hold, so the warnings were compared as well.
    assert (checked, warned) == (26, 4)
    baseline.close()


@given(st.sets(st.integers(0, 40), max_size=20))
def test_runs_cover_exactly_the_titles(titles: set[int]) -> None:
    keys = book_module._runs(list(titles))
    assert keys == sorted(keys)
    starts, ends = keys[::2], keys[1::2]
    assert all(end > start for start, end in zip(starts, ends, strict=True))
    assert all(end < start for end, start in zip(ends, starts[1:], strict=False))  # maximal
    assert {t for start, end in zip(starts, ends, strict=True) for t in range(start, end)} == titles


rows = st.lists(
    st.tuples(
        st.integers(0, 12),  # title
        st.integers(0, 30),  # contract
        st.sampled_from([0, 1, 2, 4, 8, 16, 32, 18, 17, 24, 20, 34]),  # flags
        st.integers(1, 7),  # media
        st.integers(0, 5),  # territory index
        st.integers(0, 3),  # language index
        st.integers(0, 10),  # start
        st.integers(11, 20),  # end
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(
    rows,
    st.integers(1, 8),
    st.integers(1, 1 << 30),
    st.sets(st.integers(0, 30), max_size=3),
    st.sets(st.integers(0, 13), max_size=8),
    st.integers(1, 7),
    st.integers(0, 20),
    st.integers(0, 20),
    st.sampled_from([None, book_module.GIVES, book_module.HOLDBACK | book_module.EXCLUSIVE]),
    st.booleans(),
    st.integers(0, 30),
)
def test_a_shelf_keeps_and_finds_its_entries_whatever_its_settling(
    entries, after, share, dead, titles, media, first, last, blocking, shared, vector_from
) -> None:
    # A shelf settles by inserting its new entries into its sorted columns (a stable sort
    # of old and new by title, dropping the dead), however many it takes at a time; what
    # matching() finds, by runs of titles, vector or loop, is a plain filter of the entries.
    saved = (book_module.SETTLE_AFTER, book_module.SETTLE_SHARE, book_module.VECTOR_FROM)
    book_module.SETTLE_AFTER, book_module.SETTLE_SHARE = after, share
    book_module.VECTOR_FROM = vector_from
    try:
        shelf = book_module._Shelf()
        for row in entries:
            shelf.add(row, set())
        shelf.settle(set())
        assert list(zip(*(c.tolist() for c in shelf.columns), strict=True)) == sorted(
            entries, key=lambda r: r[0]
        )

        def finds(pool: list[tuple[int, ...]]) -> None:
            found = sorted(shelf.matching(titles, media, first, last, blocking, shared))
            assert found == sorted(
                r
                for r in pool
                if r[0] in titles
                and r[3] & media
                and r[6] < last
                and r[7] > first
                and (blocking is None or book_module._blocks_one(r[2], blocking))
                and (shared or not book_module._given_shared(r[2]))
            )

        finds(entries)
        for row in entries:  # again, pending (some of it settled) over settled
            shelf.add(row, set())
        finds(entries + entries)
        shelf.settle(dead)
        alive = [r for r in entries + entries if r[1] not in dead]
        kept = list(zip(*(c.tolist() for c in shelf.columns), strict=True))
        assert kept == sorted(alive, key=lambda r: r[0])
    finally:
        book_module.SETTLE_AFTER, book_module.SETTLE_SHARE, book_module.VECTOR_FROM = saved
