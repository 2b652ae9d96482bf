"""The change-log documents and event data of a big load, written by the forked copy that
checks it (service/loading.py) while this process stores it: stored exactly as this process
writes them itself. Where the copy does not deliver a chunk (it fails, dies, or leaves a
torn or wrong-sized file) this process writes that chunk and every later one itself, the
load stores the same texts, and nothing is left behind."""

from __future__ import annotations

import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from benchmarks.generate import generate

from reelrights.domain.contracts import Money
from reelrights.domain.problems import InvalidInput
from reelrights.formats.sheet import DealSheet
from reelrights.service import Service, loading
from reelrights.store.repository import Store

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="written apart where it forks")

GENERATED = generate(60)
CHUNK = 400  # contracts stored at a time here: a load of several chunks
REAL_CHUNK_TEXTS = loading._chunk_texts


# a draft with money terms and extra data: its document is written out in full (a line
# break and a letter beyond ASCII in it: the copy's files hold a text a line)
WITH_MONEY = replace(
    GENERATED.licenses[7],
    id="lic-with-money",
    status="draft",
    fee=Money(Decimal("1250.50"), "EUR"),
    extra={"note": "written\nin full, café"},
)
CONTRACTS = [
    *GENERATED.ownerships,
    *GENERATED.licenses[:500],
    WITH_MONEY,
    *GENERATED.licenses[500:],
]


def sheet() -> DealSheet:
    return DealSheet(
        "catalog",
        parties=GENERATED.parties,
        titles=GENERATED.titles,
        territory_groups=GENERATED.territory_groups,
        contracts=CONTRACTS,
    )


def stored_texts(url: str) -> tuple[list[Any], list[Any]]:
    """Every contract's change-log document and ``contract.created`` event data, as the
    database holds the text, in the order written."""
    store = Store(url)
    with store.reading() as reader:
        documents = reader.connection.exec_driver_sql(
            "SELECT entity_id, CAST(after AS TEXT) FROM changes"
            " WHERE entity = 'contract' ORDER BY id"
        ).all()
        events = reader.connection.exec_driver_sql(
            "SELECT subject, CAST(data AS TEXT) FROM events"
            " WHERE type = 'contract.created' ORDER BY seq"
        ).all()
    store.close()
    return [tuple(r) for r in documents], [tuple(r) for r in events]


@pytest.fixture(autouse=True)
def small_chunks(private_temp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loads stored a few hundred contracts at a time; the copy's folder under the test's
    own directory (tests/store/conftest.py)."""
    monkeypatch.setattr(loading, "STORE_CHUNK", CHUNK)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], list[Any]]:
    """The texts of the load checked and written in this process alone."""
    url = str(tmp_path_factory.mktemp("here") / "here.db")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(loading, "CHECK_APART_FROM", 10**9)
        monkeypatch.setattr(loading, "STORE_CHUNK", CHUNK)
        monkeypatch.setenv("REELRIGHTS_INDEX", "off")
        service = Service(url, actor="test")
        service.load_sheets([sheet()])
        service.close()
    documents, events = stored_texts(url)
    assert len(documents) == len(events) == len(CONTRACTS)
    assert '"fee"' in dict(documents)["lic-with-money"]
    assert "written\\nin full, caf" in dict(documents)["lic-with-money"]  # escaped
    return documents, events


def written_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the chunks whose texts this process wrote itself (the copy's own
    calls happen in the copy and are not seen)."""
    sizes: list[int] = []
    before = loading._chunk_texts

    def spy(chunk: Any, *args: Any) -> Any:
        sizes.append(len(chunk))
        return before(chunk, *args)

    monkeypatch.setattr(loading, "_chunk_texts", spy)
    return sizes


def test_the_copys_texts_are_stored_as_written_here(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    reference: tuple[list[Any], list[Any]],
    private_temp: Path,
) -> None:
    monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    here = written_here(monkeypatch)
    service = Service(db_url, actor="test")
    result = service.load_sheets([sheet()])
    service.close()
    assert here == []  # every chunk came from the copy
    assert result.contracts == len(reference[0])
    assert stored_texts(db_url) == reference
    assert list(private_temp.iterdir()) == []


def _failing_from_chunk_two(chunk: Any, *args: Any) -> Any:
    if os.getpid() != MAIN_PID:  # in the copy
        FAILING_CALLS.append(1)
        if len(FAILING_CALLS) > 2:
            raise RuntimeError("the copy failed writing texts")
    return REAL_CHUNK_TEXTS(chunk, *args)


MAIN_PID = os.getpid()
FAILING_CALLS: list[int] = []  # appended to in the copy only: each copy starts with none


def _writer(change: str) -> Any:
    """A copy's writer of texts that spoils chunk 1 as ``change`` says (and, for "dies",
    leaves without a verdict)."""

    def write(texts: Any, folder: Path, ready: int, nonce: str) -> None:
        for number, (documents, events) in enumerate(texts):
            if number == 1 and change == "dies":
                os._exit(3)
            if number == 1 and change == "short":
                documents, events = documents[:-1], events[:-1]
            foreign = number == 1 and change == "foreign"  # another load's file, whole
            data = loading.texts_written(documents, events, "0" * len(nonce) if foreign else nonce)
            if number == 1 and change == "torn":
                data = data[:-1]  # the last byte of the closing line missing
            if number == 1 and change == "garbled":
                data = b"\xff" + data
            loading.texts_file(folder, number).write_bytes(data)
            os.write(ready, b"+")
        os.close(ready)

    return write


@pytest.mark.parametrize("change", ["fails", "dies", "short", "torn", "foreign", "garbled"])
def test_chunks_the_copy_does_not_deliver_are_written_here(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference: tuple[list[Any], list[Any]],
    private_temp: Path,
    change: str,
) -> None:
    monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    if change == "fails":
        monkeypatch.setattr(loading, "_chunk_texts", _failing_from_chunk_two)
        here = written_here(monkeypatch)
        first_here = 2
    else:
        monkeypatch.setattr(loading, "_write_texts", _writer(change))
        here = written_here(monkeypatch)
        first_here = 1
    url = str(tmp_path / "apart.db")
    service = Service(url, actor="test")
    result = service.load_sheets([sheet()])
    service.close()
    total = len(reference[0])
    # this process wrote the chunk the copy spoiled and every one after it
    assert sum(here) == total - first_here * CHUNK
    assert result.contracts == total
    assert stored_texts(url) == reference
    assert list(private_temp.iterdir()) == []


def test_a_load_refused_for_invalid_contracts_forks_no_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_temp: Path
) -> None:
    # the copy is forked once every contract is valid: a refused load starts none, leaves
    # no file behind and stores nothing
    monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    started: list[Any] = []
    real = loading._checked_elsewhere

    def spy(*args: Any) -> Any:
        started.append(real(*args))
        return started[-1]

    monkeypatch.setattr(loading, "_checked_elsewhere", spy)
    bad = sheet()
    bad.contracts[-1] = replace(bad.contracts[-1], licensee="nobody-we-know")
    url = str(tmp_path / "refused.db")
    service = Service(url, actor="test")
    with pytest.raises(InvalidInput) as refused:
        service.load_sheets([bad])
    assert "unknown party 'nobody-we-know'" in str(refused.value)
    assert started == []
    assert service.counts()["contracts"] == 0
    service.close()
    assert list(private_temp.iterdir()) == []
