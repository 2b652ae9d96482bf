"""The storage contract, run against SQLite and the machine's PostgreSQL alike."""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest

from reelrights.domain.problems import InvalidInput
from reelrights.service import RightsConflict, Service, loading
from reelrights.store import repository

BOOK = """
parties:
  - {id: disney, name: The Walt Disney Company}
  - {id: tencent, name: Tencent Video}
  - {id: youku, name: Youku}
titles:
  - {id: sw4, name: "A New Hope", kind: film, release: 1977-05-25, eidr: "10.5240/XXXX"}
  - {id: sw5, name: "The Empire Strikes Back", kind: film}
  - {id: saga, name: "Star Wars", kind: collection, members: [sw4, sw5]}
territory_groups:
  greater-china: [CN, HK, MO, TW]
media_groups:
  digital: [ONLINE, ECOMMERCE]
contracts:
  - id: disney-owns
    licensee: disney
    grants:
      - {titles: [saga], media: [ALL_MEDIA], territories: [WORLD], start: 1977-05-25}
  - id: tencent-online
    licensor: disney
    licensee: tencent
    signed: 2015-11-20
    fee: {amount: 2400000, currency: USD}
    minimum_guarantee: {amount: 1000000.5, currency: USD}
    revenue_share: 0.25
    grants:
      - {titles: [saga], media: [ONLINE], territories: [CN], start: 2016-01-01,
         end: 2020-12-31, exclusive: true, sublicense: true}
    holdbacks:
      - {titles: [saga], media: [FREE_TV], territories: [greater-china], start: 2016-01-01,
         end: 2016-06-30, languages: {all_except: [en]}}
  - id: youku-draft
    licensor: disney
    licensee: youku
    status: draft
    grants:
      - {titles: [sw4], media: [digital], territories: [HK], start: 2016-01-01,
         end: 2016-12-31, exclusive: true}
"""

CONFLICT = """
contracts:
  - id: youku-cn
    licensor: disney
    licensee: youku
    grants:
      - {titles: [sw4], media: [SVOD], territories: [CN, HK], start: 2016-06-01,
         end: 2016-06-30, exclusive: true}
"""

# Youku's exclusive SVOD in Hong Kong during 2016, loaded by "another process"
YOUKU_HK = """
contracts:
  - id: youku-hk
    licensor: disney
    licensee: youku
    grants: [{titles: [sw4], media: [SVOD], territories: [HK], start: 2016-01-01,
              end: 2016-12-31, exclusive: true}]
"""

# a sale no one else holds: any load path stores it
FINE = """
contracts:
  - id: fine
    licensor: disney
    licensee: youku
    grants: [{titles: [sw5], media: [PAY_TV], territories: [KR], start: 2016-01-01}]
"""


def ask(svc: Service, **kw: object) -> dict:
    spec = dict(
        licensor="disney",
        titles=["sw4"],
        media=["SVOD"],
        territories=["CN", "HK"],
        start="2016-01-01",
        end="2016-12-31",
    )
    spec.update(kw)
    return svc.avails(svc.request(**spec)).to_json()  # type: ignore[arg-type]


def test_load_then_ask(db_url: str) -> None:
    svc = Service(db_url, actor="tester")
    result = svc.load_texts([("book.yaml", BOOK)])
    assert (result.parties, result.titles, result.contracts, result.groups) == (3, 3, 3, 2)
    answer = ask(svc)
    assert answer["status"] == "partial"
    assert [(u["territories"], u["reason"], u["contract"]) for u in answer["unavailable"]] == [
        (["CN"], "exclusive-license", "tencent-online")
    ]
    # the custom groups were stored and are understood in questions
    assert (
        ask(
            svc,
            media=["digital"],
            territories=["greater-china"],
            start="2021-01-01",
            end="2021-01-31",
        )["status"]
        == "available"
    )
    svc.close()


def test_a_conflicting_load_stores_nothing_and_reports_why(db_url: str) -> None:
    svc = Service(db_url)
    svc.load_texts([("book.yaml", BOOK)])
    before = svc.counts()
    with pytest.raises(RightsConflict) as caught:
        svc.load_texts(
            [
                (
                    "conflict.yaml",
                    CONFLICT
                    + """
  - id: fine
    licensor: disney
    licensee: youku
    grants: [{titles: [sw5], media: [PAY_TV], territories: [KR], start: 2016-01-01}]
""",
                )
            ]
        )
    report = caught.value.checks[0].reports[0].to_json()
    assert caught.value.checks[0].contract == "youku-cn"
    assert [(u["reason"], u["contract"]) for u in report["unavailable"]] == [
        ("exclusive-license", "tencent-online")
    ]
    assert svc.counts() == before
    svc.close()


