"""Change events (rule 22) on SQLite and PostgreSQL: the outbox is written with the change
or not at all, webhooks get signed JSON at least once, in order per contract, retried
and dead-lettered; alerts go out once. The fault tests run real worker processes against
a real HTTP receiver on loopback and kill -9 them mid-delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from reelrights.domain.contracts import Contract
from reelrights.domain.problems import InvalidInput
from reelrights.service import Deliverer, RightsConflict, Service
from reelrights.service.events import contract_event, contract_event_text
from reelrights.store import outbox
from reelrights.store.bulk import json_text
from reelrights.store.outbox import new_event_id, new_event_ids
from tests.store.test_options import BOOK
from tests.strategies import contracts as drawn_contract

SECRET = "a-test-secret-of-some-length"

CONFLICT = """
contracts:
  - id: hbo-clash
    licensor: studio
    licensee: hbo
    grants:
      - {titles: [film], media: [SVOD], territories: [US], start: 2025-01-01, end: 2025-12-31,
         exclusive: true}
"""

MORE = """
contracts:
  - id: hbo-pay
    licensor: studio
    licensee: hbo
    status: draft
    grants:
      - {titles: [film], media: [PAY_TV], territories: [US], start: 2025-01-01, end: 2025-12-31}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Receiver:
    """A webhook receiver on loopback: records every POST, checks its signature, and can
    answer 500 or hang for a while when told."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.received: list[dict[str, Any]] = []
        self.fail: Callable[[dict[str, Any]], bool] = lambda _: False
        self.delay: Callable[[dict[str, Any]], float] = lambda _: 0.0
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                event["signed"] = self.headers["X-Reelrights-Signature"] == expected
                event["path"] = self.path
                failing = owner.fail(event)
                with owner.lock:
                    owner.received.append({**event, "failed": failing})
                time.sleep(owner.delay(event))
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.received if not e["failed"]]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len({(e["id"], e["path"]) for e in self.accepted()}) >= count:
                return self.accepted()
            time.sleep(0.1)
        raise AssertionError(f"got {len(self.accepted())} of {count}: {self.received}")


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REELRIGHTS_SECRET_FILE", str(tmp_path / "server-secret"))
    monkeypatch.setenv("REELRIGHTS_RETRY_BASE", "0.2")
    monkeypatch.setenv("REELRIGHTS_RETRY_CAP", "1")
    monkeypatch.setenv("REELRIGHTS_LEASE_SECONDS", "2")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


def loaded(url: str) -> Service:
    svc = Service(url, actor="tester")
    svc.load_texts([("book.yaml", BOOK)])
    return svc


def types(svc: Service) -> list[tuple[str, str]]:
    return [(e.type, e.subject) for e in svc.events(limit=1000)]


def test_every_write_puts_its_events_in_the_outbox_and_a_failed_one_none(db_url: str) -> None:
    svc = loaded(db_url)
    assert types(svc) == [
        ("contract.created", "studio-owns"),
        ("contract.created", "netflix-film"),
        ("sheets.loaded", "sheets"),
    ]
    before = len(svc.events(limit=1000))
    with pytest.raises(RightsConflict):
        svc.load_texts([("clash.yaml", CONFLICT.replace("SVOD", "SVOD, PAY_TV"))])
    with pytest.raises(InvalidInput):
        svc.load_texts([("bad.yaml", MORE.replace("PAY_TV", "PAY_TVV"))])
    with pytest.raises(InvalidInput):
        svc.execute("netflix-film")  # already executed
    assert len(svc.events(limit=1000)) == before  # rolled back: no event
    svc.load_texts([("more.yaml", MORE)])
    svc.update_draft(
        "hbo-pay",
        {
            "licensor": "studio",
            "licensee": "hbo",
            "grants": [
                {
                    "titles": ["film"],
                    "media": ["PAY_TV"],
                    "territories": ["CA"],
                    "start": "2025-01-01",
                }
            ],
        },
    )
    svc.execute("hbo-pay")
    svc.terminate("hbo-pay", date(2025, 6, 1))
    svc.create_contract(
        {
            "id": "hbo-draft",
            "licensor": "studio",
            "licensee": "hbo",
            "grants": [{"titles": ["sequel"], "media": ["AVOD"], "territories": ["US"]}],
        }
    )
    assert types(svc)[before:] == [
        ("contract.created", "hbo-pay"),
        ("sheets.loaded", "sheets"),
        ("contract.updated", "hbo-pay"),
        ("contract.executed", "hbo-pay"),
        ("contract.terminated", "hbo-pay"),
        ("contract.created", "hbo-draft"),
    ]
    last = svc.events(limit=1000)[-2]
    assert last.to_json()["data"] == {
        "contract": "hbo-pay",
        "licensor": "studio",
        "licensee": "hbo",
        "status": "terminated",
        "terminated": "2025-06-01",
        "titles": ["film"],
    }
    ids = [e.id for e in svc.events(limit=1000)]
    assert len(set(ids)) == len(ids) and all(i.startswith("evt_") for i in ids)
    svc.close()


def test_event_ids_are_uuids_version_7_in_order_within_a_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/semantics.md rule 22: `evt_` and 32 hex digits, a UUID version 7 (RFC 9562):
    # the time in milliseconds first, never repeated; in order within one call
    before = time.time_ns() // 1_000_000
    bulk = new_event_ids(5000)
    ids = [*bulk, new_event_id(), *new_event_ids(3)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    assert bulk == sorted(bulk)
    for event_id in ids:
        assert event_id.startswith("evt_") and len(event_id) == 36
        found = uuid.UUID(event_id[4:])
        assert (found.version, found.variant, found.hex) == (7, uuid.RFC_4122, event_id[4:])
        assert before <= found.int >> 80 <= after
    assert new_event_ids(0) == [] and new_event_ids(-1) == []
    # counting up never runs into the variant bits, even from the largest random start
    monkeypatch.setattr(outbox.secrets, "randbits", lambda bits: (1 << bits) - 1)
    largest = new_event_ids(100_000)
    assert largest == sorted(largest) and len(set(largest)) == len(largest)
    assert {uuid.UUID(i[4:]).variant for i in largest} == {uuid.RFC_4122}


def test_webhook_urls_secrets_and_listing(db_url: str) -> None:
    svc = loaded(db_url)
    with pytest.raises(InvalidInput) as caught:
        svc.add_webhook("ftp://example.com/x", ["contract.created", "contract.sold"], "short")
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("url", "the URL must be http:// or https://, not 'ftp:'"),
        (
            "events",
            "unknown event type 'contract.sold' (expected one of contract.created, "
            "contract.updated, contract.executed, contract.terminated, sheets.loaded, "
            "feed.imported, sales.imported, payment.recorded, alert.due)",
        ),
        ("secret", "a secret of at least 16 characters"),
    ]
    for url in ("javascript:alert(1)", "http://", "file:///etc/passwd", "https://a b.com/"):
        with pytest.raises(InvalidInput):
            svc.add_webhook(url)
    assert svc.webhooks() == []
    hook, shown = svc.add_webhook("https://hooks.example.com/rr", ["contract.executed"])
    assert shown.startswith("whsec_") and len(shown) > 30
    assert [h.to_json()["url"] for h in svc.webhooks()] == ["https://hooks.example.com/rr"]
    with svc.store.reading() as reader:
        stored = reader.connection.execute(text("SELECT secret FROM webhooks")).scalar_one()
    assert shown not in stored and SECRET not in stored  # only the encrypted form
    svc.remove_webhook(hook.id)
    assert svc.webhooks() == []
    with pytest.raises(InvalidInput):
        svc.remove_webhook(hook.id)
    svc.close()


def test_signed_delivery_retries_order_per_contract_and_dead_letters(
    db_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = loaded(db_url)
    svc.add_webhook(receiver.url, secret=SECRET)
    svc.add_webhook(receiver.url.replace("/hook", "/executed"), ["contract.executed"], SECRET)
    svc.load_texts([("more.yaml", MORE)])
    svc.execute("hbo-pay")
    svc.terminate("hbo-pay", date(2025, 6, 1))
    svc.terminate("netflix-film")
    # the receiver refuses the first attempt at hbo-pay's first event
    refused: set[str] = set()

    def fail(event: dict[str, Any]) -> bool:
        if event["data"].get("contract") == "hbo-pay" and not refused:
            refused.add(event["id"])
            return True
        return False

    receiver.fail = fail
    deliverer = Deliverer(svc, alert_days=())
    first = deliverer.run_once()
    assert first is not None and first.failed == 1
    # netflix-film's and the load's events went on; hbo-pay's later ones waited their turn
    # (at the second webhook, hbo-pay's execution had no earlier event to wait for)
    assert [(e["path"], e["type"], e["data"].get("contract")) for e in receiver.accepted()] == [
        ("/hook", "sheets.loaded", None),
        ("/executed", "contract.executed", "hbo-pay"),
        ("/hook", "contract.terminated", "netflix-film"),
    ]
    time.sleep(0.3)
    deliverer.run_once()
    got = receiver.wait_for(6)
    assert all(e["signed"] for e in got)
    pay = [
        e["type"] for e in got if e["data"].get("contract") == "hbo-pay" and e["path"] == "/hook"
    ]
    assert pay == ["contract.created", "contract.executed", "contract.terminated"]
    assert {e["id"] for e in receiver.received if e["failed"]} == refused
    assert deliverer.run_once() == type(first)()  # nothing left: nothing sent twice
    # a receiver that never answers 2xx: dead-lettered after the attempts allowed
    monkeypatch.setenv("REELRIGHTS_MAX_ATTEMPTS", "3")
    receiver.fail = lambda event: True
    svc.terminate("hbo-pay", date(2025, 5, 1))
    for _ in range(3):
        deliverer.run_once()
        time.sleep(0.5)
    dead = svc.deliveries(status="dead")
    assert {d["type"] for d in dead} == {"contract.terminated"} and len(dead) == 1
    assert dead[0]["attempts"] == 3 and dead[0]["error"] == "HTTP 500"
    deliverer.release()
    svc.close()


def test_alerts_go_out_once_per_distance(db_url: str) -> None:
    svc = loaded(db_url)
    today = date(2026, 12, 1)  # netflix-film's license ends on 2026-12-31: 30 days ahead
    first = svc.raise_alerts(today)
    assert len(first) == 1
    assert svc.raise_alerts(today) == [] and svc.raise_alerts(today + timedelta(days=3)) == []
    (alert,) = [e for e in svc.events(limit=100) if e.type == "alert.due"]
    assert alert.subject == "netflix-film"
    assert alert.data["alert_days"] == 30 and alert.data["days_left"] == 30
    assert alert.data["event"]["kind"] == "license-end"
    later = svc.raise_alerts(date(2026, 12, 26))  # 5 days left: the 7-day alert
    assert len(later) == 1 and svc.raise_alerts(date(2026, 12, 30)) == []
    # first seen within 7 days: only the nearest distance is sent, the 30-day one never
    other = loaded(str(Path(db_url).parent / "other.db")) if "://" not in db_url else None
    if other is not None:
        assert len(other.raise_alerts(date(2026, 12, 28))) == 1
        assert other.raise_alerts(date(2026, 12, 1)) == []
        other.close()
    svc.close()


# -- real processes --------------------------------------------------------------------


def _worker(db_url: str, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelrights.cli.main",
            "worker",
            "--db",
            db_url,
            "--interval",
            "0.1",
            "--alert-days",
            "",
            *extra,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_receiver_down_then_up_and_worker_killed_mid_delivery(db_url: str) -> None:
    env = dict(os.environ)
    svc = loaded(db_url)
    receiver = Receiver()  # not listening yet: the receiver is down
    svc.add_webhook(receiver.url, secret=SECRET)
    worker = _worker(db_url, env)
    try:
        svc.load_texts([("more.yaml", MORE)])
        svc.execute("hbo-pay")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tried = [d for d in svc.deliveries() if d["attempts"] > 0]
            if tried:
                break
            time.sleep(0.1)
        assert tried and tried[0]["status"] == "pending" and "Connection" in tried[0]["error"]
        receiver.start()  # the receiver comes back
        got = receiver.wait_for(3)
        # order holds per contract (the load's own event may come between)
        assert [e["type"] for e in got if e["data"].get("contract") == "hbo-pay"] == [
            "contract.created",
            "contract.executed",
        ]
        # now the worker dies while the receiver holds a delivery: it comes again
        receiver.delay = lambda event: 5.0 if event["type"] == "contract.terminated" else 0.0
        svc.terminate("hbo-pay", date(2025, 6, 1))
        deadline = time.monotonic() + 30
        while not any(e["type"] == "contract.terminated" for e in receiver.received):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        receiver.delay = lambda event: 0.0
        svc.terminate("netflix-film")
        worker = _worker(db_url, env)
        got = receiver.wait_for(5)
        ids = [e["id"] for e in got]
        terminated = [e for e in got if e["type"] == "contract.terminated"]
        assert len(terminated) >= 3  # the one in flight at the kill came at least twice
        assert len(set(ids)) == 5  # nothing lost
        hbo = [e["type"] for e in got if e["data"].get("contract") == "hbo-pay"]
        assert hbo[:3] == ["contract.created", "contract.executed", "contract.terminated"]
        assert all(e["signed"] for e in got)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
        receiver.stop()
        svc.close()


def test_two_workers_deliver_each_event_once(db_url: str, receiver: Receiver) -> None:
    env = dict(os.environ)
    svc = loaded(db_url)
    svc.add_webhook(receiver.url, secret=SECRET)
    workers = [_worker(db_url, env), _worker(db_url, env)]
    try:
        for n in range(10):
            svc.load_texts([(f"more{n}.yaml", MORE.replace("hbo-pay", f"hbo-pay-{n}"))])
        got = receiver.wait_for(20)
        time.sleep(1.0)  # time for a second deliverer to (wrongly) send them again
        ids = [e["id"] for e in receiver.accepted()]
        assert len(ids) == len(set(ids)) == 20
        assert [e["data"]["contract"] for e in got if e["type"] == "contract.created"] == [
            f"hbo-pay-{n}" for n in range(10)
        ]
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(timeout=20) == 0
        svc.close()


def test_a_feed_import_gives_one_event_per_contract_and_one_for_the_import(
    tmp_path: Path,
) -> None:
    from tests.formats.test_mddf import SAMPLES, VALID_XML

    svc = Service(str(tmp_path / "feed.db"), actor="tester")
    result = svc.import_feeds([SAMPLES / "xml" / VALID_XML[-1]])
    found = svc.events(limit=10_000)
    created = [e for e in found if e.type == "contract.created"]
    assert len(created) == result.created + result.ownership > 0
    (imported,) = [e for e in found if e.type == "feed.imported"]
    assert imported.data["files"] == [str(SAMPLES / "xml" / VALID_XML[-1])]
    assert imported.data["contracts"] == len(created)
    assert found[-1] == imported  # the import's own event comes after its contracts'
    svc.close()


@settings(max_examples=200, deadline=None)
@given(drawn_contract("k1"), st.booleans())
def test_a_contract_events_text_is_its_data_as_json(contract: Contract, odd: bool) -> None:
    # a bulk load stores each contract's event data as text written directly: it must be
    # the text json_text writes of contract_event's mapping
    if odd:
        contract = replace(contract, id='k"1 é\\', licensee="p\u2028")
    kind, subject, text = contract_event_text("created", contract)
    assert (kind, subject, text) == (
        *contract_event("created", contract)[:2],
        json_text(contract_event("created", contract)[2]),
    )
    assert json.loads(text) == contract_event("created", contract)[2]
