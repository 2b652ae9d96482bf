"""The home page (a dashboard) of the signed-in key: counts, licenses starting and ending
in the next 90 days, holds, and the latest changes when the key may read the log."""

from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from reelrights.service import Service
from reelrights.service.permissions import Permissions

SOON = 90  # days ahead the dashboard looks


def add_home_page(app: FastAPI, service: Service, page: Any, signed: Any) -> None:
    @app.get("/ui/home", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, key: signed) -> HTMLResponse:
        may = Permissions.of(key)
        _, party = may.contract_party(None)
        today = date.today()
        until = today + timedelta(days=SOON)
        contracts = service.contracts(party=party)
        starting, ending = [], []
        for contract in contracts:
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
                if end is not None and today <= end <= until:
                    ending.append((end, contract, grant))
        by_status: dict[str, int] = {}
        for contract in contracts:
            by_status[contract.status] = by_status.get(contract.status, 0) + 1
        answer: HTMLResponse = page(
            request,
            "home.html",
            key,
            party=party,
            counts=service.counts(),
            by_status=by_status,
            starting=sorted(starting, key=lambda item: (item[0], item[1].id))[:50],
            ending=sorted(ending, key=lambda item: (item[0], item[1].id))[:50],
            holds=[c for c in contracts if c.status == "hold"][:50],
            changes=service.history(limit=10) if may.may_read_changes() else [],
            soon=SOON,
        )
        return answer
