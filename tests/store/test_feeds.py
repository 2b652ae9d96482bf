"""Avails feeds through the service: imports that store all or nothing, round trips that
lose no Avail, Asset, Transaction or Term, dispositions, and avails answered after."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from reelrights.domain.problems import InvalidInput
from reelrights.formats import mddf
from reelrights.formats.mddf import schema
from reelrights.formats.mddf.mapping import offers_of
from reelrights.service import RightsConflict, Service
from tests.formats.test_mddf import ERROR_SAMPLES, SAMPLES, SHEETS, VALID_XML

Grant = tuple[Any, ...]


def rights(service: Service) -> list[Grant]:
    """Every in-force right of feed contracts, comparable across two books."""
    out: list[Grant] = []
    for contract in service.contracts():
        if contract.licensor is None or not contract.in_force():
            continue
        for kind, items in (("grant", contract.grants), ("offer", offers_of(contract))):
            out.extend((contract.id, kind, *core(grant)) for grant in items)
    return sorted(out, key=repr)


def core(grant: Any) -> Grant:
    """What a grant gives: titles, media, territories, languages, term, exclusivity."""
    return (
        grant.titles,
        grant.media,
        grant.territories,
        grant.languages,
        str(grant.start),
        str(grant.end),
        grant.exclusive,
    )


def counts(document: bytes) -> dict[str, int]:
    root = etree.fromstring(document)
    return {
        tag: len(root.findall(f".//{{*}}{tag}"))
        for tag in ("Avail", "Asset", "Transaction", "Term", "AllowedLanguage")
    }


def fresh(tmp_path: Path, name: str = "book.db") -> Service:
    return Service(str(tmp_path / name))


@pytest.mark.parametrize("name", VALID_XML)
def test_xml_sample_imports_and_round_trips_with_nothing_lost(name: str, tmp_path: Path) -> None:
    path = SAMPLES / "xml" / name
    first = fresh(tmp_path)
    result = first.import_feeds([path])
    version = mddf.read_feed(str(path)).version
    assert result.transactions == counts(path.read_bytes())["Transaction"]

    exported = first.export_avails("xml", version)
    assert mddf.validate_xml(exported.content, version or "") == []
    assert exported.not_exportable == []
    before, after = counts(path.read_bytes()), counts(exported.content)
    assert after["Avail"] == before["Avail"]
    assert after["Asset"] == before["Asset"]
    assert after["Transaction"] == before["Transaction"]
    # Terms: every one comes back; versions before 2.4 need a term in each transaction,
    # so an export may add an "NA" term where the feed had none.
    assert after["Term"] >= before["Term"]
    assert after["AllowedLanguage"] == before["AllowedLanguage"]

    second = fresh(tmp_path, "again.db")
    second.import_feeds([("export.xml", io.BytesIO(exported.content))])
    assert rights(second) == rights(first)


@pytest.mark.parametrize("name", VALID_XML)
def test_xml_sample_round_trips_through_a_spreadsheet(name: str, tmp_path: Path) -> None:
    first = fresh(tmp_path)
    first.import_feeds([SAMPLES / "xml" / name])
    workbook = first.export_avails("xlsx")
    second = fresh(tmp_path, "again.db")
    again = second.import_feeds([("export.xlsx", io.BytesIO(workbook.content))])
    assert again.transactions == workbook.transactions
    assert rights(second) == rights(first)


@pytest.mark.parametrize("name", sorted(ERROR_SAMPLES))
def test_error_samples_store_nothing(name: str, tmp_path: Path) -> None:
    service = fresh(tmp_path)
    with pytest.raises(InvalidInput) as raised:
        service.import_feeds([SAMPLES / "xml" / name])
    assert len(raised.value.problems) == len(ERROR_SAMPLES[name])
    assert service.counts() == {k: 0 for k in service.counts()}


# Per sample: transactions read, grants and offers stored, transactions exported (fewer
# when some cannot be said in Avails).
SHEET_COUNTS = {
    "All_v1.8.xlsx": (65, 17, 11, 54),
    "Avails_Volume_no-err_v2.4_v1.8.xlsx": (9, 9, 0, 9),
    "Avails_Volume_v1.8.xlsx": (9, 9, 0, 9),
    "Avails_noErrors_v2.3_v1.7.2.xlsx": (24, 14, 0, 24),
    "Avails_noErrors_v2.3_v1.7.3.xlsx": (24, 14, 0, 24),
    "Avails_noErrors_v2.3_v1.7.3_v1.8.xlsx": (16, 10, 0, 16),
    "Avails_noErrors_v2.3_v1.8.xlsx": (24, 14, 0, 24),
    "Avails_noErrors_v2.3_v1.8__root.xlsx": (24, 14, 0, 24),
    "Avails_w_Volume_v1.8.xlsx": (33, 23, 0, 33),
    "Bonus_v1.9.xlsx": (2, 2, 0, 2),
    "Movies_v1.7.2.xlsx": (27, 8, 0, 26),
    "Movies_v1.7.2_Bundle.xlsx": (4, 2, 0, 4),
    "Movies_v1.7.2_Collection.xlsx": (12, 6, 0, 12),
    "Movies_v1.7.2_v1.8.xlsx": (27, 8, 0, 26),
    "Movies_v1.7.3.xlsx": (6, 5, 0, 6),
    "Movies_v1.7.xlsx": (27, 8, 0, 26),
    "Movies_v1.8.xlsx": (27, 7, 0, 16),
    "Movies_v1.9.xlsx": (26, 9, 0, 26),
    "TPT-test_v1.9.xlsx": (3, 1, 0, 3),
    "TPT-test_v1.9_v2.5_v1.9.xlsx": (3, 1, 0, 3),
    "TV_v1.7.3.xlsx": (8, 1, 4, 8),
    "TV_v1.8.xlsx": (38, 10, 11, 38),
    "TV_v1.9.xlsx": (38, 11, 9, 38),
}


@pytest.mark.parametrize("name", SHEETS)
def test_every_spreadsheet_sample_imports(name: str, tmp_path: Path) -> None:
    service = fresh(tmp_path)
    result = service.import_feeds([SAMPLES / "xlsx" / name])
    assert result.transactions == mddf.read_feed(str(SAMPLES / "xlsx" / name)).transactions
    exported = service.export_avails("xml").transactions
    assert (result.transactions, result.grants, result.offers, exported) == SHEET_COUNTS[name]


@pytest.mark.parametrize("name", ["test02.xlsx", "test06.xlsx"])
def test_the_dirty_pre_1_7_sheets_are_refused_for_a_rival_licensor(
    name: str, tmp_path: Path
) -> None:
    # These availstool test sheets spell the licensor "Rockstarz Films" on one row and
    # "Rockstar Films" on the others for the same title and territory: two parties
    # claiming the same right, which the import refuses, storing nothing.
    service = fresh(tmp_path)
    with pytest.raises(RightsConflict) as raised:
        service.import_feeds([SAMPLES / "availstool" / name])
    reasons = {
        (u.reason, u.contract)
        for check in raised.value.checks
        for report in check.reports
        for u in report.unavailable
    }
    assert any(
        reason == "already-owned" and "rockstarz-films" in (contract or "")
        for reason, contract in reasons
    )
    assert service.counts()["contracts"] == 0


ROUND_TRIP_PAIRS = [
    ("xml/Avails_noErrors_v2.3.xml", "xlsx/Avails_noErrors_v2.3_v1.7.2.xlsx"),
    ("xml/Avails_noErrors_v2.3.xml", "xlsx/Avails_noErrors_v2.3_v1.7.3.xlsx"),
    ("xml/Avails_noErrors_v2.3.xml", "xlsx/Avails_noErrors_v2.3_v1.8.xlsx"),
    ("xml/Avails_Volume_no-err_v2.4.xml", "xlsx/Avails_Volume_no-err_v2.4_v1.8.xlsx"),
    ("xlsx/TPT-test_v1.9.xlsx", "xml/TPT-test_v1.9_v2.5.xml"),
    ("xml/TPT-test_v1.9_v2.5.xml", "xlsx/TPT-test_v1.9_v2.5_v1.9.xlsx"),
]


def comparable(service: Service) -> list[Grant]:
    """Rights by what they are, not by the ids the import gave them."""
    out = []
    for contract in service.contracts():
        if contract.licensor is None or not contract.in_force():
            continue
        alid = contract.extra["avails"]["ALID"]
        out.extend((contract.licensor, alid, *core(grant)) for grant in contract.grants)
    return sorted(out, key=repr)


@pytest.mark.parametrize(("one", "other"), ROUND_TRIP_PAIRS)
def test_named_xml_and_spreadsheet_pairs_give_the_same_grants(
    one: str, other: str, tmp_path: Path
) -> None:
    a, b = fresh(tmp_path, "a.db"), fresh(tmp_path, "b.db")
    a.import_feeds([SAMPLES / one])
    b.import_feeds([SAMPLES / other])
    assert comparable(a) == comparable(b)
    assert comparable(a)


# -- a studio's book and a retailer feed ---------------------------------------------------

STUDIO = """
parties:
  - {id: studio, name: Rockstar Films}
  - {id: netflix, name: Netflix}
