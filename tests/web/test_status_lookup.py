"""The public status look-up (/tra-cuu and GET /api/v1/status-lookup/<code>): no login; the step
a dossier is at and since when; nothing personal in any status; an unknown code says only that;
over the limit a 429 with Retry-After."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from webapp import login_limits
from webapp.models import Dossier, User
from webapp.request_db import database

STATUSES = ["in_progress", "returned", "awarded", "partly_awarded", "refused", "withdrawn"]
COMMENT = "Bổ sung báo cáo thành tích của bà Hằng"


def address() -> str:
    """A client address of its own: 64 random bits in the IPv6 documentation range (a /24 drew
    the same address twice in one test once in 250 runs, holding the "other" address back)."""
    return str(ipaddress.IPv6Address(0x20010DB8 << 96 | secrets.randbits(64)))


@pytest.fixture
def lookup_limit(app: Flask) -> Iterator[None]:
    saved = app.config.get("STATUS_LOOKUP_LIMIT")
    login_limits.limiter.reset()
    yield
    if saved is None:
        app.config.pop("STATUS_LOOKUP_LIMIT", None)
    else:
        app.config["STATUS_LOOKUP_LIMIT"] = saved
    login_limits.limiter.reset()


def _personal_words(app: Flask, dossier_id: int) -> set[str]:
    """Everything personal about the dossier: its title, nominees, every user's name."""
    with database(app).transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        words = {dossier.title, *(n.name for n in dossier.nominees)}
        for user in session.scalars(select(User)):
            words |= {user.full_name, user.username}
    return words | {COMMENT, "Nguyễn Thị Hằng", "Hằng"}


def _looked_up(client, code: str, addr: str) -> tuple[str, dict]:
    page = client.get("/tra-cuu", query_string={"ma": code}, environ_base={"REMOTE_ADDR": addr})
    assert page.status_code == 200, page.status_code
    api = client.get(f"/api/v1/status-lookup/{code}", environ_base={"REMOTE_ADDR": addr})
    assert api.status_code == 200, api.json
    return page.get_data(as_text=True), api.json


def test_every_status_reveals_nothing_personal(app, api, lookup_limit):
    dossier = api.start()
    # Claimed by the unit officer, so a person holds the open step.
    item = api.items("canbo_ns", dossier["id"], "prepare_dossier")[0]
    assert api.post(f"/api/v1/work-items/{item['id']}/claim", "canbo_ns").status_code == 200
    code = dossier["code"]
    personal = _personal_words(app, dossier["id"])
    addr = address()

    page, body = _looked_up(client := api.client, code.lower(), addr)
    assert body["state"] == "at_step"
    assert body["code"] == code
    assert [s["title"] for s in body["steps"]] == [item["title"]]
    assert set(body) == {"code", "award_form", "state", "since", "steps"}
    assert item["title"] in page

    for status in STATUSES:
        with database(app).transaction() as session:
            row = session.get(Dossier, dossier["id"])
            row.status = status
        page, body = _looked_up(client, code, addr)
        shown = page + str(body)
        leaked = sorted(word for word in personal if word and word in shown)
        assert leaked == [], (status, leaked)
        expected = {"in_progress": "at_step", "returned": "returned"}.get(status, "finished")
        assert body["state"] == expected, status
        if expected == "finished":
            assert body["steps"] == []
            assert "Đã kết thúc xử lý" in page


def test_unknown_code_says_so_without_hinting(client, api, lookup_limit):
    dossier = api.start()
    near = dossier["code"][:-1] + ("9" if dossier["code"][-1] != "9" else "8")
    addr = address()
    for code in (near, "không-có", "x" * 300):
        page = client.get("/tra-cuu", query_string={"ma": code}, environ_base={"REMOTE_ADDR": addr})
        assert page.status_code == 404
        text = page.get_data(as_text=True)
        assert "Không có hồ sơ nào mang mã này" in text
        assert dossier["code"] not in text
        answer = client.get(f"/api/v1/status-lookup/{code}", environ_base={"REMOTE_ADDR": addr})
        assert answer.status_code == 404
        assert answer.json["error"]["code"] == "not_found"
        assert dossier["code"] not in str(answer.json)


def test_the_form_alone_counts_nothing_and_needs_no_login(client, app, lookup_limit):
    app.config["STATUS_LOOKUP_LIMIT"] = "2 per minute"
    addr = address()
    for _ in range(5):
        page = client.get("/tra-cuu", environ_base={"REMOTE_ADDR": addr})
        assert page.status_code == 200
    assert 'id="lookup-form"' in page.get_data(as_text=True)


def test_over_the_limit_is_429_with_retry_after(client, app, api, lookup_limit):
    code = api.start()["code"]
    app.config["STATUS_LOOKUP_LIMIT"] = "3 per minute"
    addr = address()
    for _ in range(2):
        ok = client.get("/tra-cuu", query_string={"ma": code}, environ_base={"REMOTE_ADDR": addr})
        assert ok.status_code == 200
    assert (
        client.get(f"/api/v1/status-lookup/{code}", environ_base={"REMOTE_ADDR": addr}).status_code
        == 200
    )
    page = client.get("/tra-cuu", query_string={"ma": code}, environ_base={"REMOTE_ADDR": addr})
    assert page.status_code == 429
    assert 1 <= int(page.headers["Retry-After"]) <= 60
    assert "Tra cứu quá nhiều lần" in page.get_data(as_text=True)
    answer = client.get(f"/api/v1/status-lookup/{code}", environ_base={"REMOTE_ADDR": addr})
    assert answer.status_code == 429
    assert answer.json["error"]["code"] == "too_many_requests"
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    # Unknown codes count too (guessing codes is what the limit slows down), and another
    # address is not held back.
    other = client.get(f"/api/v1/status-lookup/{code}", environ_base={"REMOTE_ADDR": address()})
    assert other.status_code == 200
