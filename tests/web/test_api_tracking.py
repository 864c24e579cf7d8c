"""The tracking list: visibility, filters, diacritic-insensitive search, paging."""

from __future__ import annotations

from sqlalchemy import select, update

from webapp.models import Dossier, Nominee
from webapp.request_db import database
from webapp.services.dossier_effects import refresh_search_text
from webapp.services.folded_search import folded_text_contains


def test_search_ignores_diacritics_and_case(api):
    found = api.start(nominees=[{"kind": "individual", "name": "Nguyễn Thị Hằng"}])
    api.start(nominees=[{"kind": "individual", "name": "Trần Văn Đông"}])
    for query in ("nguyen thi hang", "NGUYỄN THỊ HẰNG", "hang nguyen", found["code"].lower()):
        result = api.get(f"/api/v1/dossiers?q={query}", "vanphong").json
        assert [d["id"] for d in result["items"]] == [found["id"]], query
    assert api.get("/api/v1/dossiers?q=dong", "vanphong").json["total"] == 1
    assert api.get("/api/v1/dossiers?q=%25", "vanphong").json["total"] == 0


def test_filters_and_paging(api):
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(3)]
    api.do("canbo_ns", dossiers[0]["id"], "prepare_dossier", {"decision": "submit"})
    at_head = api.get("/api/v1/dossiers?step=approve_at_unit", "vanphong").json
    assert [d["id"] for d in at_head["items"]] == [dossiers[0]["id"]]
    assert at_head["items"][0]["current"][0]["step"] == "approve_at_unit"
    page = api.get("/api/v1/dossiers?per_page=2&page=2", "vanphong").json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    assert api.get("/api/v1/dossiers?status=awarded", "vanphong").json["total"] == 0
    assert api.get("/api/v1/dossiers?award_form=bk_btc", "vanphong").json["total"] == 3
    assert api.get("/api/v1/dossiers?overdue=true", "vanphong").json["total"] == 0
    assert api.get("/api/v1/dossiers?overdue=false", "vanphong").json["total"] == 3


def test_units_see_their_own_dossiers_only(api):
    own = api.start()
    other = api.start(as_user="canbo_dn")
    ids = {d["id"] for d in api.get("/api/v1/dossiers", "canbo_ns").json["items"]}
    assert own["id"] in ids
    assert other["id"] not in ids
    assert api.get(f"/api/v1/dossiers/{other['id']}", "canbo_ns").status_code == 404
    office = {d["id"] for d in api.get("/api/v1/dossiers", "vanphong").json["items"]}
    assert {own["id"], other["id"]} <= office
    ministry = {d["id"] for d in api.get("/api/v1/dossiers", "chuyenvien_bo").json["items"]}
    assert {own["id"], other["id"]} <= ministry


def test_inbox_counts_follow_the_dossier(api):
    dossier = api.start()
    assert len(api.items("canbo_ns", dossier["id"])) == 1
    assert api.items("truongphong_ns", dossier["id"]) == []
    assert api.items("canbo_dn", dossier["id"]) == []
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    assert api.items("canbo_ns", dossier["id"]) == []
    [item] = api.items("truongphong_ns", dossier["id"])
    assert item["due_at"] is not None
    assert item["overdue"] is False


def test_inbox_pages_with_a_total_and_a_next_link(api):
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(3)]
    first = api.get("/api/v1/work-items?per_page=2", "canbo_ns")
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "3"
    assert [i["dossier_id"] for i in first.json] == [dossiers[2]["id"], dossiers[1]["id"]]
    next_url = first.headers["Link"].split(">")[0].lstrip("<")
    second = api.get(next_url, "canbo_ns")
    assert [i["dossier_id"] for i in second.json] == [dossiers[0]["id"]]
    assert "Link" not in second.headers
    by_due = api.get("/api/v1/work-items?order=due", "canbo_ns").json
    assert len(by_due) == 3
    for bad in ("page=0", "per_page=501", "per_page=x", "order=oldest"):
        assert api.get(f"/api/v1/work-items?{bad}", "canbo_ns").status_code == 422, bad


