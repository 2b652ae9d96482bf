"""EMA Avails spreadsheets (templates 1.6 to 1.9): read rows into records, write records.

A sheet is a feed when its header names ``AvailTrans`` columns: row 1 gives the column
groups (``Avail``, ``AvailTrans``, ``AvailAsset``, ``AvailMetadata``, ``Disposition``),
row 2 the column names; columns are found by ``Group:Name``, never by position. Rows that
are template comments (``//REQ``, ``//e.g. ...``) or the template version are skipped.
Cells are normalised: Excel serial dates and date cells become ISO dates, booleans may
be 0/1/TRUE/T/Yes, lists are split on commas or semicolons, enumerations are matched
without regard to case or surrounding blanks (`` moVie `` is ``Movie``).

Each row is one transaction; rows with the same ALID (and licensor) are one Avail. The
records are then written as Avails XML of the version the template corresponds to and
checked exactly like an XML feed, with every problem located at its sheet, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import cache
from io import BytesIO
from itertools import chain
from typing import Any

import openpyxl
from lxml import etree
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from reelrights.domain.problems import Problem
from reelrights.formats.mddf import schema
from reelrights.formats.mddf.checks import ERROR, AvailChecks
from reelrights.formats.mddf.model import NEUTRAL, Asset, Avail, Term, Transaction, Where
from reelrights.formats.mddf.xmlfeed import FeedRead, Progress, _Writer
from reelrights.formats.table import xlsx_row
from reelrights.formats.workbook import Row, Workbook, WorkbookError

TEMPLATE = "1.9"
XML_OF_TEMPLATE = {
    "1.6": "2.2.2",
    "1.7": "2.3",
    "1.7.2": "2.3",
    "1.7.3": "2.3",
    "1.8": "2.4",
    "1.9": "2.5",
}
ALIASES = {
    "Avail:BundleALIDs": "Avail:BundledALIDs",
    "AvailTrans:StoreLanguage": "AvailTrans:AllowedLanguages",
    "AvailTerms:ContractID": "AvailTrans:ContractID",
    "AvailTrans:Avail/AvailID": "Avail:AvailID",
    "AvailMetadata:VolumeDistributinoNumber": "AvailMetadata:VolumeDistributionNumber",
}
ENUMERATED = {
    "AvailAsset:WorkType": "WorkType",
    "AvailTrans:LicenseType": "LicenseType",
    "Disposition:EntryType": "EntryType",
    "AvailTrans:FormatProfile": "FormatProfile",
    "AvailTrans:LicenseRightsDescription": "LicenseRightsDescription",
}
DATES = {
    "AvailTrans:Start",
    "AvailTrans:End",
    "AvailTrans:AnnounceDate",
    "AvailTrans:SuppressionLiftDate",
    "AvailTrans:SpecialPreOrderFulfillDate",
    "AvailTrans:FixedEndDate",
}
TRUE = {"1", "true", "t", "yes", "y"}
FALSE = {"0", "false", "f", "no", "n"}
EVENT_TERMS = {
    "AvailTrans:AnnounceDate": "AnnounceDate",
    "AvailTrans:SuppressionLiftDate": "SuppressionLiftDate",
    "AvailTrans:SpecialPreOrderFulfillDate": "PreOrderFulfillDate",
    "AvailTrans:FixedEndDate": "FixedEndDate",
}
TEXT_TERMS = {
    "AvailTrans:ExclusiveAttributes": ("ExclusiveAttributes", "Text"),
    "AvailTrans:TPRType": ("TPRType", "Text"),
    "AvailTrans:CampaignID": ("CampaignID", "ID"),
    "AvailTrans:TitleStatus": ("TitleStatus", "Text"),
    "AvailTrans:Download": ("Download", "Text"),
    "AvailTrans:BrandingRights": ("BrandingRights", "Boolean"),
    "AvailTrans:BrandingRightsAttributes": ("BrandingRightsAttributes", "Text"),
    "AvailTrans:RentalDuration": ("RentalDuration", "Duration"),
    "AvailTrans:WatchDuration": ("WatchDuration", "Duration"),
}
KEPT_ELEMENTS = {
    "AvailTrans:LicenseRightsDescription": "LicenseRightsDescription",
    "AvailTrans:ContractID": "ContractID",
    "AvailTrans:Description": "Description",
    "AvailTrans:OtherInstructions": "OtherInstructions",
    "AvailTrans:WindowDuration": "WindowDuration",
    "Avail:ReportingID": "ReportingID",
    "Reference:RefALID": "RefALID",
}
CONTENT_COLUMN = {
    "Episode": "AvailAsset:EpisodeContentID",
    "Season": "AvailAsset:SeasonContentID",
    "Series": "AvailAsset:SeriesContentID",
    "Volume": "AvailAsset:VolumeContentID",
}
USED = (
    {
        "Avail:ALID",
        "Avail:AvailID",
        "Avail:DisplayName",
        "Avail:ServiceProvider",
        "Avail:BundledALIDs",
        "Avail:Licensee",
        "Disposition:EntryType",
        "AvailTrans:LicenseType",
        "AvailTrans:Territory",
        "AvailTrans:TerritoryExclusion",
        "AvailTrans:Start",
        "AvailTrans:StartLag",
        "AvailTrans:End",
        "AvailTrans:EndLag",
        "AvailTrans:AllowedLanguages",
        "AvailTrans:HoldbackLanguage",
        "AvailTrans:AssetLanguage",
        "AvailTrans:Exclusive",
        "AvailTrans:PriceType",
        "AvailTrans:PriceValue",
        "AvailTrans:PriceCurrency",
        "AvailTrans:SRP",
        "AvailTrans:FormatProfile",
        "AvailTrans:HDR",
        "AvailTrans:WCG",
        "AvailTrans:HFR",
        "AvailTrans:NGAudio",
        "AvailAsset:WorkType",
        "AvailAsset:ContentID",
        "AvailAsset:EpisodeContentID",
        "AvailAsset:SeasonContentID",
        "AvailAsset:SeriesContentID",
        "AvailAsset:VolumeContentID",
        "AvailAsset:TitleID",
        "AvailAsset:EditID",
        "AvailMetadata:TitleDisplayUnlimited",
        "AvailMetadata:TitleInternalAlias",
        "AvailMetadata:EpisodeTitleDisplayUnlimited",
        "AvailMetadata:EpisodeTitleInternalAlias",
        "AvailMetadata:EpisodeNumber",
        "AvailMetadata:SeasonNumber",
        "AvailMetadata:SeasonTitleDisplayUnlimited",
        "AvailMetadata:SeasonTitleInternalAlias",
        "AvailMetadata:SeriesTitleDisplayUnlimited",
        "AvailMetadata:SeriesTitleInternalAlias",
        "AvailMetadata:VolumeNumber",
        "AvailMetadata:VolumeTitleDisplayUnlimited",
        "AvailMetadata:VolumeTitleInternalAlias",
        "AvailMetadata:ReleaseYear",
    }
    | set(EVENT_TERMS)
    | set(TEXT_TERMS)
    | set(KEPT_ELEMENTS)
)
PRICE_TERMS_MONEY = {
    "WSP",
    "DMRP",
    "SMRP",
    "SRP",
    "TPR-WSP",
    "TPR-DMRP",
    "TPR-SMRP",
    "TPR-SRP",
    "WSP-PostTax",
    "SRP-PostTax",
}


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


class _Sheet:
    """One worksheet's columns, by ``Group:Name``."""

    def __init__(self, title: str, groups: tuple[Any, ...], names: tuple[Any, ...]) -> None:
        self.title = title
        self.index: dict[str, int] = {}
        self.letters: dict[str, str] = {}
        group = None
        for position, (g, n) in enumerate(zip(groups, names, strict=False)):
            if g:
                group = str(g).strip()
            if not n or not group:
                continue
            key = f"{group}:{str(n).strip()}"
            key = ALIASES.get(key, key)
            self.index.setdefault(key, position)
            self.letters.setdefault(key, get_column_letter(position + 1))
        # column position → the key it is read as (the first column of a repeated name)
        self.key_at = {position: key for key, position in self.index.items()}

    @property
    def is_feed(self) -> bool:
        return "AvailTrans:LicenseType" in self.index and "AvailTrans:Territory" in self.index


