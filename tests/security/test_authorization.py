"""Issue 11 points 1-4: who may write which contract, what a party's key may see in a
conflict report, the change log, and the existence of another party's contract ids.

The API and the web UI are both asked the same questions: they share one rule."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import pytest

from reelrights.domain.problems import InvalidInput
from reelrights.service import ApiKey
from tests.security.conftest import ORIGIN, Book, contract_doc


def deal_form(contract_id: str, licensor: str, licensee: str, titles: str = "sw5") -> dict:
    return {
        "id": contract_id,
        "licensor": licensor,
        "licensee": licensee,
        "grant_count": "1",
        "grants-0-titles": titles,
        "grants-0-media": "SVOD",
        "grants-0-territories": "CN",
        "grants-0-start": "2017-01-01",
        "grants-0-end": "2017-12-31",
    }


def exists(book: Book, contract_id: str) -> bool:
    return book.api("admin").get(f"/contracts/{contract_id}").status_code == 200


# -- point 1: a party's key writes only contracts where that party is the licensor -------


def test_point1_a_licensees_key_cannot_grant_itself_the_licensors_rights(book: Book) -> None:
    tencent = book.api("tencent")
    # A contract walt-disney -> tencent, made by tencent's key: refused, nothing stored.
    taken = tencent.post("/contracts", json=contract_doc("grab", "walt-disney", "tencent"))
    assert taken.status_code == 403, taken.text
    assert not exists(book, "grab")
    # Nor may it execute, change or terminate the contracts it is only the licensee of.
    assert tencent.post("/contracts/disney-tencent-draft/execute").status_code == 403
    changed = tencent.put(
        "/contracts/disney-tencent-draft",
        json={k: v for k, v in contract_doc("x", "walt-disney", "tencent").items() if k != "id"},
    )
    assert changed.status_code == 403
    assert tencent.post("/contracts/disney-tencent/terminate", json={}).status_code == 403
    admin = book.api("admin")
    assert admin.get("/contracts/disney-tencent-draft").json()["status"] == "draft"
    assert admin.get("/contracts/disney-tencent").json()["status"] == "executed"
    # Where tencent is the licensor (sw5 online in CN, held with the right to
    # sublicense), its key may create and execute.
    mine = contract_doc("tencent-iqiyi", "tencent", "iqiyi")
    assert tencent.post("/contracts", json=mine).status_code == 201
    assert tencent.post("/contracts/tencent-iqiyi/execute").status_code == 200
    # An ownership record belongs to its licensee.
    owner = contract_doc("iqiyi-owns-y", None, "iqiyi", titles=["film-x"])
    assert book.api("tencent").post("/contracts", json=owner).status_code == 403
    assert book.api("iqiyi").post("/contracts", json=owner).status_code == 201


def test_point1_the_web_ui_applies_the_same_rule(book: Book) -> None:
    browser = book.browser("tencent")
    stored = browser.post(
        "/ui/contracts", data=deal_form("lg-iq", "lionsgate", "iqiyi", "film-x"), headers=ORIGIN
    )
    assert stored.status_code == 403, stored.text[:300]
    assert not exists(book, "lg-iq")
    grab = browser.post(
        "/ui/contracts", data=deal_form("grab", "walt-disney", "tencent"), headers=ORIGIN
    )
    assert grab.status_code == 403
    assert not exists(book, "grab")
    executed = browser.post("/ui/contracts/disney-tencent-draft/execute", headers=ORIGIN)
    assert executed.status_code == 403
    terminated = browser.post(
        "/ui/contracts/disney-tencent/terminate", data={"on": "2017-01-01"}, headers=ORIGIN
    )
    assert terminated.status_code == 403
    mine = browser.post(
        "/ui/contracts", data=deal_form("tencent-iqiyi", "tencent", "iqiyi"), headers=ORIGIN
    )
    assert mine.status_code == 303
    assert exists(book, "tencent-iqiyi")


# -- point 2: a conflict report names only the contracts the key may read ---------------


def claim(book: Book, who: str) -> dict:
    """An ownership record of sw4, which walt-disney already owns."""
    return contract_doc(f"{who}-claims-sw4", None, who, titles=["sw4"], media=["ALL_MEDIA"])


def test_point2_a_409_names_only_contracts_the_key_may_read(book: Book) -> None:
    iqiyi = book.api("iqiyi")
    assert iqiyi.post("/contracts", json=claim(book, "iqiyi")).status_code == 201
    rejected = iqiyi.post("/contracts/iqiyi-claims-sw4/execute")
    assert rejected.status_code == 409
    conflict = rejected.json()["conflicts"][0]
    assert conflict["contract"] == "iqiyi-claims-sw4"  # its own contract: named
    blocked = [u for g in conflict["grants"] for u in g["unavailable"]]
    assert blocked and {u["reason"] for u in blocked} == {"already-owned"}
    assert all(u["titles"] == ["sw4"] and u["territories"] for u in blocked)  # the box stays
    assert {u["contract"] for u in blocked} == {None}  # walt-disney's record is not named
    assert "disney-owns" not in rejected.text
    # An unbound key sees who owns it.
    admin = book.api("admin")
    assert admin.post("/contracts", json=claim(book, "lionsgate")).status_code == 201
    named = admin.post("/contracts/lionsgate-claims-sw4/execute").json()
    assert {u["contract"] for g in named["conflicts"][0]["grants"] for u in g["unavailable"]} == {
        "disney-owns"
    }


def test_point2_the_live_deal_check_and_the_pages_hide_them_too(book: Book) -> None:
    browser = book.browser("iqiyi")
    form = deal_form("", "", "iqiyi", "sw4")
    check = browser.post("/ui/contracts/check", data=form, headers=ORIGIN)
    assert check.status_code == 200
    assert "already-owned" in check.text and "disney-owns" not in check.text
    assert book.api("iqiyi").post("/contracts", json=claim(book, "iqiyi")).status_code == 201
    page = browser.post("/ui/contracts/iqiyi-claims-sw4/execute", headers=ORIGIN)
    assert page.status_code == 409
    assert "already-owned" in page.text and "disney-owns" not in page.text
    # The live check answers only for deals the key could store: tencent may not ask it
    # as walt-disney (it would list walt-disney's other licensees).
    spy = book.browser("tencent").post(
        "/ui/contracts/check", data=deal_form("", "walt-disney", "lionsgate", "sw4"), headers=ORIGIN
    )
    assert spy.status_code == 403
    assert "disney-iqiyi" not in spy.text


# -- point 3: the change log and party-bound admin keys ---------------------------------


def test_point3_no_admin_key_is_bound_to_a_party(book: Book) -> None:
    with pytest.raises(InvalidInput, match="admin key cannot be bound"):
        book.service.create_key("admin", "tencent")


def test_point3_a_bound_admin_key_made_before_cannot_read_the_change_log(book: Book) -> None:
    # A key stored before the rule (or written by hand): refused, not scoped.
    secret = _legacy_admin(book)
    api = book.api()
    answer = api.get("/changes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 403, answer.text[:200]
    assert "disney-iqiyi" not in answer.text
    browser = book.api()
    signed = browser.post("/ui/login", data={"key": secret}, headers=ORIGIN, follow_redirects=False)
    assert signed.status_code == 303
    page = browser.get("/ui/changes", follow_redirects=False)
    assert page.status_code == 403
    assert "disney-iqiyi" not in page.text
    # An unbound admin reads it all.
    assert book.api("admin").get("/changes").json()["total"] > 0


def _legacy_admin(book: Book) -> str:
    """A party-bound admin key stored directly, as an older version allowed."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1)
    stored = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
    row = ApiKey(key_id, stored, "admin", "tencent", "legacy", datetime.now(UTC), None)
    with book.service.store.writing() as writer:
        writer.add_key(row)
    return f"rr_{key_id}_{secret}"


