"""The administrator edits the current rules' lists on their page, each shown with its legal
basis and effective date; the others cannot; bad values come back named, in Vietnamese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, select

from tests.web.pages import login
from webapp.models import DocumentRequirement, RepeatAwardPeriod, RuleSetBasis, SimplifiedCase
from webapp.request_db import database
from webapp.services import award_rules_catalog as catalog

URL = "/admin/award-rules"


@pytest.fixture
def restore(app: Flask) -> Iterator[None]:
    """Whatever a test edits, the shipped lists come back afterwards."""
    yield
    with database(app).transaction() as session:
        for model in (SimplifiedCase, DocumentRequirement, RepeatAwardPeriod, RuleSetBasis):
            session.execute(delete(model))
        catalog.ensure_defaults(session)


def test_the_page_lists_each_rule_set_with_its_basis_and_date(client):
    login(client, "admin")
    page = client.get(URL).get_data(as_text=True)
    assert "Các trường hợp áp dụng thủ tục đơn giản" in page
    assert "Luật Thi đua, khen thưởng số 06/2022/QH15, Điều 85" in page
    assert "Điều 84" in page
    assert "01/01/2024" in page
    assert 'data-case="art85_state_secret"' in page
    assert 'data-requirement="simplified:*:submission"' in page
    # The DMN rule table's page shows its rule set's basis too.
    rules = client.get("/admin/processes/award_nomination/versions/1/rules/award_rules.dmn")
    assert rules.status_code == 200
    html = rules.get_data(as_text=True)
    assert 'data-basis="award_rules.dmn"' in html
    assert "Quy chế hoạt động của Hội đồng Thi đua - Khen thưởng" in html


@pytest.mark.parametrize("user", ["vanphong", "canbo_ns", "giamdoc"])
def test_others_get_403(client, user):
    login(client, user)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/cases", data={"code": "x", "label": "X"}).status_code == 403


def test_a_case_added_is_offered_to_new_dossiers_and_a_retired_one_is_not(client, app, restore):
    login(client, "admin")
    page = client.get(URL).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    added = client.post(
        f"{URL}/cases",
        data={"csrf_token": token, "code": "art85_disaster", "label": "Phòng, chống thiên tai"},
    )
    assert added.status_code == 302
    with database(app).transaction(write=False) as session:
        case_id = session.scalar(
            select(SimplifiedCase.id).where(SimplifiedCase.code == "art85_disaster")
        )
        secret_id = session.scalar(
            select(SimplifiedCase.id).where(SimplifiedCase.code == "art85_state_secret")
        )
    assert case_id is not None
    retired = client.post(
        f"{URL}/cases/{secret_id}",
        data={"csrf_token": token, "label": "Bí mật nhà nước", "legal_basis": "Điều 85"},
    )
    assert retired.status_code == 302
    officer = app.test_client()
    login(officer, "canbo_ns")
    new = officer.get("/dossiers/new").get_data(as_text=True)
    assert 'value="art85_disaster"' in new
    assert 'value="art85_state_secret"' not in new


def _token(client) -> str:
    page = client.get(URL).get_data(as_text=True)
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_bad_values_come_back_named_in_vietnamese(client, app, restore):
    login(client, "admin")
    token = _token(client)
    bad_code = client.post(
        f"{URL}/cases", data={"csrf_token": token, "code": "Có dấu", "label": "X"}
    )
    assert bad_code.status_code == 422
    assert "Mã không hợp lệ." in bad_code.get_data(as_text=True)
    taken = client.post(
        f"{URL}/cases", data={"csrf_token": token, "code": "art85_ad_hoc", "label": "X"}
    )
    assert "Mã đã được sử dụng." in taken.get_data(as_text=True)
    years = client.post(f"{URL}/repeat", data={"csrf_token": token, "years-bk_ttg": "năm"})
    assert years.status_code == 422
    assert "Số năm (Bằng khen của Thủ tướng Chính phủ) không hợp lệ." in years.get_data(
        as_text=True
    )
    date = client.post(
        f"{URL}/basis/simplified_cases",
        data={"csrf_token": token, "legal_basis": "Luật 06/2022/QH15", "effective_from": ""},
    )
    assert date.status_code == 422
    assert "Ngày có hiệu lực là bắt buộc." in date.get_data(as_text=True)
    unknown = client.post(
        f"{URL}/requirements",
        data={"csrf_token": token, "row-0-procedure": "regular", "row-0-award_form": "*",
              "row-0-kind": "selfie"},
    )  # fmt: skip
    assert unknown.status_code == 422
    assert "Dòng 1, Tài liệu không hợp lệ." in unknown.get_data(as_text=True)
    with database(app).transaction(write=False) as session:
        assert session.get(RepeatAwardPeriod, "bk_ttg").years == 5
        assert len(catalog.requirements(session)) == 4
        assert session.get(RuleSetBasis, "simplified_cases").legal_basis.startswith("Luật Thi đua")


def test_the_requirements_and_periods_are_saved_from_the_page(client, app, restore):
    login(client, "admin")
    token = _token(client)
    response = client.post(
        f"{URL}/requirements",
        data={
            "csrf_token": token,
            "row-0-procedure": "regular",
            "row-0-award_form": "*",
            "row-0-kind": "achievement_report",
            "row-0-per_nominee": "on",
            "row-0-enforced": "on",
            "row-0-legal_basis": "Luật 06/2022/QH15, Điều 84",
            "row-1-new": "1",
            "row-1-procedure": "simplified",
            "row-1-award_form": "hcld_3",
            "row-1-kind": "submission",
            "row-1-enforced": "on",
            # A row ticked for removal goes.
            "row-2-procedure": "regular",
            "row-2-award_form": "*",
            "row-2-kind": "minutes",
            "row-2-delete": "on",
        },
    )
    assert response.status_code == 302
    with database(app).transaction(write=False) as session:
        rows = {
            (r.procedure, r.award_form, r.kind, r.per_nominee, r.enforced)
            for r in catalog.requirements(session)
        }
    assert rows == {
        ("regular", "*", "achievement_report", True, True),
        ("simplified", "hcld_3", "submission", False, True),
    }
    saved = client.post(
        f"{URL}/repeat",
        data={"csrf_token": token, "years-bk_btc": "3", "basis-bk_btc": "Quy chế 2026"},
    )
    assert saved.status_code == 302
    basis = client.post(
        f"{URL}/basis/repeat_periods",
        data={"csrf_token": token, "legal_basis": "Quy chế 2026", "effective_from": "2026-01-01"},
    )
    assert basis.status_code == 302
    page = client.get(URL).get_data(as_text=True)
    assert "01/01/2026" in page
    with database(app).transaction(write=False) as session:
        assert session.get(RepeatAwardPeriod, "bk_btc").years == 3
        # An empty box removes the form's period: no warning for it.
        assert session.get(RepeatAwardPeriod, "bk_ttg") is None


def test_a_rule_tables_basis_is_recorded_from_its_page(client, restore):
    login(client, "admin")
    rules_url = "/admin/processes/award_nomination/versions/1/rules/award_rules.dmn"
    page = client.get(rules_url).get_data(as_text=True)
    assert 'action="/admin/award-rules/basis/award_rules.dmn"' in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    saved = client.post(
        f"{URL}/basis/award_rules.dmn",
        data={
            "csrf_token": token,
            "legal_basis": "Quy chế Hội đồng TĐKT Sở Tài chính năm 2026",
            "effective_from": "2026-03-01",
        },
    )
    assert saved.status_code == 302
    again = client.get(rules_url).get_data(as_text=True)
    assert "Quy chế Hội đồng TĐKT Sở Tài chính năm 2026" in again
    assert "01/03/2026" in again
    bogus = client.post(
        f"{URL}/basis/not-a-rule-set",
        data={"csrf_token": token, "legal_basis": "x", "effective_from": "2026-03-01"},
    )
    assert bogus.status_code == 422
    assert "Bộ quy tắc không hợp lệ." in bogus.get_data(as_text=True)
