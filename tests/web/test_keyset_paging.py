"""Keyset paging of the lists: a cursor walks every row once, in order, whatever is inserted
meanwhile; a mangled cursor is refused naming it; the inbox's total stops at the bound."""

from __future__ import annotations

import base64
import dataclasses
import html as html_text
import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text, update

from tests.conftest import actor_named
from tests.web.pages import login
from webapp.db import utcnow
from webapp.models import Dossier, User, WorkItem
from webapp.request_db import database
from webapp.services.dossiers import SORT_KEYS, SORTS, sort_order
from webapp.services.keyset import encode_cursor
from webapp.services.work_items import count_my_work_items, my_work_items

NEXT_LINK = re.compile(r'href="([^"]+)"[^>]*rel="next"')


def _dossier_ids(api: Any, url: str) -> list[int]:
    return [d["id"] for d in api.get(url, "vanphong").json["items"]]


def _walk_dossiers(api: Any, sort: str, per_page: int, between: Any = None) -> list[int]:
    """Every dossier id by following next_cursor from the first page; `between` runs after
    the first page is read."""
    seen: list[int] = []
    body = api.get(f"/api/v1/dossiers?sort={sort}&per_page={per_page}", "vanphong").json
    while True:
        assert len(body["items"]) <= per_page
        seen.extend(d["id"] for d in body["items"])
        if between is not None:
            between()
            between = None
        if body["next_cursor"] is None:
            return seen
        cursor = body["next_cursor"]
        url = f"/api/v1/dossiers?sort={sort}&per_page={per_page}&cursor={cursor}"
        response = api.get(url, "vanphong")
        assert response.status_code == 200, response.json
        body = response.json


def _make_ties(app: Any, ids: list[int]) -> None:
    """Same creation time for most of them, the statuses and award forms shared by several, and
    two dossiers without a code (the one nullable sort key)."""
    moment = utcnow() - timedelta(days=1)
    statuses = ["returned", "in_progress", "returned", "awarded", "in_progress"]
    forms = ["bk_btc", "bk_ttg", "bk_btc", "bk_ttg", "bk_btc"]
    with database(app).transaction() as session:
        for position, dossier_id in enumerate(ids):
            values: dict[str, Any] = {
                "status": statuses[position % len(statuses)],
                "award_form": forms[position % len(forms)],
            }
            if position % 4 != 3:
                values["created_at"] = moment
            if position in (1, 4):
                values["code"] = None
            session.execute(update(Dossier).where(Dossier.id == dossier_id).values(**values))


def test_a_cursor_walks_every_sort_as_one_big_page_does(api, client):
    ids = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(8)]
    _make_ties(client.application, ids)
    for sort in sorted(SORTS):
        whole = _dossier_ids(api, f"/api/v1/dossiers?sort={sort}&per_page=200")
        assert sorted(whole) == sorted(ids), sort
        for per_page in (1, 3):
            assert _walk_dossiers(api, sort, per_page) == whole, (sort, per_page)


def test_a_search_pages_every_sort_as_the_whole_list_orders_it(api, client):
    """A search reads what it finds once and orders the page itself (dates and ranks) or lets
    the database order it (codes): every sort, page by page, lists the found dossiers in the
    order the whole list (no search) gives them, ties and codeless dossiers included."""
    found = [
        api.start(nominees=[{"kind": "individual", "name": f"Lê Thị Thắm {i}"}])["id"]
        for i in range(7)
    ]
    others = [api.start()["id"] for _ in range(3)]
    _make_ties(client.application, found + others)
    for sort in sorted(SORTS):
        whole = _dossier_ids(api, f"/api/v1/dossiers?sort={sort}&per_page=100")
        expected = [i for i in whole if i in found]
        for per_page in (2, 3):
            paged = [
                i
                for number in range(1, 5)
                for i in _dossier_ids(
                    api,
                    f"/api/v1/dossiers?q=le+thi+tham&sort={sort}&per_page={per_page}&page={number}",
                )
            ]
            assert paged == expected, (sort, per_page)
        body = api.get(f"/api/v1/dossiers?q=le+thi+tham&sort={sort}", "vanphong").json
        assert (body["total"], body["total_is_lower_bound"]) == (7, False)