@pytest.mark.parametrize("bulk", [False, True, "apart"])
def test_a_bulk_load_checks_and_refuses_as_a_small_one_does(
    db_url: str, monkeypatch: pytest.MonkeyPatch, bulk: bool | str
) -> None:
    # A load of more than BULK_LOCKS (licensor, title) pairs takes the bulk path: the whole
    # book locked, no cyclic garbage collection meanwhile, the engine's verdict first and
    # its report only for a refusal. Same book, same refusal, nothing stored by a refusal,
    # and the collector back on either way. "apart": a load of CHECK_APART_FROM contracts
    # or more is checked by a forked copy of the process while this one stores it.
    if bulk:
        monkeypatch.setattr(loading, "BULK_LOCKS", 0)
    if bulk == "apart":
        monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    svc = Service(db_url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    assert gc.isenabled()
    answer = ask(svc)
    assert [(u["territories"], u["reason"], u["contract"]) for u in answer["unavailable"]] == [
        (["CN"], "exclusive-license", "tencent-online")
    ]
    before = svc.counts()
    with pytest.raises(RightsConflict) as caught:
        svc.load_texts([("conflict.yaml", CONFLICT)])
    assert gc.isenabled()
    assert [c.contract for c in caught.value.checks] == ["youku-cn"]
    report = caught.value.checks[0].reports[0].to_json()
    assert [(u["reason"], u["contract"]) for u in report["unavailable"]] == [
        ("exclusive-license", "tencent-online")
    ]
    assert svc.counts() == before
    assert ask(svc, territories=["HK"])["status"] == "available"
    svc.load_texts([("fine.yaml", FINE)])
    assert svc.counts()["contracts"] == before["contracts"] + 1
    assert svc.contract("fine").licensee == "youku"
    # its change-log document (written straight to JSON text) reads back as the mapping
    assert (
        svc.history("contract", "fine")[0].after == svc.render_contracts([svc.contract("fine")])[0]
    )
    svc.close()


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.skipif(not hasattr(os, "fork"), reason="checked apart only where processes fork")
def test_a_load_checked_apart_falls_back_and_rolls_back(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The copy that checks a big load cannot say (it fails): every check runs again in
    # this process, with the same refusal and nothing stored; a load that fails while
    # storing stops the copy and stores nothing either; none of the copies is left behind.
    monkeypatch.setattr(loading, "BULK_LOCKS", 0)
    monkeypatch.setattr(loading, "CHECK_APART_FROM", 0)
    svc = Service(db_url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    here = os.getpid()
    check_in_order = loading._check_in_order
    ran_here: list[int] = []

    def fails_in_the_copy(*args: object) -> object:
        if os.getpid() != here:
            raise MemoryError("the copy ran out of memory")
        ran_here.append(1)
        return check_in_order(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "_check_in_order", fails_in_the_copy)
    before = svc.counts()
    with pytest.raises(RightsConflict) as caught:
        svc.load_texts([("conflict.yaml", CONFLICT)])
    assert ran_here == [1]  # checked here after the copy could not say
    assert [c.contract for c in caught.value.checks] == ["youku-cn"]
    assert svc.counts() == before
    svc.load_texts([("fine.yaml", FINE)])  # stored once checked here
    assert ran_here == [1, 1]
    assert svc.counts()["contracts"] == before["contracts"] + 1
    monkeypatch.setattr(loading, "_check_in_order", check_in_order)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repository.Writer, "add_events", broken)
    counts = svc.counts()
    with pytest.raises(RuntimeError, match="disk is full"):
        svc.load_texts([("more.yaml", FINE.replace("id: fine", "id: finer"))])
    assert svc.counts() == counts
    with pytest.raises(InvalidInput, match="unknown contract"):
        svc.contract("finer")
    assert no_children_left()
    svc.close()


def test_a_big_load_into_sqlite_builds_the_indexes_after_it(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A load of at least as many contracts as the book holds drops the non-unique indexes
    # of the tables it fills and creates them again from their stored definitions: the
    # same indexes afterwards, and after a load that fails while storing as well (its
    # transaction rolls the drops back); the unique ones never leave.
    monkeypatch.setattr(repository, "REBUILD_FROM", 0)
    url = f"sqlite:///{tmp_path / 'big.db'}"
    svc = Service(url, actor="tester")

    def indexes() -> list[tuple[str, str | None]]:
        with svc.store.reading() as reader:
            return [
                (r[0], r[1])
                for r in reader.connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
                )
            ]

    before = indexes()
    assert any(name == "ix_rights_start" for name, _ in before)
    svc.load_texts([("book.yaml", BOOK)])
    assert indexes() == before
    assert ask(svc)["unavailable"][0]["contract"] == "tencent-online"

    def broken(writer: repository.Writer, *_: object, **__: object) -> None:
        dropped = writer.connection.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'ix_rights_start'"
        ).scalar()
        assert dropped == 0  # this load took the path that builds indexes after it
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repository.Writer, "add_events", broken)
    more = "contracts:\n" + "".join(  # more contracts than stored: the indexes go first
        f"""  - id: fine-{i}
    licensor: disney
    licensee: youku
    grants: [{{titles: [sw5], media: [PAY_TV], territories: [KR], start: 2016-01-01}}]
"""
        for i in range(4)
    )
    counts = svc.counts()
    with pytest.raises(RuntimeError, match="disk is full"):
        svc.load_texts([("more.yaml", more)])
    assert indexes() == before
    assert svc.counts() == counts
    svc.close()


