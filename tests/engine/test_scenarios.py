"""Every rule of docs/semantics.md as a small deal sheet a rights analyst could read."""

from __future__ import annotations

import pytest

from tests.helpers import Scenario, free, reasons

STAR_WARS = """
parties:
  - {id: disney, name: The Walt Disney Company}
  - {id: tencent, name: Tencent Video}
  - {id: youku, name: Youku}
titles:
  - {id: sw4, name: "A New Hope", kind: film, release: 1977-05-25}
  - {id: sw5, name: "The Empire Strikes Back", kind: film}
  - {id: saga, name: "Star Wars", kind: collection, members: [sw4, sw5]}
contracts:
  - id: disney-owns
    licensee: disney
    grants:
      - {titles: [saga], media: [ALL_MEDIA], territories: [WORLD], start: 1977-05-25}
  - id: tencent-online
    licensor: disney
    licensee: tencent
    grants:
      - {titles: [saga], media: [ONLINE], territories: [CN], start: 2016-01-01,
         end: 2016-12-31, exclusive: true}
"""


def test_exclusive_online_rights_in_cn_block_svod_in_cn_but_not_in_hk() -> None:
    s = Scenario(STAR_WARS)
    report = s.ask("disney", "sw4", "SVOD", "CN,HK", "2016-01-01", "2016-12-31")
    assert report.status == "partial"
    assert reasons(report) == [
        ("exclusive-license", "tencent-online", ["CN"], "2016-01-01", "2016-12-31")
    ]
    assert free(report) == [(["SVOD"], ["HK"], "2016-01-01", "2016-12-31")]


def test_inclusive_end_blocks_the_last_day_and_frees_the_next() -> None:
    s = Scenario(STAR_WARS)
    assert s.ask("disney", "sw4", "SVOD", "CN", "2016-12-31", "2016-12-31").status == "unavailable"
    assert s.ask("disney", "sw4", "SVOD", "CN", "2017-01-01", "2017-01-01").status == "available"


def test_a_collection_grant_blocks_one_member_title() -> None:
    s = Scenario(STAR_WARS)
    report = s.ask("disney", "sw5", "AVOD", "CN", "2016-03-01", "2016-03-31")
    assert reasons(report) == [
        ("exclusive-license", "tencent-online", ["CN"], "2016-03-01", "2016-03-31")
    ]


def test_a_collection_grows_with_the_library() -> None:
    grown = STAR_WARS.replace("members: [sw4, sw5]", "members: [sw4, sw5, sw6]").replace(
        "  - {id: saga,", '  - {id: sw6, name: "Return of the Jedi", kind: film}\n  - {id: saga,'
    )
    s = Scenario(grown)
    report = s.ask("disney", "sw6", "SVOD", "CN", "2016-03-01", "2016-03-31")
    assert report.status == "unavailable"


HOLDBACK = (
    STAR_WARS
    + """
  - id: tencent-holdback
    licensor: disney
    licensee: tencent
    grants:
      - {titles: [sw4], media: [PAY_TV], territories: [HK], start: 2016-01-01, end: 2016-12-31}
    holdbacks:
      - {titles: [saga], media: [FREE_TV], territories: [CN], start: 2016-01-01,
         end: 2016-06-30}
"""
)


def test_a_holdback_splits_a_term() -> None:
    s = Scenario(HOLDBACK)
    report = s.ask("disney", "sw4", "FREE_TV", "CN", "2016-01-01", "2016-12-31")
    assert report.status == "partial"
    assert reasons(report) == [("holdback", "tencent-holdback", ["CN"], "2016-01-01", "2016-06-30")]
    assert free(report) == [(["FREE_TV"], ["CN"], "2016-07-01", "2016-12-31")]


NON_EXCLUSIVE = (
    STAR_WARS
    + """
  - id: youku-avod
    licensor: disney
    licensee: youku
    grants:
      - {titles: [sw4], media: [AVOD], territories: [HK], start: 2016-01-01, end: 2016-12-31}
"""
)


def test_a_non_exclusive_license_blocks_only_an_exclusive_request() -> None:
    s = Scenario(NON_EXCLUSIVE)
    shared = s.ask("disney", "sw4", "AVOD", "HK", "2016-01-01", "2016-12-31")
    assert shared.status == "available"
    exclusive = s.ask("disney", "sw4", "AVOD", "HK", "2016-01-01", "2016-12-31", exclusive=True)
    assert reasons(exclusive) == [
        ("non-exclusive-license", "youku-avod", ["HK"], "2016-01-01", "2016-12-31")
    ]