class _RowReader:
    def __init__(self, feed: FeedRead, sheet: _Sheet, version: str) -> None:
        self.feed, self.sheet, self.vocab = feed, sheet, schema.vocabulary(version)
        self.enumerations = {
            key: {v.lower(): v for v in self.vocab.get(name, [])}
            for key, name in ENUMERATED.items()
        }

    def place(self, row: int, key: str | None) -> str:
        where = f"sheet '{self.sheet.title}' row {row}"
        if key and key in self.sheet.letters:
            where += f" column {self.sheet.letters[key]} ({key.split(':', 1)[1]})"
        return where

    def error(self, row: int, key: str | None, message: str) -> None:
        self.feed.errors.append(Problem(message, self.feed.file, None, self.place(row, key)))

    def cells(self, values: Row, row: int) -> dict[str, str]:
        out: dict[str, str] = {}
        keys = self.sheet.key_at
        for column, raw in sorted(values.items()):
            position = column - 1
            if raw is None or position not in keys:
                continue
            key = keys[position]
            if key in DATES and isinstance(raw, int | float) and not isinstance(raw, bool):
                try:
                    raw = from_excel(raw)
                except (ValueError, OverflowError):
                    self.error(row, key, f"'{raw}' is not an Excel date")
                    continue
            text = _cell_text(raw)
            if text is None:
                continue
            if key in ENUMERATED:
                text = self.enumerations[key].get(text.lower(), text)
            out[key] = text
        return out

    def boolean(self, cells: dict[str, str], key: str, row: int) -> bool | None:
        text = cells.get(key)
        if text is None:
            return None
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        self.error(row, key, f"'{text}' is not a yes/no value (0/1, TRUE/FALSE, T/F, Yes/No)")
        return None

    def moment(self, text: str | None, end: bool) -> tuple[str | None, str | None]:
        """(date-time, condition) from a Start or End cell."""
        if text is None:
            return None, None
        if re.match(r"^\d{4}-\d{2}-\d{2}", text):
            if len(text) == 10:
                return text + ("T23:59:59" if end else "T00:00:00"), None
            return text, None
        if re.match(r"^\d+(\.\d+)?$", text):
            day = from_excel(float(text))
            return day.date().isoformat() + ("T23:59:59" if end else "T00:00:00"), None
        return None, text

    def transaction(self, cells: dict[str, str], row: int, where: Where) -> Transaction:
        start, start_condition = self.moment(cells.get("AvailTrans:Start"), end=False)
        end, end_condition = self.moment(cells.get("AvailTrans:End"), end=True)
        record = Transaction(
            id=cells.get("Avail:AvailID"),
            license_type=cells.get("AvailTrans:LicenseType", ""),
            territories=_split(cells.get("AvailTrans:Territory")),
            excluded=_split(cells.get("AvailTrans:TerritoryExclusion")),
            start=start,
            start_condition=start_condition or (None if start else "Immediate"),
            start_lag=cells.get("AvailTrans:StartLag"),
            end=end,
            end_condition=end_condition or (None if end else "Open"),
            end_lag=cells.get("AvailTrans:EndLag"),
            allowed=[t.partition(":")[0] for t in _split(cells.get("AvailTrans:AllowedLanguages"))],
            holdback=_split(cells.get("AvailTrans:HoldbackLanguage")),
            exclusive=self.boolean(cells, "AvailTrans:Exclusive", row),
            where=where,
        )
        price_type, price = cells.get("AvailTrans:PriceType"), cells.get("AvailTrans:PriceValue")
        currency = cells.get("AvailTrans:PriceCurrency")
        if price_type and price is not None:
            if price_type in PRICE_TERMS_MONEY or (currency and _is_number(price)):
                record.terms.append(Term(price_type, "Money", price, {"currency": currency or ""}))
            else:
                record.terms.append(Term(price_type, "Text", price))
        elif price_type:
            record.terms.append(Term(price_type, "Text", price_type))
        if cells.get("AvailTrans:SRP"):
            record.terms.append(
                Term("SRP", "Money", cells["AvailTrans:SRP"], {"currency": currency or ""})
            )
        for key, name in EVENT_TERMS.items():
            if key in cells:
                moment, _ = self.moment(cells[key], end=False)
                record.terms.append(Term(name, "Event", moment or cells[key]))
        for key, (name, element) in TEXT_TERMS.items():
            if key in cells:
                value = cells[key]
                if element == "Boolean":
                    flag = self.boolean(cells, key, row)
                    value = "true" if flag else "false"
                elif element == "Duration" and _is_number(value):
                    value = f"PT{value}H"  # the templates give rental windows in hours
                record.terms.append(Term(name, element, value))
        for term in record.terms:
            if not term.attributes.get("currency", "x"):
                del term.attributes["currency"]
        for language in _split(cells.get("AvailTrans:AssetLanguage")):
            tag, _, asset = language.partition(":")
            record.kept.append(_fragment("AssetLanguage", tag, {"asset": asset} if asset else None))
        if "AvailTrans:FormatProfile" in cells:
            attributes = {
                name: cells[f"AvailTrans:{name}"]
                for name in ("HDR", "WCG", "HFR", "NGAudio")
                if f"AvailTrans:{name}" in cells
            }
            record.kept.append(
                _fragment("FormatProfile", cells["AvailTrans:FormatProfile"], attributes)
            )
        for key, name in KEPT_ELEMENTS.items():
            if key in cells:
                record.kept.append(_fragment(name, cells[key]))
        return record

    def asset(self, cells: dict[str, str], alid: str, where: Where) -> Asset:
        work_type = cells.get("AvailAsset:WorkType", "")
        column = CONTENT_COLUMN.get(work_type, "AvailAsset:ContentID")
        content_id = (
            cells.get(column)
            or cells.get("AvailAsset:ContentID")
            or cells.get("AvailAsset:EditID")
            or cells.get("AvailAsset:TitleID")
            or f"md:cid:org:reelrights:{alid}"
        )
        prefix = {
            "Episode": "Episode",
            "Season": "Season",
            "Series": "Series",
            "Volume": "Volume",
        }.get(work_type, "")
        name = (
            cells.get(f"AvailMetadata:{prefix}TitleDisplayUnlimited")
            or cells.get(f"AvailMetadata:{prefix}TitleInternalAlias")
            or cells.get("AvailMetadata:TitleDisplayUnlimited")
            or cells.get("AvailMetadata:TitleInternalAlias")
        )
        year = cells.get("AvailMetadata:ReleaseYear", "")[:4]
        number = {
            "Episode": "AvailMetadata:EpisodeNumber",
            "Season": "AvailMetadata:SeasonNumber",
            "Volume": "AvailMetadata:VolumeNumber",
        }.get(work_type)
        return Asset(
            content_id=content_id,
            work_type=work_type,
            name=name,
            year=int(year) if year.isdigit() else None,
            eidr=cells.get("AvailAsset:TitleID") or cells.get("AvailAsset:EditID"),
            number=_number(cells.get(number)) if number else None,
            volume=_number(cells.get("AvailMetadata:VolumeNumber"))
            if work_type == "Episode"
            else None,
            season_id=cells.get("AvailAsset:SeasonContentID"),
            season_name=cells.get("AvailMetadata:SeasonTitleDisplayUnlimited")
            or cells.get("AvailMetadata:SeasonTitleInternalAlias"),
            season_number=_number(cells.get("AvailMetadata:SeasonNumber")),
            series_id=cells.get("AvailAsset:SeriesContentID"),
            series_name=cells.get("AvailMetadata:SeriesTitleDisplayUnlimited")
            or cells.get("AvailMetadata:SeriesTitleInternalAlias"),
            bundled=_split(cells.get("Avail:BundledALIDs")),
            where=where,
        )


