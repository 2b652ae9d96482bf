"""A contract's life: drafts, checks, execution and termination."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from reelrights.domain.contracts import Contract
from reelrights.domain.problems import InvalidInput, Problem
from reelrights.engine import ContractCheck, validate_contract
from reelrights.formats import sheet as sheets
from reelrights.service.base import RightsConflict, json_safe, lock_keys
from reelrights.service.catalog import ListingJobs
from reelrights.service.events import contract_event
from reelrights.service.loading import LoadingJobs
from reelrights.service.names import NameIndex, resolve_sheet_names
from reelrights.service.permissions import PermissionJobs, Permissions


class ContractJobs(LoadingJobs, ListingJobs, PermissionJobs):
    """Creating, changing, checking, executing and terminating contracts; when acting for
    a key, only as :mod:`.permissions` allows."""

    def execute(self, contract_id: str) -> Contract:
        """Execute a draft or hold contract, if all its grants are available."""
        return self._change_status(contract_id, "executed", None)

    def terminate(self, contract_id: str, on: date | None = None) -> Contract:
        """Terminate an executed contract: in force until the day before ``on``, or void
        when no date is given. Never rewrites another contract (see :meth:`check`)."""
        return self._change_status(contract_id, "terminated", on)

    def _change_status(self, contract_id: str, status: str, on: date | None) -> Contract:
        with self.store.reading() as reader:
            current = reader.contract(contract_id)
        if current is None:
            raise InvalidInput([Problem(f"unknown contract '{contract_id}'", field="contract")])
        self._require_writable(current)
        allowed = {"executed": ("draft", "hold"), "terminated": ("executed", "terminated")}
        if current.status not in allowed[status]:
            raise InvalidInput(
                [
                    Problem(
                        f"contract '{contract_id}' is {current.status}; only a "
                        f"{' or '.join(allowed[status])} contract can be {status}",
                        field="status",
                    )
                ]
            )
        if (
            status == "terminated"
            and current.status == "terminated"
            and (current.terminated is None or on is None or on > current.terminated)
        ):
            raise InvalidInput(
                [
                    Problem(
                        f"contract '{contract_id}' is already terminated; a new termination date "
                        "may only bring the end earlier",
                        field="terminated",
                    )
                ]
            )
        updated = replace(current, status=status, terminated=on)
        with self._writing(sorted(lock_keys([current]))) as writer:
            state = self._fresh(writer)
            before = state.version
            if writer.contract(contract_id) != current:
                raise InvalidInput(
                    [
                        Problem(
                            f"contract '{contract_id}' changed meanwhile; try again",
                            field="contract",
                        )
                    ]
                )
            if status == "executed":
                check = state.book.check(updated)
                if not check.ok:
                    raise RightsConflict([check])
            writer.replace_contract(updated)
            writer.log(
                self._who().actor,
                "execute" if status == "executed" else "terminate",
                "contract",
                contract_id,
                json_safe(sheets.render_contract(current, state.media, state.geography)),
                json_safe(sheets.render_contract(updated, state.media, state.geography)),
            )
            writer.add_events([contract_event(status, updated)])
            state.book.replace(updated)
        self._wrote(writer, before)
        return updated

    def _one_contract(self, document: dict[str, Any], where: str) -> Contract:
        """A contract from its deal-sheet mapping, the parties and titles it names by name
        resolved to ids (docs/semantics.md rule 13)."""
        media, geography = self.vocabularies()
        sheet = sheets.parse_document({"contracts": [document]}, where, media, geography)
        if sheet.problems:
            raise InvalidInput(sheet.problems)
        state = self._current()
        problems = resolve_sheet_names(
            sheet,
            NameIndex("party", {p.id: p.name for p in state.parties.values()}),
            NameIndex("title", {t.id: t.name for t in state.catalog.titles.values()}),
        )
        if problems:
            raise InvalidInput(problems)
        return sheet.contracts[0]

    def _with_party_ids(self, document: dict[str, Any]) -> dict[str, Any]:
        """``document`` with a licensor and licensee given by name replaced by their ids
        (a name that names no one is left for the full check to report)."""
        parties = NameIndex("party", {p.id: p.name for p in self._current().parties.values()})
        out = dict(document)
        for role in ("licensor", "licensee"):
            if isinstance(out.get(role), str) and out[role].strip():
                found, _ = parties.find(out[role])
                out[role] = found or out[role]
        return out

    def contract_id_taken(self, contract_id: str) -> bool:
        """Whether a stored contract already has this id (a new deal may not reuse it)."""
        with self.store.reading() as reader:
            return reader.contract(contract_id) is not None

    def check_contract(self, document: dict[str, Any], new: bool = False) -> ContractCheck:
        """Whether a contract (a deal-sheet mapping, stored or not) could be executed now,
        grant by grant, with the avails report of each: nothing is stored. A stored
        contract of the same id is left out of the book while it is checked, unless the
        contract is ``new`` (a deal being entered): then every stored contract counts,
        whatever id the new one was given."""
        contract = self._one_contract({**document, "status": "executed"}, "contract")
        who = self._who()
        # Only for a deal the key could store: else it would ask avails as another party.
        Permissions.of(who).require_write(contract.licensor, contract.licensee)
        state = self._current()
        for role, party in contract.named_parties():
            if party not in state.parties:
                raise InvalidInput([Problem(f"unknown party '{party}'", field=role)])
        with self._lock:
            check = state.book.check(contract, is_new=new, today=datetime.now(UTC).date())
        return self.redact_check(who, check)

    def create_contract(self, document: dict[str, Any]) -> Contract:
        """Store a new contract from its deal-sheet mapping, as a draft unless it says
        ``hold`` (executing is a separate step, see :meth:`execute`)."""
        document = self._with_party_ids(document)
        Permissions.of(self._who()).require_write(
            document.get("licensor") or None, document.get("licensee")
        )
        self._require_free_id(str(document.get("id", "")))
        document = {**document, "status": document.get("status") or "draft"}
        if document["status"] not in ("draft", "hold"):
            raise InvalidInput(
                [
                    Problem(
                        "a new contract is a draft or a hold; execute it afterwards", field="status"
                    )
                ]
            )
        contract = self._one_contract(document, "contract")
        try:
            self.load_sheets([sheets.DealSheet("contract", contracts=[contract])], announce=False)
        except InvalidInput:
            self._require_free_id(contract.id)  # created meanwhile by another party
            raise
        return self.contract(contract.id)

    def update_draft(self, contract_id: str, document: dict[str, Any]) -> Contract:
        """Replace a draft's definition (its id and status stay)."""
        current = self.contract(contract_id)
        self._require_writable(current)
        if current.status != "draft":
            raise InvalidInput(
                [
                    Problem(
                        f"contract '{contract_id}' is {current.status}; only "
                        "a draft can be changed",
                        field="status",
                    )
                ]
            )
        updated = self._one_contract({**document, "id": contract_id, "status": "draft"}, "contract")
        Permissions.of(self._who()).require_write(updated.licensor, updated.licensee)
        with self._writing(sorted(lock_keys([current, updated]))) as writer:
            state = self._fresh(writer)
            before = state.version
            problems = [p for p in validate_contract(updated, state.catalog)]
            for role, party in updated.named_parties():
                if party not in state.parties:
                    problems.append(Problem(f"unknown party '{party}'", field=role))
            if problems:
                raise InvalidInput(problems)
            if writer.contract(contract_id) != current:
                raise InvalidInput(
                    [
                        Problem(
                            f"contract '{contract_id}' changed meanwhile; try again",
                            field="contract",
                        )
                    ]
                )
            writer.rewrite_contract(updated)
            writer.log(
                self._who().actor,
                "update",
                "contract",
                contract_id,
                json_safe(sheets.render_contract(current, state.media, state.geography)),
                json_safe(sheets.render_contract(updated, state.media, state.geography)),
            )
            writer.add_events([contract_event("updated", updated)])
        self._wrote(writer, before)
        return updated
