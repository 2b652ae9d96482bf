"""schemathesis against the app's own OpenAPI schema: no 5xx, responses match the schema.

Runs in-process with an admin key on a small book, a bounded number of examples per
operation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from reelrights.api.app import create_app
from reelrights.service import Service
from tests.store.test_service import BOOK

_folder = Path(tempfile.mkdtemp(prefix="reelrights-schema-"))
_service = Service(str(_folder / "schema.db"), actor="schemathesis")
_service.load_texts([("book.yaml", BOOK)])
_, KEY = _service.create_key("admin")
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_service))


@schema.parametrize()
# Every health check applies but the timing one: generating bodies from the schema is slow
# on a loaded 2-core machine, and that says nothing about the API.
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_api_honours_its_schema(case: schemathesis.Case) -> None:
    # A schema-valid body may still name an unknown party or title: a 422 is the right
    # answer then, so "positive data acceptance" does not apply to this API.
    response = case.call(headers={"Authorization": f"Bearer {KEY}"})
    # A body over its size limit is refused (413) before it is parsed, valid or not.
    excluded = [positive_data_acceptance]
    if response.status_code == 413:
        excluded.append(negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded)