def test_reasons_follow_the_order_of_design_then_the_smallest_contract_id() -> None:
    text = (
        NON_EXCLUSIVE
        + """
  - id: a-holdback-first-by-id
    licensor: disney
    licensee: youku
    grants:
      - {titles: [sw5], media: [PAY_TV], territories: [HK], start: 2016-01-01, end: 2016-01-31}
    holdbacks:
      - {titles: [sw4], media: [AVOD], territories: [HK], start: 2016-01-01, end: 2016-03-31}
"""
    )
    s = Scenario(text)
    report = s.ask("disney", "sw4", "AVOD", "HK", "2016-01-01", "2016-12-31", exclusive=True)
    assert reasons(report) == [
        ("holdback", "a-holdback-first-by-id", ["HK"], "2016-01-01", "2016-03-31"),
        ("non-exclusive-license", "youku-avod", ["HK"], "2016-04-01", "2016-12-31"),
    ]


CHAIN = (
    STAR_WARS.replace("exclusive: true}", "exclusive: true, sublicense: true}")
    + """
  - id: tencent-to-youku
    licensor: tencent
    licensee: youku
    grants:
      - {titles: [sw4], media: [SVOD], territories: [CN], start: 2016-06-01, end: 2017-05-31}
"""
)


def test_a_licensee_without_sublicense_rights_holds_nothing() -> None:
    s = Scenario(STAR_WARS)
    report = s.ask("tencent", "sw4", "SVOD", "CN", "2016-01-01", "2016-12-31")
    assert reasons(report) == [("not-held", None, ["CN"], "2016-01-01", "2016-12-31")]


def test_a_sublicense_chain_is_clipped_to_the_parent_term() -> None:
    s = Scenario(CHAIN, check=False)
    # Tencent holds SVOD in CN through 2016 only: its grant to Youku reaches past that.
    report = s.ask("tencent", "sw4", "SVOD", "CN", "2016-06-01", "2017-05-31", exclusive=True)
    assert reasons(report) == [
        ("non-exclusive-license", "tencent-to-youku", ["CN"], "2016-06-01", "2016-12-31"),
        ("not-held", None, ["CN"], "2017-01-01", "2017-05-31"),
    ]
    # Loaded with checks, the over-long sublicense is refused.
    checked = Scenario(CHAIN)
    assert list(checked.rejected) == ["tencent-to-youku"]
    verdict = checked.rejected["tencent-to-youku"]
    assert reasons(verdict.reports[0]) == [("not-held", None, ["CN"], "2017-01-01", "2017-05-31")]
    # Within the parent term it is accepted, and then encumbers Tencent.
    fits = Scenario(CHAIN.replace("end: 2017-05-31", "end: 2016-11-30"))
    assert not fits.rejected
    assert (
        fits.ask("tencent", "sw4", "SVOD", "CN", "2016-07-01", "2016-07-31").status == "available"
    )  # the sublicense is non-exclusive
    assert (
        fits.ask("tencent", "sw4", "SVOD", "CN", "2016-07-01", "2016-07-31", exclusive=True).status
        == "unavailable"
    )


def test_an_exclusive_request_on_a_non_exclusive_holding() -> None:
    text = STAR_WARS.replace("exclusive: true}", "exclusive: false, sublicense: true}")
    s = Scenario(text)
    assert s.ask("tencent", "sw4", "SVOD", "CN", "2016-01-01", "2016-12-31").status == "available"
    report = s.ask("tencent", "sw4", "SVOD", "CN", "2016-01-01", "2016-12-31", exclusive=True)
    assert reasons(report) == [("held-non-exclusively", None, ["CN"], "2016-01-01", "2016-12-31")]


def test_draft_and_void_contracts_do_not_encumber() -> None:
    for status in ("status: draft", "status: terminated"):
        text = STAR_WARS.replace(
            "    licensee: tencent\n", f"    licensee: tencent\n    {status}\n"
        )
        s = Scenario(text)
        assert (
            s.ask("disney", "sw4", "SVOD", "CN", "2016-01-01", "2016-12-31", exclusive=True).status
            == "available"
        ), status