def test_rows_inserted_between_pages_neither_repeat_nor_skip_the_others(api, client):
    ids = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(6)]
    _make_ties(client.application, ids)
    for sort in sorted(SORTS):
        whole = _dossier_ids(api, f"/api/v1/dossiers?sort={sort}&per_page=200")
        added: list[int] = []

        def insert() -> None:
            # Newer than all, and (its status, award form, code) among the others.
            added.append(api.start(title="Chen giua")["id"])  # noqa: B023
            added.append(api.start(title="Chen giua nua")["id"])  # noqa: B023

        walked = _walk_dossiers(api, sort, 2, between=insert)
        assert len(walked) == len(set(walked)), sort
        assert [i for i in walked if i not in added] == whole, sort


def test_the_offset_page_still_works_and_offers_the_cursor(api):
    ids = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(5)]
    second = api.get("/api/v1/dossiers?per_page=2&page=2", "vanphong").json
    assert [d["id"] for d in second["items"]] == [ids[2], ids[1]]
    assert second["page"] == 2
    third = api.get(f"/api/v1/dossiers?per_page=2&cursor={second['next_cursor']}", "vanphong")
    assert [d["id"] for d in third.json["items"]] == [ids[0]]
    assert third.json["next_cursor"] is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [
    "",
    "not a cursor!",
    "%FF%FE",
    _b64(b"\xff\xfe\x00"),
    _b64(b"{}"),
    _b64(b'["-created"]'),
    _b64(b'["-created", "2026-01-01T00:00:00+00:00", "7"]'),
    _b64(b'["-created", "yesterday", 7]'),
    _b64(b'["-created", "2026-01-01T00:00:00", 7]'),  # no time zone
    _b64(b'["-created", "2026-01-01T00:00:00+00:00", 99999999999999999999999]'),
    _b64(b'["-created", "2026-01-01T00:00:00+00:00", 2147483648]'),
    _b64(b'["-created", "2026-01-01T00:00:00+00:00", true]'),
    _b64(b'["-created", null, 7]'),
    encode_cursor("code", ["X-2026-00001", "2026-01-01T00:00:00+00:00", 7]),  # another sort
    "A" * 5000,
    _b64(b'["-created", "0001-01-01T00:00:00+14:00", 7]'),
]
# Well formed, only far from any row: an empty page, never an error.
FAR_CURSORS = [
    ("-created", encode_cursor("-created", ["0001-01-01T00:00:00+00:00", -(2**31)])),
    ("-created", encode_cursor("-created", ["9999-12-31T23:59:59+00:00", 2**31 - 1])),
    ("code", encode_cursor("code", ["Ω" * 300, 2**31 - 1])),
    ("-code", encode_cursor("-code", [None, 1])),
    ("status", encode_cursor("status", [10**9, "2026-01-01T00:00:00+00:00", 1])),
    ("-award_form", encode_cursor("-award_form", [-(10**9), "2026-01-01T00:00:00+00:00", 1])),
]


def test_a_mangled_cursor_is_refused_naming_the_cursor(api):
    api.start()
    for cursor in BAD_CURSORS:
        for url in (
            f"/api/v1/dossiers?cursor={cursor}",
            f"/api/v1/work-items?cursor={cursor}",
        ):
            response = api.get(url, "canbo_ns")
            assert response.status_code == 422, (url, response.status_code)
            assert response.json["error"]["code"] == "invalid"
            assert set(response.json["error"]["fields"]) == {"cursor"}, url
    # Of the right sort, yet not a cursor: a code with a NUL, a code cursor with a date.
    for sort, cursor in [
        ("code", encode_cursor("code", ["X\x00", 7])),
        ("-code", encode_cursor("-code", ["X-1", "2026-01-01T00:00:00+00:00", 7])),
        ("status", encode_cursor("status", ["awarded", "2026-01-01T00:00:00+00:00", 7])),
    ]:
        refused = api.get(f"/api/v1/dossiers?sort={sort}&cursor={cursor}", "canbo_ns")
        assert refused.status_code == 422, sort
        assert set(refused.json["error"]["fields"]) == {"cursor"}
    for sort, cursor in FAR_CURSORS:
        far = api.get(f"/api/v1/dossiers?sort={sort}&cursor={cursor}", "canbo_ns")
        assert far.status_code == 200, (sort, far.json)
        assert far.json["next_cursor"] is None
    newest = encode_cursor("newest", [utcnow().isoformat(), 1])
    # An inbox cursor is the inbox's: of the other order, refused too.
    assert api.get(f"/api/v1/work-items?order=due&cursor={newest}", "canbo_ns").status_code == 422


