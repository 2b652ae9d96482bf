"""The checks an Avails feed passes before anything of it is stored.

Per Avail element (XML as received, or built from spreadsheet rows): the version's XSD,
the validator's structure rules (``structure_avail_v*.json``: XPath cardinalities with a
severity), its controlled vocabularies (``vocab_avail_v*.json``), the codes (ISO 3166
countries and subdivisions, RFC 5646 language tags, ISO 4217 currencies), content
ratings against the rating systems reelrights knows, and across the feed, TV volumes
that claim the same episode. Each finding names its element; the reader turns that into
an XPath and line, or a sheet cell.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import langcodes
import pycountry
from lxml import etree

from reelrights.formats.mddf import schema

ERROR, WARNING = "error", "warning"
WORLDWIDE = "ZZ"
"""The EMA templates' worldwide territory (used with TerritoryExclusion: "ZZ" but "US, CA")."""

Report = Callable[[str, str, Any], None]
"""report(severity, message, element or (line, path) of one no longer in memory)"""


@cache
def _ratings() -> dict[str, Any]:
    text = (schema.data_dir() / "ratings.json").read_text(encoding="utf-8")
    systems: dict[str, Any] = json.loads(text)["systems"]
    return systems


@cache
def _currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _subdivisions() -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions)


