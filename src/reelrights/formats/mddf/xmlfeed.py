"""Avails XML: read a feed into records (checking it as it streams), write records back.

Reading streams one ``Avail`` element at a time (``iterparse``), checks it
(:class:`~reelrights.formats.mddf.checks.AvailChecks`), turns it into an
:class:`~reelrights.formats.mddf.model.Avail` and empties it, so memory grows with the
records, not with the document. Problems carry the file, the line and the XPath.
Writing builds each element's children in the order the target version's XSD gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from reelrights.domain.problems import Problem
from reelrights.formats import xmlsafe
from reelrights.formats.mddf import schema
from reelrights.formats.mddf.checks import ERROR, AvailChecks
from reelrights.formats.mddf.model import NEUTRAL, Asset, Avail, Term, Transaction, Where

Progress = Callable[[str, int, int], None]

MODELLED = {
    "LicenseType",
    "Territory",
    "TerritoryExcluded",
    "Start",
    "StartCondition",
    "End",
    "EndCondition",
    "AllowedLanguage",
    "HoldbackLanguage",
    "Term",
}
RIGHTS_ELEMENTS = {
    "AllowedLanguage",
    "HoldbackLanguage",
    "TerritoryExcluded",
    "Territory",
    "Start",
    "End",
    "StartCondition",
    "EndCondition",
    "LicenseType",
}
"""Transaction children that say what the right is: a version without one cannot carry
the Avail at all (dropping the element would widen the right)."""
SIMPLE_TERM_VALUES = {
    "Money",
    "Event",
    "Text",
    "Number",
    "Boolean",
    "Duration",
    "URI",
    "Language",
    "ID",
    "YearDateTime",
    "Time",
}


@dataclass
class FeedRead:
    """What a reader found: the records, and every error and warning with its place."""

    file: str
    kind: str  # "xml" or "xlsx"
    version: str | None = None  # the XML version (read, or built from a template)
    template: str | None = None  # the spreadsheet template
    avails: list[Avail] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def transactions(self) -> int:
        return sum(len(a.transactions) for a in self.avails)


def to_neutral(text: str, version: str) -> str:
    for prefix, uri in schema.namespaces(version).items():
        text = text.replace(f'"{uri}"', f'"{NEUTRAL[prefix]}"')
    return text


def from_neutral(text: str, version: str) -> Any:
    for prefix, uri in schema.namespaces(version).items():
        text = text.replace(f'"{NEUTRAL[prefix]}"', f'"{uri}"')
    return xmlsafe.parse_bytes(text)


def _text(node: Any) -> str | None:
    if node is None or node.text is None:
        return None
    value: str = node.text.strip()
    return value or None


def _int(text: str | None) -> int | None:
    if text and text.strip().isdigit():
        return int(text.strip())
    return None


class _Reader:
    def __init__(self, version: str) -> None:
        self.version = version
        ns = schema.namespaces(version)
        self.a = "{" + ns["avails"] + "}"
        self.md = "{" + ns.get("md", "") + "}"

    def fragment(self, node: Any) -> str:
        return to_neutral(etree.tostring(node, encoding="unicode", with_tail=False), self.version)

    def find(self, node: Any, path: str) -> str | None:
        return _text(node.find(path.replace("a:", self.a).replace("md:", self.md)))

    def avail(self, node: Any, where: Where) -> Avail:
        a, md = self.a, self.md
        licensor = node.find(f"{a}Licensor")
        provider = node.find(f"{a}ServiceProvider")
        record = Avail(
            alid=self.find(node, "a:ALID") or "",
            entry_type=self.find(node, "a:Disposition/a:EntryType") or "",
            licensor=(_text(licensor.find(f"{md}DisplayName")) if licensor is not None else None)
            or "",
            avail_type=self.find(node, "a:AvailType") or "",
            # the service provider, or else the first transaction's Licensee (2.5 and later)
            service_provider=(
                _text(provider.find(f"{md}DisplayName")) if provider is not None else None
            )
            or self.find(node, "a:Transaction/a:Licensee/md:DisplayName"),
            short_description=self.find(node, "a:ShortDescription") or "",
            issue_date=self.find(node, "a:Disposition/a:IssueDate"),
            licensor_xml=self.fragment(licensor) if licensor is not None else None,
            service_provider_xml=self.fragment(provider) if provider is not None else None,
            where=where,
        )
        counts: dict[str, int] = {}
        for child in node:
            if not isinstance(child.tag, str):
                continue
            name = child.tag[len(a) :] if child.tag.startswith(a) else None
            if name in ("Asset", "Transaction"):
                counts[name] = counts.get(name, 0) + 1
                place = Where(
                    where.file, child.sourceline, f"{where.path}/avails:{name}[{counts[name]}]"
                )
                if name == "Asset":
                    record.assets.append(self.asset(child, place))
                else:
                    record.transactions.append(self.transaction(child, place))
            elif name not in (
                "ALID",
                "Disposition",
                "Licensor",
                "ServiceProvider",
                "AvailType",
                "ShortDescription",
            ):
                record.kept.append(self.fragment(child))
        return record

    def asset(self, node: Any, where: Where) -> Asset:
        a = self.a
        work_type = self.find(node, "a:WorkType") or ""
        record = Asset(
            content_id=(node.get("contentID") or "").strip(),
            work_type=work_type,
            xml=self.fragment(node),
            where=where,
        )
        metadata = None
        for name in (
            "Metadata",
            "EpisodeMetadata",
            "SeasonMetadata",
            "SeriesMetadata",
            "VolumeMetadata",
        ):
            metadata = node.find(f"{a}{name}")
            if metadata is not None:
                break
        if metadata is not None:
            kind = etree.QName(metadata).localname.replace("Metadata", "")
            prefix = kind if kind in ("Season", "Series", "Volume") else ""
            record.name = (
                self.find(metadata, f"a:{prefix}TitleDisplayUnlimited")
                or self.find(metadata, f"a:{prefix}TitleInternalAlias")
                or self.find(metadata, "a:TitleDisplayUnlimited")
                or self.find(metadata, "a:TitleInternalAlias")
            )
            for tag in (f"{prefix}EIDR-URN", "TitleEIDR-URN", "EditEIDR-URN"):
                found = self.find(metadata, f"a:{tag}")
                if found:
                    record.eidr = found
                    break
            released = self.find(metadata, "a:ReleaseDate")
            if released and released[:4].isdigit():
                record.year = int(released[:4])
            if kind == "Episode":
                record.number = _int(self.find(metadata, "a:EpisodeNumber/md:Number"))
            elif kind == "Season":
                record.number = _int(self.find(metadata, "a:SeasonNumber/md:Number"))
            elif kind == "Volume":
                record.number = _int(self.find(metadata, "a:VolumeNumber/md:Number"))
                record.first_episode = _int(self.find(metadata, "a:VolumeFirstEpisodeNumber"))
                record.episode_count = _int(self.find(metadata, "a:VolumeNumberOfEpisodes"))
            season = metadata if kind == "Season" else metadata.find(f"{a}SeasonMetadata")
            if season is not None:
                record.season_id = self.find(season, "a:SeasonContentID")
                record.season_name = self.find(
                    season, "a:SeasonTitleDisplayUnlimited"
                ) or self.find(season, "a:SeasonTitleInternalAlias")
                record.season_number = _int(self.find(season, "a:SeasonNumber/md:Number"))
            series = (
                metadata if kind == "Series" else next(metadata.iter(f"{a}SeriesMetadata"), None)
            )
            if series is not None:
                record.series_id = self.find(series, "a:SeriesContentID")
                record.series_name = self.find(
                    series, "a:SeriesTitleDisplayUnlimited"
                ) or self.find(series, "a:SeriesTitleInternalAlias")
        record.bundled = [
            alid for b in node.iter(f"{a}BundledALID") if (alid := _text(b)) is not None
        ]
        return record

    def transaction(self, node: Any, where: Where) -> Transaction:
        a, md = self.a, self.md
        record = Transaction(id=node.get("TransactionID"), license_type="", where=where)
        for child in node:
            if not isinstance(child.tag, str):
                continue
            name = child.tag[len(a) :] if child.tag.startswith(a) else ""
            value = _text(child)
            if name == "LicenseType":
                record.license_type = value or ""
            elif name in ("Territory", "TerritoryExcluded"):
                target = record.territories if name == "Territory" else record.excluded
                for code in child:
                    if isinstance(code.tag, str) and _text(code):
                        target.append(_text(code) or "")
            elif name == "Start":
                record.start = value
            elif name == "StartCondition":
                record.start_condition, record.start_lag = value, child.get("lag")
            elif name == "End":
                record.end = value
            elif name == "EndCondition":
                record.end_condition, record.end_lag = value, child.get("lag")
            elif name == "AllowedLanguage" and value:
                record.allowed.append(value)
            elif name == "HoldbackLanguage" and value:
                record.holdback.append(value)
            elif name == "Term" and self._simple_term(child):
                element = child[0]
                local = etree.QName(element).localname
                term_value = _text(element) or ""
                if child.get("termName") == "Exclusive" and local == "Boolean":
                    record.exclusive = term_value.lower() in ("true", "1")
                else:
                    record.terms.append(
                        Term(child.get("termName") or "", local, term_value, dict(element.attrib))
                    )
            else:
                record.kept.append(self.fragment(child))
        del md
        return record

    def _simple_term(self, node: Any) -> bool:
        children = [c for c in node if isinstance(c.tag, str)]
        return (
            len(children) == 1
            and len(children[0]) == 0
            and etree.QName(children[0]).localname in SIMPLE_TERM_VALUES
            and set(node.attrib) <= {"termName"}
        )


def read_xml(
    path: str, source: Any = None, progress: Progress | None = None, total: int = 0
) -> FeedRead:
    """Read and check one Avails XML feed (``source``: a file object instead of ``path``)."""
    feed = FeedRead(file=path, kind="xml")

    def report(severity: str, message: str, node: Any) -> None:
        if isinstance(node, tuple):
            problem = Problem(message, path, node[0], node[1])
        else:
            problem = Problem(message, path, node.sourceline, place_of(node))
        (feed.errors if severity == ERROR else feed.warnings).append(problem)

    checks: AvailChecks | None = None
    reader: _Reader | None = None
    root_seen = False
    count = 0
    root_path = ""
    current: list[Any] = [None, ""]  # the Avail being read, and its XPath

    def place_of(node: Any) -> str:
        """The XPath of a node of the current Avail (earlier Avails are gone from memory,
        so the document's own positions no longer count them)."""
        avail, avail_path = current
        steps = []
        while node is not None and node is not avail:
            parent = node.getparent()
            qname = etree.QName(node)
            prefix = "md" if "/schema/md/" in (qname.namespace or "") else "avails"
            same = [c for c in parent if c.tag == node.tag] if parent is not None else [node]
            index = f"[{same.index(node) + 1}]" if len(same) > 1 else ""
            steps.append(f"{prefix}:{qname.localname}{index}")
            node = parent
        if node is None:
            return str(avail_path)
        return "/".join([avail_path, *reversed(steps)])

    try:
        # The root says the version; then only Avail elements are read, one at a time.
        for _, node in xmlsafe.iterparse(source if source is not None else path, events=("start",)):
            root_seen = True
            qname = etree.QName(node)
            root_line = node.sourceline
            break
        if not root_seen:
            feed.errors.append(Problem("empty document", path))
            return feed
        if source is not None:
            source.seek(0)
        version = schema.version_of(qname.namespace or "")
        if version is None:
            feed.errors.append(
                Problem(
                    f"not an Avails feed: the root element is '{qname.localname}' in "
                    f"namespace '{qname.namespace}'",
                    path,
                    root_line,
                )
            )
            return feed
        if version not in schema.VERSIONS:
            feed.errors.append(
                Problem(
                    f"Avails version {version} is not supported (supported: "
                    f"{', '.join(schema.VERSIONS)})",
                    path,
                    root_line,
                )
            )
            return feed
        if qname.localname not in ("AvailList", "Avail"):
            feed.errors.append(
                Problem(
                    f"'{qname.localname}' is not an Avails feed: reelrights imports an "
                    "AvailList or a single Avail",
                    path,
                    root_line,
                )
            )
            return feed
        feed.version = version
        root_path = "/avails:AvailList" if qname.localname == "AvailList" else ""
        checks = AvailChecks(version, report, lambda n: (n.sourceline, place_of(n)))
        reader = _Reader(version)
        events = xmlsafe.iterparse(
            source if source is not None else path,
            events=("end",),
            tag=reader.a + "Avail",
            remove_comments=True,
        )
        for _, node in events:
            count += 1
            current[:] = [
                node,
                f"{root_path}/avails:Avail[{count}]" if root_path else "/avails:Avail",
            ]
            checks.check(node)
            where = Where(path, node.sourceline, current[1])
            feed.avails.append(reader.avail(node, where))
            # Forget the Avail and everything read before it: memory stays flat.
            node.clear(keep_tail=True)
            parent = node.getparent()
            if parent is not None:
                while node.getprevious() is not None:
                    del parent[0]
            if progress and len(feed.avails) % 500 == 0:
                done = source.tell() if hasattr(source, "tell") else len(feed.avails)
                progress(
                    f"reading {path.rsplit('/', 1)[-1]}", min(done, total or done), total or done
                )
    except xmlsafe.DoctypeRefused as error:
        feed.errors.append(Problem(error.msg, path, error.position[0] or None))
        return feed
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else None
        feed.errors.append(Problem(f"not well-formed XML: {error.msg}", path, line))
        return feed
    except OSError as error:
        feed.errors.append(Problem(f"cannot read: {error}", path))
        return feed
    if checks is not None:
        checks.finish()
    return feed


# -- writing ------------------------------------------------------------------------------


class _Writer:
    def __init__(self, version: str) -> None:
        self.version = version
        self.ns = schema.namespaces(version)
        self.a = "{" + self.ns["avails"] + "}"
        self.md = "{" + self.ns["md"] + "}"
        self.dropped: list[str] = []
        self.unsayable: set[str] = set()  # rights of the current Avail the version lacks

    def element(self, parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, self.a + name, {k: v for k, v in attrs.items() if v})
        if text is not None:
            node.text = text
        return node

    def ordered(self, node: Any, type_name: str) -> None:
        """Put ``node``'s children in schema order; drop those the version lacks."""
        order = {name: i for i, name in enumerate(schema.child_order(self.version, type_name))}
        children = list(node)
        for child in children:
            node.remove(child)
        keep = []
        for position, child in enumerate(children):
            name = etree.QName(child).localname
            if name not in order:
                self.dropped.append(f"{name} (not in Avails {self.version} {type_name})")
                if name in RIGHTS_ELEMENTS:
                    self.unsayable.add(name)
                continue
            keep.append((order[name], position, child))
        for _, _, child in sorted(keep, key=lambda item: (item[0], item[1])):
            node.append(child)

    def avail(self, record: Avail) -> Any:
        node = etree.Element(
            self.a + "Avail", nsmap={"avails": self.ns["avails"], "md": self.md[1:-1]}
        )
        self.element(node, "ALID", record.alid)
        disposition = self.element(node, "Disposition")
        self.element(disposition, "EntryType", record.entry_type or "Full Extract")
        if record.issue_date:
            self.element(disposition, "IssueDate", record.issue_date)
        for xml, name, tag in (
            (record.licensor_xml, record.licensor, "Licensor"),
            (record.service_provider_xml, record.service_provider, "ServiceProvider"),
        ):
            if xml:
                node.append(from_neutral(xml, self.version))
            elif name:
                party = self.element(node, tag)
                etree.SubElement(party, self.md + "DisplayName").text = name
        self.element(node, "AvailType", record.avail_type)
        self.element(node, "ShortDescription", record.short_description or record.alid)
        for asset in record.assets:
            node.append(self.asset(asset))
        for transaction in record.transactions:
            node.append(self.transaction(transaction))
        for xml in record.kept:
            node.append(from_neutral(xml, self.version))
        self.ordered(node, "Avail-type")
        return node

    def asset(self, record: Asset) -> Any:
        if record.xml:
            return from_neutral(record.xml, self.version)
        node = etree.Element(self.a + "Asset", contentID=record.content_id)
        self.element(node, "WorkType", record.work_type)
        name = record.name or record.content_id
        if record.work_type == "Episode":
            meta = self.element(node, "EpisodeMetadata")
            self.element(meta, "TitleDisplayUnlimited", name)
            self.element(meta, "TitleInternalAlias", name)
            number = self.element(meta, "EpisodeNumber")
            etree.SubElement(number, self.md + "Number").text = str(record.number or 0)
            self._season(meta, record)
        elif record.work_type == "Season":
            self._season(node, record, tag="SeasonMetadata")
        elif record.work_type == "Series":
            self._series(node, record)
        elif record.work_type == "Volume":
            meta = self.element(node, "VolumeMetadata")
            self.element(meta, "VolumeContentID", record.content_id)
            self.element(meta, "VolumeTitleDisplayUnlimited", name)
            self.element(meta, "VolumeTitleInternalAlias", name)
            number = self.element(meta, "VolumeNumber")
            etree.SubElement(number, self.md + "Number").text = str(record.number or 1)
            if record.first_episode is not None:
                self.element(meta, "VolumeFirstEpisodeNumber", str(record.first_episode))
                self.element(meta, "VolumeNumberOfEpisodes", str(record.episode_count or 0))
            self._season(meta, record)
            self.ordered(meta, "AvailVolumeMetadata-type")
        else:
            meta = self.element(node, "Metadata")
            self.element(meta, "TitleDisplayUnlimited", name)
            self.element(meta, "TitleInternalAlias", name)
            if record.eidr:
                self.element(meta, "TitleEIDR-URN", record.eidr)
            if record.year:
                self.element(meta, "ReleaseDate", str(record.year))
            for alid in record.bundled:
                bundled = self.element(node, "BundledAsset")
                self.element(bundled, "BundledALID", alid)
        return node

    def _season(self, parent: Any, record: Asset, tag: str = "SeasonMetadata") -> None:
        meta = self.element(parent, tag)
        self.element(meta, "SeasonContentID", record.season_id or record.content_id)
        season_name = record.season_name or f"Season {record.season_number or 1}"
        self.element(meta, "SeasonTitleDisplayUnlimited", season_name)
        self.element(meta, "SeasonTitleInternalAlias", season_name)
        number = self.element(meta, "SeasonNumber")
        etree.SubElement(number, self.md + "Number").text = str(record.season_number or 1)
        self._series(meta, record)
        self.ordered(meta, "AvailSeasonMetadata-type")

    def _series(self, parent: Any, record: Asset) -> None:
        meta = self.element(parent, "SeriesMetadata")
        self.element(meta, "SeriesContentID", record.series_id or record.content_id)
        series_name = record.series_name or record.name or record.series_id or record.content_id
        self.element(meta, "SeriesTitleDisplayUnlimited", series_name)
        self.element(meta, "SeriesTitleInternalAlias", series_name)
        self.ordered(meta, "AvailSeriesMetadata-type")

    def transaction(self, record: Transaction) -> Any:
        node = etree.Element(self.a + "Transaction")
        if record.id:
            node.set("TransactionID", record.id)
        self.element(node, "LicenseType", record.license_type)
        for tag, codes in (
            ("Territory", record.territories),
            ("TerritoryExcluded", record.excluded),
        ):
            for code in codes:
                region = self.element(node, tag)
                kind = "countryRegion" if "-" in code else "country"
                etree.SubElement(region, self.md + kind).text = code
        if record.start is not None:
            self.element(node, "Start", record.start)
        else:
            self.element(
                node,
                "StartCondition",
                record.start_condition or "Immediate",
                lag=record.start_lag or "",
            )
        if record.end is not None:
            self.element(node, "End", record.end)
        else:
            self.element(
                node, "EndCondition", record.end_condition or "Open", lag=record.end_lag or ""
            )
        for tag, tags in (
            ("AllowedLanguage", record.allowed),
            ("HoldbackLanguage", record.holdback),
        ):
            for tag_value in tags:
                self.element(node, tag, tag_value)
        if record.exclusive is not None:
            if "Exclusive" in schema.vocabulary(self.version).get("Term@termName", []):
                term = self.element(node, "Term", termName="Exclusive")
                self.element(term, "Boolean", "true" if record.exclusive else "false")
            elif record.exclusive:
                self.unsayable.add("Exclusive term")
        for item in record.terms:
            term = self.element(node, "Term", termName=item.name)
            self.element(term, item.element, item.value, **item.attributes)
        for xml in record.kept:
            node.append(from_neutral(xml, self.version))
        names = {etree.QName(c).localname for c in node}
        if not names & {"RefALID", "Term"} and schema.version_key(self.version) < (2, 4):
            # Before 2.4 a transaction carries at least one term; "NA" says there is none.
            term = self.element(node, "Term", termName="NA")
            self.element(term, "Text", "NA")
        if "Description" not in names and self.version == "2.1":
            self.element(node, "Description", record.license_type)  # required in 2.1
        has_profile = "FormatProfile" in names
        if not has_profile and "FormatProfile" in schema.child_order(
            self.version, "AvailTrans-type"
        ):
            self.element(node, "FormatProfile", "HD")  # required since 2.4; HD when not said
        self.ordered(node, "AvailTrans-type")
        return node


def render_xml(avails: Iterable[Avail], version: str = schema.LATEST) -> tuple[bytes, list[str]]:
    """An ``AvailList`` document of ``version`` and what could not be written in it."""
    writer = _Writer(version)
    root = etree.Element(
        writer.a + "AvailList",
        nsmap={"avails": writer.ns["avails"], "md": writer.ns["md"]},
    )
    xsd = schema.xml_schema(version)
    for record in avails:
        writer.unsayable = set()
        node = writer.avail(record)
        if writer.unsayable:
            lacking = ", ".join(sorted(writer.unsayable))
            writer.dropped.append(f"Avail {record.alid} (Avails {version} has no {lacking})")
            continue
        if not xsd.validate(node):
            log: Any = xsd.error_log
            first = log[0].message if len(log) else "not valid"
            for ns_uri, prefix in ((writer.ns["avails"], "avails:"), (writer.ns["md"], "md:")):
                first = first.replace("{" + ns_uri + "}", prefix)
            writer.dropped.append(f"Avail {record.alid} (not valid in Avails {version}: {first})")
            continue
        root.append(node)
    etree.cleanup_namespaces(root, top_nsmap={"avails": writer.ns["avails"], "md": writer.ns["md"]})
    text = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text, sorted(set(writer.dropped))


def validate_xml(text: bytes, version: str) -> list[str]:
    """The XSD's complaints about a document (empty when it is valid)."""
    xsd = schema.xml_schema(version)
    document = xmlsafe.parse_bytes(text)
    if xsd.validate(document):
        return []
    log: Any = xsd.error_log
    return [f"line {e.line}: {e.message}" for e in log]