def _links(response: Any) -> str | None:
    link = response.headers.get("Link")
    return link.split(">")[0].lstrip("<") if link else None


def _walk_inbox(api: Any, url: str, username: str = "canbo_ns") -> list[int]:
    seen: list[int] = []
    next_url: str | None = url
    while next_url:
        response = api.get(next_url, username)
        assert response.status_code == 200, response.json
        seen.extend(item["id"] for item in response.json)
        next_url = _links(response)
        if next_url:
            assert "cursor=" in next_url
            assert not re.search(r"[?&]page=", next_url)
    return seen


def test_the_inbox_walks_by_cursor_in_both_orders(api, client):
    dossiers = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(7)]
    due = utcnow() + timedelta(days=3)
    with database(client.application).transaction() as session:
        # Ties on the creation time and on the due date, and items with no due date.
        session.execute(
            update(WorkItem)
            .where(WorkItem.dossier_id.in_(dossiers[:4]))
            .values(created_at=utcnow() - timedelta(hours=1), due_at=due)
        )
        session.execute(
            update(WorkItem).where(WorkItem.dossier_id.in_(dossiers[4:6])).values(due_at=None)
        )
    for order in ("newest", "due"):
        whole = [i["id"] for i in api.get(f"/api/v1/work-items?order={order}", "canbo_ns").json]
        assert len(whole) == 7
        for per_page in (1, 2, 3):
            walked = _walk_inbox(api, f"/api/v1/work-items?order={order}&per_page={per_page}")
            assert walked == whole, (order, per_page)
        # Pages by number (offset) list them in the same order.
        by_number = [
            item["id"]
            for number in (1, 2, 3, 4)
            for item in api.get(
                f"/api/v1/work-items?order={order}&per_page=2&page={number}", "canbo_ns"
            ).json
        ]
        assert by_number == whole, order
    by_due = api.get("/api/v1/work-items?order=due", "canbo_ns").json
    assert [i["due_at"] is None for i in by_due][-2:] == [True, True]


def _spread_over_office_scopes(app, dossiers, values):
    """Each dossier's item moved to one of the Office's (role, unit) scopes in turn, with
    `values(n, other_user_id)` for the n-th."""
    with database(app).transaction() as session:
        office = actor_named(session, "vanphong")
        other = session.scalars(select(User.id).where(User.username == "canbo_dn")).one()
        scopes = sorted((r, u) for r, units in office.scopes.items() for u in units)
        assert len(scopes) >= 4
        for n, dossier_id in enumerate(dossiers):
            role, unit = scopes[n % len(scopes)]
            session.execute(
                update(WorkItem)
                .where(WorkItem.dossier_id == dossier_id)
                .values(role=role, unit_id=unit, **values(n, other))
            )