titles:
  - id: first-dance
    name: The First Dance
    kind: film
    external_ids: {contentID: "md:cid:org:rockstar:first-dance"}
contracts:
  - id: studio-owns
    licensee: studio
    grants:
      - {titles: [first-dance], media: [ALL_MEDIA], territories: [WORLD], start: 2010-01-01}
"""


def feed(
    entry: str = "Full Extract",
    transactions: str = "",
    alid: str = "md:alid:org:rockstar:first-dance",
    version: str = "2.4",
) -> bytes:
    ns = schema.namespaces(version)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<avails:AvailList xmlns:avails="{ns["avails"]}" xmlns:md="{ns["md"]}">
  <avails:Avail>
    <avails:ALID>{alid}</avails:ALID>
    <avails:Disposition><avails:EntryType>{entry}</avails:EntryType></avails:Disposition>
    <avails:Licensor><md:DisplayName>Rockstar Films</md:DisplayName></avails:Licensor>
    <avails:ServiceProvider><md:DisplayName>Netflix</md:DisplayName></avails:ServiceProvider>
    <avails:AvailType>single</avails:AvailType>
    <avails:ShortDescription>test feed</avails:ShortDescription>
    <avails:Asset contentID="md:cid:org:rockstar:first-dance">
      <avails:WorkType>Movie</avails:WorkType>
      <avails:Metadata><avails:TitleInternalAlias>First Dance, The</avails:TitleInternalAlias>
      </avails:Metadata>
    </avails:Asset>
    {transactions}
  </avails:Avail>
</avails:AvailList>""".encode()


