"""The short way through validate_contract: only for contracts it would find nothing in."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Contract, Grant
from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.terms import DateBound
from reelrights.domain.titles import Catalog, Title
from reelrights.engine import book, validate_contract
from reelrights.engine.validation import plainly_valid
from tests.strategies import CATALOG
from tests.strategies import contracts as drawn_contract

# the strategies' catalog, with a title without a release, an empty collection and a
# series with an episode
WIDER = Catalog(
    [
        *CATALOG.titles.values(),
        Title("d", "D"),
        Title("none", "None", "collection"),
        Title("s", "S", "series"),
        Title("s1", "S1", "episode", parent="s"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    drawn_contract("k1"),
    st.sampled_from(["as drawn", "same party", "unknown", "empty", "bare", "backwards", "more"]),
)
def test_a_contract_told_plainly_valid_is_one_validation_finds_nothing_in(
    contract: Contract, variant: str
) -> None:
    # a bulk load validates a million contracts, most of them told valid by a few direct
    # looks: each one so told must be one the whole validation finds no problem in
    grant = contract.grants[0]
    if variant == "same party":
        contract = replace(contract, licensor=contract.licensee)
    elif variant in ("unknown", "empty", "bare", "more"):
        titles = {"unknown": ("zz",), "empty": ("none",), "bare": ("d",), "more": ("s", "s1")}
        contract = replace(contract, grants=(replace(grant, titles=titles[variant]),))
    elif variant == "backwards":
        contract = replace(
            contract,
            grants=(
                replace(grant, start=DateBound(date(2021, 1, 2)), end=DateBound(date(2021, 1, 1))),
            ),
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(book, "plainly_valid", lambda contract, catalog: False)
        problems = validate_contract(contract, WIDER)
    if plainly_valid(contract, WIDER):
        assert problems == []
    assert validate_contract(contract, WIDER) == problems


def test_a_plain_license_is_told_valid_without_the_whole_validation() -> None:
    grant = Grant(("a",), 1, 1, ALL_LANGUAGES, DateBound(date(2020, 1, 1)), None)
    plain = Contract("k", "p", "q", grants=(grant,))
    assert plainly_valid(plain, WIDER)
    assert plainly_valid(replace(plain, grants=(replace(grant, titles=("s",)),)), WIDER)
    assert not plainly_valid(replace(plain, grants=(replace(grant, titles=("ab",)),)), WIDER)
    assert not plainly_valid(replace(plain, grants=(replace(grant, start=DateBound()),)), WIDER)
