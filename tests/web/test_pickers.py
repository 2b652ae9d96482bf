"""The pickers' choices (``GET /ui/pick/KIND``) in-process: what each kind offers, that a
party's key is offered only its own titles, and that hostile queries get bounded answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelrights.service import Service
from reelrights.web.pickers import MAX_LIMIT, MEDIA_TREE
from tests.store.test_service import BOOK
from tests.web.test_pages import client

SERIES = """
titles:
  - {id: mlfts, name: "My Love from the Star", kind: series}
  - {id: mlfts-s1, name: "Season 1", kind: season, parent: mlfts}
  - {id: mlfts-s1e3, name: "Episode 3", kind: episode, parent: mlfts-s1}
  - {id: stardust, name: "Stardust", kind: film, year: 2007}
"""


@pytest.fixture
def site(tmp_path: Path) -> tuple[Service, dict[str, str]]:
    service = Service(str(tmp_path / "pick.db"), actor="setup")
    service.load_texts([("book.yaml", BOOK), ("series.yaml", SERIES)])
    keys = {
        "viewer": service.create_key("viewer")[1],
        "tencent": service.create_key("viewer", "tencent")[1],
    }
    return service, keys


def pick(browser, kind: str, **params: str) -> dict:
    answer = browser.get(f"/ui/pick/{kind}", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()


def test_titles_are_offered_by_name_with_their_series(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    found = pick(browser, "titles", q="episode 3")
    (episode,) = [i for i in found["items"] if i["value"] == "mlfts-s1e3"]
    assert episode["label"] == "My Love from the Star · S1 E3"
    assert "episode" in episode["detail"]
    # by a word of the name, a collection too
    hope = pick(browser, "titles", q="hope")["items"]
    assert [i["value"] for i in hope] == ["sw4"]
    assert pick(browser, "titles", q="star wars")["items"][0]["value"] == "saga"
    # the eidr matches, and says so
    by_eidr = pick(browser, "titles", q="10.5240/XXXX")["items"]
    assert by_eidr[0]["value"] == "sw4" and "eidr" in by_eidr[0]["detail"]


def test_media_are_the_grouped_tree_in_the_taxonomy_order(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    tree = pick(browser, "media", limit="50")["items"]
    values = [i["value"] for i in tree]
    assert values[0] == "ALL_MEDIA"
    # every heading then its leaves, one level deeper
    at = values.index("ONLINE")
    assert values[at + 1 : at + 6] == ["EST", "TVOD", "SVOD", "AVOD", "FVOD"]
    assert [i["depth"] for i in tree[at : at + 6]] == [0, 1, 1, 1, 1, 1]
    headings = [i["label"] for i in tree if i["depth"] == 0 and i["group"] == "Media"]
    # a single leaf (PHYSICAL, under "Home video") stands without a heading
    assert headings == [
        "All media",
        "Theatrical",
        "Online",
        "Television",
        "Ancillary",
        "Marketing",
        "Derivative",
    ]
    # a heading without a code is chosen as its leaves
    assert "THEATRICAL, NON_THEATRICAL" in values
    # the other built-in groups and this book's own group are offered whole
    assert {"HOME_ENTERTAINMENT", "STREAMING", "DIGITAL"} <= set(values)
    # by label: a leaf is listed under its group's heading
    svod = pick(browser, "media", q="subscription")["items"]
    assert [(i["value"], i["depth"]) for i in svod] == [("ONLINE", 0), ("SVOD", 1)]
    assert svod[1]["detail"] == "SVOD · Online"
    television = [i["value"] for i in pick(browser, "media", q="tv")["items"]]
    assert {"TELEVISION", "PAY_TV", "FREE_TV", "BASIC_TV"} <= set(television)


def test_territories_by_name_with_regions_and_the_trade_groups(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    hong_kong = pick(browser, "territories", q="hong")["items"]
    assert hong_kong[0] == {
        "value": "HK",
        "label": "Hong Kong",
        "detail": "HK",
        "group": "Countries",
        "depth": 0,
    }
    china = [i["value"] for i in pick(browser, "territories", q="china")["items"]]
    assert china[0] == "CN" and "GREATER_CHINA" in china
    # the twelve trade groups, WORLD and this book's group, before any region or country
    browse = pick(browser, "territories", limit="50")["items"]
    groups = [i["value"] for i in browse if i["group"] == "Groups"]
    assert groups[0] == "WORLD" and len(groups) == 1 + 12 + 1 and "greater-china" in groups
    latam = pick(browser, "territories", q="latam")["items"][0]
    assert latam["value"] == "LATAM" and "trade group" in latam["detail"]
    asia = pick(browser, "territories", q="eastern asia")["items"]
    assert asia[0]["value"] == "EASTERN_ASIA" and asia[0]["group"] == "Regions"
    assert "M49 region 030" in asia[0]["detail"] and "HK" in asia[0]["detail"]
    assert pick(browser, "territories", q="030")["items"][0]["value"] == "EASTERN_ASIA"
    # accents and case do not matter
    assert pick(browser, "territories", q="COTE D'IVOIRE")["items"][0]["value"] == "CI"


def test_parties_by_name_or_id(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    assert [i["value"] for i in pick(browser, "parties", q="walt")["items"]] == ["disney"]
    assert pick(browser, "parties", q="tencent")["items"][0]["label"] == "Tencent Video"


def test_a_partys_key_is_offered_only_its_own_titles(site) -> None:
    service, keys = site
    mine = client(service, keys["tencent"])
    offered = {i["value"] for i in pick(mine, "titles", limit="50")["items"]}
    assert offered == {"saga", "sw4", "sw5"}  # tencent-online names the saga
    everyone = client(service, keys["viewer"])
    assert "mlfts" in {i["value"] for i in pick(everyone, "titles", limit="50")["items"]}


def test_pickers_need_a_key_and_answer_hostile_queries_in_bounds(site) -> None:
    service, keys = site
    anonymous = client(service, None)
    refused = anonymous.get("/ui/pick/titles?q=star")
    assert refused.status_code == 401 and refused.json()["detail"].startswith("sign in")
    browser = client(service, keys["viewer"])
    assert browser.get("/ui/pick/contracts").status_code == 404
    assert browser.get("/ui/pick/titles", params={"q": "x" * 201}).status_code == 422
    for limit in ("0", "51", "-1", "1e3", "٣", "99999999999999999999", ""):
        answer = browser.get("/ui/pick/territories", params={"limit": limit})
        assert answer.status_code == 422, limit
    # at most the limit asked, never more than MAX_LIMIT; the total says how many matched
    many = pick(browser, "territories", limit=str(MAX_LIMIT))
    assert len(many["items"]) == MAX_LIMIT < many["total"]
    assert len(pick(browser, "territories")["items"]) == 20
    for kind in ("titles", "media", "territories", "parties"):
        for hostile in ("<script>alert(1)</script>", "' OR 1=1 --", "%00 zz", "[](){}*+?\\ qq"):
            answer = pick(browser, kind, q=hostile)
            assert answer["query"] == hostile and answer["items"] == [], (kind, hostile)
        # no letter nor digit at all: read as an empty query, the first choices
        answer = pick(browser, kind, q="\x00\x1f*")
        assert 0 < len(answer["items"]) <= 20


def test_the_media_tree_holds_every_leaf_once() -> None:
    from reelrights.domain.media import LEAVES

    leaves = [leaf for _, _, members in MEDIA_TREE for leaf in members]
    assert sorted(leaves) == sorted(LEAVES) and len(leaves) == len(set(leaves))
    first = [LEAVES.index(members[0]) for _, _, members in MEDIA_TREE]
    assert first == sorted(first)


WORDS = ["Star", "Wars", "Hope", "Amélie", "star-wars", "Love", "the", "Côte"]


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
        min_size=1,
        max_size=12,
    ),
    query=st.lists(
        st.sampled_from([*WORDS, "sta", "amel", "ove", "", "wars hope"]), max_size=2
    ).map(" ".join),
)
def test_the_pickers_title_search_finds_what_the_catalog_search_finds(
    names: list[str], query: str
) -> None:
    """The picker's quicker search against the catalog search as the oracle: the same
    titles (leaving out the oracle's close spellings), and the count it reports."""
    from reelrights.domain.titles import Catalog, Title
    from reelrights.service.names import find_titles as catalog_search
    from reelrights.web.pickers import find_titles

    catalog = Catalog([Title(f"t{i}", name) for i, name in enumerate(names)])
    exact = {f.title.id for f in catalog_search(catalog, query)} - {
        f.title.id
        for f in catalog_search(catalog, query)
        if f.matched == "name" and _only_close(f.text, query)
    }
    total, found = find_titles(catalog, query, 50)
    if exact:
        assert {f.title.id for f in found} == exact and total == len(exact)


def _only_close(text: str, query: str) -> bool:
    """Whether the catalog search found ``text`` for ``query`` by close spelling alone."""
    from reelrights.web.pickers import fold, rank_folded

    return (
        rank_folded(fold(query), fold(text)) is None
        and rank_folded(fold(query), fold(text).replace("-", " ")) is None
    )


def test_a_misspelt_title_is_still_offered(site) -> None:
    service, keys = site
    browser = client(service, keys["viewer"])
    found = pick(browser, "titles", q="Stardusst")["items"]
    assert [i["value"] for i in found] == ["stardust"]