def _is_number(text: str) -> bool:
    return re.match(r"^-?\d+(\.\d+)?$", text) is not None


def _number(text: str | None) -> int | None:
    if text and re.match(r"^\d+(\.0+)?$", text):
        return int(float(text))
    return None


def _fragment(name: str, text: str, attributes: dict[str, str] | None = None) -> str:
    node = etree.Element(
        f"{{{NEUTRAL['avails']}}}{name}", attributes or {}, nsmap={"avails": NEUTRAL["avails"]}
    )
    node.text = text
    return etree.tostring(node, encoding="unicode")


def _template_of(rows: list[Row], sheet: _Sheet) -> str:
    if len(rows) > 2 and rows[2].get(1) is not None:
        text = _cell_text(rows[2][1]) or ""
        match = re.match(r"^v?(1\.\d(\.\d)?)$", text)
        if match:
            return match.group(1)
    if "AvailTrans:AllowedLanguages" not in sheet.index and any(
        k.endswith("StoreLanguage") for k in sheet.index
    ):
        return "1.6"
    if "Avail:AssociatedALID" in sheet.index or "AvailTrans:CampaignID" in sheet.index:
        return "1.9"
    if "AvailAsset:VolumeContentID" in sheet.index:
        return "1.8"
    return "1.7"


