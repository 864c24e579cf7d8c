"""The working-day calendar's administration page, and the time limit's legal basis shown to
the users beside the due date (step form, dossier page) with the due date in every sentence."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.web.diagrams import SHIPPED_BPMN, deploy_new_version
from tests.web.pages import csrf_token, login
from tests.web.test_admin_modeler import open_modeler
from webapp.models import CalendarException
from webapp.request_db import database
from webapp.services import calendar_admin

URL = "/admin/calendar"
BASIS = "Điều 10 Quy chế thi đua, khen thưởng của Sở Tài chính (thời hạn kiểm tra hồ sơ)"


def _exceptions(app) -> list[tuple[date, str]]:
    with database(app).transaction() as session:
        rows = session.execute(
            select(CalendarException.day, CalendarException.kind).order_by(CalendarException.day)
        )
        return [tuple(row) for row in rows]


def _shipped(app) -> None:
    with database(app).transaction() as session:
        calendar_admin.install_shipped_exceptions(session)


def test_the_year_shows_twelve_months_with_each_kind_of_day_named(client, app):
    _shipped(app)
    login(client, "admin")
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "Lịch ngày làm việc năm 2026" in page
    assert page.count('class="month-grid card"') == 12
    assert "Tháng 2" in page
    assert "Tháng 12" in page
    assert 'data-day="2026-02-17" data-kind="holiday"' in page
    assert "17/02/2026, Ngày lễ, Tết: Tết Nguyên Đán" in page
    assert 'data-day="2026-02-14" data-kind="weekend"' in page
    assert 'data-day="2026-01-02" data-kind="extra_day_off"' in page
    assert 'data-day="2026-01-10" data-kind="working_weekend"' in page
    assert 'data-day="2026-08-22" data-kind="working_weekend"' in page
    assert 'data-day="2026-03-04" data-kind="work"' in page
    assert "25/12/2025" in page  # the shipped announcement's basis
    assert (
        '<a class="nav-link py-1 active" aria-current="page" href="/admin/calendar" '
        'data-section="calendar"'
    ) in page


def test_an_announcement_is_recorded_and_removed_from_the_page(client, app):
    login(client, "admin")
    token = csrf_token(client.get(URL).get_data(as_text=True))
    response = client.post(
        f"{URL}/exceptions",
        data={
            "csrf_token": token,
            "day": "2026-04-29",
            "kind": "day_off",
            "name": "Nghỉ nối lễ 30/4",
            "basis": "Thông báo số 12/TB-BNV ngày 01/04/2026",
        },
    )
    assert response.status_code == 302
    assert response.location.endswith("/admin/calendar?year=2026")
    page = client.get(response.location).get_data(as_text=True)
    assert "Đã ghi Ngày nghỉ thêm vào ngày 29/04/2026." in page
    assert 'data-day="2026-04-29" data-kind="extra_day_off"' in page
    assert "Thông báo số 12/TB-BNV ngày 01/04/2026" in page
    assert _exceptions(app) == [(date(2026, 4, 29), "day_off")]

    with database(app).transaction() as session:
        exception_id = session.scalar(select(CalendarException.id))
    removed = client.post(f"{URL}/exceptions/{exception_id}/delete", data={"csrf_token": token})
    assert removed.status_code == 302
    page = client.get(removed.location).get_data(as_text=True)
    assert "Đã xóa ngày ngoại lệ 29/04/2026." in page
    assert _exceptions(app) == []
    gone = client.post(f"{URL}/exceptions/{exception_id}/delete", data={"csrf_token": token})
    assert gone.status_code == 404


def test_bad_input_is_refused_naming_the_field_and_stores_nothing(client, app):
    login(client, "admin")
    token = csrf_token(client.get(URL).get_data(as_text=True))
    good = {"day": "2026-04-29", "kind": "day_off", "name": "Nghỉ", "basis": "TB 1"}
    cases = [
        ({"day": "29-04-2026"}, "Ngày không hợp lệ."),
        ({"day": "31/02/2026"}, "Ngày không hợp lệ."),
        ({"kind": "holiday"}, "Loại không hợp lệ."),
        ({"name": ""}, "Tên dịp không hợp lệ."),
        ({"basis": "   "}, "Căn cứ pháp lý không hợp lệ."),
        ({"basis": "TB\x01"}, "Căn cứ pháp lý không hợp lệ."),
        ({"day": "18/02/2026"}, "Ngày đã là ngày nghỉ (cuối tuần hoặc ngày lễ, Tết)."),
        ({"day": "2026-04-30", "kind": "day_off"}, "Ngày đã là ngày nghỉ"),
        ({"kind": "working_day"}, "Ngày đã là ngày làm việc."),
    ]
    for change, message in cases:
        response = client.post(f"{URL}/exceptions", data={"csrf_token": token, **good, **change})
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert _exceptions(app) == []
    # One exception per day.
    assert client.post(f"{URL}/exceptions", data={"csrf_token": token, **good}).status_code == 302
    again = client.post(f"{URL}/exceptions", data={"csrf_token": token, **good})
    assert again.status_code == 422
    assert "Ngày đã có một ngày ngoại lệ: hãy xóa ngày đó trước." in again.get_data(as_text=True)
    assert len(_exceptions(app)) == 1
    year = client.get(f"{URL}?year=1800")
    assert year.status_code == 422
    assert "Năm không hợp lệ." in year.get_data(as_text=True)


def test_others_never_see_the_calendar(client):
    login(client, "vanphong")
    assert client.get(URL).status_code == 403


def test_the_step_form_and_the_dossier_page_show_the_limit_its_basis_and_the_due_date(api, client):
    with_basis = SHIPPED_BPMN.replace(
        '<spiffworkflow:property name="timeLimitDays" value="5" />',
        '<spiffworkflow:property name="timeLimitDays" value="5" />'
        f'<spiffworkflow:property name="timeLimitBasis" value="{BASIS}" />',
    )
    assert with_basis.count(BASIS) >= 1
    deploy_new_version(api, with_basis)
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    [item] = api.items("vanphong", dossier["id"], "check_dossier")
    login(client, "vanphong")
    form = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert 'id="step-time-limit"' in form
    assert "Thời hạn: 5 ngày làm việc" in form
    assert f"căn cứ: {BASIS}" in form
    page = client.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    assert f"Thời hạn: 5 ngày làm việc · căn cứ: {BASIS}" in page
    # The lists' sentence says the due date and the working days left.
    tracking = client.get("/dossiers").get_data(as_text=True)
    assert "Kiểm tra hồ sơ — hạn " in tracking
    assert "còn 5 ngày làm việc" in tracking or "còn 4 ngày làm việc" in tracking


def test_the_modeler_offers_the_legal_basis_beside_the_time_limit(client):
    login(client, "admin")
    _token, config = open_modeler(client, 1)
    assert config["strings"]["timeLimitBasis"] == "Căn cứ pháp lý của thời hạn"
    assert "bên cạnh hạn xử lý" in config["strings"]["timeLimitBasisHelp"]
    assert config["strings"]["timeLimitBasisInvalid"] == "Viết tối đa 1.000 ký tự."


def test_a_too_long_basis_is_a_problem_of_the_check(api):
    long_basis = SHIPPED_BPMN.replace(
        '<spiffworkflow:property name="timeLimitDays" value="5" />',
        '<spiffworkflow:property name="timeLimitDays" value="5" />'
        f'<spiffworkflow:property name="timeLimitBasis" value="{"x" * 1001}" />',
        1,
    )
    uploaded = api.client.post(
        "/api/v1/processes/award_nomination/versions",
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=long_basis.encode("utf-8"),
    )
    assert uploaded.status_code == 422
    error = uploaded.json["error"]
    assert error["code"] == "diagram_problems"
    problems = [(p["code"], p["element_id"]) for p in error["problems"]]
    assert problems == [("time_limit_basis_too_long", "prepare_dossier")]