# -- point 4: another party's contract id is not revealed --------------------------------


def test_point4_an_existing_id_of_another_party_answers_like_any_refusal(book: Book) -> None:
    tencent = book.api("tencent")
    taken = tencent.post("/contracts", json=contract_doc("disney-iqiyi", "tencent", "iqiyi"))
    forbidden = tencent.post("/contracts", json=contract_doc("never-was", "lionsgate", "iqiyi"))
    assert taken.status_code == forbidden.status_code == 403
    assert taken.json() == forbidden.json()
    assert "exist" not in taken.text
    # The web form: the same page for both.
    browser = book.browser("tencent")
    page_taken = browser.post(
        "/ui/contracts", data=deal_form("disney-iqiyi", "tencent", "iqiyi"), headers=ORIGIN
    )
    page_forbidden = browser.post(
        "/ui/contracts", data=deal_form("never-was", "lionsgate", "iqiyi"), headers=ORIGIN
    )
    assert page_taken.status_code == page_forbidden.status_code == 403
    assert page_taken.text == page_forbidden.text
    # A key that may read the contract learns nothing new: it is told the id is taken.
    iqiyi = book.api("iqiyi")
    own = iqiyi.post(
        "/contracts", json=contract_doc("disney-iqiyi", None, "iqiyi", titles=["film-x"])
    )
    assert own.status_code == 422 and "already exists" in own.text
