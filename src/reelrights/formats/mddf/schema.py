"""The MovieLabs Avails versions reelrights reads and writes, and their shipped data.

Each Avails XML version has its own namespace, its own XSD (which imports a Common
Metadata and a Media Entertainment Core schema of a matching version) and, in the
validator's rule tables, its own controlled vocabularies and structure rules. This module
finds all of them in ``data/`` (copied from MovieLabs' public repositories, MIT licensed,
see ``data/LICENSE-*.txt``) and caches the compiled schemas.

>>> avails_namespace("2.4")
'http://www.movielabs.com/schema/avails/v2.4/avails'
>>> version_of("http://www.movielabs.com/schema/avails/v2.2.2/avails")
'2.2.2'
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

VERSIONS = ("2.1", "2.2", "2.2.1", "2.2.2", "2.3", "2.4", "2.5", "2.5.2", "2.6", "2.7")
"""Avails XML versions with a usable XSD (2.6.1's imports a schema MovieLabs never published)."""

LATEST = "2.7"
XS = "{http://www.w3.org/2001/XMLSchema}"
_NAMESPACE = re.compile(r"^http://www\.movielabs\.com/schema/avails/v([0-9.]+)/avails$")


def data_dir() -> Path:
    return Path(str(resources.files("reelrights.formats.mddf") / "data"))


def avails_namespace(version: str) -> str:
    return f"http://www.movielabs.com/schema/avails/v{version}/avails"


def version_of(namespace: str) -> str | None:
    """The Avails version a namespace names, or None when it is not an Avails namespace."""
    found = _NAMESPACE.match(namespace)
    return found.group(1) if found else None


@cache
def namespaces(version: str) -> dict[str, str]:
    """Prefix → namespace for a version: ``avails``, ``md`` and ``mdmec`` (from its XSD)."""
    out = {"avails": avails_namespace(version)}
    for item in _xsd_document(version).iter(f"{XS}import"):
        namespace = item.get("namespace") or ""
        if "/schema/md/" in namespace:
            out["md"] = namespace
        elif "/schema/mdmec/" in namespace:
            out["mdmec"] = namespace
    return out


@cache
def _xsd_document(version: str) -> Any:
    path = data_dir() / "schemas" / f"avails-v{version}.xsd"
    return etree.parse(str(path))


@cache
def xml_schema(version: str) -> etree.XMLSchema:
    """The compiled XSD of a version (its imports resolve to the shipped files)."""
    return etree.XMLSchema(_xsd_document(version))


@cache
def child_order(version: str, type_name: str) -> tuple[str, ...]:
    """The local names of a complex type's child elements in schema order (nested
    choices and sequences flattened, which is the order any valid instance uses)."""
    found = _xsd_document(version).find(f"{XS}complexType[@name='{type_name}']")
    if found is None:
        return ()
    names: list[str] = []
    for element in found.iter(f"{XS}element"):
        name = element.get("name") or (element.get("ref") or "").split(":")[-1]
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _rules_version(prefix: str, version: str) -> str | None:
    """The newest rule table of ``prefix`` at or below ``version`` (2.7 uses 2.6.1's)."""
    folder = data_dir() / "rules"
    known = sorted(
        (version_key(m.group(1)), m.group(1))
        for p in folder.glob(f"{prefix}_v*.json")
        if (m := re.match(rf"{prefix}_v([0-9.]+)\.json$", p.name))
    )
    best = None
    for key, name in known:
        if key <= version_key(version):
            best = name
    return best or (known[0][1] if known else None)


def version_key(version: str) -> tuple[int, ...]:
    """A version as numbers, for comparing: ``"2.2.2"`` → ``(2, 2, 2)``."""
    return tuple(int(part) for part in version.split("."))


def rule_path(expression: str) -> str:
    """A path from the validator's tables with its ``{avail}``/``{md}`` markers written as
    the ``avails:``/``md:`` prefixes (bind them with :func:`namespaces`)."""
    return expression.replace("{avail}", "avails:").replace("{md}", "md:")


@cache
def structure_rules(version: str) -> dict[str, Any]:
    """The validator's structure requirements for a version (name → rule)."""
    found = _rules_version("structure_avail", version)
    if found is None:
        return {}
    text = (data_dir() / "rules" / f"structure_avail_v{found}.json").read_text(encoding="utf-8")
    rules: dict[str, Any] = json.loads(text)["StrucRqmts"]
    return rules


@cache
def vocabulary(version: str) -> dict[str, list[str]]:
    """The Avails controlled vocabularies for a version, plus Common Metadata's work types."""
    found = _rules_version("vocab_avail", version) or "2.7"
    rules = data_dir() / "rules"
    out: dict[str, list[str]] = json.loads(
        (rules / f"vocab_avail_v{found}.json").read_text(encoding="utf-8")
    )["avail"]
    oldest = json.loads((rules / "vocab_avail_v2.1.json").read_text(encoding="utf-8"))["avail"]
    # The descriptive license vocabulary of 2.1 (New Release, Library, ...) stays in use in
    # later feeds; a LicenseRightsDescription may also repeat a LicenseType.
    out = dict(out)
    out["LicenseRightsDescription"] = sorted(
        set(out.get("LicenseRightsDescription", []))
        | set(oldest.get("LicenseRightsDescription", []))
        | set(out.get("LicenseType", []))
    )
    cm = json.loads((rules / "vocab_cm_v2.12.json").read_text(encoding="utf-8"))["cm"]
    out["WorkType"] = list(cm["WorkType"])
    return out


@cache
def sheet_columns(template: str) -> dict[str, Any]:
    """The validator's spreadsheet column → XPath map for a template version (1.7 to 1.9)."""
    table = json.loads((data_dir() / "rules" / "xlsx-Mappings.json").read_text(encoding="utf-8"))
    key = "V" + template.replace(".", "_")
    sheets: dict[str, Any] = table.get(key, {})
    return sheets
