"""MovieLabs Avails reading and checking: every public sample, every deliberate error.

The samples are MovieLabs' own test files (tests/conformance/mddf, see its README); the
error samples carry inline comments that say which errors they hold, and these tests
hold reelrights to exactly those, each at its line and XPath.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from reelrights.formats import mddf
from reelrights.formats.mddf.model import Asset, Avail, Transaction

SAMPLES = Path(__file__).parents[1] / "conformance" / "mddf" / "samples"

VALID_XML = [
    "Avails_noErrors_v2.2.1.xml",
    "Avails_noErrors_v2.2.2.xml",
    "Avails_noErrors_v2.3.xml",
    "Avails_noErrors_v2.4.xml",
    "Avails_Volume_no-err_v2.4.xml",
    "TPT-test_v1.9_v2.5.xml",
    "TV_v1.7.2-20180713_v2.3.xml",
]

# (line, XPath ending, message fragment) for every error the sample's comments describe.
AVAILS_WITH_ERRORS = [
    (42, "md:Rating/md:Value", "'6' is not a rating of the MPAA system"),
    (52, "avails:Territory/md:country", "'JJ' is not an ISO 3166-1 country code"),
    (60, "avails:AllowedLanguage[4]", "'XYZ' is not an RFC 5646 language tag"),
    (89, "avails:AllowedLanguage[11]", "'fr-xx' is not an RFC 5646 language tag"),
    (91, "avails:AssetLanguage", "'ENg' is not an RFC 5646 language tag: use 'en'"),
    (147, "md:Rating[2]/md:Reason", "rating reason 'Sex' is not one of the FPB"),
    (187, "avails:LicenseRightsDescription", "'Librry' is not one of"),
]
OVERLAPPING_VOLUMES = [
    (None, "avails:Avail[7]/avails:Asset/avails:VolumeMetadata", "episode 3 is already in"),
    (None, "avails:Avail[7]/avails:Asset/avails:VolumeMetadata", "episode 4 is already in"),
]
BAD_STATUS = [
    (274, "avails:VolumeMetadata/avails:Status", "Status 'InComplete' is not one of"),
]
ERROR_SAMPLES = {
    "Avails_withErrors.xml": AVAILS_WITH_ERRORS,
    "CM_Currency-errors.xml": [
        (63, "avails:Term/avails:Money", "'XTs' is not an ISO 4217 currency code"),
    ],
    "Avails_Volume_error_v2.4.xml": OVERLAPPING_VOLUMES,
    "Avails_Volume_error_v2.5.xml": BAD_STATUS + OVERLAPPING_VOLUMES,
    "Avails_Volume_error_v2.6.xml": BAD_STATUS + OVERLAPPING_VOLUMES,
    # Both structure-test files lack a Metadata choice in an Asset (not XSD-valid); the
    # _errors variant also breaks the AvailType/WorkType rules.
    "Avails_Structure_Tests_v2.3.xml": [
        (73, "avails:Avail[2]/avails:Asset", "schema: Element 'avails:Asset': Missing child"),
    ],
    "Avails_Structure_Tests_v2.3_errors.xml": [
        (73, "avails:Avail[2]/avails:Asset", "schema: Element 'avails:Asset': Missing child"),
        (88, "avails:Transaction/avails:RefALID", "RefALID is defined only when AvailType"),
        (73, "avails:Avail[2]/avails:Asset", "WorkType requires use of Metadata"),
    ],
}

SHEETS = sorted(p.name for p in (SAMPLES / "xlsx").glob("*.xlsx"))


@pytest.mark.parametrize("name", VALID_XML)
def test_every_schema_valid_xml_sample_reads_with_no_error(name: str) -> None:
    feed = mddf.read_feed(str(SAMPLES / "xml" / name))
    assert feed.errors == []
    document = etree.parse(str(SAMPLES / "xml" / name))
    assert len(feed.avails) == len(document.findall("{*}Avail"))
    assert feed.transactions == len(document.findall("{*}Avail/{*}Transaction"))


@pytest.mark.parametrize("name", sorted(ERROR_SAMPLES))
def test_error_samples_give_exactly_the_errors_they_describe(name: str) -> None:
    feed = mddf.read_feed(str(SAMPLES / "xml" / name))
    expected = ERROR_SAMPLES[name]
    assert len(feed.errors) == len(expected), [str(e) for e in feed.errors]
    unmatched = list(feed.errors)
    for line, path, fragment in expected:
        match = next(
            (
                e
                for e in unmatched
                if fragment in e.message
                and (e.field or "").endswith(path)
                and (line is None or e.line == line)
            ),
            None,
        )
        assert match is not None, (line, path, fragment, [str(e) for e in unmatched])
        unmatched.remove(match)
        assert match.file == str(SAMPLES / "xml" / name)


def test_the_rating_system_used_outside_its_region_is_a_warning() -> None:
    feed = mddf.read_feed(str(SAMPLES / "xml" / "Avails_withErrors.xml"))
    assert [(w.line, w.message) for w in feed.warnings] == [
        (133, "rating system 'MPAA' is not used in 'DE'")
    ]


def test_v2_3_price_rule_warns_for_each_priceless_tvod_transaction() -> None:
    # MovieLabs' own test expects 0 errors and 12 warnings for this file.
    feed = mddf.read_feed(str(SAMPLES / "xml" / "Avails_noErrors_v2.3.xml"))
    assert feed.errors == []
    assert len(feed.warnings) == 12
    assert all("requires at least one term indicating pricing" in w.message for w in feed.warnings)


@pytest.mark.parametrize("name", SHEETS)
def test_every_spreadsheet_sample_reads_with_no_error(name: str) -> None:
    feed = mddf.read_feed(str(SAMPLES / "xlsx" / name))
    assert feed.errors == [], [str(e) for e in feed.errors]
    assert feed.transactions > 0


def test_not_an_avails_document_is_refused_with_its_root_named() -> None:
    feed = mddf.read_feed(str(SAMPLES / "offer-status" / "OStatus_simple.xml"))
    assert len(feed.errors) == 1
    assert "'OfferStatusList' is not an Avails feed" in feed.errors[0].message


def test_broken_xml_is_located() -> None:
    text = (SAMPLES / "xml" / "CM_Currency-errors.xml").read_bytes()[:2000]
    feed = mddf.read_feed("cut.xml", io.BytesIO(text))
    assert len(feed.errors) == 1
    assert feed.errors[0].message.startswith("not well-formed XML")
    assert feed.errors[0].line is not None


def _workbook(rows: list[dict[str, object]], columns: list[str]) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Movies"
    sheet.append([c.split(":")[0] for c in columns])
    sheet.append([c.split(":")[1] for c in columns])
    sheet.append(["1.9", *["//Opt"] * (len(columns) - 1)])
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


COLUMNS = [  # deliberately not in template order: columns are found by name
    "AvailTrans:Territory",
    "Avail:DisplayName",
    "AvailAsset:WorkType",
    "AvailTrans:LicenseType",
    "AvailTrans:Start",
    "AvailTrans:End",
    "AvailTrans:Exclusive",
    "AvailTrans:AllowedLanguages",
    "Avail:ALID",
    "AvailAsset:ContentID",
    "AvailMetadata:TitleInternalAlias",
    "Disposition:EntryType",
    "AvailTrans:FormatProfile",
    "AvailTrans:PriceType",
    "AvailTrans:PriceValue",
]


def test_spreadsheet_cells_are_normalised() -> None:
    row = {
        "AvailTrans:Territory": "US, CA",
        "Avail:DisplayName": "Rockstar Films",
        "AvailAsset:WorkType": " moVie ",
        "AvailTrans:LicenseType": "est",
        "AvailTrans:Start": 41439,  # an Excel serial date
        "AvailTrans:End": datetime(2016, 12, 31),
        "AvailTrans:Exclusive": "T",
        "AvailTrans:AllowedLanguages": "en; fr",
        "Avail:ALID": "md:alid:org:rockstar:1",
        "AvailAsset:ContentID": "md:cid:org:rockstar:1",
        "AvailMetadata:TitleInternalAlias": "First Dance, The",
        "Disposition:EntryType": "full extract",
        "AvailTrans:FormatProfile": "HD",
        "AvailTrans:PriceType": "WSP",
        "AvailTrans:PriceValue": 12.5,
    }
    feed = mddf.read_feed(
        "deals.xlsx", _workbook([row, {**row, "AvailTrans:Exclusive": 0}], COLUMNS)
    )
    assert feed.errors == []
    (avail,) = feed.avails
    assert (avail.entry_type, avail.assets[0].work_type) == ("Full Extract", "Movie")
    first, second = avail.transactions
    assert first.license_type == "EST"
    assert first.territories == ["US", "CA"]
    assert first.start == "2013-06-14T00:00:00"  # serial 41439 counts from 1899-12-30
    assert first.end == "2016-12-31T23:59:59"
    assert (first.exclusive, second.exclusive) == (True, False)
    assert first.allowed == ["en", "fr"]
    assert [(t.name, t.element, t.value) for t in first.terms] == [("WSP", "Money", "12.5")]


def test_spreadsheet_problems_name_sheet_row_and_column() -> None:
    row = {
        "AvailTrans:Territory": "JJ",
        "Avail:DisplayName": "Rockstar Films",
        "AvailAsset:WorkType": "Movie",
        "AvailTrans:LicenseType": "EST",
        "AvailTrans:Start": "2013-06-13",
        "AvailTrans:Exclusive": "perhaps",
        "Avail:ALID": "a1",
        "AvailAsset:ContentID": "c1",
        "AvailMetadata:TitleInternalAlias": "X",
        "AvailTrans:FormatProfile": "HD",
    }
    feed = mddf.read_feed("deals.xlsx", _workbook([row], COLUMNS))
    found = {(p.field, p.message) for p in feed.errors}
    assert (
        "sheet 'Movies' row 4 column A (Territory)",
        "'JJ' is not an ISO 3166-1 country code",
    ) in found
    assert any(
        field == "sheet 'Movies' row 4 column G (Exclusive)" and "yes/no" in message
        for field, message in found
    )


def _records(languages: tuple[str, ...] = ()) -> list[Avail]:
    def one(alid: str, asset: Asset, license_type: str = "EST") -> Avail:
        return Avail(
            alid=alid,
            entry_type="Full Extract",
            licensor="Studio",
            avail_type={
                "Movie": "single",
                "Episode": "episode",
                "Season": "season",
                "Series": "series",
                "Volume": "volume",
            }[asset.work_type],
            assets=[asset],
            transactions=[
                Transaction(
                    "t-" + alid,
                    license_type,
                    territories=["US"],
                    start="2020-01-01T00:00:00",
                    end_condition="Open",
                    allowed=list(languages),
                )
            ],
        )

    return [
        one("m", Asset("cid:m", "Movie", name="Film", year=2020, eidr="10.5240/0000-1")),
        one(
            "e",
            Asset(
                "cid:e",
                "Episode",
                name="Pilot",
                number=1,
                season_id="cid:s1",
                season_number=1,
                series_id="cid:show",
                series_name="Show",
            ),
        ),
        one(
            "s",
            Asset(
                "cid:s1",
                "Season",
                season_id="cid:s1",
                season_number=1,
                series_id="cid:show",
                series_name="Show",
            ),
            "SVOD",
        ),
        one("t", Asset("cid:show", "Series", name="Show")),
        one(
            "v",
            Asset(
                "cid:v1",
                "Volume",
                name="Vol 1",
                number=1,
                first_episode=1,
                episode_count=2,
                season_id="cid:s1",
                series_id="cid:show",
            ),
        ),
    ]


@pytest.mark.parametrize("version", mddf.VERSIONS)
def test_written_xml_is_schema_valid_in_every_version(version: str) -> None:
    text, dropped = mddf.render_xml(_records(), version)
    assert mddf.validate_xml(text, version) == []
    avails_dropped = [d for d in dropped if d.startswith("Avail ")]
    if version in ("2.1", "2.2", "2.2.1", "2.2.2", "2.3"):  # TV volumes came with 2.4
        assert [d.split(" (")[0] for d in avails_dropped] == ["Avail v"]
    else:
        assert avails_dropped == []


def test_a_right_a_version_cannot_say_is_not_written_narrower_or_wider() -> None:
    text, dropped = mddf.render_xml(_records(languages=("en",))[:1], "2.2")
    assert b"AllowedLanguage>en<" in text
    text, dropped = mddf.render_xml(_records(languages=("en",)), "2.1")
    assert "Avail m (Avails 2.1 has no AllowedLanguage)" in dropped
    assert b"<avails:Avail>" not in text


def test_written_workbook_reads_back_to_the_same_rights() -> None:
    records = _records()
    feed = mddf.read_feed("back.xlsx", io.BytesIO(mddf.render_xlsx(records)))
    assert feed.errors == []
    assert sorted(
        (
            a.alid,
            a.assets[0].content_id,
            a.transactions[0].license_type,
            a.transactions[0].territories,
            a.transactions[0].start,
        )
        for a in feed.avails
    ) == sorted(
        (
            a.alid,
            a.assets[0].content_id,
            a.transactions[0].license_type,
            a.transactions[0].territories,
            a.transactions[0].start,
        )
        for a in records
    )
