"""The home page (a dashboard) of the signed-in key: counts, licenses starting and ending
in the next 90 days, holds, and the latest changes when the key may read the log."""

from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from reelrights.service import Service
from reelrights.service.permissions import Permissions

SOON = 90  # days ahead the dashboard looks
LISTED = 50  # items in each of its lists


def add_home_page(app: FastAPI, service: Service, page: Any, signed: Any) -> None:
    @app.get("/ui/home", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, key: signed) -> HTMLResponse:
        may = Permissions.of(key)
        _, party = may.contract_party(None)
        today = date.today()
        until = today + timedelta(days=SOON)
        # Candidates come from the database (a page of each, never the whole book); the
        # days are then read from each candidate's grants as before.
        dated, ending_ids, holds = service.dated_licenses(today, until, party, limit=LISTED)
        ending_ids_set = {c.id for c in ending_ids}
        starting, ending = [], []
        for contract in {c.id: c for c in dated + ending_ids}.values():
            if contract.licensor is None or not contract.in_force():
                continue
            for grant in contract.grants:
                start = grant.start.day if grant.start and grant.start.day else None
                end = grant.end.day if grant.end and grant.end.day else None
                if contract.status == "terminated" and contract.terminated is not None:
                    last = contract.terminated - timedelta(days=1)
                    end = last if end is None or last < end else end
                if start is not None and today <= start <= until:
                    starting.append((start, contract, grant))
                if contract.id in ending_ids_set and end is not None and today <= end <= until:
                    ending.append((end, contract, grant))
        by_status = service.status_counts(party)
        answer: HTMLResponse = page(
            request,
            "home.html",
            key,
            party=party,
            counts=service.counts(),
            by_status=by_status,
            starting=sorted(starting, key=lambda item: (item[0], item[1].id))[:LISTED],
            ending=sorted(ending, key=lambda item: (item[0], item[1].id))[:LISTED],
            holds=holds,
            changes=service.history(limit=10) if may.may_read_changes() else [],
            soon=SOON,
        )
        return answer
