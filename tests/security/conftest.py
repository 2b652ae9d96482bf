"""A small book with four parties, and keys of every kind, for the security tests.

walt-disney owns sw4 and sw5, lionsgate owns film-x; walt-disney licensed sw4 SVOD in CN
to iqiyi (exclusive) and sw5 ONLINE in CN to tencent (exclusive, with the right to
sublicense), so tencent may grant sw5 onward in CN; ``disney-tencent-draft`` is a draft
between walt-disney and tencent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelrights.service import Service
from reelrights.web.app import create_site

BOOK = """
parties:
  - {id: walt-disney, name: The Walt Disney Company}
  - {id: tencent, name: Tencent Video}
  - {id: lionsgate, name: Lionsgate}
  - {id: iqiyi, name: iQIYI}
titles:
  - {id: sw4, name: "A New Hope", kind: film}
  - {id: sw5, name: "The Empire Strikes Back", kind: film}
  - {id: film-x, name: "Film X", kind: film}
contracts:
  - id: disney-owns
    licensee: walt-disney
    grants:
      - {titles: [sw4, sw5], media: [ALL_MEDIA], territories: [WORLD], start: 1977-05-25}
  - id: lionsgate-owns
    licensee: lionsgate
    grants:
      - {titles: [film-x], media: [ALL_MEDIA], territories: [WORLD], start: 2000-01-01}
  - id: disney-iqiyi
    licensor: walt-disney
    licensee: iqiyi
    grants:
      - {titles: [sw4], media: [SVOD], territories: [CN], start: 2016-01-01,
         end: 2016-12-31, exclusive: true}
  - id: disney-tencent
    licensor: walt-disney
    licensee: tencent
    grants:
      - {titles: [sw5], media: [ONLINE], territories: [CN], start: 2016-01-01,
         end: 2020-12-31, exclusive: true, sublicense: true}
  - id: disney-tencent-draft
    licensor: walt-disney
    licensee: tencent
    status: draft
    grants:
      - {titles: [sw4], media: [AVOD], territories: [HK], start: 2017-01-01,
         end: 2017-12-31}
"""

BASE = "https://testserver"
ORIGIN = {"Origin": BASE}


@dataclass
class Book:
    """The service, one site over it, and a key of each kind by name."""

    service: Service
    keys: dict[str, str]

    def api(self, name: str | None = None) -> TestClient:
        """An API client sending the named key (none: no key)."""
        client = TestClient(create_site(self.service), base_url=BASE, raise_server_exceptions=False)
        if name:
            client.headers["Authorization"] = f"Bearer {self.keys[name]}"
        return client

    def browser(self, name: str) -> TestClient:
        """A web client signed in with the named key."""
        client = TestClient(
            create_site(self.service),
            base_url=BASE,
            follow_redirects=False,
            raise_server_exceptions=False,
        )
        answer = client.post("/ui/login", data={"key": self.keys[name]}, headers=ORIGIN)
        assert answer.status_code == 303, answer.text[:300]
        return client


KEYS = (
    ("admin", "admin", None),
    ("editor", "editor", None),
    ("tencent", "editor", "tencent"),
    ("tencent-viewer", "viewer", "tencent"),
    ("iqiyi", "editor", "iqiyi"),
    ("lionsgate", "editor", "lionsgate"),
)


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Book]:
    service = Service(str(tmp_path / "security.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    keys = {name: service.create_key(role, party)[1] for name, role, party in KEYS}
    yield Book(service, keys)
    service.close()


def contract_doc(contract_id: str, licensor: str | None, licensee: str, **grant: object) -> dict:
    """A contract mapping for ``POST /contracts`` with one grant (sw5 ONLINE CN 2017)."""
    one = {
        "titles": ["sw5"],
        "media": ["SVOD"],
        "territories": ["CN"],
        "start": "2017-01-01",
        "end": "2017-12-31",
        **grant,
    }
    document: dict[str, object] = {"id": contract_id, "licensee": licensee, "grants": [one]}
    if licensor is not None:
        document["licensor"] = licensor
    return document