def _is_comment(values: Row, index: int) -> bool:
    filled = [values[c] for c in sorted(values) if str(values[c]).strip()]
    if not filled:
        return True
    first = str(filled[0]).strip()
    if first.startswith("//"):
        return True
    return index == 3 and re.match(r"^v?1\.\d(\.\d)?$", _cell_text(values.get(1)) or "") is not None


def read_xlsx(path: str, source: Any = None, progress: Progress | None = None) -> FeedRead:
    """Read and check one EMA Avails workbook (every sheet that is a feed), streaming its
    rows within the limits of :mod:`reelrights.formats.workbook`; a workbook past a limit,
    or whose XML is broken, is one error naming the file and the part."""
    feed = FeedRead(file=path, kind="xlsx")
    try:
        with Workbook(path, source) as book:
            _read_sheets(feed, book, progress)
    except WorkbookError as error:
        feed.errors.append(error.problem)
        feed.avails.clear()
    return feed


def _head(rows: Iterator[tuple[int, Row]]) -> tuple[list[Row], Iterator[tuple[int, Row]]]:
    """Rows 1 to 3 of a sheet (empty where absent) and the rows after them."""
    head: list[Row] = [{}, {}, {}]
    for number, values in rows:
        if number > 3:
            return head, chain([(number, values)], rows)
        head[number - 1] = values
    return head, iter(())


