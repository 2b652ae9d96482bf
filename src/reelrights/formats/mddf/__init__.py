"""MovieLabs MDDF Avails: XML feeds (versions 2.1 to 2.7) and EMA spreadsheets (1.6 to 1.9).

:func:`read_feed` reads and checks one file into records; :mod:`.mapping` turns records
into titles, parties and contracts and back; :func:`render_xml` and :func:`render_xlsx`
write records.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelrights.domain.problems import Problem

if TYPE_CHECKING:
    from reelrights.formats.mddf.schema import LATEST, VERSIONS
    from reelrights.formats.mddf.sheetfeed import TEMPLATE, read_xlsx, render_xlsx
    from reelrights.formats.mddf.xmlfeed import (
        FeedRead,
        Progress,
        read_xml,
        render_xml,
        validate_xml,
    )

# Imported on first use (PEP 562): lxml, openpyxl and the schemas cost a process that
# never reads a feed (``reelrights avails``) a few hundred milliseconds.
_LAZY = {
    "LATEST": "schema",
    "VERSIONS": "schema",
    "TEMPLATE": "sheetfeed",
    "read_xlsx": "sheetfeed",
    "render_xlsx": "sheetfeed",
    "FeedRead": "xmlfeed",
    "Progress": "xmlfeed",
    "read_xml": "xmlfeed",
    "render_xml": "xmlfeed",
    "validate_xml": "xmlfeed",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def read_feed(path: str, source: Any = None, progress: Progress | None = None) -> FeedRead:
    """Read and check an Avails XML file or EMA spreadsheet, chosen by its content."""
    from reelrights.formats.mddf.sheetfeed import read_xlsx
    from reelrights.formats.mddf.xmlfeed import FeedRead, read_xml

    head = b""
    if source is None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(8)
        except OSError as error:
            return FeedRead(path, "unknown", errors=[Problem(f"cannot read: {error}", path)])
    else:
        head = source.read(8)
        source.seek(0)
    if head.startswith(b"PK"):
        return read_xlsx(path, source, progress)
    if head.lstrip().startswith(b"<") or head.startswith(b"\xef\xbb\xbf"):
        if source is not None:
            return read_xml(path, source, progress)
        size = Path(path).stat().st_size
        with open(path, "rb") as handle:
            return read_xml(path, handle, progress, total=size)
    kind = Path(path).suffix.lower()
    return FeedRead(
        path,
        "unknown",
        errors=[
            Problem(
                f"not an Avails feed: neither XML nor an .xlsx workbook ({kind or 'no suffix'})",
                path,
            )
        ],
    )


__all__ = [
    "LATEST",
    "TEMPLATE",
    "VERSIONS",
    "FeedRead",
    "read_feed",
    "read_xlsx",
    "read_xml",
    "render_xlsx",
    "render_xml",
    "validate_xml",
]