def transaction(tid: str, license_type: str, countries: list[str], exclusive: bool = False,
                end: str = "2020-12-31T23:59:59") -> str:  # fmt: skip
    territories = "".join(
        f"<avails:Territory><md:country>{c}</md:country></avails:Territory>" for c in countries
    )
    term = (
        '<avails:Term termName="Exclusive"><avails:Boolean>true</avails:Boolean></avails:Term>'
        if exclusive
        else ""
    )
    return f"""<avails:Transaction TransactionID="{tid}">
      <avails:LicenseType>{license_type}</avails:LicenseType>{territories}
      <avails:Start>2016-01-01T00:00:00</avails:Start><avails:End>{end}</avails:End>
      <avails:FormatProfile>HD</avails:FormatProfile>{term}
    </avails:Transaction>"""


def ask(service: Service, media: str, territory: str, exclusive: bool = False) -> Any:
    return service.avails(
        service.request(
            licensor="studio",
            titles=["first-dance"],
            media=[media],
            territories=[territory],
            start=date(2017, 1, 1),
            end=date(2017, 12, 31),
            exclusive=exclusive,
        )
    )


@pytest.fixture
def studio(db_url: str, tmp_path: Path) -> Service:
    service = Service(db_url)
    sheet = tmp_path / "studio.yaml"
    sheet.write_text(STUDIO)
    service.load([sheet])
    return service


def test_after_a_feed_an_exclusive_svod_territory_reads_unavailable(studio: Service) -> None:
    studio.import_feeds(
        [("netflix.xml", io.BytesIO(feed(transactions=transaction("t1", "SVOD", ["FR"], True))))]
    )
    france = ask(studio, "SVOD", "FR")
    assert france.status == "unavailable"
    (blocked,) = france.unavailable
    assert blocked.reason == "exclusive-license"
    assert blocked.contract == "avail:studio:md:alid:org:rockstar:first-dance:netflix"
    assert ask(studio, "SVOD", "DE").status == "available"
    assert ask(studio, "EST", "FR").status == "available"
    # The studio's chain of title was in the book: nothing was invented.
    assert not [c for c in studio.contracts() if c.id.startswith("avail-owner")]


def test_dispositions_replace_delete_and_update_what_the_licensor_sent(studio: Service) -> None:
    def send(entry: str, *items: str) -> None:  # Create, Update and Delete came with 2.7
        studio.import_feeds([("f.xml", io.BytesIO(feed(entry, "".join(items), version="2.7")))])

    send("Full Extract", transaction("t1", "SVOD", ["FR", "BE"], True))
    assert ask(studio, "SVOD", "BE").status == "unavailable"
    # Full Extract for FR only: BE is kept, FR is what this feed says (now EST).
    send("Full Extract", transaction("t2", "EST", ["FR"], True))
    assert ask(studio, "SVOD", "FR").status == "available"
    assert ask(studio, "EST", "FR").status == "unavailable"
    assert ask(studio, "SVOD", "BE").status == "unavailable"
    # Update by TransactionID: t2 becomes non-exclusive.
    send("Update", transaction("t2", "EST", ["FR"], False))
    assert ask(studio, "EST", "FR").status == "available"
    assert ask(studio, "EST", "FR", exclusive=True).status == "unavailable"
    # Delete t2, then Full Delete BE: the contract is void, and every right is back.
    send("Delete", transaction("t2", "EST", ["FR"]))
    assert ask(studio, "EST", "FR", exclusive=True).status == "available"
    send("Full Delete", transaction("t1", "SVOD", ["BE"]))
    assert ask(studio, "SVOD", "BE", exclusive=True).status == "available"
    (contract,) = [c for c in studio.contracts() if c.id.startswith("avail:")]
    assert (contract.status, contract.terminated) == ("terminated", None)
    assert "void" in [c.action for c in studio.history("contract", contract.id)]