def _dense(values: Row) -> tuple[Any, ...]:
    """A header row as a tuple by column position (headers are at most MAX_COLUMNS wide)."""
    if not values:
        return ()
    out: list[Any] = [None] * max(values)
    for column, value in values.items():
        out[column - 1] = value
    return tuple(out)


def _read_sheets(feed: FeedRead, book: Workbook, progress: Progress | None) -> None:
    path = feed.file
    sheets = 0
    empty_templates: list[str] = []
    read_rows = 0
    # Rows of one ALID and one asset are one Avail, across the workbook's sheets (an ALID
    # offered for two assets gives two Avails, which the disposition applies in turn).
    by_alid: dict[tuple[str, str, str], Avail] = {}
    origins: dict[int, tuple[_RowReader, int]] = {}
    assets_of: dict[tuple[str, str], list[str]] = {}
    for worksheet in book.worksheets():
        head, rows = _head(worksheet.rows())
        if not head[0]:
            continue
        sheet = _Sheet(worksheet.title, _dense(head[0]), _dense(head[1]))
        if not sheet.is_feed:
            if any(str(g).strip() == "Avail" for g in head[0].values() if g):
                empty_templates.append(worksheet.title)
            continue
        sheets += 1
        template = _template_of(head, sheet)
        version = XML_OF_TEMPLATE[template]
        feed.template = feed.template or template
        feed.version = feed.version or version
        reader = _RowReader(feed, sheet, version)
        for index, values in chain([(3, head[2])], rows):
            if not values or _is_comment(values, index):
                continue
            cells = reader.cells(values, index)
            if not cells:
                continue
            if cells.get("AvailTrans:Territory") in ("0", None) and cells.get(
                "Reference:RefTerritory"
            ):
                cells["AvailTrans:Territory"] = cells["Reference:RefTerritory"]
            if not cells.get("AvailTrans:LicenseType") and cells.get("Reference:RefLicenseType"):
                cells["AvailTrans:LicenseType"] = cells["Reference:RefLicenseType"]
            if not any(
                k in cells
                for k in ("AvailTrans:LicenseType", "AvailTrans:Territory", "AvailAsset:WorkType")
            ):
                feed.warnings.append(
                    Problem(
                        "the row has no LicenseType, Territory or WorkType: not a transaction, "
                        "skipped",
                        path,
                        None,
                        reader.place(index, None),
                    )
                )
                continue
            where = Where(path, None, reader.place(index, None))
            asset_where = Where(path, None, reader.place(index, "AvailAsset:WorkType"))
            licensor = cells.get("Avail:DisplayName", "")
            asset = reader.asset(
                cells, cells.get("Avail:ALID") or f"{sheet.title}-row-{index}", asset_where
            )
            alid = cells.get("Avail:ALID") or asset.content_id
            key = (licensor, alid, asset.content_id)
            avail = by_alid.get(key)
            if avail is None:
                others = assets_of.setdefault((licensor, alid), [])
                if others:
                    feed.warnings.append(
                        Problem(
                            f"ALID '{alid}' is also offered for asset '{others[0]}'; each is an "
                            "Avail of its own and the later one's disposition applies to the "
                            "territories it names",
                            path,
                            None,
                            reader.place(index, "Avail:ALID"),
                        )
                    )
                others.append(asset.content_id)
                avail = by_alid[key] = Avail(
                    alid=alid,
                    entry_type=cells.get("Disposition:EntryType", "Full Extract"),
                    licensor=licensor,
                    avail_type=_avail_type(cells.get("AvailAsset:WorkType", ""), cells),
                    service_provider=cells.get("Avail:ServiceProvider")
                    or cells.get("Avail:Licensee"),
                    short_description=f"{path.rsplit('/', 1)[-1]}: sheet {sheet.title}",
                    where=where,
                    assets=[asset],
                )
            transaction = reader.transaction(cells, index, where)
            transaction.cells = {k: v for k, v in cells.items() if k not in USED}
            origins[id(transaction)] = (reader, index)
            avail.transactions.append(transaction)
            read_rows += 1
            if progress and read_rows % 1000 == 0:
                progress(f"reading sheet {worksheet.title}", worksheet.done, worksheet.size)
    if feed.version is not None:
        _check(feed, list(by_alid.values()), feed.version, origins)
    feed.avails.extend(by_alid.values())
    if sheets == 0 and empty_templates:
        # A template whose header lacks the transaction columns: its rows cannot be read as
        # transactions, and reading none is never an empty success.
        feed.errors.append(
            Problem(
                f"sheet '{empty_templates[0]}' has Avails headers but no AvailTrans:LicenseType "
                "and AvailTrans:Territory columns in rows 1-2: no row can be read as a "
                "transaction",
                path,
            )
        )
    elif sheets == 0:
        feed.errors.append(
            Problem(
                "no sheet with Avails columns (AvailTrans:LicenseType and AvailTrans:Territory "
                "in rows 1-2)",
                path,
            )
        )
    elif read_rows == 0 and not feed.errors:
        feed.errors.append(
            Problem(
                "the workbook's Avails sheets have headers but no transaction rows: "
                "nothing to import",
                path,
            )
        )