def test_a_terminated_contract_binds_until_the_day_before() -> None:
    text = STAR_WARS.replace(
        "    licensee: tencent\n",
        "    licensee: tencent\n    status: terminated\n    terminated: 2016-07-01\n",
    )
    s = Scenario(text)
    report = s.ask("disney", "sw4", "SVOD", "CN", "2016-01-01", "2016-12-31")
    assert reasons(report) == [
        ("exclusive-license", "tencent-online", ["CN"], "2016-01-01", "2016-06-30")
    ]
    assert free(report) == [(["SVOD"], ["CN"], "2016-07-01", "2016-12-31")]


def test_a_hold_warns_without_blocking() -> None:
    text = (
        STAR_WARS
        + """
  - id: youku-pencil
    licensor: disney
    licensee: youku
    status: hold
    grants:
      - {titles: [sw4], media: [SVOD], territories: [HK], start: 2016-03-01, end: 2016-04-30}
"""
    )
    s = Scenario(text)
    report = s.ask("disney", "sw4", "SVOD", "HK", "2016-01-01", "2016-12-31", exclusive=True)
    assert report.status == "available"
    warnings = report.to_json()["warnings"]
    assert [(w["code"], w["contract"], w["start"], w["end"]) for w in warnings] == [
        ("held-for-negotiation", "youku-pencil", "2016-03-01", "2016-04-30")
    ]


def test_perpetuity() -> None:
    s = Scenario(STAR_WARS)
    report = s.ask("disney", "sw4", "SVOD", "CN", "2016-06-01", None)
    assert reasons(report) == [
        ("exclusive-license", "tencent-online", ["CN"], "2016-06-01", "2016-12-31")
    ]
    assert free(report) == [(["SVOD"], ["CN"], "2017-01-01", None)]
    before_ownership = s.ask("disney", "sw4", "SVOD", "HK", "1970-01-01", "1977-05-24")
    assert reasons(before_ownership) == [("not-held", None, ["HK"], "1970-01-01", "1977-05-24")]


def test_languages_are_a_dimension() -> None:
    text = STAR_WARS.replace(
        "territories: [CN], start: 2016-01-01,\n         end: 2016-12-31",
        "territories: [CN], languages: [zh], start: 2016-01-01,\n         end: 2016-12-31",
    )
    s = Scenario(text)
    report = s.ask("disney", "sw4", "SVOD", "CN", "2016-01-01", "2016-12-31")
    data = report.to_json()
    assert data["status"] == "partial"
    assert [b["languages"] for b in data["available"]] == [{"all_except": ["zh"]}]
    assert [b["languages"] for b in data["unavailable"]] == [["zh"]]


def test_terms_relative_to_release_resolve_per_territory() -> None:
    text = """
parties: [{id: studio, name: Studio}, {id: net, name: Net}]
titles:
  - {id: film, name: Film, release: 2020-01-10, releases: {KR: 2020-03-01}}
contracts:
  - id: owns
    licensee: studio
    grants: [{titles: [film], media: [ALL_MEDIA], territories: [WORLD], start: 2019-01-01}]
  - id: window
    licensor: studio
    licensee: net
    grants:
      - {titles: [film], media: [SVOD], territories: [KR, JP], start: release+90d,
         end: release+1y, exclusive: true}
"""
    s = Scenario(text)
    report = s.ask("studio", "film", "SVOD", "KR,JP", "2020-01-01", "2021-12-31")
    assert sorted(reasons(report)) == [
        ("exclusive-license", "window", ["JP"], "2020-04-09", "2021-01-10"),
        ("exclusive-license", "window", ["KR"], "2020-05-30", "2021-03-01"),
    ]


def test_series_rights_cover_seasons_and_episodes() -> None:
    text = """
parties: [{id: kbs, name: KBS}, {id: sohu, name: Sohu}]
titles:
  - {id: producer, name: Producer, kind: series}
  - {id: producer-s1, name: Season 1, kind: season, parent: producer}
  - {id: producer-s1e1, name: Episode 1, kind: episode, parent: producer-s1}
contracts:
  - id: kbs-owns
    licensee: kbs
    grants: [{titles: [producer], media: [ALL_MEDIA], territories: [WORLD], start: 2015-01-01}]
  - id: sohu
    licensor: kbs
    licensee: sohu
    fee: {amount: 2400000, currency: USD}
    grants: [{titles: [producer], media: [STREAMING], territories: [CN], start: 2015-05-15,
              end: 2017-05-14, exclusive: true}]
"""
    s = Scenario(text)
    assert (
        s.ask("kbs", "producer-s1e1", "SVOD", "CN", "2016-01-01", "2016-01-31").status
        == "unavailable"
    )
    assert (
        s.ask("kbs", "producer-s1e1", "PAY_TV", "CN", "2016-01-01", "2016-01-31").status
        == "available"
    )


