"""Nominee data for the report templates: an individual's unit, a posthumous award's date of
death and receiving relative, the organisation unit a collective is — on the creation page and
in the API, bad values named by their field."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.web.pages import login, submit
from webapp.models import Dossier, OrgUnit
from webapp.request_db import database

URL = "/dossiers/new"
DEATH = "nominees.0.death_date"


def unit_id(app: Flask, code_prefix: str = "") -> int:
    with database(app).transaction(write=False) as session:
        units = session.scalars(select(OrgUnit).order_by(OrgUnit.id)).all()
        return next(u.id for u in units if u.code.startswith(code_prefix))


def page_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Đề nghị truy tặng Huân chương Lao động hạng Ba",
        "award_form": "hcld_3",
        "track": "ad_hoc",
        "procedure": "simplified",
        "simplified_case": "art85_ad_hoc",
        "nominees-0-kind": "individual",
        "nominees-0-name": "Lê Văn Tâm",
        "nominees-0-position": "Chuyên viên",
        "nominees-0-unit": "Phòng Quản lý ngân sách",
        "nominees-0-birth_date": "02/09/1978",
        "nominees-0-posthumous": "y",
        "nominees-0-death_date": "01/08/2021",
        "nominees-0-next_of_kin": "Lê Thị Mai (vợ)",
        "nominees-1-kind": "collective",
        "nominees-1-name": "Phòng Quản lý ngân sách",
        "action": "draft",
    }
    data.update(overrides)
    return data


def test_the_page_keeps_the_report_data_and_the_dossier_shows_it(client, app):
    ns = unit_id(app)
    login(client, "canbo_ns")
    response = submit(
        client, URL, page_data(**{"nominees-1-org_unit_id": str(ns)}),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    with database(app).transaction(write=False) as session:
        dossier = session.scalars(select(Dossier)).one()
        person, collective = dossier.nominees
        assert (person.job_title, person.work_unit, person.next_of_kin) == (
            "Chuyên viên",
            "Phòng Quản lý ngân sách",
            "Lê Thị Mai (vợ)",
        )
        assert person.death_date.isoformat() == "2021-08-01"
        assert collective.org_unit_id == ns
        assert dossier.simplified_case == "art85_ad_hoc"
        dossier_id = dossier.id
    page = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Mất ngày 01/08/2021" in page
    assert "thân nhân nhận thay: Lê Thị Mai (vợ)" in page
    assert "Thành tích xuất sắc đột xuất" in page  # the case in words


def test_bad_dates_of_death_are_named_beside_the_field(client, app):
    login(client, "canbo_ns")
    later = submit(
        client, URL, page_data(**{"nominees-0-death_date": "01/01/1970"}),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert later.status_code == 422
    html = later.get_data(as_text=True)
    assert 'id="nominees-0-death_date-error"' in html
    assert "Ngày mất không được trước ngày sinh." in html
    future = submit(
        client, URL, page_data(**{"nominees-0-death_date": "01/01/2999"}),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert "Ngày mất không được ở tương lai." in future.get_data(as_text=True)
    with database(app).transaction(write=False) as session:
        assert session.scalars(select(Dossier)).first() is None


def test_the_api_takes_and_returns_the_report_data(api, app):
    ns = unit_id(app)
    dossier = api.start(
        procedure="simplified",
        simplified_case="art85_political",
        nominees=[
            {
                "kind": "individual",
                "name": "Lê Văn Tâm",
                "position": "Chuyên viên",
                "unit": "Phòng Quản lý ngân sách",
                "birth_date": "1978-09-02",
                "posthumous": True,
                "death_date": "2021-08-01",
                "next_of_kin": "Lê Thị Mai (vợ)",
            },
            {"kind": "collective", "name": "Phòng Quản lý ngân sách", "org_unit_id": ns},
        ],
    )
    read = api.dossier(dossier["id"])
    assert read["simplified_case"] == "art85_political"
    person, collective = read["nominees"]
    assert (person["unit"], person["death_date"], person["next_of_kin"]) == (
        "Phòng Quản lý ngân sách",
        "2021-08-01",
        "Lê Thị Mai (vợ)",
    )
    assert collective["org_unit_id"] == ns
    # An older client's body (free-text reason, no new fields) is still accepted.
    older = api.start(procedure="simplified", simplified_reason="Thành tích đột xuất")
    assert (older["simplified_case"], older["nominees"][0]["unit"]) == (None, None)


def test_the_api_names_bad_nominee_data(api):
    base = {
        "title": "Hồ sơ",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
    }
    cases = [
        ([{"kind": "individual", "name": "A", "death_date": "1/8/2021"}], DEATH),
        ([{"kind": "individual", "name": "A", "death_date": "2999-01-01"}], DEATH),
        (
            [{"kind": "individual", "name": "A", "birth_date": "1990-01-01",
              "death_date": "1980-01-01"}],
            "nominees.0.death_date",
        ),
        ([{"kind": "collective", "name": "B", "org_unit_id": 987654}], "nominees.0.org_unit_id"),
        ([{"kind": "individual", "name": "A", "unit": "x" * 301}], "nominees.0.unit"),
    ]  # fmt: skip
    for nominees, field in cases:
        response = api.post("/api/v1/dossiers", "canbo_ns", json={**base, "nominees": nominees})
        assert response.status_code == 422, response.json
        assert field in response.json["error"]["fields"], response.json
    for body, field in [
        ({"procedure": "simplified", "simplified_case": "no_such_case"}, "simplified_case"),
        ({"procedure": "simplified"}, "simplified_case"),
    ]:
        response = api.post(
            "/api/v1/dossiers",
            "canbo_ns",
            json={**base, **body, "nominees": [{"kind": "individual", "name": "A"}]},
        )
        assert response.status_code == 422, response.json
        assert field in response.json["error"]["fields"], response.json
    assert api.get("/api/v1/dossiers", "canbo_ns").json["total"] == 0
