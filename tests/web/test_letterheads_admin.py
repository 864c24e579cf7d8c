"""The administrator edits each issuing unit's letterhead at /admin/letterheads: a field that
is not valid is refused with a 422 naming it, and nothing changes; a saved one is what the
papers print."""

from __future__ import annotations

from sqlalchemy import select

from tests.web.pages import csrf_token, login
from webapp.models import Letterhead, OrgUnit
from webapp.request_db import database

FIELDS = ("place", "parent_body", "issuing_body", "body_name", "abbreviation", "signer_title")


def _hanoi(app) -> tuple[int, dict[str, str]]:
    with database(app).transaction() as session:
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == "HN"))
        row = session.get_one(Letterhead, unit.id)
        return unit.id, {name: getattr(row, name) for name in FIELDS}


def test_the_page_lists_each_issuing_unit_with_its_letterhead(app, client):
    login(client, "admin")
    page = client.get("/admin/letterheads")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Thể thức văn bản" in html
    assert 'data-unit="BN"' in html
    assert 'data-unit="HN"' in html
    assert "UBND THÀNH PHỐ HÀ NỘI" in html
    assert "UBND TỈNH BẮC NINH" in html


def test_a_field_that_is_not_valid_is_refused_naming_it_and_nothing_changes(app, client):
    unit_id, good = _hanoi(app)
    login(client, "admin")
    page = client.get(f"/admin/letterheads/{unit_id}").get_data(as_text=True)
    assert 'value="Hà Nội"' in page
    token = csrf_token(page)
    refused = client.post(
        f"/admin/letterheads/{unit_id}",
        data={"csrf_token": token, **good, "place": " ", "abbreviation": "stc hn"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Địa danh" in html
    assert "bắt buộc" in html
    assert "Chữ viết tắt" in html
    assert 'id="lh-place"' in html
    assert "is-invalid" in html
    assert _hanoi(app)[1] == good


def test_a_saved_letterhead_is_kept_and_shown(app, client):
    unit_id, good = _hanoi(app)
    login(client, "admin")
    token = csrf_token(client.get(f"/admin/letterheads/{unit_id}").get_data(as_text=True))
    try:
        saved = client.post(
            f"/admin/letterheads/{unit_id}",
            data={"csrf_token": token, **good, "signer_title": "KT. GIÁM ĐỐC   PHÓ GIÁM ĐỐC"},
        )
        assert saved.status_code == 302
        assert _hanoi(app)[1]["signer_title"] == "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC"
        listing = client.get("/admin/letterheads").get_data(as_text=True)
        assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC" in listing
    finally:
        with database(app).transaction() as session:
            row = session.get_one(Letterhead, unit_id)
            for name, value in good.items():
                setattr(row, name, value)


def test_an_unknown_unit_is_not_found(client):
    login(client, "admin")
    assert client.get("/admin/letterheads/999999").status_code == 404