def test_a_feed_that_sells_an_exclusive_right_twice_is_refused_whole(studio: Service) -> None:
    studio.import_feeds(
        [("netflix.xml", io.BytesIO(feed(transactions=transaction("t1", "SVOD", ["FR"], True))))]
    )
    before = studio.counts()
    rival = feed(transactions=transaction("t9", "SVOD", ["FR", "DE"]), alid="other-alid")
    rival = rival.replace(b"Netflix", b"Canal+")
    with pytest.raises(RightsConflict):
        studio.import_feeds([("canal.xml", io.BytesIO(rival))])
    assert studio.counts() == before
    # nothing of the refused feed lingers in the in-memory index either
    assert ask(studio, "SVOD", "DE", exclusive=True).status == "available"
    assert studio.catalog().get("md:cid:org:rockstar:first-dance") is None


def test_a_licensor_unknown_to_the_book_is_recorded_as_its_feed_states(tmp_path: Path) -> None:
    service = fresh(tmp_path)
    result = service.import_feeds(
        [("f.xml", io.BytesIO(feed(transactions=transaction("t1", "SVOD", ["FR", "BE"], True))))]
    )
    assert result.ownership == 1
    (owner,) = [c for c in service.contracts() if c.licensor is None]
    assert owner.id == "avail-owner:rockstar-films:md:cid:org:rockstar:first-dance"
    request = service.request(
        licensor="rockstar-films",
        titles=["md:cid:org:rockstar:first-dance"],
        media=["SVOD"],
        territories=["FR", "DE"],
        start=date(2017, 1, 1),
        end=date(2017, 1, 31),
    )
    report = service.avails(request)
    assert {u.reason for u in report.unavailable} == {"exclusive-license", "not-held"}


def test_season_and_episode_offers_to_one_retailer_are_one_right(tmp_path: Path) -> None:
    # TV_v1.8 offers a season and its episodes to the same service provider, exclusively:
    # the episodes are kept as offers of a right the retailer already has.
    service = fresh(tmp_path)
    result = service.import_feeds([SAMPLES / "xlsx" / "TV_v1.8.xlsx"])
    assert (result.grants, result.offers) == (10, 11)
    exported = service.export_avails("xml")
    assert exported.transactions == result.transactions


def test_media_avails_cannot_say_are_reported_not_mislabelled(tmp_path: Path) -> None:
    from tests.store.test_service import BOOK

    service = fresh(tmp_path)
    sheet = tmp_path / "book.yaml"
    sheet.write_text(BOOK)
    service.load([sheet])
    exported = service.export_avails("xml", "2.7")
    assert mddf.validate_xml(exported.content, "2.7") == []
    types = {t.text for t in etree.fromstring(exported.content).iter("{*}LicenseType")}
    assert types == {"EST", "VOD", "SVOD"}  # ONLINE in CN: EST, TVOD, SVOD (AVOD, FVOD not)
    assert any("AVOD" in note and "FVOD" in note for note in exported.not_exportable)
    assert any("holdback" in note for note in exported.not_exportable)


def test_an_empty_book_has_nothing_to_export(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="nothing to export"):
        fresh(tmp_path).export_avails("xml")


def test_a_transaction_that_excludes_every_territory_is_an_error(tmp_path: Path) -> None:
    item = transaction("t1", "EST", ["FR"]).replace(
        "<avails:Territory><md:country>FR</md:country></avails:Territory>",
        "<avails:Territory><md:country>FR</md:country></avails:Territory>"
        "<avails:TerritoryExcluded><md:country>FR</md:country></avails:TerritoryExcluded>",
    )
    service = fresh(tmp_path)
    with pytest.raises(InvalidInput, match="exclude every country"):
        service.import_feeds([("f.xml", io.BytesIO(feed(transactions=item)))])
    assert service.counts()["contracts"] == 0