def test_executing_needs_availability_and_ownerships_may_not_overlap() -> None:
    text = (
        STAR_WARS
        + """
  - id: youku-conflict
    licensor: disney
    licensee: youku
    grants:
      - {titles: [sw4], media: [SVOD], territories: [CN, HK], start: 2016-06-01,
         end: 2016-06-30}
  - id: second-owner
    licensee: youku
    grants:
      - {titles: [sw5], media: [REMAKE], territories: [FR], start: 2030-01-01}
"""
    )
    s = Scenario(text)
    assert sorted(s.rejected) == ["second-owner", "youku-conflict"]
    conflict = s.rejected["youku-conflict"].reports[0]
    assert reasons(conflict) == [
        ("exclusive-license", "tencent-online", ["CN"], "2016-06-01", "2016-06-30")
    ]
    owned = s.rejected["second-owner"].reports[0]
    assert reasons(owned) == [("already-owned", "disney-owns", ["FR"], "2030-01-01", None)]


def test_broken_chain_after_termination() -> None:
    from dataclasses import replace
    from datetime import date

    s = Scenario(CHAIN.replace("end: 2017-05-31", "end: 2016-11-30"))
    assert s.book.broken_chains() == []
    parent = s.book.contracts["tencent-online"]
    s.book.add(replace(parent, status="terminated", terminated=date(2016, 9, 1)))
    broken = s.book.broken_chains()
    assert [(cid, index) for cid, index, _ in broken] == [("tencent-to-youku", 0)]
    assert reasons(broken[0][2]) == [("not-held", None, ["CN"], "2016-09-01", "2016-11-30")]


EXCLUSIVE_SVOD = """      - {titles: [sw4], media: [SVOD], territories: [FR], start: 2021-01-01,
         end: 2021-12-31, exclusive: true}
"""
SHARED_ONLINE = """      - {titles: [sw4], media: [ONLINE], territories: [FR], start: 2021-01-01,
         end: 2021-12-31}
"""
OWNER = """  - id: lucas-owns
    licensee: youku
    grants:
      - {titles: [sw6], media: [REMAKE], territories: [FR], start: 2030-01-01}
      - {titles: [sw6], media: [DERIVATIVE], territories: [WORLD], start: 2030-01-01}
"""


@pytest.mark.parametrize("grants", [EXCLUSIVE_SVOD + SHARED_ONLINE, SHARED_ONLINE + EXCLUSIVE_SVOD])
def test_one_contracts_overlapping_grants_never_block_each_other(grants: str) -> None:
    # Exclusive SVOD and non-exclusive ONLINE (which includes SVOD) to one platform, in
    # either order; an ownership record whose grants overlap is one owner, not two.
    deal = "  - id: tencent-both\n    licensor: disney\n    licensee: tencent\n    grants:\n"
    text = STAR_WARS.replace(
        "  - {id: saga,", '  - {id: sw6, name: "Return of the Jedi", kind: film}\n  - {id: saga,'
    )
    s = Scenario(text + deal + grants + OWNER)
    assert s.rejected == {}
    report = s.ask("disney", "sw4", "SVOD", "FR", "2021-01-01", "2021-12-31")
    assert reasons(report) == [
        ("exclusive-license", "tencent-both", ["FR"], "2021-01-01", "2021-12-31")
    ]
    assert s.ask("disney", "sw4", "TVOD", "FR", "2021-01-01", "2021-12-31").status == "available"
    report = s.ask("disney", "sw4", "TVOD", "FR", "2021-01-01", "2021-12-31", exclusive=True)
    assert reasons(report) == [
        ("non-exclusive-license", "tencent-both", ["FR"], "2021-01-01", "2021-12-31")
    ]
    assert s.ask("youku", "sw6", "SEQUEL", "FR", "2030-01-01", None, exclusive=True).status == (
        "available"
    )
