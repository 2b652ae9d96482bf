"""Pure functions over domain values: holdings, encumbrances, avails, contract checks."""

from reelrights.engine.avails import (
    REASONS,
    AvailsReport,
    AvailsRequest,
    Unavailable,
    Warning,
)
from reelrights.engine.book import ContractCheck, RightsBook, validate_contract

__all__ = [
    "REASONS",
    "AvailsReport",
    "AvailsRequest",
    "ContractCheck",
    "RightsBook",
    "Unavailable",
    "Warning",
    "validate_contract",
]