def _avail_type(work_type: str, cells: dict[str, str]) -> str:
    if cells.get("Reference:RefALID"):
        return "supplement"
    return {
        "Movie": "single",
        "Short": "single",
        "Episode": "episode",
        "Season": "season",
        "Series": "series",
        "Volume": "volume",
        "Collection": "bundle",
        "Supplemental": "supplement",
        "Promotion": "promotion",
    }.get(work_type, "single")


COLUMN_OF = {
    "LicenseType": "AvailTrans:LicenseType",
    "country": "AvailTrans:Territory",
    "countryRegion": "AvailTrans:Territory",
    "Start": "AvailTrans:Start",
    "StartCondition": "AvailTrans:Start",
    "End": "AvailTrans:End",
    "EndCondition": "AvailTrans:End",
    "AllowedLanguage": "AvailTrans:AllowedLanguages",
    "AssetLanguage": "AvailTrans:AssetLanguage",
    "HoldbackLanguage": "AvailTrans:HoldbackLanguage",
    "LicenseRightsDescription": "AvailTrans:LicenseRightsDescription",
    "FormatProfile": "AvailTrans:FormatProfile",
    "Money": "AvailTrans:PriceValue",
    "EntryType": "Disposition:EntryType",
    "WorkType": "AvailAsset:WorkType",
    "ALID": "Avail:ALID",
    "ContractID": "AvailTrans:ContractID",
}