def test_an_inbox_of_many_scopes_pages_as_one_ordered_read(api, client):
    """The Office's inbox spans two roles on three units: read scope by scope and merged, every
    page (by cursor or by number) holds what one ordered read of all its items holds, without
    the items assigned to or taken by someone else."""
    dossiers = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(12)]
    tied = utcnow() - timedelta(hours=2)
    _spread_over_office_scopes(
        client.application,
        dossiers,
        # Ties across scopes, and items that are someone else's.
        lambda n, other: {
            "created_at": tied if n % 3 == 0 else tied + timedelta(minutes=n),
            "assignee_id": other if n == 5 else None,
            "claimed_by_id": other if n == 7 else None,
        },
    )
    with database(client.application).transaction() as session:
        office = actor_named(session, "vanphong")
        one_read = [row.id for row in my_work_items(session, office, limit=None)]
    assert len(one_read) == len(dossiers) - 2
    whole = [i["id"] for i in api.get("/api/v1/work-items?per_page=100", "vanphong").json]
    assert whole == one_read
    for per_page in (1, 2, 5):
        walked = _walk_inbox(api, f"/api/v1/work-items?per_page={per_page}", "vanphong")
        assert walked == one_read, per_page
        by_number = [
            item["id"]
            for number in range(1, len(one_read) // per_page + 2)
            for item in api.get(
                f"/api/v1/work-items?per_page={per_page}&page={number}", "vanphong"
            ).json
        ]
        assert by_number == one_read, per_page


def test_an_inbox_of_many_scopes_counts_its_overdue_items_past_the_bound(api, client):
    """Past the bound the overdue items are still counted, scope by scope (on PostgreSQL in
    the same read, by due date; on SQLite apart): the count is the actor's overdue items (not
    someone else's), itself stopping at the bound."""
    dossiers = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(10)]
    now = utcnow()
    _spread_over_office_scopes(
        client.application,
        dossiers,
        # Seven overdue (one of them someone else's), two due later, one undated.
        lambda n, other: {
            "due_at": None if n == 9 else now + timedelta(days=-1 if n < 7 else 1),
            "assignee_id": other if n == 4 else None,
        },
    )
    with database(client.application).transaction() as session:
        office = actor_named(session, "vanphong")
        assert count_my_work_items(session, office, now) == (9, 6, False, False)
        # Over the bound: the total stops there; the overdue are counted apart, up to the bound.
        assert count_my_work_items(session, office, now, bound=8) == (8, 6, True, False)
        assert count_my_work_items(session, office, now, bound=7) == (7, 6, True, False)
        assert count_my_work_items(session, office, now, bound=6) == (6, 6, True, False)
        assert count_my_work_items(session, office, now, bound=5) == (5, 5, True, True)
        # The statement is kept per actor and bound; the time is the one given at each call.
        assert count_my_work_items(session, office, now - timedelta(days=2)) == (9, 0, False, False)
        assert count_my_work_items(session, office, now + timedelta(days=2)) == (9, 8, False, False)
        # Another reach of the same person is another statement: one role's items only.
        role = sorted(office.scopes)[0]
        narrower = dataclasses.replace(office, scopes={role: office.scopes[role]})
        only_role = [row.role for row in my_work_items(session, narrower, limit=None)]
        assert only_role
        assert set(only_role) == {role}
        assert count_my_work_items(session, narrower, now).total == len(only_role) < 9


def test_a_one_scope_inbox_counts_its_overdue_items_past_the_bound(api, client):
    """One (role, unit) scope: past the bound its overdue items are counted all the same,
    whichever were created first (the read goes by due date, undated items last)."""
    dossiers = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(6)]
    now = utcnow()
    days = [1, None, -1, 2, -2, -3]  # in the order of creation
    with database(client.application).transaction() as session:
        office = actor_named(session, "vanphong")
        role = sorted(office.scopes)[0]
        unit = sorted(office.scopes[role])[0]
        for dossier_id, day in zip(dossiers, days, strict=True):
            due = None if day is None else now + timedelta(days=day)
            session.execute(
                update(WorkItem)
                .where(WorkItem.dossier_id == dossier_id)
                .values(role=role, unit_id=unit, due_at=due)
            )
    with database(client.application).transaction() as session:
        office = actor_named(session, "vanphong")
        one = dataclasses.replace(office, scopes={role: type(office.scopes[role])([unit])})
        assert count_my_work_items(session, one, now) == (6, 3, False, False)
        assert count_my_work_items(session, one, now, bound=4) == (4, 3, True, False)
        assert count_my_work_items(session, one, now, bound=3) == (3, 3, True, False)
        assert count_my_work_items(session, one, now, bound=2) == (2, 2, True, True)


def test_an_item_added_between_inbox_pages_does_not_shift_the_others(api):
    ids = [api.start(title=f"Hồ sơ {i}")["id"] for i in range(4)]
    first = api.get("/api/v1/work-items?per_page=2", "canbo_ns")
    assert [i["dossier_id"] for i in first.json] == [ids[3], ids[2]]
    api.start(title="Mới")
    second = api.get(_links(first) or "", "canbo_ns")
    assert [i["dossier_id"] for i in second.json] == [ids[1], ids[0]]