@cache
def _two_letter_of() -> dict[str, str]:
    return {lang.alpha_3: lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")}


@cache
def language_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid RFC 5646 language tag, or None.

    Beyond well-formedness: the language subtag must be the shortest registered one
    ('en', not 'eng'), and a region subtag a real ISO 3166 country or a UN M49 number.

    >>> language_problem("es-419") is None and language_problem("cmn") is None
    True
    >>> language_problem("ENg")
    "'ENg' is not an RFC 5646 language tag: use 'en' for 'eng'"
    >>> language_problem("fr-xx")
    "'fr-xx' is not an RFC 5646 language tag: 'XX' is not an ISO 3166 country"
    """
    text = tag.strip()
    if not text or not langcodes.tag_is_valid(text):
        return f"'{tag}' is not an RFC 5646 language tag"
    parts = text.split("-")
    primary = parts[0].lower()
    if len(primary) == 3 and primary in _two_letter_of():
        shortest = _two_letter_of()[primary]
        return f"'{tag}' is not an RFC 5646 language tag: use '{shortest}' for '{primary}'"
    for part in parts[1:]:
        if part.lower() in ("x",):
            break  # private use follows
        if len(part) == 2 and part.isalpha() and part.upper() not in _countries():
            country = part.upper()
            return (
                f"'{tag}' is not an RFC 5646 language tag: '{country}' is not an ISO 3166 country"
            )
    return None


def _local(element: Any) -> str:
    tag = element.tag
    return tag.split("}")[-1] if isinstance(tag, str) else ""


def _xpath(expression: str) -> str:
    """A rule table's path, with its ``{avail}``/``{md}`` markers as prefixes and its
    document-wide ``.//`` anchored on the Avail being checked."""
    text = schema.rule_path(expression)
    if text.startswith(".//"):
        text = "descendant-or-self::" + text[3:]
    return text


@dataclass
class AvailChecks:
    """The checks of one version; feed it Avail elements, then call :meth:`finish`."""

    version: str
    report: Report
    locate: Callable[[Any], Any] = lambda node: node
    """What to keep of an element for a report after the element is gone from memory."""
    _volumes: dict[str, list[tuple[int, int, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def __post_init__(self) -> None:
        self.ns = schema.namespaces(self.version)
        self.schema = schema.xml_schema(self.version)
        self.vocab = schema.vocabulary(self.version)
        self.rules = [
            (
                etree.XPath(_xpath(rule["targetPath"]), namespaces=self.ns),
                [
                    (
                        [
                            etree.XPath(_xpath(x), namespaces=self.ns)
                            for x in (c["xpath"] if isinstance(c["xpath"], list) else [c["xpath"]])
                        ],
                        int(c["min"]) if "min" in c else None,
                        int(c["max"]) if "max" in c else None,
                        ERROR if c.get("severity", "Error").lower() == "error" else WARNING,
                        c.get("msg") or f"structure rule '{name}' not met",
                    )
                    for c in rule["constraint"]
                ],
            )
            for name, rule in schema.structure_rules(self.version).items()
        ]

    def check(self, avail: Any, xsd: bool = True) -> None:
        """Every per-Avail check of one ``Avail`` element."""
        if xsd:
            self._check_xsd(avail)
        self._check_structure(avail)
        self._check_vocabulary(avail)
        self._check_codes(avail)
        self._check_ratings(avail)
        self._note_volume(avail)

    def _check_xsd(self, avail: Any) -> None:
        if self.schema.validate(avail):
            return
        lines: dict[int, Any] = {}
        for node in avail.iter():
            if isinstance(node.tag, str) and node.sourceline is not None:
                lines.setdefault(node.sourceline, node)
        log: Any = self.schema.error_log
        for entry in log:
            message = entry.message.replace(f"{{{self.ns['avails']}}}", "avails:")
            message = message.replace(f"{{{self.ns.get('md', '')}}}", "md:")
            self.report(ERROR, f"schema: {message}", lines.get(entry.line, avail))

    def _check_structure(self, avail: Any) -> None:
        for target, constraints in self.rules:
            found: Any = target(avail)
            for node in found:
                for paths, least, most, severity, message in constraints:
                    count = sum(len(cast(list[Any], path(node))) for path in paths)
                    if (least is not None and count < least) or (most is not None and count > most):
                        self.report(severity, message, node)

    def _vocab(self, node: Any, key: str, value: str | None, label: str) -> None:
        allowed = self.vocab.get(key)
        if allowed is not None and value is not None and value.strip() not in allowed:
            self.report(ERROR, f"{label} '{value}' is not one of the {key} values", node)

    def _check_vocabulary(self, avail: Any) -> None:
        a = "{" + self.ns["avails"] + "}"
        simple = {
            "AvailType": "AvailType",
            "EntryType": "EntryType",
            "LicenseType": "LicenseType",
            "LicenseRightsDescription": "LicenseRightsDescription",
            "FormatProfile": "FormatProfile",
            "StartCondition": "DateTimeCondition",
            "EndCondition": "DateTimeCondition",
            "LocalizationOffering": "LocalizationOffering",
            "USACaptionsExemptionReason": "USACaptionsExemptionReason",
            "ExperienceCondition": "ExperienceCondition",
            "WorkType": "WorkType",
            "SeasonStatus": "SeasonStatus",
            "SeriesStatus": "SeriesStatus",
        }
        for node in avail.iter(f"{a}*"):
            name = _local(node)
            if name in simple:
                self._vocab(node, simple[name], node.text, name)
            elif name == "Status":
                parent = _local(node.getparent())
                kind = parent.replace("Metadata", "") + "Status"
                self._vocab(node, kind, node.text, f"{parent} Status")
            elif name == "Term":
                self._vocab(node, "Term@termName", node.get("termName"), "Term termName")
            elif name == "SharedEntitlement":
                self._vocab(node, "SharedEntitlement@ecosystem", node.get("ecosystem"), "ecosystem")

    def _check_codes(self, avail: Any) -> None:
        md = "{" + self.ns.get("md", "") + "}"
        a = "{" + self.ns["avails"] + "}"
        for node in avail.iter(f"{md}country"):
            code = (node.text or "").strip()
            if code not in _countries() and code != WORLDWIDE:
                self.report(ERROR, f"'{code}' is not an ISO 3166-1 country code", node)
        for node in avail.iter(f"{md}countryRegion"):
            code = (node.text or "").strip()
            if code not in _subdivisions():
                self.report(ERROR, f"'{code}' is not an ISO 3166-2 subdivision code", node)
        for tag in ("AllowedLanguage", "AssetLanguage", "HoldbackLanguage"):
            for node in avail.iter(f"{a}{tag}"):
                problem = language_problem(node.text or "")
                if problem:
                    self.report(ERROR, problem, node)
        for node in avail.iter(f"{a}Money", f"{md}Money"):
            currency = node.get("currency")
            if currency is not None and currency not in _currencies():
                self.report(ERROR, f"'{currency}' is not an ISO 4217 currency code", node)

    def _check_ratings(self, avail: Any) -> None:
        md = "{" + self.ns.get("md", "") + "}"
        systems = _ratings()
        for rating in avail.iter(f"{md}Rating"):
            name = (rating.findtext(f"{md}System") or "").strip()
            system = systems.get(name)
            if system is None:
                self.report(WARNING, f"rating system '{name}' is unknown to reelrights", rating)
                continue
            regions = {(c.text or "").strip() for c in rating.iter(f"{md}country")}
            for region in sorted(regions - set(system["regions"])):
                self.report(WARNING, f"rating system '{name}' is not used in '{region}'", rating)
            value = rating.find(f"{md}Value")
            if value is not None and (value.text or "").strip() not in system["values"]:
                self.report(ERROR, f"'{value.text}' is not a rating of the {name} system", value)
            for reason in rating.iter(f"{md}Reason"):
                codes = system.get("reasons")
                if codes is not None and (reason.text or "").strip() not in codes:
                    self.report(
                        ERROR,
                        f"rating reason '{reason.text}' is not one of the {name} system's codes",
                        reason,
                    )

    def _note_volume(self, avail: Any) -> None:
        a = "{" + self.ns["avails"] + "}"
        for volume in avail.iter(f"{a}VolumeMetadata"):
            first = volume.findtext(f"{a}VolumeFirstEpisodeNumber")
            count = volume.findtext(f"{a}VolumeNumberOfEpisodes")
            season = volume.findtext(f"{a}SeasonMetadata/{a}SeasonContentID")
            if first and count and season and first.strip().isdigit() and count.strip().isdigit():
                start = int(first)
                place = self.locate(volume)
                self._volumes[season.strip()].append((start, start + int(count), place))

    def finish(self) -> None:
        """Checks across the feed: an episode may fall in one volume of its season only."""
        for volumes in self._volumes.values():
            claimed: dict[int, Any] = {}
            for start, stop, volume in volumes:
                for episode in range(start, stop):
                    if episode in claimed:
                        self.report(
                            ERROR,
                            f"episode {episode} is already in another volume of this season",
                            volume,
                        )
                    else:
                        claimed[episode] = volume
