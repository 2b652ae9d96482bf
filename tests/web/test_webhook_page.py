"""The webhooks page: admins only, a bad URL refused in place, the secret shown once,
removal, and the deliveries listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelrights.service import Service
from tests.store.test_service import BOOK
from tests.web.test_pages import BASE, client


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Service, dict[str, str]]:
    monkeypatch.setenv("REELRIGHTS_SECRET_FILE", str(tmp_path / "server-secret"))
    service = Service(str(tmp_path / "web.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK)])
    keys = {"admin": service.create_key("admin")[1], "editor": service.create_key("editor")[1]}
    return service, keys


def test_admins_manage_webhooks_and_see_deliveries(site) -> None:
    service, keys = site
    assert client(service, keys["editor"]).get("/ui/webhooks").status_code == 403
    admin = client(service, keys["admin"])
    assert 'href="/ui/webhooks"' in admin.get("/ui/contracts").text
    headers = {"origin": BASE}
    refused = admin.post("/ui/webhooks", data={"url": "ftp://x.example"}, headers=headers)
    assert refused.status_code == 422 and "must be http:// or https://" in refused.text
    assert service.webhooks() == []
    made = admin.post(
        "/ui/webhooks",
        data={"url": "http://127.0.0.1:9/hook", "events": ["contract.executed"]},
        headers=headers,
    )
    assert made.status_code == 200
    (hook,) = service.webhooks()
    secret = made.text.split('<code id="secret">')[1].split("</code>")[0]
    assert secret.startswith("whsec_")
    listed = admin.get("/ui/webhooks").text
    assert hook.id in listed and secret not in listed  # never shown again
    assert (
        admin.post(
            "/ui/webhooks", data={"url": "https://evil.example"}, headers={"origin": "https://evil"}
        ).status_code
        == 403
    )
    service.execute("youku-draft")
    from reelrights.service import Deliverer

    Deliverer(service, alert_days=()).run_once()
    rows = admin.get("/ui/webhooks").text.split('id="deliveries"')[1]
    assert "contract.executed" in rows and "pending" in rows and "Connection" in rows
    gone = admin.post(f"/ui/webhooks/{hook.id}/remove", headers=headers)
    assert gone.status_code == 303 and service.webhooks() == []
