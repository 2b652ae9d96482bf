"""The short way through :func:`~reelrights.engine.book.validate_contract` for the
contracts a bulk load brings by the million: plain ones that plainly have no problem."""

from __future__ import annotations

from reelrights.domain.contracts import Contract
from reelrights.domain.titles import Catalog


def plainly_valid(contract: Contract, catalog: Catalog) -> bool:
    """True only for a contract in which ``validate_contract`` would find no problem, told
    by a few direct looks: licensor and licensee differ, no options, no holdbacks on an
    ownership record, and every grant and holdback names titles the catalog knows, none
    of them a collection (so they cover at least themselves), with a term of fixed days
    (or open) that does not end before it starts. False says nothing: validate it."""
    licensor = contract.licensor
    if contract.options or licensor == contract.licensee:
        return False
    if licensor is None and contract.holdbacks:
        return False
    titles = catalog.titles
    for items in (contract.grants, contract.holdbacks):
        for item in items:
            if not item.titles:
                return False
            for title_id in item.titles:
                title = titles.get(title_id)
                if title is None or title.kind == "collection":
                    return False
            first = None if item.start is None else item.start.day
            last = None if item.end is None else item.end.day
            if (first is None and item.start is not None) or (
                last is None and item.end is not None
            ):
                return False  # relative to a release: validate it
            if first is not None and last is not None and last < first:
                return False
    return True