def _check(
    feed: FeedRead, avails: list[Avail], version: str, origins: dict[int, tuple[_RowReader, int]]
) -> None:
    """Check the rows as the Avails XML they stand for, and locate problems at cells."""
    writer = _Writer(version)
    places: dict[Any, tuple[_RowReader, int]] = {}  # the current Avail's elements → rows

    def cell(node: Any) -> str | None:
        found, key = _origin(node, places)
        return found[0].place(found[1], key) if found else None

    def report(severity: str, message: str, node: Any) -> None:
        # a tuple is a cell noted earlier (see locate), for an element no longer kept
        where = node[0] if isinstance(node, tuple) else cell(node)
        problem = Problem(message, feed.file, None, where)
        (feed.errors if severity == ERROR else feed.warnings).append(problem)

    checks = AvailChecks(version, report, lambda node: (cell(node),))
    for avail in avails:
        element = writer.avail(avail)
        places.clear()
        transactions = element.findall(f"{writer.a}Transaction")
        for node, record in zip(transactions, avail.transactions, strict=False):
            places[node] = origins[id(record)]
        if avail.transactions:
            places[element] = origins[id(avail.transactions[0])]
        checks.check(element)
    checks.finish()


def _origin(
    node: Any, places: dict[Any, tuple[_RowReader, int]]
) -> tuple[tuple[_RowReader, int] | None, str | None]:
    key = None
    current = node
    while current is not None:
        name = etree.QName(current).localname if isinstance(current.tag, str) else ""
        if key is None and name in COLUMN_OF:
            key = COLUMN_OF[name]
            if (
                name in ("country", "countryRegion")
                and current.getparent() is not None
                and etree.QName(current.getparent()).localname == "TerritoryExcluded"
            ):
                key = "AvailTrans:TerritoryExclusion"
        if current in places:
            return places[current], key
        current = current.getparent()
    return None, key


# -- writing ------------------------------------------------------------------------------


EXTRA_COLUMNS = {"Reference:RefALID": "{avail}RefALID"}
"""Columns of the 1.9 Bonus sheet that the validator's AllAvails map lacks."""


def _columns() -> list[str]:
    return [*schema.sheet_columns(TEMPLATE)["AllAvails"], *EXTRA_COLUMNS]


@cache
def _compiled(spec: str, avails: str, md: str) -> Any:
    return etree.XPath(schema.rule_path(spec), namespaces={"avails": avails, "md": md})


def _first_step(spec: str) -> str | None:
    """The element a column's path starts from (None when it starts from an attribute)."""
    head = spec.lstrip("*").split("/", 1)[0]
    if not head.startswith("{"):
        return None
    return head.split("}", 1)[1].split("[", 1)[0]


