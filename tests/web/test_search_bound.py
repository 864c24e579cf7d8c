"""A search that matches many dossiers, and search words the index must take literally.

A search counts its matches up to SEARCH_TOTAL_BOUND ("hơn N" past it) on both databases and,
past it, reads its page along the list's own order (SQLite, each dossier's text checked in its
date index) or as PostgreSQL's planner chooses: every page holds what sorting every match would
put there.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import actor_named
from tests.web.pages import login
from webapp.models import Dossier
from webapp.request_db import database
from webapp.services import dossiers

HANG = [{"kind": "individual", "name": "Nguyễn Thị Hằng"}]
DONG = [{"kind": "individual", "name": "Trần Văn Đông"}]


def _ids(page: dict[str, Any]) -> list[int]:
    return [d["id"] for d in page["items"]]


def _in_order(api: Any, ids: set[int], descending: bool) -> list[int]:
    """`ids` as the list orders them by creation (newest first when `descending`)."""
    order = [Dossier.created_at, Dossier.id]
    with database(api.client.application).transaction(write=False) as session:
        return list(
            session.scalars(
                select(Dossier.id)
                .where(Dossier.id.in_(ids))
                .order_by(*(c.desc() if descending else c.asc() for c in order))
            )
        )


def _walk(api: Any, url: str, as_user: str) -> list[int]:
    """Every row of a list, page after page by its next_cursor."""
    page = api.get(url, as_user).json
    seen = _ids(page)
    while page["next_cursor"]:
        page = api.get(f"{url}&cursor={page['next_cursor']}", as_user).json
        seen += _ids(page)
    return seen


def test_a_search_past_its_bound_pages_as_sorting_every_match_would(api, monkeypatch):
    monkeypatch.setitem(api.client.application.config, "SEARCH_TOTAL_BOUND", 3)
    own, others, theirs = [], [], []
    for n in range(6):
        own.append(api.start(nominees=HANG)["id"])
        others.append(api.start(nominees=DONG)["id"])
        if n % 2:
            theirs.append(api.start(as_user="canbo_dn", nominees=HANG)["id"])
    every = set(own) | set(theirs)  # the Office sees both units' namesakes
    newest = _in_order(api, every, descending=True)
    first = api.get("/api/v1/dossiers?q=nguyen+hang&per_page=2", "vanphong").json
    assert _ids(first) == newest[:2]
    assert (first["total"], first["total_is_lower_bound"]) == (3, True)
    # By page number and by cursor, every match once, in order.
    by_number = [
        dossier_id
        for n in range(1, 6)
        for dossier_id in _ids(
            api.get(f"/api/v1/dossiers?q=nguyen+hang&per_page=2&page={n}", "vanphong").json
        )
    ]
    assert by_number == newest
    assert _walk(api, "/api/v1/dossiers?q=nguyen+hang&per_page=2", "vanphong") == newest
    oldest = _walk(api, "/api/v1/dossiers?q=nguyen+hang&per_page=4&sort=created", "vanphong")
    assert oldest == newest[::-1]
    # Every dossier is in progress: by status, the creation order breaks the tie.
    by_status = "/api/v1/dossiers?q=nguyen+hang&per_page=3&sort=status"
    assert _walk(api, by_status, "vanphong") == oldest
    # A unit sees its own namesakes only, however many the Department holds.
    mine = _walk(api, "/api/v1/dossiers?q=nguyen+hang&per_page=2", "canbo_ns")
    assert mine == _in_order(api, set(own), descending=True)
    # Under the bound the total is exact.
    few = {others[1], others[4]}
    for dossier_id in few:
        api.do("canbo_ns", dossier_id, "prepare_dossier", {"decision": "submit"})
    dong = api.get("/api/v1/dossiers?q=tran+dong&step=approve_at_unit", "canbo_ns").json
    assert (dong["total"], dong["total_is_lower_bound"]) == (2, False)
    assert _ids(dong) == _in_order(api, few, descending=True)


def test_the_page_says_more_than_the_bound_and_lists_the_newest(api, client, monkeypatch):
    monkeypatch.setitem(client.application.config, "SEARCH_TOTAL_BOUND", 2)
    codes = [api.start(nominees=HANG)["code"] for _ in range(4)]
    api.start(nominees=DONG)
    login(client, "vanphong")
    html = client.get("/dossiers?q=Nguyễn+Thị+Hằng").get_data(as_text=True)
    assert 'id="tracking-total" data-lower-bound>hơn 2<' in html
    assert re.findall(r'<tr data-dossier="([^"]+)"', html) == codes[::-1]


def test_search_words_are_taken_literally_by_the_index(api):
    """Quotes, stars and FTS5's own words in a search are characters to find, never syntax:
    no error, the dossier holding them found, nothing found where they are not."""
    odd = api.start(title='Hồ sơ "Đặc biệt" NEAR(a b) * OR -x')["id"]
    api.start(title="Hồ sơ thường")

    def found(query: str) -> list[int]:
        response = api.get(f"/api/v1/dossiers?{urlencode({'q': query})}", "vanphong")
        assert response.status_code == 200, (query, response.json)
        return _ids(response.json)

    for query in ('"dac', 'biet"', "NEAR(a", "OR -x", '"dac biet" near(a', "*"):
        assert found(query) == [odd], query
    for query in ('a"b', '"near', "and", 'biet""'):
        assert found(query) == [], query


def test_wildcards_in_a_search_past_its_bound_are_characters(api, monkeypatch):
    """Past the bound the page is read again with every word of the search: `%`, `_` and `/`
    there are the characters themselves, as they are where the index answers."""
    monkeypatch.setitem(api.client.application.config, "SEARCH_TOTAL_BOUND", 1)
    titles = ("Hồ sơ 50%", "Hồ sơ 500", "Hồ sơ a_b", "Hồ sơ axb", "Hồ sơ c/d", "Hồ sơ cd")
    # Two of each, so that every search below matches past its bound of one.
    titled: dict[str, list[int]] = {title: [] for title in titles}
    for _ in range(2):
        for title in titles:
            titled[title].append(api.start(title=title, nominees=HANG)["id"])

    for word, title in (("50%", "Hồ sơ 50%"), ("a_b", "Hồ sơ a_b"), ("c/d", "Hồ sơ c/d")):
        query = urlencode({"q": f"nguyen hang {word}"})
        page = api.get(f"/api/v1/dossiers?{query}", "vanphong").json
        assert (page["total"], page["total_is_lower_bound"]) == (1, True), word
        assert _ids(page) == titled[title][::-1], word


def test_a_search_is_planned_for_its_own_words_however_often_it_runs(api):
    """psycopg prepares a statement run five times on a connection, after which PostgreSQL may
    plan every later run once for any words, guessing how many dossiers hold them: a search's
    statements are planned for the words each time (whether to read the trigram index or the
    list's order depends on them)."""
    engine = database(api.client.application).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the plan cache is PostgreSQL's")
    for _ in range(3):
        api.start(nominees=HANG)
    with engine.connect() as conn:
        # Prepared at the 5th run; from its 6th execution PostgreSQL may choose a generic plan.
        for _ in range(12):
            with Session(bind=conn) as session:
                found = dossiers.list_dossiers(session, actor_named(session, "vanphong"), q="hang")
                assert found.total == 3
                session.commit()
        plans = conn.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%%search_text LIKE%%'"
        ).all()
    # (The connection may hold other tests' searches too.)
    assert max(custom for _generic, custom in plans) >= 6, plans
    assert all(generic == 0 for generic, _custom in plans), plans
