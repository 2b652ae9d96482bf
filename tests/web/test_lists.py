"""The list pages: the contracts list filtered, sorted and paged by the database (checked
against a brute-force oracle over every contract), its export, the change log's filters
and field-by-field diff, the catalog's filters and a title's family, the dashboard."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelrights.domain.contracts import Grant
from reelrights.domain.media import leaves_of
from reelrights.domain.territories import countries_of
from reelrights.service import ContractFilters, Service
from reelrights.web.app import create_site
from reelrights.web.lists import field_diff, pages

BASE = "https://testserver"
PARTIES = ["studio-a", "studio-b", "platform-x", "platform-y", "platform-z"]
TITLES = ["film-1", "film-2", "film-3", "film-4"]
MEDIA = ["SVOD", "AVOD", "PAY_TV", "FREE_TV"]
PLACES = ["HK", "CN", "FR", "US", "BR"]


def book(seed: int = 7, n: int = 60) -> str:
    """Studios owning four films and a show with episodes, and ``n`` random licenses that
    never clash (non-exclusive)."""
    rng = random.Random(seed)
    titles = [
        {"id": t, "name": f"Film {t[-1]}", "kind": "film", "year": 2000 + i}
        for i, t in enumerate(TITLES)
    ]
    titles += [
        {"id": "show", "name": "Kingdom", "kind": "series", "year": 2019},
        {"id": "show-s1", "name": "Season 1", "kind": "season", "parent": "show"},
        *[
            {"id": f"show-s1e{i}", "name": f"Episode {i}", "kind": "episode", "parent": "show-s1"}
            for i in (1, 2, 10)
        ],
        {"id": "box", "name": "Box set", "kind": "collection", "members": ["film-1", "film-2"]},
    ]
    contracts: list[dict[str, object]] = [
        {
            "id": "own-a",
            "licensee": "studio-a",
            "grants": [
                {
                    "titles": ["film-1", "film-2", "show"],
                    "media": ["ALL_MEDIA"],
                    "territories": ["WORLD"],
                }
            ],
        },
        {
            "id": "own-b",
            "licensee": "studio-b",
            "grants": [
                {"titles": ["film-3", "film-4"], "media": ["ALL_MEDIA"], "territories": ["WORLD"]}
            ],
        },
    ]
    for i in range(n):
        licensor = rng.choice(["studio-a", "studio-b"])
        pool = ["film-1", "film-2", "show-s1e1"] if licensor == "studio-a" else ["film-3", "film-4"]
        grants = []
        for _ in range(rng.randint(1, 2)):
            start = date(rng.randint(2010, 2020), rng.randint(1, 12), 1)
            grant: dict[str, object] = {
                "titles": rng.sample(pool, rng.randint(1, 2)),
                "media": rng.sample(MEDIA, rng.randint(1, 2)),
                "territories": rng.sample(PLACES, rng.randint(1, 2)),
                "start": start.isoformat(),
            }
            if rng.random() < 0.8:
                grant["end"] = date(start.year + rng.randint(0, 4), 12, 31).isoformat()
            grants.append(grant)
        contract: dict[str, object] = {
            "id": f"lic-{i:03d}",
            "licensor": licensor,
            "licensee": rng.choice(PARTIES[2:]),
            "status": rng.choice(["draft", "executed", "executed", "hold"]),
            "grants": grants,
        }
        if rng.random() < 0.7:
            contract["fee"] = {"amount": rng.randint(1, 50) * 1000, "currency": "USD"}
        if rng.random() < 0.5:
            contract["signed"] = date(2009, rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        contracts.append(contract)
    return yaml.safe_dump(
        {
            "parties": [{"id": p, "name": p.replace("-", " ").title()} for p in PARTIES],
            "titles": titles,
            "contracts": contracts,
        },
        sort_keys=False,
    )


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Service, dict[str, str]]:
    path: Path = tmp_path_factory.mktemp("lists") / "lists.db"
    service = Service(str(path), actor="setup")
    service.load_texts([("book.yaml", book())])
    keys = {
        "admin": service.create_key("admin")[1],
        "viewer": service.create_key("viewer")[1],
        "x": service.create_key("viewer", "platform-x")[1],
    }
    return service, keys


def client(service: Service, key: str) -> TestClient:
    browser = TestClient(create_site(service), base_url=BASE, follow_redirects=False)
    assert browser.post("/ui/login", data={"key": key}).status_code == 303
    return browser


def oracle(service: Service, f: ContractFilters) -> set[str]:
    """The contracts ``f`` keeps, by reading every contract in Python."""
    catalog = service.catalog()
    out = set()
    for c in service.contracts():
        if f.licensor and c.licensor != f.licensor:
            continue
        if f.licensee and c.licensee != f.licensee:
            continue
        if f.status and c.status != f.status:
            continue
        if f.fee_min and (c.fee is None or c.fee.amount < Decimal(f.fee_min)):
            continue
        if f.kind == "license" and c.licensor is None:
            continue
        grants = list(c.grants)
        if f.title:
            wanted = catalog.referents(f.title) | catalog.expand([f.title])
            if not any(set(g.titles) & wanted for g in grants):
                continue

        def fits(g: Grant) -> bool:
            if f.media and not set(leaves_of(g.media)) & set(f.media.split(",")):
                return False
            places = set(countries_of(g.territories))
            if f.territories and not places & set(f.territories.split(",")):
                return False
            last = date.fromisoformat(f.active_to) if f.active_to else None
            first = date.fromisoformat(f.active_from) if f.active_from else None
            if last and g.start is not None and g.start.day and g.start.day > last:
                return False
            return not (first and g.end is not None and g.end.day and g.end.day < first)

        if (f.media or f.territories or f.active_from or f.active_to) and not any(
            map(fits, grants)
        ):
            continue
        out.add(c.id)
    return out


filters = st.builds(
    ContractFilters,
    licensor=st.sampled_from(["", "studio-a", "studio-b"]),
    licensee=st.sampled_from(["", *PARTIES[2:]]),
    status=st.sampled_from(["", "draft", "executed", "hold"]),
    title=st.sampled_from(["", "film-1", "film-3", "show-s1e1", "show"]),
    media=st.sampled_from(["", "SVOD", "AVOD,PAY_TV"]),
    territories=st.sampled_from(["", "HK", "CN,FR"]),
    active_from=st.sampled_from(["", "2015-01-01"]),
    active_to=st.sampled_from(["", "2013-12-31"]),
    fee_min=st.sampled_from(["", "20000"]),
    kind=st.sampled_from(["", "license"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    f=filters,
    sort=st.sampled_from(["id", "fee", "licensee", "signed", "start", "end", "titles", "media"]),
    descending=st.booleans(),
)
def test_the_contracts_list_keeps_what_the_oracle_keeps_in_order(
    listed, f, sort, descending
) -> None:
    service, _ = listed
    query = service.contract_query(f, sort, descending, 200, 0)
    total, page = service.contract_list(query)
    expected = oracle(service, f)
    assert total == len(expected)
    assert {c.id for c in page} == expected
    names = {p.id: p.name for p in service.parties()}
    titles = {t.id: t.name for t in service.titles()}

    def key(c):  # the documented sort keys, computed from the contracts
        if sort == "fee":
            return c.fee.amount if c.fee else None
        if sort == "licensee":
            return names[c.licensee]
        if sort == "signed":
            return c.signed
        if sort == "start":
            return min((str(g.start) for g in c.grants if g.start), default=None)
        if sort == "end":
            return max(
                ("9999-12-31" if g.end is None else str(g.end) for g in c.grants), default=None
            )
        if sort == "titles":
            return min((titles[t] for g in c.grants for t in g.titles), default=None)
        if sort == "media":
            return min((",".join(leaves_of(g.media)) for g in c.grants), default=None)
        return c.id

    keys = [key(c) for c in page]
    present = [k for k in keys if k is not None]
    assert keys[: len(present)] == present  # rows without the key come last
    assert present == sorted(present, reverse=descending)


def test_paging_splits_the_list_without_gaps_or_repeats(listed) -> None:
    service, _ = listed
    query = service.contract_query(ContractFilters(), "fee", True, 25, 0)
    total, _ = service.contract_list(query)
    seen: list[str] = []
    for offset in range(0, total, 25):
        seen += [
            c.id
            for c in service.contract_list(
                service.contract_query(ContractFilters(), "fee", True, 25, offset)
            )[1]
        ]
    assert len(seen) == total == len(set(seen)) == len(service.contracts())


def test_names_and_groups_are_understood_and_bad_filters_say_so(listed) -> None:
    service, keys = listed
    by_name = service.contract_query(ContractFilters(licensor="Studio A", territories="Hong Kong"))
    assert by_name.licensor == "studio-a" and by_name.territories == frozenset({"HK"})
    browser = client(service, keys["viewer"])
    answer = browser.get("/ui/contracts?media=SVODD&licensor=Nobody&active_from=2015-13-01")
    assert answer.status_code == 200
    assert "unknown medium &#39;SVODD&#39;" in answer.text
    assert 'name="licensor" value="Nobody"' in answer.text and 'aria-invalid="true"' in answer.text
    assert "unknown party" in answer.text


def test_the_contracts_page_shows_names_sorts_and_pages(listed) -> None:
    service, keys = listed
    browser = client(service, keys["viewer"])
    text = browser.get("/ui/contracts?sort=fee&order=desc&size=25").text
    assert 'aria-sort="descending"' in text
    assert "Platform X" in text and "Studio A" in text  # parties by name
    assert (
        'aria-current="page" href="/ui/contracts?sort=fee&amp;order=desc&amp;size=25&amp;offset=0"'
        in text
    )
    assert "offset=25" in text and "page 2" in text
    page2 = browser.get("/ui/contracts?sort=fee&order=desc&size=25&offset=25").text
    assert (
        'aria-current="page" href="/ui/contracts?sort=fee&amp;order=desc&amp;size=25&amp;offset=25"'
        in page2
    )
    assert "Kingdom · S1 E1" in browser.get("/ui/contracts?title=show").text  # series context


def test_a_bound_key_lists_only_its_party(listed) -> None:
    service, keys = listed
    browser = client(service, keys["x"])
    rows = list(csv.reader(io.StringIO(browser.get("/ui/contracts.csv?party=platform-y").text)))
    assert rows[0][:3] == ["contract", "titles", "media"]
    assert rows[1:] and all(r[9] == "Platform X" for r in rows[1:])


def test_the_export_is_the_whole_filtered_list_in_order(listed) -> None:
    service, keys = listed
    browser = client(service, keys["viewer"])
    rows = list(
        csv.reader(
            io.StringIO(browser.get("/ui/contracts.csv?licensor=studio-b&sort=id&order=desc").text)
        )
    )
    expected = sorted(oracle(service, ContractFilters(licensor="studio-b")), reverse=True)
    assert [r[0] for r in rows[1:]] == expected
    sheet = browser.get("/ui/contracts.xlsx?licensor=studio-b")
    assert sheet.status_code == 200 and sheet.content.startswith(b"PK")
    assert browser.get("/ui/contracts.pdf").status_code == 404


def test_the_change_log_filters_pages_and_shows_each_field(listed) -> None:
    service, keys = listed
    browser = client(service, keys["admin"])
    if service.contract("lic-000").status != "executed":
        service.execute("lic-000")
    service.terminate("lic-000", date(2019, 1, 1))
    text = browser.get("/ui/changes?contract=lic-000").text
    assert "terminate" in text and "<code>terminated</code>" in text and "2019-01-01" in text
    assert "<code>status</code>" in text
    everything = browser.get("/ui/changes?size=25").text
    assert "page 2" in everything
    only = browser.get("/ui/changes?action=terminate").text
    assert "lic-000" in only and "lic-001" not in only
    assert (
        browser.get("/ui/changes?since=2000-01-01&until=2000-01-02").text.count("No change matches")
        == 1
    )
    refused = browser.get("/ui/changes?since=yesterday").text
    assert "From:</strong> &#39;yesterday&#39; is not a date" in refused
    assert client(service, keys["viewer"]).get("/ui/changes").status_code == 403


def test_field_diff_and_pages() -> None:
    assert field_diff(
        {"grants": [{"end": "2016"}]}, {"grants": [{"end": "2017"}, {"end": "x"}]}
    ) == [
        ("grants[1].end", "2016", "2017"),
        ("grants[2]", None, {"end": "x"}),
    ]
    assert [p and p["number"] for p in pages(100, 25, 0)] == [1, 2, 3, 4]
    assert [p and p["number"] for p in pages(0, 25, 0)] == [1]


def test_the_catalog_filters_and_a_title_shows_its_family(listed) -> None:
    service, keys = listed
    browser = client(service, keys["viewer"])
    episodes = browser.get("/ui/?kind=episode").text
    order = [episodes.index(f"Kingdom · S1 E{n}<") for n in (1, 2, 10)]
    assert order == sorted(order)  # under their series, in number order
    assert "Film 3" not in browser.get("/ui/?owner=studio-a").text
    assert "Film 1" in browser.get("/ui/?owner=studio-a").text
    assert "Film 2" not in browser.get("/ui/?year=2000").text
    film = browser.get("/ui/titles/film-1").text
    assert 'href="/ui/titles/box">Box set' in film
    season = browser.get("/ui/titles/show-s1").text
    assert 'href="/ui/titles/show">Kingdom' in season and "Kingdom · S1 E10" in season


def test_the_dashboard_reads_counts_from_the_database(listed) -> None:
    service, keys = listed
    text = client(service, keys["admin"]).get("/ui/home").text
    counts = service.status_counts()
    assert f"{counts['hold']} hold" in text


def test_visits_without_a_cookie_are_not_wrong_keys(listed) -> None:
    service, keys = listed
    anonymous = TestClient(create_site(service), base_url=BASE, follow_redirects=False)
    for _ in range(30):  # more than the 20 failures an address may make
        assert anonymous.get("/ui/contracts").status_code == 303
    assert anonymous.post("/ui/login", data={"key": keys["viewer"]}).status_code == 303