def _values(
    context: Any, spec: Any, work_type: str, ns: dict[str, str], present: set[str] | None = None
) -> str | None:
    if spec == "n.a" or spec is None:
        return None
    if isinstance(spec, dict):
        if "%FUNCTION" in spec:
            function = spec["%FUNCTION"]
            if function.get("name") == "eidr":
                found = _values(context, function["args"]["xpath"], work_type, ns, present)
                return found.replace("urn:eidr:10.5240:", "10.5240/") if found else None
            return None
        chosen = spec.get(work_type, spec.get("-default-"))
        return _values(context, chosen, work_type, ns, present)
    if isinstance(spec, list):
        for option in spec:
            found = _values(context, option, work_type, ns, present)
            if found:
                return found
        return None
    if present is not None and (step := _first_step(spec)) is not None and step not in present:
        return None  # most columns are empty: skip the path when its first element is absent
    try:
        results = _compiled(spec.lstrip("*"), ns["avails"], ns["md"])(context)
    except etree.XPathError:
        return None
    texts = []
    for result in results:
        text = result if isinstance(result, str) else (result.text or "")
        if text.strip():
            texts.append(text.strip())
    return ", ".join(texts) or None


def render_xlsx(avails: Iterable[Avail]) -> bytes:
    """An EMA Avails workbook (template 1.9, one ``AllAvails`` sheet, a row per transaction)."""
    columns = _columns()
    mapping = {**schema.sheet_columns(TEMPLATE)["AllAvails"], **EXTRA_COLUMNS}
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("AllAvails")
    sheet.append([c.split(":", 1)[0] for c in columns])
    sheet.append([c.split(":", 1)[1] for c in columns])
    sheet.append([TEMPLATE])
    writer = _Writer(schema.LATEST)
    ns = {"avails": writer.ns["avails"], "md": writer.ns["md"]}
    avails = list(avails)
    # The sheet says which volume an episode is in on the episode's row.
    volume_of: dict[tuple[str | None, int], int] = {}
    for avail in avails:
        for asset in avail.assets:
            if asset.work_type == "Volume" and asset.first_episode and asset.episode_count:
                for number in range(asset.first_episode, asset.first_episode + asset.episode_count):
                    volume_of[(asset.season_id, number)] = asset.number or 0
    for avail in avails:
        for transaction in avail.transactions:
            one = Avail(**{k: getattr(avail, k) for k in avail.__dataclass_fields__})
            one.transactions = [transaction]
            element = writer.avail(one)
            trans = element.find(f"{writer.a}Transaction")
            asset = element.find(f"{writer.a}Asset")
            work_type = avail.assets[0].work_type if avail.assets else ""
            present = {
                name: {etree.QName(c).localname for c in node if isinstance(c.tag, str)}
                for name, node in (("trans", trans), ("asset", asset), ("avail", element))
                if node is not None
            }
            row = []
            for column in columns:
                group = column.split(":", 1)[0]
                spec = mapping[column]
                if column == "Avail:AvailID":
                    value = transaction.id
                elif group in ("AvailTrans", "Reference"):
                    value = _values(trans, spec, work_type, ns, present["trans"])
                elif group in ("AvailAsset", "AvailMetadata"):
                    value = (
                        _values(asset, spec, work_type, ns, present["asset"])
                        if asset is not None
                        else None
                    )
                else:
                    value = _values(element, spec, work_type, ns, present["avail"])
                if column == "AvailMetadata:VolumeNumber" and value is None and avail.assets:
                    first = avail.assets[0]
                    if first.work_type == "Episode" and first.number is not None:
                        found = volume_of.get((first.season_id, first.number))
                        value = str(found) if found is not None else None
                if (
                    value is None
                    and avail.assets
                    and column == CONTENT_COLUMN.get(work_type, "AvailAsset:ContentID")
                ):
                    value = avail.assets[0].content_id  # the map lacks some work types
                row.append(transaction.cells.get(column, value))
            sheet.append(xlsx_row(sheet, row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