def test_a_department_filter_includes_its_divisions(api):
    own = api.start()
    other = api.start(as_user="canbo_dn")
    division_ids = {own["unit"]["id"], other["unit"]["id"]}
    from sqlalchemy import select

    from webapp.models import OrgUnit
    from webapp.request_db import database

    with database(api.client.application).transaction(write=False) as session:
        parent = session.scalar(select(OrgUnit.parent_id).where(OrgUnit.id == own["unit"]["id"]))
    found = api.get(f"/api/v1/dossiers?unit_id={parent}", "vanphong").json
    assert {d["unit"]["id"] for d in found["items"]} == division_ids
    only = api.get(f"/api/v1/dossiers?unit_id={own['unit']['id']}", "vanphong").json
    assert [d["id"] for d in only["items"]] == [own["id"]]


def test_the_total_is_a_lower_bound_past_the_bound(api, monkeypatch):
    monkeypatch.setitem(api.client.application.config, "LIST_TOTAL_BOUND", 2)
    for name in ("An", "Bình", "Cúc"):
        api.start(title=f"Hồ sơ {name}")
    capped = api.get("/api/v1/dossiers?per_page=1", "vanphong").json
    assert (capped["total"], capped["total_is_lower_bound"]) == (2, True)
    exact = api.get("/api/v1/dossiers?q=binh", "vanphong").json
    assert (exact["total"], exact["total_is_lower_bound"]) == (1, False)
    # Every row can still be paged to, past the bound.
    assert len(api.get("/api/v1/dossiers?per_page=1&page=3", "vanphong").json["items"]) == 1


def test_search_reads_the_folded_index_and_follows_changes(api, client):
    """Fragments of a folded name or of a code find the dossier; an edited nominee is found by
    the new name only (the index follows every write)."""
    found = api.start(
        title="Đề nghị khen thưởng", nominees=[{"kind": "individual", "name": "Nguyễn Thị Hằng"}]
    )
    api.start(nominees=[{"kind": "individual", "name": "Trần Văn Đông"}])

    def ids(query: str) -> list[int]:
        return [d["id"] for d in api.get(f"/api/v1/dossiers?q={query}", "vanphong").json["items"]]

    assert ids("nguyen thi") == [found["id"]]
    assert ids("uyễn th") == [found["id"]]
    assert ids(found["code"][1:].lower()) == [found["id"]]  # a fragment of its code
    assert ids("ng thi") == [found["id"]]  # a two-letter word still matches, on the column
    assert ids("xyzw") == []
    with database(client.application).transaction() as session:
        session.execute(
            update(Nominee).where(Nominee.dossier_id == found["id"]).values(name="Lê Thu Hà")
        )
        dossier = session.get_one(Dossier, found["id"])
        session.refresh(dossier)
        refresh_search_text(dossier)
    assert ids("nguyen thi") == []
    assert ids("le thu") == [found["id"]]


def test_searches_of_as_many_words_share_a_compiled_statement_not_their_words(api):
    """The search's statement is compiled once per number of words: each search still reads
    its own words, on both databases."""
    hang = api.start(nominees=[{"kind": "individual", "name": "Nguyễn Thị Hằng"}])
    dong = api.start(nominees=[{"kind": "individual", "name": "Trần Văn Đông"}])

    def ids(query: str) -> list[int]:
        return [d["id"] for d in api.get(f"/api/v1/dossiers?q={query}", "vanphong").json["items"]]

    for _ in range(2):
        assert ids("nguyen hang") == [hang["id"]]
        assert ids("tran dong") == [dong["id"]]
        assert ids("nguyen dong") == []
    statement = select(Dossier.id).where(*folded_text_contains(["nguyen", "hang"]))
    other = select(Dossier.id).where(*folded_text_contains(["tran", "dong"]))
    key, other_key = statement._generate_cache_key(), other._generate_cache_key()
    assert key is not None  # cacheable
    assert key == other_key  # one compiled form for both
    # PostgreSQL's patterns and SQLite's FTS5 query: the words are values, not SQL.
    assert [p.value for p in key.bindparams] == ["%nguyen%", "%hang%", '"nguyen" AND "hang"']
