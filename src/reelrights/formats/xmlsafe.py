"""The one place reelrights parses XML it did not write: Avails feeds and the parts of an
.xlsx workbook.

Every parse goes through :func:`iterparse` or :func:`parse_bytes`, which set lxml's options
explicitly instead of trusting the installed version's defaults (those changed between lxml
releases, and an XML external entity then reads a local file into a feed):

- ``resolve_entities=False``: no entity is expanded, internal or external, so neither a
  ``<!ENTITY x SYSTEM "file:///...">`` (XXE) nor a "billion laughs" chain of internal
  entities does anything;
- ``load_dtd=False``, ``dtd_validation=False``: no DTD is fetched or applied;
- ``no_network=True``: nothing is ever fetched over the network;
- ``huge_tree=False``: libxml2's own limits stay on (a text node of at most 10,000,000
  bytes, a nesting depth of at most 256), so one giant cell or a deeply nested document
  is a parse error in bounded memory, not gigabytes.

Beyond that a document that declares a DTD (``<!DOCTYPE ...>``) is refused outright
(:data:`DTD_REFUSED`): neither Avails feeds nor workbooks have one, and refusing it means a
declared entity can never reach a value.
"""

from __future__ import annotations

from typing import IO, Any

from lxml import etree

DTD_REFUSED = "a DTD (<!DOCTYPE ...>) is not allowed in this document"
"""The message for a document that declares a DTD, whatever the DTD says."""

_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
}


class DoctypeRefused(etree.XMLSyntaxError):
    """A document declared a DTD; :data:`DTD_REFUSED` says so, with the line."""

    def __init__(self, line: int | None) -> None:
        # lxml's constructor is (message, code, line, column); lxml-stubs only know LxmlError's
        super().__init__(DTD_REFUSED, 0, line or 0, 0)  # type: ignore[call-arg, arg-type]
        self.msg = DTD_REFUSED


def parser() -> etree.XMLParser:
    """A parser with the hardened options (for :func:`parse_bytes`)."""
    return etree.XMLParser(remove_comments=True, **_OPTIONS)


def iterparse(source: str | IO[bytes], **options: Any) -> Any:
    """``lxml.etree.iterparse`` with the hardened options; refuses a document with a DTD
    (raises :class:`DoctypeRefused`, an ``XMLSyntaxError``, at the first event)."""
    for name in _OPTIONS:
        if name in options:
            raise TypeError(f"{name} is fixed by reelrights.formats.xmlsafe")
    events = etree.iterparse(source, **options, **_OPTIONS)
    return _without_dtd(events)


def _without_dtd(events: Any) -> Any:
    checked = False
    for event, node in events:
        if not checked:
            checked = True
            _refuse_dtd(node)
        yield event, node


def parse_bytes(text: bytes | str) -> Any:
    """The root element of a whole document held in memory (hardened; no DTD allowed)."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    root = etree.fromstring(text, parser())
    _refuse_dtd(root)
    return root


def _refuse_dtd(node: Any) -> None:
    info = node.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DoctypeRefused(node.sourceline)
