"""The one facade every outer layer calls: load, execute, terminate, ask, export.

It turns user text (codes, dates, file contents) into domain values, keeps an avails index
of the stored book in memory, and lets the engine decide. The store is the source of
truth: before every question and inside every write, the index catches up with the rows
written since the book version it last saw, so a write made by any process is seen by the
very next question. Problems in the input raise :class:`InvalidInput` (nothing is
stored); a write that would break avails raises :class:`RightsConflict` with the engine's
reports (nothing is stored either).

:class:`Service` is one class made of one mixin per job, each in its own module:
:mod:`.base` (the store, the index, who is acting, the write transaction),
:mod:`.loading` (deal sheets), :mod:`.contracts` (a contract's life), :mod:`.questions`
(avails, as-of, grid, check), :mod:`.search` (the avails search and the next window),
:mod:`.names` (names instead of ids), :mod:`.calendar` (dates that matter), :mod:`.events`
and :mod:`.delivery` (change events, webhooks, alerts), :mod:`.keys` (API keys),
:mod:`.catalog` (listings and export), :mod:`.lists` (list pages paged by the database),
:mod:`.feeds` (MovieLabs Avails feeds),
:mod:`.extract` (deal news to draft contracts), :mod:`.tables` (CSV and XLSX files safe
against formula injection) :mod:`.money` (exchange rates, sales, statements,
payments) and :mod:`.persisted` (the saved index). New jobs add a module and a mixin.
"""

from __future__ import annotations

from reelrights.service.base import (
    BULK_LOCKS,
    Acting,
    Progress,
    RightsConflict,
    ServiceBase,
    missing_database,
)
from reelrights.service.broker import BrokerTarget, broker_from_environment
from reelrights.service.calendar import CalendarJobs
from reelrights.service.catalog import ListingJobs
from reelrights.service.contracts import ContractJobs
from reelrights.service.delivery import BackgroundDelivery, Deliverer
from reelrights.service.events import EVENT_TYPES, EventJobs, Webhook
from reelrights.service.extract import ArticleDrafts, ExtractJobs, SavedDrafts
from reelrights.service.feeds import ExportedFeed, FeedJobs, ImportResult
from reelrights.service.keys import ApiKey, KeyJobs
from reelrights.service.lists import PAGE_SIZES, ContractFilters, ListJobs
from reelrights.service.loading import LoadingJobs, LoadResult
from reelrights.service.money import MoneyJobs, SalesResult
from reelrights.service.permissions import ROLES, NotFound, PermissionJobs, Permissions, Refused
from reelrights.service.persisted import IndexFiles, IndexFileStatus
from reelrights.service.questions import QuestionJobs
from reelrights.service.search import NextWindow, SearchAnswer, SearchJobs
from reelrights.service.signin import TooManyAttempts
from reelrights.service.tables import TABLE_KINDS, TableJobs

__all__ = [
    "BULK_LOCKS",
    "EVENT_TYPES",
    "PAGE_SIZES",
    "ROLES",
    "TABLE_KINDS",
    "Acting",
    "ApiKey",
    "ArticleDrafts",
    "BackgroundDelivery",
    "BrokerTarget",
    "ContractFilters",
    "Deliverer",
    "ExportedFeed",
    "ImportResult",
    "IndexFileStatus",
    "LoadResult",
    "NextWindow",
    "NotFound",
    "Permissions",
    "Progress",
    "Refused",
    "RightsConflict",
    "SalesResult",
    "SavedDrafts",
    "SearchAnswer",
    "Service",
    "TooManyAttempts",
    "Webhook",
    "broker_from_environment",
    "missing_database",
]


class Service(
    EventJobs,
    CalendarJobs,
    MoneyJobs,
    ContractJobs,
    QuestionJobs,
    SearchJobs,
    KeyJobs,
    FeedJobs,
    ExtractJobs,
    LoadingJobs,
    ListingJobs,
    ListJobs,
    PermissionJobs,
    TableJobs,
    IndexFiles,
    ServiceBase,
):
    """reelrights on one database."""