def test_a_big_load_into_sqlite_checkpoints_after_its_commit(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The commit of a load that builds its indexes after it leaves the write-ahead log's
    # checkpoint to a thread of its own; the connection's auto-checkpoint comes back, and
    # readers see the load before and after the copy.
    monkeypatch.setattr(repository, "REBUILD_FROM", 0)
    svc = Service(f"sqlite:///{tmp_path / 'big.db'}", actor="tester")
    behind: list[repository.Writer] = []
    writing = svc.store.writing

    def watched(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        with writing(*args, **kwargs) as writer:  # type: ignore[arg-type]
            behind.append(writer)
            driver = writer.connection.connection.driver_connection
            yield writer
        assert driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000

    monkeypatch.setattr(svc.store, "writing", contextmanager(watched))
    svc.load_texts([("book.yaml", BOOK)])
    assert any(w.autocheckpoint == 1000 for w in behind)  # this load deferred it
    assert ask(svc)["unavailable"][0]["contract"] == "tencent-online"
    for thread in svc.store._checkpointing:
        thread.join()
    assert ask(svc)["unavailable"][0]["contract"] == "tencent-online"
    counts = svc.counts()
    svc.close()
    again = Service(f"sqlite:///{tmp_path / 'big.db'}", actor="tester")
    assert again.counts() == counts
    again.close()


def test_bad_references_are_located_and_nothing_is_stored(db_url: str) -> None:
    svc = Service(db_url)
    svc.load_texts([("book.yaml", BOOK)])
    before = svc.counts()
    bad = """
contracts:
  - id: broken
    licensor: disney
    licensee: nobody
    grants:
      - {titles: [sw9], media: [SVOD], territories: [CN], start: 2016-01-01}
  - id: tencent-online
    licensor: disney
    licensee: tencent
    grants:
      - {titles: [sw4], media: [SVOD], territories: [JP], start: 2030-01-01}
"""
    with pytest.raises(InvalidInput) as caught:
        svc.load_texts([("bad.yaml", bad)])
    text = str(caught.value)
    assert "bad.yaml:5: contract broken licensee: unknown party 'nobody'" in text
    assert (
        "bad.yaml:7: contract broken grants[0].titles[0]: unknown title 'sw9'; "
        "did you mean sw5 The Empire Strikes Back, sw4 A New Hope?"
    ) in text
    assert "bad.yaml:8: contracts: contract 'tencent-online' already exists" in text
    assert len(caught.value.problems) == 3  # each once, not again by the later checks
    assert svc.counts() == before
    svc.close()


def test_execute_and_terminate_with_history_and_as_of(db_url: str) -> None:
    svc = Service(db_url, actor="desk")
    svc.load_texts([("book.yaml", BOOK)])
    loaded_at = datetime.now(UTC)
    # the draft's HK digital rights are free: executing it works, and then blocks
    svc.execute("youku-draft")
    assert ask(svc, territories=["HK"])["status"] == "unavailable"
    with pytest.raises(InvalidInput, match="only a draft or hold"):
        svc.execute("youku-draft")
    # terminating Tencent from mid-2016 frees CN from that day
    svc.terminate("tencent-online", date(2016, 7, 1))
    answer = ask(svc, territories=["CN"])
    assert [(b["start"], b["end"]) for b in answer["available"]] == [("2016-07-01", "2016-12-31")]
    # as recorded right after the load, HK was available and CN blocked all year
    past = svc.avails(
        svc.request("disney", ["sw4"], ["SVOD"], ["CN", "HK"], "2016-01-01", "2016-12-31"),
        as_of=loaded_at,
    ).to_json()
    assert [(u["territories"], u["end"]) for u in past["unavailable"]] == [(["CN"], "2016-12-31")]
    assert [b["territories"] for b in past["available"]] == [["HK"]]
    history = svc.history("contract", "tencent-online")
    assert [(c.action, c.actor) for c in history] == [("terminate", "desk"), ("create", "desk")]
    assert history[0].before["status"] == "executed"
    assert history[0].after["terminated"] == "2016-07-01"
    svc.create_key("viewer")  # keys are in the change log but no part of the book
    assert svc.book_as_of(datetime.now(UTC)).contracts["youku-draft"].status == "executed"
    first_change = svc.history(limit=None)[-1].at
    with pytest.raises(InvalidInput) as nothing:  # no book before its first change
        svc.book_as_of(first_change - timedelta(microseconds=1))
    assert str(nothing.value.problems[0]) == (
        "as_of: nothing was recorded yet at "
        f"{(first_change - timedelta(microseconds=1)).isoformat()}: "
        f"the change log begins at {first_change.isoformat()}"
    )
    assert "tencent-online" in svc.book_as_of(first_change).contracts  # from then on, a book
    svc.close()


def test_execute_rejects_a_conflict_and_leaves_the_draft(db_url: str) -> None:
    svc = Service(db_url)
    svc.load_texts(
        [
            (
                "book.yaml",
                BOOK.replace(
                    "territories: [HK], start: 2016-01-01", "territories: [CN], start: 2016-01-01"
                ),
            )
        ]
    )
    with pytest.raises(RightsConflict):
        svc.execute("youku-draft")
    assert svc.contract("youku-draft").status == "draft"
    svc.close()


def test_broken_chain_of_title(db_url: str) -> None:
    svc = Service(db_url)
    svc.load_texts(
        [
            (
                "book.yaml",
                BOOK
                + """
  - id: tencent-to-youku
    licensor: tencent
    licensee: youku
    grants:
      - {titles: [sw4], media: [SVOD], territories: [CN], start: 2016-01-01, end: 2016-12-31}
""",
            )
        ]
    )
    assert svc.check() == []
    svc.terminate("tencent-online", date(2016, 10, 1))
    broken = svc.check()
    assert [(cid, i) for cid, i, _ in broken] == [("tencent-to-youku", 0)]
    svc.close()


def test_export_loads_back_to_the_same_book(db_url: str, tmp_path) -> None:
    svc = Service(db_url)
    svc.load_texts([("book.yaml", BOOK)])
    svc.execute("youku-draft")
    exported = svc.export_sheet()
    svc.close()
    copy = Service(str(tmp_path / "copy.db"))
    copy.load_texts([("export.yaml", exported)])
    assert copy.export_sheet() == exported
    original = Service(db_url)
    for licensor, territories, media in (
        ("disney", ["WORLD"], ["ALL_MEDIA"]),
        ("tencent", ["CN", "HK"], ["ONLINE"]),
    ):
        for exclusive in (False, True):
            spec = dict(
                licensor=licensor,
                titles=["saga"],
                media=media,
                territories=territories,
                start="2015-01-01",
                end="2022-12-31",
                exclusive=exclusive,
            )
            assert ask(copy, **spec) == ask(original, **spec)
    assert copy.contract("tencent-online") == original.contract("tencent-online")
    copy.close()
    original.close()


def test_reopening_an_old_database_upgrades_it(tmp_path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from reelrights.store.repository import MIGRATIONS, Store

    path = tmp_path / "old.db"
    old = Store(str(path), upgrade=False)
    old.upgrade("0001")  # a database written by the first release
    with old.engine.connect() as connection:
        connection.execute(text("INSERT INTO parties (id, name, extra) VALUES ('a', 'A', '{}')"))
        connection.commit()
    old.close()
    svc = Service(str(path))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None and head != "0001"
    assert svc.store.revision() == head
    assert [p.id for p in svc.parties()] == ["a"]
    with svc.store.reading() as reader:
        assert reader.book_version() == 1
        assert len(reader.book_id()) == 32  # drawn when the old database was upgraded
        assert reader.version_token(1) is not None
    svc.close()


def test_a_warm_index_sees_every_write_of_another_process(db_url: str) -> None:
    reader = Service(db_url)
    writer = Service(db_url)
    writer.load_texts([("book.yaml", BOOK)])
    assert ask(reader, territories=["HK"])["status"] == "available"  # builds the index
    writer.load_texts(
        [
            (
                "more.yaml",
                "titles: [{id: sw6, name: Return of the Jedi, kind: film}]\n" + YOUKU_HK,
            )
        ]
    )
    assert ask(reader, territories=["HK"])["unavailable"][0]["contract"] == "youku-hk"
    # sw6 was added to the catalog by the other process: it is known, and not held
    assert ask(reader, titles=["sw6"])["status"] == "unavailable"
    writer.terminate("youku-hk")
    assert ask(reader, territories=["HK"])["status"] == "available"
    # a rejected load leaves the warm index as it was
    with pytest.raises(RightsConflict):
        reader.load_texts([("conflict.yaml", CONFLICT)])
    assert ask(reader)["unavailable"][0]["contract"] == "tencent-online"
    assert ask(reader, territories=["HK"])["status"] == "available"
    reader.close()
    writer.close()


def test_a_sqlite_version_peek_reads_the_version_only_after_a_commit(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a SQLite file a warm index's check before each question reads the book version
    only when PRAGMA data_version says another connection has committed since: a write of
    another process, or of this one through its other connections, is still seen before
    the next answer."""
    path = str(tmp_path / "book.db")
    reader = Service(path)
    writer = Service(path)
    writer.load_texts([("book.yaml", BOOK)])
    assert ask(reader, territories=["HK"])["status"] == "available"  # builds the index
    reads: list[int] = []
    read_version = repository.Store._read_version

    def counted(store: repository.Store) -> int:
        reads.append(1)
        return read_version(store)

    monkeypatch.setattr(repository.Store, "_read_version", counted)
    version = reader.store.peek_version()
    reads.clear()
    for _ in range(3):
        assert ask(reader, territories=["HK"])["status"] == "available"
        assert reader.store.peek_version() == version
    assert reads == []  # nothing committed: no version read
    writer.load_texts(
        [
            (
                "more.yaml",
                YOUKU_HK,
            )
        ]
    )
    assert ask(reader, territories=["HK"])["unavailable"][0]["contract"] == "youku-hk"
    assert reads  # the other process's commit was seen
    assert reader.store.peek_version() == version + 1
    reads.clear()
    assert ask(reader, territories=["HK"])["unavailable"][0]["contract"] == "youku-hk"
    assert reads == []  # and nothing since
    reader.terminate("youku-hk")  # this process's own write, through its writer connection
    assert reader.store.peek_version() == version + 2
    assert reads == [1]
    assert ask(reader, territories=["HK"])["status"] == "available"
    assert ask(writer, territories=["HK"])["status"] == "available"  # and the other sees it
    reader.close()
    writer.close()


def test_the_sort_keys_backfilled_by_the_migration_are_the_ones_written(tmp_path) -> None:
    """0010_contract_sort_keys works out the contracts list's sort keys of a stored book in
    SQL; a contract written afterwards gets them from the writer: both agree."""
    from alembic import command
    from sqlalchemy import select

    from reelrights.store import tables as t
    from reelrights.store.repository import SORT_KEYS

    path = tmp_path / "keys.db"
    svc = Service(str(path))
    svc.load_texts([("book.yaml", BOOK)])

    def keys() -> dict[str, tuple[object, ...]]:
        columns = [t.contracts.c.id, *(t.contracts.c[k] for k in SORT_KEYS)]
        with svc.store.engine.connect() as connection:
            return {row[0]: tuple(row[1:]) for row in connection.execute(select(*columns))}

    written = keys()
    assert any(all(v is not None for v in k) for k in written.values())
    with svc.store.engine.connect() as connection:
        command.downgrade(svc.store._alembic(connection), "0009_list_indexes")
        connection.commit()
    svc.store.upgrade("head")  # worked out from the stored grants
    assert keys() == written
    svc.close()
