"""A big load checked by a forked copy (service/loading.py): when every check passed, the
copy hands back the book it built and this process takes it instead of shelving the load
itself; the book taken answers every question exactly as one built here, and takes later
writes; a hand-back that is absent, corrupt or not this load's is never used (the load is
shelved here, as without it), and nothing it wrote is left behind."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from benchmarks.generate import generate

from reelrights.domain.languages import ALL_LANGUAGES
from reelrights.domain.media import ALL_MEDIA
from reelrights.domain.territories import WORLD
from reelrights.engine import AvailsRequest, RightsBook
from reelrights.formats.sheet import DealSheet
from reelrights.service import Service, loading

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="checked apart where it forks"),
    pytest.mark.usefixtures("private_temp"),  # tests/store/conftest.py
]

GENERATED = generate(300)
HALF = len(GENERATED.licenses) // 2
PARENTS = {t.id: t.parent for t in GENERATED.titles}
# every title a license names, and every 50th title besides
ASKED = sorted(
    {t for c in GENERATED.licenses for item in c.rights for t in item.titles}
    | {t.id for t in GENERATED.titles[::50]}
)


def first_half() -> DealSheet:
    return DealSheet(
        "first",
        parties=GENERATED.parties,
        titles=GENERATED.titles,
        territory_groups=GENERATED.territory_groups,
        contracts=GENERATED.ownerships + GENERATED.licenses[:HALF],
    )


def second_half() -> DealSheet:
    return DealSheet("second", contracts=GENERATED.licenses[HALF:])


def every_title(service: Service) -> list[Any]:
    """Each asked title's avails from its owner, worldwide in every medium, in a few
    windows, exclusive and not: the whole report of each."""
    out = []
    for title in ASKED:
        root = title
        while root not in GENERATED.owner_of:
            parent = PARENTS[root]
            assert parent is not None
            root = parent
        for year in (2003, 2015, 2027, 2038):
            for exclusive in (False, True):
                request = AvailsRequest(
                    GENERATED.owner_of[root],
                    frozenset([title]),
                    ALL_MEDIA,
                    WORLD,
                    ALL_LANGUAGES,
                    date(year, 1, 1).toordinal(),
                    date(year + 2, 1, 1).toordinal(),
                    exclusive,
                )
                out.append(service.avails(request).to_json())
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[list[Any]]:
    """The answers after each half, from a book checked and shelved in this process."""
    out = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(loading, "CHECK_APART_FROM", 10**9)
        monkeypatch.setenv("REELRIGHTS_INDEX", "off")
        service = Service(str(tmp_path_factory.mktemp("here") / "here.db"), actor="test")
        for half in (first_half(), second_half()):
            service.load_sheets([half])
            out.append(every_title(service))
        service.close()
    assert out[0] != out[1]  # the second half changed answers
    assert any(a["status"] != "available" for a in out[1])
    return out


def adopted(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, for each load, whether the book the copy handed back was taken."""
    taken: list[bool] = []
    handed_book = loading._Verdict.handed_book

    def spy(verdict: loading._Verdict, book: RightsBook, added: int) -> RightsBook | None:
        handed = handed_book(verdict, book, added)
        taken.append(handed is not None)
        return handed

    monkeypatch.setattr(loading._Verdict, "handed_book", spy)
    return taken


def test_the_book_handed_back_answers_as_one_built_here(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    reference: list[list[Any]],
    private_temp: Path,
) -> None:
    monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    service = Service(db_url, actor="test")
    taken = adopted(service, monkeypatch)
    books = []
    for half, expected in zip((first_half(), second_half()), reference, strict=True):
        service.load_sheets([half])
        books.append(service._state.book if service._state else None)
        assert every_title(service) == expected
    assert taken == [True, True]  # the second load added to the book the first took
    assert books[0] is not books[1]
    assert list(private_temp.iterdir()) == []
    service.close()
    rebuilt = Service(db_url)
    assert every_title(rebuilt) == reference[1]
    rebuilt.close()


def _absent(book: RightsBook, folder: Path, nonce: str) -> bool:
    return False


def _corrupt(book: RightsBook, folder: Path, nonce: str) -> bool:
    assert HAND_BACK(book, folder, nonce)
    path = folder / loading._HANDED
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # inside the last array: its checksum no longer matches
    path.write_bytes(bytes(data))
    return True


def _another_loads(book: RightsBook, folder: Path, nonce: str) -> bool:
    return HAND_BACK(book, folder, "0" * 32)


def _short(book: RightsBook, folder: Path, nonce: str) -> bool:
    # a whole file of this load, but of a book without the load's contracts
    return HAND_BACK(RightsBook(book.catalog, keep_contracts=False), folder, nonce)


HAND_BACK = loading._hand_back


@pytest.mark.parametrize("hand_back", [_absent, _corrupt, _another_loads, _short])
def test_a_hand_back_not_whole_or_not_this_loads_is_shelved_here(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference: list[list[Any]],
    private_temp: Path,
    hand_back: Any,
) -> None:
    monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    service = Service(str(tmp_path / "apart.db"), actor="test")
    service.load_sheets([first_half()])
    assert every_title(service) == reference[0]
    monkeypatch.setattr(loading, "_hand_back", hand_back)
    taken = adopted(service, monkeypatch)
    before = service._state.book if service._state else None
    service.load_sheets([second_half()])
    assert taken == [False]
    assert service._state is not None and service._state.book is before  # shelved here
    assert every_title(service) == reference[1]
    assert list(private_temp.iterdir()) == []
    service.close()