def test_the_inbox_total_stops_at_the_bound(api, client, monkeypatch):
    for i in range(3):
        api.start(title=f"Hồ sơ {i}")
    monkeypatch.setitem(client.application.config, "LIST_TOTAL_BOUND", 2)
    capped = api.get("/api/v1/work-items?per_page=1", "canbo_ns")
    assert capped.headers["X-Total-Count"] == "2"
    assert capped.headers["X-Total-Is-Lower-Bound"] == "true"
    # Every item can still be reached past the bound.
    assert len(_walk_inbox(api, "/api/v1/work-items?per_page=1")) == 3
    login(client, "canbo_ns")
    inbox = client.get("/work").get_data(as_text=True)
    assert 'id="inbox-total" data-lower-bound>hơn 2<' in inbox
    # The menu's badge stops counting too (every page pays for it), and says so.
    assert 'id="nav-work-count">2+<' in inbox
    monkeypatch.setitem(client.application.config, "LIST_TOTAL_BOUND", 3)
    exact = api.get("/api/v1/work-items", "canbo_ns")
    assert exact.headers["X-Total-Count"] == "3"
    assert "X-Total-Is-Lower-Bound" not in exact.headers
    exact_page = client.get("/work").get_data(as_text=True)
    assert 'id="inbox-total">3<' in exact_page
    assert 'id="nav-work-count">3<' in exact_page


def test_the_thousands_of_a_bound_read_with_dots(api, client, monkeypatch):
    monkeypatch.setitem(client.application.config, "LIST_TOTAL_BOUND", 1)
    api.start()
    api.start()
    # The label is the tracking list's: the same words and number format for both lists.
    from webapp.i18n import total_label

    with client.application.test_request_context():
        assert total_label(10_000, True) == "hơn 10.000"
        assert total_label(1_234, False) == "1.234"


def _dossier_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-dossier="([^"]+)"', html)


def test_the_pages_next_link_reads_by_cursor(api, client, monkeypatch):
    monkeypatch.setattr("webapp.dossiers.views.PER_PAGE", 2)
    monkeypatch.setattr("webapp.work.views.PER_PAGE", 2)
    dossiers = [api.start(title=f"Hồ sơ {i}") for i in range(5)]
    login(client, "canbo_ns")
    # The tracking list: "next" carries the cursor, the page after it has the next two.
    tracking = client.get("/dossiers").get_data(as_text=True)
    [next_url] = NEXT_LINK.findall(tracking)
    next_url = html_text.unescape(next_url)
    assert "cursor=" in next_url
    assert "page=2" in next_url
    second = client.get(next_url).get_data(as_text=True)
    assert _dossier_codes(second) == [dossiers[2]["code"], dossiers[1]["code"]]
    # A cursor that is not one is read as none: the page by its number.
    mangled = client.get("/dossiers?page=2&cursor=xyz")
    assert mangled.status_code == 200
    assert _dossier_codes(mangled.get_data(as_text=True)) == _dossier_codes(second)
    # The inbox: "Trang sau" by cursor, to the last item.
    seen: list[str] = []
    url: str | None = "/work"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen.extend(re.findall(r'data-dossier="([^"]+)"', html))
        links = NEXT_LINK.findall(html)
        if links:
            assert "Trang sau" in html
        url = html_text.unescape(links[0]) if links else None
    assert seen == [d["code"] for d in reversed(dossiers)]
    assert client.get("/work?cursor=xyz").status_code == 200


def test_the_cursor_is_opaque_but_plain(api):
    api.start()
    api.start()
    cursor = api.get("/api/v1/dossiers?per_page=1", "vanphong").json["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded[0] == "-created"


def test_the_ranked_sorts_read_their_index(db):
    """Sorting by status or award form, from the top or after a cursor, reads the index on the
    same CASE expression (migration 0021_rank_indexes) instead of sorting every dossier: the
    expression the list writes is the one indexed."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    if not sqlite:
        # PostgreSQL prefers a scan of a small table: ask for the plan an index makes possible.
        db.execute(text("SET LOCAL enable_seqscan = off"))
        db.execute(text("SET LOCAL enable_sort = off"))
    for key, index in (
        ("status", "ix_dossier_status_rank"),
        ("award_form", "ix_dossier_award_form_rank"),
    ):
        for sort in (key, f"-{key}"):
            query = (
                select(Dossier.id).where(SORT_KEYS[key] >= 1).order_by(*sort_order(sort)).limit(51)
            )
            sql = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
            explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            plan = " ".join(str(row[-1]) for row in db.execute(text(explain + sql)))
            assert index in plan, (sort, plan)
            assert "TEMP B-TREE" not in plan, (sort, plan)
            assert "Sort Key" not in plan or "Incremental" in plan, (sort, plan)
